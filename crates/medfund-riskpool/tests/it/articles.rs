//! Table tests, one or more per article of 阿署办发〔2020〕30号.
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

use medfund_core::{Money, NaiveDate, Share, Trace};
use medfund_riskpool::*;

/// Test-only arithmetic (Money has no panicking operators).
trait Arith {
    fn add(self, o: Money) -> Money;
}
impl Arith for Money {
    fn add(self, o: Money) -> Money {
        self.checked_add(o).unwrap()
    }
}

fn m(s: &str) -> Money {
    s.parse().unwrap()
}

fn unit(id: &str, revenue: &str, expenditure: &str, surplus: &str) -> Unit {
    Unit {
        id: id.into(),
        name: None,
        revenue: m(revenue),
        expenditure: m(expenditure),
        rolling_surplus: m(surplus),
        league_fiscal_share: None,
    }
}

fn policy() -> RiskPoolPolicy {
    alxa_2020().unwrap().params().clone()
}

fn run(policy: &RiskPoolPolicy, opening: &str, units: Vec<Unit>) -> SchemeYear {
    compute_scheme(
        policy,
        &SchemeInput { scheme: Scheme::Employee, opening_balance: m(opening), units },
        &mut Trace::off(),
    )
    .unwrap()
}

/// Rule: 阿署办发〔2020〕30号 第十五条
#[test]
fn art15_levy_is_ten_percent_of_current_revenue() {
    let y = run(&policy(), "0", vec![unit("a", "1000", "0", "0"), unit("b", "234.56", "0", "0")]);
    assert_eq!(y.totals.revenue_base, m("1234.56"));
    assert_eq!(y.totals.cap, m("1234.56"));
    assert_eq!(y.totals.levy, m("123.46")); // 123.456 → 四舍五入
    assert_eq!(y.outcomes[0].levy_charge.add(y.outcomes[1].levy_charge), y.totals.levy);
}

#[test]
fn art15_cap_reached_mid_levy_cuts_levy_to_the_cap() {
    let y = run(&policy(), "950", vec![unit("a", "1000", "0", "0")]);
    assert_eq!(y.totals.levy, m("50"));
    assert_eq!(y.totals.closing_balance, m("1000"));
}

#[test]
fn art15_no_levy_once_balance_is_above_the_cap() {
    let y = run(&policy(), "1500", vec![unit("a", "1000", "900", "0")]);
    assert_eq!(y.totals.levy, Money::ZERO);
    assert_eq!(y.outcomes[0].levy_charge, Money::ZERO);
    assert_eq!(y.totals.closing_balance, m("1500"));
}

/// Rule: 阿署办发〔2020〕30号 第十六条
/// Rule: 阿署办发〔2020〕30号 第七条 (separate books per unit and scheme)
#[test]
fn art16_resident_ledger_is_separate() {
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let employee =
        SchemeInput { scheme: Scheme::Employee, opening_balance: m("0"), units: vec![unit("a", "1000", "2000", "0")] };
    let resident =
        SchemeInput { scheme: Scheme::Resident, opening_balance: m("10000"), units: vec![unit("a", "1000", "0", "0")] };
    let year = compute_year(&history, 2021, &[employee, resident], &mut Trace::off()).unwrap();
    // The resident fund's balance never covers the employee gap.
    assert_eq!(year.schemes[0].outcomes[0].from_risk_fund, m("100"));
    assert_eq!(year.schemes[0].outcomes[0].unresolved, m("1000"));
    assert_eq!(year.schemes[1].totals.levy, Money::ZERO);
    assert_eq!(year.schemes[1].totals.closing_balance, m("10000"));
}

