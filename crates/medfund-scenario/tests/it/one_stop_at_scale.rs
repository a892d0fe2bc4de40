//! §5.2 at scale (§5.3): the one-stop settlement of claims from a file,
//! partitioned by person, spilled under a small budget or streamed sorted,
//! equals the in-memory settlement (`settle_one_stop`) row for row on the
//! claims (with their subsidies) and the person-years, byte for byte on the
//! yearly summaries; a small file gives the report of the same claims
//! written in the scenario itself, byte for byte.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects, missing_docs)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use medfund_core::{Money, Trace};
use medfund_insurer::{AverageWage, Claim, Hardship, MigrantLimit, Person, Status};
use medfund_scenario::{ClaimsRun, Limits, ScenarioFormat, parse_scenario, render_json, run_scenario_with};

use crate::scale_common;

use scale_common::{ClaimRow as Row, folder};

/// How many claims the equality test settles (2·10⁵ in the full check).
fn n() -> usize {
    scale_common::size(20_000, 200_000)
}

/// `n` claims of `n / 5` persons over two years, large enough to reach every cap.
fn claims(n: usize, sorted: bool) -> Vec<Row> {
    scale_common::claims(n, sorted, 11, 12_000_000)
}

/// Every third person listed, in turn a civil servant, a retired one, a
/// subsistence-allowance employee, a low-pension retiree and a migrant.
fn persons(n: usize) -> Vec<(String, Person)> {
    (0..n / 5)
        .step_by(3)
        .enumerate()
        .map(|(k, p)| {
            let mut person = Person::new(match k % 5 {
                0 => Status::CivilServant,
                1 => Status::RetiredCivilServant,
                2 => Status::Employee,
                3 => Status::Retired,
                _ => Status::Migrant,
            });
            match k % 5 {
                2 => person.hardship = Some(Hardship::SubsistenceAllowance),
                3 => {
                    person.hardship = Some(Hardship::LowPension);
                    person.monthly_pension = Some(Money::from_yuan(3_000).unwrap());
                }
                4 => person.contribution_months = Some(u32::try_from(k % 30).unwrap()),
                _ => {}
            }
            (format!("p-{p:07}"), person)
        })
        .collect()
}

fn write_files(dir: &Path, rows: &[Row], persons: &[(String, Person)]) {
    let mut csv = String::from("claim_id,person,date,eligible_cost\n");
    for r in rows {
        writeln!(csv, "{},{},{},{}", r.0, r.1, r.2, Money::from_fen(r.3)).unwrap();
    }
    std::fs::write(dir.join("claims.csv"), csv).unwrap();
    let mut csv = String::from("id,status,hardship,monthly_pension,contribution_months\n");
    for (id, p) in persons {
        let status = serde_json::to_value(p.status).unwrap();
        let hardship = p.hardship.map(|h| serde_json::to_value(h).unwrap().as_str().unwrap().to_owned());
        writeln!(
            csv,
            "{id},{},{},{},{}",
            status.as_str().unwrap(),
            hardship.unwrap_or_default(),
            p.monthly_pension.map(|m| m.to_string()).unwrap_or_default(),
            p.contribution_months.map(|m| m.to_string()).unwrap_or_default()
        )
        .unwrap();
    }
    std::fs::write(dir.join("persons.csv"), csv).unwrap();
}

const SUBSIDIES: &str = "[supplementary.subsidies]\n\
    average_wages = [{ medical_year = 2022, wage = \"8.6万\" }, { medical_year = 2023, wage = \"8.8万\" }, { medical_year = 2024, wage = \"9.2万\" }]\n\
    migrant_limits = [{ from_months = 0, limit = \"3万\" }, { from_months = 12, limit = \"6万\" }]\n";

fn scenario(claims: &str, sorted: bool) -> medfund_scenario::Scenario {
    let text = format!(
        "[supplementary]\ninsured_persons = 1000000\n{claims}\nclaims_sorted_by_person = {sorted}\npersons_csv = \"persons.csv\"\n{SUBSIDIES}"
    );
    parse_scenario(&text, ScenarioFormat::Toml, "s.toml").unwrap()
}

fn run(s: &medfund_scenario::Scenario, dir: &Path, run: &ClaimsRun) -> serde_json::Value {
    let report = run_scenario_with(s, "s.toml", dir.to_path_buf(), false, &Limits::default(), run)
        .map(|r| render_json(&r, false).unwrap())
        .unwrap_or_else(|e| panic!("{}", e[0]));
    serde_json::from_str(&report).unwrap()
}

fn batches(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    reader.map(Result::unwrap).collect()
}

