//! Golden cases from the sources, one per rule, each naming its source.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use medfund_contrib::*;
use medfund_core::{Money, NaiveDate, Rounding, Share, Trace};

fn y(s: &str) -> Money {
    s.parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn heads(rows: &[(&str, u64)]) -> Vec<Headcount> {
    rows.iter().map(|&(c, persons)| Headcount { category: c.into(), persons }).collect()
}

/// Rule: 县级城镇居民基本医疗保险实施方案（模板） C1 筹资标准
#[test]
fn county_template_splits_each_category_between_person_and_levels() {
    let table = county_template_financing().unwrap();
    let t = finance_residents(
        &table,
        &heads(&[
            ("students-children", 1),
            ("other-residents", 1),
            ("hardship-residents", 1),
            ("hardship-students-children", 1),
        ]),
        &mut Trace::off(),
    )
    .unwrap();
    let by = |c: &CategoryTotal| c.by_level.iter().map(|s| (s.level, s.amount.to_string())).collect::<Vec<_>>();
    assert_eq!(t.categories[0].paid_by_persons, y("20"));
    assert_eq!(by(&t.categories[0]), [(Level::Central, "20.00".into()), (Level::Provincial, "20.00".into())]);
    assert_eq!(t.categories[1].paid_by_persons, y("120"));
    assert_eq!(t.categories[2].paid_by_persons, y("60"));
    assert_eq!(
        by(&t.categories[2]),
        [(Level::Central, "50.00".into()), (Level::Provincial, "20.00".into()), (Level::Local, "30.00".into())]
    );
    assert_eq!(t.categories[3].paid_by_persons, y("10"));
    assert_eq!(
        by(&t.categories[3]),
        [(Level::Central, "25.00".into()), (Level::Provincial, "20.00".into()), (Level::Local, "5.00".into())]
    );
    assert_eq!(t.total, y("440"));
}

/// Rule: 青岛市城镇居民基本医疗保险实践（2012） 筹资标准
#[test]
fn qingdao_finance_pays_the_personal_part_of_hardship_families() {
    let table = qingdao_2012().unwrap();
    let t = finance_residents(
        &table,
        &heads(&[("elderly-urban-hukou", 10), ("other-non-working-hardship", 10)]),
        &mut Trace::off(),
    )
    .unwrap();
    assert_eq!(t.categories[0].paid_by_persons, y("3000"));
    assert_eq!(t.categories[0].by_level[0].amount, y("6000"));
    assert_eq!(t.categories[1].paid_by_persons, Money::ZERO);
    assert_eq!(t.categories[1].by_level[0].amount, y("9000")); // 720 + 180 per person, all finance
    let err = finance_residents(&table, &heads(&[("students", 1)]), &mut Trace::off()).unwrap_err();
    assert!(matches!(err, ContribError::UnknownCategory { index: 0, .. }), "{err}");
}

fn policy(employer: i64, shares: [i64; 3]) -> EmployeePolicy {
    let mut p = EmployeePolicy::city_template();
    p.employer_rate = Some(Share::percent(employer).unwrap());
    for (band, share) in p.account_bands.iter_mut().zip(shares) {
        band.employer_share = Some(Share::percent(share).unwrap());
    }
    p.retiree_account_rate = Some(Share::percent(4).unwrap());
    p
}

fn employee(rule: BaseRule, wage: &str, birth_year: i32) -> Employee {
    Employee { id: "e".into(), base_rule: rule, wage: y(wage), birth_year, pension: Money::ZERO }
}

/// Rule: 市级城镇职工基本医疗保险实施方案（模板） C2 个人缴费
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） C3 缴费基数
#[test]
fn personal_two_percent_of_the_wage_clamped_to_60_and_300_percent_of_w() {
    let w = y("50000");
    let es = [
        employee(BaseRule::Wage, "20000", 1990),
        employee(BaseRule::Wage, "80000", 1990),
        employee(BaseRule::Wage, "200000", 1990),
    ];
    let c = contribute(&EmployeePolicy::city_template(), w, 2024, &es, Figures::Personal, &mut Trace::off()).unwrap();
    assert_eq!((c[0].base, c[0].personal), (y("30000"), y("600")));
    assert_eq!((c[1].base, c[1].personal), (y("80000"), y("1600")));
    assert_eq!((c[2].base, c[2].personal), (y("150000"), y("3000")));
    // Employer figures need the rate the template leaves blank.
    let err = contribute(&EmployeePolicy::city_template(), w, 2024, &es, Figures::All, &mut Trace::off()).unwrap_err();
    assert!(matches!(err, ContribError::MissingParameter { field: "employer_rate", .. }), "{err}");
}

/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第八条
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第九条
#[test]
fn employer_types_and_reemployment_centres_have_their_own_base() {
    let w = y("50000");
    let es = [employee(BaseRule::AverageWage, "10000", 1980), employee(BaseRule::Reemployment, "0", 1980)];
    let c = contribute(&policy(6, [30, 30, 30]), w, 2024, &es, Figures::All, &mut Trace::off()).unwrap();
    assert_eq!(c[0].base, w);
    assert_eq!(c[1].base, y("30000"));
    // At the sum of both rates: 2 % + 6 % of 30,000.
    assert_eq!(c[1].personal.checked_add(c[1].employer).unwrap(), y("2400"));
}

/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第二十一条
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第二十二条
#[test]
fn the_account_takes_the_personal_part_and_an_age_band_share_of_the_employers() {
    let w = y("50000");
    // Ages on 2023-12-31: 30 (band 1), 31 (band 2), 46 (band 3).
    let es = [
        employee(BaseRule::Wage, "50000", 1993),
        employee(BaseRule::Wage, "50000", 1992),
        employee(BaseRule::Wage, "50000", 1977),
    ];
    let c = contribute(&policy(6, [20, 30, 40]), w, 2024, &es, Figures::All, &mut Trace::off()).unwrap();
    let account = |i: usize| c[i].to_account.to_string();
    assert_eq!((account(0), account(1), account(2)), ("1600.00".into(), "1900.00".into(), "2200.00".into()));
    assert_eq!(c[0].to_pool, y("2400"));
    let mut retiree = employee(BaseRule::Retired, "0", 1950);
    retiree.pension = y("30000");
    let r = contribute(&policy(6, [20, 30, 40]), w, 2024, &[retiree], Figures::All, &mut Trace::off()).unwrap();
    // 4 % of max(pension, W): the average wage is the floor of the base.
    assert_eq!((r[0].personal, r[0].employer, r[0].to_account), (Money::ZERO, Money::ZERO, y("2000")));
}

/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第十五条
#[test]
fn contributions_fall_due_by_the_tenth_and_the_first_payment_covers_three_months() {
    let s = schedule(d("2024-01-20"), 5, 3, Frequency::Monthly, 10, &mut Trace::off()).unwrap();
    let dues: Vec<(String, u32)> = s.iter().map(|p| (p.due.to_string(), p.months)).collect();
    assert_eq!(dues, [("2024-01-10".into(), 3), ("2024-04-10".into(), 1), ("2024-05-10".into(), 1)]);
}

/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第十六条
/// Rule: 中华人民共和国社会保险法 第八十六条
#[test]
fn late_fee_is_two_per_mille_a_day_before_the_law_and_half_a_per_mille_after() {
    let h = late_fee_history().unwrap();
    let fee = |due: &str, paid: &str, count: DayCount| {
        let a = Arrear { amount: y("10000"), due: d(due), paid_on: Some(d(paid)) };
        late_fees(&h, &[a], d("2030-01-01"), count, Rounding::HalfAwayFromZero, &mut Trace::off()).unwrap().remove(0)
    };
    let f = fee("2010-03-10", "2010-03-20", DayCount::default());
    assert_eq!((f.days, f.fee), (10, y("200"))); // 10 days × 2‰ × 10,000
    let f = fee("2012-03-10", "2012-03-20", DayCount::default());
    assert_eq!((f.days, f.fee), (10, y("50"))); // 10 days × 0.05 %
    assert_eq!(fee("2012-03-10", "2012-03-20", DayCount::DueThroughPayment).days, 11);
    assert_eq!(fee("2012-03-10", "2012-03-20", DayCount::AfterDueBeforePayment).days, 9);
    assert_eq!(fee("2012-03-10", "2012-03-10", DayCount::DueThroughPayment).fee, Money::ZERO);
    let unpaid = Arrear { amount: y("1000"), due: d("2024-01-10"), paid_on: None };
    let f =
        late_fees(&h, &[unpaid], d("2024-01-30"), DayCount::default(), Rounding::default(), &mut Trace::off()).unwrap();
    assert_eq!((f[0].days, f[0].fee), (20, y("10")));
}

/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第十七条
#[test]
fn a_unit_in_arrears_bears_the_suspension_and_after_back_payment_the_pool_pays_at_most_3000() {
    let payments = [
        UnitPayment { due: d("2024-01-10"), paid_on: Some(d("2024-01-25")) }, // late within its month: no suspension
        UnitPayment { due: d("2024-02-10"), paid_on: Some(d("2024-04-15")) }, // suspended 03-01 to 04-14
    ];
    let claim = |date: &str, amount: &str| MemberClaim { person: "p".into(), date: d(date), pool_share: y(amount) };
    let claims = [
        claim("2024-02-20", "4000"),
        claim("2024-03-01", "4000"),
        claim("2024-04-14", "100"),
        claim("2024-04-15", "4000"),
        claim("2024-12-31", "2500"),
        claim("2025-01-02", "9000"), // the next fund year: no limit
    ];
    let r = settle_suspended(&SuspensionPolicy::default(), &payments, &claims, &mut Trace::off()).unwrap();
    let parts: Vec<(String, String, String)> =
        r.iter().map(|o| (o.pool_pays.to_string(), o.unit_bears.to_string(), o.refused.to_string())).collect();
    let p = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        parts,
        [
            p("4000.00", "0.00", "0.00"),
            p("0.00", "4000.00", "0.00"),
            p("0.00", "100.00", "0.00"),
            p("3000.00", "0.00", "1000.00"),
            p("2500.00", "0.00", "0.00"),
            p("9000.00", "0.00", "0.00"),
        ]
    );
    // Per day of care: two claims of one day share the 3,000.
    let per_day = SuspensionPolicy { basis: OneOffBasis::PerDay, ..SuspensionPolicy::default() };
    let same_day = [claim("2024-05-01", "2000"), claim("2024-05-01", "2000")];
    let r = settle_suspended(&per_day, &payments, &same_day, &mut Trace::off()).unwrap();
    assert_eq!((r[0].pool_pays, r[1].pool_pays, r[1].refused), (y("2000"), y("1000"), y("1000")));
    // Never paid: suspended from the month after to the end.
    let unpaid = [UnitPayment { due: d("2024-06-10"), paid_on: None }];
    let r = settle_suspended(&SuspensionPolicy::default(), &unpaid, &[claim("2030-01-01", "10")], &mut Trace::off())
        .unwrap();
    assert_eq!(r[0].unit_bears, y("10"));
}

