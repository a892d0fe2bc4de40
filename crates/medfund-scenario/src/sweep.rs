//! `sweep` (§9): a scenario run once per combination of field values, rows
//! in cartesian order (the last `--set` varying fastest), computed in
//! parallel chunks and handed on in order as they finish, so that neither
//! the combinations nor (for JSON and CSV) the rows are held at once.

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ScenarioError, ScenarioResult, codes};
use crate::render::{Cell, Column, Table};
use crate::scenario::{Format, Scenario, Source};
pub use crate::sweep_settings::{Setting, link_settings};
use crate::sweep_settings::{combination, dimensions};
use crate::variants::{as_money, text, yuan_of_fen};

fn set_path(doc: &mut Value, path: &str, value: Value) -> ScenarioResult<()> {
    let bad = |why: &str| ScenarioError::input(format!("--set {path}: {why}"));
    let mut node = doc;
    let segments: Vec<&str> = path.split('.').collect();
    for (k, segment) in segments.iter().enumerate() {
        let last = k.saturating_add(1) == segments.len();
        let (name, index) = match segment.split_once('[') {
            Some((n, rest)) => {
                let i = rest
                    .strip_suffix(']')
                    .and_then(|r| r.parse::<usize>().ok())
                    .ok_or_else(|| bad("expected an index such as units[0]"))?;
                (n, Some(i))
            }
            None => (*segment, None),
        };
        if name.is_empty() {
            return Err(bad("empty path segment; expected a path such as riskpool.policy.levy_rate"));
        }
        let map = node.as_object_mut().ok_or_else(|| bad(&format!("{name:?} is not inside a table")))?;
        if last && index.is_none() {
            map.insert(name.to_owned(), value);
            return Ok(());
        }
        let child = map.entry(name.to_owned()).or_insert_with(|| Value::Object(serde_json::Map::new()));
        node = match index {
            Some(i) => {
                let items = child.as_array_mut().ok_or_else(|| bad(&format!("{name:?} is not a list")))?;
                let len = items.len();
                let item = items
                    .get_mut(i)
                    .ok_or_else(|| bad(&format!("{name}[{i}] does not exist; the list has {len} entries")))?;
                if last {
                    *item = value;
                    return Ok(());
                }
                item
            }
            None => child,
        };
    }
    Err(bad("expected a path"))
}

/// The scenario file as a JSON document, for editing.
pub(crate) fn document(
    path: &str,
    format: Option<Format>,
    limits: &crate::limits::Limits,
) -> ScenarioResult<(Value, Source)> {
    let (text, format, source) = crate::scenario::read_text(path, format, limits)?;
    Ok((document_of_text(&text, format, path, limits)?, source))
}

/// Scenario text (TOML or JSON) as a JSON document, for editing; `name`
/// names it in errors. Only the syntax is checked here.
pub(crate) fn document_of_text(
    text: &str,
    format: Format,
    name: &str,
    limits: &crate::limits::Limits,
) -> ScenarioResult<Value> {
    match format {
        Format::Toml => {
            crate::parse::check_toml_size(text, limits, name)?;
            let de = crate::scenario::toml_document(text)
                .map_err(|e| ScenarioError::input(e.message()).with_code(codes::SYNTAX).at(name))?;
            serde::Deserialize::deserialize(de).map_err(|e: toml::de::Error| ScenarioError::input(e.message()).at(name))
        }
        Format::Json => crate::json_document::json_document(text)
            .map_err(|e| ScenarioError::input(e.to_string()).with_code(codes::SYNTAX).at(name)),
    }
}

fn scenario_of(doc: Value, label: &str) -> ScenarioResult<Scenario> {
    crate::parse::parse_value(doc, label)
}

/// One combination's values and headline figures.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SweepRow {
    /// The values set, by path.
    pub values: serde_json::Map<String, Value>,
    /// Headline figures, by name.
    pub figures: serde_json::Map<String, Value>,
}

/// The sweep: parameters and one row per combination.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Sweep {
    /// The paths swept, in `--set` order.
    pub parameters: Vec<String>,
    /// Rows in cartesian order (the last `--set` varies fastest).
    pub rows: Vec<SweepRow>,
}

