//! End to end: errors as structured data (`--error-format json`) — kind,
//! machine code, field path, file, line and column, what was expected —
//! and every failing section's error from one run.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use crate::common;

use common::{run, run_with_stdin, write_files};
use serde_json::Value;

fn errors(stderr: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(stderr.trim()).unwrap_or_else(|e| panic!("{e}: {stderr}")).as_array().unwrap().clone()
}

#[test]
fn json_errors_carry_the_fields_a_program_needs() {
    let out = run_with_stdin(&["run", "-", "--error-format", "json"], br#"{"surplus": {"total": "abc"}}"#);
    assert_eq!(out.code, 2);
    let e = &errors(&out.stderr)[0];
    assert_eq!(e["kind"], "input");
    assert_eq!(e["code"], "invalid-value");
    assert_eq!(e["path"], "surplus.total");
    assert_eq!((e["file"].as_str(), e["line"].as_u64(), e["column"].as_u64()), (Some("-"), Some(1), Some(23)));
    assert!(e["expected"].as_str().unwrap().starts_with("yuan such as"));
    // Syntax and unknown keys have their own codes.
    let out = run_with_stdin(&["check", "-", "--error-format", "json"], b"[surplus\n");
    assert_eq!(errors(&out.stderr)[0]["code"], "syntax");
    let out = run_with_stdin(&["check", "-", "--error-format", "json"], b"[surplus]\ntotl = 1\n");
    let e = &errors(&out.stderr)[0];
    assert_eq!(
        (e["code"].as_str(), e["path"].as_str(), e["line"].as_u64()),
        (Some("unknown-field"), Some("surplus.totl"), Some(2))
    );
    // An unreadable file, and a limit.
    let out = run(&["run", "/nonexistent.toml", "--error-format", "json"]);
    assert_eq!(errors(&out.stderr)[0]["code"], "unreadable");
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo.toml");
    let out = run(&["sweep", demo, "--set", "a=1", "--set", "a=2", "--error-format", "json"]);
    assert_eq!(out.code, 2);
    assert_eq!(errors(&out.stderr)[0]["code"], "duplicate");
}

#[test]
fn one_run_reports_the_error_of_every_failing_section() {
    let text = "[riskpool]\nyear = 1999\n[[riskpool.units]]\nid = \"u\"\nscheme = \"employee\"\nrevenue = \"1\"\nexpenditure = \"1\"\n\
                [surplus]\ntotal = \"1\"\n[[surplus.spending]]\ninstitution = \"x\"\ncategory = \"equipment\"\namount = \"1\"\n\
                [supplementary]\ninsured_persons = 0\n";
    let path = write_files(&[("multi.toml", text.as_bytes())]);
    let p = path.to_str().unwrap();
    let json = run(&["check", p, "--error-format", "json"]);
    assert_eq!(json.code, 2);
    let list = errors(&json.stderr);
    let found: Vec<(&str, &str)> =
        list.iter().map(|e| (e["kind"].as_str().unwrap(), e["path"].as_str().unwrap())).collect();
    assert_eq!(
        found,
        [
            ("not-in-force", "riskpool.year"),
            ("input", "supplementary.insured_persons"),
            ("input", "surplus.spending[0].institution")
        ]
    );
    assert_eq!(list[0]["code"], "not-in-force");
    // The text form is one line, the first error, as always.
    let text = run(&["check", p]);
    assert_eq!(text.code, 2);
    assert_eq!(text.stderr.lines().count(), 1);
    assert!(text.stderr.contains("riskpool.year: policy alxa-2020"));
}
