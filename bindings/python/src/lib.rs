//! `medfund._medfund`: the Python extension of medfund. Every function here
//! hands its input to `medfund-scenario` and returns what it returns (JSON
//! bytes of the contract, Arrow tables); the Python package `medfund`
//! (`python/medfund/`) gives them their researcher-facing shape. Nothing
//! here computes a figure.
//!
//! Long work releases the GIL (`py.detach`), so Python threads and Ray
//! workers run meanwhile.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod claims;
mod errors;
mod projection;
mod tables;

use std::collections::HashMap;
use std::path::PathBuf;

use medfund_scenario::{Lang, Limits, Lists, ListsInMemory, Scenario, ScenarioFormat, Setting};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3_arrow::PyTable;

use crate::errors::{input, raise, raise_one};

/// Where a scenario comes from: `kind` is `path` (a file; CSV lists
/// relative to it), `toml` or `json` (text the caller wrote: errors keep
/// their line and column) or `dict` (JSON made from a Python dict: errors
/// keep their field path only).
struct Source {
    scenario: Scenario,
    name: String,
    lists: Lists,
    positions: bool,
}

/// The lists a scenario names: those the caller gave by name (nothing is
/// then read from disk), else files relative to the scenario's folder.
fn lists_of(given: Option<HashMap<String, Vec<u8>>>, base: PathBuf) -> Lists {
    match given {
        Some(given) => {
            let mut lists = ListsInMemory::new();
            for (name, csv) in given {
                lists.insert(name, csv);
            }
            lists.into()
        }
        None => base.into(),
    }
}

fn lang(py: Python<'_>, text: &str) -> PyResult<Lang> {
    match text {
        "zh" => Ok(Lang::Zh),
        "en" => Ok(Lang::En),
        other => Err(input(py, format!("lang: {other:?}; expected \"zh\" or \"en\""))),
    }
}

fn load(py: Python<'_>, kind: &str, value: &str, lists: Option<HashMap<String, Vec<u8>>>) -> PyResult<Source> {
    let limits = Limits::default();
    let (format, positions, name) = match kind {
        "path" => {
            let (scenario, base) = py
                .detach(|| medfund_scenario::load_scenario(value, None, &limits))
                .map_err(|e| raise_one(py, e, true))?;
            return Ok(Source { scenario, name: value.to_owned(), lists: lists_of(lists, base), positions: true });
        }
        "toml" => (ScenarioFormat::Toml, true, "scenario"),
        "json" => (ScenarioFormat::Json, true, "scenario"),
        "dict" => (ScenarioFormat::Json, false, "scenario"),
        other => return Err(input(py, format!("scenario kind {other:?}; expected path, toml, json or dict"))),
    };
    let scenario =
        py.detach(|| medfund_scenario::parse_scenario(value, format, name)).map_err(|e| raise_one(py, e, positions))?;
    Ok(Source { scenario, name: name.to_owned(), lists: lists_of(lists, PathBuf::from(".")), positions })
}

/// A computed report (the contract's report, held in Rust).
#[pyclass(module = "medfund._medfund", frozen)]
struct Report {
    inner: medfund_scenario::Report,
}

