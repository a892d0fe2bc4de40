//! The two-pass method (memory independent of the trials) against the
//! stored-sort method on random small runs: the same statistics exactly,
//! whatever the selection budget (which forces finer passes) and however
//! the trials are split into shards and merged.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    missing_docs
)]

use medfund_riskpool::stream::{Gathered, Plan, Step, gather, simulate_two_pass};
use medfund_riskpool::*;
use proptest::prelude::*;

use crate::common;
use common::{schemes, sharded};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn prop_two_pass_percentiles_equal_the_stored_sort(
        units in prop::collection::vec((100_000_000_i64..2_000_000_000, 100_000_000_i64..2_500_000_000, -30_i64..80, 0_i64..150), 1..4),
        years in 1_u32..6, trials in 1_u32..300, sd in 0_i64..120, seed in any::<u64>(),
        quantiles in prop::collection::btree_set(1_u32..=100, 0..5),
        budget in prop_oneof![Just(0_u64), Just(1), 2_u64..50, Just(stream::DEFAULT_BUDGET)],
        cuts in prop::collection::vec(any::<u32>(), 0..4),
    ) {
        let spec = ProjectionSpec { first_year: 2021, years, trials, seed };
        let schemes = schemes(&units, sd);
        let history = history_of(alxa_2020().unwrap()).unwrap();
        let options = SummaryOptions::with_quantiles(quantiles.into_iter().collect::<Vec<_>>());
        let stored = simulate_with(&history, spec, &Shocks::default(), &schemes, &options, &|_| {}).unwrap();
        let two_pass =
            simulate_two_pass(&history, spec, &Shocks::default(), &schemes, &options, budget, &|_| {}).unwrap();
        prop_assert_eq!(&two_pass, &stored);
        let plan = Plan::new(spec, &schemes, &options, budget).unwrap();
        let (shards, _) = sharded(&history, spec, &schemes, plan, &cuts);
        prop_assert_eq!(&shards, &stored);
    }
}

#[test]
fn equal_values_are_found_in_the_counting_pass_and_room_to_keep_values_needs_two_passes() {
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let spec = ProjectionSpec { first_year: 2021, years: 4, trials: 2_000, seed: 9 };
    let options = SummaryOptions::with_quantiles([10, 90]);
    // sd = 0: every trial is the roll-forward; pass 2 only sums the squares.
    let fixed = schemes(&[(1_000_000_000, 900_000_000, 50, 60)], 0);
    let plan = Plan::new(spec, &fixed, &options, 0).unwrap();
    let (stats, last) = sharded(&history, spec, &fixed, plan, &[]);
    assert_eq!(last, 2);
    assert_eq!(stats[0].years[3].mean_closing_balance_se, Some(medfund_core::Money::ZERO));
    // Spread values with room to keep them: exactly two passes.
    let spread = schemes(&[(1_000_000_000, 900_000_000, 50, 60)], 80);
    let plan = Plan::new(spec, &spread, &options, stream::DEFAULT_BUDGET).unwrap();
    assert_eq!(sharded(&history, spec, &spread, plan, &[700]).1, 2);
    // No room at all: bins cut finer until each holds equal values.
    let plan = Plan::new(spec, &spread, &options, 0).unwrap();
    let (stats0, last) = sharded(&history, spec, &spread, plan, &[]);
    assert!(last >= 2, "{last}");
    let stored = simulate_with(&history, spec, &Shocks::default(), &spread, &options, &|_| {}).unwrap();
    assert_eq!(stats0, stored);
}

