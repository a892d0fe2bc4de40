//! Lists from Parquet and Arrow IPC files (`units_parquet`, `employees_arrow`
//! …): every list reads alike from CSV, Parquet and Arrow, typed columns
//! (integers, decimals, dates, dictionaries) give the figures of their text,
//! and a column or value with no exact text is an error naming the file, the
//! row and the column.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, Decimal128Array, DictionaryArray, Float64Array, Int32Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, types::Int32Type,
};
use arrow_schema::{Field, Schema};
use medfund_scenario::{
    ErrorKind, Limits, ListsInMemory, ScenarioError, ScenarioFormat, parse_scenario, render_json, run_scenario_in,
};
use serde_json::Value;

/// A CSV text as a batch of text columns (an empty cell is a null).
fn text_batch(csv: &str) -> RecordBatch {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let columns: Vec<ArrayRef> = (0..headers.len())
        .map(|c| {
            let cells: Vec<Option<&str>> = rows.iter().map(|r| Some(&r[c]).filter(|v| !v.is_empty())).collect();
            Arc::new(StringArray::from(cells)) as ArrayRef
        })
        .collect();
    batch(headers.iter().map(String::as_str).zip(columns).collect())
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns.into_iter().map(|(n, a)| (n.to_owned(), a))).unwrap()
}

fn parquet(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    out
}

