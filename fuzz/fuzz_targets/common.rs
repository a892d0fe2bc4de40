//! Shared body of the scenario fuzz targets.

use medfund_scenario::{
    EXIT_INPUT, Lang, ScenarioFormat, parse_scenario, render_csv, render_json, render_markdown, render_table,
    run_scenario,
};

/// Parses `data` as a scenario and, if it parses, computes and renders every
/// report. Nothing may panic; every error must be an input error (exit 2).
pub fn check_scenario(data: &[u8], format: ScenarioFormat, name: &str) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // CSV side files are not fuzzed here: a `*_csv` key would read the disk.
    if text.contains("_csv") {
        return;
    }
    match parse_scenario(text, format, name) {
        Ok(scenario) => match run_scenario(&scenario, name, true) {
            Ok(report) => {
                // Rendering a computed report can never fail.
                render_json(&report, false).expect("a computed report renders as JSON");
                let _ = render_table(&report, Lang::Zh);
                let _ = render_markdown(&report, Lang::En);
                render_csv(&report).expect("a computed report renders as CSV");
            }
            Err(e) => assert_eq!(e.exit_status(), EXIT_INPUT, "{e}"),
        },
        Err(e) => assert_eq!(e.exit_status(), EXIT_INPUT, "{e}"),
    }
}
