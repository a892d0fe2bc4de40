//! The Monte Carlo projection (contract §8): one run, and the shards of
//! trials run apart (processes, Ray tasks) with their merge — the bytes of
//! `medfund simulate`, `--trials-from/--trials-to --pass-out` and `--merge`.

use std::collections::HashMap;

use medfund_scenario::{Limits, ShardMerge};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::raise_one;
use crate::{Source, load, unit};

/// [`load`] for a projection: with `per_unit`, the scenario's
/// `[projection] per_unit` is set (as `medfund simulate --per-unit`).
fn load_projection(
    py: Python<'_>,
    kind: &str,
    value: &str,
    lists: Option<HashMap<String, Vec<u8>>>,
    per_unit: bool,
) -> PyResult<Source> {
    let mut s = load(py, kind, value, lists)?;
    if per_unit {
        s.scenario.set_projection_per_unit(true).map_err(|e| raise_one(py, e, false))?;
    }
    Ok(s)
}

fn projection_json(py: Python<'_>, p: &medfund_scenario::Projection) -> PyResult<Vec<u8>> {
    let mut out = Vec::new();
    medfund_scenario::write_projection_json(p, false, &mut out)
        .map_err(|e| raise_one(py, medfund_scenario::ScenarioError::other(e.to_string()), false))?;
    Ok(out)
}

/// The Monte Carlo projection, as the JSON of `medfund simulate --format json`;
/// with `paths`, every trial's path also written to that file (.csv,
/// .parquet or .arrow, money as `paths_money`), as `medfund simulate --paths`.
#[pyfunction]
#[pyo3(signature = (kind, value, lists = None, paths = None, paths_money = "decimal", per_unit = false))]
pub(crate) fn simulate<'py>(
    py: Python<'py>,
    kind: &str,
    value: &str,
    lists: Option<HashMap<String, Vec<u8>>>,
    paths: Option<std::path::PathBuf>,
    paths_money: &str,
    per_unit: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let money = unit(py, paths_money)?;
    let s = load_projection(py, kind, value, lists, per_unit)?;
    let limits = Limits::default();
    let p = py
        .detach(|| match &paths {
            None => medfund_scenario::simulate_scenario(&s.scenario, &s.name, s.lists.clone(), &limits, &|_| {}),
            Some(out) => medfund_scenario::simulate_scenario_with_paths(
                &s.scenario,
                &s.name,
                s.lists.clone(),
                &limits,
                &|_| {},
                out,
                money,
            )
            .map(|(p, _rows)| p),
        })
        .map_err(|e| raise_one(py, e, s.positions))?;
    Ok(PyBytes::new(py, &projection_json(py, &p)?))
}

/// One shard: the pass of `plan` (a plan file; `None` for the first pass)
/// over the trials `start..end`, as a pass file — the same bytes as
/// `medfund simulate --trials-from start --trials-to end --pass-out`.
#[pyfunction]
#[pyo3(signature = (kind, value, plan, start, end, lists = None, per_unit = false))]
#[allow(clippy::too_many_arguments)] // the Python signature: positional and keyword arguments
pub(crate) fn projection_shard<'py>(
    py: Python<'py>,
    kind: &str,
    value: &str,
    plan: Option<Vec<u8>>,
    start: u32,
    end: u32,
    lists: Option<HashMap<String, Vec<u8>>>,
    per_unit: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = load_projection(py, kind, value, lists, per_unit)?;
    let limits = Limits::default();
    let plan = plan.as_deref().map(|b| ("plan", b));
    let bytes = py
        .detach(|| {
            medfund_scenario::projection_shard(
                &s.scenario,
                &s.name,
                s.lists.clone(),
                &limits,
                plan,
                start..end,
                &|_| {},
            )
        })
        .map_err(|e| raise_one(py, e, s.positions))?;
    Ok(PyBytes::new(py, &bytes))
}

/// `(next plan file, None)` or `(None, projection JSON)`.
type NextStep<'py> = (Option<Bound<'py, PyBytes>>, Option<Bound<'py, PyBytes>>);

/// Merges the pass files of every shard of `plan`'s pass (`None`: the
/// first): `(next plan file, None)`, or `(None, projection JSON)` as
/// `simulate` gives it. Pass files of the CLI and of `projection_shard` mix.
#[pyfunction]
#[pyo3(signature = (kind, value, plan, passes, lists = None, per_unit = false))]
pub(crate) fn projection_merge<'py>(
    py: Python<'py>,
    kind: &str,
    value: &str,
    plan: Option<Vec<u8>>,
    passes: Vec<Vec<u8>>,
    lists: Option<HashMap<String, Vec<u8>>>,
    per_unit: bool,
) -> PyResult<NextStep<'py>> {
    let s = load_projection(py, kind, value, lists, per_unit)?;
    let limits = Limits::default();
    let plan = plan.as_deref().map(|b| ("plan", b));
    let names: Vec<String> = (0..passes.len()).map(|i| format!("passes[{i}]")).collect();
    let named: Vec<(&str, &[u8])> = names.iter().map(String::as_str).zip(passes.iter().map(Vec::as_slice)).collect();
    let step = py
        .detach(|| {
            medfund_scenario::projection_merge_shards(&s.scenario, &s.name, s.lists.clone(), &limits, plan, &named)
        })
        .map_err(|e| raise_one(py, e, s.positions))?;
    Ok(match step {
        ShardMerge::Next(plan) => (Some(PyBytes::new(py, &plan)), None),
        ShardMerge::Done(p) => (None, Some(PyBytes::new(py, &projection_json(py, &p)?))),
    })
}
