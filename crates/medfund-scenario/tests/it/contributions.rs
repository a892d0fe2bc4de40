//! §10 `[contributions]`: the example's figures worked by hand, its trace
//! resolving in its report, CSV lists equal to inline ones, and errors that
//! name the field.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use medfund_scenario::{
    Limits, ListsInMemory, ScenarioFormat, parse_scenario, render_json, run_scenario, run_scenario_in,
};
use serde_json::Value;

const EXAMPLE: &str = include_str!("../../../../examples/contributions.toml");

fn report(text: &str, explain: bool) -> Value {
    let scenario = parse_scenario(text, ScenarioFormat::Toml, "c.toml").unwrap();
    serde_json::from_str(&render_json(&run_scenario(&scenario, "c.toml", explain).unwrap(), false).unwrap()).unwrap()
}

/// Rule: 市级城镇职工基本医疗保险实施方案（模板） C3 缴费基数
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第二十一条
/// Rule: 中华人民共和国社会保险法 第八十六条
#[test]
fn the_example_gives_the_figures_worked_by_hand() {
    let r = report(EXAMPLE, false);
    let c = &r["contributions"];
    let rows = c["employees"]["rows"].as_array().unwrap();
    // W = 85,000: floor 51,000, ceiling 255,000; 2 % personal, 6 % employer.
    let row = |i: usize| {
        (
            rows[i]["base"].as_str().unwrap(),
            rows[i]["to_account"].as_str().unwrap(),
            rows[i]["to_pool"].as_str().unwrap(),
        )
    };
    assert_eq!(row(0), ("51000.00", "1938.00", "2142.00")); // age 27: 30 % of 3,060 to the account
    assert_eq!(row(1), ("255000.00", "10455.00", "9945.00")); // age 43: 35 %
    assert_eq!(row(2), ("85000.00", "3740.00", "3060.00")); // 第八条: W itself; age 53: 40 %
    assert_eq!(row(3), ("51000.00", "2244.00", "1836.00")); // 第九条: 60 % of W
    assert_eq!(row(4), ("0.00", "3400.00", "0.00")); // retired: 4 % of max(pension, W)
    assert_eq!(c["employees"]["totals"]["to_pool"], "16983.00");
    // 120,000 × 0.05 % × 57 days (March 11 – May 6) and 36,000 × 0.05 % × 51 days.
    let fees: Vec<&str> =
        c["late_fees"]["fees"].as_array().unwrap().iter().map(|f| f["fee"].as_str().unwrap()).collect();
    assert_eq!(fees, ["3420.00", "918.00"]);
    assert_eq!(c["funds"]["employee_pooling"], "21321.00"); // 16,983 + 4,338 of late fees
    assert_eq!(c["funds"]["employee_accounts"], "21777.00");
    assert_eq!(c["funds"]["resident_pooling"], "23228000.00");
    assert_eq!(c["residents"]["paid_by_persons"], "15768000.00");
}

#[test]
fn every_figure_of_the_example_trace_resolves_in_its_report() {
    let r = report(EXAMPLE, true);
    let steps = r["trace"].as_array().unwrap();
    assert!(steps.len() > 20, "{}", steps.len());
    for s in steps {
        let figure = s["figure"].as_str().unwrap();
        let value = r.pointer(figure).unwrap_or_else(|| panic!("{figure} is not in the report"));
        if let Value::String(v) = value {
            assert!(s["result"].as_str().unwrap().starts_with(v.as_str()), "{figure}");
        }
    }
}

#[test]
fn lists_from_csv_give_the_inline_figures() {
    let inline = report(EXAMPLE, false);
    let text = r#"
[contributions]
year = 2024
average_wage = "8.5万"
employees_csv = "employees.csv"
[contributions.policy]
employer_rate = "6%"
retiree_account_rate = "4%"
account_bands = [{ up_to_age = 30, employer_share = "30%" }, { up_to_age = 45, employer_share = "35%" }, { employer_share = "40%" }]
[contributions.residents]
headcounts_csv = "heads.csv"
[contributions.late_fees]
as_of = "2024-12-31"
arrears_csv = "arrears.csv"
"#;
    let mut lists = ListsInMemory::new();
    lists.insert(
        "employees.csv",
        "id,base_rule,wage,birth_year,pension\ne-001,,\"42,000\",1996,\ne-002,wage,31万,1980,\ne-003,average-wage,,1970,\ne-004,reemployment,,1975,\nr-001,retired,,1955,5.2万\n",
    );
    lists.insert("heads.csv", "category,persons\nstudents-children,48000\nother-residents,120000\nhardship-residents,6500\nhardship-students-children,1800\n");
    lists.insert("arrears.csv", "amount,due,paid_on\n12万,2024-03-10,2024-05-06\n3.6万,2024-11-10,\n");
    let scenario = parse_scenario(text, ScenarioFormat::Toml, "c.toml").unwrap();
    let from_csv: Value = serde_json::from_str(
        &render_json(&run_scenario_in(&scenario, "c.toml", lists, false, &Limits::default()).unwrap(), false).unwrap(),
    )
    .unwrap();
    assert_eq!(from_csv["contributions"], inline["contributions"]);
}

