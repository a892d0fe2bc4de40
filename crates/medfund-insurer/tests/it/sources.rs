//! Table tests from the numbers of the policy sources.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    missing_docs
)]

use std::collections::BTreeMap;

use medfund_core::{Money, NaiveDate, PolicyHistory, Trace, Validity};
use medfund_insurer::*;

fn y(n: i64) -> Money {
    Money::from_yuan(n).unwrap()
}
fn d(yr: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(yr, m, day).unwrap()
}
fn history() -> PolicyHistory<AssistancePolicy> {
    PolicyHistory::new("assistance", vec![huizhou_2021().unwrap()]).unwrap()
}
fn county(spend: &[(i32, i64)]) -> County {
    County { id: "c".into(), spend: spend.iter().map(|&(yr, v)| (yr, y(v))).collect(), ..County::default() }
}

/// Rule: 惠医保发〔2021〕96号 （四）资金管理 第2点
#[test]
fn h1_fee_is_four_percent_capped_at_400000() {
    // (spend of the service year, fee, capped)
    let cases = [
        (12_000_000, 400_000, true),
        (8_000_000, 320_000, false),
        (10_000_000, 400_000, false),
        (10_000_025, 400_000, true),
        (0, 0, false),
    ];
    for (spend, fee, capped) in cases {
        let c = county(&[(2022, 1_000_000), (2023, spend)]);
        let s = settle_year(&history(), &c, 2023, &mut Trace::off()).unwrap();
        assert_eq!((s.fee, s.fee_capped), (y(fee), capped), "spend {spend}");
    }
    // The product is rounded to the fen first: 4 % of 0.13 = 0.0052 → 0.01.
    let c = County {
        id: "c".into(),
        spend: BTreeMap::from([(2022, y(1)), (2023, Money::from_fen(13))]),
        ..County::default()
    };
    assert_eq!(settle_year(&history(), &c, 2023, &mut Trace::off()).unwrap().fee, Money::from_fen(1));
}

#[test]
fn h1_prior_year_fee_basis_is_a_named_option() {
    let mut v = huizhou_2021().unwrap();
    v.params_mut().fee_basis = FeeBasis::PriorYear;
    let h = PolicyHistory::new("assistance", vec![v]).unwrap();
    let c = county(&[(2022, 5_000_000), (2023, 12_000_000)]);
    let s = settle_year(&h, &c, 2023, &mut Trace::off()).unwrap();
    assert_eq!((s.fee, s.fee_capped), (y(200_000), false));
    // fee(2022) would need spend(2021): unknown, so no advance is invented.
    assert_eq!(s.fee_advance, None);
    assert_eq!(s.fee_due, None);
}

/// Rule: 惠医保发〔2021〕96号 （四）资金管理 第3点
#[test]
fn h2_h3_prepayments_and_annual_balance() {
    let c = County {
        settled_on: BTreeMap::from([(2023, d(2024, 7, 2))]),
        ..county(&[(2022, 10_000_000), (2023, 8_000_000)])
    };
    let s = settle_year(&history(), &c, 2023, &mut Trace::off()).unwrap();
    assert_eq!(s.prepay_march, y(5_000_000));
    assert_eq!(s.prepay_september, y(4_000_000));
    assert_eq!(s.annual_balance, y(-1_000_000)); // refund by the insurer
    assert_eq!(s.annual_settlement_deadline, d(2024, 6, 30));
    assert_eq!(s.settled_late, Some(true));
    assert_eq!(s.fee_settlement_deadline, d(2024, 7, 22));
}

