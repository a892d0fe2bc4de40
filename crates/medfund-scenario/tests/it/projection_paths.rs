//! Trial paths written by `simulate_scenario_with_paths`: the same rows in
//! every format and money unit, one per trial, scheme and year, in trial
//! order; the report is the one `simulate_scenario` gives.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Int32Type, Int64Type, UInt32Type};
use medfund_scenario::{Limits, MoneyUnit, ScenarioFormat, parse_scenario, simulate_scenario};

const SCENARIO: &str = r#"
[riskpool]
year = 2024
[riskpool.employee]
opening_balance = "300万"
[[riskpool.units]]
id = "a"
scheme = "employee"
revenue = "1亿"
expenditure = "1亿"
[[riskpool.units]]
id = "b"
scheme = "resident"
revenue = "5000万"
expenditure = "5200万"
[projection]
years = 4
trials = 300
seed = 9
[projection.default]
revenue_growth = { mean = "5%", sd = "3%" }
expenditure_growth = { mean = "6%", sd = "4%" }
"#;

fn folder() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medfund-paths-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

type PathRows = Vec<(u32, String, i32, i64, i64, bool)>;

fn write(out: &Path, unit: MoneyUnit) -> (String, u64) {
    let s = parse_scenario(SCENARIO, ScenarioFormat::Toml, "p.toml").unwrap();
    let (p, rows) = medfund_scenario::simulate_scenario_with_paths(
        &s,
        "p.toml",
        PathBuf::from("."),
        &Limits::default(),
        &|_| {},
        out,
        unit,
    )
    .unwrap();
    (json(&p), rows)
}

fn json(p: &medfund_scenario::Projection) -> String {
    let mut out = Vec::new();
    medfund_scenario::write_projection_json(p, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn read_parquet(path: &Path) -> PathRows {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let mut rows = Vec::new();
    for b in reader {
        let b = b.unwrap();
        let fen = |i: usize, k: usize| match b.column(i).data_type() {
            arrow_schema::DataType::Int64 => b.column(i).as_primitive::<Int64Type>().value(k),
            _ => i64::try_from(b.column(i).as_primitive::<Decimal128Type>().value(k)).unwrap(),
        };
        for k in 0..b.num_rows() {
            rows.push((
                b.column(0).as_primitive::<UInt32Type>().value(k),
                b.column(1).as_string::<i32>().value(k).to_owned(),
                b.column(2).as_primitive::<Int32Type>().value(k),
                fen(3, k),
                fen(4, k),
                b.column(5).as_boolean().value(k),
            ));
        }
    }
    rows
}

fn read_csv(path: &Path) -> PathRows {
    let text = std::fs::read_to_string(path).unwrap();
    let fen = |t: &str| t.parse::<medfund_core::Money>().unwrap().fen();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].parse().unwrap(), f[1].to_owned(), f[2].parse().unwrap(), fen(f[3]), fen(f[4]), f[5] == "true")
        })
        .collect()
}

#[test]
fn paths_are_the_same_rows_in_csv_and_parquet_in_yuan_or_fen() {
    let dir = folder();
    let (report_csv, n) = write(&dir.join("p.csv"), MoneyUnit::Yuan);
    let (report_parquet, m) = write(&dir.join("p.parquet"), MoneyUnit::Fen);
    assert_eq!((n, m), (300 * 4 * 2, 300 * 4 * 2));
    assert_eq!(report_csv, report_parquet);
    let s = parse_scenario(SCENARIO, ScenarioFormat::Toml, "p.toml").unwrap();
    let plain = simulate_scenario(&s, "p.toml", PathBuf::from("."), &Limits::default(), &|_| {}).unwrap();
    assert_eq!(report_csv, json(&plain));
    let (csv, parquet) = (read_csv(&dir.join("p.csv")), read_parquet(&dir.join("p.parquet")));
    assert_eq!(csv, parquet);
    // Trial by trial, year by year, the schemes in report order.
    assert_eq!(csv[0].0, 0);
    assert_eq!((csv[0].1.as_str(), csv[1].1.as_str()), ("employee", "resident"));
    assert_eq!((csv[0].2, csv[2].2, csv[8].0), (2024, 2025, 1));
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "no temporary file left: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
