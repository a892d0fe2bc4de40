//! medfund-contrib: a register of 10⁷ employees through the column kernel
//! (base clamp, personal and employer parts, account/pool split by age
//! band), single-threaded; and the same employees one by one through the
//! checked rule, for comparison.
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
use medfund_contrib::{
    BaseRule, Employee, EmployeePolicy, Figures, Register, RegisterColumns, contribute, contribute_register_into,
};
use medfund_core::{Money, Share, Trace};
use std::hint::black_box;

fn policy() -> EmployeePolicy {
    let mut p = EmployeePolicy::city_template();
    p.employer_rate = Some(Share::percent(6).unwrap());
    for (band, share) in p.account_bands.iter_mut().zip([30, 35, 40]) {
        band.employer_share = Some(Share::percent(share).unwrap());
    }
    p.retiree_account_rate = Some(Share::percent(4).unwrap());
    p
}

/// `n` employees: wages 0–400,000 yuan, births 1960–2005, 2 % on the
/// average-wage rule, 1 % re-employment, 10 % retired.
fn columns(n: usize) -> (Vec<BaseRule>, Vec<Money>, Vec<i32>, Vec<Money>) {
    let mut g = Gen::new(14);
    let rules = (0..n)
        .map(|_| match g.below(100) {
            0..=1 => BaseRule::AverageWage,
            2 => BaseRule::Reemployment,
            3..=12 => BaseRule::Retired,
            _ => BaseRule::Wage,
        })
        .collect::<Vec<_>>();
    let wages = (0..n).map(|_| Money::from_fen(g.below_i64(40_000_000))).collect();
    let births = (0..n).map(|_| 1960 + g.below(46) as i32).collect();
    let pensions = rules
        .iter()
        .map(|r| if *r == BaseRule::Retired { Money::from_fen(g.below_i64(10_000_000)) } else { Money::ZERO })
        .collect();
    (rules, wages, births, pensions)
}

fn register(c: &mut Criterion) {
    let n = std::env::var("MEDFUND_BENCH_EMPLOYEES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let (rules, wages, births, pensions) = columns(n);
    let register = Register { base_rules: &rules, wages: &wages, birth_years: &births, pensions: &pensions };
    let (p, w) = (policy(), Money::from_fen(8_500_000));
    let mut group = c.benchmark_group("contrib/register");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    // The output columns are kept from one iteration to the next, as a
    // sweep over policies keeps them (fresh 400 MB per run would measure the
    // kernel's page faults).
    let mut out = RegisterColumns::default();
    group.bench_function(format!("{n} employees, column kernel, 1 thread"), |b| {
        b.iter(|| contribute_register_into(&p, w, 2024, black_box(register), Figures::All, &mut out).unwrap())
    });
    group.bench_function(format!("{n} employees, column kernel, fresh columns, 1 thread"), |b| {
        b.iter(|| medfund_contrib::contribute_register(&p, w, 2024, black_box(register), Figures::All).unwrap())
    });
    let some = n.min(1_000_000);
    let employees: Vec<Employee> = (0..some)
        .map(|i| Employee {
            id: String::new(),
            base_rule: rules[i],
            wage: wages[i],
            birth_year: births[i],
            pension: pensions[i],
        })
        .collect();
    group.throughput(Throughput::Elements(some as u64));
    group.bench_function(format!("{some} employees, checked rule one by one"), |b| {
        b.iter(|| contribute(&p, w, 2024, black_box(&employees), Figures::All, &mut Trace::off()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, register);
criterion_main!(benches);