/// A money column of `batches`, in fen.
fn fen(batches: &[RecordBatch], name: &str) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
            let values: Vec<i64> = a
                .as_primitive::<arrow_array::types::Decimal128Type>()
                .values()
                .iter()
                .map(|&v| i64::try_from(v).unwrap())
                .collect();
            values
        })
        .collect()
}

fn text(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name(name).unwrap().as_string::<i32>().iter().map(|v| v.map(str::to_owned)).collect::<Vec<_>>()
        })
        .collect()
}

const PARTS: [&str; 6] = ["fund", "insurer", "civil_servant", "civil_servant_above_max", "hardship", "person_pays"];

/// Source: 厦门市基本医疗保险实践（2007） 二 and 外来从业人员住院医疗 (X6–X9), at scale.
#[test]
fn one_stop_settlement_at_scale_equals_the_in_memory_settlement() {
    let dir = folder("one-stop-equal");
    let temp = folder("one-stop-equal-temp");
    let n = n();
    let rows = claims(n, false);
    let persons = persons(n);
    write_files(&dir, &rows, &persons);
    // The in-memory settlement of every claim at once.
    let mut subsidies = medfund_insurer::xiamen_2007_subsidies().unwrap().params().clone();
    subsidies.average_wages = [(2022, 86_000), (2023, 88_000), (2024, 92_000)]
        .map(|(medical_year, w)| AverageWage { medical_year, wage: Money::from_yuan(w).unwrap() })
        .to_vec();
    subsidies.migrant_limits = Some(
        [(0, 30_000), (12, 60_000)]
            .map(|(from_months, l)| MigrantLimit { from_months, limit: Money::from_yuan(l).unwrap() })
            .to_vec(),
    );
    let all: Vec<Claim<&str>> =
        rows.iter().map(|r| Claim { person: r.1.as_str(), date: r.2, eligible_cost: Money::from_fen(r.3) }).collect();
    let listed: Vec<(&str, Person)> = persons.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    let supplementary = medfund_insurer::xiamen_2007().unwrap().params().clone();
    let expected =
        medfund_insurer::settle_one_stop(&supplementary, &subsidies, 1_000_000, &listed, &all, &mut Trace::off())
            .unwrap();
    assert!(expected.claims.iter().any(|c| c.civil_servant_above_max.is_positive()), "X8 reached");
    assert!(expected.claims.iter().any(|c| c.hardship.is_positive()), "X6 reached");
    // The person-years in the input order of each one's first claim.
    let mut at: HashMap<(&str, i32), usize> = HashMap::new();
    for (r, c) in rows.iter().zip(&expected.claims) {
        let next = at.len();
        at.entry((r.1.as_str(), c.medical_year)).or_insert(next);
    }
    let mut person_years: Vec<_> = expected.person_years.iter().collect();
    person_years.sort_by_key(|py| at[&(py.person, py.medical_year)]);
    let insurer_years = serde_json::to_string(&expected.insurer_years).unwrap();
    let years: Vec<serde_json::Value> = expected
        .years
        .iter()
        .map(|(y, t)| {
            let mut v = serde_json::to_value(t).unwrap();
            v.as_object_mut().unwrap().insert("medical_year".into(), (*y).into());
            v
        })
        .collect();

    let sorted = claims(n, true);
    let sorted_dir = folder("one-stop-sorted");
    write_files(&sorted_dir, &sorted, &persons);
    let base = ClaimsRun::default().with_temp_dir(&temp);
    for (name, s, options, folder) in [
        ("in memory", scenario("claims_csv = \"claims.csv\"", false), base.clone().with_partitions(1), &dir),
        ("the default", scenario("claims_csv = \"claims.csv\"", false), base.clone(), &dir),
        ("17 partitions", scenario("claims_csv = \"claims.csv\"", false), base.clone().with_partitions(17), &dir),
        // 1 MiB per 10^6 claims: spilled partitions.
        (
            "a small budget",
            scenario("claims_csv = \"claims.csv\"", false),
            base.clone().with_memory_budget(scale_common::spilling_budget(n)),
            &dir,
        ),
        ("sorted", scenario("claims_csv = \"claims.csv\"", true), base.clone(), &sorted_dir),
    ] {
        let out = folder.join(format!("splits-{}.parquet", name.replace(' ', "-")));
        let py_out = folder.join(format!("person-years-{}.parquet", name.replace(' ', "-")));
        let report = run(&s, folder, &options.with_out(&out).with_person_years_out(&py_out));
        let sup = &report["supplementary"];
        assert_eq!(sup["years"].to_string(), insurer_years, "{name}: the insurer's years");
        assert_eq!(sup["one_stop"]["years"], serde_json::Value::from(years.clone()), "{name}: the yearly totals");
        assert!(sup.get("claims").is_none() && sup["one_stop"].get("person_years").is_none(), "{name}: not inlined");
        assert_eq!(sup["claims_out"]["rows"], n, "{name}");
        assert_eq!(sup["one_stop"]["person_years_out"]["rows"], person_years.len(), "{name}");
        // Claims row for row (the sorted file's by claim id).
        let b = batches(&out);
        let ids = text(&b, "claim_id");
        let order: Vec<usize> = ids.iter().map(|id| id.as_deref().unwrap()[2..].parse().unwrap()).collect();
        if name != "sorted" {
            assert!(order.iter().enumerate().all(|(i, &k)| i == k), "{name}: input order");
        }
        let columns: Vec<Vec<i64>> = PARTS.iter().map(|p| fen(&b, p)).collect();
        for (row, &k) in order.iter().enumerate() {
            let want = &expected.claims[k];
            let want = [
                want.fund,
                want.insurer,
                want.civil_servant,
                want.civil_servant_above_max,
                want.hardship,
                want.person_pays,
            ];
            let got: Vec<i64> = columns.iter().map(|c| c[row]).collect();
            assert_eq!(got, want.map(Money::fen), "{name}: claim {}", ids[row].as_deref().unwrap());
        }
        // Person-years row for row, in the order of their first claim.
        let b = batches(&py_out);
        let (who, status) = (text(&b, "person"), text(&b, "status"));
        let money: Vec<Vec<i64>> = PARTS.iter().map(|p| fen(&b, p)).collect();
        assert_eq!(who.len(), person_years.len(), "{name}: person-years");
        let mut got: Vec<(String, String, Vec<i64>)> = (0..who.len())
            .map(|i| (who[i].clone().unwrap(), status[i].clone().unwrap(), money.iter().map(|c| c[i]).collect()))
            .collect();
        let mut want: Vec<(String, String, Vec<i64>)> = person_years
            .iter()
            .map(|py| {
                let t = &py.totals;
                let parts = [t.fund, t.insurer, t.civil_servant, t.civil_servant_above_max, t.hardship, t.person_pays];
                let status = serde_json::to_value(py.status).unwrap().as_str().unwrap().to_owned();
                (py.person.to_owned(), status, parts.iter().map(|m| m.fen()).collect())
            })
            .collect();
        if name == "sorted" {
            // Another input order: the same person-years in another order.
            got.sort();
            want.sort();
        }
        assert_eq!(got, want, "{name}: person-years");
        assert!(std::fs::read_dir(&temp).unwrap().next().is_none(), "{name}: temporary files left");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&sorted_dir);
    let _ = std::fs::remove_dir_all(&temp);
}

