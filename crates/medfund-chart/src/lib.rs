//! # medfund-chart
//!
//! Charts of medfund projections, as SVG text or PNG: the fan chart of
//! `medfund simulate --svg`/`--png` and of the service's `POST
//! /v1/simulate/chart`. Per
//! scheme, the closing balance of the risk-sharing fund (p5–p95 and, where
//! the projection has the quantiles 25 and 75, p25–p75 bands; the p50 line;
//! yuan in 万/亿) beside the probability of an actuarial review that year
//! and by that year, a caption of trials, seed and bands, and optionally a
//! base projection in grey on the same axes ([`Against`]).
//!
//! Text stays text: the SVG names common CJK fonts first (Noto Sans CJK SC,
//! Source Han Sans SC, Microsoft YaHei, PingFang SC, WenQuanYi Micro Hei),
//! then `sans-serif`, and the viewer draws it. [`svg_to_png`] rasterises it
//! (resvg) with the machine's fonts and a bundled one — Noto Sans CJK SC
//! (SIL OFL 1.1) cut down to every character of the chart's words and
//! 万/亿 labels, so the chart is drawn whole on any machine — and names any
//! character no font has; [`Fonts`] loads the fonts once for many charts.
//! Money is drawn from exact fen converted to floats for drawing only.
//!
//! ```
//! use medfund_scenario::{Lang, Limits, ScenarioFormat};
//!
//! let text = r#"
//! [riskpool]
//! year = 2024
//! [riskpool.employee]
//! opening_balance = "1000万"
//! [[riskpool.units]]
//! id = "a"
//! scheme = "employee"
//! revenue = "1亿"
//! expenditure = "9800万"
//! [projection]
//! years = 5
//! trials = 200
//! seed = 7
//! [projection.default]
//! revenue_growth = { mean = "4%", sd = "2%" }
//! expenditure_growth = { mean = "6%", sd = "3%" }
//! "#;
//! let scenario = medfund_scenario::parse_scenario(text, ScenarioFormat::Toml, "s.toml")?;
//! let projection =
//!     medfund_scenario::simulate_scenario(&scenario, "s.toml", std::path::PathBuf::from("."), &Limits::default(), &|_| {})?;
//! let svg = medfund_chart::fan_svg(&projection, None, &medfund_chart::ChartOptions::new(Lang::En))?;
//! assert!(svg.starts_with("<svg") && svg.contains("200 trials, seed 7"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod fan;
mod png;

pub use fan::{Against, ChartOptions, fan_svg, yuan_label};
pub use png::{Fonts, Png, PngOptions, svg_to_png};

/// The quantiles `asked` for, with the 25th and 75th added where missing:
/// the chart's inner band. Ask the projection for them before drawing (a
/// projection without them is drawn with the p5–p95 band alone).
///
/// ```
/// assert_eq!(medfund_chart::with_band_quantiles(vec![10, 75]), [10, 75, 25]);
/// ```
pub fn with_band_quantiles(mut asked: Vec<u32>) -> Vec<u32> {
    for p in [25, 75] {
        if !asked.contains(&p) {
            asked.push(p);
        }
    }
    asked
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChartError {
    /// The drawing library failed.
    Draw {
        /// What it said.
        message: String,
    },
    /// A font file given could not be read.
    Font {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        message: String,
    },
    /// No font was found to draw the text of a PNG.
    NoFont,
    /// A PNG scale outside 1 to 8 (or too large an image).
    Scale {
        /// The scale asked for.
        scale: u32,
    },
}

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChartError::Draw { message } => write!(f, "cannot draw the chart: {message}"),
            ChartError::Font { path, message } => write!(f, "font {}: cannot read it: {message}", path.display()),
            ChartError::NoFont => f.write_str(
                "no font found to draw the chart's text; expected fonts installed (Debian: fonts-noto-cjk for 万/亿 and Chinese titles, or fonts-dejavu-core) or a font file given",
            ),
            ChartError::Scale { scale } => write!(f, "PNG scale {scale}; expected 1 to 8"),
        }
    }
}

impl std::error::Error for ChartError {}