#[test]
fn blank_rates_and_missing_inputs_are_errors_that_name_the_field() {
    let no_rate = "[contributions]\nyear = 2024\naverage_wage = 85000\n[[contributions.employees]]\nid = \"a\"\nwage = 1\nbirth_year = 1990\n";
    let scenario = parse_scenario(no_rate, ScenarioFormat::Toml, "c.toml").unwrap();
    let e = run_scenario(&scenario, "c.toml", false).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("contributions.policy.employer_rate"), "{e}");
    // Personal figures need no blank rate.
    let personal = no_rate.replace("average_wage = 85000\n", "average_wage = 85000\nfigures = \"personal\"\n");
    let r = report(&personal, false);
    assert_eq!(r["contributions"]["employees"]["rows"][0]["personal"], "1020.00");
    let no_year = "[contributions]\naverage_wage = 85000\n[[contributions.employees]]\nid = \"a\"\nbirth_year = 1990\n";
    let scenario = parse_scenario(no_year, ScenarioFormat::Toml, "c.toml").unwrap();
    assert!(run_scenario(&scenario, "c.toml", false).unwrap_err().to_string().contains("without year"));
    let bad_category =
        "[contributions.residents]\n[[contributions.residents.headcounts]]\ncategory = \"x\"\npersons = 1\n";
    let scenario = parse_scenario(bad_category, ScenarioFormat::Toml, "c.toml").unwrap();
    let e = run_scenario(&scenario, "c.toml", false).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("contributions.residents.headcounts[0].category"), "{e}");
    let no_wage = "[contributions]\nyear = 2024\naverage_wage = 85000\nfigures = \"personal\"\n[[contributions.employees]]\nid = \"a\"\nbirth_year = 1990\n";
    let scenario = parse_scenario(no_wage, ScenarioFormat::Toml, "c.toml").unwrap();
    let e = run_scenario(&scenario, "c.toml", false).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("contributions.employees[0].wage"), "{e}");
    let bad_key = "[contributions]\n[contributions.policy]\nemployer_rat = \"6%\"\n";
    let e = parse_scenario(bad_key, ScenarioFormat::Toml, "c.toml").unwrap_err();
    assert_eq!((e.path.as_deref(), e.line), (Some("contributions.policy.employer_rat"), Some(3)));
}

fn error(text: &str) -> medfund_scenario::ScenarioError {
    let scenario = parse_scenario(text, ScenarioFormat::Toml, "c.toml").unwrap();
    run_scenario(&scenario, "c.toml", false).unwrap_err()
}

/// #39 (11): a figure the base rule does not read, an employee listed twice
/// and a financing table outside the contribution year were accepted.
#[test]
fn unused_figures_duplicate_employees_and_tables_out_of_force_are_refused() {
    // A wage for a retiree, a pension for a wage earner, a wage for the 第八条 rule.
    let wage_retired = EXAMPLE.replace("base_rule = \"retired\"\n", "base_rule = \"retired\"\nwage = \"9万\"\n");
    let e = error(&wage_retired);
    assert_eq!(e.path.as_deref(), Some("contributions.employees[4].wage"), "{e}");
    assert!(e.to_string().contains("base_rule = \"retired\" does not use it"), "{e}");
    let pension_wage = EXAMPLE.replacen("birth_year = 1996\n", "birth_year = 1996\npension = \"1\"\n", 1);
    assert_eq!(error(&pension_wage).path.as_deref(), Some("contributions.employees[0].pension"));
    let wage_average = EXAMPLE.replace("base_rule = \"average-wage\"", "base_rule = \"average-wage\"\nwage = \"1\"");
    assert_eq!(error(&wage_average).path.as_deref(), Some("contributions.employees[2].wage"));
    // The same employee twice.
    let twice = EXAMPLE.replace("id = \"e-002\"", "id = \"e-001\"");
    let e = error(&twice);
    assert_eq!((e.path.as_deref(), e.code), (Some("contributions.employees[1].id"), "duplicate"), "{e}");
    // qingdao-2012 is dated 2012-01-01: not for 2010.
    let qingdao = |year: &str| {
        let residents = "[contributions]\nyear = YEAR\n[contributions.residents]\npreset = \"qingdao-2012\"\n\
             [[contributions.residents.headcounts]]\ncategory = \"other-non-working\"\npersons = 10\n";
        residents.replace("YEAR", year)
    };
    let e = error(&qingdao("2010"));
    assert_eq!(e.kind, medfund_scenario::ErrorKind::NotInForce, "{e}");
    assert!(e.to_string().contains("qingdao-2012 is in force from 2012-01-01, not in contributions.year 2010"), "{e}");
    assert_eq!(report(&qingdao("2012"), false)["contributions"]["residents"]["policy"], "qingdao-2012");
}
