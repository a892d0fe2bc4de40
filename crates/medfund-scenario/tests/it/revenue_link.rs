//! §10 → §3: `[riskpool] revenue_from = "contributions"` — the fund year and
//! the projection start from what the units raise, exactly as if those
//! figures had been typed in; every row has one unit and every unit one
//! source, or the run is refused naming the field.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use medfund_scenario::{
    Limits, ScenarioFormat, parse_scenario, render_json, run_scenario, simulate_scenario, write_projection_json,
};
use serde_json::Value;

const LINKED: &str = include_str!("../../../../examples/revenue-to-riskpool.toml");

fn report(text: &str) -> Value {
    let scenario = parse_scenario(text, ScenarioFormat::Toml, "r.toml").unwrap();
    serde_json::from_str(&render_json(&run_scenario(&scenario, "r.toml", false).unwrap(), false).unwrap()).unwrap()
}

fn error_path(text: &str) -> String {
    let scenario = parse_scenario(text, ScenarioFormat::Toml, "r.toml").unwrap();
    let e = run_scenario(&scenario, "r.toml", false).unwrap_err();
    e.path.clone().unwrap_or_else(|| panic!("no path in {e}"))
}

/// The example with each unit's revenue typed in (`revenues` in unit order)
/// and the link off.
fn typed_in(revenues: &[&str]) -> String {
    let text = LINKED.replace("revenue_from = \"contributions\"\n", "");
    let mut blocks = text.split("[[riskpool.units]]\n");
    let mut out = blocks.next().unwrap().to_owned();
    for (block, revenue) in blocks.zip(revenues) {
        out.push_str(&format!("[[riskpool.units]]\nrevenue = \"{revenue}\"\n{block}"));
    }
    out
}

/// Rule: 阿署办发〔2020〕30号 第十五条
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第二十二条
#[test]
fn the_linked_fund_year_equals_the_one_with_the_revenues_typed_in() {
    let linked = report(LINKED);
    let units = linked["contributions"]["units"].as_array().unwrap();
    let of =
        |unit: &str, fund: &str| units.iter().find(|u| u["unit"] == unit).unwrap()[fund].as_str().unwrap().to_owned();
    // Worked by hand (W = 85,000; 6 % employer, 40 % of it to a 46+ account, 30 % ≤ 30):
    // left-banner: 3,315 (e-003) + 2,142 (e-004) − 3,400 (r-001's credit,
    // drawn from the pool by the example's reading) + 171 (6,000 × 0.05 % × 57 days).
    assert_eq!(of("left-banner", "employee_pooling"), "2228.00");
    assert_eq!(of("league", "resident_pooling"), "2760000.00"); // 15,000 × 160 + 6,000 × 60
    let revenues = [
        of("league", "employee_pooling"),
        of("left-banner", "employee_pooling"),
        of("league", "resident_pooling"),
        of("left-banner", "resident_pooling"),
    ];
    let plain = report(&typed_in(&revenues.each_ref().map(String::as_str)));
    assert_eq!(linked["riskpool"], plain["riskpool"]);
    assert_eq!(linked["contributions"], plain["contributions"]);
    let total = &linked["riskpool"]["schemes"]["employee"]["revenue_base"];
    assert_eq!(total, &linked["contributions"]["funds"]["employee_pooling"], "every yuan raised reaches the fund");
}

