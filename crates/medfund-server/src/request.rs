//! What a request brings: its query parameters (known ones only, each at
//! most once) and its body (JSON or TOML by `Content-Type`, at most
//! `--max-body` bytes, arriving within `--body-timeout`).

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::StreamExt;
use medfund_scenario::{ClaimsFormat, Lang, MoneyUnit, ScenarioFormat};

use crate::problem::{Problem, service_codes};

/// How a result is written: the contract's JSON, or the tables of the
/// text report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    Json,
    Table,
    Markdown,
    Csv,
}

/// The query parameters of an operation; each operation accepts a subset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    pub(crate) format: OutputFormat,
    pub(crate) lang: Lang,
    pub(crate) explain: bool,
    pub(crate) pretty: bool,
}

fn bad_parameter(detail: String) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, service_codes::PARAMETER, detail)
}

fn boolean(name: &str, value: &str) -> Result<bool, Problem> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(bad_parameter(format!("query parameter {name}={value:?}; expected true or false"))),
    }
}

impl Params {
    /// Reads the query string; `allowed` names the parameters the
    /// operation takes, and anything else is refused (a misspelt
    /// `explain` must not silently give a report without its trace).
    pub(crate) fn parse(query: Option<&str>, allowed: &[&str]) -> Result<Params, Problem> {
        let mut p = Params { format: OutputFormat::Json, lang: Lang::Zh, explain: false, pretty: false };
        for (known, value) in &known_pairs(query, allowed)? {
            match *known {
                "format" => {
                    p.format = match value.as_str() {
                        "json" => OutputFormat::Json,
                        "table" => OutputFormat::Table,
                        "markdown" => OutputFormat::Markdown,
                        "csv" => OutputFormat::Csv,
                        _ => {
                            return Err(bad_parameter(format!(
                                "query parameter format={value:?}; expected json, table, markdown or csv"
                            )));
                        }
                    }
                }
                "lang" => {
                    p.lang = match value.as_str() {
                        "en" => Lang::En,
                        "zh" => Lang::Zh,
                        _ => return Err(bad_parameter(format!("query parameter lang={value:?}; expected zh or en"))),
                    }
                }
                "explain" => p.explain = boolean("explain", value)?,
                "pretty" => p.pretty = boolean("pretty", value)?,
                _ => {}
            }
        }
        Ok(p)
    }
}

/// The pairs of a query string, each name one of `allowed` and given once.
fn known_pairs<'a>(query: Option<&str>, allowed: &[&'a str]) -> Result<Vec<(&'a str, String)>, Problem> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|_| bad_parameter("the query string is not URL-encoded; expected name=value pairs".into()))?;
    let mut known: Vec<(&'a str, String)> = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        let Some(&name) = allowed.iter().find(|a| **a == name.as_str()) else {
            let shown: String = name.chars().take(40).collect();
            return Err(bad_parameter(format!(
                "unknown query parameter {shown:?}; expected {}",
                if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") }
            )));
        };
        if known.iter().any(|(k, _)| *k == name) {
            return Err(bad_parameter(format!("query parameter {name} given twice; expected it once")));
        }
        known.push((name, value));
    }
    Ok(known)
}

/// The query parameters of `POST /v1/simulate/paths`: the file format
/// (`format=csv|parquet|arrow`, CSV by default) and its money
/// (`money=yuan|fen`, yuan by default).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PathsParams {
    pub(crate) format: ClaimsFormat,
    pub(crate) money: MoneyUnit,
}

impl PathsParams {
    /// Reads the query string; other parameters are refused.
    pub(crate) fn parse(query: Option<&str>) -> Result<PathsParams, Problem> {
        let mut p = PathsParams { format: ClaimsFormat::Csv, money: MoneyUnit::Yuan };
        for (name, value) in known_pairs(query, &["format", "money"])? {
            match (name, value.as_str()) {
                ("format", "csv") => p.format = ClaimsFormat::Csv,
                ("format", "parquet") => p.format = ClaimsFormat::Parquet,
                ("format", "arrow") => p.format = ClaimsFormat::Arrow,
                ("money", "yuan") => p.money = MoneyUnit::Yuan,
                ("money", "fen") => p.money = MoneyUnit::Fen,
                (name, _) => {
                    let expected = if name == "format" { "csv, parquet or arrow" } else { "yuan or fen" };
                    let shown: String = value.chars().take(40).collect();
                    return Err(bad_parameter(format!("query parameter {name}={shown:?}; expected {expected}")));
                }
            }
        }
        Ok(p)
    }
}

/// The image of a chart: SVG text or PNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Image {
    Svg,
    Png,
}

/// The query parameters of the chart operations: the image
/// (`format=svg|png`, SVG by default), the language of its words
/// (`lang=zh|en`) and `same_scale`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChartParams {
    pub(crate) image: Image,
    pub(crate) lang: Lang,
    pub(crate) same_scale: bool,
}

impl ChartParams {
    /// Reads the query string; other parameters are refused.
    pub(crate) fn parse(query: Option<&str>) -> Result<ChartParams, Problem> {
        let mut p = ChartParams { image: Image::Svg, lang: Lang::Zh, same_scale: false };
        for (name, value) in known_pairs(query, &["format", "lang", "same_scale"])? {
            match (name, value.as_str()) {
                ("format", "svg") => p.image = Image::Svg,
                ("format", "png") => p.image = Image::Png,
                ("lang", "zh") => p.lang = Lang::Zh,
                ("lang", "en") => p.lang = Lang::En,
                ("same_scale", v) => p.same_scale = boolean("same_scale", v)?,
                (name, _) => {
                    let expected = if name == "format" { "svg or png" } else { "zh or en" };
                    let shown: String = value.chars().take(40).collect();
                    return Err(bad_parameter(format!("query parameter {name}={shown:?}; expected {expected}")));
                }
            }
        }
        Ok(p)
    }
}