/// Rule: 惠医保发〔2021〕96号 （四）资金管理 第4点
#[test]
fn h4_h5_advance_and_fee_settlement() {
    let c = County {
        prior_plan_fee: BTreeMap::from([(2021, y(350_000))]),
        settled_on: BTreeMap::from([(2022, d(2023, 6, 20))]),
        fee_settled_on: BTreeMap::from([(2022, d(2023, 7, 11)), (2023, d(2024, 7, 20))]),
        ..county(&[(2021, 9_000_000), (2022, 12_000_000), (2023, 8_000_000)])
    };
    let s = settle(&history(), &[c], &mut Trace::off()).unwrap();
    let [a, b] = &s.counties[0].years[..] else { panic!("two years") };
    assert_eq!((a.fee_advance, a.fee_due), (Some(y(280_000)), Some(y(120_000))));
    assert_eq!(a.fee_settlement_deadline, d(2023, 7, 10));
    assert_eq!(a.fee_settled_late, Some(true));
    assert_eq!((b.fee_advance, b.fee_due), (Some(y(320_000)), Some(y(0))));
    assert_eq!(b.settled_late, None);
    assert_eq!(b.fee_settlement_deadline, d(2024, 7, 20)); // no settled_on: June 30 + 20 days
    assert_eq!(b.fee_settled_late, Some(false));
}

#[test]
fn h4_first_year_without_previous_plan_fee_is_unknown_not_invented() {
    let c = county(&[(2021, 9_000_000), (2022, 12_000_000)]);
    let s = settle(&history(), &[c], &mut Trace::off()).unwrap();
    let y2022 = &s.counties[0].years[0];
    assert_eq!((y2022.fee_advance, y2022.fee_due), (None, None));
    // The calendar has no fee advance or fee settlement for it.
    assert!(s.schedule.iter().all(|p| p.flow == Flow::Assistance));
}

/// Rule: 惠医保发〔2021〕96号 四、施行日期
#[test]
fn h6_years_outside_validity_are_errors_unless_overridden() {
    let c = county(&[(2026, 1), (2027, 1)]);
    let err = settle(&history(), std::slice::from_ref(&c), &mut Trace::off()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("2027") && msg.contains("2022-01-01 to 2026-12-31"), "{msg}");
    let extended = huizhou_2021().unwrap().with_validity(Validity::new(d(2022, 1, 1), Some(d(2030, 12, 31))).unwrap());
    let h = PolicyHistory::new("assistance", vec![extended]).unwrap();
    assert!(settle(&h, &[c], &mut Trace::off()).is_ok());
    // A base year before the window is fine: only reported years are checked.
    assert!(settle(&history(), &[county(&[(2021, 1), (2022, 1)])], &mut Trace::off()).is_ok());
}

#[test]
fn h7_calendar_is_dated_ordered_and_split_by_flow() {
    let c1 = County {
        id: "a".into(),
        prior_plan_fee: BTreeMap::from([(2021, y(100_000))]),
        settled_on: BTreeMap::from([(2022, d(2023, 5, 31))]),
        ..county(&[(2021, 1_000_000), (2022, 2_000_000)])
    };
    let c2 = County { id: "b".into(), ..county(&[(2022, 1_000_000), (2023, 500_000)]) };
    let s = settle(&history(), &[c1, c2], &mut Trace::off()).unwrap();
    assert!(s.schedule.windows(2).all(|w| w[0].date <= w[1].date));
    let kinds: Vec<_> = s.schedule.iter().filter(|p| p.county == "a").map(|p| (p.date, p.kind, p.flow)).collect();
    assert_eq!(
        kinds,
        vec![
            (d(2022, 3, 31), PaymentKind::Prepayment, Flow::Assistance),
            (d(2022, 9, 30), PaymentKind::Prepayment, Flow::Assistance),
            (d(2023, 5, 31), PaymentKind::AnnualSettlement, Flow::Assistance),
            // The settlement of 05-31 is netted 20 days later, before June 30: the
            // advance it nets is dated with it, never after it.
            (d(2023, 6, 20), PaymentKind::FeeAdvance, Flow::CountyBudget),
            (d(2023, 6, 20), PaymentKind::FeeSettlement, Flow::CountyBudget),
        ]
    );
    // A refund runs from the insurer back to the fund.
    let refund = s.schedule.iter().find(|p| p.county == "b" && p.kind == PaymentKind::AnnualSettlement).unwrap();
    assert_eq!(refund.amount, y(-400_000));
    assert_eq!((refund.payer, refund.payee), (Party::Insurer, Party::AssistanceFund));
}

