//! End to end: every input means what was written, or is refused with exit 2
//! and the field path. Each test is a case that used to give a wrong figure
//! or lose an input with exit 0.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use crate::common;

use common::{fen, run, run_path, run_scenario, run_with_stdin, write_files};
use serde_json::Value;

fn schedule_dates(report: &Value, kind: &str) -> Vec<String> {
    report["assistance"]["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == kind)
        .map(|p| p["date"].as_str().unwrap().to_owned())
        .collect()
}

const EARLY_SETTLEMENT: &str = r#"
[assistance]
[[assistance.counties]]
id = "boluo"
spend = { 2021 = "9000000.00", 2022 = "12000000.00" }
prior_plan_fee = { 2021 = "350000.00" }
settled_on = { 2022 = "2023-05-31" }
fee_settled_on = { 2022 = "2023-06-20" }
"#;

/// Rule: 惠医保发〔2021〕96号 （四）资金管理 第4点.
#[test]
fn fee_advance_is_never_dated_after_the_fee_settlement_that_nets_it() {
    let r = run_scenario("early.toml", EARLY_SETTLEMENT).json();
    assert_eq!(schedule_dates(&r, "fee-advance"), ["2023-06-20"]);
    assert_eq!(schedule_dates(&r, "fee-settlement"), ["2023-06-20"]);
    let kinds: Vec<&str> =
        r["assistance"]["schedule"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["prepayment", "prepayment", "annual-settlement", "fee-advance", "fee-settlement"]);
    // The literal reading is a named option.
    let june_end =
        EARLY_SETTLEMENT.replace("[assistance]", "[assistance]\npolicy = { fee_advance_date = \"june-end\" }");
    let r = run_scenario("june.toml", &june_end).json();
    assert_eq!(schedule_dates(&r, "fee-advance"), ["2023-06-30"]);
}

#[test]
fn json_numbers_mean_the_digits_written() {
    let scenario = |total: &str| {
        format!(
            r#"{{"surplus": {{"total": {total}, "institutions": [
                {{"id": "a", "level": "primary", "chronic_care_score": 80, "workload": 1}}]}}}}"#
        )
    };
    // A Java/JavaScript client's 1000000.1 + 0.2: more than two decimals.
    run_scenario("s.json", &scenario("1000000.2999999999"))
        .input_error(&["surplus.total", "more than two decimal places"]);
    // Large amounts are exact to the fen (an f64 would give .80).
    let r = run_scenario("s.json", &scenario("93819532283654.81")).json();
    assert_eq!(r["surplus"]["total"], "93819532283654.81");
    assert_eq!(fen(&r["surplus"]["total"]), 9_381_953_228_365_481);
    // Beyond the fen range of i64: a clear error, not a wrapped or rounded figure.
    run_scenario("s.json", &scenario("100000000000000000")).input_error(&["surplus.total", "overflow"]);
    run_scenario("s.json", &scenario("1e400")).input_error(&["surplus.total", "invalid money"]);
    // Rates too: exact or refused, never a nearby float.
    let rate = r#"{"riskpool": {"year": 2021, "policy": {"levy_rate": 0.0999999999999999999999},
        "units": [{"id": "u", "scheme": "employee", "revenue": 100, "expenditure": 1}]}}"#;
    let r = run_scenario("r.json", rate).json();
    assert_eq!(r["riskpool"]["schemes"]["employee"]["levy"], "10.00");
}

const EARLY_CLAIM: &str = r#"
[supplementary]
insured_persons = 10
[[supplementary.claims]]
person = "p-1"
date = "2007-08-01"
eligible_cost = "60000"
[[supplementary.claims]]
person = "p-2"
date = "2005-07-01"
eligible_cost = "60000"
"#;

/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险 — in force from 2007.
#[test]
fn supplementary_claims_outside_the_policy_validity_are_refused() {
    run_scenario("x.toml", EARLY_CLAIM).input_error(&["supplementary.claims[1].date", "2005-07-01", "2007-01-01"]);
    let path = write_files(&[("x.toml", EARLY_CLAIM.as_bytes())]);
    run_path(&path, &["check"]).input_error(&["supplementary.claims[1].date"]);
    // From CSV: the row is named.
    let csv = "[supplementary]\ninsured_persons = 10\nclaims_csv = \"c.csv\"\n";
    let path = write_files(&[
        ("x.toml", csv.as_bytes()),
        ("c.csv", b"person,date,eligible_cost\np-1,2007-08-01,1\np-2,2005-07-01,1\n"),
    ]);
    run_path(&path, &["run"]).input_error(&["supplementary.claims_csv (c.csv) row 2.date", "2007-01-01"]);
    // An overridden validity says the rules applied earlier.
    let earlier = EARLY_CLAIM.replace("insured_persons = 10", "insured_persons = 10\npolicy = { valid_from = 2005 }");
    let r = run_scenario("x.toml", &earlier).json();
    assert_eq!(r["supplementary"]["claims"][1]["insurer"], "6300.00");
}

