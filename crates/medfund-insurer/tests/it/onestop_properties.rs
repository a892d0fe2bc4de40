//! Invariants of the one-stop settlement over random persons and claims.
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

use std::collections::HashMap;

use medfund_core::{Money, NaiveDate, Trace};
use medfund_insurer::*;
use proptest::prelude::*;

fn y(n: i64) -> Money {
    Money::from_yuan(n).unwrap()
}

fn policy(order: SubsidyOrder, per: DeductiblePer) -> SubsidyPolicy {
    let mut p = xiamen_2007_subsidies().unwrap().params().clone();
    p.average_wages = (2022..=2025).map(|medical_year| AverageWage { medical_year, wage: y(90_000) }).collect();
    p.migrant_limits = Some(vec![
        MigrantLimit { from_months: 0, limit: y(40_000) },
        MigrantLimit { from_months: 12, limit: y(120_000) },
    ]);
    p.order = order;
    p.migrant_deductible_per = per;
    p
}

fn person() -> impl Strategy<Value = Person> {
    (0..5_u8, 0..3_u8, 3_000..6_000_i64, 0..36_u32).prop_map(|(s, h, pension, months)| {
        let status =
            [Status::Employee, Status::Retired, Status::CivilServant, Status::RetiredCivilServant, Status::Migrant]
                [s as usize];
        let mut p = Person::new(status).with_monthly_pension(y(pension)).with_contribution_months(months);
        let retired = matches!(status, Status::Retired | Status::RetiredCivilServant);
        match h {
            1 if status != Status::Migrant => p = p.with_hardship(Hardship::SubsistenceAllowance),
            2 if retired => p = p.with_hardship(Hardship::LowPension),
            _ => {}
        }
        p
    })
}

fn claims() -> impl Strategy<Value = Vec<Claim<u8>>> {
    prop::collection::vec(
        (0..6_u8, 0..1_000_u32, 0..40_000_000_i64).prop_map(|(person, day, fen)| Claim {
            person,
            date: NaiveDate::from_ymd_opt(2022, 7, 1).unwrap() + chrono::Days::new(u64::from(day)),
            eligible_cost: Money::from_fen(fen),
        }),
        0..60,
    )
}

fn settings() -> impl Strategy<Value = (SubsidyOrder, DeductiblePer)> {
    (any::<bool>(), any::<bool>()).prop_map(|(o, d)| {
        (
            if o { SubsidyOrder::CivilServantFirst } else { SubsidyOrder::HardshipFirst },
            if d { DeductiblePer::MedicalYear } else { DeductiblePer::Admission },
        )
    })
}

fn settle(p: &SubsidyPolicy, persons: &[(u8, Person)], claims: &[Claim<u8>]) -> OneStopResult<u8> {
    settle_one_stop(xiamen_2007().unwrap().params(), p, 100, persons, claims, &mut Trace::off()).unwrap()
}

fn parts(c: &SettledClaim) -> [Money; 6] {
    [c.fund, c.insurer, c.civil_servant, c.civil_servant_above_max, c.hardship, c.person_pays]
}

