//! Property tests of the contribution rules' invariants.
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

use medfund_contrib::*;
use medfund_core::{Money, NaiveDate, Rounding, Share, Trace};
use proptest::prelude::*;

fn money(max_yuan: i64) -> impl Strategy<Value = Money> {
    (0..=max_yuan * 100).prop_map(Money::from_fen)
}

fn share() -> impl Strategy<Value = Share> {
    (0_i64..=10_000)
        .prop_map(|bp| Share::new(medfund_core::Rate::from_decimal(medfund_core::Decimal::new(bp, 4))).unwrap())
}

fn rule() -> impl Strategy<Value = BaseRule> {
    prop_oneof![
        6 => Just(BaseRule::Wage),
        1 => Just(BaseRule::AverageWage),
        1 => Just(BaseRule::Reemployment),
        1 => Just(BaseRule::Retired),
    ]
}

fn policy() -> impl Strategy<Value = EmployeePolicy> {
    (share(), share(), [share(), share(), share()], share(), 0_usize..6).prop_map(
        |(personal, employer, bands, retiree, r)| {
            let mut p = EmployeePolicy::city_template();
            p.personal_rate = personal;
            p.employer_rate = Some(employer);
            for (band, s) in p.account_bands.iter_mut().zip(bands) {
                band.employer_share = Some(s);
            }
            p.retiree_account_rate = Some(retiree);
            p.rounding = [
                Rounding::HalfAwayFromZero,
                Rounding::HalfEven,
                Rounding::TowardZero,
                Rounding::AwayFromZero,
                Rounding::Floor,
                Rounding::Ceiling,
            ][r];
            p
        },
    )
}

fn employees() -> impl Strategy<Value = Vec<Employee>> {
    prop::collection::vec((rule(), money(1_000_000), 1930_i32..2006, money(200_000)), 0..60).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (base_rule, wage, birth_year, pension))| Employee {
                id: format!("e{i}"),
                base_rule,
                wage,
                birth_year,
                pension: if base_rule == BaseRule::Retired { pension } else { Money::ZERO },
            })
            .collect()
    })
}

fn register(es: &[Employee]) -> (Vec<BaseRule>, Vec<Money>, Vec<i32>, Vec<Money>) {
    (
        es.iter().map(|e| e.base_rule).collect(),
        es.iter().map(|e| e.wage).collect(),
        es.iter().map(|e| e.birth_year).collect(),
        es.iter().map(|e| e.pension).collect(),
    )
}

proptest! {
    /// Rule: 县级城镇居民基本医疗保险实施方案（模板） C1 筹资标准
    #[test]
    fn prop_persons_and_levels_pay_the_per_capita_amount_times_persons(
        counts in prop::collection::vec((0_usize..4, 0_u64..5_000_000), 0..12),
        qingdao in any::<bool>(),
    ) {
        let table = if qingdao { qingdao_2012().unwrap() } else { county_template_financing().unwrap() };
        let heads: Vec<Headcount> = counts
            .iter()
            .map(|&(c, persons)| Headcount { category: table.params().categories[c].id.clone(), persons })
            .collect();
        let t = finance_residents(&table, &heads, &mut Trace::off()).unwrap();
        for (c, h) in t.categories.iter().zip(&heads) {
            let levels = Money::checked_sum(c.by_level.iter().map(|s| s.amount)).unwrap();
            prop_assert_eq!(c.paid_by_persons.checked_add(levels).unwrap(), c.total);
            let per_capita = table.params().categories.iter().find(|k| k.id == h.category).unwrap().per_capita;
            prop_assert_eq!(c.total, per_capita.checked_mul_int(h.persons as i64).unwrap());
        }
        let levels = Money::checked_sum(t.by_level.iter().map(|s| s.amount)).unwrap();
        prop_assert_eq!(t.paid_by_persons.checked_add(levels).unwrap(), t.total);
    }

    /// Rule: 市级城镇职工基本医疗保险实施方案（模板） C3 缴费基数
    #[test]
    fn prop_a_wage_base_is_always_within_60_and_300_percent_of_w(es in employees(), w in money(300_000)) {
        let c = contribute(&EmployeePolicy::city_template(), w, 2024, &es, Figures::Personal, &mut Trace::off()).unwrap();
        let floor = w.mul_rate("60%".parse().unwrap(), Rounding::HalfAwayFromZero).unwrap();
        let ceiling = w.mul_rate("300%".parse().unwrap(), Rounding::HalfAwayFromZero).unwrap();
        for (e, c) in es.iter().zip(&c) {
            if e.base_rule == BaseRule::Wage {
                prop_assert!(floor <= c.base && c.base <= ceiling);
            }
        }
    }

    /// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第二十一条
    /// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第二十二条
    #[test]
    fn prop_account_and_pool_together_are_the_whole_contribution(es in employees(), p in policy(), w in money(300_000)) {
        let c = contribute(&p, w, 2024, &es, Figures::All, &mut Trace::off()).unwrap();
        for (e, c) in es.iter().zip(&c) {
            if e.base_rule == BaseRule::Retired {
                prop_assert_eq!((c.personal, c.employer, c.to_pool), (Money::ZERO, Money::ZERO, Money::ZERO));
            } else {
                prop_assert_eq!(c.to_account.checked_add(c.to_pool).unwrap(), c.personal.checked_add(c.employer).unwrap());
                prop_assert!(!c.to_pool.is_negative() && c.to_account >= c.personal);
            }
        }
    }

    /// Rule: 市级城镇职工基本医疗保险实施方案（模板） C2 个人缴费
    #[test]
    fn prop_the_register_kernel_equals_the_employee_by_employee_rule(
        es in employees(),
        p in policy(),
        w in money(300_000),
        all in any::<bool>(),
    ) {
        let figures = if all { Figures::All } else { Figures::Personal };
        let one = contribute(&p, w, 2024, &es, figures, &mut Trace::off()).unwrap();
        let (rules, wages, births, pensions) = register(&es);
        let columns = contribute_register(&p, w, 2024, Register { base_rules: &rules, wages: &wages, birth_years: &births, pensions: &pensions }, figures).unwrap();
        for (i, c) in one.iter().enumerate() {
            prop_assert_eq!(columns.row(i).unwrap(), *c);
        }
    }

    /// Rule: 中华人民共和国社会保险法 第八十六条
    #[test]
    fn prop_late_fee_is_zero_on_time_and_never_falls_with_more_days(
        amount in money(1_000_000),
        due_day in 0_i64..9_000,
        late in -30_i64..400,
        more in 0_i64..400,
    ) {
        let h = late_fee_history().unwrap();
        let base = NaiveDate::from_ymd_opt(2000, 1, 10).unwrap();
        let due = base + chrono::Days::new(due_day as u64);
        let at = |days: i64| if days >= 0 { due + chrono::Days::new(days as u64) } else { due - chrono::Days::new((-days) as u64) };
        let fee = |days: i64| {
            let a = Arrear { amount, due, paid_on: Some(at(days)) };
            late_fees(&h, &[a], at(days), DayCount::default(), Rounding::HalfAwayFromZero, &mut Trace::off()).unwrap().remove(0)
        };
        let f = fee(late);
        if late <= 0 {
            prop_assert_eq!((f.days, f.fee), (0, Money::ZERO));
        } else {
            prop_assert_eq!(f.days, late);
        }
        prop_assert!(fee(late + more).fee >= f.fee);
    }
}

