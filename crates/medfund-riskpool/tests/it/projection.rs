//! Properties of the Monte Carlo projection.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    missing_docs
)]

use medfund_core::{Money, Rate, Rounding, Trace};
use medfund_riskpool::*;
use proptest::prelude::*;

fn history() -> medfund_core::PolicyHistory<RiskPoolPolicy> {
    history_of(alxa_2020().unwrap()).unwrap()
}

fn scheme(units: &[(i64, i64, i64, i64, i64)], opening: i64, sd: i64) -> ProjectedScheme {
    ProjectedScheme {
        scheme: Scheme::Resident,
        opening_balance: Money::from_fen(opening),
        units: units
            .iter()
            .enumerate()
            .map(|(i, &(rev, exp, surplus, rg, eg))| ProjectedUnit {
                first_year: UnitFigures {
                    revenue: Money::from_fen(rev),
                    expenditure: Money::from_fen(exp),
                    rolling_surplus: Money::from_fen(surplus),
                    league_fiscal_share: None,
                },
                revenue_growth: Growth::normal(Rate::per_mille(rg), Rate::per_mille(sd)),
                expenditure_growth: Growth::normal(Rate::per_mille(eg), Rate::per_mille(sd)),
                stream_key: medfund_riskpool::stream_key(Scheme::Resident, &format!("unit-{i}")),
            })
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_zero_sd_equals_the_deterministic_roll_forward(
        units in prop::collection::vec((0_i64..2_000_000_000, 0_i64..2_500_000_000, 0_i64..200_000_000, -50_i64..120, -50_i64..120), 1..6),
        opening in 0_i64..1_000_000_000, years in 1_u32..8, trials in 1_u32..4,
        reform in prop::option::of((2022_i32..2029, 0_i64..300, 50_i64..300)),
    ) {
        let spec = ProjectionSpec { first_year: 2021, years, trials, seed: 7 };
        // A dated reform (levy per mille, cap multiple in hundredths) from some later year:
        // each projected year follows the version of the history in force at its end.
        let history = match reform {
            None => history(),
            Some((from, levy, cap)) => {
                let base = alxa_2020().unwrap();
                let cut = medfund_core::NaiveDate::from_ymd_opt(from, 1, 1).unwrap();
                let before = base.clone().with_validity(
                    medfund_core::Validity::new(base.validity().from(), cut.pred_opt()).unwrap(),
                );
                let mut params = base.params().clone();
                params.levy_rate = medfund_core::Share::new(Rate::per_mille(levy)).unwrap();
                params.cap_multiple = Rate::per_mille(cap * 10);
                let after = medfund_core::PolicyVersion::new(
                    "reformed", "reformed", "test", medfund_core::Validity::new(cut, None).unwrap(), params,
                );
                medfund_core::PolicyHistory::new("riskpool", vec![before, after]).unwrap()
            }
        };
        let per_unit = SummaryOptions::default().with_per_unit(true);
        let projected = simulate_with(&history, spec, &Shocks::default(), &[scheme(&units, opening, 0)], &per_unit, &|_| {}).unwrap();
        // The same path, by the deterministic roll-forward over explicit series.
        let series = SchemeSeries {
            scheme: Scheme::Resident,
            opening_balance: Money::from_fen(opening),
            units: units.iter().enumerate().map(|(i, &(rev, exp, surplus, rg, eg))| {
                let path = |start: i64, g: i64| {
                    let mut v = vec![Money::from_fen(start)];
                    let factor = Rate::ONE.to_decimal() + Rate::per_mille(g).to_decimal();
                    for _ in 1..years {
                        let last = *v.last().unwrap();
                        v.push(last.mul_rate(Rate::from_decimal(factor), Rounding::HalfAwayFromZero).unwrap());
                    }
                    v
                };
                UnitSeries { id: format!("u{i}"), rolling_surplus: Money::from_fen(surplus), league_fiscal_share: None, revenue: path(rev, rg), expenditure: path(exp, eg) }
            }).collect(),
        };
        let det = roll_forward(&history, 2021, years as usize, &[series], &mut Trace::off()).unwrap();
        for (stats, year) in projected[0].years.iter().zip(&det) {
            let t = year.schemes[0].totals;
            prop_assert_eq!(stats.year, year.year);
            let p = stats.closing_balance;
            prop_assert_eq!((p.p5, p.p50, p.p95), (t.closing_balance, t.closing_balance, t.closing_balance));
            let unresolved = Money::checked_sum(year.schemes[0].outcomes.iter().map(|o| o.unresolved)).unwrap();
            prop_assert_eq!(stats.mean_unresolved, unresolved);
            prop_assert_eq!(stats.p_actuarial_review, if t.actuarial_review { 1.0 } else { 0.0 });
        }
        // Per unit (第十七条（二）（三）): every trial is the roll-forward, so shares are 0 or 1
        // and means are the roll-forward's amounts exactly.
        let one = |b: bool| if b { 1.0 } else { 0.0 };
        for (u, unit) in projected[0].units.iter().enumerate() {
            let mut ever = false;
            for (stats, year) in unit.years.iter().zip(&det) {
                let o = &year.schemes[0].outcomes[u];
                let first = !ever && o.unresolved.is_positive();
                ever |= o.unresolved.is_positive();
                prop_assert_eq!(stats.year, year.year);
                prop_assert_eq!(stats.p_gap, one(o.gap.is_positive()));
                prop_assert_eq!(stats.p_unresolved, one(o.unresolved.is_positive()));
                prop_assert_eq!(stats.p_first_unresolved, one(first));
                prop_assert_eq!(stats.p_unresolved_cumulative, one(ever));
                prop_assert_eq!((stats.mean_unresolved, stats.mean_from_risk_fund), (o.unresolved, o.from_risk_fund));
                prop_assert!(stats.mean_unresolved_se.is_none_or(|se| se == Money::ZERO));
            }
        }
    }
}

#[test]
fn same_seed_same_result_with_one_thread_or_many() {
    // Units mostly in surplus, so the balance (levies accumulating) follows the random revenue.
    let units = [
        (1_000_000_000, 900_000_000, 50_000_000, 50, 60),
        (500_000_000, 480_000_000, 0, 40, 80),
        (200_000_000, 150_000_000, 10_000_000, 50, 50),
    ];
    let spec = ProjectionSpec { first_year: 2022, years: 10, trials: 500, seed: 42 };
    let s = [scheme(&units, 100_000_000, 30)];
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| simulate(&history(), spec, &s, &|_| {}).unwrap());
    let many = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(|| simulate(&history(), spec, &s, &|_| {}).unwrap());
    assert_eq!(one, many);
    let other_seed = simulate(&history(), ProjectionSpec { seed: 43, ..spec }, &s, &|_| {}).unwrap();
    assert_ne!(one, other_seed);
    // Spread shows: the 5th percentile lies below the 95th in later years.
    let last = one[0].years.last().unwrap();
    assert!(
        last.closing_balance.p5 <= last.closing_balance.p50 && last.closing_balance.p50 <= last.closing_balance.p95
    );
    assert!(last.closing_balance.p5 < last.closing_balance.p95);
}