#[pymethods]
impl Report {
    /// The JSON report of the contract, as `medfund run --format json` prints it (with its newline).
    #[pyo3(signature = (pretty = false))]
    fn json<'py>(&self, py: Python<'py>, pretty: bool) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        medfund_scenario::write_json(&self.inner, pretty, &mut out)
            .map_err(|e| raise_one(py, medfund_scenario::ScenarioError::other(e.to_string()), false))?;
        Ok(PyBytes::new(py, &out))
    }

    /// Every table of the text report as `(name, pyarrow.Table)`, labels in
    /// `lang`, money as `decimal128(18, 2)` or (`money = "fen"`) int64 fen.
    fn tables<'py>(&self, py: Python<'py>, lang_code: &str, money: &str) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let lang = lang(py, lang_code)?;
        let fen = unit(py, money)? == claims::Unit::Fen;
        medfund_scenario::report_tables(&self.inner)
            .iter()
            .map(|t| {
                let batch = tables::batch(t, lang, fen).map_err(|e| input(py, format!("table {}: {e}", t.name)))?;
                let schema = batch.schema();
                let table = PyTable::try_new(vec![batch], schema)?;
                Ok((t.name.clone(), table.into_pyarrow(py)?))
            })
            .collect()
    }

    /// The text report: `table`, `markdown` or `csv`, labels in `lang`.
    fn render(&self, py: Python<'_>, format: &str, lang_code: &str) -> PyResult<String> {
        let lang = lang(py, lang_code)?;
        match format {
            "table" => Ok(medfund_scenario::render_table(&self.inner, lang)),
            "markdown" => Ok(medfund_scenario::render_markdown(&self.inner, lang)),
            "csv" => {
                let bytes = medfund_scenario::render_csv(&self.inner).map_err(|e| raise_one(py, e, false))?;
                String::from_utf8(bytes).map_err(|e| input(py, format!("csv: {e}")))
            }
            other => Err(input(py, format!("format: {other:?}; expected table, markdown or csv"))),
        }
    }
}

/// Computes every section of a scenario (`kind`, `value`: see the module);
/// `explain` adds the trace; `lists` holds the CSV lists it names, by name.
#[pyfunction]
#[pyo3(signature = (kind, value, explain, lists = None))]
fn run(
    py: Python<'_>,
    kind: &str,
    value: &str,
    explain: bool,
    lists: Option<HashMap<String, Vec<u8>>>,
) -> PyResult<Report> {
    let s = load(py, kind, value, lists)?;
    let limits = Limits::default();
    let report = py
        .detach(|| medfund_scenario::run_scenario_all(&s.scenario, &s.name, s.lists.clone(), explain, &limits))
        .map_err(|errors| raise(py, errors, s.positions))?;
    Ok(Report { inner: report })
}

/// Resolves everything `run` would; returns the sections present, or raises every error found.
#[pyfunction]
#[pyo3(signature = (kind, value, lists = None))]
fn check(
    py: Python<'_>,
    kind: &str,
    value: &str,
    lists: Option<HashMap<String, Vec<u8>>>,
) -> PyResult<Vec<&'static str>> {
    let s = load(py, kind, value, lists)?;
    let limits = Limits::default();
    py.detach(|| medfund_scenario::run_scenario_all(&s.scenario, &s.name, s.lists.clone(), false, &limits))
        .map_err(|errors| raise(py, errors, s.positions))?;
    Ok(s.scenario.sections())
}

/// Two reports compared figure by figure, as the JSON of `medfund compare --format json`.
#[pyfunction]
fn compare<'py>(
    py: Python<'py>,
    base: &Report,
    base_name: &str,
    variant: &Report,
    variant_name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let c = py
        .detach(|| medfund_scenario::compare_reports(base_name, &base.inner, variant_name, &variant.inner))
        .map_err(|e| raise_one(py, e, false))?;
    let out = medfund_scenario::wrapped_json("compare", &c, false).map_err(|e| raise_one(py, e, false))?;
    Ok(PyBytes::new(py, &out))
}

