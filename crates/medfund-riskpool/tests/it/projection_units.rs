//! Per-unit statistics (SummaryOptions::per_unit): the same however the
//! trials are run (kept in memory, two passes, shards through bytes, blocks
//! through bytes), consistent with the scheme's statistics
//! (阿署办发〔2020〕30号 第十七条（三）: a scheme's actuarial review is an
//! unresolved gap of some unit), and refused when the trials did not tally them.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::float_arithmetic,
    missing_docs
)]

use medfund_core::Money;
use medfund_riskpool::stream::{Plan, simulate_two_pass};
use medfund_riskpool::*;
use proptest::prelude::*;

use crate::common;
use common::{schemes, sharded};

fn options(quantiles: &[u32]) -> SummaryOptions {
    SummaryOptions::with_quantiles(quantiles.to_vec()).with_per_unit(true)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn prop_per_unit_figures_are_the_same_however_the_trials_are_run(
        units in prop::collection::vec((100_000_000_i64..2_000_000_000, 100_000_000_i64..2_500_000_000, -30_i64..80, 0_i64..150), 1..4),
        years in 1_u32..6, trials in 1_u32..200, sd in 0_i64..120, seed in any::<u64>(),
        budget in prop_oneof![Just(0_u64), 2_u64..50, Just(stream::DEFAULT_BUDGET)],
        cuts in prop::collection::vec(any::<u32>(), 0..4),
    ) {
        let spec = ProjectionSpec { first_year: 2021, years, trials, seed };
        let schemes = schemes(&units, sd);
        let history = history_of(alxa_2020().unwrap()).unwrap();
        let options = options(&[50]);
        let stored = simulate_with(&history, spec, &Shocks::default(), &schemes, &options, &|_| {}).unwrap();
        prop_assert!(stored.iter().zip(&schemes).all(|(p, s)| p.units.len() == s.units.len()));
        let two_pass = simulate_two_pass(&history, spec, &Shocks::default(), &schemes, &options, budget, &|_| {}).unwrap();
        prop_assert_eq!(&two_pass, &stored);
        let plan = Plan::new(spec, &schemes, &options, budget).unwrap();
        prop_assert_eq!(&sharded(&history, spec, &schemes, plan, &cuts).0, &stored);
        // Blocks of trials run apart and carried as bytes.
        let mut bounds: Vec<u32> = cuts.iter().map(|c| c % (trials + 1)).collect();
        bounds.extend([0, trials]);
        bounds.sort_unstable();
        let blocks: Vec<TrialBlock> = bounds
            .windows(2)
            .map(|w| {
                let b = simulate_trials_with(&history, spec, &Shocks::default(), &schemes, &options, w[0]..w[1], &|_| {}).unwrap();
                TrialBlock::from_bytes(&b.to_bytes()).unwrap()
            })
            .collect();
        let block = TrialBlock::concat(blocks).unwrap();
        prop_assert_eq!(&summarize_with(spec, &schemes, &block, &options).unwrap(), &stored);
        // Asking for units changes nothing else.
        let plain = simulate_with(&history, spec, &Shocks::default(), &schemes, &SummaryOptions::with_quantiles([50]), &|_| {}).unwrap();
        for (a, b) in plain.iter().zip(&stored) {
            prop_assert!(a.units.is_empty());
            prop_assert_eq!(&a.years, &b.years);
        }
    }

    #[test]
    fn prop_unit_figures_agree_with_their_scheme(
        units in prop::collection::vec((100_000_000_i64..2_000_000_000, 100_000_000_i64..2_500_000_000, -30_i64..80, 0_i64..150), 1..5),
        years in 1_u32..8, trials in 1_u32..300, sd in 0_i64..150, seed in any::<u64>(),
    ) {
        let spec = ProjectionSpec { first_year: 2021, years, trials, seed };
        let schemes = schemes(&units, sd);
        let history = history_of(alxa_2020().unwrap()).unwrap();
        let stats = simulate_with(&history, spec, &Shocks::default(), &schemes, &options(&[]), &|_| {}).unwrap();
        let n = f64::from(trials);
        for scheme in &stats {
            for (y, year) in scheme.years.iter().enumerate() {
                let unit_years: Vec<&UnitYearStats> = scheme.units.iter().map(|u| &u.years[y]).collect();
                // 第十七条（三）: a review year is a year some unit is left unresolved.
                let most = unit_years.iter().map(|u| u.p_unresolved).fold(0.0, f64::max);
                let sum: f64 = unit_years.iter().map(|u| u.p_unresolved).sum();
                prop_assert!(most <= year.p_actuarial_review + 1e-12 && year.p_actuarial_review <= sum + 1e-12);
                // The scheme's Σ unresolved is the sum of its units' (each mean rounded to the fen).
                let means = Money::checked_sum(unit_years.iter().map(|u| u.mean_unresolved)).unwrap();
                let slack = (unit_years.len() as i64 + 1) / 2 + 1;
                prop_assert!((means.fen() - year.mean_unresolved.fen()).abs() <= slack);
                for u in &unit_years {
                    prop_assert_eq!(u.year, year.year);
                    prop_assert!(u.p_unresolved <= u.p_gap && u.p_first_unresolved <= u.p_unresolved);
                    prop_assert!(u.mean_unresolved >= Money::ZERO && u.mean_from_risk_fund >= Money::ZERO);
                    prop_assert_eq!(u.mean_unresolved_se.is_some(), trials > 1);
                }
            }
            // Cumulative shares never fall and are the running sum of the first years.
            for u in &scheme.units {
                let mut firsts = 0.0;
                for (a, b) in u.years.iter().zip(u.years.iter().skip(1)) {
                    prop_assert!(a.p_unresolved_cumulative <= b.p_unresolved_cumulative);
                }
                for y in &u.years {
                    firsts += (y.p_first_unresolved * n).round();
                    prop_assert_eq!((y.p_unresolved_cumulative * n).round(), firsts);
                }
            }
        }
    }
}