/// Rule: 阿署办发〔2020〕30号 第十七条
/// Rule: 阿署办发〔2020〕30号 第十七条（一）
/// Rule: 阿署办发〔2020〕30号 第十七条（二）
/// Rule: 阿署办发〔2020〕30号 第十七条（三）
/// Rule: 阿署办发〔2020〕30号 第十七条（四）
/// Rule: 阿署办发〔2020〕30号 第十四条 (the rolling surplus covers first)
#[test]
fn art17_cover_order_own_surplus_then_fund_then_unresolved() {
    let mut p = policy();
    p.default_league_fiscal_share = Some(Share::percent(60).unwrap());
    let y = run(&p, "100", vec![unit("short", "1000", "1500", "200"), unit("rich", "1000", "500", "0")]);
    let o = y.outcomes[0];
    assert_eq!(o.levy_charge, m("100"));
    assert_eq!(o.gap, m("600"));
    assert_eq!(o.from_own_surplus, m("200"));
    assert_eq!(o.from_risk_fund, m("300")); // fund = 100 + 200 levy
    assert_eq!(o.unresolved, m("100"));
    assert_eq!(o.fiscal_subsidy_league, Some(m("60")));
    assert_eq!(o.fiscal_subsidy_unit, Some(m("40")));
    assert_eq!(o.closing_rolling_surplus, Money::ZERO);
    assert!(y.totals.actuarial_review);
    assert_eq!(y.totals.closing_balance, Money::ZERO);
    // The unit in surplus adds its result to its rolling surplus.
    assert_eq!(y.outcomes[1].closing_rolling_surplus, m("400"));
    assert_eq!(y.outcomes[1].fiscal_subsidy_league, Some(Money::ZERO));
}

#[test]
fn art17_empty_fund_leaves_everything_unresolved() {
    let mut p = policy();
    p.levy_rate = Share::ZERO;
    let y = run(&p, "0", vec![unit("a", "100", "300", "50")]);
    assert_eq!(y.outcomes[0].from_own_surplus, m("50"));
    assert_eq!(y.outcomes[0].from_risk_fund, Money::ZERO);
    assert_eq!(y.outcomes[0].unresolved, m("150"));
    assert_eq!(y.outcomes[0].fiscal_subsidy_league, None);
    assert_eq!(y.outcomes[0].fiscal_subsidy_unit, None);
}

#[test]
fn art17_all_units_in_surplus_draw_nothing() {
    let y = run(&policy(), "5", vec![unit("a", "100", "10", "0"), unit("b", "100", "90", "7")]);
    assert!(y.outcomes.iter().all(|o| o.gap.is_zero() && o.from_risk_fund.is_zero()));
    assert_eq!(y.totals.draws, Money::ZERO);
    assert_eq!(y.totals.closing_balance, m("25"));
    assert!(!y.totals.actuarial_review);
}

#[test]
fn art17_one_unit_in_deficit_beyond_everything() {
    let y = run(&policy(), "1000", vec![unit("sink", "100", "1000000", "10"), unit("ok", "100", "0", "0")]);
    let o = y.outcomes[0];
    assert_eq!(o.from_own_surplus, m("10"));
    assert_eq!(o.from_risk_fund, m("1000")); // the whole fund: the balance is above the cap, so no levy
    assert_eq!(o.gap, o.from_own_surplus.add(o.from_risk_fund).add(o.unresolved));
    assert_eq!(y.totals.closing_balance, Money::ZERO);
}

#[test]
fn art17_rationing_pro_rata_and_in_order() {
    let units = || vec![unit("a", "0", "300", "0"), unit("b", "0", "100", "0")];
    let y = run(&policy(), "200", units());
    assert_eq!((y.outcomes[0].from_risk_fund, y.outcomes[1].from_risk_fund), (m("150"), m("50")));
    let mut p = policy();
    p.rationing = Rationing::InOrder;
    let y = run(&p, "200", units());
    assert_eq!((y.outcomes[0].from_risk_fund, y.outcomes[1].from_risk_fund), (m("200"), m("0")));
}

#[test]
fn art17_pro_rata_rationing_is_fen_exact() {
    let y = run(&policy(), "0.10", vec![unit("a", "0", "1", "0"), unit("b", "0", "1", "0"), unit("c", "0", "1", "0")]);
    let got: Vec<i64> = y.outcomes.iter().map(|o| o.from_risk_fund.fen()).collect();
    assert_eq!(got, vec![4, 3, 3]);
}

#[test]
fn art33_validity_starts_at_issuance() {
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let err = compute_year(&history, 2019, &[], &mut Trace::off()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("2019-12-31") && msg.contains("2020-08-20"), "{msg}");
    assert!(compute_year(&history, 2020, &[], &mut Trace::off()).is_ok());
}

