//! Any bytes as a Parquet (first byte even) or Arrow IPC (odd) claims file,
//! through the real `run` path: never an abort or an uncaught panic, every
//! error an input error, and a file that settles settles exactly as the
//! same claims written as CSV.
//!
//! A decoder's panic on the read-ahead thread is caught there and becomes
//! an error of the file; the hook below lets that thread's panics unwind
//! and keeps libFuzzer's abort for every other thread.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use medfund_scenario::{EXIT_INPUT, Limits, ScenarioFormat, parse_scenario, render_json, run_scenario_in};

fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("medfund-fuzz-columnar-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary folder");
        let libfuzzer = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(medfund_columnar::READ_AHEAD_THREAD) {
                libfuzzer(info);
            }
        }));
        dir
    })
}

/// The report of the claims file `file` of `dir` under `key`, as JSON.
#[allow(clippy::result_large_err, reason = "the error ends the check")]
fn run(dir: &Path, key: &str, file: &str) -> Result<serde_json::Value, medfund_scenario::ScenarioError> {
    let text = format!("[supplementary]\ninsured_persons = 1000\n{key} = \"{file}\"\n");
    let scenario = parse_scenario(&text, ScenarioFormat::Toml, "fuzz.toml").expect("the scenario is valid");
    let report = run_scenario_in(&scenario, "fuzz.toml", dir.to_path_buf(), false, &Limits::default())?;
    Ok(serde_json::from_str(&render_json(&report, false).expect("renders")).expect("valid JSON"))
}

fn id_text(id: &serde_json::Value) -> String {
    id.as_str().map_or_else(|| id.to_string(), str::to_owned)
}

fn with_text_ids(mut report: serde_json::Value) -> serde_json::Value {
    for c in report["supplementary"]["claims"].as_array_mut().into_iter().flatten() {
        if let Some(id) = c.get_mut("claim_id") {
            *id = serde_json::Value::String(id_text(id));
        }
    }
    report
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let dir = folder();
    let (key, file) =
        if selector % 2 == 0 { ("claims_parquet", "claims.parquet") } else { ("claims_arrow", "claims.arrow") };
    std::fs::write(dir.join(file), bytes).expect("write the claims file");
    let report = match run(dir, key, file) {
        Err(e) => {
            assert_eq!(e.exit_status(), EXIT_INPUT, "{e}");
            return;
        }
        Ok(report) => report,
    };
    // The same claims as CSV: person, date and cost (the parts add up to it).
    let claims = report["supplementary"]["claims"].as_array().expect("claims");
    let ids = claims.first().is_some_and(|c| c.get("claim_id").is_some());
    let mut csv = csv::Writer::from_writer(Vec::new());
    let header: &[&str] =
        if ids { &["claim_id", "person", "date", "eligible_cost"] } else { &["person", "date", "eligible_cost"] };
    csv.write_record(header).expect("in memory");
    for c in claims {
        let person = c["person"].as_str().expect("person");
        // The CSV reader trims cells: such persons are not comparable as CSV.
        if person.trim() != person || person.is_empty() {
            return;
        }
        let part = |k: &str| c[k].as_str().expect("money").parse::<medfund_core::Money>().expect("money");
        let cost = part("fund").checked_add(part("insurer")).and_then(|m| m.checked_add(part("person_pays")));
        let cost = cost.expect("the parts of a cost add up");
        let mut record = vec![person.to_owned(), c["date"].as_str().expect("date").to_owned(), cost.to_string()];
        if ids {
            let id = id_text(&c["claim_id"]);
            if id.trim() != id || id.is_empty() {
                return;
            }
            record.insert(0, id);
        }
        csv.write_record(&record).expect("in memory");
    }
    std::fs::write(dir.join("claims.csv"), csv.into_inner().expect("in memory")).expect("write the CSV");
    let from_csv = run(dir, "claims_csv", "claims.csv").expect("the same claims settle from CSV");
    // Integer claim ids are numbers in the report, text from CSV.
    assert_eq!(with_text_ids(report), with_text_ids(from_csv), "a columnar file settles as its claims written as CSV");
});
