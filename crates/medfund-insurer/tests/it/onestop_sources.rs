//! The one-stop settlement (X6–X9) on figures worked by hand from the
//! Xiamen source, W = 100,000 yuan.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use medfund_core::{Money, NaiveDate, Trace};
use medfund_insurer::*;

fn y(n: i64) -> Money {
    Money::from_yuan(n).unwrap()
}
fn d(yr: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(yr, m, day).unwrap()
}
fn policy() -> SubsidyPolicy {
    let mut p = xiamen_2007_subsidies().unwrap().params().clone();
    p.average_wages = vec![AverageWage { medical_year: 2024, wage: y(100_000) }];
    p
}
fn claim(person: &'static str, date: NaiveDate, yuan: i64) -> Claim<&'static str> {
    Claim { person, date, eligible_cost: y(yuan) }
}
fn settle(
    p: &SubsidyPolicy,
    persons: &[(&'static str, Person)],
    claims: &[Claim<&'static str>],
) -> Result<OneStopResult<&'static str>> {
    settle_one_stop(xiamen_2007().unwrap().params(), p, 1_000, persons, claims, &mut Trace::off())
}
fn parts(c: &SettledClaim) -> [String; 6] {
    [c.fund, c.insurer, c.civil_servant, c.civil_servant_above_max, c.hardship, c.person_pays].map(|m| m.to_string())
}

/// Rule: 厦门市基本医疗保险实践（2007） 二、国家公务员医疗补助
#[test]
fn civil_servants_get_80_percent_above_12_or_8_percent_of_w_and_70_percent_beyond_the_maximum() {
    let persons = [("a", Person::new(Status::CivilServant)), ("r", Person::new(Status::RetiredCivilServant))];
    // 53,000 + 20,000: the insurer 18,000, the person 2,000 of co-payments.
    let claims = [claim("a", d(2024, 8, 1), 73_000), claim("r", d(2024, 8, 1), 73_000)];
    let r = settle(&policy(), &persons, &claims).unwrap();
    // Active: 2,000 < 12,000, no subsidy yet. Retired: also below 8,000.
    assert_eq!(r.claims[0].civil_servant, Money::ZERO);
    // A second claim of 100,000 more: co-payments reach 12,000 (active) / 12,000 (retired).
    let more =
        [claims[0].clone(), claims[1].clone(), claim("a", d(2025, 1, 5), 100_000), claim("r", d(2025, 1, 5), 100_000)];
    let r = settle(&policy(), &persons, &more).unwrap();
    assert_eq!(r.claims[2].civil_servant, Money::ZERO); // 12,000 is not above 12,000
    assert_eq!(r.claims[3].civil_servant, y(3_200)); // 80 % of (12,000 − 8,000)
    // Beyond the maximum: 233,000 in one claim (the doc example of settle_one_stop).
    let big = [claim("a", d(2024, 9, 1), 233_000)];
    let r = settle(&policy(), &persons, &big).unwrap();
    assert_eq!(parts(&r.claims[0]), ["53000.00", "150000.00", "3733.34", "9333.33", "0.00", "16933.33"]);
    // The 100,000 cap of X8: 70 % of 200,000 beyond the maximum would be 140,000.
    let huge = [claim("a", d(2024, 9, 1), 53_000 + 166_667 + 200_000)];
    let r = settle(&policy(), &persons, &huge).unwrap();
    assert_eq!(r.claims[0].civil_servant_above_max, y(100_000));
    assert_eq!(r.person_years[0].totals.civil_servant_above_max, y(100_000));
}

/// Rule: 厦门市基本医疗保险实践（2007） 二、国家公务员医疗补助
#[test]
fn the_levy_is_3_5_percent_of_the_wage_base_in_twelve_exact_months() {
    let levy = civil_servant_levy(&policy(), Money::from_fen(123_456_789)).unwrap();
    assert_eq!(levy.yearly.to_string(), "43209.88"); // 1,234,567.89 × 3.5 % = 43,209.876…
    assert_eq!(levy.monthly.iter().try_fold(Money::ZERO, |a, &m| a.checked_add(m)).unwrap(), levy.yearly);
    assert_eq!(levy.monthly[0].to_string(), "3600.83"); // 4,320,988 fen ÷ 12 = 360,082 r 4
    assert_eq!(levy.monthly[11].to_string(), "3600.82");
    assert!(civil_servant_levy(&policy(), y(-1)).is_err());
}

/// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
#[test]
fn hardship_is_banded_on_the_out_of_pocket_and_capped_at_8000() {
    let persons = [
        ("s", Person::new(Status::Employee).with_hardship(Hardship::SubsistenceAllowance)),
        ("p", Person::new(Status::Retired).with_hardship(Hardship::LowPension).with_monthly_pension(y(4_000))),
        ("q", Person::new(Status::Retired).with_hardship(Hardship::LowPension).with_monthly_pension(y(5_000))),
    ];
    // 53,000 + 150,000: insurer 135,000, out-of-pocket 15,000.
    let claims =
        [claim("s", d(2024, 7, 1), 203_000), claim("p", d(2024, 7, 1), 203_000), claim("q", d(2024, 7, 1), 203_000)];
    let r = settle(&policy(), &persons, &claims).unwrap();
    assert_eq!(r.claims[0].hardship, y(4_000)); // 50 % of (15,000 − 7,000)
    assert_eq!(r.claims[1].hardship, Money::ZERO); // low pension: 15,000 is below 20 % W
    // 5,000 a month is not below 60 % of W ÷ 12 = 5,000: no hardship category that year.
    assert_eq!(r.person_years[2].hardship_category, None);
    assert_eq!(r.person_years[1].hardship_category, Some(Hardship::LowPension));
    // 53,000 + 250,000: out-of-pocket 100,000: 50 % × 10,000 + 70 % × 70,000 > 8,000.
    let big = [claim("p", d(2024, 7, 1), 303_000)];
    let r = settle(&policy(), &persons, &big).unwrap();
    assert_eq!(r.claims[0].hardship, y(8_000));
    assert_eq!(parts(&r.claims[0])[5], "92000.00");
}

/// Rule: 厦门市基本医疗保险实践（2007） 二、国家公务员医疗补助
/// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
#[test]
fn the_order_of_the_subsidies_is_a_named_parameter() {
    let persons = [("b", Person::new(Status::CivilServant).with_hardship(Hardship::SubsistenceAllowance))];
    // Out-of-pocket 25,000, all co-payments (53,000 + 250,000 × … no: 53,000 + 250,000 passes the cap).
    let claims = [claim("b", d(2024, 7, 1), 53_000 + 160_000)]; // insurer 144,000, co-payments 16,000
    let first = settle(&policy(), &persons, &claims).unwrap().claims[0];
    // Civil servant first: 80 % × 4,000 = 3,200; hardship on 12,800: 50 % × 5,800 = 2,900.
    assert_eq!((first.civil_servant, first.hardship), (y(3_200), y(2_900)));
    let mut p = policy();
    p.order = SubsidyOrder::HardshipFirst;
    let second = settle(&p, &persons, &claims).unwrap().claims[0];
    // Hardship first: 50 % × (16,000 − 7,000) = 4,500; civil servant on 11,500: below 12,000.
    assert_eq!((second.civil_servant, second.hardship), (Money::ZERO, y(4_500)));
    assert_eq!(first.person_pays, y(9_900));
    assert_eq!(second.person_pays, y(11_500));
}

/// Rule: 厦门市基本医疗保险实践（2007） 外来从业人员住院医疗
#[test]
fn migrants_pay_5_percent_of_w_first_then_the_fund_85_percent_up_to_their_limit() {
    let mut p = policy();
    p.migrant_limits = Some(vec![
        MigrantLimit { from_months: 0, limit: y(50_000) },
        MigrantLimit { from_months: 12, limit: y(100_000) },
    ]);
    let persons = [
        ("m", Person::new(Status::Migrant).with_contribution_months(6)),
        ("n", Person::new(Status::Migrant).with_contribution_months(24)),
    ];
    let claims = [
        claim("m", d(2024, 8, 1), 30_000),
        claim("m", d(2024, 9, 1), 60_000),
        claim("n", d(2024, 8, 1), 30_000),
        claim("n", d(2024, 9, 1), 60_000),
    ];
    let r = settle(&p, &persons, &claims).unwrap();
    assert_eq!(parts(&r.claims[0]), ["21250.00", "0.00", "0.00", "0.00", "0.00", "8750.00"]); // 85 % of 25,000
    assert_eq!(r.claims[1].fund, y(28_750)); // the 50,000 limit of 6 months
    assert_eq!(r.claims[3].fund, y(51_000)); // 24 months: 85 % of 60,000, no deductible left
    p.migrant_deductible_per = DeductiblePer::Admission;
    let r = settle(&p, &persons, &claims).unwrap();
    assert_eq!(r.claims[3].fund, y(46_750)); // 85 % of (60,000 − 5,000): a new deductible
    assert_eq!(r.insurer_years[0].claims_paid, Money::ZERO); // migrants are not the insurer's
}

#[test]
fn the_medical_year_resets_every_running_total_on_july_1() {
    let persons = [("a", Person::new(Status::CivilServant))];
    let mut p = policy();
    p.average_wages.push(AverageWage { medical_year: 2025, wage: y(100_000) });
    // 30,000 of co-payments in 2024 (53,000 + 300,000 → capped… keep under the cap).
    let claims = [claim("a", d(2025, 6, 30), 53_000 + 160_000), claim("a", d(2025, 7, 1), 53_000 + 160_000)];
    let r = settle(&p, &persons, &claims).unwrap();
    assert_eq!(r.claims[0].medical_year, 2024);
    assert_eq!(r.claims[1].medical_year, 2025);
    assert_eq!(parts(&r.claims[0]), parts(&r.claims[1]));
    assert_eq!(r.person_years.len(), 2);
    assert_eq!(r.years.len(), 2);
}

#[test]
fn blank_parameters_and_bad_persons_are_errors_that_name_the_field() {
    let persons = [("a", Person::new(Status::CivilServant))];
    let claims = [claim("a", d(2023, 8, 1), 100_000)];
    let e = settle(&policy(), &persons, &claims).unwrap_err();
    assert!(
        matches!(e, InsurerError::MissingParameter { field: "average_wages", medical_year: Some(2023), .. }),
        "{e}"
    );
    // An employee needs no W.
    assert!(settle(&policy(), &[], &claims).is_ok());
    let migrant = [("a", Person::new(Status::Migrant).with_contribution_months(3))];
    let e = settle(&policy(), &migrant, &[claim("a", d(2024, 8, 1), 1)]).unwrap_err();
    assert!(matches!(e, InsurerError::MissingParameter { field: "migrant_limits", .. }), "{e}");
    let active_low = [("a", Person::new(Status::Employee).with_hardship(Hardship::LowPension))];
    let e = settle(&policy(), &active_low, &[claim("a", d(2024, 8, 1), 1)]).unwrap_err();
    assert!(matches!(e, InsurerError::InvalidPerson { index: 0, field: "hardship", .. }), "{e}");
    let no_pension = [("a", Person::new(Status::Retired).with_hardship(Hardship::LowPension))];
    let e = settle(&policy(), &no_pension, &[claim("a", d(2024, 8, 1), 1)]).unwrap_err();
    assert!(matches!(e, InsurerError::InvalidPerson { field: "monthly_pension", .. }), "{e}");
    let twice = [("a", Person::default()), ("a", Person::default())];
    let e = settle(&policy(), &twice, &[]).unwrap_err();
    assert!(matches!(e, InsurerError::InvalidPerson { index: 1, field: "id", .. }), "{e}");
    let mut bad = policy();
    bad.average_wages.push(AverageWage { medical_year: 2024, wage: y(1) });
    assert!(matches!(bad.validate(), Err(InsurerError::InvalidPolicy { field: "average_wages", .. })));
}

#[test]
fn the_trace_cites_each_rule_that_paid() {
    let mut p = policy();
    p.migrant_limits = Some(vec![MigrantLimit { from_months: 0, limit: y(50_000) }]);
    let persons = [
        ("a", Person::new(Status::CivilServant).with_hardship(Hardship::SubsistenceAllowance)),
        ("m", Person::new(Status::Migrant).with_contribution_months(1)),
    ];
    let claims = [claim("a", d(2024, 9, 1), 233_000), claim("m", d(2024, 9, 1), 10_000)];
    let mut trace = Trace::on();
    let traced = settle_one_stop(xiamen_2007().unwrap().params(), &p, 1, &persons, &claims, &mut trace).unwrap();
    let plain = settle(&p, &persons, &claims).unwrap();
    assert_eq!(traced.claims, plain.claims);
    let figures: Vec<(&str, &str)> =
        trace.steps().iter().map(|s| (s.figure.as_str(), s.rule.article.as_ref())).collect();
    assert_eq!(
        figures,
        [
            ("/supplementary/claims/0", "四、完善大额医疗费用补充保险"),
            ("/supplementary/claims/0/civil_servant", "二、国家公务员医疗补助"),
            ("/supplementary/claims/0/civil_servant_above_max", "二、国家公务员医疗补助"),
            ("/supplementary/claims/0/hardship", "二、自付医疗费困难补助"),
            ("/supplementary/claims/1", "外来从业人员住院医疗"),
        ]
    );
}