/// Rule: 阿署办发〔2020〕30号 第六条
#[test]
fn art06_remittance_due_on_the_tenth_of_next_month() {
    let d = |y, mo, day| NaiveDate::from_ymd_opt(y, mo, day).unwrap();
    let collections = vec![
        Collection { unit: "a".into(), year: 2023, month: 1, remitted_on: Some(d(2023, 2, 10)) },
        Collection { unit: "a".into(), year: 2023, month: 2, remitted_on: Some(d(2023, 3, 15)) },
        Collection { unit: "a".into(), year: 2023, month: 3, remitted_on: None },
        Collection { unit: "a".into(), year: 2023, month: 4, remitted_on: None },
    ];
    let checks = check_remittances(&collections, d(2023, 5, 1), &mut Trace::off()).unwrap();
    assert_eq!(checks[0].status, RemittanceStatus::OnTime);
    assert_eq!(checks[1].status, RemittanceStatus::Late { days_late: 5 });
    assert_eq!(checks[2].status, RemittanceStatus::Overdue { days_overdue: 21 });
    assert_eq!(checks[3].status, RemittanceStatus::NotYetDue);
    assert!(checks[1].is_flagged() && !checks[3].is_flagged());
    let bad = check_remittances(
        &[Collection { unit: "a".into(), year: 2023, month: 13, remitted_on: None }],
        d(2023, 1, 1),
        &mut Trace::off(),
    );
    assert!(matches!(bad, Err(RiskPoolError::InvalidMonth { .. })));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let p = policy();
    let dup = SchemeInput {
        scheme: Scheme::Employee,
        opening_balance: m("0"),
        units: vec![unit("a", "1", "1", "0"), unit("a", "1", "1", "0")],
    };
    assert!(matches!(compute_scheme(&p, &dup, &mut Trace::off()), Err(RiskPoolError::DuplicateUnit { .. })));
    let neg = SchemeInput { scheme: Scheme::Employee, opening_balance: m("0"), units: vec![unit("a", "-1", "1", "0")] };
    let err = compute_scheme(&p, &neg, &mut Trace::off()).unwrap_err();
    assert!(err.to_string().contains("revenue of unit \"a\" is negative"), "{err}");
    let neg_open = SchemeInput { scheme: Scheme::Employee, opening_balance: m("-1"), units: vec![] };
    assert!(matches!(compute_scheme(&p, &neg_open, &mut Trace::off()), Err(RiskPoolError::NegativeAmount { .. })));
    let mut bad_cap = policy();
    bad_cap.cap_multiple = "-1".parse().unwrap();
    let ok_input = SchemeInput { scheme: Scheme::Employee, opening_balance: m("0"), units: vec![] };
    assert!(matches!(compute_scheme(&bad_cap, &ok_input, &mut Trace::off()), Err(RiskPoolError::InvalidPolicy { .. })));
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let e = SchemeInput { scheme: Scheme::Employee, opening_balance: m("0"), units: vec![] };
    assert!(matches!(
        compute_year(&history, 2021, &[e.clone(), e], &mut Trace::off()),
        Err(RiskPoolError::DuplicateScheme { .. })
    ));
    let series = vec![SchemeSeries {
        scheme: Scheme::Employee,
        opening_balance: m("0"),
        units: vec![UnitSeries {
            id: "a".into(),
            rolling_surplus: m("0"),
            league_fiscal_share: None,
            revenue: vec![m("1")],
            expenditure: vec![],
        }],
    }];
    assert!(matches!(
        roll_forward(&history, 2021, 1, &series, &mut Trace::off()),
        Err(RiskPoolError::SeriesLength { .. })
    ));
}

#[test]
fn trace_cites_every_article_used() {
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let mut p = alxa_2020().unwrap();
    p.params_mut().default_league_fiscal_share = Some(Share::percent(50).unwrap());
    let _ = history;
    let history = history_of(p).unwrap();
    let input =
        SchemeInput { scheme: Scheme::Resident, opening_balance: m("0"), units: vec![unit("a", "100", "500", "10")] };
    let mut trace = Trace::on();
    compute_year(&history, 2022, &[input], &mut trace).unwrap();
    for article in [
        "第十六条",
        "第七条",
        "第十七条",
        "第十七条（一）",
        "第十七条（二）",
        "第十七条（三）",
        "第十七条（四）",
        "第十四条",
    ] {
        assert!(trace.steps().iter().any(|s| s.rule.article == article), "{article} missing");
    }
    assert!(
        trace
            .steps()
            .iter()
            .any(|s| s.figure == "/riskpool/schemes/resident/units/0/unresolved" && s.result == "390.00")
    );
}