#[test]
fn outcomes_that_do_not_make_up_the_pass_are_errors() {
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let spec = ProjectionSpec { first_year: 2021, years: 3, trials: 100, seed: 1 };
    let schemes = schemes(&[(1_000_000_000, 900_000_000, 50, 60)], 50);
    let options = SummaryOptions::default();
    let plan = Plan::new(spec, &schemes, &options, 1_000).unwrap();
    let run = |plan: &Plan, r: std::ops::Range<u32>| {
        gather(&history, spec, &Shocks::default(), &schemes, plan, r, &|_| {}).unwrap()
    };
    // A gap.
    let mut g = run(&plan, 0..40);
    g.merge(run(&plan, 50..100)).unwrap();
    assert!(matches!(plan.clone().next(g), Err(RiskPoolError::TrialBlocks { .. })));
    // An overlap.
    let mut g = run(&plan, 0..60);
    g.merge(run(&plan, 50..100)).unwrap();
    assert!(plan.clone().next(g).is_err());
    // Trials outside the projection.
    assert!(gather(&history, spec, &Shocks::default(), &schemes, &plan, 0..101, &|_| {}).is_err());
    // The outcome of pass 1 given to pass 2, or merged with pass 2's.
    let first = run(&plan, 0..100);
    let Step::Next(second) = plan.clone().next(first.clone()).unwrap() else { panic!("a second pass") };
    let mut mixed = run(&second, 0..50);
    assert!(mixed.merge(first.clone()).is_err());
    assert!(second.clone().next(first).is_err());
    // Another projection's plan.
    let other = ProjectionSpec { seed: 2, ..spec };
    assert!(gather(&history, other, &Shocks::default(), &schemes, &plan, 0..100, &|_| {}).is_err());
}

#[test]
fn plans_and_outcomes_from_bytes_are_checked() {
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let spec = ProjectionSpec { first_year: 2021, years: 3, trials: 20_000, seed: 5 };
    let schemes = schemes(&[(1_000_000_000, 900_000_000, 50, 60)], 50);
    let plan = Plan::new(spec, &schemes, &SummaryOptions::with_quantiles([25]), 1_000).unwrap();
    assert_eq!(Plan::from_bytes(&plan.to_bytes()).unwrap(), plan);
    let g = gather(&history, spec, &Shocks::default(), &schemes, &plan, 0..20_000, &|_| {}).unwrap();
    assert_eq!(Gathered::from_bytes(&g.to_bytes()).unwrap(), g);
    let Step::Next(second) = plan.clone().next(g.clone()).unwrap() else { panic!("a second pass") };
    assert_eq!(Plan::from_bytes(&second.to_bytes()).unwrap(), second);
    // Not ours, cut, or another format.
    for bytes in [&b"{}"[..], b"", &plan.to_bytes()[..40], &g.to_bytes()] {
        assert!(matches!(Plan::from_bytes(bytes), Err(RiskPoolError::TrialBlocks { .. })));
    }
    assert!(Gathered::from_bytes(&plan.to_bytes()).is_err());
    // Edited: parts that no longer agree are refused, not trusted.
    let text = String::from_utf8(second.to_bytes()).unwrap();
    for (from, to) in [
        ("\"pass\":2", "\"pass\":1"),
        ("\"trials\":20000", "\"trials\":100"),
        ("\"quantiles\":[25]", "\"quantiles\":[26]"),
    ] {
        assert!(text.contains(from), "{from}");
        assert!(Plan::from_bytes(text.replacen(from, to, 1).as_bytes()).is_err(), "{from} → {to}");
    }
    // An outcome whose counts were edited: one more trial counted, or a kept value moved.
    let text = String::from_utf8(g.to_bytes()).unwrap();
    let forged = text.replacen("\"reviews\":", "\"reviews\":999999", 1);
    assert!(plan.clone().next(Gathered::from_bytes(forged.as_bytes()).unwrap()).is_err());
    let g2 = gather(&history, spec, &Shocks::default(), &schemes, &second, 0..20_000, &|_| {}).unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&g2.to_bytes()).unwrap();
    let kept = doc["kept"].as_array_mut().unwrap().iter_mut().find(|v| !v.as_array().unwrap().is_empty());
    kept.expect("a second pass keeps values")[0] = serde_json::json!(i64::MIN);
    let forged = Gathered::from_bytes(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert!(second.clone().next(forged).is_err());
    assert!(matches!(second.next(g2).unwrap(), Step::Done(_)));
}