fn headline(report: &Value) -> serde_json::Map<String, Value> {
    let null = Value::Null;
    let at = |v: &'_ Value, pointer: &str| v.pointer(pointer).cloned().unwrap_or(Value::Null);
    // Exact in i128 fen: a sum of report amounts never overflows it.
    let sum = |items: &[Value], key: &str| -> Value {
        let total = items
            .iter()
            .filter_map(|v| v.get(key).and_then(as_money))
            .try_fold(0_i128, |acc, m| acc.checked_add(i128::from(m.fen())))
            .expect("invariant: fewer than 2^64 amounts of 64 bits sum within an i128");
        Value::String(yuan_of_fen(total))
    };
    let list = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let mut f = serde_json::Map::new();
    if let Some(schemes) = report.pointer("/riskpool/schemes").and_then(Value::as_object) {
        for (scheme, s) in schemes {
            for key in ["levy", "draws", "closing_balance", "actuarial_review"] {
                f.insert(format!("riskpool.{scheme}.{key}"), s.get(key).unwrap_or(&null).clone());
            }
            f.insert(format!("riskpool.{scheme}.unresolved"), sum(&list(s.get("units")), "unresolved"));
        }
    }
    if let Some(a) = report.get("assistance") {
        let years: Vec<Value> = list(a.get("counties")).iter().flat_map(|c| list(c.get("years"))).collect();
        f.insert("assistance.fee".into(), sum(&years, "fee"));
        f.insert("assistance.annual_balance".into(), sum(&years, "annual_balance"));
    }
    if let Some(s) = report.get("supplementary") {
        let years = list(s.get("years"));
        f.insert("supplementary.claims_paid".into(), sum(&years, "claims_paid"));
        f.insert("supplementary.insurer_result".into(), sum(&years, "insurer_result"));
        if let Some(o) = s.get("one_stop") {
            let years = list(o.get("years"));
            for key in ["civil_servant", "civil_servant_above_max", "hardship", "person_pays"] {
                f.insert(format!("supplementary.one_stop.{key}"), sum(&years, key));
            }
        }
    }
    if report.get("surplus").is_some() {
        for key in ["primary_pool", "performance_pool", "unallocated", "primary_share_of_total"] {
            f.insert(format!("surplus.{key}"), at(report, &format!("/surplus/{key}")));
        }
    }
    if report.get("contributions").is_some() {
        for key in ["employee_pooling", "employee_accounts", "resident_pooling"] {
            f.insert(format!("contributions.{key}"), at(report, &format!("/contributions/funds/{key}")));
        }
    }
    f
}

/// The last projected year's risk figures (every year's with `all`), per
/// scheme: the review risk that year and by that year (cumulative, with its
/// standard error), the median closing balance and the mean unresolved gap.
fn projection_headline(
    p: &crate::simulate::Projection,
    which: crate::scenario::SweepYears,
    f: &mut serde_json::Map<String, Value>,
) {
    for (scheme, years) in p.iter() {
        // A projection has at least one year (validated).
        let shown = match which {
            crate::scenario::SweepYears::All => years,
            _ => years.split_last().map_or(&[][..], |(last, _)| std::slice::from_ref(last)),
        };
        for y in shown {
            year_headline(scheme, y, f);
        }
    }
}

fn year_headline(
    scheme: medfund_riskpool::Scheme,
    y: &medfund_riskpool::YearStats,
    f: &mut serde_json::Map<String, Value>,
) {
    let key = |name: &str| format!("projection.{}.{}.{name}", scheme.key(), y.year);
    let number = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    f.insert(key("p_actuarial_review"), number(y.p_actuarial_review));
    // The risk of a review at any time in the projection, and its error.
    f.insert(key("p_review_cumulative"), number(y.p_review_cumulative));
    f.insert(key("p_review_cumulative_se"), number(y.p_review_cumulative_se));
    f.insert(key("closing_p50"), Value::String(y.closing_balance.p50.to_string()));
    f.insert(key("mean_unresolved"), Value::String(y.mean_unresolved.to_string()));
}

/// Combinations computed together: enough to keep every core busy, few
/// enough that the rows waiting for their turn stay small.
const CHUNK: u64 = 64;

