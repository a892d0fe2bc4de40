//! The audit trail is the report: every trace step's `figure` is a JSON
//! Pointer that resolves in the JSON report it explains.
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use medfund_scenario::{DEMO, ScenarioFormat, parse_scenario, render_json, run_scenario};
use serde_json::Value;

#[test]
fn every_figure_of_the_demo_trace_resolves_in_its_report() {
    let scenario = parse_scenario(DEMO, ScenarioFormat::Toml, "demo").unwrap();
    let report: Value =
        serde_json::from_str(&render_json(&run_scenario(&scenario, "demo", true).unwrap(), false).unwrap()).unwrap();
    let steps = report["trace"].as_array().unwrap();
    assert!(steps.len() > 300, "the demo explains every section: {} steps", steps.len());
    let unresolved: Vec<&str> =
        steps.iter().map(|s| s["figure"].as_str().unwrap()).filter(|figure| report.pointer(figure).is_none()).collect();
    assert!(unresolved.is_empty(), "figures that are not in the report: {unresolved:?}");
    // A figure's result is the report's value where the value is text (money,
    // a date); a figure the input leaves unknown is `null` in both.
    for s in steps {
        let figure = s["figure"].as_str().unwrap();
        let result = s["result"].as_str().unwrap();
        match report.pointer(figure) {
            Some(Value::String(value)) => assert!(result.starts_with(value.as_str()), "{figure}: {result} vs {value}"),
            Some(Value::Null) => assert_eq!(result, "null", "{figure}"),
            _ => {}
        }
    }
}

/// The report of `text` with its trail, as JSON.
fn explained(text: &str, name: &str) -> Value {
    let scenario = parse_scenario(text, ScenarioFormat::Toml, name).unwrap();
    serde_json::from_str(&render_json(&run_scenario(&scenario, name, true).unwrap(), false).unwrap()).unwrap()
}

/// #39 (4): §7 — a step's result is the value at its pointer. The step of a
/// one-stop claim said "person 47000.00" (before subsidies) where the report
/// has 22,033.33. Every step of every example: text and numbers equal, a
/// `null` is "null", a list is counted ("2 violations"), and an object's
/// step lists its members ("fund …; insurer …; person …", `person` being
/// `person_pays`), each equal to the report's.
#[test]
fn every_steps_result_is_the_value_at_its_pointer_in_every_example() {
    let examples = [
        ("demo", DEMO),
        ("contributions", include_str!("../../../../examples/contributions.toml")),
        ("one-stop", include_str!("../../../../examples/one-stop.toml")),
        ("revenue-to-riskpool", include_str!("../../../../examples/revenue-to-riskpool.toml")),
    ];
    let mut checked = 0;
    for (name, text) in examples {
        let report = explained(text, name);
        for s in report["trace"].as_array().unwrap() {
            let figure = s["figure"].as_str().unwrap();
            let result = s["result"].as_str().unwrap();
            let value = report.pointer(figure).unwrap_or_else(|| panic!("{name}: {figure} is not in the report"));
            match value {
                Value::String(v) => assert_eq!(result, v, "{name}: {figure}"),
                Value::Number(n) => assert_eq!(result, n.to_string(), "{name}: {figure}"),
                Value::Bool(b) => assert_eq!(result, b.to_string(), "{name}: {figure}"),
                Value::Null => assert_eq!(result, "null", "{name}: {figure}"),
                Value::Array(items) => {
                    let count = result.split(' ').next().unwrap();
                    assert_eq!(count, items.len().to_string(), "{name}: {figure}: {result}");
                }
                Value::Object(members) => {
                    for pair in result.split("; ") {
                        let (member, v) = pair.rsplit_once(' ').unwrap_or_else(|| panic!("{name}: {figure}: {result}"));
                        let member = if member == "person" { "person_pays" } else { member };
                        let got = members.get(member).unwrap_or_else(|| panic!("{name}: {figure} has no {member}"));
                        assert_eq!(got.as_str(), Some(v), "{name}: {figure}.{member}: {result}");
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 450, "{checked} steps");
}
