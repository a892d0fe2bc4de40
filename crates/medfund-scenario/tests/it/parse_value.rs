//! A scenario from a JSON value in memory is read like the same text.
#![allow(clippy::unwrap_used, missing_docs)]

use medfund_scenario::{DEMO, ScenarioFormat, parse_scenario, parse_scenario_value, render_json, run_scenario};

#[test]
fn a_json_value_gives_the_report_of_the_same_text() {
    let from_text = parse_scenario(DEMO, ScenarioFormat::Toml, "demo").unwrap();
    let text: String = render_json(&run_scenario(&from_text, "demo", false).unwrap(), false).unwrap();
    let doc = serde_json::to_value(toml::from_str::<toml::Table>(DEMO).unwrap()).unwrap();
    let from_value = parse_scenario_value(doc, "demo").unwrap();
    assert_eq!(render_json(&run_scenario(&from_value, "demo", false).unwrap(), false).unwrap(), text);
    // The checks are the same: an array for a table, a sub-fen amount.
    let err = parse_scenario_value(serde_json::json!({"supplementary": [1, 2]}), "r").unwrap_err();
    assert!(err.message.contains("expected a table"), "{err}");
    let err = parse_scenario_value(serde_json::json!({"surplus": {"total": 1.234}}), "r").unwrap_err();
    assert_eq!(
        (err.path.as_deref(), err.file.as_deref(), err.code),
        (Some("surplus.total"), Some("r"), "invalid-value")
    );
}
