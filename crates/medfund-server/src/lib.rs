//! # medfund-server
//!
//! The scenario contract of medfund over HTTP, for systems that are not
//! written in Rust (vendors' Java/Spring systems, above all): `POST` a
//! scenario document, get back the JSON report that `medfund run --format
//! json` prints for the same document, byte for byte. Every computation is
//! `medfund-scenario`'s; this crate only reads requests, bounds them and
//! writes answers. `medfund serve` starts it; `docs/service.md` in the
//! repository is the operator's guide and `docs/openapi.json` the API.
//!
//! | operation | what |
//! |---|---|
//! | `POST /v1/run` | the report (`?explain=true` adds the audit trail; `?format=table\|markdown\|csv&lang=zh` the text report) |
//! | `POST /v1/check` | every error `run` would find, or `{"valid":true,…}` |
//! | `POST /v1/simulate` | the Monte Carlo projection |
//! | `POST /v1/simulate/chart` | the fan chart as SVG or PNG (`?format=svg\|png&lang=zh\|en&same_scale=true`) |
//! | `POST /v1/simulate/paths` | every trial's path as a CSV, Parquet or Arrow file (`?format=…&money=yuan\|fen`) |
//! | `POST /v1/compare` | `{"base": …, "variant": …}` figure by figure |
//! | `POST /v1/compare/chart` | the variant's fan chart as SVG or PNG with the base in grey |
//! | `POST /v1/sweep` | `{"scenario": …, "set": {"path": [values]}}` |
//! | `GET /v1/policies`, `/v1/health`, `/v1/version`, `/openapi.json` | |
//!
//! Errors are RFC 9457 problem details (`application/problem+json`) that
//! carry every structured error found (`code`, field `path`, `line`,
//! `column`, `expected`). No path in a request ever reaches the
//! filesystem: lists come inline, and `*_csv` keys are refused.
//!
//! ```no_run
//! # async fn start() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! medfund_server::serve(listener, medfund_server::Config::default(), medfund_server::shutdown_signal()).await
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod connections;
mod gate;
mod handlers;
mod observe;
mod openapi;
mod post;
mod problem;
mod projection_files;
mod request;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use medfund_scenario::Limits;

pub use crate::observe::{LogFormat, init_logging};

/// How the service bounds what it takes and does. `Config::default()` is
/// what `medfund serve` uses unless a flag says otherwise.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Largest request body, in bytes (64 MiB); larger is answered 413.
    pub max_body: u64,
    /// Computations at once (default: the number of cores); each runs on a
    /// thread of its own, off the async runtime.
    pub workers: usize,
    /// Requests that may wait for a worker (256); past it, 503 at once.
    pub queue: usize,
    /// Longest wait plus computation of one request (60 s); past it, 503.
    pub request_timeout: Duration,
    /// Longest time a body may take to arrive (30 s); past it, 408.
    pub body_timeout: Duration,
    /// Largest answer of `/v1/run`, in bytes (256 MiB): a scenario whose
    /// report could be larger (`Scenario::report_bytes_bound`: its inline
    /// lists, more with `explain=true`) is answered 422 before it is
    /// computed.
    pub max_answer: u64,
    /// Bytes of request bodies held at once (`None`, the default: `max_body`
    /// times the workers and one more, a body for each worker and one
    /// arriving, at the limits the config ends with). A request is admitted
    /// (given room for its `Content-Length`, or `max_body` if it names none)
    /// before its body is read; it waits for room like a request for a
    /// worker (a place in `queue`, within `request_timeout`).
    pub body_memory: Option<u64>,
    /// Connections open at once (1,024); past it, further connections wait
    /// to be accepted.
    pub max_connections: usize,
    /// Longest time a connection may take to send a request's headers,
    /// counted from when it is ready for one (10 s): also how long an idle
    /// keep-alive connection stays open.
    pub header_timeout: Duration,
    /// Longest time the writing of an answer may make no progress (30 s):
    /// a client that does not read its answer is disconnected.
    pub write_timeout: Duration,
    /// The limits of each computation: those of the command line, except
    /// that list files are never read, a projection simulates at most
    /// 20,000,000 unit-years, a unit correlation matrix correlates at most
    /// 500 units, trial paths hold at most 1,000,000 rows and a sweep runs
    /// at most 1,000 combinations (each answered 422 past it).
    pub limits: Limits,
    /// How PNG charts are drawn: their scale (2: 2,400 pixels wide) and
    /// fonts (the machine's, the bundled one and any files given; loaded by
    /// the first PNG request).
    pub chart: medfund_chart::PngOptions,
    /// Where each request that writes files (`/v1/simulate/paths`) makes its
    /// scratch folder, under an unpredictable name, private to the service's
    /// user, removed once answered (default: the system's temporary folder).
    pub scratch_dir: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Config {
        let mut limits = Limits::default();
        limits.list_files = false;
        limits.projection_work = 20_000_000;
        limits.path_rows = 1_000_000;
        limits.correlated_units = 500;
        limits.sweep_combinations = 1_000;
        Config {
            max_body: 64 << 20,
            workers: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            queue: 256,
            request_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            body_memory: None,
            max_answer: 256 << 20,
            max_connections: 1_024,
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            limits,
            chart: medfund_chart::PngOptions::default(),
            scratch_dir: None,
        }
    }
}

