//! Errors as RFC 9457 problem details (`application/problem+json`): the
//! status, a stable `code`, one line for people, and every structured
//! [`ScenarioError`] found, with its field path, line and column.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use medfund_scenario::{ErrorKind, ScenarioError, codes};
use serde::Serialize;

/// The media type of every error answer.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// Codes of failures the service itself finds (the scenario's own are
/// [`medfund_scenario::codes`]).
pub(crate) mod service_codes {
    /// The body is larger than `--max-body`.
    pub(crate) const BODY_TOO_LARGE: &str = "body-too-large";
    /// The body did not arrive within `--body-timeout`.
    pub(crate) const BODY_TIMEOUT: &str = "body-timeout";
    /// The body could not be read (the client went away).
    pub(crate) const BODY_UNREADABLE: &str = "body-unreadable";
    /// The body is neither JSON nor TOML by its `Content-Type`.
    pub(crate) const MEDIA_TYPE: &str = "unsupported-media-type";
    /// A query parameter is unknown, repeated or invalid.
    pub(crate) const PARAMETER: &str = "invalid-parameter";
    /// Every worker is busy and the queue is full.
    pub(crate) const OVERLOADED: &str = "overloaded";
    /// The computation did not finish within `--request-timeout`.
    pub(crate) const TIMEOUT: &str = "timeout";
    /// A PNG chart cannot be drawn with the service's fonts: none could
    /// be loaded, or none has some of the chart's characters.
    pub(crate) const CHART_FONT: &str = "chart-font";
    /// No such resource.
    pub(crate) const NOT_FOUND: &str = "not-found";
    /// The resource exists, not with this method.
    pub(crate) const METHOD: &str = "method-not-allowed";
}

/// One problem answer.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<ScenarioError>,
    retry_after: Option<u32>,
    error_id: Option<String>,
    /// For a fault of ours: what happened, for the log only (it may name
    /// the service's files); the answer carries an id instead.
    cause: Option<String>,
}

/// The cause of a 500 answer, handed to the request's middleware in the
/// response's extensions: it logs the cause under the request's id and
/// answers [`Problem::internal`] with that id (nothing of the cause).
#[derive(Debug, Clone)]
pub(crate) struct InternalCause(pub(crate) String);

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_id: Option<&'a str>,
    errors: &'a [ScenarioError],
}

/// The status of a scenario error: text that is not JSON or TOML is a bad
/// request (400); a document that parses but breaks the contract, a policy
/// not in force and a limit passed are unprocessable (422); the rest is
/// the service's own fault (500).
fn status_of(e: &ScenarioError) -> StatusCode {
    match e.kind {
        ErrorKind::Input if e.code == codes::SYNTAX => StatusCode::BAD_REQUEST,
        ErrorKind::Input | ErrorKind::NotInForce => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl Problem {
    /// A failure the service finds itself, with no scenario error.
    pub(crate) fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            error_id: None,
            cause: None,
        }
    }

    /// Every error of a scenario (at least one); the first sets the status.
    pub(crate) fn scenario(errors: Vec<ScenarioError>) -> Problem {
        let first = errors.first().cloned().unwrap_or_else(|| ScenarioError::other("no error was recorded"));
        let mut p = Problem::new(status_of(&first), first.code, first.to_string());
        if p.status == StatusCode::INTERNAL_SERVER_ERROR {
            // A fault of ours: its words (a path of the service's, say) go to
            // the log under the request's id, never into the answer.
            p.detail = "internal error".into();
            p.cause = Some(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
        } else {
            p.errors = errors;
        }
        p
    }

    /// 503 with `Retry-After`.
    pub(crate) fn unavailable(code: &'static str, detail: impl Into<String>, retry_after: u32) -> Problem {
        Problem { retry_after: Some(retry_after), ..Problem::new(StatusCode::SERVICE_UNAVAILABLE, code, detail) }
    }

    /// 500 that names the id under which the fault was logged.
    pub(crate) fn internal(error_id: &str) -> Problem {
        Problem {
            error_id: Some(error_id.to_owned()),
            ..Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::INTERNAL,
                format!("internal error; it was logged under the id {error_id}, please report it"),
            )
        }
    }
}

impl From<ScenarioError> for Problem {
    fn from(e: ScenarioError) -> Problem {
        Problem::scenario(vec![e])
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = Body {
            kind: format!("urn:medfund:problem:{}", self.code),
            title,
            status: self.status.as_u16(),
            code: self.code,
            detail: &self.detail,
            error_id: self.error_id.as_deref(),
            errors: &self.errors,
        };
        let mut bytes = serde_json::to_vec(&body).unwrap_or_else(|_| {
            br#"{"type":"urn:medfund:problem:internal","title":"Internal Server Error","status":500,"code":"internal","detail":"cannot write the error","errors":[]}"#.to_vec()
        });
        bytes.push(b'\n');
        let mut response = (self.status, bytes).into_response();
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(InternalCause(cause));
        }
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
