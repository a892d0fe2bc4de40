//! The projection's answers other than its JSON: `POST /v1/simulate/paths`,
//! every trial's path as one file — CSV, Parquet or Arrow IPC — the bytes
//! `medfund simulate --paths` writes, made in a scratch folder of the
//! request's own (never a name from the request) and removed once read, on
//! errors too; `POST /v1/simulate/chart`, the SVG or PNG of `medfund
//! simulate --svg/--png`; and `POST /v1/compare/chart`, a variant's chart
//! with the base's projection in grey (`--against`).

use std::path::PathBuf;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use medfund_scenario::ScenarioError;

use crate::handlers::{Answer, REQUEST, base_and_variant, bytes, inside, scenario_of, simulate_request};
use crate::post::{Accepts, Post};
use crate::problem::{Problem, service_codes};
use crate::request::{ChartParams, Image, PathsParams};
use crate::{App, RequestId};

/// A folder of one request's files under an unpredictable name (private
/// to the service's user), removed with everything in it when dropped.
struct Scratch(Option<tempfile::TempDir>);

impl Scratch {
    /// A new folder in `parent` (the system's temporary folder if `None`).
    fn new(parent: Option<&std::path::Path>) -> Result<Scratch, Problem> {
        // Created, never reused: a folder planted under a guessed name is not ours.
        let mut builder = tempfile::Builder::new();
        builder.prefix("medfund-serve-");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let made = match parent {
            Some(dir) => builder.tempdir_in(dir),
            None => builder.tempdir(),
        };
        made.map(|d| Scratch(Some(d))).map_err(|e| {
            Problem::from(ScenarioError::other(format!("cannot make a scratch folder in the temporary folder: {e}")))
        })
    }

    fn path(&self) -> &std::path::Path {
        self.0.as_ref().expect("invariant: a scratch folder is there until dropped").path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let shown = dir.path().to_owned();
            if let Err(e) = dir.close() {
                tracing::warn!(folder = %shown.display(), error = %e, "cannot remove a scratch folder");
            }
        }
    }
}

/// `POST /v1/simulate/paths?format=csv|parquet|arrow&money=yuan|fen`: the
/// scenario's trial paths (trial, scheme, year, closing balance,
/// unresolved, review), one row per trial, scheme and year, in trial order.
pub(crate) async fn simulate_paths(
    State(app): State<Arc<App>>,
    Extension(id): Extension<RequestId>,
    post: Post,
) -> Answer {
    post.answer(app, &id, PathsParams::parse, Accepts::Scenario, move |job, p, format, raw| {
        let scenario = scenario_of(&raw, format)?;
        let scratch = Scratch::new(job.config.scratch_dir.as_deref())?;
        let file = scratch.path().join(format!("paths.{}", p.format.name()));
        medfund_scenario::simulate_scenario_with_paths(
            &scenario,
            REQUEST,
            PathBuf::from("."),
            &job.config.limits,
            // A request whose answer was given without it stops between trials.
            &|_| job.cancel.check(),
            &file,
            p.money,
        )?;
        let written = std::fs::read(&file).map_err(|e| {
            Problem::from(ScenarioError::other(format!("cannot read the paths written to {}: {e}", file.display())))
        })?;
        Ok(bytes(p.format.media_type(), written))
    })
    .await
}

/// A scenario with the quantiles 25 and 75 of the chart's inner band added
/// (when it has a projection: without, simulate says what is missing).
fn with_band(mut scenario: medfund_scenario::Scenario) -> Result<medfund_scenario::Scenario, ScenarioError> {
    if scenario.projection_trials().is_some() {
        scenario.set_projection_quantiles(medfund_chart::with_band_quantiles(scenario.projection_quantiles()))?;
    }
    Ok(scenario)
}