fn arrow(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::FileWriter::try_new(&mut out, &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    drop(w);
    out
}

fn run(text: &str, lists: ListsInMemory) -> Result<Value, ScenarioError> {
    let scenario = parse_scenario(text, ScenarioFormat::Toml, "s.toml").unwrap();
    let report = run_scenario_in(&scenario, "s.toml", lists, false, &Limits::default())?;
    Ok(serde_json::from_str(&render_json(&report, false).unwrap()).unwrap())
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../medfund-cli/tests/fixtures/");

/// Every list of the contract except claims (which §5.3 reads itself), in CSV.
fn csv_lists() -> (String, Vec<(&'static str, &'static str, String)>) {
    let fixture = |name: &str| std::fs::read_to_string(format!("{FIXTURES}{name}")).unwrap();
    let text = r#"
[riskpool]
year = 2022
units_csv = "units.csv"
[assistance]
counties_csv = "counties.csv"
[surplus]
total = "1000"
institutions_csv = "institutions.csv"
spending_csv = "spending.csv"
policy = { other_categories = ["parties"] }
[contributions]
year = 2024
average_wage = "8.5万"
employees_csv = "employees.csv"
[contributions.policy]
employer_rate = "6%"
retiree_account_rate = "4%"
account_bands = [{ up_to_age = 30, employer_share = "30%" }, { up_to_age = 45, employer_share = "35%" }, { employer_share = "40%" }]
[contributions.residents]
headcounts_csv = "headcounts.csv"
[contributions.late_fees]
as_of = "2024-12-31"
arrears_csv = "arrears.csv"
"#;
    let lists = vec![
        ("units", "units", fixture("units.csv")),
        ("counties", "counties", fixture("counties.csv")),
        ("institutions", "institutions", fixture("institutions.csv")),
        ("spending", "spending", fixture("spending.csv")),
        (
            "employees",
            "employees",
            "id,base_rule,wage,birth_year,pension\ne-001,,\"42,000\",1996,\ne-002,wage,31万,1980,\nr-001,retired,,1955,5.2万\n".into(),
        ),
        ("headcounts", "headcounts", "category,persons\nstudents-children,48000\nother-residents,120000\n".into()),
        ("arrears", "arrears", "amount,due,paid_on\n12万,2024-03-10,2024-05-06\n3.6万,2024-11-10,\n".into()),
    ];
    (text.to_owned(), lists)
}

#[test]
fn every_list_reads_alike_from_csv_parquet_and_arrow() {
    let (text, lists) = csv_lists();
    let mut in_memory = ListsInMemory::new();
    for (_, file, csv) in &lists {
        in_memory.insert(format!("{file}.csv"), csv.clone());
    }
    let from_csv = run(&text, in_memory).unwrap();
    for section in ["riskpool", "assistance", "surplus", "contributions"] {
        assert!(from_csv.get(section).is_some(), "{section} computed");
    }
    for (ext, write) in [("parquet", parquet as fn(&RecordBatch) -> Vec<u8>), ("arrow", arrow)] {
        let mut text = text.clone();
        let mut in_memory = ListsInMemory::new();
        for (key, file, csv) in &lists {
            text = text.replace(&format!("{key}_csv = \"{file}.csv\""), &format!("{key}_{ext} = \"{file}.{ext}\""));
            in_memory.insert(format!("{file}.{ext}"), write(&text_batch(csv)));
        }
        assert!(!text.contains("_csv"), "{text}");
        assert_eq!(run(&text, in_memory).unwrap(), from_csv, "{ext}");
    }
}

/// Employees and arrears with typed columns: integers, decimals of money,
/// a dictionary of text, dates and timestamps at midnight.
fn typed() -> (RecordBatch, RecordBatch) {
    let money = |v: Vec<Option<i128>>| -> ArrayRef {
        Arc::new(Decimal128Array::from(v).with_precision_and_scale(18, 2).unwrap())
    };
    let rules: DictionaryArray<Int32Type> = vec![None, Some("wage"), Some("retired")].into_iter().collect();
    let employees = batch(vec![
        ("id", Arc::new(StringArray::from(vec!["e-001", "e-002", "r-001"]))),
        ("base_rule", Arc::new(rules)),
        ("wage", money(vec![Some(4_200_000), Some(31_000_000), None])),
        ("birth_year", Arc::new(Int32Array::from(vec![1996, 1980, 1955]))),
        ("pension", money(vec![None, None, Some(5_200_000)])),
    ]);
    let day = |d: &str| {
        let d: chrono::NaiveDate = d.parse().unwrap();
        i32::try_from((d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()).unwrap()
    };
    let arrears = batch(vec![
        ("amount", money(vec![Some(12_000_000), Some(3_600_000)])),
        ("due", Arc::new(Date32Array::from(vec![day("2024-03-10"), day("2024-11-10")]))),
        (
            "paid_on",
            Arc::new(TimestampMicrosecondArray::from(vec![Some(i64::from(day("2024-05-06")) * 86_400_000_000), None])),
        ),
    ]);
    (employees, arrears)
}

fn typed_text(ext: &str) -> String {
    let (text, _) = csv_lists();
    text.replace("employees_csv = \"employees.csv\"", &format!("employees_{ext} = \"employees.{ext}\""))
        .replace("arrears_csv = \"arrears.csv\"", &format!("arrears_{ext} = \"arrears.{ext}\""))
}

fn with_csv_lists(lists: &mut ListsInMemory, except: &[&str]) {
    for (key, file, csv) in csv_lists().1 {
        if !except.contains(&key) {
            lists.insert(format!("{file}.csv"), csv);
        }
    }
}

#[test]
fn typed_columns_give_the_figures_of_their_text() {
    let mut all_csv = ListsInMemory::new();
    with_csv_lists(&mut all_csv, &[]);
    let from_csv = run(&csv_lists().0, all_csv).unwrap();
    let (employees, arrears) = typed();
    for (ext, write) in [("parquet", parquet as fn(&RecordBatch) -> Vec<u8>), ("arrow", arrow)] {
        let mut lists = ListsInMemory::new();
        with_csv_lists(&mut lists, &["employees", "arrears"]);
        lists.insert(format!("employees.{ext}"), write(&employees));
        lists.insert(format!("arrears.{ext}"), write(&arrears));
        let typed = run(&typed_text(ext), lists).unwrap();
        assert_eq!(typed["contributions"], from_csv["contributions"], "{ext}");
    }
}

/// The error of running the typed scenario with `employees` replaced.
fn employees_error(employees: &RecordBatch) -> ScenarioError {
    let (_, arrears) = typed();
    let mut lists = ListsInMemory::new();
    with_csv_lists(&mut lists, &["employees", "arrears"]);
    lists.insert("employees.parquet", parquet(employees));
    lists.insert("arrears.parquet", parquet(&arrears));
    run(&typed_text("parquet"), lists).unwrap_err()
}

#[test]
fn a_column_or_value_with_no_exact_text_is_an_error_naming_file_row_and_column() {
    let (employees, _) = typed();
    let replace = |name: &str, column: ArrayRef| {
        let schema = employees.schema();
        let i = schema.index_of(name).unwrap();
        let mut columns = employees.columns().to_vec();
        columns[i] = column;
        let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields[i] = Field::new(name, columns[i].data_type().clone(), true);
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    };
    // Money as floats: refused whole, naming the column and why.
    let e = employees_error(&replace("wage", Arc::new(Float64Array::from(vec![42_000.0, 310_000.0, 0.0]))));
    assert_eq!(e.kind, ErrorKind::Input);
    assert_eq!(e.file.as_deref(), Some("employees.parquet"), "{e}");
    assert!(e.message.contains("column wage is of type Float64") && e.message.contains("floats are not read"), "{e}");
    // A value its field cannot read: the row (1-based, as in CSV) and the column.
    let e = employees_error(&replace("birth_year", Arc::new(StringArray::from(vec!["1996", "nineteen", "1955"]))));
    assert_eq!(e.file.as_deref(), Some("employees.parquet"), "{e}");
    assert!(e.message.starts_with("row 2: column birth_year:"), "{e}");
    // A row of nulls only.
    let nulls = batch(vec![
        ("id", Arc::new(StringArray::from(vec![Some("e-1"), None])) as ArrayRef),
        ("birth_year", Arc::new(Int32Array::from(vec![Some(1990), None]))),
        ("wage", Arc::new(StringArray::from(vec![Some("1"), None]))),
    ]);
    let e = employees_error(&nulls);
    assert!(e.message.contains("row 2: every cell is null"), "{e}");
    // A later check names the file's key and row, as for CSV.
    let no_wage =
        Arc::new(Decimal128Array::from(vec![Some(4_200_000), None, None]).with_precision_and_scale(18, 2).unwrap());
    let e = employees_error(&replace("wage", no_wage));
    assert_eq!(e.path.as_deref(), Some("contributions.employees_parquet"), "{e:?}");
    assert!(e.message.starts_with("contributions.employees_parquet (employees.parquet) row 2.wage: missing"), "{e}");
    // Not Parquet at all.
    let mut lists = ListsInMemory::new();
    with_csv_lists(&mut lists, &["employees"]);
    lists.insert("employees.parquet", b"id\ne-1\n".to_vec());
    let e = run(
        &csv_lists().0.replace("employees_csv = \"employees.csv\"", "employees_parquet = \"employees.parquet\""),
        lists,
    )
    .unwrap_err();
    assert_eq!(e.code, "unreadable", "{e}");
    // A timestamp that is not a date.
    let (_, arrears) = typed();
    let schema = arrears.schema();
    let mut columns = arrears.columns().to_vec();
    columns[2] = Arc::new(TimestampMicrosecondArray::from(vec![Some(1_000_000), None]));
    let late = RecordBatch::try_new(schema, columns).unwrap();
    let mut lists = ListsInMemory::new();
    with_csv_lists(&mut lists, &["arrears"]);
    lists.insert("arrears.arrow", arrow(&late));
    let text = csv_lists().0.replace("arrears_csv = \"arrears.csv\"", "arrears_arrow = \"arrears.arrow\"");
    let e = run(&text, lists).unwrap_err();
    assert_eq!(e.file.as_deref(), Some("arrears.arrow"), "{e}");
    assert!(e.message.starts_with("row 1: column paid_on:") && e.message.contains("not at midnight"), "{e}");
}

#[test]
fn a_list_given_twice_is_refused_naming_both_keys() {
    let (text, _) = csv_lists();
    let text =
        text.replace("units_csv = \"units.csv\"", "units_csv = \"units.csv\"\nunits_parquet = \"units.parquet\"");
    let mut lists = ListsInMemory::new();
    with_csv_lists(&mut lists, &[]);
    let e = run(&text, lists).unwrap_err();
    assert!(e.to_string().contains("both units_csv and units_parquet are given"), "{e}");
}

#[test]
fn one_stop_persons_read_alike_from_csv_parquet_and_arrow() {
    let example = include_str!("../../../../examples/one-stop.toml");
    let csv = "id,status,hardship,monthly_pension,contribution_months\n\
               cs-001,civil-servant,,,\ncs-002,retired-civil-servant,,,\ndb-001,employee,subsistence-allowance,,\n\
               lp-001,retired,low-pension,\"3,200\",\nmg-001,migrant,,,8\n";
    let start = example.find("[[supplementary.persons]]").unwrap();
    let end = example.find("# Claims of persons not listed").unwrap();
    let without = format!("{}{}", &example[..start], &example[end..]);
    let inline = run(example, ListsInMemory::new()).unwrap();
    assert!(inline["supplementary"]["one_stop"].is_object(), "one-stop settled");
    for (ext, bytes) in [("parquet", parquet(&text_batch(csv))), ("arrow", arrow(&text_batch(csv)))] {
        let key = format!("insured_persons = 1200000\npersons_{ext} = \"persons.{ext}\"\n");
        let text = without.replace("insured_persons = 1200000\n", &key);
        let mut lists = ListsInMemory::new();
        lists.insert(format!("persons.{ext}"), bytes);
        assert_eq!(run(&text, lists).unwrap(), inline, "{ext}");
    }
}
