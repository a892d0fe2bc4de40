//! The operations: each reads its parameters and body, hands the work to
//! `medfund-scenario` through the gate, and writes what `medfund` would
//! print for the same input, byte for byte.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use medfund_scenario::{Report, Scenario, ScenarioError, ScenarioFormat, Setting, tables};
use serde::Serialize;
use serde_json::Value;

use crate::post::{Accepts, Job, Post, params};
use crate::problem::Problem;
use crate::request::{OutputFormat, Params};
use crate::{App, RequestId};

/// What every operation returns.
pub(crate) type Answer = Result<Response, Problem>;

/// The name scenarios from a request carry in errors (their `file`).
pub(crate) const REQUEST: &str = "request";

pub(crate) fn bytes(content_type: &'static str, body: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The bytes a JSON writer of `medfund-scenario` writes.
fn written(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    write(&mut out).map_err(|e| Problem::from(ScenarioError::other(format!("cannot write JSON: {e}"))))?;
    Ok(out)
}

fn json_line<T: Serialize + ?Sized>(value: &T, pretty: bool) -> Result<Vec<u8>, Problem> {
    let written = if pretty { serde_json::to_vec_pretty(value) } else { serde_json::to_vec(value) };
    let mut out = written.map_err(|e| Problem::from(ScenarioError::other(format!("cannot write JSON: {e}"))))?;
    out.push(b'\n');
    Ok(out)
}

/// A result as JSON (`json`), or its tables in another format; only the
/// one asked for is written.
fn tables_answer(
    json: impl FnOnce() -> Result<Vec<u8>, Problem>,
    tables: impl FnOnce() -> Vec<tables::Table>,
    p: Params,
) -> Answer {
    Ok(match p.format {
        OutputFormat::Json => bytes("application/json", json()?),
        OutputFormat::Table => bytes("text/plain; charset=utf-8", tables::render_table(&tables(), p.lang).into_bytes()),
        OutputFormat::Markdown => {
            bytes("text/markdown; charset=utf-8", tables::render_markdown(&tables(), p.lang).into_bytes())
        }
        OutputFormat::Csv => bytes("text/csv; charset=utf-8", tables::render_csv(&tables())?),
    })
}

fn text_of(raw: &[u8]) -> Result<&str, Problem> {
    let text = std::str::from_utf8(raw).map_err(|e| {
        Problem::from(
            ScenarioError::input(format!("the body is not UTF-8 (byte {}); expected UTF-8 text", e.valid_up_to()))
                .with_code(medfund_scenario::codes::SYNTAX)
                .at(REQUEST),
        )
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Reads the body as one scenario (JSON or TOML).
pub(crate) fn scenario_of(raw: &[u8], format: ScenarioFormat) -> Result<Scenario, Problem> {
    Ok(medfund_scenario::parse_scenario(text_of(raw)?, format, REQUEST)?)
}

/// Reads a JSON body that wraps scenarios (`compare`, `sweep`).
fn document_of(raw: &[u8]) -> Result<serde_json::Map<String, Value>, Problem> {
    let value: Value = medfund_scenario::json_document(text_of(raw)?).map_err(|e| {
        // A key given twice says what it expected; a syntax error does not.
        let expected = if e.is_data() { "" } else { "; expected a JSON object" };
        Problem::from(
            ScenarioError::input(format!("{e}{expected}"))
                .with_code(medfund_scenario::codes::SYNTAX)
                .with_position(u64::try_from(e.line()).unwrap_or(u64::MAX), u64::try_from(e.column()).ok())
                .at(REQUEST),
        )
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ScenarioError::input("the body is not a JSON object; expected an object").at(REQUEST).into()),
    }
}

/// Takes `key` out of a wrapping document: present, and (for a scenario) an object.
fn member(doc: &mut serde_json::Map<String, Value>, key: &str, what: &str) -> Result<Value, Problem> {
    doc.remove(key).ok_or_else(|| {
        ScenarioError::input(format!("{key}: missing; expected {what}"))
            .with_code(medfund_scenario::codes::MISSING_FIELD)
            .at(REQUEST)
            .into()
    })
}

fn refuse_others(doc: &serde_json::Map<String, Value>, known: &str) -> Result<(), Problem> {
    match doc.keys().next() {
        Some(k) => {
            let shown: String = k.chars().take(40).collect();
            Err(ScenarioError::input(format!("{shown}: unknown member; expected only {known}"))
                .with_code(medfund_scenario::codes::UNKNOWN_FIELD)
                .at(REQUEST)
                .into())
        }
        None => Ok(()),
    }
}

/// The two scenarios of `{"base": scenario, "variant": scenario}` (nothing else).
pub(crate) fn base_and_variant(raw: &[u8]) -> Result<(Value, Value), Problem> {
    let mut doc = document_of(raw)?;
    let base = member(&mut doc, "base", "the base scenario")?;
    let variant = member(&mut doc, "variant", "the variant scenario")?;
    refuse_others(&doc, "base and variant")?;
    Ok((base, variant))
}

/// Errors of a scenario inside a wrapping document name its member first
/// (`base.riskpool.year`).
pub(crate) fn inside(member: &str, errors: Vec<ScenarioError>) -> Vec<ScenarioError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.path = Some(match e.path.take() {
                Some(p) => format!("{member}.{p}"),
                None => member.to_owned(),
            });
            e
        })
        .collect()
}

fn run_report(app: &App, scenario: &Scenario, explain: bool) -> Result<Report, Problem> {
    medfund_scenario::run_scenario_all(scenario, REQUEST, std::path::PathBuf::from("."), explain, &app.config.limits)
        .map_err(Problem::scenario)
}

/// Refuses, before computing it, a report that could be larger than
/// `--max-answer` in any form (`Scenario::report_bytes_bound`).
fn answer_within_limit(app: &App, scenario: &Scenario, explain: bool) -> Result<(), Problem> {
    let bound = scenario.report_bytes_bound(explain);
    if bound <= app.config.max_answer {
        return Ok(());
    }
    let instead = if explain { "explain=false, fewer inline items" } else { "fewer inline items" };
    let detail = format!(
        "the report of this scenario could be {bound} bytes, more than the limit of {} bytes for an answer; expected {instead}, or a larger --max-answer",
        app.config.max_answer
    );
    Err(Problem::scenario(vec![ScenarioError::input(detail).with_code(medfund_scenario::codes::LIMIT)]))
}

/// `POST /v1/run`.
pub(crate) async fn run(State(app): State<Arc<App>>, Extension(id): Extension<RequestId>, post: Post) -> Answer {
    post.answer(
        app,
        &id,
        params(&["format", "lang", "explain", "pretty"]),
        Accepts::Scenario,
        move |job, p, format, raw| {
            let scenario = scenario_of(&raw, format)?;
            answer_within_limit(job, &scenario, p.explain)?;
            let report = run_report(job, &scenario, p.explain)?;
            let json = || written(|out| medfund_scenario::write_json(&report, p.pretty, out));
            tables_answer(json, || medfund_scenario::report_tables(&report), p)
        },
    )
    .await
}

/// What `POST /v1/check` answers for a valid scenario.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Checked {
    /// Always `true` (an invalid scenario is answered with its errors).
    valid: bool,
    /// The sections present, in contract order.
    sections: Vec<&'static str>,
}