/// Refuses a body whose bytes are not the text itself: a `Content-Encoding`
/// other than `identity` (gzip, say), or a `Transfer-Encoding` with a coding
/// besides `chunked` (HTTP/1.1 takes the chunks off; a `gzip` before them
/// would be read as text). 415 says what is taken.
fn plain_body(headers: &HeaderMap) -> Result<(), Problem> {
    let codings = |name: header::HeaderName| {
        headers
            .get_all(name)
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("(not text)").split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
    };
    let refuse = |what: &str, given: &[String], expected: &str| {
        let shown: String = given.join(", ").chars().take(80).collect();
        Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            service_codes::MEDIA_TYPE,
            format!("{what} {shown:?}; expected {expected}"),
        ))
    };
    let content = codings(header::CONTENT_ENCODING);
    if content.iter().any(|c| c != "identity") {
        return refuse("Content-Encoding", &content, "identity (a body sent as it is, not compressed)");
    }
    let transfer = codings(header::TRANSFER_ENCODING);
    if transfer.iter().any(|c| c != "chunked") {
        return refuse("Transfer-Encoding", &transfer, "chunked alone");
    }
    Ok(())
}

/// The scenario format a `Content-Type` names: `application/json` or
/// `application/toml` (parameters such as `charset=utf-8` ignored), for a
/// body sent as it is (see [`plain_body`]).
pub(crate) fn content_format(headers: &HeaderMap, toml_allowed: bool) -> Result<ScenarioFormat, Problem> {
    plain_body(headers)?;
    let expected = if toml_allowed { "application/json or application/toml" } else { "application/json" };
    let given = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("(not text)"));
    let essence = given.map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => Ok(ScenarioFormat::Json),
        Some("application/toml") if toml_allowed => Ok(ScenarioFormat::Toml),
        _ => {
            let shown: String = given.unwrap_or("none").chars().take(80).collect();
            Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                service_codes::MEDIA_TYPE,
                format!("Content-Type {shown:?}; expected {expected}"),
            ))
        }
    }
}

fn too_large(limit: u64) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        service_codes::BODY_TOO_LARGE,
        format!(
            "the body is larger than the limit of {limit} bytes; expected a smaller scenario, or a larger --max-body"
        ),
    )
}

/// The body's length as its `Content-Length` states it.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
}

/// The most of a refused body read and discarded, and for how long, before
/// its connection is closed (see [`linger`]).
pub(crate) const LINGER_BYTES: u64 = 256 << 20;
/// See [`LINGER_BYTES`].
pub(crate) const LINGER_TIME: Duration = Duration::from_secs(10);
/// How long the discarding waits for more of the body: a client that
/// sends nothing more (it is reading the refusal) sees the connection
/// close after this.
pub(crate) const LINGER_IDLE: Duration = Duration::from_secs(1);

/// Reads and discards what is left of a body the answer did not need
/// (refused early: 413, 415, 503…), on a task of its own, while it keeps
/// arriving: at most [`LINGER_BYTES`] within [`LINGER_TIME`], each part
/// within [`LINGER_IDLE`]. A client that sends its whole body before
/// reading the answer (Python's urllib, Java's HttpURLConnection) then
/// reads the refusal instead of a broken pipe; nothing is kept.
pub(crate) fn linger(body: Body) {
    linger_stream(body.into_data_stream());
}

fn linger_stream(mut stream: axum::body::BodyDataStream) {
    tokio::spawn(async move {
        let discard = async {
            let mut left = LINGER_BYTES;
            while let Ok(Some(Ok(chunk))) = tokio::time::timeout(LINGER_IDLE, stream.next()).await {
                match left.checked_sub(chunk.len() as u64) {
                    Some(rest) => left = rest,
                    None => break,
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, discard).await;
    });
}

/// The whole body, refused as soon as it passes `limit` bytes (by its
/// `Content-Length` before anything is read) or takes longer than `timeout`
/// to arrive (a slow sender holds no worker, only this task). What is left
/// of a body refused for its size lingers ([`linger`]); a slow one (408)
/// is not waited for any longer.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: u64,
    timeout: Duration,
) -> Result<Vec<u8>, Problem> {
    let declared = declared_length(headers);
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > limit) {
        linger_stream(stream);
        return Err(too_large(limit));
    }
    let collect = async {
        let mut bytes: Vec<u8> = Vec::with_capacity(usize::try_from(declared.unwrap_or(0).min(1 << 20)).unwrap_or(0));
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    service_codes::BODY_UNREADABLE,
                    "the body could not be read to its end; expected a complete body",
                )
            })?;
            let total = u64::try_from(bytes.len().checked_add(chunk.len()).ok_or_else(|| too_large(limit))?)
                .map_err(|_| too_large(limit))?;
            if total > limit {
                return Err(too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    let collected = tokio::time::timeout(timeout, collect).await;
    match collected {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(problem)) => {
            linger_stream(stream);
            Err(problem)
        }
        Err(_) => {
            drop(stream);
            Err(Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                service_codes::BODY_TIMEOUT,
                format!("the body did not arrive within {} s; expected the whole body sooner", timeout.as_secs()),
            ))
        }
    }
}
