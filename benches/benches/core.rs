//! medfund-core: the largest-remainder split and money × rate over columns.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use medfund_benches::Gen;
use medfund_core::{Money, Rate, Rounding, Splitter};
use std::hint::black_box;

fn split(c: &mut Criterion) {
    let mut g = Gen::new(1);
    let weights: Vec<u64> = (0..1_000_000).map(|_| g.below(1_000_000_000)).collect();
    let mut out = vec![Money::ZERO; weights.len()];
    let mut splitter = Splitter::new();
    let mut group = c.benchmark_group("core/split");
    group.throughput(Throughput::Elements(weights.len() as u64));
    group.sample_size(20);
    group.bench_function(BenchmarkId::new("largest_remainder", "1e6 weights"), |b| {
        b.iter(|| splitter.split_into(black_box(Money::from_fen(123_456_789_012)), &weights, &mut out).unwrap())
    });
    group.finish();
}

fn mul_rate(c: &mut Criterion) {
    let mut g = Gen::new(2);
    let amounts: Vec<Money> = (0..1_000_000).map(|_| Money::from_fen(g.below_i64(10_000_000_000))).collect();
    let rate: Rate = "4%".parse().unwrap();
    let mut out = vec![Money::ZERO; amounts.len()];
    let mut group = c.benchmark_group("core/mul_rate");
    group.throughput(Throughput::Elements(amounts.len() as u64));
    group.bench_function(BenchmarkId::new("half_away_from_zero", "1e6 amounts"), |b| {
        b.iter(|| {
            for (o, &a) in out.iter_mut().zip(&amounts) {
                *o = a.mul_rate(black_box(rate), Rounding::HalfAwayFromZero).unwrap();
            }
        })
    });
    group.finish();
}

criterion_group!(benches, split, mul_rate);
criterion_main!(benches);
