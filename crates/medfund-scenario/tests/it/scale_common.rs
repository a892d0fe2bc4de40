//! Claims for the tests of claims at scale (§5.3): generated, not stored.
// Each test binary uses some of these helpers, never all of them.
#![allow(dead_code, clippy::unwrap_used, clippy::arithmetic_side_effects)]

use std::path::PathBuf;

use medfund_core::NaiveDate;

/// A claim: (claim id, person, date, eligible cost in fen).
pub(crate) type ClaimRow = (String, String, NaiveDate, i64);

/// The size of a test at scale: `quick` claims in the everyday suite (sized
/// for a debug build), `full` when `MEDFUND_FULL_TESTS` is set to anything
/// but `0`, as CI's full check runs it (docs/install.md, "Tests"):
/// `MEDFUND_FULL_TESTS=1 cargo test --release -p medfund-scenario --test it at_scale`.
pub(crate) fn size(quick: usize, full: usize) -> usize {
    match std::env::var("MEDFUND_FULL_TESTS") {
        Ok(v) if !v.is_empty() && v != "0" => full,
        _ => quick,
    }
}

/// A memory budget that spills `n` claims into many partitions: 1 MiB per
/// 10⁶ claims (≈ 40 MB of records), never below 64 KiB.
pub(crate) fn spilling_budget(n: usize) -> u64 {
    (u64::try_from(n).unwrap() * (1 << 20) / 1_000_000).max(64 << 10)
}

/// A fresh folder `name` under the system's temporary one.
pub(crate) fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medfund-scale-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `n` claims of `n / 5` persons (`p-0000000`…) over two years of dates
/// from 2023-01-01, costs below `max_fen` (SplitMix64 from `seed`); sorted
/// by person when asked.
pub(crate) fn claims(n: usize, sorted: bool, seed: u64, max_fen: u64) -> Vec<ClaimRow> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let mut rows: Vec<ClaimRow> = (0..n)
        .map(|i| {
            let person = format!("p-{:07}", next() % (n as u64 / 5).max(1));
            let date = start + chrono::Days::new(next() % 730);
            (format!("c-{i:09}"), person, date, i64::try_from(next() % max_fen).unwrap())
        })
        .collect();
    if sorted {
        rows.sort_by(|a, b| a.1.cmp(&b.1));
    }
    rows
}
