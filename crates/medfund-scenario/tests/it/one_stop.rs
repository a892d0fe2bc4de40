//! §5.2 the one-stop settlement in a scenario: the example worked by hand,
//! its trace resolving in its report, persons from CSV equal to inline ones,
//! unlisted persons settled as before, errors that name the field.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use medfund_scenario::{
    Limits, ListsInMemory, ScenarioFormat, parse_scenario, render_json, run_scenario, run_scenario_in,
};
use serde_json::Value;

const EXAMPLE: &str = include_str!("../../../../examples/one-stop.toml");

fn report(text: &str, explain: bool) -> Value {
    let scenario = parse_scenario(text, ScenarioFormat::Toml, "o.toml").unwrap();
    serde_json::from_str(&render_json(&run_scenario(&scenario, "o.toml", explain).unwrap(), false).unwrap()).unwrap()
}

fn error_path(text: &str) -> String {
    let scenario = parse_scenario(text, ScenarioFormat::Toml, "o.toml").unwrap();
    let e = run_scenario(&scenario, "o.toml", false).unwrap_err();
    e.path.clone().unwrap_or_else(|| panic!("no path in {e}"))
}

fn claim(r: &Value, i: usize) -> [&str; 6] {
    let c = &r["supplementary"]["claims"][i];
    ["fund", "insurer", "civil_servant", "civil_servant_above_max", "hardship", "person_pays"]
        .map(|k| c[k].as_str().unwrap())
}

/// Rule: 厦门市基本医疗保险实践（2007） 二、国家公务员医疗补助
/// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
/// Rule: 厦门市基本医疗保险实践（2007） 外来从业人员住院医疗
#[test]
fn the_example_gives_the_figures_worked_by_hand() {
    let r = report(EXAMPLE, false);
    // cs-001, W = 88,000: 126,000 then 150,000. The insurer's 150,000 is reached at
    // 219,666.67 of cost: co-payments 16,666.67 in the year, 56,333.33 beyond its maximum.
    assert_eq!(claim(&r, 0), ["53000.00", "65700.00", "0.00", "0.00", "0.00", "7300.00"]);
    // 80 % × (16,666.67 − 12 % × 88,000) and 70 % × 56,333.33.
    assert_eq!(claim(&r, 1), ["0.00", "84300.00", "4885.34", "39433.33", "0.00", "21381.33"]);
    // db-001 (subsistence allowance): out-of-pocket 12,700: 50 % × (12,700 − 7 % × 88,000).
    assert_eq!(claim(&r, 3)[4], "3270.00");
    // lp-001 (3,200 a month < 60 % × 88,000 ÷ 12 = 4,400): 57,000 out of pocket, capped at 8,000.
    assert_eq!(claim(&r, 4)[4], "8000.00");
    // mg-001: 5 % × 88,000 = 4,400 first, then 85 %; the 30,000 limit of 8 months.
    assert_eq!(claim(&r, 5), ["16660.00", "0.00", "0.00", "0.00", "0.00", "7340.00"]);
    assert_eq!(claim(&r, 6)[0], "13340.00");
    let o = &r["supplementary"]["one_stop"];
    assert_eq!(o["policy"], "xiamen-2007-subsidies");
    assert_eq!(o["years"][0]["eligible_cost"], "956000.00");
    assert_eq!(o["civil_servant_levy"]["yearly"], "8400000.00"); // 3.5 % × 2.4亿
    let py = o["person_years"].as_array().unwrap();
    assert_eq!(py.len(), 6);
    assert_eq!(py[3]["hardship_category"], "low-pension");
    // The insurer's account leaves the migrant out.
    assert_eq!(r["supplementary"]["years"][0]["claims_paid"], "485400.00");
}

#[test]
fn every_figure_of_the_trace_resolves_in_the_report() {
    let r = report(EXAMPLE, true);
    let steps = r["trace"].as_array().unwrap();
    let figures: Vec<&str> = steps.iter().map(|s| s["figure"].as_str().unwrap()).collect();
    for f in &figures {
        assert!(r.pointer(f).is_some(), "{f} is not in the report");
    }
    for wanted in [
        "/supplementary/claims/1/civil_servant",
        "/supplementary/claims/1/civil_servant_above_max",
        "/supplementary/claims/3/hardship",
        "/supplementary/claims/5",
        "/supplementary/one_stop/civil_servant_levy/yearly",
    ] {
        assert!(figures.contains(&wanted), "{wanted} is not traced");
    }
}

