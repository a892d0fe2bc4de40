//! §8 "Many trials": past `--max-projection-memory` the two-pass method
//! gives the same projection byte for byte, and its passes run over ranges
//! of trials apart (plans and outcomes carried as bytes) merge into exactly
//! the single run.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, missing_docs)]

use std::path::PathBuf;

use medfund_scenario::{
    Gathered, Limits, Plan, ProjectionStep, Scenario, ScenarioFormat, parse_scenario, projection_gather,
    projection_next, projection_plan, simulate_scenario,
};

/// The README's projection example with fewer trials, shocks and a reform;
/// with statistics per unit if `per_unit`.
fn scenario(per_unit: bool) -> Scenario {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/projection.toml"))
        .unwrap()
        .replace("trials = 10000", &format!("trials = 3000\nquantiles = [10, 50, 90]\nper_unit = {per_unit}"))
        + "\n[projection.shocks]\nacross_units = 0.3\npersistence = 0.4\n\n[[projection.reforms]]\nfrom = 2027\npolicy = { levy_rate = \"8%\" }\n";
    parse_scenario(&text, ScenarioFormat::Toml, "p.toml").unwrap()
}

fn json(p: &medfund_scenario::Projection) -> String {
    let mut out = Vec::new();
    medfund_scenario::write_projection_json(p, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn limits(bytes: u64) -> Limits {
    let mut limits = Limits::default();
    limits.projection_bytes = bytes;
    limits
}

#[test]
fn two_passes_past_the_memory_limit_give_the_kept_trials_projection() {
    for per_unit in [false, true] {
        two_passes_equal_kept_trials(per_unit);
    }
}

fn two_passes_equal_kept_trials(per_unit: bool) {
    let s = scenario(per_unit);
    let here = || PathBuf::from(".");
    let kept = simulate_scenario(&s, "p.toml", here(), &Limits::default(), &|_| {}).unwrap();
    // 3,000 trials × 10 years × 2 schemes keep about 1 MB: 64 KiB forces two passes,
    // keeping at most 4,096 values a pass (and so a third pass where a bin holds more).
    let runs = std::sync::atomic::AtomicU64::new(0);
    let two_pass = simulate_scenario(&s, "p.toml", here(), &limits(64 << 10), &|n| {
        runs.fetch_max(n, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(json(&two_pass), json(&kept));
    assert_eq!(kept.units().len(), if per_unit { 8 } else { 0 });
    assert!(runs.into_inner() >= 6_000, "every trial runs at least twice");
}

#[test]
fn passes_over_ranges_carried_as_bytes_merge_into_the_single_run() {
    for per_unit in [false, true] {
        ranges_merge_into_the_single_run(per_unit);
    }
}

fn ranges_merge_into_the_single_run(per_unit: bool) {
    let s = scenario(per_unit);
    let here = || PathBuf::from(".");
    let limits = Limits::default();
    let single = json(&simulate_scenario(&s, "p.toml", here(), &limits, &|_| {}).unwrap());
    let mut plan = projection_plan(&s, "p.toml", here(), &limits).unwrap().to_bytes();
    let mut passes = 0;
    let projection = loop {
        passes += 1;
        // Three uneven ranges, as three machines would run them, given back out of order.
        let p = Plan::from_bytes(&plan).unwrap();
        let outcomes: Vec<Vec<u8>> = [2_000..3_000, 0..1_234, 1_234..2_000]
            .into_iter()
            .map(|r| projection_gather(&s, "p.toml", here(), &limits, &p, r).unwrap().to_bytes())
            .collect();
        let gathered = outcomes.iter().map(|b| Gathered::from_bytes(b).unwrap()).collect();
        match projection_next(&s, "p.toml", here(), &limits, p, gathered).unwrap() {
            ProjectionStep::Next(next) => plan = next.to_bytes(),
            ProjectionStep::Done(projection) => break projection,
        }
    };
    assert_eq!(json(&projection), single);
    assert_eq!(single.contains("\"units\":[{"), per_unit);
    assert!(passes >= 2);
    // A missing range, or no outcome at all, is an error naming the projection.
    let p = projection_plan(&s, "p.toml", here(), &limits).unwrap();
    let part = projection_gather(&s, "p.toml", here(), &limits, &p, 0..1_000).unwrap();
    let e = projection_next(&s, "p.toml", here(), &limits, p.clone(), vec![part]).unwrap_err();
    assert!(e.to_string().contains("projection:"), "{e}");
    assert!(projection_next(&s, "p.toml", here(), &limits, p, vec![]).is_err());
}

#[test]
fn per_unit_tallies_past_the_memory_limit_are_refused_before_any_trial_runs() {
    let s = scenario(true);
    let here = || PathBuf::from(".");
    // 10 years × 8 units: about 7 KB a tally, several per thread; 4 KiB cannot hold them.
    let e = simulate_scenario(&s, "p.toml", here(), &limits(4 << 10), &|_| panic!("no trial runs")).unwrap_err();
    assert_eq!(e.code, "limit", "{e}");
    assert!(e.to_string().contains("projection.per_unit"), "{e}");
    // Without per-unit statistics the same limit runs the two-pass method.
    assert!(simulate_scenario(&scenario(false), "p.toml", here(), &limits(4 << 10), &|_| {}).is_ok());
}