proptest! {
    /// Rule: 厦门市基本医疗保险实践（2007） 二、国家公务员医疗补助
    /// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
    #[test]
    fn prop_parts_sum_to_the_cost_and_no_subsidy_exceeds_the_out_of_pocket_it_reduces(
        people in prop::collection::vec(person(), 6), cs in claims(), (order, per) in settings()
    ) {
        let persons: Vec<(u8, Person)> = people.into_iter().zip(0_u8..).map(|(p, i)| (i, p)).collect();
        let r = settle(&policy(order, per), &persons, &cs);
        for (c, s) in cs.iter().zip(&r.claims) {
            let sum = parts(s).iter().try_fold(Money::ZERO, |a, &b| a.checked_add(b)).unwrap();
            prop_assert_eq!(sum, c.eligible_cost);
            prop_assert!(parts(s).iter().all(|m| !m.is_negative()), "{:?}", s);
            // The subsidies together never exceed what fund and insurer left to the person.
            let left = c.eligible_cost.checked_sub(s.fund).unwrap().checked_sub(s.insurer).unwrap();
            let subsidies = s.civil_servant.checked_add(s.civil_servant_above_max).unwrap().checked_add(s.hardship).unwrap();
            prop_assert!(subsidies <= left);
        }
    }

    #[test]
    fn prop_caps_per_person_year_are_never_exceeded(
        people in prop::collection::vec(person(), 6), cs in claims(), (order, per) in settings()
    ) {
        let persons: Vec<(u8, Person)> = people.iter().copied().zip(0_u8..).map(|(p, i)| (i, p)).collect();
        let r = settle(&policy(order, per), &persons, &cs);
        for py in &r.person_years {
            let t = &py.totals;
            prop_assert!(t.hardship <= y(8_000));
            prop_assert!(t.civil_servant_above_max <= y(100_000));
            prop_assert!(t.insurer <= y(150_000));
            if py.status == Status::Migrant {
                let limit = if people[py.person as usize].contribution_months.unwrap() >= 12 { 120_000 } else { 40_000 };
                prop_assert!(t.fund <= y(limit));
                prop_assert_eq!(t.insurer, Money::ZERO);
            } else {
                prop_assert!(t.fund <= y(53_000));
            }
        }
        // Person-years and medical years add up to the claims.
        let claimed = Money::checked_sum(cs.iter().map(|c| c.eligible_cost)).unwrap();
        let by_years = Money::checked_sum(r.years.iter().map(|(_, t)| t.eligible_cost)).unwrap();
        let by_persons = Money::checked_sum(r.person_years.iter().map(|p| p.totals.eligible_cost)).unwrap();
        prop_assert_eq!(claimed, by_years);
        prop_assert_eq!(claimed, by_persons);
    }

    /// With the default order (the hardship subsidy last). Hardship first is
    /// attributed claim by claim and is not bound so (see `SubsidyOrder`).
    #[test]
    fn prop_claim_by_claim_equals_the_total_within_five_fen_per_claim(
        p in person(), costs in prop::collection::vec(0..30_000_000_i64, 1..20)
    ) {
        // The per-admission deductible is meant to differ claim by claim: a year's deductible only.
        let policy = policy(SubsidyOrder::CivilServantFirst, DeductiblePer::MedicalYear);
        let date = NaiveDate::from_ymd_opt(2023, 8, 1).unwrap();
        let claims: Vec<Claim<u8>> = costs.iter().map(|&f| Claim { person: 0, date, eligible_cost: Money::from_fen(f) }).collect();
        let whole = [Claim { person: 0, date, eligible_cost: Money::from_fen(costs.iter().sum()) }];
        let r = settle(&policy, &[(0, p)], &claims);
        let t = settle(&policy, &[(0, p)], &whole);
        let bound = 5 * costs.len() as i64;
        let summed: Vec<i64> = (0..6).map(|k| r.claims.iter().map(|c| parts(c)[k].fen()).sum()).collect();
        for (k, part) in parts(&t.claims[0]).iter().enumerate() {
            prop_assert!((summed[k] - part.fen()).abs() <= bound, "part {k}: {} vs {}", summed[k], part.fen());
        }
    }

    #[test]
    fn prop_order_of_other_persons_claims_never_changes_a_result(
        people in prop::collection::vec(person(), 6), cs in claims(), seed in any::<u64>()
    ) {
        let persons: Vec<(u8, Person)> = people.into_iter().zip(0_u8..).map(|(p, i)| (i, p)).collect();
        let policy = policy(SubsidyOrder::CivilServantFirst, DeductiblePer::MedicalYear);
        let r = settle(&policy, &persons, &cs);
        let mut indexed: Vec<(usize, &Claim<u8>)> = cs.iter().enumerate().collect();
        indexed.sort_by_key(|(_, c)| (u64::from(c.person) ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let shuffled: Vec<Claim<u8>> = indexed.iter().map(|(_, c)| (*c).clone()).collect();
        let r2 = settle(&policy, &persons, &shuffled);
        for (k, (i, _)) in indexed.iter().enumerate() {
            prop_assert_eq!(r.claims[*i], r2.claims[k]);
        }
        let totals = |r: &OneStopResult<u8>| r.person_years.iter().map(|p| ((p.person, p.medical_year), p.totals)).collect::<HashMap<_, _>>();
        prop_assert_eq!(totals(&r), totals(&r2));
        prop_assert_eq!(&r.years, &r2.years);
    }

    /// The traced settlement takes the checked path, the untraced one the
    /// division-free one: the same figures.
    #[test]
    fn prop_the_division_free_path_equals_the_checked_path(
        people in prop::collection::vec(person(), 6), cs in claims(), (order, per) in settings()
    ) {
        let persons: Vec<(u8, Person)> = people.into_iter().zip(0_u8..).map(|(p, i)| (i, p)).collect();
        let policy = policy(order, per);
        let mut trace = Trace::on();
        let checked = settle_one_stop(xiamen_2007().unwrap().params(), &policy, 100, &persons, &cs, &mut trace).unwrap();
        prop_assert_eq!(checked, settle(&policy, &persons, &cs));
    }

    #[test]
    fn prop_a_reused_result_equals_a_fresh_one(
        people in prop::collection::vec(person(), 6), a in claims(), b in claims()
    ) {
        let persons: Vec<(u8, Person)> = people.into_iter().zip(0_u8..).map(|(p, i)| (i, p)).collect();
        let policy = policy(SubsidyOrder::CivilServantFirst, DeductiblePer::MedicalYear);
        let mut out = settle(&policy, &persons, &a);
        settle_one_stop_into(xiamen_2007().unwrap().params(), &policy, 100, &persons, &b, &mut Trace::off(), &mut out).unwrap();
        prop_assert_eq!(out, settle(&policy, &persons, &b));
    }

    #[test]
    fn prop_persons_not_listed_keep_the_supplementary_split(cs in claims()) {
        let r = settle(&policy(SubsidyOrder::CivilServantFirst, DeductiblePer::MedicalYear), &[], &cs);
        let plain = split_claims(xiamen_2007().unwrap().params(), 100, &cs).unwrap();
        for (a, b) in r.claims.iter().zip(&plain.claims) {
            prop_assert_eq!((a.medical_year, a.fund, a.insurer, a.person_pays), (b.medical_year, b.fund, b.insurer, b.person_pays));
        }
        prop_assert_eq!(r.insurer_years, plain.years);
    }
}