proptest! {
    /// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第十七条
    #[test]
    fn prop_a_suspension_never_makes_the_pool_pay_more_and_the_parts_make_the_claim(
        dues in prop::collection::vec((0_u64..700, prop::option::of(0_u64..200)), 0..6),
        claims in prop::collection::vec((0_u8..4, 0_u64..900, money(20_000)), 0..40),
        per_day in any::<bool>(),
    ) {
        let base = NaiveDate::from_ymd_opt(2023, 1, 10).unwrap();
        let payments: Vec<UnitPayment> = dues
            .iter()
            .map(|&(due, late)| UnitPayment { due: base + chrono::Days::new(due), paid_on: late.map(|l| base + chrono::Days::new(due + l)) })
            .collect();
        let claims: Vec<MemberClaim> = claims
            .iter()
            .map(|&(p, day, amount)| MemberClaim { person: format!("p{p}"), date: base + chrono::Days::new(day), pool_share: amount })
            .collect();
        let policy = SuspensionPolicy { basis: if per_day { OneOffBasis::PerDay } else { OneOffBasis::PerClaim }, ..SuspensionPolicy::default() };
        let with = settle_suspended(&policy, &payments, &claims, &mut Trace::off()).unwrap();
        let without = settle_suspended(&policy, &[], &claims, &mut Trace::off()).unwrap();
        for ((c, w), n) in claims.iter().zip(&with).zip(&without) {
            prop_assert!(w.pool_pays <= n.pool_pays);
            prop_assert_eq!(n.pool_pays, c.pool_share);
            let sum = w.pool_pays.checked_add(w.unit_bears).unwrap().checked_add(w.refused).unwrap();
            prop_assert_eq!(sum, c.pool_share);
        }
    }
}

/// The register kernel refuses what the rule refuses, at the same row.
#[test]
fn the_register_reports_the_first_bad_row_as_the_rule_does() {
    let p = EmployeePolicy::city_template();
    let wages = [Money::from_fen(100), Money::from_fen(-1)];
    let r = Register {
        base_rules: &[BaseRule::Wage; 2],
        wages: &wages,
        birth_years: &[1990, 1990],
        pensions: &[Money::ZERO; 2],
    };
    let err = contribute_register(&p, Money::from_fen(1_000_000), 2024, r, Figures::Personal).unwrap_err();
    assert!(matches!(err, ContribError::InvalidInput { index: 1, field: "wage", .. }), "{err}");
    let short = Register {
        base_rules: &[BaseRule::Wage],
        wages: &wages,
        birth_years: &[1990, 1990],
        pensions: &[Money::ZERO; 2],
    };
    assert!(contribute_register(&p, Money::from_fen(1_000_000), 2024, short, Figures::Personal).is_err());
}