#[test]
fn progress_counts_every_trial_and_bad_specs_are_errors() {
    let counter = std::sync::atomic::AtomicU64::new(0);
    let spec = ProjectionSpec { first_year: 2022, years: 2, trials: 37, seed: 1 };
    simulate(&history(), spec, &[scheme(&[(1, 1, 0, 0, 0)], 0, 10)], &|_| {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(counter.into_inner(), 37);
    assert!(simulate(&history(), ProjectionSpec { trials: 0, ..spec }, &[], &|_| {}).is_err());
    assert!(simulate(&history(), ProjectionSpec { first_year: 2019, ..spec }, &[], &|_| {}).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Blocks run apart and put together (in any order) give the projection
    /// of one run, also through their bytes: what a cluster relies on.
    #[test]
    fn prop_blocks_in_any_partition_give_the_projection_of_one_run(
        units in prop::collection::vec((0_i64..2_000_000_000, 0_i64..2_500_000_000, 0_i64..200_000_000, -50_i64..120, -50_i64..120), 1..4),
        years in 1_u32..6, trials in 1_u32..60, cuts in prop::collection::vec(0_u32..60, 0..5), seed in any::<u64>(),
    ) {
        let spec = ProjectionSpec { first_year: 2021, years, trials, seed };
        let schemes = [scheme(&units, 500_000_000, 30)];
        let whole = simulate(&history(), spec, &schemes, &|_| {}).unwrap();
        let mut bounds: Vec<u32> = cuts.into_iter().map(|c| c % (trials + 1)).chain([0, trials]).collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut blocks: Vec<TrialBlock> = bounds
            .windows(2)
            .map(|w| {
                let b = simulate_trials(&history(), spec, &schemes, w[0]..w[1], &|_| {}).unwrap();
                TrialBlock::from_bytes(&b.to_bytes()).unwrap()
            })
            .collect();
        blocks.reverse();
        let merged = summarize(spec, &schemes, &TrialBlock::concat(blocks).unwrap()).unwrap();
        prop_assert_eq!(merged, whole);
    }
}

#[test]
fn blocks_with_a_gap_an_overlap_or_bad_bytes_are_errors() {
    let spec = ProjectionSpec { first_year: 2021, years: 3, trials: 10, seed: 1 };
    let schemes = [scheme(&[(1_000, 900, 0, 30, 40)], 0, 20)];
    let run = |r: std::ops::Range<u32>| simulate_trials(&history(), spec, &schemes, r, &|_| {}).unwrap();
    let gap = TrialBlock::concat(vec![run(0..4), run(5..10)]).unwrap_err();
    assert!(matches!(gap, RiskPoolError::TrialBlocks { .. }), "{gap}");
    assert!(TrialBlock::concat(vec![run(0..5), run(4..10)]).is_err());
    // A part of the trials is no projection.
    assert!(summarize(spec, &schemes, &run(0..9)).is_err());
    assert!(simulate_trials(&history(), spec, &schemes, 5..11, &|_| {}).is_err());
    let bytes = run(0..10).to_bytes();
    assert!(TrialBlock::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert!(TrialBlock::from_bytes(b"garbage").is_err());
    let mut flag = bytes.clone();
    *flag.last_mut().unwrap() = 7;
    assert!(TrialBlock::from_bytes(&flag).is_err());
    assert_eq!(TrialBlock::from_bytes(&bytes).unwrap(), run(0..10));
}