#[test]
fn bad_assistance_input_is_an_error() {
    let neg = county(&[(2022, 1), (2023, -1)]);
    assert!(matches!(settle(&history(), &[neg], &mut Trace::off()), Err(InsurerError::NegativeAmount { .. })));
    let early = County { settled_on: BTreeMap::from([(2023, d(2023, 12, 31))]), ..county(&[(2022, 1), (2023, 1)]) };
    let err = settle(&history(), &[early], &mut Trace::off()).unwrap_err();
    assert!(matches!(err, InsurerError::SettlementBeforeYearEnd { .. }), "{err}");
    let missing = county(&[(2023, 1)]);
    assert!(matches!(
        settle_year(&history(), &missing, 2023, &mut Trace::off()),
        Err(InsurerError::MissingPriorSpend { missing: 2022, .. })
    ));
    let dup = [county(&[(2022, 1)]), county(&[(2022, 1)])];
    assert!(matches!(settle(&history(), &dup, &mut Trace::off()), Err(InsurerError::DuplicateCounty { .. })));
}

#[test]
fn trace_cites_the_contract() {
    let mut trace = Trace::on();
    settle(&history(), &[county(&[(2022, 1_000_000), (2023, 2_000_000)])], &mut trace).unwrap();
    assert!(trace.steps().iter().any(|s| s.rule.article == "（四）资金管理 第2点" && s.result == "80000.00"));
    // Formula texts read their parameters: a 30-day fee settlement says 30.
    let mut v = huizhou_2021().unwrap();
    v.params_mut().fee_settlement_days = 30;
    let mut trace = Trace::on();
    let h = PolicyHistory::new("assistance", vec![v]).unwrap();
    let c = county(&[(2022, 1_000_000), (2023, 2_000_000)]);
    settle(&h, &[c], &mut trace).unwrap();
    let due = trace.steps().iter().find(|s| s.figure.ends_with("/fee_due")).unwrap();
    assert!(due.formula.contains("within 30 days"), "{}", due.formula);
}

fn xiamen() -> SupplementaryPolicy {
    xiamen_2007().unwrap().params().clone()
}

/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险
#[test]
fn x2_x4_claim_splits() {
    // (running total before, cost, fund, insurer, person)
    let cases: &[(i64, i64, i64, i64, i64)] = &[
        (0, 30_000, 30_000, 0, 0),
        (0, 53_000, 53_000, 0, 0),
        (0, 63_000, 53_000, 9_000, 1_000),
        (50_000, 10_000, 3_000, 6_300, 700),
        (53_000, 200_000, 0, 150_000, 50_000), // 90 % would be 180,000: cap
        (0, 300_000, 53_000, 150_000, 97_000),
    ];
    let schedule = xiamen().schedule().unwrap();
    for &(before, cost, fund, insurer, person) in cases {
        let mut running = RunningTotals::default();
        if before > 0 {
            schedule.apply(&mut running, y(before)).unwrap();
        }
        let paid_before = running.paid_by(Payer::Insurer);
        let s = schedule.apply(&mut running, y(cost)).unwrap();
        assert_eq!(
            (s.fund, s.insurer, s.person),
            (y(fund), y(insurer).checked_sub(paid_before).unwrap(), y(person)),
            "{before}+{cost}"
        );
    }
}

#[test]
fn x3_insurer_share_is_rounded_on_each_claim() {
    let claims: Vec<Claim<u8>> = vec![
        Claim { person: 1, date: d(2023, 7, 1), eligible_cost: y(53_000) },
        Claim { person: 1, date: d(2023, 7, 2), eligible_cost: Money::from_fen(5) }, // 90 % = 4.5 fen → 5
    ];
    let r = split_claims(&xiamen(), 0, &claims).unwrap();
    assert_eq!((r.claims[1].insurer, r.claims[1].person_pays), (Money::from_fen(5), Money::ZERO));
}