/// The chart as an answer: SVG text, or PNG drawn with the service's fonts
/// at `Config::chart`'s scale (twice the SVG's size, as `medfund simulate
/// --png`, unless set otherwise).
fn chart_answer(
    app: &App,
    projection: &medfund_scenario::Projection,
    against: Option<&medfund_chart::Against<'_>>,
    p: ChartParams,
) -> Answer {
    let mut options = medfund_chart::ChartOptions::new(p.lang);
    options.same_scale = p.same_scale;
    let svg = medfund_chart::fan_svg(projection, against, &options)
        .map_err(|e| Problem::from(ScenarioError::other(e.to_string())))?;
    match p.image {
        Image::Svg => Ok(bytes("image/svg+xml; charset=utf-8", svg.into_bytes())),
        Image::Png => Ok(bytes("image/png", png(app, &svg)?)),
    }
}

/// `svg` as PNG. A chart with characters no font of the service has (with
/// the bundled font, only when it is turned off or in a name the chart
/// writes) is refused rather than drawn without them: an axis label
/// without its 万 or 亿 reads as a figure ten thousand times too small.
fn png(app: &App, svg: &str) -> Result<Vec<u8>, Problem> {
    let advice = "expected the service to have a font with them (the bundled one, Debian fonts-noto-cjk on the server, or medfund serve --font FILE), or ask for format=svg";
    let fonts = app.fonts.get_or_init(|| medfund_chart::Fonts::load(&app.config.chart)).as_ref().map_err(|e| {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, service_codes::CHART_FONT, format!("{e}; {advice}"))
    })?;
    let png = fonts.png(svg, app.config.chart.scale).map_err(|e| Problem::from(ScenarioError::other(e.to_string())))?;
    if !png.missing.is_empty() {
        let shown: String = png.missing.iter().take(20).collect();
        let more = if png.missing.len() > 20 { "…" } else { "" };
        return Err(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            service_codes::CHART_FONT,
            format!("no font of the service has {shown}{more}, which the chart writes; {advice}"),
        ));
    }
    Ok(png.bytes)
}

/// `POST /v1/simulate/chart?format=svg|png&lang=zh|en&same_scale=true`: the
/// fan chart of the scenario's projection as SVG (`image/svg+xml`) or PNG
/// (`image/png`), with the quantiles 25 and 75 added for its inner band, as
/// `medfund simulate --svg/--png` draws it.
pub(crate) async fn simulate_chart(
    State(app): State<Arc<App>>,
    Extension(id): Extension<RequestId>,
    post: Post,
) -> Answer {
    post.answer(app, &id, ChartParams::parse, Accepts::Scenario, move |job, p, format, raw| {
        let projection = simulate_request(job, &with_band(scenario_of(&raw, format)?)?)?;
        chart_answer(job, &projection, None, p)
    })
    .await
}

/// `POST /v1/compare/chart?format=svg|png&lang=zh|en&same_scale=true` with
/// `{"base": scenario, "variant": scenario}`: the variant's fan chart with
/// the base's projection in grey on the same axes, as `medfund simulate
/// VARIANT --against BASE --svg/--png` draws it (the base named "base" in
/// the caption).
pub(crate) async fn compare_chart(
    State(app): State<Arc<App>>,
    Extension(id): Extension<RequestId>,
    post: Post,
) -> Answer {
    post.answer(app, &id, ChartParams::parse, Accepts::Json, move |job, p, _, raw| {
        let (base, variant) = base_and_variant(&raw)?;
        let project = |name: &str, v: serde_json::Value| {
            medfund_scenario::parse_scenario_value(v, REQUEST)
                .and_then(with_band)
                .and_then(|scenario| simulate_request(job, &scenario))
                .map_err(|e| Problem::scenario(inside(name, vec![e])))
        };
        let (base, variant) = (project("base", base)?, project("variant", variant)?);
        chart_answer(job, &variant, Some(&medfund_chart::Against { projection: &base, name: "base" }), p)
    })
    .await
}