#[test]
fn the_projection_starts_from_the_contributions() {
    let linked = report(LINKED);
    let units = linked["contributions"]["units"].as_array().unwrap();
    let revenues: Vec<String> = [("league", "employee_pooling"), ("left-banner", "employee_pooling")]
        .iter()
        .chain(&[("league", "resident_pooling"), ("left-banner", "resident_pooling")])
        .map(|(u, f)| units.iter().find(|r| r["unit"] == *u).unwrap()[*f].as_str().unwrap().to_owned())
        .collect();
    let simulate = |text: &str| {
        let scenario = parse_scenario(text, ScenarioFormat::Toml, "r.toml").unwrap();
        let p = simulate_scenario(&scenario, "r.toml", ".", &Limits::default(), &|_| {}).unwrap();
        let mut out = Vec::new();
        write_projection_json(&p, false, &mut out).unwrap();
        out
    };
    let typed = typed_in(&revenues.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(simulate(LINKED), simulate(&typed));
}

#[test]
fn the_readings_of_retirees_credits_keep_every_yuan() {
    for (reading, from_pool) in [("employee-pooling", true), ("pension", false)] {
        let text = LINKED.replace("\"employee-pooling\"", &format!("\"{reading}\""));
        let r = report(&text);
        let c = &r["contributions"];
        // Fen, exactly: the report writes money with two decimals.
        let yuan = |v: &Value| v.as_str().unwrap().replace('.', "").parse::<i64>().unwrap();
        let t = &c["employees"]["totals"];
        let f = &c["funds"];
        let raised = yuan(&t["personal"]) + yuan(&t["employer"]) + yuan(&c["late_fees"]["total"]);
        let credits = yuan(&f["retiree_account_credits"]);
        assert_eq!(credits, 340_000);
        // Pool + accounts = what was paid in, plus the credits when the pension (outside) pays them.
        let booked = yuan(&f["employee_pooling"]) + yuan(&f["employee_accounts"]);
        assert_eq!(booked, raised + if from_pool { 0 } else { credits }, "{reading}");
        assert_eq!(f["retiree_accounts_from"], reading);
        let per_unit: i64 = c["units"].as_array().unwrap().iter().map(|u| yuan(&u["employee_pooling"])).sum();
        assert_eq!(per_unit, yuan(&f["employee_pooling"]), "{reading}: the units add up to the fund");
    }
}

#[test]
fn a_missing_or_doubled_source_is_an_error_naming_the_field() {
    // A unit's own revenue beside the link.
    let doubled = LINKED.replacen("scheme = \"employee\"\n", "scheme = \"employee\"\nrevenue = \"1\"\n", 1);
    assert_eq!(error_path(&doubled), "riskpool.units[0].revenue");
    // A row without its unit.
    let no_unit = LINKED.replacen("unit = \"league\"\nwage", "wage", 1);
    assert_eq!(error_path(&no_unit), "contributions.employees[0].unit");
    let no_unit = LINKED.replacen("unit = \"left-banner\"\namount", "amount", 1);
    assert_eq!(error_path(&no_unit), "contributions.late_fees.arrears[0].unit");
    // Money raised for a unit the fund does not have.
    let lost = LINKED.replacen("unit = \"league\"\npersons = 6000", "unit = \"right-banner\"\npersons = 6000", 1);
    let scenario = parse_scenario(&lost, ScenarioFormat::Toml, "r.toml").unwrap();
    let e = run_scenario(&scenario, "r.toml", false).unwrap_err();
    assert!(e.to_string().contains("\"right-banner\" raises 360000.00 for the resident scheme"), "{e}");
    // A fund unit nobody pays into.
    let unpaid = LINKED.replace("unit = \"left-banner\"\npersons", "unit = \"league\"\npersons");
    assert_eq!(error_path(&unpaid), "riskpool.units[3]");
    // The year, the figures and the section itself.
    assert_eq!(error_path(&LINKED.replacen("year = 2024\naverage", "year = 2023\naverage", 1)), "contributions.year");
    let personal = LINKED.replace("retiree_accounts_from", "figures = \"personal\"\nretiree_accounts_from");
    assert_eq!(error_path(&personal), "contributions.figures");
    let alone = &LINKED[..LINKED.find("[contributions]").unwrap()];
    assert_eq!(error_path(alone), "riskpool.revenue_from");
    // Without the link a unit's revenue is required.
    assert_eq!(error_path(&LINKED.replace("revenue_from = \"contributions\"\n", "")), "riskpool.units[0].revenue");
}

#[test]
fn a_retirees_credit_larger_than_the_pool_is_refused_for_the_fund() {
    // left-banner without its active employees: only the retiree's credit and the fee.
    let text = LINKED
        .replace("id = \"e-003\"\nunit = \"left-banner\"", "id = \"e-003\"\nunit = \"league\"")
        .replace("id = \"e-004\"\nunit = \"left-banner\"", "id = \"e-004\"\nunit = \"league\"");
    let scenario = parse_scenario(&text, ScenarioFormat::Toml, "r.toml").unwrap();
    let e = run_scenario(&scenario, "r.toml", false).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("riskpool.units[1]"), "{e}");
    assert!(e.to_string().contains("-3229.00"), "{e}"); // 171 − 3,400
}

#[test]
fn the_linked_trace_follows_the_money_and_resolves_in_the_report() {
    let scenario = parse_scenario(LINKED, ScenarioFormat::Toml, "r.toml").unwrap();
    let r: Value =
        serde_json::from_str(&render_json(&run_scenario(&scenario, "r.toml", true).unwrap(), false).unwrap()).unwrap();
    let steps = r["trace"].as_array().unwrap();
    let figures: Vec<&str> = steps.iter().map(|s| s["figure"].as_str().unwrap()).collect();
    let first_riskpool = figures.iter().position(|f| f.starts_with("/riskpool")).unwrap();
    let last_contribution = figures.iter().rposition(|f| f.starts_with("/contributions")).unwrap();
    assert!(last_contribution < first_riskpool, "the contributions are traced before the fund year they feed");
    for figure in figures {
        assert!(r.pointer(figure).is_some(), "{figure} is not in the report");
    }
}

/// #39 (1): one rule for every row kind — a headcount row of 0 persons
/// names its unit, as an arrear of 0.00 does: it reaches a fund unit with a
/// revenue of 0.00, and is refused for a unit the fund lacks.
#[test]
fn a_headcount_row_of_no_persons_names_its_unit_like_any_row() {
    let none = LINKED
        .replace("unit = \"left-banner\"\npersons = 21000", "unit = \"left-banner\"\npersons = 0")
        .replace("unit = \"left-banner\"\npersons = 1800", "unit = \"left-banner\"\npersons = 0");
    let r = report(&none);
    let resident = &r["riskpool"]["schemes"]["resident"];
    assert_eq!(resident["revenue_base"], r["contributions"]["funds"]["resident_pooling"], "{resident}");
    let left = resident["units"].as_array().unwrap().iter().find(|u| u["id"] == "left-banner").unwrap();
    assert_eq!(left["levy_charge"], "0.00", "no revenue, no levy: {left}");
    let lost = LINKED.replacen("unit = \"league\"\npersons = 6000", "unit = \"right-banner\"\npersons = 0", 1);
    let scenario = parse_scenario(&lost, ScenarioFormat::Toml, "r.toml").unwrap();
    let e = run_scenario(&scenario, "r.toml", false).unwrap_err();
    assert!(e.to_string().contains("\"right-banner\" raises 0.00 for the resident scheme"), "{e}");
}

/// #39 (2): the contributions' year is the fund year's whatever the rows:
/// without employees a 2023 `[contributions]` was booked into 2024.
#[test]
fn contributions_of_another_year_are_refused_without_employees_too() {
    let start = LINKED.find("[[contributions.employees]]").unwrap();
    let end = LINKED.find("[contributions.residents]").unwrap();
    let mut text = format!("{}{}", &LINKED[..start], &LINKED[end..]);
    text = text.replacen("year = 2024\naverage", "year = 2023\naverage", 1);
    assert_eq!(error_path(&text), "contributions.year");
}