#[test]
fn x1_medical_year_resets_on_july_first() {
    let claims = vec![
        Claim { person: "p", date: d(2024, 6, 30), eligible_cost: y(53_000) },
        Claim { person: "p", date: d(2024, 7, 1), eligible_cost: y(1_000) },
    ];
    let r = split_claims(&xiamen(), 10, &claims).unwrap();
    assert_eq!((r.claims[0].medical_year, r.claims[1].medical_year), (2023, 2024));
    assert_eq!(r.claims[1].fund, y(1_000));
    assert_eq!(r.years.len(), 2);
    assert_eq!(r.years[0].premiums, y(528));
}

#[test]
fn x5_premiums_and_insurer_result() {
    let claims = vec![Claim { person: "p", date: d(2023, 8, 1), eligible_cost: y(153_000) }];
    let r = split_claims(&xiamen(), 1_000, &claims).unwrap();
    assert_eq!(r.years[0].premiums, y(52_800));
    assert_eq!(r.years[0].claims_paid, y(90_000));
    assert_eq!(r.years[0].insurer_result, y(-37_200));
}

#[test]
fn same_date_claims_apply_in_input_order() {
    let claims = vec![
        Claim { person: "p", date: d(2023, 8, 1), eligible_cost: y(50_000) },
        Claim { person: "p", date: d(2023, 8, 1), eligible_cost: y(10_000) },
    ];
    let r = split_claims(&xiamen(), 0, &claims).unwrap();
    assert_eq!(r.claims[0].fund, y(50_000));
    assert_eq!(r.claims[1].fund, y(3_000));
}

#[test]
fn bad_claims_and_schedules_are_errors() {
    let neg = vec![Claim { person: "p", date: d(2023, 8, 1), eligible_cost: y(-1) }];
    assert!(matches!(split_claims(&xiamen(), 0, &neg), Err(InsurerError::NegativeAmount { .. })));
    let mut p = xiamen();
    p.insurer_cap = y(-1);
    assert!(matches!(split_claims(&p, 0, &neg), Err(InsurerError::InvalidPolicy { .. })));
    let no_bands = BandedSchedule::new(vec![], &[], Default::default());
    assert!(matches!(no_bands, Err(InsurerError::InvalidSchedule { .. })));
    let bands = vec![
        Band { from: y(0), payer: Payer::Fund, rate: medfund_core::Share::ONE },
        Band { from: y(0), payer: Payer::Insurer, rate: medfund_core::Share::ONE },
    ];
    assert!(BandedSchedule::new(bands, &[], Default::default()).is_err());
    let late_start = vec![Band { from: y(5), payer: Payer::Fund, rate: medfund_core::Share::ONE }];
    assert!(BandedSchedule::new(late_start, &[], Default::default()).is_err());
}

#[test]
fn banded_schedule_serves_a_hardship_subsidy() {
    // X6 shape: 50 % of out-of-pocket in (7 % W, 20 % W], 70 % above, at most 8,000.
    let w = 100_000; // previous year's average wage
    let bands = vec![
        Band { from: y(0), payer: Payer::Subsidy, rate: medfund_core::Share::ZERO },
        Band { from: y(w * 7 / 100), payer: Payer::Subsidy, rate: medfund_core::Share::percent(50).unwrap() },
        Band { from: y(w * 20 / 100), payer: Payer::Subsidy, rate: medfund_core::Share::percent(70).unwrap() },
    ];
    let s = BandedSchedule::new(bands, &[(Payer::Subsidy, y(8_000))], Default::default()).unwrap();
    let r = s.split_total(y(25_000)).unwrap();
    assert_eq!(r.subsidy, y(8_000)); // 6,500 + 3,500 = 10,000 → cap
    assert_eq!(r.person, y(17_000));
    let r = s.split_total(y(10_000)).unwrap();
    assert_eq!(r.subsidy, y(1_500));
}