/// The settings of `{"set": {"path": [values]}, "link": [[path, …], …]}`
/// (as `_settings_json` writes them), linked.
fn settings_of(py: Python<'_>, settings_json: &str) -> PyResult<Vec<Setting>> {
    let shape = "expected {\"set\": {path: [values]}, \"link\": [[path, …], …]}";
    let mut doc: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(settings_json).map_err(|e| input(py, format!("sweep settings: {e}")))?;
    let Some(serde_json::Value::Object(set)) = doc.remove("set") else {
        return Err(input(py, format!("sweep settings: no set; {shape}")));
    };
    let link: Vec<Vec<String>> = match doc.remove("link") {
        None => Vec::new(),
        Some(l) => serde_json::from_value(l).map_err(|e| input(py, format!("sweep settings: link: {e}; {shape}")))?,
    };
    if let Some(other) = doc.keys().next() {
        return Err(input(py, format!("sweep settings: {other:?}; {shape}")));
    }
    let mut settings: Vec<Setting> = set
        .into_iter()
        .map(|(path, values)| match values {
            serde_json::Value::Array(v) => Setting::new(path, v),
            other => Setting::new(path, vec![other]),
        })
        .collect();
    medfund_scenario::link_settings(&mut settings, &link).map_err(|e| raise_one(py, e, false))?;
    Ok(settings)
}

/// The number of combinations of a sweep's settings (`{"set": {"path": [values]}, "link": [[path, …]]}` as JSON).
#[pyfunction]
fn sweep_combinations(py: Python<'_>, settings_json: &str) -> PyResult<u64> {
    let settings = settings_of(py, settings_json)?;
    medfund_scenario::sweep_combinations(&settings, &Limits::default()).map_err(|e| raise_one(py, e, false))
}

/// The rows (JSON list) of the combinations `start..end` of a sweep of the
/// scenario document `doc_json` (all of them without a range); its lists
/// are `lists` by name, else files relative to `base` (the scenario file's folder).
#[pyfunction]
#[pyo3(signature = (doc_json, settings_json, start = None, end = None, lists = None, base = None))]
#[allow(clippy::too_many_arguments)]
fn sweep<'py>(
    py: Python<'py>,
    doc_json: &str,
    settings_json: &str,
    start: Option<u64>,
    end: Option<u64>,
    lists: Option<HashMap<String, Vec<u8>>>,
    base: Option<PathBuf>,
) -> PyResult<Bound<'py, PyBytes>> {
    let lists = lists_of(lists, base.unwrap_or_else(|| PathBuf::from(".")));
    let settings = settings_of(py, settings_json)?;
    let doc: serde_json::Value = serde_json::from_str(doc_json).map_err(|e| input(py, format!("scenario: {e}")))?;
    let limits = Limits::default();
    let mut rows = Vec::new();
    py.detach(|| {
        let mut keep = |r| {
            rows.push(r);
            Ok(())
        };
        match (start, end) {
            (None, None) => {
                medfund_scenario::sweep_value_each(doc, "scenario", lists, &settings, &limits, &|_, _| {}, &mut keep)
            }
            (s, e) => {
                let total = medfund_scenario::sweep_combinations(&settings, &limits)?;
                let range = s.unwrap_or(0)..e.unwrap_or(total);
                medfund_scenario::sweep_value_range(doc, "scenario", lists, &settings, &limits, range, &mut keep)
            }
        }
    })
    .map_err(|e| raise_one(py, e, false))?;
    let out = serde_json::to_vec(&rows).map_err(|e| input(py, e.to_string()))?;
    Ok(PyBytes::new(py, &out))
}

/// The scenario as a JSON document (TOML read as JSON; syntax checked
/// only), for a sweep to edit.
#[pyfunction]
fn document(py: Python<'_>, kind: &str, value: &str) -> PyResult<String> {
    let doc = match kind {
        "path" => py.detach(|| medfund_scenario::scenario_document_file(value, None, &Limits::default())),
        "toml" => py.detach(|| medfund_scenario::scenario_document(value, ScenarioFormat::Toml, "scenario")),
        "json" | "dict" => py.detach(|| medfund_scenario::scenario_document(value, ScenarioFormat::Json, "scenario")),
        other => return Err(input(py, format!("scenario kind {other:?}; expected path, toml, json or dict"))),
    }
    .map_err(|e| raise_one(py, e, kind != "dict"))?;
    serde_json::to_string(&doc).map_err(|e| input(py, e.to_string()))
}