#[test]
fn assistance_years_that_serve_no_service_year_are_errors() {
    let county = |spend: &str| format!("[assistance]\n[[assistance.counties]]\nid = \"c\"\nspend = {{ {spend} }}\n");
    // A typo in a year key: 2032 for 2023 has no neighbour.
    let typo = county(r#"2021 = "1", 2022 = "2", 2032 = "3""#);
    run_scenario("a.toml", &typo).input_error(&["assistance.counties[0].spend.2032", "county \"c\""]);
    let path = write_files(&[("a.toml", typo.as_bytes())]);
    run_path(&path, &["check"]).input_error(&["assistance.counties[0].spend.2032"]);
    // 20222 is outside the supported calendar altogether.
    run_scenario("a.toml", &county(r#"2021 = "1", 2022 = "2", 20222 = "3""#)).input_error(&[
        "assistance.counties[0].spend",
        "20222",
        "supported calendar",
    ]);
    // A missing base year: 2022 alone gives no service year.
    run_scenario("a.toml", &county(r#"2022 = "2""#)).input_error(&["assistance.counties[0].spend.2022"]);
    // A settlement date for a year that is not reported.
    let dated = format!("{}settled_on = {{ 2024 = \"2025-06-01\" }}\n", county(r#"2022 = "1", 2023 = "2""#));
    run_scenario("a.toml", &dated).input_error(&["assistance.counties[0].settled_on.2024"]);
}

#[test]
fn surplus_spending_categories_are_known_uses() {
    let scenario = |category: &str| {
        format!(
            "[surplus]\ntotal = \"100万\"\n[[surplus.institutions]]\nid = \"a\"\nlevel = \"primary\"\nchronic_care_score = 80\nworkload = 1\n[[surplus.spending]]\ninstitution = \"a\"\ncategory = \"{category}\"\namount = \"1\"\n"
        )
    };
    run_scenario("s.toml", &scenario("equipmnet")).input_error(&[
        "surplus.spending[0].category",
        "\"equipmnet\"",
        "weak-specialty",
        "chronic-care",
    ]);
    // The source's Chinese names are the same categories.
    let r = run_scenario("s.toml", &scenario("医疗设备添置")).json();
    assert_eq!(r["surplus"]["violations"], Value::Array(vec![]));
}

#[test]
fn empty_ids_are_refused() {
    run_scenario("e.toml", "[supplementary]\ninsured_persons = 1\n[[supplementary.claims]]\nperson = \"\"\ndate = \"2023-08-01\"\neligible_cost = \"1\"\n")
        .input_error(&["supplementary.claims[0].person", "empty id"]);
    run_scenario("e.toml", "[riskpool]\nyear = 2021\n[[riskpool.units]]\nid = \"  \"\nscheme = \"employee\"\nrevenue = \"1\"\nexpenditure = \"1\"\n")
        .input_error(&["riskpool.units[0].id", "empty id"]);
    run_scenario("e.json", r#"{"surplus": {"total": 1, "institutions": [{"id": "", "level": "primary", "chronic_care_score": 1, "workload": 1}]}}"#)
        .input_error(&["surplus.institutions[0].id", "empty id"]);
    let path = write_files(&[
        ("e.toml", b"[surplus]\ntotal = \"1\"\ninstitutions_csv = \"i.csv\"\n"),
        ("i.csv", b"id,level,chronic_care_score,workload\n\" \",primary,1,1\n"),
    ]);
    // A blank cell is an absent field.
    run_path(&path, &["run"]).input_error(&["i.csv:2: row 1", "`id`"]);
}

#[test]
fn zero_insured_persons_needs_an_explicit_confirmation() {
    let zero = "[supplementary]\ninsured_persons = 0\n[[supplementary.claims]]\nperson = \"p\"\ndate = \"2023-08-01\"\neligible_cost = \"60000\"\n";
    run_scenario("z.toml", zero).input_error(&["supplementary.insured_persons", "no_insured_persons = true"]);
    let confirmed = zero.replace("insured_persons = 0", "insured_persons = 0\nno_insured_persons = true");
    let r = run_scenario("z.toml", &confirmed).json();
    assert_eq!(r["supplementary"]["years"][0]["premiums"], "0.00");
    let contradiction = zero.replace("insured_persons = 0", "insured_persons = 5\nno_insured_persons = true");
    run_scenario("z.toml", &contradiction).input_error(&["supplementary.no_insured_persons"]);
}

#[test]
fn sweep_values_with_thousands_separators_are_never_split_silently() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo.toml");
    let path = "riskpool.units[0].revenue";
    run(&["sweep", demo, "--set", &format!("{path}=100,000,000.00")]).input_error(&[
        "ambiguous",
        "\"100\", \"000\", \"000.00\"",
        "';'",
    ]);
    let r = run(&["sweep", demo, "--set", &format!("{path}=100,000,000.00;200,000,000.00"), "--format", "json"]).json();
    let rows = r["sweep"]["rows"].as_array().unwrap();
    let values: Vec<&str> = rows.iter().map(|row| row["values"][path].as_str().unwrap()).collect();
    assert_eq!(values, ["100,000,000.00", "200,000,000.00"]);
    assert_eq!(
        run(&["sweep", demo, "--set", &format!("{path}=1亿|2亿"), "--format", "json"]).json()["sweep"]["rows"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Plain comma lists keep working.
    let r = run(&["sweep", demo, "--set", "riskpool.policy.levy_rate=5%,8%,10%", "--format", "json"]).json();
    assert_eq!(r["sweep"]["rows"].as_array().unwrap().len(), 3);
}

#[test]
fn csv_errors_name_the_physical_line() {
    let scenario: &[u8] = b"[supplementary]\ninsured_persons = 1\nclaims_csv = \"c.csv\"\n";
    // CRLF line ends: the bad row is on line 4.
    let crlf: &[u8] = b"person,date,eligible_cost\r\np1,2023-08-01,1\r\np1,2023-08-01,1\r\np2,2023-08-01,abc\r\n";
    let path = write_files(&[("s.toml", scenario), ("c.csv", crlf)]);
    run_path(&path, &["run"]).input_error(&["c.csv:4: row 3: column eligible_cost"]);
    // Blank lines are skipped by the reader but still counted.
    let blank: &[u8] = b"person,date,eligible_cost\np1,2023-08-01,1\n\n\np2,2023-08-01,abc\n";
    let path = write_files(&[("s.toml", scenario), ("c.csv", blank)]);
    run_path(&path, &["run"]).input_error(&["c.csv:5: row 2"]);
    // A trailing row of empty cells, as Excel writes: its own line and message.
    let excel: &[u8] = b"person,date,eligible_cost\r\np1,2023-08-01,1\r\n,,\r\n";
    let path = write_files(&[("s.toml", scenario), ("c.csv", excel)]);
    run_path(&path, &["run"]).input_error(&["c.csv:3: row 2: every cell is empty"]);
    // The same for lists read through serde.
    let institutions: &[u8] = b"id,level,chronic_care_score,workload\r\na,primary,50,1\r\nb,primary,x,1\r\n";
    let path = write_files(&[
        ("s.toml", b"[surplus]\ntotal = \"1\"\ninstitutions_csv = \"i.csv\"\n"),
        ("i.csv", institutions),
    ]);
    run_path(&path, &["run"]).input_error(&["i.csv:3: row 2: column chronic_care_score"]);
}

#[test]
fn byte_order_marks_and_toml_on_standard_input_are_accepted() {
    let json = br#"{"surplus": {"total": "100", "institutions": [{"id": "a", "level": "primary", "chronic_care_score": 1, "workload": 1}]}}"#;
    let toml = b"[surplus]\ntotal = \"100\"\n[[surplus.institutions]]\nid = \"a\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n";
    let bom = |text: &[u8]| [b"\xEF\xBB\xBF".as_slice(), text].concat();
    let expected = run_with_stdin(&["run", "-", "--format", "json"], json).json();
    assert_eq!(expected["surplus"]["total"], "100.00");
    for (name, text) in [("s.json", bom(json)), ("s.toml", bom(toml))] {
        let path = write_files(&[(name, &text)]);
        assert_eq!(run_path(&path, &["run", "--format", "json"]).json(), expected, "{name}");
    }
    for text in [bom(json), toml.to_vec(), bom(toml)] {
        assert_eq!(run_with_stdin(&["run", "-", "--format", "json"], &text).json(), expected);
    }
    assert_eq!(run_with_stdin(&["run", "-", "--input-format", "toml", "--format", "json"], toml).json(), expected);
    run_with_stdin(&["run", "-", "--input-format", "json"], toml).input_error(&["-:1:1", "expected a table"]);
    run_with_stdin(&["check", "-"], &bom(toml)).json_free_success();
}

trait Success {
    fn json_free_success(&self);
}
impl Success for common::Outcome {
    fn json_free_success(&self) {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        assert!(self.stdout.contains("valid"), "{}", self.stdout);
    }
}