/// `POST /v1/check`: everything `run` would resolve, and every error found.
pub(crate) async fn check(State(app): State<Arc<App>>, Extension(id): Extension<RequestId>, post: Post) -> Answer {
    post.answer(app, &id, params(&["pretty"]), Accepts::Scenario, move |job, p, format, raw| {
        let scenario = scenario_of(&raw, format)?;
        run_report(job, &scenario, false)?;
        Ok(bytes("application/json", json_line(&Checked { valid: true, sections: scenario.sections() }, p.pretty)?))
    })
    .await
}

/// The projection of a request's scenario, within the service's limits.
/// A request whose answer was given without it stops between trials.
pub(crate) fn simulate_request(
    job: &Job<'_>,
    scenario: &Scenario,
) -> Result<medfund_scenario::Projection, ScenarioError> {
    let stop_if_cancelled = |_| job.cancel.check();
    medfund_scenario::simulate_scenario(
        scenario,
        REQUEST,
        std::path::PathBuf::from("."),
        &job.config.limits,
        &stop_if_cancelled,
    )
}

/// `POST /v1/simulate`: the Monte Carlo projection (§8).
pub(crate) async fn simulate(State(app): State<Arc<App>>, Extension(id): Extension<RequestId>, post: Post) -> Answer {
    post.answer(app, &id, params(&["format", "lang", "pretty"]), Accepts::Scenario, move |job, p, format, raw| {
        let projection = simulate_request(job, &scenario_of(&raw, format)?)?;
        let json = || written(|out| medfund_scenario::write_projection_json(&projection, p.pretty, out));
        tables_answer(json, || medfund_scenario::projection_tables(&projection), p)
    })
    .await
}

