//! The statistics of a projection against the trial paths they summarise:
//! the cumulative review probability is the share of paths with a review
//! so far, standard errors follow the binomial formula, quantiles are the
//! nearest-rank ones of the paths.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    missing_docs
)]

use medfund_core::Money;
use medfund_riskpool::*;
use proptest::prelude::*;

use crate::common;
use common::schemes;

fn binomial_se(count: usize, n: usize) -> f64 {
    let p = count as f64 / n as f64;
    (p * (1.0 - p) / n as f64).sqrt()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prop_cumulative_review_is_the_share_of_paths_with_a_review_so_far(
        units in prop::collection::vec((100_000_000_i64..2_000_000_000, 100_000_000_i64..2_500_000_000, -30_i64..80, 0_i64..150), 1..4),
        years in 1_u32..8, trials in 1_u32..80, sd in 0_i64..120, seed in any::<u64>(),
        quantiles in prop::collection::btree_set(1_u32..=100, 0..6),
    ) {
        let spec = ProjectionSpec { first_year: 2021, years, trials, seed };
        let schemes = schemes(&units, sd);
        let history = history_of(alxa_2020().unwrap()).unwrap();
        let paths = simulate_trials(&history, spec, &schemes, 0..trials, &|_| {}).unwrap();
        let quantiles: Vec<u32> = quantiles.into_iter().collect();
        let stats = summarize_with(spec, &schemes, &paths, &SummaryOptions::with_quantiles(quantiles.clone())).unwrap();
        let n = trials as usize;
        for (s, projection) in stats.iter().enumerate() {
            let mut first_years = vec![None; n];
            for (y, year) in projection.years.iter().enumerate() {
                let cell = y * schemes.len() + s;
                let outcomes: Vec<(Money, Money, bool)> =
                    (0..trials).map(|t| paths.outcome(t, cell).unwrap()).collect();
                for (t, o) in outcomes.iter().enumerate() {
                    if o.2 && first_years[t].is_none() {
                        first_years[t] = Some(y);
                    }
                }
                let this_year = outcomes.iter().filter(|o| o.2).count();
                let so_far = first_years.iter().filter(|f| f.is_some()).count();
                let first = first_years.iter().filter(|f| **f == Some(y)).count();
                prop_assert_eq!(year.p_actuarial_review, this_year as f64 / n as f64);
                prop_assert_eq!(year.p_review_cumulative, so_far as f64 / n as f64);
                prop_assert_eq!(year.p_first_review, first as f64 / n as f64);
                prop_assert_eq!(year.p_actuarial_review_se, binomial_se(this_year, n));
                prop_assert_eq!(year.p_review_cumulative_se, binomial_se(so_far, n));
                prop_assert_eq!(year.p_first_review_se, binomial_se(first, n));
                prop_assert!(year.p_review_cumulative >= year.p_actuarial_review);
                if y > 0 {
                    prop_assert!(year.p_review_cumulative >= projection.years[y - 1].p_review_cumulative);
                }
                // Means to the fen, half away from zero, of the exact sums.
                let mean = |v: Vec<i64>| {
                    let total: i128 = v.iter().map(|&x| i128::from(x)).sum();
                    i64::try_from(medfund_core::Rounding::HalfAwayFromZero.div_i128(total, n as i128).unwrap()).unwrap()
                };
                prop_assert_eq!(year.mean_closing_balance.fen(), mean(outcomes.iter().map(|o| o.0.fen()).collect()));
                prop_assert_eq!(year.mean_unresolved.fen(), mean(outcomes.iter().map(|o| o.1.fen()).collect()));
                prop_assert_eq!(year.mean_closing_balance_se.is_some(), n > 1);
                // Quantiles: nearest rank of the sorted paths.
                let mut closing: Vec<Money> = outcomes.iter().map(|o| o.0).collect();
                let mut unresolved: Vec<Money> = outcomes.iter().map(|o| o.1).collect();
                closing.sort();
                unresolved.sort();
                let got: Vec<u32> = year.quantiles.iter().map(|q| q.p).collect();
                prop_assert_eq!(&got, &quantiles);
                for q in &year.quantiles {
                    prop_assert_eq!(q.closing_balance, projection::nearest_rank(&closing, q.p).unwrap());
                    prop_assert_eq!(q.unresolved, projection::nearest_rank(&unresolved, q.p).unwrap());
                }
            }
        }
    }
}

#[test]
fn standard_errors_shrink_as_one_over_the_root_of_the_trials() {
    // A scheme that runs short in about half of the trials.
    let schemes = schemes(&[(1_000_000_000, 1_000_000_000, 0, 0)], 100);
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let se = |trials| {
        let spec = ProjectionSpec { first_year: 2021, years: 5, trials, seed: 3 };
        let stats = simulate(&history, spec, &schemes, &|_| {}).unwrap();
        let last = stats[0].years.last().unwrap().clone();
        (last.p_review_cumulative, last.p_review_cumulative_se, last.mean_closing_balance_se.unwrap())
    };
    let (p1, se1, m1) = se(1_000);
    let (p4, se4, m4) = se(16_000);
    assert!(p1 > 0.05 && p1 < 0.95, "a probability away from 0 and 1: {p1}");
    assert!((p4 - p1).abs() < 4.0 * se1, "{p1} ± {se1} against {p4}");
    // 16 times the trials: a quarter of the error, within sampling noise.
    let ratio = se1 / se4;
    assert!((3.2..4.8).contains(&ratio), "{ratio}");
    let ratio = m1.fen() as f64 / m4.fen() as f64;
    assert!((3.2..4.8).contains(&ratio), "{ratio}");
}
