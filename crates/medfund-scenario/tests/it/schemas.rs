//! The committed JSON Schemas (`docs/schema/`) are the code's, and the demo
//! scenario and its report conform to them.
//!
//! After a change of the model: `MEDFUND_UPDATE_SCHEMAS=1 cargo test -p medfund-scenario --test it schemas`.
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use medfund_scenario::{
    DEMO, ScenarioFormat, parse_scenario, render_json, report_schema, run_scenario, scenario_schema,
};
use serde_json::Value;

fn committed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema").join(name)
}

fn check_drift(name: &str, generated: &Value) {
    let text = format!("{}\n", serde_json::to_string_pretty(generated).unwrap());
    let path = committed(name);
    if std::env::var_os("MEDFUND_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "{} differs from the code's schema; run MEDFUND_UPDATE_SCHEMAS=1 cargo test -p medfund-scenario --test it schemas and commit it",
        path.display()
    );
}

#[test]
fn committed_schemas_are_the_codes() {
    check_drift("scenario.schema.json", &scenario_schema());
    check_drift("report.schema.json", &report_schema());
}

fn validate(schema: &Value, instance: &Value) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_demo_and_its_report_conform_to_the_schemas() {
    let demo: Value = toml::from_str::<toml::Table>(DEMO).map(|t| serde_json::to_value(t).unwrap()).unwrap();
    validate(&scenario_schema(), &demo);
    let scenario = parse_scenario(DEMO, ScenarioFormat::Toml, "demo").unwrap();
    for explain in [false, true] {
        let report: Value =
            serde_json::from_str(&render_json(&run_scenario(&scenario, "demo", explain).unwrap(), false).unwrap())
                .unwrap();
        validate(&report_schema(), &report);
    }
    // §10 (one linked into [riskpool]) and §5.2 examples and their reports.
    for text in [
        include_str!("../../../../examples/contributions.toml"),
        include_str!("../../../../examples/revenue-to-riskpool.toml"),
    ] {
        let example: Value = toml::from_str::<toml::Table>(text).map(|t| serde_json::to_value(t).unwrap()).unwrap();
        validate(&scenario_schema(), &example);
        let scenario = parse_scenario(text, ScenarioFormat::Toml, "c").unwrap();
        let report: Value =
            serde_json::from_str(&render_json(&run_scenario(&scenario, "c", true).unwrap(), false).unwrap()).unwrap();
        validate(&report_schema(), &report);
    }
    // A report that breaks the contract does not conform.
    let bad = serde_json::json!({"surplus": {"policy": "framework-2025", "total": 5}});
    let validator = jsonschema::validator_for(&report_schema()).unwrap();
    assert!(!validator.is_valid(&bad));
}
