//! Writes a claims file (`claim_id,person,date,eligible_cost`; CSV, Parquet
//! or Arrow IPC) and a scenario that reads it, for timing `medfund run` on
//! large inputs:
//!
//! ```sh
//! cargo run --release -p medfund-benches --bin gen-claims -- 10000000 /tmp/claims parquet
//! medfund run /tmp/claims/scenario.toml --format json --claims-out /tmp/claims/splits.parquet > /dev/null
//! ```
//!
//! Persons are `p-0000000`…, one per five claims on average, dates over
//! 2023–2024, costs up to 40,000 yuan; the same seed gives the same claims in
//! every format.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::arithmetic_side_effects)]

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "claims-bench".into()));
    let format = args.next().unwrap_or_else(|| "csv".into());
    let file = medfund_benches::write_claims(n, &dir, &format)?;
    eprintln!("wrote {n} claims to {}", file.display());
    Ok(())
}