/// `POST /v1/compare`: `{"base": scenario, "variant": scenario}`.
pub(crate) async fn compare(State(app): State<Arc<App>>, Extension(id): Extension<RequestId>, post: Post) -> Answer {
    post.answer(app, &id, params(&["format", "lang", "pretty"]), Accepts::Json, move |job, p, _, raw| {
        let (base, variant) = base_and_variant(&raw)?;
        let report = |name: &str, v: Value| -> Result<Report, Problem> {
            let scenario = medfund_scenario::parse_scenario_value(v, REQUEST)
                .map_err(|e| Problem::scenario(inside(name, vec![e])))?;
            medfund_scenario::run_scenario_all(
                &scenario,
                REQUEST,
                std::path::PathBuf::from("."),
                false,
                &job.config.limits,
            )
            .map_err(|errors| Problem::scenario(inside(name, errors)))
        };
        let (a, b) = (report("base", base)?, report("variant", variant)?);
        let c = medfund_scenario::compare_reports("base", &a, "variant", &b)?;
        tables_answer(
            || Ok(medfund_scenario::wrapped_json("compare", &c, p.pretty)?),
            || vec![medfund_scenario::comparison_table(&c)],
            p,
        )
    })
    .await
}

/// The settings of a sweep: `{"path": [value, …], …}` in the order given.
fn settings_of(set: Value) -> Result<Vec<Setting>, Problem> {
    let bad = |path: &str, why: &str| -> Problem {
        ScenarioError::input(format!("{path}: {why}"))
            .with_code(medfund_scenario::codes::INVALID_VALUE)
            .at(REQUEST)
            .into()
    };
    let Value::Object(map) = set else {
        return Err(bad("set", "not an object; expected {\"field.path\": [value, …], …}"));
    };
    if map.is_empty() {
        return Err(bad("set", "empty; expected at least one field path with its values"));
    }
    map.into_iter()
        .map(|(path, values)| match values {
            Value::Array(values) if !values.is_empty() && values.iter().all(|v| !v.is_array() && !v.is_object()) => {
                Ok(Setting::new(path, values))
            }
            _ => Err(bad(
                "set",
                &format!(
                    "{:?} has no list of values; expected a non-empty list of numbers, text or booleans",
                    path.chars().take(60).collect::<String>()
                ),
            )),
        })
        .collect()
}

