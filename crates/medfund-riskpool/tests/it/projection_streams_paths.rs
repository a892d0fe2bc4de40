//! Deterministic scenario paths (a mean per growth year) and per-unit random
//! streams (scenario contract §8).
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

use crate::common;
use common::schemes;

fn history() -> medfund_core::PolicyHistory<RiskPoolPolicy> {
    history_of(alxa_2020().unwrap()).unwrap()
}

fn run(spec: ProjectionSpec, shocks: &Shocks, s: &[ProjectedScheme]) -> Vec<SchemeProjection> {
    simulate_with(&history(), spec, shocks, s, &SummaryOptions::default(), &|_| {}).unwrap()
}

/// `base` with every growth's constant mean written as a path of `years − 1` equal means.
fn as_paths(base: &[ProjectedScheme], years: u32) -> Vec<ProjectedScheme> {
    let path = |g: &Growth| match &g.mean {
        GrowthMean::Constant(m) => Growth::path(vec![*m; years as usize - 1], g.sd),
        other => panic!("{other:?}"),
    };
    let mut out = base.to_vec();
    for u in out.iter_mut().flat_map(|s| s.units.iter_mut()) {
        (u.revenue_growth, u.expenditure_growth) = (path(&u.revenue_growth), path(&u.expenditure_growth));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Rule: scenario contract §8, deterministic scenario paths — with sd 0 each
    /// trial follows the given growth of every year, exactly as the roll-forward
    /// of §3 over the series it gives.
    #[test]
    fn prop_a_path_with_zero_sd_equals_the_roll_forward_of_that_path(
        units in prop::collection::vec((0_i64..2_000_000_000, 0_i64..2_500_000_000,
            prop::collection::vec((-80_i64..150, -80_i64..150), 7)), 1..5),
        opening in 0_i64..1_000_000_000, years in 1_u32..8, per_unit in any::<bool>(),
    ) {
        let spec = ProjectionSpec { first_year: 2021, years, trials: 2, seed: 3 };
        let g = (years - 1) as usize;
        let projected = ProjectedScheme {
            scheme: Scheme::Resident,
            opening_balance: Money::from_fen(opening),
            units: units.iter().enumerate().map(|(i, (rev, exp, path))| ProjectedUnit {
                first_year: UnitFigures { revenue: Money::from_fen(*rev), expenditure: Money::from_fen(*exp),
                    rolling_surplus: Money::ZERO, league_fiscal_share: None },
                revenue_growth: Growth::path(path[..g].iter().map(|p| Rate::per_mille(p.0)).collect(), Rate::ZERO),
                expenditure_growth: Growth::path(path[..g].iter().map(|p| Rate::per_mille(p.1)).collect(), Rate::ZERO),
                stream_key: stream_key(Scheme::Resident, &i.to_string()),
            }).collect(),
        };
        let streams = if per_unit { Streams::PerUnit } else { Streams::PerTrial };
        let got = run(spec, &Shocks::default().with_streams(streams), &[projected]);
        let series = SchemeSeries {
            scheme: Scheme::Resident,
            opening_balance: Money::from_fen(opening),
            units: units.iter().enumerate().map(|(i, (rev, exp, path))| {
                let grow = |start: i64, pick: fn(&(i64, i64)) -> i64| {
                    let mut v = vec![Money::from_fen(start)];
                    for p in &path[..g] {
                        let factor = Rate::from_decimal(Rate::ONE.to_decimal() + Rate::per_mille(pick(p)).to_decimal());
                        let next = v.last().unwrap().mul_rate(factor, Rounding::HalfAwayFromZero).unwrap();
                        v.push(next);
                    }
                    v
                };
                UnitSeries { id: format!("u{i}"), rolling_surplus: Money::ZERO, league_fiscal_share: None,
                    revenue: grow(*rev, |p| p.0), expenditure: grow(*exp, |p| p.1) }
            }).collect(),
        };
        let det = roll_forward(&history(), 2021, years as usize, &[series], &mut Trace::off()).unwrap();
        for (stats, year) in got[0].years.iter().zip(&det) {
            let t = year.schemes[0].totals;
            prop_assert_eq!(stats.closing_balance.p50, t.closing_balance);
            prop_assert_eq!(stats.closing_balance.p5, t.closing_balance);
            let unresolved = Money::checked_sum(year.schemes[0].outcomes.iter().map(|o| o.unresolved)).unwrap();
            prop_assert_eq!(stats.mean_unresolved, unresolved);
        }
    }
}

/// Rule: scenario contract §8 — a path of equal means is the constant mean, draw for draw.
#[test]
fn a_path_of_equal_means_equals_the_constant_mean() {
    let base = schemes(&[(1_000_000_000, 950_000_000, 50, 70), (400_000_000, 420_000_000, 40, 60)], 30);
    let spec = ProjectionSpec { first_year: 2022, years: 6, trials: 300, seed: 11 };
    for streams in [Streams::PerTrial, Streams::PerUnit] {
        let shocks = Shocks::new(Rate::percent(40), Rate::percent(20), Rate::percent(30), ShockDistribution::Normal)
            .with_streams(streams);
        for shocks in [Shocks::default().with_streams(streams), shocks] {
            assert_eq!(run(spec, &shocks, &base), run(spec, &shocks, &as_paths(&base, spec.years)), "{shocks:?}");
        }
    }
}

/// Rule: scenario contract §8, per-unit streams — adding a unit to the
/// employee scheme leaves the resident scheme's draws, and so its figures,
/// as they were (common random numbers); one stream per trial does not.
#[test]
fn per_unit_streams_keep_the_other_units_draws_when_a_unit_is_added() {
    let units = [(1_000_000_000, 980_000_000, 50, 60), (300_000_000, 310_000_000, 40, 70)];
    let base = schemes(&units, 40);
    let mut more = base.clone();
    let mut extra = more[0].units[0].clone();
    extra.stream_key = stream_key(Scheme::Employee, "new-unit");
    more[0].units.insert(0, extra);
    let spec = ProjectionSpec { first_year: 2022, years: 8, trials: 400, seed: 5 };
    let correlated = Shocks::new(Rate::percent(50), Rate::percent(30), Rate::percent(40), ShockDistribution::Normal);
    for shocks in [Shocks::default(), correlated.clone(), correlated.with_streams(Streams::PerTrial)] {
        let per_unit = shocks.clone().with_streams(Streams::PerUnit);
        let (before, after) = (run(spec, &per_unit, &base), run(spec, &per_unit, &more));
        assert_eq!(before[1], after[1], "resident scheme under {per_unit:?}");
        assert_ne!(before[0], after[0], "the employee scheme has a new unit");
        let per_trial = shocks.with_streams(Streams::PerTrial);
        assert_ne!(run(spec, &per_trial, &base)[1], run(spec, &per_trial, &more)[1], "{per_trial:?}");
    }
}

#[test]
fn per_unit_streams_give_the_same_result_with_one_thread_or_many() {
    let s = schemes(&[(1_000_000_000, 990_000_000, 50, 60), (500_000_000, 480_000_000, 40, 80)], 30);
    let spec = ProjectionSpec { first_year: 2022, years: 10, trials: 500, seed: 42 };
    let shocks = Shocks::new(Rate::percent(30), Rate::percent(50), Rate::percent(20), ShockDistribution::StudentT(5))
        .with_streams(Streams::PerUnit);
    let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    let one = pool(1).install(|| run(spec, &shocks, &s));
    let many = pool(4).install(|| run(spec, &shocks, &s));
    assert_eq!(one, many);
    // The per-unit draws are other draws than the per-trial ones.
    assert_ne!(one, run(spec, &shocks.with_streams(Streams::PerTrial), &s));
}

#[test]
fn a_path_of_the_wrong_length_and_shared_stream_keys_are_errors() {
    let spec = ProjectionSpec { first_year: 2022, years: 4, trials: 10, seed: 1 };
    let mut s = schemes(&[(1_000, 900, 50, 60), (2_000, 1_900, 50, 60)], 10);
    s[0].units[0].revenue_growth = Growth::path(vec![Rate::percent(5); 4], Rate::ZERO);
    let e = simulate(&history(), spec, &s, &|_| {}).unwrap_err();
    assert!(
        matches!(e, RiskPoolError::InvalidPolicy { field: "revenue_growth.path", ref value, .. } if value == "4 rates"),
        "{e:?}"
    );
    let mut s = schemes(&[(1_000, 900, 50, 60), (2_000, 1_900, 50, 60)], 10);
    s[1].units[1].stream_key = s[1].units[0].stream_key;
    let per_unit = Shocks::default().with_streams(Streams::PerUnit);
    let e = simulate_with(&history(), spec, &per_unit, &s, &SummaryOptions::default(), &|_| {}).unwrap_err();
    assert!(matches!(e, RiskPoolError::InvalidPolicy { field: "units.stream_key", .. }), "{e:?}");
    // One stream per trial never reads the keys.
    assert!(simulate(&history(), spec, &s, &|_| {}).is_ok());
}