/// Rule: 厦门市基本医疗保险实践（2007） 一
#[test]
fn xiamen_categories_have_their_bases_rates_and_waiting_periods() {
    let policy = XiamenContributionPolicy::xiamen_2007();
    let member = |category, benefit, enrolled: &str, last_break: Option<(&str, &str)>| XiamenMember {
        id: "m".into(),
        category,
        on_unemployment_benefit: benefit,
        first_enrolled: d(enrolled),
        last_break: last_break.map(|(a, b)| (d(a), d(b))),
    };
    let ms = [
        member(XiamenCategory::LocalEmployee, false, "2006-01-15", None),
        member(XiamenCategory::SelfEmployed, false, "2006-01-15", None),
        member(XiamenCategory::Unemployed, true, "2005-01-01", Some(("2006-02-01", "2006-05-02"))),
        member(XiamenCategory::Unemployed, false, "2005-01-01", Some(("2006-02-01", "2006-05-01"))),
    ];
    let c = xiamen_contributions(&policy, y("20000"), &ms, &mut Trace::off()).unwrap();
    assert_eq!((c[0].base, c[0].employer, c[0].personal), (y("20000"), y("1600"), y("400")));
    assert_eq!(c[0].pooled_benefits_from, d("2006-01-15"));
    assert_eq!((c[1].employer, c[1].personal, c[1].pooled_benefits_from), (Money::ZERO, y("2000"), d("2006-07-15")));
    // On benefit: base 60 % of W; a break of more than 3 months restarts the wait.
    assert_eq!((c[2].base, c[2].personal, c[2].pooled_benefits_from), (y("12000"), y("1200"), d("2006-11-02")));
    // A break of exactly 3 months does not.
    assert_eq!(c[3].pooled_benefits_from, d("2005-07-01"));
}

/// Rule: 厦门市基本医疗保险实践（2007） 三
#[test]
fn retiring_after_july_1998_short_of_30_or_25_years_pays_the_missing_years_at_both_rates() {
    let policy = XiamenContributionPolicy::xiamen_2007();
    let r = |sex, on: &str, months| Retirement { id: "r".into(), sex, retired_on: d(on), contribution_months: months };
    let m = missing_years(
        &policy,
        y("24000"),
        &[
            r(Sex::Male, "1998-07-01", 29 * 12 + 11),
            r(Sex::Male, "1998-06-30", 10 * 12),
            r(Sex::Female, "2005-01-01", 26 * 12),
        ],
        &mut Trace::off(),
    )
    .unwrap();
    assert_eq!((m[0].missing_months, m[0].payment), (1, y("200"))); // 10 % × 24,000 ÷ 12
    assert_eq!((m[1].missing_months, m[1].payment), (0, Money::ZERO)); // before the rule
    assert_eq!((m[2].missing_months, m[2].payment), (0, Money::ZERO));
}