/// The state every handler shares.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: Config,
    pub(crate) gate: gate::Gate,
    /// The fonts of PNG charts, loaded by the first request for one.
    pub(crate) fonts: std::sync::OnceLock<Result<medfund_chart::Fonts, medfund_chart::ChartError>>,
}

/// The id of a request: the client's `X-Request-Id` when it is a short
/// token, else one of ours; echoed in the answer and in every log line.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub(crate) String);

/// The service as an axum router, for embedding in a server of your own.
pub fn router(config: Config) -> Router {
    let mut limits = config.limits.clone();
    // Whatever the caller set: no path from a request reaches the filesystem.
    limits.list_files = false;
    let body_memory = config.body_memory.unwrap_or_else(|| {
        config.max_body.saturating_mul(u64::try_from(config.workers).unwrap_or(u64::MAX).saturating_add(1))
    });
    let gate = gate::Gate::new(config.workers, config.queue, config.request_timeout, body_memory);
    let app = Arc::new(App { config: Config { limits, ..config }, gate, fonts: std::sync::OnceLock::new() });
    Router::new()
        .route("/v1/run", post(handlers::run))
        .route("/v1/check", post(handlers::check))
        .route("/v1/simulate", post(handlers::simulate))
        .route("/v1/simulate/paths", post(projection_files::simulate_paths))
        .route("/v1/simulate/chart", post(projection_files::simulate_chart))
        .route("/v1/compare", post(handlers::compare))
        .route("/v1/compare/chart", post(projection_files::compare_chart))
        .route("/v1/sweep", post(handlers::sweep))
        .route("/v1/policies", get(handlers::policies))
        .route("/v1/health", get(handlers::health))
        .route("/v1/version", get(handlers::version))
        .route("/openapi.json", get(handlers::openapi))
        .fallback(handlers::not_found)
        .with_state(app)
        .layer(axum::middleware::from_fn(observe::observe))
}

/// Serves until `shutdown` completes, then closes idle connections and
/// finishes the requests in flight. Connections are bounded as `config`
/// says (`max_connections`, `header_timeout`, `write_timeout`).
///
/// # Errors
///
/// None today: a connection that cannot be accepted is logged and waited
/// out. The `Result` leaves room for failures of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    connections::serve(listener, router(config.clone()), &config, shutdown).await
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// The OpenAPI 3.1 document of the service (`/openapi.json`,
/// `docs/openapi.json`), generated from the operations and the schemas of
/// `medfund-scenario`.
pub fn openapi() -> serde_json::Value {
    openapi::document()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    /// The document and the router list the same operations: each
    /// documented one is routed (neither 404 nor 405), and no other path is.
    #[tokio::test]
    async fn every_documented_operation_is_routed_and_no_other() {
        for op in openapi::OPERATIONS {
            let request = Request::builder()
                .method(op.method.to_ascii_uppercase().as_str())
                .uri(op.path)
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap();
            let status = router(Config::default()).oneshot(request).await.unwrap().status();
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{} {}: {status}",
                op.method,
                op.path
            );
        }
        let doc = openapi();
        let documented = doc["paths"].as_object().unwrap().len();
        assert_eq!(documented, openapi::OPERATIONS.len());
        let request = Request::builder().uri("/v1/other").body(Body::empty()).unwrap();
        assert_eq!(router(Config::default()).oneshot(request).await.unwrap().status(), StatusCode::NOT_FOUND);
    }
}