#[test]
fn persons_from_csv_give_the_inline_figures() {
    let csv = "id,status,hardship,monthly_pension,contribution_months\n\
               cs-001,civil-servant,,,\ncs-002,retired-civil-servant,,,\ndb-001,employee,subsistence-allowance,,\n\
               lp-001,retired,low-pension,\"3,200\",\nmg-001,migrant,,,8\n";
    let start = EXAMPLE.find("[[supplementary.persons]]").unwrap();
    let end = EXAMPLE.find("# Claims of persons not listed").unwrap();
    let text = format!("{}supplementary.persons_csv = \"persons.csv\"\n{}", &EXAMPLE[..start], &EXAMPLE[end..]);
    // The key must sit in [supplementary]: put it right after insured_persons.
    let text = text
        .replace("supplementary.persons_csv = \"persons.csv\"\n", "")
        .replace("insured_persons = 1200000\n", "insured_persons = 1200000\npersons_csv = \"persons.csv\"\n");
    let scenario = parse_scenario(&text, ScenarioFormat::Toml, "o.toml").unwrap();
    let mut lists = ListsInMemory::new();
    lists.insert("persons.csv", csv);
    let from_csv =
        render_json(&run_scenario_in(&scenario, "o.toml", lists, false, &Limits::default()).unwrap(), false).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&from_csv).unwrap(), report(EXAMPLE, false));
}

#[test]
fn without_persons_and_subsidies_the_report_is_as_before() {
    let start = EXAMPLE.find("\n[supplementary.subsidies]").unwrap();
    let end = EXAMPLE.find("# Claims of persons not listed").unwrap();
    let plain = format!("{}{}", &EXAMPLE[..start], &EXAMPLE[end..]);
    let r = report(&plain, false);
    assert!(r["supplementary"].get("one_stop").is_none());
    assert!(r["supplementary"]["claims"][0].get("hardship").is_none());
    // With persons, an unlisted person's claim is split exactly as without.
    let with = report(EXAMPLE, false);
    let e = |r: &Value| {
        let c =
            r["supplementary"]["claims"].as_array().unwrap().iter().find(|c| c["person"] == "e-001").unwrap().clone();
        ["fund", "insurer", "person_pays"].map(|k| c[k].clone())
    };
    assert_eq!(e(&r), e(&with));
}

#[test]
fn blank_parameters_and_bad_persons_are_errors_that_name_the_field() {
    let no_w = EXAMPLE.replace("{ medical_year = 2023, wage = \"8.8万\" },", "");
    assert_eq!(error_path(&no_w), "supplementary.subsidies.average_wages");
    let no_limits = EXAMPLE.replace("migrant_limits = [\n    { from_months = 0, limit = \"3万\" },\n    { from_months = 12, limit = \"6万\" },\n]\n", "");
    assert_eq!(error_path(&no_limits), "supplementary.subsidies.migrant_limits");
    let no_months = EXAMPLE.replace("contribution_months = 8\n", "");
    assert_eq!(error_path(&no_months), "supplementary.persons[4].contribution_months");
    let no_pension = EXAMPLE.replace("monthly_pension = \"3,200\"", "");
    assert_eq!(error_path(&no_pension), "supplementary.persons[3].monthly_pension");
    let twice = EXAMPLE.replace("id = \"cs-002\"", "id = \"cs-001\"");
    assert_eq!(error_path(&twice), "supplementary.persons[1].id");
    let bad = EXAMPLE.replace("order = \"civil-servant-first\"", "order = \"first\"");
    let e = parse_scenario(&bad, ScenarioFormat::Toml, "o.toml").unwrap_err();
    assert_eq!(e.path.as_deref(), Some("supplementary.subsidies.order"), "{e}");
}

#[test]
fn the_column_split_refuses_one_stop_settings_rather_than_ignoring_them() {
    let claims = [medfund_scenario::Claim {
        person: "p",
        date: "2024-03-01".parse().unwrap(),
        eligible_cost: "1".parse().unwrap(),
    }];
    let settings = serde_json::json!({"insured_persons": 1, "persons": [{"id": "p", "status": "civil-servant"}]});
    let e = medfund_scenario::split_supplementary_claims(settings, &claims).unwrap_err();
    assert!(e.to_string().contains("covers §5 only"), "{e}");
}

/// #39 (3): a listed person whose entry contradicts itself is refused
/// whether or not the person has claims (only persons with claims were).
#[test]
fn contradictory_entries_are_errors_for_every_listed_person() {
    let listed = |entry: &str| {
        EXAMPLE.replacen(
            "# Claims of persons not listed",
            &format!("[[supplementary.persons]]\nid = \"no-claims\"\n{entry}\n# Claims of persons not listed"),
            1,
        )
    };
    for (entry, field) in [
        ("status = \"migrant\"\ncontribution_months = 8\nhardship = \"subsistence-allowance\"", "hardship"),
        ("status = \"employee\"\nhardship = \"low-pension\"\nmonthly_pension = \"100\"", "hardship"),
        ("status = \"retired\"\nhardship = \"low-pension\"", "monthly_pension"),
    ] {
        assert_eq!(error_path(&listed(entry)), format!("supplementary.persons[5].{field}"), "{entry}");
    }
    // Limits from 6 months: a migrant of 3 months has no limit (mg-001 has 8).
    let from_six =
        listed("status = \"migrant\"\ncontribution_months = 3").replace("{ from_months = 0,", "{ from_months = 6,");
    assert_eq!(error_path(&from_six), "supplementary.persons[5].contribution_months");
    // A consistent entry without claims changes nothing.
    assert_eq!(report(&listed("status = \"retired\""), false), report(EXAMPLE, false));
}
