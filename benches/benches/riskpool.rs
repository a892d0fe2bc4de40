//! medfund-riskpool: one fund year over 1,000 units; a 10-year roll-forward over 100 units.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use medfund_benches::Gen;
use medfund_core::{Money, Trace};
use medfund_riskpool::{
    Scheme, SchemeEngine, SchemeInput, SchemeSeries, Unit, UnitFigures, UnitSeries, alxa_2020, compute_scheme,
    history_of, roll_forward,
};
use std::hint::black_box;

fn units(n: usize, g: &mut Gen) -> Vec<Unit> {
    (0..n)
        .map(|i| Unit {
            id: format!("u{i}"),
            name: None,
            revenue: Money::from_fen(g.below_i64(5_000_000_000)),
            expenditure: Money::from_fen(g.below_i64(5_500_000_000)),
            rolling_surplus: Money::from_fen(g.below_i64(500_000_000)),
            league_fiscal_share: None,
        })
        .collect()
}

fn one_year(c: &mut Criterion) {
    let mut g = Gen::new(3);
    let policy = alxa_2020().unwrap().params().clone();
    let input = SchemeInput {
        scheme: Scheme::Employee,
        opening_balance: Money::from_fen(100_000_000_000),
        units: units(1_000, &mut g),
    };
    let figures: Vec<UnitFigures> = input
        .units
        .iter()
        .map(|u| UnitFigures {
            revenue: u.revenue,
            expenditure: u.expenditure,
            rolling_surplus: u.rolling_surplus,
            league_fiscal_share: None,
        })
        .collect();
    let mut group = c.benchmark_group("riskpool/year");
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("1000 units (API with ids)", |b| {
        b.iter(|| compute_scheme(&policy, black_box(&input), &mut Trace::off()).unwrap())
    });
    let mut engine = SchemeEngine::new();
    let mut out = Vec::with_capacity(1_000);
    group.bench_function("1000 units (engine, no allocation)", |b| {
        b.iter(|| engine.run(&policy, black_box(Money::from_fen(100_000_000_000)), &figures, &mut out).unwrap())
    });
    group.finish();
}

fn ten_years(c: &mut Criterion) {
    let mut g = Gen::new(4);
    let history = history_of(alxa_2020().unwrap()).unwrap();
    let series = vec![SchemeSeries {
        scheme: Scheme::Resident,
        opening_balance: Money::from_fen(5_000_000_000),
        units: (0..100)
            .map(|i| UnitSeries {
                id: format!("u{i}"),
                rolling_surplus: Money::from_fen(g.below_i64(500_000_000)),
                league_fiscal_share: None,
                revenue: (0..10).map(|_| Money::from_fen(g.below_i64(5_000_000_000))).collect(),
                expenditure: (0..10).map(|_| Money::from_fen(g.below_i64(5_500_000_000))).collect(),
            })
            .collect(),
    }];
    let mut group = c.benchmark_group("riskpool/roll_forward");
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("10 years x 100 units", |b| {
        b.iter(|| roll_forward(&history, 2021, 10, black_box(&series), &mut Trace::off()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, one_year, ten_years);
criterion_main!(benches);
