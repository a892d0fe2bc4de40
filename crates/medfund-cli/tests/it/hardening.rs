//! End to end: hostile and oversized inputs end in exit 2 (or 1 for output
//! failures) with a message, within bounded time and memory; no input
//! changes money silently. One test per kind of input that used to abort,
//! hang or mislead.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects, missing_docs)]

use crate::common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{fen, medfund, run, run_path, run_scenario, run_with_stdin, tempdir, write_files};

const UNIT: &str = "[[riskpool.units]]\nid = \"u\"\nscheme = \"employee\"\nrevenue = \"1000\"\nexpenditure = \"900\"\n";

fn projection(years: &str, trials: &str) -> String {
    format!(
        "[riskpool]\nyear = 2024\n{UNIT}[projection]\nyears = {years}\ntrials = {trials}\nseed = 1\n[projection.default]\nrevenue_growth = {{ mean = \"5%\", sd = \"1%\" }}\nexpenditure_growth = {{ mean = \"5%\", sd = \"1%\" }}\n"
    )
}

#[test]
fn projections_past_the_memory_limit_run_in_two_passes_with_the_same_figures() {
    // 20,000 trials × 2 years × 1 scheme keep about 1 MiB of outcomes.
    let path = write_files(&[("p.toml", projection("2", "20000").as_bytes())]);
    let args = ["simulate", "--format", "json", "--quantiles", "10,90"];
    let kept = run_path(&path, &args);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    let two_pass = run_path(&path, &[&args[..], &["--max-projection-memory", "100KiB"]].concat());
    assert_eq!(two_pass.code, 0, "{}", two_pass.stderr);
    assert_eq!(kept.stdout, two_pass.stdout);
    // Writing every trial's path keeps them all: refused past the limit, before any trial runs.
    let paths = path.with_file_name("paths.csv");
    let paths = paths.to_str().unwrap();
    run_path(&path, &["simulate", "--paths", paths, "--max-projection-memory", "100KiB"]).input_error(&[
        "--paths keeps every trial",
        "of memory",
        "more than the limit of 100 KiB",
    ]);
    assert!(!std::path::Path::new(paths).exists());
    // Huge projections are no longer refused for memory: `check` passes at once.
    let start = Instant::now();
    for trials in ["4294967295", "100000000"] {
        let path = write_files(&[("p.toml", projection("10", trials).as_bytes())]);
        assert_eq!(run_path(&path, &["check"]).code, 0);
    }
    assert!(start.elapsed() < Duration::from_secs(20), "checks must be immediate");
    // 200,000 years would run past the supported calendar.
    let path = write_files(&[("p.toml", projection("200000", "10").as_bytes())]);
    run_path(&path, &["check"]).input_error(&["projection.years", "2999"]);
}

#[test]
fn list_files_must_be_regular_files_with_bounded_lines() {
    let csv = "[supplementary]\ninsured_persons = 1\nclaims_csv = \"c.csv\"\n";
    // An endless line: cut at the record limit, not read until memory runs out.
    let long = format!("person,date,eligible_cost\np{},2023-08-01,1\n", "x".repeat(2 << 20));
    let path = write_files(&[("s.toml", csv.as_bytes()), ("c.csv", long.as_bytes())]);
    run_path(&path, &["run"]).input_error(&["c.csv:2:", "a line longer than 1 MiB", "--max-record-size"]);
    // Read in full with the limit raised, a 2 MiB person id is then refused
    // as an id (at most 4096 bytes, docs/limits.md), naming its row.
    run_path(&path, &["run", "--max-record-size", "4MiB", "--format", "json"]).input_error(&[
        "c.csv:2:",
        "row 1: column person",
        "expected at most 4096",
    ]);
    // A FIFO (which would block forever) as a list file and as the scenario.
    let dir = path.parent().unwrap().to_path_buf();
    let fifo = dir.join("c.csv");
    std::fs::remove_file(&fifo).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let start = Instant::now();
    run_path(&path, &["run"]).input_error(&["c.csv", "not a regular file"]);
    let scenario_fifo = dir.join("fifo.toml");
    assert!(std::process::Command::new("mkfifo").arg(&scenario_fifo).status().unwrap().success());
    run_path(&scenario_fifo, &["check"]).input_error(&["not a regular file"]);
    assert!(start.elapsed() < Duration::from_secs(10));
    // The scenario itself is bounded.
    let big = format!("# {}\n[surplus]\ntotal = \"1\"\n", "x".repeat(4096));
    let path = write_files(&[("big.toml", big.as_bytes())]);
    run_path(&path, &["check", "--max-scenario-size", "1KiB"]).input_error(&["larger than 1 KiB"]);
    run_with_stdin(&["check", "-", "--max-scenario-size", "1KiB"], big.as_bytes()).input_error(&["larger than 1 KiB"]);
}

