//! medfund-surplus: allocation over 1e6 institutions (target ≤ 1 s single-threaded).
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
use medfund_core::{Money, Quantity, Trace};
use medfund_surplus::{Institution, Level, allocate, framework_2025};
use std::hint::black_box;

fn allocation(c: &mut Criterion) {
    let mut g = Gen::new(8);
    let policy = framework_2025().unwrap().params().clone();
    let institutions: Vec<Institution> = (0..1_000_000)
        .map(|i| Institution {
            id: format!("i{i}"),
            name: None,
            level: [Level::Primary, Level::Primary, Level::Secondary, Level::Tertiary]
                [usize::try_from(g.below(4)).unwrap()],
            chronic_care_score: Quantity::from(g.below_i64(101)),
            workload: Quantity::from(g.below_i64(200_000)),
        })
        .collect();
    let mut group = c.benchmark_group("surplus/allocate");
    group.throughput(Throughput::Elements(institutions.len() as u64));
    group.sample_size(10);
    group.bench_function("1e6 institutions, 1 thread", |b| {
        b.iter(|| {
            allocate(&policy, black_box(Money::from_fen(1_000_000_000_000)), &institutions, &[], &mut Trace::off())
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, allocation);
criterion_main!(benches);
