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
