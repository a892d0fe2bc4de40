//! Any bytes as a claims CSV, through the real `run` path (file on disk,
//! CSV reader, supplementary split): never a panic, every error an input
//! error, and every success conserves money and equals a naive reference.
#![no_main]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use medfund_scenario::{EXIT_INPUT, Limits, ScenarioFormat, parse_scenario, render_json, run_scenario_in};

const SCENARIO: &str = "[supplementary]\ninsured_persons = 1000\nclaims_csv = \"claims.csv\"\n";

fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("medfund-fuzz-claims-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary folder");
        dir
    })
}

fn fen(v: &serde_json::Value) -> i128 {
    let s = v.as_str().expect("money is a string");
    let (int, frac) = s.split_once('.').expect("two decimals");
    let magnitude =
        int.trim_start_matches('-').parse::<i128>().expect("digits") * 100 + frac.parse::<i128>().expect("digits");
    if int.starts_with('-') { -magnitude } else { magnitude }
}

/// The Xiamen split by hand: per person and medical year (from July 1), in
/// date order then input order; fund to 53,000, insurer 90 % (half away from
/// zero) up to 150,000 paid, the person the rest.
fn reference(claims: &[(String, String, i128)]) -> Vec<(i128, i128, i128)> {
    let mut order: Vec<usize> = (0..claims.len()).collect();
    order.sort_by(|&a, &b| claims[a].1.cmp(&claims[b].1).then(a.cmp(&b)));
    let mut state: HashMap<(String, i32), (i128, i128)> = HashMap::new();
    let mut out = vec![(0, 0, 0); claims.len()];
    for i in order {
        let (person, date, cost) = &claims[i];
        let year: i32 = date[..4].parse().expect("year");
        let month: u32 = date[5..7].parse().expect("month");
        let medical_year = if month >= 7 { year } else { year - 1 };
        let (total, paid) = state.entry((person.clone(), medical_year)).or_insert((0, 0));
        let before = *total;
        *total += cost;
        let fund = (*total).min(5_300_000) - before.min(5_300_000);
        let above = cost - fund;
        let raw = (above * 9 + 5) / 10;
        let insurer = raw.min(15_000_000 - *paid).max(0);
        *paid += insurer;
        out[i] = (fund, insurer, cost - fund - insurer);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let dir = folder();
    std::fs::write(dir.join("claims.csv"), data).expect("write the claims file");
    let scenario = parse_scenario(SCENARIO, ScenarioFormat::Toml, "fuzz.toml").expect("the scenario is valid");
    let limits = Limits::default();
    match run_scenario_in(&scenario, "fuzz.toml", dir.clone(), false, &limits) {
        Err(e) => assert_eq!(e.exit_status(), EXIT_INPUT, "{e}"),
        Ok(report) => {
            let json: serde_json::Value =
                serde_json::from_str(&render_json(&report, false).expect("renders")).expect("valid JSON");
            // Re-read the accepted file as the contract defines it, for the reference.
            let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(data);
            let headers = reader.headers().expect("read before").clone();
            let at = |name: &str| headers.iter().position(|h| h == name).expect("column");
            let (p, d, c) = (at("person"), at("date"), at("eligible_cost"));
            let claims: Vec<(String, String, i128)> = reader
                .records()
                .map(|r| {
                    let r = r.expect("read before");
                    let cost: medfund_core::Money = r[c].parse().expect("parsed before");
                    (r[p].to_owned(), r[d].to_owned(), i128::from(cost.fen()))
                })
                .collect();
            let splits = json["supplementary"]["claims"].as_array().expect("claims");
            assert_eq!(splits.len(), claims.len());
            for ((split, claim), expected) in splits.iter().zip(&claims).zip(reference(&claims)) {
                let got = (fen(&split["fund"]), fen(&split["insurer"]), fen(&split["person_pays"]));
                assert_eq!(got.0 + got.1 + got.2, claim.2, "money is conserved");
                assert_eq!(got, expected, "{claim:?}");
            }
        }
    }
});
