//! medfund-insurer: banded split over 1e6 yearly totals, 1e6 claims with
//! running totals, the one-stop chain over 1e6 claims, and assistance
//! settlement of 1,000 counties × 5 years.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::collections::BTreeMap;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use medfund_benches::Gen;
use medfund_core::{Money, NaiveDate, PolicyHistory, Trace};
use medfund_insurer::{
    AverageWage, Claim, County, Hardship, MigrantLimit, Person, Status, huizhou_2021, settle, settle_one_stop,
    settle_one_stop_into, split_claims, xiamen_2007, xiamen_2007_subsidies,
};
use std::hint::black_box;

fn banded_totals(c: &mut Criterion) {
    let mut g = Gen::new(5);
    let schedule = xiamen_2007().unwrap().params().schedule().unwrap();
    let totals: Vec<Money> = (0..1_000_000).map(|_| Money::from_fen(g.below_i64(30_000_000))).collect();
    let mut out = Vec::with_capacity(totals.len());
    let mut group = c.benchmark_group("insurer/banded");
    group.throughput(Throughput::Elements(totals.len() as u64));
    group.bench_function("1e6 yearly totals, 1 thread", |b| {
        b.iter(|| schedule.split_totals_into(black_box(&totals), &mut out).unwrap())
    });
    group.bench_function("1e6 yearly totals summed, 1 thread", |b| {
        b.iter(|| schedule.sum_totals(black_box(&totals)).unwrap())
    });
    group.finish();
}

fn claims(c: &mut Criterion) {
    let mut g = Gen::new(6);
    let policy = xiamen_2007().unwrap().params().clone();
    let base = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    // 1e6 claims of 200,000 persons over two medical years, in random order.
    let claims: Vec<Claim<u32>> = (0..1_000_000)
        .map(|_| Claim {
            person: u32::try_from(g.below(200_000)).unwrap(),
            date: base.checked_add_days(chrono::Days::new(g.below(730))).unwrap(),
            eligible_cost: Money::from_fen(g.below_i64(4_000_000)),
        })
        .collect();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("insurer/claims");
    group.throughput(Throughput::Elements(claims.len() as u64));
    group.sample_size(10);
    group.bench_function("1e6 claims, 1 thread", |b| {
        b.iter(|| one.install(|| split_claims(&policy, 1_000_000, black_box(&claims)).unwrap()))
    });
    group.bench_function("1e6 claims, all threads", |b| {
        b.iter(|| split_claims(&policy, 1_000_000, black_box(&claims)).unwrap())
    });
    // The same claims with text ids ("p123456"), as the CLI and Python read them.
    let text: Vec<Claim<String>> = claims
        .iter()
        .map(|c| Claim { person: format!("p{}", c.person), date: c.date, eligible_cost: c.eligible_cost })
        .collect();
    group.bench_function("1e6 claims, text ids, 1 thread", |b| {
        b.iter(|| one.install(|| split_claims(&policy, 1_000_000, black_box(&text)).unwrap()))
    });
    // The parallel path starts at 4 threads; on a 2-core machine this
    // measures its overhead rather than its gain.
    let four = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    group.bench_function("1e6 claims, 4 threads (parallel path)", |b| {
        b.iter(|| four.install(|| split_claims(&policy, 1_000_000, black_box(&claims)).unwrap()))
    });
    group.finish();
}

/// The one-stop chain (#15): 1e6 claims of 200,000 persons over two medical
/// years, costs up to 80,000 yuan so that many persons pass the fund's cap;
/// 10 % civil servants (half retired), 5 % subsistence-allowance, 3 %
/// low-pension retirees, 10 % migrants, the rest employees.
fn one_stop(c: &mut Criterion) {
    let mut g = Gen::new(7);
    let supplementary = xiamen_2007().unwrap().params().clone();
    let mut subsidies = xiamen_2007_subsidies().unwrap().params().clone();
    let wage = Money::from_yuan(100_000).unwrap();
    subsidies.average_wages = (2022..=2024).map(|medical_year| AverageWage { medical_year, wage }).collect();
    subsidies.migrant_limits = Some(vec![
        MigrantLimit { from_months: 0, limit: Money::from_yuan(50_000).unwrap() },
        MigrantLimit { from_months: 12, limit: Money::from_yuan(150_000).unwrap() },
    ]);
    let persons: Vec<(u32, Person)> = (0..200_000_u32)
        .map(|id| {
            let p = match g.below(100) {
                0..5 => Person::new(Status::CivilServant),
                5..10 => Person::new(Status::RetiredCivilServant),
                10..15 => Person::new(Status::Employee).with_hardship(Hardship::SubsistenceAllowance),
                15..18 => Person::new(Status::Retired)
                    .with_hardship(Hardship::LowPension)
                    .with_monthly_pension(Money::from_yuan(3_000).unwrap()),
                18..28 => Person::new(Status::Migrant).with_contribution_months(u32::try_from(g.below(36)).unwrap()),
                _ => Person::new(Status::Employee),
            };
            (id, p)
        })
        .collect();
    let base = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let claims: Vec<Claim<u32>> = (0..1_000_000)
        .map(|_| Claim {
            person: u32::try_from(g.below(200_000)).unwrap(),
            date: base.checked_add_days(chrono::Days::new(g.below(730))).unwrap(),
            eligible_cost: Money::from_fen(g.below_i64(8_000_000)),
        })
        .collect();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("insurer/one-stop");
    group.throughput(Throughput::Elements(claims.len() as u64));
    group.sample_size(10);
    group.bench_function("1e6 claims, 1 thread", |b| {
        b.iter(|| {
            one.install(|| {
                settle_one_stop(&supplementary, &subsidies, 1_000_000, &persons, black_box(&claims), &mut Trace::off())
                    .unwrap()
            })
        })
    });
    // The result's vectors reused from call to call, as a sweep of variants does.
    let mut out = settle_one_stop(&supplementary, &subsidies, 1_000_000, &persons, &claims, &mut Trace::off()).unwrap();
    group.bench_function("1e6 claims, result reused, 1 thread", |b| {
        b.iter(|| {
            one.install(|| {
                settle_one_stop_into(
                    &supplementary,
                    &subsidies,
                    1_000_000,
                    &persons,
                    black_box(&claims),
                    &mut Trace::off(),
                    &mut out,
                )
                .unwrap()
            })
        })
    });
    // The same claims, nobody listed: the chain's cost for employees alone.
    group.bench_function("1e6 claims, employees only, 1 thread", |b| {
        b.iter(|| {
            one.install(|| {
                settle_one_stop(&supplementary, &subsidies, 1_000_000, &[], black_box(&claims), &mut Trace::off())
                    .unwrap()
            })
        })
    });
    group.finish();
}

fn settlement(c: &mut Criterion) {
    let mut g = Gen::new(7);
    let history = PolicyHistory::new("assistance", vec![huizhou_2021().unwrap()]).unwrap();
    let counties: Vec<County> = (0..1_000)
        .map(|i| County {
            id: format!("c{i}"),
            spend: (2021..=2026).map(|y| (y, Money::from_fen(g.below_i64(2_000_000_000)))).collect(),
            prior_plan_fee: BTreeMap::from([(2021, Money::from_fen(g.below_i64(40_000_000)))]),
            ..County::default()
        })
        .collect();
    let mut group = c.benchmark_group("insurer/assistance");
    group.throughput(Throughput::Elements(5_000));
    group.bench_function("1000 counties x 5 years", |b| {
        b.iter(|| settle(&history, black_box(&counties), &mut Trace::off()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, banded_totals, claims, one_stop, settlement);
criterion_main!(benches);