#[test]
fn per_unit_statistics_need_trials_that_tallied_them() {
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let spec = ProjectionSpec { first_year: 2021, years: 3, trials: 50, seed: 3 };
    let schemes = schemes(&[(1_000_000_000, 1_100_000_000, 30, 60), (500_000_000, 450_000_000, 50, 50)], 80);
    let plain = SummaryOptions::default();
    let block = simulate_trials_with(&history, spec, &Shocks::default(), &schemes, &plain, 0..50, &|_| {}).unwrap();
    assert!(block.unit_tally().is_none());
    assert!(matches!(summarize_with(spec, &schemes, &block, &options(&[])), Err(RiskPoolError::TrialBlocks { .. })));
    // Blocks with and without a tally do not make one projection.
    let a = simulate_trials_with(&history, spec, &Shocks::default(), &schemes, &options(&[]), 0..20, &|_| {}).unwrap();
    let b = simulate_trials_with(&history, spec, &Shocks::default(), &schemes, &plain, 20..50, &|_| {}).unwrap();
    assert!(TrialBlock::concat(vec![a.clone(), b]).is_err());
    // A tally of more unresolved trials than the block holds is refused, not summed.
    let mut bytes = a.to_bytes();
    let at = bytes.len() - 88 + 8; // the last cell's second count (unresolved)
    bytes[at..at + 8].copy_from_slice(&1_000_u64.to_le_bytes());
    assert!(TrialBlock::from_bytes(&bytes).is_err());
    // A block of other units is refused by the summary.
    let fewer = common::schemes(&[(1_000_000_000, 1_100_000_000, 30, 60)], 80);
    let whole =
        simulate_trials_with(&history, spec, &Shocks::default(), &fewer, &options(&[]), 0..50, &|_| {}).unwrap();
    assert!(summarize_with(spec, &schemes, &whole, &options(&[])).is_err());
}

#[test]
fn a_per_unit_plan_refuses_another_projections_units() {
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let spec = ProjectionSpec { first_year: 2021, years: 2, trials: 10, seed: 3 };
    let two = schemes(&[(1_000_000_000, 1_100_000_000, 30, 60), (500_000_000, 450_000_000, 50, 50)], 80);
    let one = schemes(&[(1_000_000_000, 1_100_000_000, 30, 60)], 80);
    let plan = Plan::new(spec, &two, &options(&[]), 100).unwrap();
    assert!(stream::gather(&history, spec, &Shocks::default(), &one, &plan, 0..10, &|_| {}).is_err());
    // A pass-1 outcome without its tally does not fit a per-unit plan.
    let plain = Plan::new(spec, &two, &SummaryOptions::default(), 100).unwrap();
    let g = stream::gather(&history, spec, &Shocks::default(), &two, &plain, 0..10, &|_| {}).unwrap();
    assert!(plan.next(g).is_err());
}
