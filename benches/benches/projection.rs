//! The Monte Carlo projection (§8) and the sweep (§9).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use medfund_benches::Gen;
use medfund_core::{Money, Rate};
use medfund_riskpool::{
    Growth, ProjectedScheme, ProjectedUnit, ProjectionSpec, Scheme, Shocks, SummaryOptions, UnitFigures, alxa_2020,
    history_of, simulate, simulate_with, stream,
};
use std::hint::black_box;

fn monte_carlo(c: &mut Criterion) {
    let mut g = Gen::new(9);
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let growth = |mean, sd| Growth::normal(Rate::per_mille(mean), Rate::per_mille(sd));
    let units: Vec<ProjectedUnit> = (0..10_u64)
        .map(|key| {
            let revenue = g.below_i64(5_000_000_000);
            ProjectedUnit {
                first_year: UnitFigures {
                    revenue: Money::from_fen(revenue),
                    expenditure: Money::from_fen(revenue / 10 * 9 + g.below_i64(revenue.unsigned_abs() / 5 + 1)),
                    rolling_surplus: Money::from_fen(g.below_i64(500_000_000)),
                    league_fiscal_share: None,
                },
                revenue_growth: growth(50, 20),
                expenditure_growth: growth(60, 30),
                stream_key: key,
            }
        })
        .collect();
    let schemes =
        [ProjectedScheme { scheme: Scheme::Employee, opening_balance: Money::from_fen(2_000_000_000), units }];
    let spec = ProjectionSpec { first_year: 2024, years: 10, trials: 10_000, seed: 42 };
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("projection/monte_carlo");
    group.throughput(Throughput::Elements(10_000 * 10 * 10));
    group.sample_size(10);
    group.bench_function("10000 trials x 10 years x 10 units, 1 thread", |b| {
        b.iter(|| one.install(|| simulate(&history, black_box(spec), &schemes, &|_| {}).unwrap()))
    });
    group.bench_function("10000 trials x 10 years x 10 units, all threads", |b| {
        b.iter(|| simulate(&history, black_box(spec), &schemes, &|_| {}).unwrap())
    });
    // Per-unit statistics: each unit-year also tallied (counts and exact sums).
    let per_unit = SummaryOptions::default().with_per_unit(true);
    group.bench_function("10000 trials x 10 years x 10 units, per unit, all threads", |b| {
        b.iter(|| simulate_with(&history, black_box(spec), &Shocks::default(), &schemes, &per_unit, &|_| {}).unwrap())
    });
    // The two-pass method (memory independent of the trials): every trial runs twice.
    let options = SummaryOptions::with_quantiles([5, 25, 50, 75, 95]);
    group.bench_function("10000 trials x 10 years x 10 units, two passes, all threads", |b| {
        b.iter(|| {
            stream::simulate_two_pass(
                &history,
                black_box(spec),
                &Shocks::default(),
                &schemes,
                &options,
                stream::DEFAULT_BUDGET,
                &|_| {},
            )
            .unwrap()
        })
    });
    group.finish();
}

fn sweep(c: &mut Criterion) {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/demo.toml");
    let settings: Vec<medfund_scenario::Setting> = vec![
        "riskpool.policy.levy_rate=5%,6%,7%,8%,9%,10%,11%,12%,13%,15%".parse().unwrap(),
        "surplus.policy.primary_floor=30%,35%,40%,45%".parse().unwrap(),
    ];
    let mut group = c.benchmark_group("projection/sweep");
    group.throughput(Throughput::Elements(40));
    group.sample_size(10);
    group.bench_function("demo scenario, 40 combinations", |b| {
        b.iter(|| {
            medfund_scenario::sweep_file(black_box(demo), &settings, None, &medfund_scenario::Limits::default())
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, monte_carlo, sweep);
criterion_main!(benches);
