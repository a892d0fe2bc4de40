//! #36 (9): an output naming an input of the run, or another output of it,
//! is refused before the run reads anything, and every file is left as it was.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use crate::common::{run, write_files};

const CLAIMS: &str = "person,date,eligible_cost\np1,2023-03-01,50000.00\np2,2023-04-01,1000.00\n";

fn folder() -> std::path::PathBuf {
    let scenario = "[supplementary]\ninsured_persons = 100\nclaims_csv = \"claims.csv\"\n";
    let path = write_files(&[("s.toml", scenario.as_bytes()), ("claims.csv", CLAIMS.as_bytes())]);
    path.parent().unwrap().to_path_buf()
}

fn medfund(dir: &std::path::Path, args: &[&str]) -> crate::common::Outcome {
    let s = dir.join("s.toml");
    let mut all = vec![args[0], s.to_str().unwrap()];
    all.extend(&args[1..]);
    let owned: Vec<String> = all.iter().map(|a| a.replace("DIR", dir.to_str().unwrap())).collect();
    run(&owned.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn an_output_naming_an_input_is_refused_and_the_input_kept() {
    let dir = folder();
    let out = medfund(&dir, &["run", "--claims-out", "DIR/claims.csv"]);
    out.input_error(&["--claims-out", "the same file as the input supplementary.claims_csv"]);
    assert_eq!(std::fs::read_to_string(dir.join("claims.csv")).unwrap(), CLAIMS);
    // Another name for it: `./`, a hard link.
    std::fs::hard_link(dir.join("claims.csv"), dir.join("linked.csv")).unwrap();
    for name in ["DIR/./claims.csv", "DIR/linked.csv"] {
        medfund(&dir, &["run", "--claims-out", name]).input_error(&["the same file as the input"]);
    }
    medfund(&dir, &["run", "--person-years-out", "DIR/s.toml"])
        .input_error(&["--person-years-out", "the same file as the input scenario"]);
    assert_eq!(std::fs::read_to_string(dir.join("claims.csv")).unwrap(), CLAIMS);
    assert_eq!(medfund(&dir, &["run", "--claims-out", "DIR/splits.csv"]).code, 0);
}

#[test]
fn two_outputs_naming_one_file_are_refused() {
    let dir = folder();
    medfund(&dir, &["run", "--claims-out", "DIR/x.parquet", "--person-years-out", "DIR/./x.parquet"])
        .input_error(&["--person-years-out", "the same file as --claims-out"]);
    assert!(!dir.join("x.parquet").exists());
    let scenario = dir.join("p.toml");
    std::fs::write(
        &scenario,
        "[riskpool]\nyear = 2023\n[[riskpool.units]]\nid = \"u\"\nscheme = \"employee\"\nrevenue = \"1000\"\nexpenditure = \"900\"\n\
         [projection]\nyears = 2\ntrials = 10\nseed = 1\n[projection.default]\n\
         revenue_growth = { mean = \"3%\", sd = \"1%\" }\nexpenditure_growth = { mean = \"3%\", sd = \"1%\" }\n",
    )
    .unwrap();
    let p = scenario.to_str().unwrap();
    let same = dir.join("same.csv");
    let same = same.to_str().unwrap();
    run(&["simulate", p, "--paths", same, "--svg", same]).input_error(&["--svg", "the same file as --paths"]);
    run(&["simulate", p, "--svg", p]).input_error(&["--svg", "the same file as the input scenario"]);
}
