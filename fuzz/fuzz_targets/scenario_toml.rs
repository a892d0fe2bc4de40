//! Any text as a TOML scenario: parse, and if it parses, compute and render
//! every report. Nothing may panic; errors must be input errors (exit 2).
#![no_main]

use libfuzzer_sys::fuzz_target;
use medfund_cli::{parse_scenario, render_csv, render_json, render_markdown, render_table, run_scenario, Lang, ScenarioFormat, EXIT_INPUT};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // CSV side files are not fuzzed here: a `*_csv` key would read the disk.
    if text.contains("_csv") {
        return;
    }
    match parse_scenario(text, ScenarioFormat::Toml, "fuzz.toml") {
        Ok(scenario) => match run_scenario(&scenario, "fuzz.toml", true) {
            Ok(report) => {
                let _ = render_json(&report, false);
                let _ = render_table(&report, Lang::Zh);
                let _ = render_markdown(&report, Lang::En);
                let _ = render_csv(&report);
            }
            Err(e) => assert_eq!(e.code, EXIT_INPUT, "{e}"),
        },
        Err(e) => assert_eq!(e.code, EXIT_INPUT, "{e}"),
    }
});
