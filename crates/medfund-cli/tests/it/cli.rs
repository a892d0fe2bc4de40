//! End-to-end tests of the `medfund` binary against the scenario contract.
#![allow(
    clippy::float_arithmetic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::path::PathBuf;

use crate::common;

use common::{fen, medfund, tempdir};
use predicates::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn json_of(args: &[&str]) -> Value {
    let out = medfund().args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs a scenario given as text in a temporary file and returns (status, stdout, stderr).
fn run_text(name: &str, text: &str) -> (i32, String, String) {
    let dir = tempdir();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = medfund().arg("run").arg(&path).args(["--format", "json"]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_runs_in_both_languages() {
    medfund()
        .arg("demo")
        .assert()
        .success()
        .stdout(predicate::str::contains("风险共济金").and(predicate::str::contains("医疗救助承办结算")));
    medfund().args(["demo", "--lang", "en"]).assert().success().stdout(
        predicate::str::contains("Risk-sharing fund").and(predicate::str::contains("Retained surplus allocation")),
    );
}

#[test]
fn shipped_example_is_the_embedded_demo() {
    let embedded = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../medfund-scenario/scenarios/demo.toml"),
    )
    .unwrap();
    let shipped = std::fs::read_to_string(examples().join("demo.toml")).unwrap();
    assert_eq!(embedded, shipped, "examples/demo.toml must equal crates/medfund-scenario/scenarios/demo.toml");
    let from_file = json_of(&["run", examples().join("demo.toml").to_str().unwrap(), "--format", "json"]);
    assert_eq!(from_file, json_of(&["demo", "--format", "json"]));
    medfund().args(["demo", "--print"]).assert().success().stdout(predicate::str::contains("[riskpool]"));
}

#[test]
fn every_example_runs() {
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        if matches!(path.extension().and_then(|e| e.to_str()), Some("toml" | "json")) {
            medfund().arg("run").arg(&path).assert().success();
            medfund().arg("check").arg(&path).assert().success().stdout(predicate::str::contains("valid"));
        }
    }
}

#[test]
fn demo_json_satisfies_the_contract_invariants() {
    let r = json_of(&["demo", "--format", "json"]);
    // §3
    for (_, s) in r["riskpool"]["schemes"].as_object().unwrap() {
        assert_eq!(fen(&s["closing_balance"]), fen(&s["opening_balance"]) + fen(&s["levy"]) - fen(&s["draws"]));
        let units = s["units"].as_array().unwrap();
        assert_eq!(units.iter().map(|u| fen(&u["levy_charge"])).sum::<i64>(), fen(&s["levy"]));
        assert_eq!(units.iter().map(|u| fen(&u["from_risk_fund"])).sum::<i64>(), fen(&s["draws"]));
        let mut review = false;
        for u in units {
            assert_eq!(fen(&u["gap"]), fen(&u["from_own_surplus"]) + fen(&u["from_risk_fund"]) + fen(&u["unresolved"]));
            if !u["fiscal_subsidy_league"].is_null() {
                assert_eq!(fen(&u["fiscal_subsidy_league"]) + fen(&u["fiscal_subsidy_unit"]), fen(&u["unresolved"]));
            }
            review |= fen(&u["unresolved"]) > 0;
        }
        assert_eq!(s["actuarial_review"].as_bool().unwrap(), review);
    }
    assert_eq!(r["riskpool"]["schemes"]["resident"]["actuarial_review"], Value::Bool(true));
    // §4
    let a = &r["assistance"];
    let dates: Vec<&str> = a["schedule"].as_array().unwrap().iter().map(|p| p["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "schedule in date order");
    assert!(a["counties"][0]["years"].as_array().unwrap().iter().any(|y| y["fee_capped"] == Value::Bool(true)));
    for y in a["counties"].as_array().unwrap().iter().flat_map(|c| c["years"].as_array().unwrap()) {
        if !y["fee_due"].is_null() {
            assert!(fen(&y["fee"]) <= 40_000_000);
        }
        for key in ["settled_late", "fee_advance", "fee_due", "fee_settled_late"] {
            assert!(y.get(key).is_some(), "{key} always present");
        }
    }
    // §5
    let s = &r["supplementary"];
    let claims = s["claims"].as_array().unwrap();
    assert!(claims.len() >= 200);
    let mut paid = std::collections::BTreeMap::new();
    for c in claims {
        assert!(fen(&c["fund"]) >= 0 && fen(&c["insurer"]) >= 0 && fen(&c["person_pays"]) >= 0);
        *paid.entry(c["medical_year"].as_i64().unwrap()).or_insert(0) += fen(&c["insurer"]);
    }
    for y in s["years"].as_array().unwrap() {
        assert_eq!(paid[&y["medical_year"].as_i64().unwrap()], fen(&y["claims_paid"]));
        assert_eq!(fen(&y["insurer_result"]), fen(&y["premiums"]) - fen(&y["claims_paid"]));
        assert_eq!(fen(&y["premiums"]), 5_280 * 1_000_000);
    }
    // §6: Σ earmarks + Σ totals + unallocated = total
    let p = &r["surplus"];
    let earmarks: i64 = p["earmarks"].as_array().unwrap().iter().map(|e| fen(&e["amount"])).sum();
    let totals: i64 = p["institutions"].as_array().unwrap().iter().map(|i| fen(&i["total"])).sum();
    assert_eq!(earmarks + totals + fen(&p["unallocated"]), fen(&p["total"]));
    assert_eq!(p["primary_share_of_total"].as_str().unwrap().len(), 6);
    assert!(!p["violations"].as_array().unwrap().is_empty());
    assert!(r.get("trace").is_none());
}

#[test]
fn assistance_matches_the_contract_example() {
    let r = json_of(&["run", fixture("spec-assistance.toml").to_str().unwrap(), "--format", "json"]);
    let years = r["assistance"]["counties"][0]["years"].as_array().unwrap();
    let y = &years[0];
    assert_eq!(y["service_year"], 2022);
    assert_eq!(y["fee"], "400000.00");
    assert_eq!(y["fee_capped"], true);
    assert_eq!(y["prepay_march"], "4500000.00");
    assert_eq!(y["prepay_september"], "3600000.00");
    assert_eq!(y["annual_balance"], "3900000.00");
    assert_eq!(y["annual_settlement_deadline"], "2023-06-30");
    assert_eq!(y["settled_late"], false);
    assert_eq!(y["fee_advance"], "280000.00");
    assert_eq!(y["fee_due"], "120000.00");
    assert_eq!(y["fee_settlement_deadline"], "2023-07-10");
    assert_eq!(y["fee_settled_late"], false);
    let y = &years[1];
    assert_eq!((y["fee"].as_str(), y["fee_capped"].as_bool()), (Some("320000.00"), Some(false)));
    assert_eq!(y["fee_settled_late"], Value::Null);
    assert_eq!(
        r["assistance"]["schedule"][0],
        serde_json::json!({"date": "2022-03-31", "flow": "assistance", "kind": "prepayment", "county": "huicheng", "service_year": 2022, "amount": "4500000.00", "payer": "assistance-fund", "payee": "insurer"})
    );
}

#[test]
fn explain_adds_a_trace_citing_articles() {
    let r = json_of(&["run", fixture("small.toml").to_str().unwrap(), "--format", "json", "--explain"]);
    let trace = r["trace"].as_array().unwrap();
    let rules: Vec<String> = trace
        .iter()
        .map(|s| format!("{} {}", s["rule"]["document"].as_str().unwrap(), s["rule"]["article"].as_str().unwrap()))
        .collect();
    for want in [
        "阿署办发〔2020〕30号 第十五条",
        "阿署办发〔2020〕30号 第十七条（二）",
        "惠医保发〔2021〕96号 （四）资金管理 第2点",
        "医保结余留用资金分配方案（2025） 2. 分配比例",
    ] {
        assert!(rules.iter().any(|r| r == want), "{want} missing");
    }
    assert!(trace.iter().all(|s| s["formula"].as_str().is_some_and(|f| !f.is_empty()) && s.get("result").is_some()));
    medfund()
        .args(["run", fixture("small.toml").to_str().unwrap(), "--explain", "--lang", "en"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Audit trail"));
}

#[test]
fn csv_lists_are_read_with_exact_money() {
    let r = json_of(&["run", fixture("csv-lists.toml").to_str().unwrap(), "--format", "json"]);
    let units = r["riskpool"]["schemes"]["employee"]["units"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    assert_eq!(r["riskpool"]["schemes"]["resident"]["units"][0]["id"], "banner");
    assert_eq!(r["supplementary"]["claims"][1]["person_pays"], "100.05");
    assert_eq!(r["assistance"]["counties"][0]["years"][0]["fee_advance"], "32000.00");
    assert_eq!(r["surplus"]["violations"][0]["rule"], "category-not-allowed");
}

#[test]
fn json_on_stdin() {
    let out = medfund()
        .args(["run", "-", "--format", "json"])
        .write_stdin(r#"{"surplus": {"total": "1000", "institutions": [{"id": "a", "level": "primary", "chronic_care_score": 1, "workload": 1}]}}"#)
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["surplus"]["institutions"][0]["total"], "980.00");
}

#[test]
fn output_formats() {
    let small = fixture("small.toml");
    let small = small.to_str().unwrap();
    medfund()
        .args(["run", small, "--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| 单位 |").or(predicate::str::contains("| 单位")));
    medfund()
        .args(["run", small, "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("# riskpool_employee_units\nid,levy_charge"));
    let dir = tempdir();
    medfund().args(["run", small, "--format", "csv", "--out"]).arg(&dir).assert().success();
    let units = std::fs::read_to_string(dir.join("riskpool_employee_units.csv")).unwrap();
    assert!(units.starts_with("id,levy_charge,result,gap"), "{units}");
    medfund().args(["run", small, "--out"]).arg(&dir).assert().code(2).stderr(predicate::str::contains("--format csv"));
    let pretty = medfund().args(["run", small, "--format", "json", "--pretty"]).output().unwrap();
    assert!(String::from_utf8_lossy(&pretty.stdout).contains("\n  \"riskpool\""));
}

#[test]
fn policies_lists_every_preset() {
    let out = medfund().args(["policies", "--format", "json"]).output().unwrap();
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        vec![
            "alxa-2020",
            "huizhou-2021",
            "xiamen-2007",
            "xiamen-2007-subsidies",
            "framework-2025",
            "city-template-employees",
            "county-template-financing",
            "qingdao-2012",
        ]
    );
    // The templates are undated: no start.
    assert_eq!(rows[5]["valid_from"], Value::Null);
    assert_eq!(rows[1]["valid_to"], "2026-12-31");
    assert_eq!(rows[0]["document"], "阿署办发〔2020〕30号");
    medfund().arg("policies").assert().success().stdout(predicate::str::contains("惠医保发〔2021〕96号"));
}

#[test]
fn help_is_clear() {
    medfund().arg("--help").assert().success().stdout(predicate::str::contains("Exit status"));
    for sub in ["demo", "run", "check", "policies"] {
        medfund().args([sub, "--help"]).assert().success().stdout(predicate::str::contains("Usage"));
    }
}

/// One file per error class: exit 2 and a message that says where and what was expected.
#[test]
fn every_error_class_is_exit_2_with_a_clear_message() {
    let unit = |extra: &str| {
        format!("[riskpool]\nyear = 2021\n[[riskpool.units]]\nid = \"a\"\nscheme = \"employee\"\n{extra}\n")
    };
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("bad.toml", "[riskpool\nyear = ".into(), vec!["bad.toml:1:", "expected"]),
        ("bad.json", "{\"riskpool\": ".into(), vec!["bad.json:1:", "EOF"]),
        ("unknown.toml", unit("revenue = 1\nexpenditure = 1\nrevnue = 2"), vec!["unknown.toml:8:1", "riskpool.units[0].revnue", "unknown field `revnue`", "expected one of"]),
        ("type.toml", unit("revenue = true\nexpenditure = 1"), vec!["type.toml:6:", "riskpool.units[0].revenue", "expected yuan"]),
        ("negative.toml", unit("revenue = \"-1\"\nexpenditure = 1"), vec!["riskpool.units[0].revenue", "negative money -1.00", "expected an amount of zero or more"]),
        ("decimals.toml", unit("revenue = \"1.234\"\nexpenditure = 1"), vec!["riskpool.units[0].revenue", "more than two decimal places"]),
        ("decimals.json", "{\"riskpool\": {\"year\": 2021, \"units\": [{\"id\": \"a\", \"scheme\": \"employee\", \"revenue\": 1.005, \"expenditure\": 1}]}}".into(), vec!["decimals.json:1:", "riskpool.units[0].revenue", "more than two decimal places"]),
        ("rate.toml", unit("revenue = 1\nexpenditure = 1\nleague_fiscal_share = \"150%\""), vec!["riskpool.units[0].league_fiscal_share", "outside [0, 1]"]),
        ("scheme.toml", "[riskpool]\nyear = 2021\n[[riskpool.units]]\nid = \"a\"\nscheme = \"army\"\nrevenue = 1\nexpenditure = 1\n".into(), vec!["riskpool.units[0].scheme", "unknown variant `army`"]),
        ("year.toml", "[riskpool]\nyear = 2019\n".into(), vec!["riskpool.year", "not in force", "2020-08-20"]),
        ("service-year.toml", "[assistance]\n[[assistance.counties]]\nid = \"c\"\nspend = { 2026 = 1, 2027 = 1 }\n".into(), vec!["assistance.counties[0].spend.2027", "2022-01-01 to 2026-12-31"]),
        ("dup.toml", format!("{}[[riskpool.units]]\nid = \"a\"\nscheme = \"employee\"\nrevenue = 1\nexpenditure = 1\n", unit("revenue = 1\nexpenditure = 1")), vec!["riskpool.units[1].id", "duplicate unit id \"a\""]),
        ("dup-inst.toml", "[surplus]\ntotal = 1\n[[surplus.institutions]]\nid = \"x\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n[[surplus.institutions]]\nid = \"x\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n".into(), vec!["surplus.institutions[1].id", "appears twice"]),
        ("score.toml", "[surplus]\ntotal = 1\n[[surplus.institutions]]\nid = \"x\"\nlevel = \"primary\"\nchronic_care_score = 101\nworkload = 1\n".into(), vec!["surplus.institutions[0].chronic_care_score", "0 to 100"]),
        ("floor.toml", "[surplus]\ntotal = 1\n[surplus.policy]\nprimary_floor = \"99%\"\n".into(), vec!["surplus.policy", "above 100%"]),
        ("date.toml", "[supplementary]\ninsured_persons = 1\n[[supplementary.claims]]\nperson = \"p\"\ndate = \"2023-02-30\"\neligible_cost = 1\n".into(), vec!["supplementary.claims[0].date", "YYYY-MM-DD"]),
        ("early.toml", "[assistance]\n[[assistance.counties]]\nid = \"c\"\nspend = { 2022 = 1, 2023 = 1 }\nsettled_on = { 2023 = \"2023-12-01\" }\n".into(), vec!["assistance.counties[0].settled_on.2023", "before the service year ends"]),
        ("preset.toml", "[riskpool]\npreset = \"nowhere-1999\"\nyear = 2021\n".into(), vec!["riskpool.preset", "expected one of alxa-2020"]),
        ("both.toml", "[surplus]\ntotal = 1\ninstitutions = []\ninstitutions_csv = \"x.csv\"\n".into(), vec!["both institutions and institutions_csv"]),
        ("top.toml", "[riskpol]\nyear = 1\n".into(), vec!["top.toml:1:", "unknown field `riskpol`"]),
        ("scenario.yaml", "riskpool: {}".into(), vec!["expected a .toml or .json file"]),
    ];
    for (name, text, wanted) in cases {
        let (code, stdout, stderr) = run_text(name, &text);
        assert_eq!(code, 2, "{name}: exit code; stderr: {stderr}");
        assert!(stdout.is_empty(), "{name}: nothing on stdout");
        assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{name}: {stderr}");
        for w in wanted {
            assert!(stderr.contains(w), "{name}: {w:?} not in {stderr:?}");
        }
    }
}

#[test]
fn csv_errors_name_the_row() {
    medfund()
        .args(["run", fixture("bad-csv-column.toml").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("claims-missing-column.csv:1: missing column eligible_cost"));
    medfund().args(["run", fixture("bad-csv-row.toml").to_str().unwrap()]).assert().code(2).stderr(
        predicate::str::contains("claims-short-row.csv:3")
            .and(predicate::str::contains("the row has 2 columns; expected 3")),
    );
}

#[test]
fn check_validates_without_a_report() {
    medfund()
        .args(["check", fixture("small.toml").to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("valid (riskpool, assistance, supplementary, surplus)"));
    let dir = tempdir();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[riskpool]\nyear = 2019\n").unwrap();
    medfund().arg("check").arg(&bad).assert().code(2).stderr(predicate::str::contains("not in force"));
    medfund().args(["check", "/nonexistent/x.toml"]).assert().code(2).stderr(predicate::str::contains("cannot read"));
}

#[test]
fn empty_scenario_has_nothing_to_compute() {
    let (code, stdout, stderr) = run_text("empty.toml", "");
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("nothing to compute"), "{stderr}");
}

#[test]
fn snapshot_table_and_markdown_reports() {
    let small = fixture("small.toml");
    let small = small.to_str().unwrap();
    let table_zh = medfund().args(["run", small]).output().unwrap();
    insta::assert_snapshot!("small_table_zh", String::from_utf8(table_zh.stdout).unwrap());
    let table_en = medfund().args(["run", small, "--lang", "en"]).output().unwrap();
    insta::assert_snapshot!("small_table_en", String::from_utf8(table_en.stdout).unwrap());
    let markdown = medfund().args(["run", small, "--format", "markdown", "--lang", "en"]).output().unwrap();
    insta::assert_snapshot!("small_markdown_en", String::from_utf8(markdown.stdout).unwrap());
}

#[test]
fn simulate_is_byte_identical_with_one_thread_or_many() {
    let file = examples().join("projection.toml");
    let run = |threads: &str| {
        let out = medfund()
            .args(["simulate", file.to_str().unwrap(), "--format", "json", "--threads", threads])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // stderr is not a terminal here: no progress bar, nothing at all.
        assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("5"));
    let r: Value = serde_json::from_slice(&one).unwrap();
    let p = &r["projection"];
    assert_eq!((p["trials"].as_u64(), p["seed"].as_u64()), (Some(10_000), Some(42)));
    for scheme in ["employee", "resident"] {
        let years = p["schemes"][scheme].as_array().unwrap();
        assert_eq!(years.len(), 10);
        assert_eq!(years[0]["year"], 2024);
        for y in years {
            let (p5, p50, p95) = (
                fen(&y["closing_balance"]["p5"]),
                fen(&y["closing_balance"]["p50"]),
                fen(&y["closing_balance"]["p95"]),
            );
            assert!(p5 <= p50 && p50 <= p95);
            let pr = y["p_actuarial_review"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&pr));
            assert!(fen(&y["mean_unresolved"]) >= 0);
        }
    }
}

#[test]
fn simulate_quantiles_and_cumulative_review_risk() {
    let file = examples().join("projection.toml");
    let out = medfund()
        .args(["simulate", file.to_str().unwrap(), "--format", "json", "--quantiles", "95,5,25", "--threads", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    for scheme in ["employee", "resident"] {
        let years = r["projection"]["schemes"][scheme].as_array().unwrap();
        let mut so_far = 0.0;
        let mut firsts = 0.0;
        for y in years {
            // The asked percentiles, ascending; p5 is the v1 figure.
            let ps: Vec<u64> = y["quantiles"].as_array().unwrap().iter().map(|q| q["p"].as_u64().unwrap()).collect();
            assert_eq!(ps, [5, 25, 95]);
            assert_eq!(y["quantiles"][0]["closing_balance"], y["closing_balance"]["p5"]);
            assert_eq!(y["quantiles"][2]["closing_balance"], y["closing_balance"]["p95"]);
            let cumulative = y["p_review_cumulative"].as_f64().unwrap();
            assert!(cumulative >= so_far && cumulative >= y["p_actuarial_review"].as_f64().unwrap());
            so_far = cumulative;
            firsts += y["p_first_review"].as_f64().unwrap();
            assert!((firsts - cumulative).abs() < 1e-9, "the cumulative share is the running sum of first reviews");
            let se = y["p_review_cumulative_se"].as_f64().unwrap();
            assert!((se - (cumulative * (1.0 - cumulative) / 10_000.0).sqrt()).abs() < 1e-15);
        }
    }
    let bad = medfund().args(["simulate", file.to_str().unwrap(), "--quantiles", "50,101"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("projection.quantiles[1]: 101; expected a percentile from 1 to 100")
    );
}

#[test]
fn cumulative_review_risk_is_the_share_of_written_paths_with_a_review() {
    let file = examples().join("projection.toml");
    let dir = std::env::temp_dir().join(format!("medfund-paths-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths = dir.join("paths.csv");
    let out = medfund()
        .args(["simulate", file.to_str().unwrap(), "--format", "json", "--paths", paths.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(&paths).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("trial,scheme,year,closing_balance,unresolved,actuarial_review"));
    // (scheme, year) → (reviews that year, trials reviewed so far); paths come trial by trial.
    let mut counts: std::collections::BTreeMap<(String, i64), (u64, u64)> = Default::default();
    let mut reviewed: std::collections::HashSet<(String, String)> = Default::default();
    let mut rows = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let (trial, scheme, year, review) = (f[0], f[1], f[2].parse::<i64>().unwrap(), f[5] == "true");
        if review {
            reviewed.insert((trial.to_owned(), scheme.to_owned()));
        }
        let c = counts.entry((scheme.to_owned(), year)).or_default();
        c.0 += u64::from(review);
        c.1 += u64::from(reviewed.contains(&(trial.to_owned(), scheme.to_owned())));
        rows += 1;
    }
    assert_eq!(rows, 10_000 * 10 * 2);
    for scheme in ["employee", "resident"] {
        for y in r["projection"]["schemes"][scheme].as_array().unwrap() {
            let (this_year, so_far) = counts[&(scheme.to_owned(), y["year"].as_i64().unwrap())];
            assert_eq!(y["p_actuarial_review"].as_f64().unwrap(), this_year as f64 / 10_000.0, "{scheme} {y}");
            assert_eq!(y["p_review_cumulative"].as_f64().unwrap(), so_far as f64 / 10_000.0, "{scheme} {y}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sweep_links_paths_writes_to_a_file_and_reports_every_year_when_asked() {
    let file = examples().join("projection.toml");
    let f = file.to_str().unwrap();
    let dir = std::env::temp_dir().join(format!("medfund-sweep-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("rows.csv");
    let args = [
        "sweep",
        f,
        "--set",
        "riskpool.policy.levy_rate=8%,10%,12%",
        "--set",
        "riskpool.policy.cap_multiple=1,1.5,2",
        "--set",
        "projection.sweep_years=all",
        // A tenth of the example's trials: this test is about rows and files.
        "--set",
        "projection.trials=1000",
        "--link",
        "riskpool.policy.levy_rate,riskpool.policy.cap_multiple",
        "--format",
        "csv",
    ];
    let stdout = medfund().args(args).output().unwrap();
    assert!(stdout.status.success(), "{}", String::from_utf8_lossy(&stdout.stderr));
    let written = medfund().args(args).args(["--out", out.to_str().unwrap(), "--threads", "1"]).output().unwrap();
    assert!(written.status.success() && written.stdout.is_empty());
    // The same rows with one thread into a file as with all cores on standard output.
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.as_bytes(), stdout.stdout.as_slice());
    let lines: Vec<&str> = text.lines().collect();
    // Linked: three rows (8 % with 1, 10 % with 1.5, 12 % with 2), not nine.
    assert_eq!(lines.len(), 2 + 3);
    assert!(
        lines[2].starts_with("8%,1,all,") && lines[3].starts_with("10%,1.5,all,") && lines[4].starts_with("12%,2,all,")
    );
    for year in 2024..=2033 {
        assert!(lines[1].contains(&format!("projection.employee.{year}.p_review_cumulative")), "{year}");
    }
    // A failing sweep leaves no file, not even a temporary one.
    let bad = dir.join("bad.csv");
    let failed = medfund()
        .args(["sweep", f, "--set", "riskpool.policy.levy_rate=8%,-1%", "--out", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!failed.status.success());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "only rows.csv");
    let mismatch = medfund()
        .args(["sweep", f, "--set", "riskpool.policy.levy_rate=8%,10%", "--set", "riskpool.policy.cap_multiple=1,2,3"])
        .args(["--link", "riskpool.policy.levy_rate,riskpool.policy.cap_multiple"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&mismatch.stderr).contains("expected as many values for every linked path"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulate_first_year_equals_run() {
    let file = examples().join("projection.toml");
    let sim: Value = serde_json::from_slice(
        &medfund().args(["simulate", file.to_str().unwrap(), "--format", "json"]).output().unwrap().stdout,
    )
    .unwrap();
    let run = json_of(&["run", file.to_str().unwrap(), "--format", "json"]);
    for scheme in ["employee", "resident"] {
        let first = &sim["projection"]["schemes"][scheme][0];
        let closing = &run["riskpool"]["schemes"][scheme]["closing_balance"];
        for p in ["p5", "p50", "p95"] {
            assert_eq!(&first["closing_balance"][p], closing);
        }
    }
}

#[test]
fn simulate_errors_are_input_errors() {
    let dir = tempdir();
    let no_projection = dir.join("a.toml");
    std::fs::write(&no_projection, "[riskpool]\nyear = 2021\n").unwrap();
    medfund()
        .arg("simulate")
        .arg(&no_projection)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a [riskpool] and a [projection]"));
    let no_growth = dir.join("b.toml");
    std::fs::write(&no_growth, "[riskpool]\nyear = 2021\n[[riskpool.units]]\nid = \"a\"\nscheme = \"employee\"\nrevenue = 1\nexpenditure = 1\n[projection]\nyears = 2\ntrials = 3\nseed = 1\n").unwrap();
    medfund()
        .arg("simulate")
        .arg(&no_growth)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("projection.default: missing"));
    let bad_unit = dir.join("c.toml");
    std::fs::write(&bad_unit, "[riskpool]\nyear = 2021\n[projection]\nyears = 2\ntrials = 3\nseed = 1\n[[projection.units]]\nid = \"zz\"\nrevenue_growth = { mean = \"1%\", sd = \"0%\" }\nexpenditure_growth = { mean = \"1%\", sd = \"0%\" }\n").unwrap();
    medfund().arg("check").arg(&bad_unit).assert().code(2).stderr(predicate::str::contains("projection.units[0].id"));
    let negative_sd = dir.join("d.toml");
    std::fs::write(&negative_sd, "[riskpool]\nyear = 2021\n[projection]\nyears = 2\ntrials = 3\nseed = 1\n[projection.default]\nrevenue_growth = { mean = \"1%\", sd = \"-1%\" }\nexpenditure_growth = { mean = \"1%\", sd = \"0%\" }\n").unwrap();
    medfund()
        .arg("check")
        .arg(&negative_sd)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("projection.default.revenue_growth.sd"));
}

#[test]
fn compare_with_itself_reports_no_difference() {
    let demo = examples().join("demo.toml");
    let r = json_of(&["compare", demo.to_str().unwrap(), demo.to_str().unwrap(), "--format", "json"]);
    assert_eq!(r["compare"]["differences"].as_array().unwrap().len(), 0);
    assert!(r["compare"]["identical"].as_u64().unwrap() > 1_000);
}

#[test]
fn compare_lists_each_difference_with_exact_money() {
    let dir = tempdir();
    let base = dir.join("base.toml");
    let variant = dir.join("variant.toml");
    std::fs::write(&base, "[surplus]\ntotal = \"1000\"\n[[surplus.institutions]]\nid = \"a\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n").unwrap();
    std::fs::write(&variant, "[surplus]\ntotal = \"1000.10\"\n[[surplus.institutions]]\nid = \"a\"\nlevel = \"primary\"\nchronic_care_score = 1\nworkload = 1\n").unwrap();
    let r = json_of(&["compare", base.to_str().unwrap(), variant.to_str().unwrap(), "--format", "json"]);
    let diffs = r["compare"]["differences"].as_array().unwrap();
    let total = diffs.iter().find(|d| d["path"] == "surplus.total").unwrap();
    assert_eq!(
        (total["base"].as_str(), total["variant"].as_str(), total["difference"].as_str()),
        (Some("1000.00"), Some("1000.10"), Some("0.10"))
    );
    assert!(diffs.iter().any(|d| d["path"] == "surplus.institutions[0].total"));
    medfund()
        .arg("compare")
        .arg(&base)
        .arg(&variant)
        .args(["--format", "markdown", "--lang", "en"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| surplus.total |"));
}

#[test]
fn sweep_with_one_value_equals_run() {
    let demo = examples().join("demo.toml");
    let run = json_of(&["run", demo.to_str().unwrap(), "--format", "json"]);
    let s = json_of(&["sweep", demo.to_str().unwrap(), "--set", "riskpool.policy.levy_rate=10%", "--format", "json"]);
    let rows = s["sweep"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let f = &rows[0]["figures"];
    assert_eq!(f["riskpool.employee.levy"], run["riskpool"]["schemes"]["employee"]["levy"]);
    assert_eq!(f["riskpool.resident.closing_balance"], run["riskpool"]["schemes"]["resident"]["closing_balance"]);
    assert_eq!(f["surplus.unallocated"], run["surplus"]["unallocated"]);
    assert_eq!(f["surplus.primary_share_of_total"], run["surplus"]["primary_share_of_total"]);
}

#[test]
fn sweep_runs_the_cartesian_product_in_order() {
    let demo = examples().join("demo.toml");
    let s = json_of(&[
        "sweep",
        demo.to_str().unwrap(),
        "--set",
        "riskpool.policy.levy_rate=5%,8%,10%,15%",
        "--set",
        "surplus.total=1000万,2000万",
        "--format",
        "json",
    ]);
    let rows = s["sweep"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    assert_eq!(s["sweep"]["parameters"], serde_json::json!(["riskpool.policy.levy_rate", "surplus.total"]));
    assert_eq!(rows[0]["values"], serde_json::json!({"riskpool.policy.levy_rate": "5%", "surplus.total": "1000万"}));
    assert_eq!(rows[1]["values"]["surplus.total"], "2000万");
    assert_eq!(rows[7]["values"]["riskpool.policy.levy_rate"], "15%");
    let levies: Vec<i64> = rows.iter().step_by(2).map(|r| fen(&r["figures"]["riskpool.employee.levy"])).collect();
    assert!(levies.windows(2).all(|w| w[0] <= w[1]), "a higher levy rate never levies less: {levies:?}");
    assert_eq!(rows[1]["figures"]["surplus.primary_pool"], "6000000.00");
    medfund()
        .args(["sweep", demo.to_str().unwrap(), "--set", "riskpool.units[1].revenue=1亿,2亿", "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("riskpool.units[1].revenue,"));
}

#[test]
fn sweep_errors_name_the_combination() {
    let demo = examples().join("demo.toml");
    medfund()
        .args(["sweep", demo.to_str().unwrap(), "--set", "riskpool.policy.levy_rate=10%,150%"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("riskpool.policy.levy_rate=150%").and(predicate::str::contains("outside [0, 1]")),
        );
    medfund()
        .args(["sweep", demo.to_str().unwrap(), "--set", "riskpool.units[99].revenue=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
    medfund()
        .args(["sweep", demo.to_str().unwrap(), "--set", "riskpool.policy.levy_rate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PATH=V1,V2"));
    medfund()
        .args(["sweep", demo.to_str().unwrap(), "--set", "riskpool.polcy.levy_rate=1%"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `polcy`"));
}

#[test]
fn sweep_of_a_projection_reports_the_last_year_risk() {
    let file = examples().join("projection.toml");
    let sim: Value = serde_json::from_slice(
        &medfund().args(["simulate", file.to_str().unwrap(), "--format", "json"]).output().unwrap().stdout,
    )
    .unwrap();
    let s =
        json_of(&["sweep", file.to_str().unwrap(), "--set", "riskpool.policy.levy_rate=10%,8%", "--format", "json"]);
    let rows = s["sweep"]["rows"].as_array().unwrap();
    let last = &sim["projection"]["schemes"]["employee"][9];
    assert_eq!(rows[0]["figures"]["projection.employee.2033.p_actuarial_review"], last["p_actuarial_review"]);
    assert_eq!(rows[0]["figures"]["projection.employee.2033.closing_p50"], last["closing_balance"]["p50"]);
    let p = |r: &Value| r["figures"]["projection.employee.2033.p_actuarial_review"].as_f64().unwrap();
    assert!(p(&rows[1]) > p(&rows[0]), "a lower levy makes a review more likely");
}

/// Source: 厦门市基本医疗保险实践（2007） 二 (X6–X8): the example's figures, through the files of §5.3.
#[test]
fn the_one_stop_example_writes_its_claims_and_person_years_to_files() {
    let dir = tempdir();
    let (claims, person_years) = (dir.join("claims.csv"), dir.join("person-years.csv"));
    let out = medfund()
        .args(["run", "--format", "json", "--claims-out"])
        .arg(&claims)
        .arg("--person-years-out")
        .arg(&person_years)
        .arg(examples().join("one-stop.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &report["supplementary"];
    assert!(s.get("claims").is_none() && s["one_stop"].get("person_years").is_none(), "not inlined");
    assert_eq!((s["claims_out"]["rows"].as_u64(), s["claims_out"]["format"].as_str()), (Some(8), Some("csv")));
    assert_eq!(s["one_stop"]["person_years_out"]["rows"], 6);
    let claims = std::fs::read_to_string(&claims).unwrap();
    let lines: Vec<&str> = claims.lines().collect();
    assert_eq!(lines[0], "medical_year,fund,insurer,person_pays,civil_servant,civil_servant_above_max,hardship");
    // cs-001's second claim: 80 % × (16,666.67 − 12 % W) and 70 % × 56,333.33, as inline.
    assert_eq!(lines[2], "2023,0.00,84300.00,21381.33,4885.34,39433.33,0.00");
    assert_eq!(lines.len(), 9);
    let years = std::fs::read_to_string(&person_years).unwrap();
    assert!(years.starts_with("person,status,hardship_category,medical_year,claims,eligible_cost,"), "{years}");
    assert!(
        years.contains("\ncs-001,civil-servant,,2023,2,276000.00,53000.00,150000.00,4885.34,39433.33,0.00,28681.33\n"),
        "{years}"
    );
    assert_eq!(years.lines().count(), 7);
    // Without the one-stop settlement there are no person-years to write.
    let e = medfund()
        .args(["run", "--person-years-out"])
        .arg(dir.join("x.csv"))
        .arg(examples().join("demo.toml"))
        .output()
        .unwrap();
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("--person-years-out"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_one_stop_and_revenue_examples_run_in_both_languages() {
    let one_stop = examples().join("one-stop.toml");
    medfund()
        .args(["run"])
        .arg(&one_stop)
        .assert()
        .success()
        .stdout(predicate::str::contains("公务员医疗补助").and(predicate::str::contains("4,885.34")));
    medfund()
        .args(["run", "--lang", "en"])
        .arg(&one_stop)
        .assert()
        .success()
        .stdout(predicate::str::contains("One-stop settlement · per person and medical year"));
    let linked = examples().join("revenue-to-riskpool.toml");
    medfund().arg("check").arg(&linked).assert().success();
    medfund().args(["simulate", "--format", "json"]).arg(&linked).assert().success();
}
