//! Work in parts equals work in one piece: a projection from blocks of
//! trials, a sweep from ranges of combinations, claims split from columns
//! (what the Python package and a cluster rely on).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects, missing_docs)]

use medfund_scenario::*;
use serde_json::{Value, json};

const PROJECTION: &str = include_str!("../../../../examples/projection.toml");

fn limits() -> Limits {
    Limits::default()
}

#[test]
fn a_projection_from_blocks_of_trials_is_the_projection_of_one_run() {
    let scenario = parse_scenario(PROJECTION, ScenarioFormat::Toml, "p").unwrap();
    let whole = simulate_scenario(&scenario, "p", ".", &limits(), &|_| {}).unwrap();
    let trials = u32::try_from(scenario.projection_trials().unwrap()).unwrap();
    for cuts in [vec![0, trials], vec![0, 1, trials], vec![0, 333, 334, 5_000, trials]] {
        let mut blocks: Vec<TrialBlock> = cuts
            .windows(2)
            .map(|w| {
                let b = simulate_scenario_trials(&scenario, "p", ".", &limits(), w[0]..w[1]).unwrap();
                TrialBlock::from_bytes(&b.to_bytes()).unwrap()
            })
            .collect();
        blocks.rotate_left(1);
        let merged = projection_from_blocks(&scenario, "p", ".", &limits(), blocks).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_projection_json(&whole, false, &mut a).unwrap();
        write_projection_json(&merged, false, &mut b).unwrap();
        assert_eq!(a, b, "cuts {cuts:?}");
    }
    let missing = vec![simulate_scenario_trials(&scenario, "p", ".", &limits(), 0..10).unwrap()];
    let err = projection_from_blocks(&scenario, "p", ".", &limits(), missing).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Input, "{err}");
}

#[test]
fn a_sweep_in_ranges_of_combinations_is_the_sweep_in_one_piece() {
    let doc: Value = toml::from_str(DEMO).unwrap();
    let settings = vec![
        Setting::new("riskpool.policy.levy_rate", vec![json!("5%"), json!("8%"), json!("10%")]),
        Setting::new("surplus.policy.primary_floor", vec![json!("30%"), json!("40%")]),
    ];
    let mut whole = Vec::new();
    sweep_value_each(doc.clone(), "demo", ".", &settings, &limits(), &|_, _| {}, &mut |r| {
        whole.push(serde_json::to_value(r).unwrap());
        Ok(())
    })
    .unwrap();
    assert_eq!(sweep_combinations(&settings, &limits()).unwrap(), 6);
    let mut parts = Vec::new();
    for range in [0..1, 1..4, 4..4, 4..6] {
        sweep_value_range(doc.clone(), "demo", ".", &settings, &limits(), range, &mut |r| {
            parts.push(serde_json::to_value(r).unwrap());
            Ok(())
        })
        .unwrap();
    }
    assert_eq!(parts, whole);
    assert!(sweep_value_range(doc, "demo", ".", &settings, &limits(), 5..7, &mut |_| Ok(())).is_err());
}

#[test]
fn claims_split_from_columns_equal_the_same_claims_in_a_scenario() {
    let rows = json!([
        {"person": "a", "date": "2024-03-01", "eligible_cost": "60000"},
        {"person": "b", "date": "2024-08-01", "eligible_cost": "12000.50"},
        {"person": "a", "date": "2024-02-01", "eligible_cost": "30000"},
        {"person": "a", "date": "2025-07-02", "eligible_cost": "400000"}
    ]);
    let doc = json!({"supplementary": {"insured_persons": 2000, "claims": rows}});
    let report = run_scenario(&parse_scenario_value(doc, "s").unwrap(), "s", false).unwrap();
    let report: Value = serde_json::from_str(&render_json(&report, false).unwrap()).unwrap();
    let claims: Vec<Claim<&str>> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| Claim {
            person: r["person"].as_str().unwrap(),
            date: r["date"].as_str().unwrap().parse().unwrap(),
            eligible_cost: r["eligible_cost"].as_str().unwrap().parse().unwrap(),
        })
        .collect();
    let (policy, result) = split_supplementary_claims(json!({"insured_persons": 2000}), &claims).unwrap();
    assert_eq!(policy, report["supplementary"]["policy"]);
    for (i, s) in result.claims.iter().enumerate() {
        let r = &report["supplementary"]["claims"][i];
        assert_eq!(r["fund"], s.fund.to_string());
        assert_eq!(r["insurer"], s.insurer.to_string());
        assert_eq!(r["person_pays"], s.person_pays.to_string());
        assert_eq!(r["medical_year"], s.medical_year);
    }
    assert_eq!(serde_json::to_value(&result.years).unwrap(), report["supplementary"]["years"]);
    // The same checks as a scenario's: a bad setting names its path, a claim outside the policy its index.
    let err = split_supplementary_claims(json!({"insured_persons": 0}), &claims).unwrap_err();
    assert_eq!(err.path.as_deref(), Some("supplementary.insured_persons"));
    let early = [Claim { person: "a", date: "1999-01-01".parse().unwrap(), eligible_cost: "1".parse().unwrap() }];
    let err = split_supplementary_claims(json!({"insured_persons": 1}), &early).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotInForce);
    assert_eq!(err.path.as_deref(), Some("supplementary.claims[0].date"));
    let err = split_supplementary_claims(json!({"insured_persons": 1, "claims": []}), &early).unwrap_err();
    assert_eq!(err.path.as_deref(), Some("supplementary.claims"));
}
