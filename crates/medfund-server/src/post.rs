//! The shape every POST operation shares: read its parameters, its
//! `Content-Type` and its body (in that order, so that the cheapest check
//! answers first), then hand the work to the gate's workers.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use medfund_scenario::ScenarioFormat;

use crate::gate::Cancel;
use crate::handlers::Answer;
use crate::problem::Problem;
use crate::request::{Params, content_format, declared_length, linger, read_body};
use crate::{App, RequestId};

/// A POST request's query string, headers and (unread) body.
pub(crate) struct Post {
    query: Option<String>,
    headers: HeaderMap,
    body: Body,
}

impl<S: Send + Sync> FromRequest<S> for Post {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, _: &S) -> Result<Post, Self::Rejection> {
        let (parts, body) = request.into_parts();
        Ok(Post { query: parts.uri.query().map(str::to_owned), headers: parts.headers, body })
    }
}

/// What bodies an operation accepts: a scenario (JSON or TOML) or a JSON
/// document of several members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepts {
    /// A scenario, as JSON or TOML by `Content-Type`.
    Scenario,
    /// JSON only.
    Json,
}

impl Post {
    /// The operation's answer: its parameters read by `params` (an error
    /// names the first bad one), then its `Content-Type` and body, then
    /// `work` on a worker with the app, the parameters, the body's format
    /// and its bytes.
    pub(crate) async fn answer<P, W>(
        self,
        app: Arc<App>,
        id: &RequestId,
        params: impl FnOnce(Option<&str>) -> Result<P, Problem>,
        body: Accepts,
        work: W,
    ) -> Answer
    where
        P: Send + 'static,
        W: FnOnce(&Job<'_>, P, ScenarioFormat, Vec<u8>) -> Answer + Send + 'static,
    {
        let limit = app.config.max_body;
        let admitted = async {
            let p = params(self.query.as_deref())?;
            let format = content_format(&self.headers, body == Accepts::Scenario)?;
            // Room for the body before it is read: what it says it is, else the most it may be.
            let room = app.gate.admit_body(declared_length(&self.headers).map_or(limit, |n| n.min(limit))).await?;
            Ok::<_, Problem>((p, format, room))
        };
        let (p, format, room) = match admitted.await {
            Ok(admitted) => admitted,
            Err(problem) => {
                // Refused unread: the client may still be sending it.
                linger(self.body);
                return Err(problem);
            }
        };
        let raw = read_body(&self.headers, self.body, limit, app.config.body_timeout).await?;
        let job = Arc::clone(&app);
        app.gate
            .run(&id.0, move |cancel| {
                let _room = room;
                work(&Job { app: &job, cancel }, p, format, raw)
            })
            .await
    }
}

/// What a computation works with: the app, and whether it should stop.
pub(crate) struct Job<'a> {
    app: &'a App,
    /// Set when the request was answered without it: see [`Cancel::check`].
    pub(crate) cancel: &'a Cancel,
}

impl std::ops::Deref for Job<'_> {
    type Target = App;

    fn deref(&self) -> &App {
        self.app
    }
}

/// The reader of [`Params`] that takes the parameters `allowed`.
pub(crate) fn params(allowed: &'static [&'static str]) -> impl FnOnce(Option<&str>) -> Result<Params, Problem> {
    move |query| Params::parse(query, allowed)
}