/// The settings checked (each path once) and the number of combinations
/// (at most the limit), before anything is computed.
pub(crate) fn combinations(settings: &[Setting], source: &Source) -> ScenarioResult<u64> {
    for (k, s) in settings.iter().enumerate() {
        if let Some(first) = settings.iter().take(k).position(|o| o.path == s.path) {
            return Err(ScenarioError::input(format!(
                "--set {}: the path is set twice (--set number {} and {}); expected each path once, with all its values",
                s.path,
                first.saturating_add(1),
                k.saturating_add(1)
            ))
            .with_code(codes::DUPLICATE));
        }
    }
    if let Some(s) = settings.iter().find(|s| s.values.is_empty() || s.path.trim().is_empty()) {
        return Err(ScenarioError::input(format!(
            "--set {:?}: no values or no path; expected a path and at least one value",
            s.path
        )));
    }
    // Counted, never built: 2^40 combinations are refused, not allocated.
    let count = dimensions(settings).iter().try_fold(1_u64, |n, d| n.checked_mul(u64::try_from(d.len).ok()?));
    let limit = source.limits.sweep_combinations;
    match count {
        Some(n) if n <= limit => Ok(n),
        _ => Err(ScenarioError::input(format!(
            "sweep: {} combinations, more than the limit of {limit}; expected fewer values, or --max-combinations",
            count.map_or_else(|| "more than 18446744073709551615".to_owned(), |n| n.to_string())
        ))
        .with_code(codes::LIMIT)),
    }
}

/// Runs one combination and takes its headline figures.
fn run_one(doc: &Value, source: &Source, picked: &[(&str, &Value)]) -> ScenarioResult<SweepRow> {
    let mut doc = doc.clone();
    let mut values = serde_json::Map::new();
    for &(path, v) in picked {
        set_path(&mut doc, path, v.clone())?;
        values.insert(path.to_owned(), v.clone());
    }
    let label = picked.iter().map(|(p, v)| format!("{p}={}", text(v))).collect::<Vec<_>>().join(", ");
    let label = format!("{} with {label}", source.name);
    // An error of one combination names it where the file goes: the
    // scenario's own name, and the values that made it.
    let named = |mut e: ScenarioError| {
        if e.file.as_deref().is_none_or(|f| f == source.name) {
            e.file = Some(label.clone());
        }
        e
    };
    let scenario = scenario_of(doc, &label)?;
    let report = crate::compute::run(&scenario, source, false).map_err(named)?;
    let json = serde_json::to_value(&report).map_err(|e| ScenarioError::other(e.to_string()))?;
    let mut figures = headline(&json);
    if scenario.projection.is_some() {
        let projection = crate::simulate::run(&scenario, source, &|_| {}).map_err(named)?;
        let which = scenario.projection.as_ref().and_then(|p| p.sweep_years).unwrap_or_default();
        projection_headline(&projection, which, &mut figures);
    }
    Ok(SweepRow { values, figures })
}

/// The unit-years the `[projection]` of a document simulates (trials ×
/// years × inline units), read from the typed scenario as the run reads it
/// (`"trials": "250000"` is 250,000 trials, not "no number": counting the raw
/// JSON let such sweeps past the limit); `u64::MAX` past the range. `0` for
/// a document without a projection, or that is no scenario (its run refuses
/// it before simulating anything).
fn projection_work(doc: &Value, label: &str) -> u64 {
    let Ok(scenario) = scenario_of(doc.clone(), label) else { return 0 };
    let Some(p) = scenario.projection.as_ref() else { return 0 };
    let units = scenario.riskpool.as_ref().and_then(|r| r.units.as_ref()).map_or(0, Vec::len);
    u64::from(p.trials.0)
        .checked_mul(u64::from(p.years.0))
        .and_then(|n| n.checked_mul(u64::try_from(units).ok()?))
        .unwrap_or(u64::MAX)
}

/// With a limit on projection work (`Limits::projection_work`, which a
/// service sets), the unit-years of every combination together, before
/// anything runs: a sweep of projections is bounded as one projection is.
fn check_sweep_work(doc: &Value, settings: &[Setting], source: &Source, total: u64) -> ScenarioResult<()> {
    let limit = source.limits.projection_work;
    if limit == u64::MAX
        || doc.get("projection").is_none() && !settings.iter().any(|s| s.path.starts_with("projection"))
    {
        return Ok(());
    }
    let mut sum = 0_u64;
    for i in 0..total {
        let mut edited = doc.clone();
        for (path, v) in combination(settings, i) {
            set_path(&mut edited, path, v.clone())?;
        }
        // A sum past u64 is past any limit.
        match sum.checked_add(projection_work(&edited, &source.name)) {
            Some(more) if more <= limit => sum = more,
            _ => {
                return Err(ScenarioError::input(format!(
                "sweep: the projections of the first {} of {total} combinations already simulate more than the limit of {limit} unit-years; expected fewer combinations, trials or years",
                i.saturating_add(1)
                ))
                .with_code(codes::LIMIT));
            }
        }
    }
    Ok(())
}

