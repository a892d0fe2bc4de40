//! Claims at scale (§5.3): a Parquet file of claims settled into a Parquet
//! file of results through the scenario library, as `medfund run
//! --claims-out` does — 10⁶ claims in memory, and the same with a 16 MiB
//! budget that partitions them to temporary files. The 10⁷ and 10⁸ figures
//! of docs/benchmarks.md are `medfund run` on `gen-claims` files (the
//! commands are there).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use medfund_scenario::{ClaimsRun, Limits, ScenarioFormat, load_scenario, run_scenario_with};

const CLAIMS: u64 = 1_000_000;

fn parquet_to_parquet(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("medfund-bench-columnar-{}", std::process::id()));
    medfund_benches::write_claims(CLAIMS, &dir, "parquet").unwrap();
    let path = dir.join("scenario.toml");
    let (scenario, base) =
        load_scenario(path.to_str().unwrap(), Some(ScenarioFormat::Toml), &Limits::default()).unwrap();
    let out = dir.join("splits.parquet");
    let mut group = c.benchmark_group("columnar/parquet-to-parquet");
    group.sample_size(10);
    group.throughput(Throughput::Elements(CLAIMS));
    for (name, run) in [
        ("1e6 claims, in memory", ClaimsRun::default().with_out(&out)),
        (
            "1e6 claims, 16 MiB budget (spilled)",
            ClaimsRun::default().with_out(&out).with_memory_budget(16 << 20).with_temp_dir(&dir),
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                run_scenario_with(&scenario, "scenario.toml", base.clone(), false, &Limits::default(), &run).unwrap()
            })
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, parquet_to_parquet);
criterion_main!(benches);
