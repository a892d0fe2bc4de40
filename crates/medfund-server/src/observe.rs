//! Around every request: an id, one structured log line (method, path,
//! status, duration, outcome; never the body), panics caught and answered
//! 500 under the request id, and the router's bare 405 given a problem body.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use crate::RequestId;
use crate::problem::{InternalCause, Problem, service_codes};

/// How log lines are written (to standard error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogFormat {
    /// `key=value` text.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the log subscriber (level from `MEDFUND_LOG`: `info` by
/// default, `warn` for less; lines on standard error) and a panic hook
/// that logs panics through it. For a program that runs the service
/// (`medfund serve`); a program that embeds [`crate::router`] keeps its own.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MEDFUND_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    // A second call (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    log_panics();
}

/// An id of ours: 16 random hex digits, which tell nothing of the process
/// (the PID, a count of requests) and cannot be guessed.
fn new_request_id() -> String {
    let mut bytes = [0_u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => format!("mf-{:016x}", u64::from_le_bytes(bytes)),
        // No entropy from the system (it does not happen on Linux): ids stay
        // unique, by a count from the start time, if no longer unpredictable.
        Err(_) => {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let start = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            format!("mf-{start:x}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
        }
    }
}

/// The client's id when it is a short token (letters, digits, `-_.:`), else ours.
fn request_id(request: &Request) -> String {
    let given = request.headers().get("x-request-id").and_then(|v| v.to_str().ok());
    match given {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')) =>
        {
            id.to_owned()
        }
        _ => new_request_id(),
    }
}

/// Installs a panic hook that logs where a panic happened and, for our own
/// invariants, what broke; nothing else of the payload (it could quote input).
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map_or_else(|| "unknown".to_owned(), |l| format!("{}:{}", l.file(), l.line()));
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .filter(|m| m.starts_with("invariant:"))
            .unwrap_or_else(|| "(not logged)".into());
        tracing::error!(location, message, "panic");
    }));
}

/// The middleware.
pub(crate) async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    let method = request.method().clone();
    let path: String = request.uri().path().chars().take(80).collect();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(r) => r,
        Err(_) => {
            tracing::error!(request_id = %id, "a handler panicked; answered 500 under this request id");
            Problem::internal(&id).into_response()
        }
    };
    // Every other fault of ours: its cause logged, the answer only its id.
    if let Some(InternalCause(cause)) = response.extensions_mut().remove::<InternalCause>() {
        tracing::error!(request_id = %id, cause, "internal error; answered 500 under this request id");
        response = Problem::internal(&id).into_response();
    }
    if response.status() == StatusCode::METHOD_NOT_ALLOWED && !response.headers().contains_key(header::CONTENT_TYPE) {
        let allowed: Vec<String> = crate::openapi::OPERATIONS
            .iter()
            .filter(|op| op.path == path)
            .map(|op| op.method.to_ascii_uppercase())
            .collect();
        let headers = std::mem::take(response.headers_mut());
        response = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            service_codes::METHOD,
            format!("{method} is not allowed here; expected {}", allowed.join(" or ")),
        )
        .into_response();
        // Keep what the router set (`Allow`), under the problem's own type.
        for (name, value) in &headers {
            if name != header::CONTENT_LENGTH {
                response.headers_mut().entry(name).or_insert(value.clone());
            }
        }
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let status = response.status();
    let outcome = if status.is_server_error() {
        "server-error"
    } else if status.is_client_error() {
        "client-error"
    } else {
        "ok"
    };
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if status.is_server_error() {
        tracing::warn!(request_id = %id, %method, path, status = status.as_u16(), duration_ms, outcome, "request");
    } else {
        tracing::info!(request_id = %id, %method, path, status = status.as_u16(), duration_ms, outcome, "request");
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[allow(clippy::panic)]
    async fn boom() -> &'static str {
        panic!("invariant: a test panic")
    }

    #[tokio::test]
    async fn a_handler_that_panics_is_answered_500_with_its_request_id() {
        let app = Router::new().route("/boom", get(boom)).layer(axum::middleware::from_fn(observe));
        let request = Request::builder().uri("/boom").header("x-request-id", "req-7").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        assert_eq!(response.headers()["x-request-id"], "req-7");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["error_id"], "req-7");
        assert_eq!(problem["code"], "internal");
        assert!(!problem.to_string().contains("test panic"), "the panic message stays in the log: {problem}");
    }

    #[test]
    fn a_request_id_from_the_client_is_kept_only_when_it_is_a_short_token() {
        let with = |id: &str| request_id(&Request::builder().header("x-request-id", id).body(Body::empty()).unwrap());
        assert_eq!(with("vendor-1.2:3_x"), "vendor-1.2:3_x");
        assert!(with("has space").starts_with("mf-"));
        assert!(with(&"x".repeat(65)).starts_with("mf-"));
        assert!(with("").starts_with("mf-"));
    }
}