#[test]
fn a_small_claims_file_gives_the_report_of_the_same_claims_inline() {
    let dir = folder("one-stop-inline");
    let rows = claims(3_000, false);
    let persons = persons(3_000);
    write_files(&dir, &rows, &persons);
    let mut inline = String::new();
    for r in &rows {
        writeln!(
            inline,
            "[[supplementary.claims]]\nclaim_id = \"{}\"\nperson = \"{}\"\ndate = \"{}\"\neligible_cost = \"{}\"",
            r.0,
            r.1,
            r.2,
            Money::from_fen(r.3)
        )
        .unwrap();
    }
    let text =
        format!("[supplementary]\ninsured_persons = 1000000\npersons_csv = \"persons.csv\"\n{SUBSIDIES}{inline}");
    let in_scenario = parse_scenario(&text, ScenarioFormat::Toml, "s.toml").unwrap();
    for explain in [false, true] {
        let render = |s: &medfund_scenario::Scenario, run: &ClaimsRun| {
            let r = run_scenario_with(s, "s.toml", dir.clone(), explain, &Limits::default(), run).unwrap();
            render_json(&r, explain).unwrap()
        };
        let want = render(&in_scenario, &ClaimsRun::default());
        for partitions in [1, 3] {
            let got = render(
                &scenario("claims_csv = \"claims.csv\"", false),
                &ClaimsRun::default().with_partitions(partitions),
            );
            assert!(got == want, "explain {explain}, {partitions} partitions: the report differs");
        }
    }
    // A person-years file outside the one-stop settlement is refused.
    let plain = parse_scenario(
        "[supplementary]\ninsured_persons = 10\nclaims_csv = \"claims.csv\"\n",
        ScenarioFormat::Toml,
        "s.toml",
    )
    .unwrap();
    let e = run_scenario_with(
        &plain,
        "s.toml",
        dir.clone(),
        false,
        &Limits::default(),
        &ClaimsRun::default().with_person_years_out(dir.join("py.csv")),
    )
    .unwrap_err();
    assert!(e[0].to_string().contains("--person-years-out"), "{}", e[0]);
    let _ = std::fs::remove_dir_all(&dir);
}