/// Runs `doc` once per combination of `settings`, in parallel chunks, and
/// hands each row to `row` in cartesian order; `progress(done, total)`
/// hears each combination finished, from any thread. Returns the number of
/// combinations.
pub(crate) fn sweep_each(
    doc: &Value,
    source: &Source,
    settings: &[Setting],
    progress: &(dyn Fn(u64, u64) + Sync),
    row: &mut dyn FnMut(SweepRow) -> ScenarioResult<()>,
) -> ScenarioResult<u64> {
    sweep_range(doc, source, settings, None, progress, row)
}

/// As [`sweep_each`], for the combinations `range` of the cartesian order
/// only (all of them with `None`), so that parts of one sweep can run apart
/// and their rows, put in order, are the rows of the whole.
pub(crate) fn sweep_range(
    doc: &Value,
    source: &Source,
    settings: &[Setting],
    range: Option<std::ops::Range<u64>>,
    progress: &(dyn Fn(u64, u64) + Sync),
    row: &mut dyn FnMut(SweepRow) -> ScenarioResult<()>,
) -> ScenarioResult<u64> {
    let total = combinations(settings, source)?;
    check_sweep_work(doc, settings, source, total)?;
    let range = range.unwrap_or(0..total);
    if range.start > range.end || range.end > total {
        return Err(ScenarioError::input(format!(
            "sweep: combinations {}..{} asked for, of {total}; expected a range within 0..{total}",
            range.start, range.end
        ))
        .with_code(codes::LIMIT));
    }
    let mut start = range.start;
    let of = range.end.checked_sub(range.start).expect("invariant: end ≥ start");
    // Heard after each combination (from any thread), so that a caller can
    // stop a sweep between two of them.
    let done = std::sync::atomic::AtomicU64::new(0);
    while start < range.end {
        let end = start.saturating_add(CHUNK).min(range.end);
        let rows: Vec<SweepRow> = (start..end)
            .into_par_iter()
            .map(|i| {
                let one = run_one(doc, source, &combination(settings, i));
                let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                progress(finished.checked_add(1).expect("invariant: at most the combinations"), of);
                one
            })
            .collect::<ScenarioResult<_>>()?;
        for r in rows {
            row(r)?;
        }
        start = end;
    }
    Ok(total)
}

/// Runs `doc` once per combination of `settings` and collects the rows.
pub(crate) fn sweep(doc: &Value, source: &Source, settings: &[Setting]) -> ScenarioResult<Sweep> {
    let mut rows = Vec::new();
    sweep_each(doc, source, settings, &|_, _| {}, &mut |r| {
        rows.push(r);
        Ok(())
    })?;
    Ok(Sweep { parameters: settings.iter().map(|s| s.path.clone()).collect(), rows })
}

/// The cells of one row: the parameters, then the named figures.
pub(crate) fn sweep_cells(parameters: &[String], figure_names: &[String], r: &SweepRow) -> Vec<Cell> {
    let cell = |v: &Value| match as_money(v) {
        Some(m) => Cell::Money(Some(m)),
        None => match v {
            Value::Bool(b) => Cell::Flag(Some(*b)),
            other => Cell::Text(text(other)),
        },
    };
    parameters
        .iter()
        .map(|p| cell(r.values.get(p.as_str()).unwrap_or(&Value::Null)))
        .chain(figure_names.iter().map(|f| cell(r.figures.get(f.as_str()).unwrap_or(&Value::Null))))
        .collect()
}

/// The columns of the sweep: a column per parameter, then per headline figure.
pub(crate) fn sweep_columns(parameters: &[String], figure_names: &[String]) -> Vec<Column> {
    parameters.iter().chain(figure_names).map(|n| Column::plain(n.clone())).collect()
}

/// The sweep as one table.
pub(crate) fn sweep_table(s: &Sweep) -> Table {
    let figure_names: Vec<String> = s.rows.first().map(|r| r.figures.keys().cloned().collect()).unwrap_or_default();
    Table {
        name: "sweep".into(),
        title: (format!("参数扫描（{} 种组合）", s.rows.len()), format!("Sweep ({} combinations)", s.rows.len())),
        columns: sweep_columns(&s.parameters, &figure_names),
        rows: s.rows.iter().map(|r| sweep_cells(&s.parameters, &figure_names, r)).collect(),
    }
}