/// The preset registry as JSON (`medfund policies --format json`).
#[pyfunction]
fn policies<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
    let list = medfund_scenario::policies().map_err(|e| raise_one(py, e, false))?;
    let out = serde_json::to_vec(&list).map_err(|e| input(py, e.to_string()))?;
    Ok(PyBytes::new(py, &out))
}

fn unit(py: Python<'_>, money: &str) -> PyResult<claims::Unit> {
    match money {
        "decimal" => Ok(claims::Unit::Yuan),
        "fen" => Ok(claims::Unit::Fen),
        other => Err(input(py, format!("money: {other:?}; expected \"decimal\" or \"fen\""))),
    }
}

/// The supplementary split (§5) of an Arrow table of claims under the
/// `[supplementary]` settings `settings_json`: `(per-claim table, per-year table)`.
#[pyfunction]
fn split_claims<'py>(
    py: Python<'py>,
    claims_table: PyTable,
    settings_json: &str,
    money: &str,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let unit = unit(py, money)?;
    let settings: serde_json::Value =
        serde_json::from_str(settings_json).map_err(|e| input(py, format!("settings: {e}")))?;
    let batches = checked_batches(py, claims_table, "claims")?;
    let outcome = py.detach(|| -> Result<_, Result<medfund_scenario::ScenarioError, String>> {
        let read = claims::read(&batches, unit).map_err(Err)?;
        let (_, result) = match read {
            claims::Either::Text(c) => medfund_scenario::split_supplementary_claims(settings, &c),
            claims::Either::Int(c) => medfund_scenario::split_supplementary_claims(settings, &c),
        }
        .map_err(Ok)?;
        let id = claim_ids(&batches).map_err(Err)?;
        let splits = claims::splits_batch(&result.claims, id, unit).map_err(|e| Err(e.to_string()))?;
        let years = claims::years_batch(&result.years, unit).map_err(|e| Err(e.to_string()))?;
        Ok((splits, years))
    });
    let (splits, years) = outcome.map_err(|e| match e {
        Ok(e) => raise_one(py, e, false),
        Err(message) => input(py, message),
    })?;
    let table = |b: arrow_array::RecordBatch| -> PyResult<Bound<'py, PyAny>> {
        let schema = b.schema();
        PyTable::try_new(vec![b], schema)?.into_pyarrow(py)
    };
    Ok((table(splits)?, table(years)?))
}

/// The batches of a table from Python, every array checked in full before
/// any is read: offsets monotone and within their data, views within their
/// buffers, text valid UTF-8, lengths and null masks consistent. The Arrow
/// C interface hands buffers over as they are; reading an invalid array
/// would read stray memory (or kill the interpreter).
fn checked_batches(py: Python<'_>, table: PyTable, what: &str) -> PyResult<Vec<arrow_array::RecordBatch>> {
    let (batches, _schema) = table.into_inner();
    let mut first = 0_usize;
    for batch in &batches {
        let rows = batch.num_rows();
        let end = first.checked_add(rows).ok_or_else(|| input(py, format!("{what}: more rows than memory holds")))?;
        for (field, column) in batch.schema_ref().fields().iter().zip(batch.columns()) {
            column.to_data().validate_full().map_err(|e| {
                input(
                    py,
                    format!(
                        "{what}.{}: rows {first} to {end} (0-based, end excluded) are not a valid Arrow array: {e}; expected arrays whose buffers agree with their offsets and lengths",
                        field.name()
                    ),
                )
            })?;
        }
        first = end;
    }
    Ok(batches)
}

