//! Inputs that used to lose figures or misdate payments without a word:
//! the fee advance of an early settlement, year keys that serve no service
//! year, and claims dated before the supplementary policy was in force.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::collections::BTreeMap;

use medfund_core::{Money, NaiveDate, PolicyHistory, Trace, Validity};
use medfund_insurer::*;

fn y(n: i64) -> Money {
    Money::from_yuan(n).unwrap()
}
fn d(yr: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(yr, m, day).unwrap()
}
fn history_with(dating: FeeAdvanceDate) -> PolicyHistory<AssistancePolicy> {
    let mut v = huizhou_2021().unwrap();
    v.params_mut().fee_advance_date = dating;
    PolicyHistory::new("assistance", vec![v]).unwrap()
}

/// A Huizhou county whose 2022 annual settlement came early (2023-05-31),
/// with its fee settled on 2023-06-20, before the end of June.
fn early_county() -> County {
    County {
        id: "boluo".into(),
        spend: BTreeMap::from([(2021, y(9_000_000)), (2022, y(12_000_000))]),
        prior_plan_fee: BTreeMap::from([(2021, y(350_000))]),
        settled_on: BTreeMap::from([(2022, d(2023, 5, 31))]),
        fee_settled_on: BTreeMap::from([(2022, d(2023, 6, 20))]),
        ..County::default()
    }
}

fn dated(s: &AssistanceSettlement, kind: PaymentKind) -> NaiveDate {
    s.schedule.iter().find(|p| p.kind == kind).unwrap().date
}

/// Rule: 惠医保发〔2021〕96号 （四）资金管理 第4点 — the advance is paid in June of
/// S+1 and the settlement within 20 days after the annual settlement nets it.
#[test]
fn h4_h5_advance_is_dated_no_later_than_the_fee_settlement_that_nets_it() {
    let s = settle(&history_with(FeeAdvanceDate::default()), &[early_county()], &mut Trace::off()).unwrap();
    assert_eq!(dated(&s, PaymentKind::FeeAdvance), d(2023, 6, 20));
    assert_eq!(dated(&s, PaymentKind::FeeSettlement), d(2023, 6, 20));
    let kinds: Vec<PaymentKind> = s.schedule.iter().map(|p| p.kind).collect();
    let advance = kinds.iter().position(|&k| k == PaymentKind::FeeAdvance).unwrap();
    let settlement = kinds.iter().position(|&k| k == PaymentKind::FeeSettlement).unwrap();
    assert!(advance < settlement, "the advance is listed before the settlement that nets it: {kinds:?}");

    // Without a recorded fee settlement date, its deadline (05-31 + 20 days) dates both.
    let mut c = early_county();
    c.fee_settled_on.clear();
    let s = settle(&history_with(FeeAdvanceDate::default()), &[c], &mut Trace::off()).unwrap();
    assert_eq!(dated(&s, PaymentKind::FeeAdvance), d(2023, 6, 20));

    // A settlement after June keeps the advance on June 30.
    let mut c = early_county();
    c.settled_on.insert(2022, d(2023, 6, 25));
    c.fee_settled_on.insert(2022, d(2023, 7, 10));
    let s = settle(&history_with(FeeAdvanceDate::default()), &[c], &mut Trace::off()).unwrap();
    assert_eq!(dated(&s, PaymentKind::FeeAdvance), d(2023, 6, 30));
}

#[test]
fn h4_june_end_dating_is_a_named_option() {
    let s = settle(&history_with(FeeAdvanceDate::JuneEnd), &[early_county()], &mut Trace::off()).unwrap();
    assert_eq!(dated(&s, PaymentKind::FeeAdvance), d(2023, 6, 30));
    assert!(s.schedule.windows(2).all(|w| w[0].date <= w[1].date));
    assert_eq!(huizhou_2021().unwrap().params().fee_advance_date, FeeAdvanceDate::JuneEndOrFeeSettlement);
}

fn unused(county: County) -> (&'static str, i32) {
    match settle(&history_with(FeeAdvanceDate::default()), &[county], &mut Trace::off()) {
        Err(InsurerError::UnusedYear { field, year, .. }) => (field, year),
        other => panic!("expected an unused-year error, got {other:?}"),
    }
}

#[test]
fn a_year_that_serves_no_service_year_is_an_error_not_a_lost_figure() {
    let base = early_county();
    // A typo in a year key: 20222 has no neighbour.
    let mut c = base.clone();
    c.spend.insert(20222, y(1));
    assert_eq!(unused(c), ("spend", 20222));
    // A missing base year: 2022 alone can serve no service year.
    let c = County { spend: BTreeMap::from([(2022, y(12_000_000))]), ..County::default() };
    assert_eq!(unused(c), ("spend", 2022));
    // Dates and fees for years that are not reported.
    let mut c = base.clone();
    c.settled_on.insert(2023, d(2024, 6, 1));
    assert_eq!(unused(c), ("settled_on", 2023));
    let mut c = base.clone();
    c.fee_settled_on.insert(2021, d(2022, 6, 1));
    assert_eq!(unused(c), ("fee_settled_on", 2021));
    let mut c = base.clone();
    c.prior_plan_fee.insert(2024, y(1));
    assert_eq!(unused(c), ("prior_plan_fee", 2024));
    // fee(2022) is computed under this plan: a prior-plan fee for it is not used.
    let mut c = base.clone();
    c.spend.insert(2023, y(8_000_000));
    c.prior_plan_fee.insert(2022, y(1));
    assert_eq!(unused(c), ("prior_plan_fee", 2022));
    // The base county itself is complete.
    assert!(settle(&history_with(FeeAdvanceDate::default()), &[base], &mut Trace::off()).is_ok());
}

/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险 — the preset
/// records the rules of 2007; earlier claims are not computed under them.
#[test]
fn x1_claims_before_the_supplementary_policy_was_in_force_are_refused() {
    let version = xiamen_2007().unwrap();
    let claims = vec![
        Claim { person: "p-1", date: d(2007, 1, 1), eligible_cost: y(60_000) },
        Claim { person: "p-2", date: d(2005, 7, 1), eligible_cost: y(60_000) },
    ];
    match split_claims_in_force(&version, 1, &claims) {
        Err(InsurerError::ClaimOutsideValidity { index, date, policy, window }) => {
            assert_eq!((index, date, policy.as_str()), (1, d(2005, 7, 1), XIAMEN_2007));
            assert!(window.contains("2007-01-01"), "{window}");
        }
        other => panic!("expected a validity error, got {other:?}"),
    }
    // With the validity overridden, the same claims are split.
    let earlier = version.with_validity(Validity::new(d(2005, 1, 1), None).unwrap());
    let r = split_claims_in_force(&earlier, 1, &claims).unwrap();
    assert_eq!(r.claims[1].insurer, y(6_300));
}
