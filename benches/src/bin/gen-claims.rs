//! Writes a claims CSV (`person,date,eligible_cost`) and a scenario that reads
//! it, for timing `medfund run` on large inputs:
//!
//! ```sh
//! cargo run --release -p medfund-benches --bin gen-claims -- 1000000 /tmp/claims
//! medfund run /tmp/claims/scenario.toml --format json > /dev/null
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::arithmetic_side_effects)]

use std::io::Write;

use medfund_benches::Gen;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "claims-bench".into()));
    std::fs::create_dir_all(&dir)?;
    let mut g = Gen::new(42);
    let persons = (n / 5).max(1);
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("claims.csv"))?);
    writeln!(out, "person,date,eligible_cost")?;
    for _ in 0..n {
        let person = g.below(persons);
        let day = g.below(730);
        let date = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Days::new(day);
        let fen = g.below(4_000_000);
        writeln!(out, "p-{person:07},{date},{}.{:02}", fen / 100, fen % 100)?;
    }
    out.flush()?;
    std::fs::write(
        dir.join("scenario.toml"),
        "[supplementary]\ninsured_persons = 1000000\nclaims_csv = \"claims.csv\"\n",
    )?;
    eprintln!("wrote {n} claims of {persons} persons to {}", dir.display());
    Ok(())
}