/// `link` of a sweep request: lists of paths of `set` that vary together.
fn links_of(link: Option<Value>) -> Result<Vec<Vec<String>>, Problem> {
    let bad = || -> Problem {
        ScenarioError::input("link: expected a list of lists of field paths of set ([[\"a\", \"b\"], …])")
            .with_code(medfund_scenario::codes::INVALID_VALUE)
            .at(REQUEST)
            .into()
    };
    let Some(link) = link else { return Ok(Vec::new()) };
    let Value::Array(groups) = link else { return Err(bad()) };
    groups
        .into_iter()
        .map(|g| match g {
            Value::Array(paths) => paths
                .into_iter()
                .map(|p| match p {
                    Value::String(p) => Ok(p),
                    _ => Err(bad()),
                })
                .collect(),
            _ => Err(bad()),
        })
        .collect()
}

/// `POST /v1/sweep`: `{"scenario": scenario, "set": {"path": [values]},
/// "link": [["path", "path"], …]}` (`link` optional).
pub(crate) async fn sweep(State(app): State<Arc<App>>, Extension(id): Extension<RequestId>, post: Post) -> Answer {
    post.answer(app, &id, params(&["format", "lang", "pretty"]), Accepts::Json, move |job, p, _, raw| {
        let mut doc = document_of(&raw)?;
        let scenario = member(&mut doc, "scenario", "the scenario to sweep")?;
        let mut settings = settings_of(member(&mut doc, "set", "the field paths and their values")?)?;
        let links = links_of(doc.remove("link"))?;
        refuse_others(&doc, "scenario, set and link")?;
        medfund_scenario::link_settings(&mut settings, &links).map_err(|e| Problem::from(e.at(REQUEST)))?;
        let mut rows = Vec::new();
        medfund_scenario::sweep_value_each(
            scenario,
            REQUEST,
            std::path::PathBuf::from("."),
            &settings,
            &job.config.limits,
            // A request whose answer was given without it stops between combinations.
            &|_, _| job.cancel.check(),
            &mut |r| {
                rows.push(r);
                Ok(())
            },
        )
        .map_err(|e| Problem::scenario(inside("scenario", vec![e])))?;
        let s = medfund_scenario::Sweep { parameters: settings.iter().map(|s| s.path.clone()).collect(), rows };
        tables_answer(
            || Ok(medfund_scenario::wrapped_json("sweep", &s, p.pretty)?),
            || vec![medfund_scenario::sweep_table(&s)],
            p,
        )
    })
    .await
}

/// `GET /v1/policies`: the preset registry.
pub(crate) async fn policies(RawQuery(query): RawQuery) -> Answer {
    let p = Params::parse(query.as_deref(), &["format", "lang", "pretty"])?;
    let presets = medfund_scenario::policies()?;
    tables_answer(|| json_line(&presets, p.pretty), || vec![medfund_scenario::policies_table(&presets)], p)
}

/// What `GET /v1/health` answers.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Health {
    /// `ok` while the service answers.
    status: &'static str,
}

/// `GET /v1/health`.
pub(crate) async fn health(RawQuery(query): RawQuery) -> Answer {
    Params::parse(query.as_deref(), &[])?;
    Ok(bytes("application/json", json_line(&Health { status: "ok" }, false)?))
}

/// What `GET /v1/version` answers.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Version {
    /// The version of medfund.
    medfund: &'static str,
    /// The report format of `run`.
    report_format: &'static str,
    /// The API version of the paths (`v1`).
    api: &'static str,
}

/// `GET /v1/version`.
pub(crate) async fn version(RawQuery(query): RawQuery) -> Answer {
    Params::parse(query.as_deref(), &[])?;
    let v = Version { medfund: env!("CARGO_PKG_VERSION"), report_format: medfund_scenario::REPORT_FORMAT, api: "v1" };
    Ok(bytes("application/json", json_line(&v, false)?))
}

/// `GET /openapi.json`.
pub(crate) async fn openapi(RawQuery(query): RawQuery) -> Answer {
    Params::parse(query.as_deref(), &[])?;
    Ok(bytes("application/json", json_line(&crate::openapi::document(), true)?))
}

/// Any other path.
pub(crate) async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        crate::problem::service_codes::NOT_FOUND,
        "no such resource; expected one of the paths of /openapi.json",
    )
}