/// The `claim_id` column of the input, all batches together (passed through).
fn claim_ids(batches: &[arrow_array::RecordBatch]) -> Result<Option<arrow_array::ArrayRef>, String> {
    let columns: Vec<&arrow_array::ArrayRef> = batches.iter().filter_map(|b| b.column_by_name("claim_id")).collect();
    if columns.is_empty() {
        return Ok(None);
    }
    if columns.len() != batches.len() {
        return Err("claims: claim_id is in some batches only; expected it in all or none".into());
    }
    match columns.as_slice() {
        [one] => Ok(Some(std::sync::Arc::clone(one))),
        many => {
            let arrays: Vec<&dyn arrow_array::Array> = many.iter().map(|a| a.as_ref()).collect();
            arrow_select::concat::concat(&arrays).map(Some).map_err(|e| format!("claims: claim_id: {e}"))
        }
    }
}

/// The per-year summaries of one split from those of its parts (claims
/// partitioned by person), as one per-year table.
#[pyfunction]
fn merge_year_summaries<'py>(py: Python<'py>, parts: Vec<PyTable>, money: &str) -> PyResult<Bound<'py, PyAny>> {
    let unit = unit(py, money)?;
    let parts = parts
        .into_iter()
        .map(|t| claims::years_of(&checked_batches(py, t, "years")?).map_err(|m| input(py, m)))
        .collect::<PyResult<Vec<_>>>()?;
    let merged = medfund_scenario::merge_year_summaries(&parts)
        .map_err(|e| raise_one(py, medfund_scenario::ScenarioError::input(format!("years: {e}")), false))?;
    let batch = claims::years_batch(&merged, unit).map_err(|e| input(py, e.to_string()))?;
    let schema = batch.schema();
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}

/// The medical-year summaries (a per-year table) of a per-claim table made
/// by `split_claims` under the same settings: for a part of a split run
/// apart, to be merged with `merge_year_summaries`.
#[pyfunction]
fn year_summaries<'py>(
    py: Python<'py>,
    splits: PyTable,
    settings_json: &str,
    money: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let unit = unit(py, money)?;
    let settings: serde_json::Value =
        serde_json::from_str(settings_json).map_err(|e| input(py, format!("settings: {e}")))?;
    let splits = claims::splits_of(&checked_batches(py, splits, "splits")?).map_err(|m| input(py, m))?;
    let years = py
        .detach(|| medfund_scenario::supplementary_year_summaries(settings, &splits))
        .map_err(|e| raise_one(py, e, false))?;
    let batch = claims::years_batch(&years, unit).map_err(|e| input(py, e.to_string()))?;
    let schema = batch.schema();
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}

/// The partition (`0..n`) of each claim's person as a one-column table (`bucket`, int32), the
/// same in every process: all claims of one person fall in one partition.
#[pyfunction]
fn person_buckets<'py>(py: Python<'py>, claims_table: PyTable, n: u32) -> PyResult<Bound<'py, PyAny>> {
    let batches = checked_batches(py, claims_table, "claims")?;
    let buckets = py.detach(|| claims::person_buckets(&batches, n)).map_err(|m| input(py, m))?;
    let array = arrow_array::Int32Array::from_iter_values(
        buckets.into_iter().map(|b| i32::try_from(b).expect("invariant: a bucket is below n ≤ 65536")),
    );
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
        "bucket",
        arrow_schema::DataType::Int32,
        false,
    )]));
    let batch = arrow_array::RecordBatch::try_new(schema.clone(), vec![std::sync::Arc::new(array)])
        .map_err(|e| input(py, e.to_string()))?;
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}

/// The module.
#[pymodule]
fn _medfund(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Report>()?;
    m.add("DEMO", medfund_scenario::DEMO)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(projection::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(projection::projection_shard, m)?)?;
    m.add_function(wrap_pyfunction!(projection::projection_merge, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_combinations, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(document, m)?)?;
    m.add_function(wrap_pyfunction!(policies, m)?)?;
    m.add_function(wrap_pyfunction!(split_claims, m)?)?;
    m.add_function(wrap_pyfunction!(merge_year_summaries, m)?)?;
    m.add_function(wrap_pyfunction!(year_summaries, m)?)?;
    m.add_function(wrap_pyfunction!(person_buckets, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