#[test]
fn list_paths_stay_inside_the_scenario_folder_and_files_are_not_echoed() {
    for file in ["/etc/passwd", "../outside.csv", "sub/../../outside.csv"] {
        let text = format!("[supplementary]\ninsured_persons = 1\nclaims_csv = \"{file}\"\n");
        run_scenario("s.toml", &text).input_error(&["supplementary.claims_csv", "leads outside the scenario's folder"]);
    }
    // Allowed explicitly, a foreign file is read, and only an excerpt of its header is quoted.
    let header = format!("{},date\n", "h".repeat(10_000));
    let dir = tempdir();
    std::fs::write(dir.join("foreign.csv"), header).unwrap();
    let inner = dir.join("inner");
    std::fs::create_dir_all(&inner).unwrap();
    let scenario = inner.join("s.toml");
    std::fs::write(&scenario, "[supplementary]\ninsured_persons = 1\nclaims_csv = \"../foreign.csv\"\n").unwrap();
    let out = run_path(&scenario, &["run", "--allow-outside-paths"]);
    out.input_error(&["unknown column", "(10000 characters)"]);
    assert!(out.stderr.len() < 1_000, "{}", out.stderr.len());
}

#[test]
fn sweeps_are_bounded_and_paths_set_once() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo.toml");
    let mut args = vec!["sweep".to_owned(), demo.to_owned()];
    for i in 0..41 {
        args.push("--set".into());
        args.push(format!("riskpool.units[{}].revenue=1,2", i % 4));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let start = Instant::now();
    run(&args).input_error(&["set twice"]);
    let mut distinct = vec!["sweep".to_owned(), demo.to_owned()];
    for i in 0..41 {
        distinct.push("--set".into());
        distinct.push(format!("x{i}=1,2"));
    }
    let distinct: Vec<&str> = distinct.iter().map(String::as_str).collect();
    run(&distinct).input_error(&["2199023255552 combinations", "--max-combinations"]);
    assert!(start.elapsed() < Duration::from_secs(10));
    run(&["sweep", demo, "--set", "riskpool.policy.levy_rate=5%,8%,10%", "--max-combinations", "2"])
        .input_error(&["3 combinations, more than the limit of 2"]);
}

#[test]
fn one_long_name_does_not_widen_every_row() {
    let name = "名".repeat(100_000);
    let mut text = String::from("[riskpool]\nyear = 2021\n");
    for i in 0..2_000 {
        let shown = if i == 0 { name.as_str() } else { "旗" };
        text.push_str(&format!(
            "[[riskpool.units]]\nid = \"u{i}\"\nname = \"{shown}\"\nscheme = \"employee\"\nrevenue = \"1000\"\nexpenditure = \"900\"\n"
        ));
    }
    let path = write_files(&[("wide.toml", text.as_bytes())]);
    let start = Instant::now();
    let out = medfund().arg("run").arg(&path).output().unwrap();
    assert!(out.status.success());
    // Every row is bounded: far below rows × the long name.
    assert!(out.stdout.len() < 2_000 * 1_500, "{} bytes", out.stdout.len());
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn an_unwritable_stderr_or_stdout_never_panics() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("medfund"))
        .args(["run", "/nonexistent.toml"])
        .stdout(Stdio::null())
        .stderr(full)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2), "the exit status still tells");
    // A standard output nobody reads any more (a closed pipe): exit 1 with a
    // message in every format, never a report lost with exit 0.
    let bin = assert_cmd::cargo::cargo_bin("medfund");
    // With --explain each report is larger than a pipe's buffer (64 KiB), so
    // writing it meets the closed end whatever the timing.
    for format in ["table", "json", "csv", "markdown"] {
        let mut child = std::process::Command::new(&bin)
            .args(["demo", "--explain", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot write the report to standard output"),
            "{format}"
        );
    }
    // A reader that leaves early (`| head`) is also a failure to deliver the report.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' demo --format json | head -c 10 > /dev/null; exit ${{PIPESTATUS:-0}}", bin.display()))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn thread_counts_are_bounded() {
    let path = write_files(&[("p.toml", projection("2", "10").as_bytes())]);
    let start = Instant::now();
    run_path(&path, &["simulate", "--threads", "100000"]).input_error(&["--threads 100000", "at most 256"]);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_same_literal_gives_the_same_fen_in_toml_json_and_text() {
    for literal in ["72344990687247.04", "93819532283654.81", "0.1", "1.0E7", "12.5e-1"] {
        let toml = format!(
            "[surplus]\ntotal = {literal}\n[[surplus.institutions]]\nid = \"a\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n"
        );
        let from_toml = run_scenario("n.toml", &toml).json();
        let json = format!(
            r#"{{"surplus": {{"total": {literal}, "institutions": [{{"id": "a", "level": "primary", "chronic_care_score": 1, "workload": 1}}]}}}}"#
        );
        let from_json = run_scenario("n.json", &json).json();
        let text = toml.replace(&format!("total = {literal}"), &format!("total = \"{literal}\""));
        let from_text = run_scenario("n.toml", &text).json();
        assert_eq!(from_toml["surplus"]["total"], from_json["surplus"]["total"], "{literal}");
        assert_eq!(from_text["surplus"]["total"], from_json["surplus"]["total"], "{literal}");
    }
    assert_eq!(
        fen(&run_scenario("n.toml", "[surplus]\ntotal = 72344990687247.04\n[[surplus.institutions]]\nid = \"a\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n").json()["surplus"]["total"]),
        7_234_499_068_724_704
    );
}

#[test]
fn one_grammar_for_money_and_rates() {
    let surplus = |total: &str| {
        format!(
            "[surplus]\ntotal = {total}\n[[surplus.institutions]]\nid = \"a\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n"
        )
    };
    run_scenario("g.toml", &surplus("\"+-5\"")).input_error(&["surplus.total", "invalid money"]);
    let rate = |r: &str| format!("[riskpool]\nyear = 2021\npolicy = {{ levy_rate = {r} }}\n{UNIT}");
    let as_string = run_scenario("r.toml", &rate("\"1e-9\"")).json();
    let as_float = run_scenario("r.toml", &rate("1e-9")).json();
    assert_eq!(as_string["riskpool"], as_float["riskpool"]);
    for finer in ["\"1e-30\"", "1e-30", "\"0.000000000000000000000000001%\""] {
        run_scenario("r.toml", &rate(finer)).input_error(&["riskpool.policy.levy_rate", "28 decimal places"]);
    }
}

#[test]
fn duplicate_keys_and_arrays_for_tables_are_errors() {
    run_with_stdin(
        &["run", "-"],
        br#"{"assistance": {"counties": [{"id": "c", "spend": {"2021": "1", "2022": "400000", "2022": "0.04"}}]}}"#,
    )
    .input_error(&["assistance.counties[0].spend", "year 2022 is given twice"]);
    run_with_stdin(&["run", "-"], b"[assistance]\n[[assistance.counties]]\nid = \"c\"\nspend = { 2021 = \"1\", 2022 = \"2\", \"02022\" = \"3\" }\n")
        .input_error(&["year 2022 is given twice"]);
    run_with_stdin(&["run", "-"], br#"{"supplementary": [null, null, null, null, null]}"#)
        .input_error(&["supplementary", "expected a table"]);
    let twice = format!(
        "{}[[projection.units]]\nid = \"u\"\nrevenue_growth = {{ mean = \"1%\", sd = \"0%\" }}\nexpenditure_growth = {{ mean = \"1%\", sd = \"0%\" }}\n",
        projection("2", "10")
    );
    let twice = format!("{twice}{}", twice.split("[projection.default]").nth(1).map(|_| "[[projection.units]]\nid = \"u\"\nrevenue_growth = { mean = \"2%\", sd = \"0%\" }\nexpenditure_growth = { mean = \"2%\", sd = \"0%\" }\n").unwrap());
    run_scenario("p.toml", &twice).input_error(&["projection.units[1].id", "already given growth"]);
}

#[test]
fn compare_and_sweep_figures_beyond_the_money_range_are_exact() {
    // Two counties whose annual balances sum past ±92,233,720,368,547,758.07 yuan.
    let big = "90000000000000000";
    let county =
        |id: &str| format!("[[assistance.counties]]\nid = \"{id}\"\nspend = {{ 2022 = \"0\", 2023 = \"{big}\" }}\n");
    let text = format!("[assistance]\npolicy = {{ valid_from = 2022 }}\n{}{}", county("a"), county("b"));
    let path = write_files(&[("big.toml", text.as_bytes())]);
    let out = run_path(&path, &["sweep", "--set", "assistance.policy.fee_rate=4%", "--format", "json"]).json();
    assert_eq!(out["sweep"]["rows"][0]["figures"]["assistance.annual_balance"], "180000000000000000.00");
}

#[test]
fn dates_and_years_outside_the_supported_calendar_are_errors() {
    let claim = |date: &str| {
        format!(
            "[supplementary]\ninsured_persons = 1\n[[supplementary.claims]]\nperson = \"p\"\ndate = \"{date}\"\neligible_cost = \"1\"\n"
        )
    };
    run_scenario("d.toml", &claim("0001-01-01")).input_error(&["supplementary.claims[0].date", "supported calendar"]);
    run_scenario("d.toml", &claim("9999-12-31")).input_error(&["supported calendar"]);
    // Found by the claims_csv fuzz target: chrono alone accepts a space or a sign in a date.
    for lax in ["2064- 6-30", "+202-06-30", "2023-06- 1"] {
        run_scenario("d.toml", &claim(lax))
            .input_error(&["supplementary.claims[0].date", "expected an ISO date YYYY-MM-DD"]);
    }
    run_scenario("y.toml", &format!("[riskpool]\nyear = 9999\n{UNIT}")).input_error(&["riskpool.year", "1900 to 2999"]);
}

#[test]
fn outputs_are_safe_for_spreadsheets_and_terminals() {
    let text = "[surplus]\ntotal = \"100\"\n[[surplus.institutions]]\nid = \"=HYPERLINK(1)\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n[[surplus.institutions]]\nid = \"b\"\nname = \"evil\\u001b[2J\\r\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n";
    let path = write_files(&[("x.toml", text.as_bytes())]);
    let csv = run_path(&path, &["run", "--format", "csv"]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert!(csv.stdout.contains("'=HYPERLINK(1)"), "{}", csv.stdout);
    assert!(csv.stdout.contains("-0.00") || !csv.stdout.contains("'-"), "numbers are left alone");
    let table = run_path(&path, &["run"]);
    assert!(!table.stdout.contains('\u{1b}') && !table.stdout.contains('\r'), "{:?}", table.stdout);
    assert!(table.stdout.contains("\\u{1b}"));
    // --out onto an existing file is an input error.
    let file = path.parent().unwrap().join("taken");
    std::fs::write(&file, "x").unwrap();
    run_path(&path, &["run", "--format", "csv", "--out", file.to_str().unwrap()])
        .input_error(&["a file of that name exists"]);
}

#[test]
fn messages_name_no_rust_types() {
    for (text, field) in [
        ("[riskpool]\nyear = 2021.5\n", "riskpool.year"),
        (&*projection("1.5", "10"), "projection.years"),
        ("[supplementary]\ninsured_persons = -1\n", "supplementary.insured_persons"),
    ] {
        let out = run_scenario("m.toml", text);
        out.input_error(&[field]);
        for rust in ["u32", "u64", "i32", "struct ", "as i128"] {
            assert!(!out.stderr.contains(rust), "{rust} in {}", out.stderr);
        }
    }
}

#[test]
fn messages_point_at_the_value_and_name_the_row() {
    // JSON: the column of the refused value's first character.
    run_with_stdin(&["run", "-"], br#"{"surplus": {"total": "abc", "institutions": []}}"#)
        .input_error(&["-:1:23: surplus.total"]);
    run_with_stdin(&["run", "-"], b"{\n  \"surplus\": {\n    \"total\": 1.234,\n \"institutions\": []}}")
        .input_error(&["-:3:14: surplus.total"]);
    // Integers beyond 64 bits are described in words.
    run_with_stdin(&["run", "-"], b"[supplementary]\ninsured_persons = 99999999999999999999\n")
        .input_error(&["supplementary.insured_persons: invalid whole number \"99999999999999999999\""]);
    // Overflow names the claim; premiums are not head counts in yuan.
    let claims = "[supplementary]\ninsured_persons = 1\n[[supplementary.claims]]\nperson = \"p\"\ndate = \"2023-08-01\"\neligible_cost = \"92233720368547758.07\"\n";
    run_scenario("o.toml", claims).input_error(&["supplementary.claims[0].eligible_cost", "claim 0"]);
    let premiums = "[supplementary]\ninsured_persons = 9223372036854775807\n";
    run_scenario("o.toml", premiums).input_error(&[
        "supplementary.insured_persons",
        "premiums of 52.80 yuan for 9223372036854775807 insured persons",
    ]);
    // A policy parameter the policy refuses names its field (checked once, by the policy).
    let weights = "[surplus]\ntotal = \"100\"\npolicy = { weights = { w_c = \"-1\", w_w = 1 } }\n[[surplus.institutions]]\nid = \"a\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n";
    run_scenario("w.toml", weights)
        .input_error(&["surplus.policy.weights.chronic_care", "expected a weight of zero or more"]);
    // A sweep names its file once.
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo.toml");
    let out = run(&["sweep", demo, "--set", "riskpool.year=1999"]);
    out.input_error(&["with riskpool.year=1999: riskpool.year"]);
    assert_eq!(out.stderr.matches("demo.toml").count(), 1, "{}", out.stderr);
}

/// Rule: scenario contract §8 "Many trials" — shards run apart and merged
/// pass by pass give the single run's bytes; files of another projection,
/// missing trials and bad ranges are refused.
#[test]
fn shards_merged_pass_by_pass_equal_the_single_run() {
    let path = write_files(&[("p.toml", projection("3", "3001").as_bytes())]);
    let dir = path.parent().unwrap().to_path_buf();
    let file = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let whole = run_path(&path, &["simulate", "--format", "json", "--quantiles", "10,90", "--per-unit"]);
    assert_eq!(whole.code, 0, "{}", whole.stderr);
    let ranges = [(1700, 3001), (0, 1), (1, 1700)];
    let mut plan: Option<String> = None;
    let mut merged = None;
    for pass in 1..=6 {
        let plan_args: Vec<String> = plan.iter().flat_map(|p| ["--plan".to_owned(), p.clone()]).collect();
        let mut parts = Vec::new();
        for (i, (from, to)) in ranges.iter().enumerate() {
            let out = file(&format!("pass{pass}-{i}.bin"));
            let (from, to) = (from.to_string(), to.to_string());
            let mut args =
                vec!["simulate", "--quantiles", "10,90", "--per-unit", "--trials-from", &from, "--trials-to", &to];
            args.extend(["--pass-out", &out]);
            args.extend(plan_args.iter().map(String::as_str));
            let shard = run_path(&path, &args);
            assert_eq!((shard.code, shard.stdout.as_str()), (0, ""), "{}", shard.stderr);
            parts.push(out);
        }
        let next = file(&format!("plan{pass}"));
        let mut args =
            vec!["simulate", "--format", "json", "--quantiles", "10,90", "--per-unit", "--plan-out", &next, "--merge"];
        args.extend(parts.iter().map(String::as_str));
        args.extend(plan_args.iter().map(String::as_str));
        let m = run_path(&path, &args);
        assert_eq!(m.code, 0, "{}", m.stderr);
        if m.stdout.is_empty() {
            assert!(m.stderr.contains("another pass is needed"), "{}", m.stderr);
            // Only two of the three shards: trials are missing.
            let mut short = vec!["simulate", "--quantiles", "10,90", "--per-unit", "--plan-out", &next, "--merge"];
            short.extend(parts.iter().take(2).map(String::as_str));
            short.extend(plan_args.iter().map(String::as_str));
            run_path(&path, &short).input_error(&["trials"]);
            plan = Some(next);
        } else {
            merged = Some((pass, m.stdout));
            break;
        }
    }
    let (passes, merged) = merged.unwrap();
    assert!(passes >= 2, "the quantiles need a selection pass");
    assert_eq!(merged, whole.stdout, "merged shards = the single run");
    assert!(whole.stdout.contains("\"units\":[{"), "per-unit statistics reported");
    // A shard run without --per-unit is another projection's.
    let plain = file("plain.bin");
    let shard = run_path(&path, &["simulate", "--trials-from", "0", "--trials-to", "3001", "--pass-out", &plain]);
    assert_eq!(shard.code, 0, "{}", shard.stderr);
    run_path(&path, &["simulate", "--per-unit", "--plan-out", &file("x"), "--merge", &plain])
        .input_error(&["belongs to another projection"]);
    // A shard of another seed is another projection's: refused by its fingerprint.
    let other = write_files(&[("q.toml", projection("3", "3001").replace("seed = 1", "seed = 2").as_bytes())]);
    let foreign = file("foreign.bin");
    let shard = run_path(
        &other,
        &["simulate", "--quantiles", "10,90", "--trials-from", "0", "--trials-to", "3001", "--pass-out", &foreign],
    );
    assert_eq!(shard.code, 0, "{}", shard.stderr);
    run_path(&path, &["simulate", "--quantiles", "10,90", "--plan-out", &file("x"), "--merge", &foreign])
        .input_error(&["belongs to another projection"]);
    // Ranges outside the trials, and flags without their partners.
    run_path(&path, &["simulate", "--trials-from", "5", "--trials-to", "5", "--pass-out", &file("y")])
        .input_error(&["expected 0 ≤ from < to ≤ 3001"]);
    run_path(&path, &["simulate", "--trials-from", "0", "--trials-to", "3002", "--pass-out", &file("y")])
        .input_error(&["--trials-to 3002"]);
    assert!(!std::path::Path::new(&file("y")).exists());
    assert_eq!(run_path(&path, &["simulate", "--trials-from", "0", "--trials-to", "5"]).code, 2);
    assert_eq!(run_path(&path, &["simulate", "--merge", &foreign]).code, 2);
    run_path(&path, &["simulate", "--plan-out", &file("x"), "--merge", path.to_str().unwrap()])
        .input_error(&["not a file of medfund simulate"]);
    // #36 (11): a pass file edited by hand (a digit of a count or a sum) was
    // merged into other figures; its checksum refuses it now.
    let bytes = std::fs::read(&plain).unwrap();
    let body_starts = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let digit = body_starts + bytes[body_starts..].iter().position(u8::is_ascii_digit).unwrap();
    let mut edited = bytes.clone();
    edited[digit] = if edited[digit] == b'9' { b'8' } else { edited[digit] + 1 };
    let tampered = file("edited.bin");
    std::fs::write(&tampered, &edited).unwrap();
    run_path(&path, &["simulate", "--plan-out", &file("x"), "--merge", &tampered])
        .input_error(&["do not match the checksum", "edited.bin"]);
    // The same file untouched merges.
    let m = run_path(&path, &["simulate", "--plan-out", &file("x"), "--merge", &plain]);
    assert_eq!(m.code, 0, "{}", m.stderr);
}

/// #36 (8, 9): an output path is never written through a link, into a FIFO
/// or a folder; a link planted in `--out DIR` is not written through either;
/// temporary files have unpredictable names and none is left.
#[test]
fn outputs_are_never_written_through_links_or_into_special_files() {
    let path = write_files(&[
        ("s.toml", b"[supplementary]\ninsured_persons = 1000\nclaims_csv = \"claims.csv\"\n"),
        ("claims.csv", b"person,date,eligible_cost\np1,2023-08-01,60000\np2,2023-09-01,1000.50\n"),
        ("victim.txt", b"keep me"),
    ]);
    let dir = path.parent().unwrap().to_path_buf();
    let victim = dir.join("victim.txt");
    let at = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    std::os::unix::fs::symlink(&victim, dir.join("link.csv")).unwrap();
    let fifo = dir.join("fifo.csv");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::fs::create_dir(dir.join("folder.csv")).unwrap();
    for (target, kind) in [("link.csv", "a symbolic link"), ("fifo.csv", "a FIFO"), ("folder.csv", "a directory")] {
        run_path(&path, &["run", "--claims-out", &at(target)]).input_error(&[target, kind, "expected a regular file"]);
    }
    // The command's own files: a sweep's --out, and the tables of --format csv --out DIR.
    let projection_file = write_files(&[("p.toml", projection("2", "20").as_bytes())]);
    let pdir = projection_file.parent().unwrap().to_path_buf();
    std::os::unix::fs::symlink(&victim, pdir.join("rows.csv")).unwrap();
    run_path(
        &projection_file,
        &["sweep", "--set", "riskpool.policy.levy_rate=8%,10%", "--out", pdir.join("rows.csv").to_str().unwrap()],
    )
    .input_error(&["rows.csv", "a symbolic link"]);
    let tables = dir.join("tables");
    std::fs::create_dir(&tables).unwrap();
    std::os::unix::fs::symlink(&victim, tables.join("supplementary_years.csv")).unwrap();
    run_path(&path, &["run", "--format", "csv", "--out", tables.to_str().unwrap()])
        .input_error(&["supplementary_years.csv", "a symbolic link"]);
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me", "written through a link");
    assert!(std::fs::symlink_metadata(dir.join("link.csv")).unwrap().file_type().is_symlink(), "replaced");
    // A regular file is replaced as before, and no temporary file is left.
    std::fs::write(dir.join("old.csv"), b"old").unwrap();
    let ok = run_path(&path, &["run", "--claims-out", &at("old.csv")]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(std::fs::read_to_string(dir.join("old.csv")).unwrap().lines().count() == 3, "a header and two claims");
    for folder in [&dir, &pdir, &tables] {
        let left: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".part"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

/// #36 (12): reading TOML holds the whole document (≈ 175 bytes of memory
/// per byte of dotted keys: 24 MB took 4 GB); TOML above 2 MiB is refused
/// before it is parsed, JSON of any size up to the scenario limit is read
/// as a stream.
#[test]
fn toml_scenarios_are_bounded_before_they_are_parsed() {
    let mut toml = String::from("[surplus]\ntotal = \"100\"\n");
    while toml.len() <= 2 << 20 {
        toml.push_str("# padding: a comment costs the parser nothing, its size is what is bounded\n");
    }
    let path = write_files(&[("big.toml", toml.as_bytes())]);
    let start = Instant::now();
    run_path(&path, &["check"]).input_error(&["bytes of TOML", "--max-toml-size"]);
    assert!(start.elapsed() < Duration::from_secs(5));
    // Raised, the same file is read (and found to lack institutions).
    let raised = run_path(&path, &["check", "--max-toml-size", "4MiB"]);
    assert!(!raised.stderr.contains("bytes of TOML"), "{}", raised.stderr);
    // A sweep reads its scenario through the same limit.
    run_path(&path, &["sweep", "--set", "surplus.total=1,2"]).input_error(&["bytes of TOML"]);
}

/// #36 (10): Ctrl-C (SIGINT) or SIGTERM in the middle of a spilled run leaves
/// no spill folder and no temporary results file behind (200 MB stayed).
#[test]
fn a_signal_in_a_spilled_run_removes_its_temporary_files() {
    let mut csv = String::from("person,date,eligible_cost\n");
    for i in 0..400_000_u32 {
        csv.push_str(&format!("p{},2023-{:02}-01,{}.00\n", i % 50_000, i % 12 + 1, i % 70_000));
    }
    let path = write_files(&[
        ("s.toml", b"[supplementary]\ninsured_persons = 100000\nclaims_csv = \"claims.csv\"\n"),
        ("claims.csv", csv.as_bytes()),
    ]);
    let dir = path.parent().unwrap().to_path_buf();
    let temp = dir.join("temp");
    std::fs::create_dir(&temp).unwrap();
    for (signal, status) in [("INT", 130), ("TERM", 143)] {
        let out = dir.join("out.parquet");
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("medfund"))
            .args(["run", path.to_str().unwrap(), "--memory-budget", "1MiB", "--temp-dir", temp.to_str().unwrap()])
            .args(["--claims-out", out.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Signalled once it has spilled something.
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::fs::read_dir(&temp).unwrap().next().is_none() {
            assert!(Instant::now() < deadline, "no spill folder appeared");
            assert!(child.try_wait().unwrap().is_none(), "the run ended before it spilled");
            std::thread::sleep(Duration::from_millis(5));
        }
        let pid = child.id().to_string();
        assert!(std::process::Command::new("kill").args([&format!("-{signal}"), &pid]).status().unwrap().success());
        let code = child.wait().unwrap().code();
        assert_eq!(code, Some(status), "SIG{signal}");
        let left: Vec<_> = std::fs::read_dir(&temp).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "SIG{signal}: left in the temporary folder: {left:?}");
        let parts: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".part") || n == "out.parquet")
            .collect();
        assert!(parts.is_empty(), "SIG{signal}: {parts:?}");
    }
}
