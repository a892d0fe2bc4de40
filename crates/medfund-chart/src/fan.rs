//! The fan chart: per scheme, a fan of the closing balance (p5–p95 and
//! p25–p75 bands, p50 line; yuan in 万/亿) and beside it the review risk
//! (the probability of a review that year and by that year), with a caption
//! of what was assumed. Titles in Chinese or English. With a base
//! projection (`--against BASE`) the base's p5–p95 outline, p50 and
//! cumulative risk are drawn in grey on the same axes, so a reform reads as
//! the distance between the two.

use plotters::prelude::*;

use medfund_riskpool::Scheme;
use medfund_scenario::{Lang, Projection};

use crate::ChartError;

/// Fonts for the labels, in order: common CJK fonts (so that 万/亿 and the
/// Chinese titles never show as boxes where one is installed), then the
/// viewer's sans-serif. SVG text is drawn by the viewer, so nothing is bundled.
const FONTS: &str =
    "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, WenQuanYi Micro Hei, sans-serif";

/// How to draw the chart: `ChartOptions::default()` is Chinese words and a
/// balance scale per scheme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChartOptions {
    /// The language of titles, keys and caption.
    pub lang: Lang,
    /// One y scale for the closing balance of every scheme.
    pub same_scale: bool,
}

impl ChartOptions {
    /// Options with the words in `lang` and a scale per scheme.
    pub fn new(lang: Lang) -> ChartOptions {
        ChartOptions { lang, same_scale: false }
    }
}

/// Yuan with 万/亿 units for axis labels: `3500万`, `1.25亿`; drawing only.
///
/// ```
/// assert_eq!(medfund_chart::yuan_label(125_000_000.0), "1.25亿");
/// ```
#[allow(clippy::float_arithmetic)]
pub fn yuan_label(yuan: f64) -> String {
    let abs = yuan.abs();
    if abs >= 1e8 {
        let text = format!("{:.2}", yuan / 1e8);
        format!("{}亿", text.trim_end_matches('0').trim_end_matches('.'))
    } else if abs >= 1e4 {
        format!("{:.0}万", yuan / 1e4)
    } else {
        format!("{yuan:.0}")
    }
}

#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
fn yuan(m: medfund_core::Money) -> f64 {
    // Display only: the chart needs floats, the report keeps exact fen.
    m.fen() as f64 / 100.0
}

/// The words of the chart in one language.
struct Words {
    balance: &'static str,
    risk: &'static str,
    year: &'static str,
    yuan: &'static str,
    probability: &'static str,
    by_year: &'static str,
    this_year: &'static str,
    base: &'static str,
}

const ZH: Words = Words {
    balance: "风险共济金年末余额",
    risk: "需精算评估的概率",
    year: "年度",
    yuan: "年末余额（元）",
    probability: "概率",
    by_year: "截至当年累计",
    this_year: "当年",
    base: "基准",
};

const EN: Words = Words {
    balance: "closing balance of the risk fund",
    risk: "probability of an actuarial review",
    year: "year",
    yuan: "closing balance (yuan)",
    probability: "probability",
    by_year: "by that year",
    this_year: "that year",
    base: "base",
};

/// The 25th and 75th percentiles of a year, when the projection has them.
fn quartiles(y: &medfund_riskpool::YearStats) -> Option<(f64, f64)> {
    let at = |p| y.quantiles.iter().find(|q| q.p == p).map(|q| yuan(q.closing_balance));
    Some((at(25)?, at(75)?))
}

/// The range of the closing balance drawn for `years`.
#[allow(clippy::float_arithmetic)]
fn balance_range(years: &[medfund_riskpool::YearStats]) -> (f64, f64) {
    let lo = years.iter().map(|y| yuan(y.closing_balance.p5)).fold(f64::INFINITY, f64::min).min(0.0);
    let hi = years.iter().map(|y| yuan(y.closing_balance.p95)).fold(f64::NEG_INFINITY, f64::max).max(1.0);
    (lo, hi + (hi - lo) * 0.08)
}

/// The top of the risk axis: the highest probability drawn with room
/// above it, in whole tenths (10 % to 100 %), so that small risks show.
#[allow(clippy::float_arithmetic)]
fn risk_top(years: &[medfund_riskpool::YearStats]) -> f64 {
    let most = years.iter().map(|y| y.p_review_cumulative.max(y.p_actuarial_review)).fold(0.0, f64::max);
    ((most * 1.15 * 10.0).ceil() / 10.0).clamp(0.1, 1.0)
}

type Panel<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordi32, plotters::coord::types::RangedCoordf64>,
>;

/// The key of a panel's series, upper left.
fn key<'b>(
    chart: &mut Panel<'b, 'b>,
) -> Result<(), DrawingAreaErrorKind<<SVGBackend<'b> as DrawingBackend>::ErrorType>> {
    chart
        .configure_series_labels()
        .label_font((FONTS, 13))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
}

/// A key entry for a band: a box of its fill.
fn swatch(style: ShapeStyle) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y.saturating_sub(5)), (x.saturating_add(18), y.saturating_add(5))], style)
}

/// A key entry for a line: a stroke of its style.
fn line_key(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x.saturating_add(18), y)], style)
}

/// A projection to draw in grey beside the charted one, and its name in the caption.
#[derive(Debug, Clone, Copy)]
pub struct Against<'a> {
    /// The base projection.
    pub projection: &'a Projection,
    /// Its name in the caption (a file name, "current policy").
    pub name: &'a str,
}

/// The grey of the base projection.
const BASE_GREY: RGBColor = RGBColor(110, 110, 110);

/// The years of `scheme` in `p`, none when `p` does not project it.
fn years_of(p: &Projection, scheme: Scheme) -> &[medfund_riskpool::YearStats] {
    p.iter().find(|(s, _)| *s == scheme).map_or(&[], |(_, years)| years)
}

/// The fan chart of `p` as SVG text; `against`, when given, in grey on the
/// same axes (the axes span both projections' years and balances).
///
/// # Errors
///
/// [`ChartError::Draw`] if the drawing library fails (it draws into a
/// string, so only on a fault of its own).
pub fn fan_svg(p: &Projection, against: Option<&Against<'_>>, options: &ChartOptions) -> Result<String, ChartError> {
    let mut svg = String::new();
    draw(p, against, options, &mut svg)?;
    Ok(svg)
}

/// Draws the chart into `out`.
#[allow(clippy::float_arithmetic, clippy::too_many_lines)]
fn draw(
    p: &Projection,
    against: Option<&Against<'_>>,
    options: &ChartOptions,
    out: &mut String,
) -> Result<(), ChartError> {
    let fail = |e: &dyn std::fmt::Display| ChartError::Draw { message: e.to_string() };
    let words = match options.lang {
        Lang::Zh => &ZH,
        _ => &EN,
    };
    // A panel per scheme either projection has: (scheme, charted years, base years).
    let panels: Vec<_> = Scheme::ALL
        .into_iter()
        .map(|s| (s, years_of(p, s), against.map_or(&[][..], |a| years_of(a.projection, s))))
        .filter(|(_, years, base)| !years.is_empty() || !base.is_empty())
        .collect();
    let rows = panels.len().max(1);
    let height = 400_u32
        .checked_mul(u32::try_from(rows).expect("invariant: at most two schemes"))
        .and_then(|h| h.checked_add(40))
        .expect("invariant: two panels of 400 pixels");
    let root = SVGBackend::with_string(out, (1200, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let has_quartiles = panels.iter().all(|(_, years, _)| years.iter().all(|y| quartiles(y).is_some()));
    let mut caption = match options.lang {
        Lang::Zh => format!(
            "{} 次模拟，种子 {}；色带：P5–P95{}；线：P50（中位数）。概率为模拟中出现未解决缺口（第十七条（三））的比例。",
            p.trials(),
            p.seed(),
            if has_quartiles { "、P25–P75" } else { "" }
        ),
        _ => format!(
            "{} trials, seed {}; bands p5–p95{}, line p50 (median). A review is a trial with an unresolved gap (Art. 17(3)).",
            p.trials(),
            p.seed(),
            if has_quartiles { " and p25–p75" } else { "" }
        ),
    };
    if let Some(a) = against {
        let (trials, seed) = (a.projection.trials(), a.projection.seed());
        caption.push_str(&match options.lang {
            Lang::Zh => format!(" 灰色：基准 {}（{trials} 次模拟，种子 {seed}）。", a.name),
            _ => format!(" Grey: base {} ({trials} trials, seed {seed}).", a.name),
        });
    }
    let (body, foot) = root.split_vertically(height.saturating_sub(40));
    foot.draw(&Text::new(caption, (16, 12), (FONTS, 15).into_font().color(&BLACK.mix(0.7)))).map_err(|e| fail(&e))?;
    let shared = options.same_scale.then(|| {
        let all: Vec<medfund_riskpool::YearStats> =
            panels.iter().flat_map(|(_, y, b)| y.iter().chain(b.iter()).cloned()).collect();
        balance_range(&all)
    });
    let band = RGBColor(66, 133, 199);
    let risk_color = RGBColor(200, 80, 60);
    for ((scheme, years, base), area) in panels.iter().zip(body.split_evenly((rows, 1)).iter()) {
        let both: Vec<medfund_riskpool::YearStats> = years.iter().chain(base.iter()).cloned().collect();
        let (Some(first), Some(last)) = (both.iter().map(|y| y.year).min(), both.iter().map(|y| y.year).max()) else {
            continue;
        };
        let (left, right) = area.split_horizontally(760);
        let (lo, hi) = shared.unwrap_or_else(|| balance_range(&both));
        let x_range = first..last.max(first.saturating_add(1));
        let span = usize::try_from(last.saturating_sub(first)).map_or(1, |n| n.saturating_add(1));
        let name = match options.lang {
            Lang::Zh => scheme.name_zh(),
            _ => scheme.key(),
        };
        let mut chart = ChartBuilder::on(&left)
            .caption(format!("{name} · {}", words.balance), (FONTS, 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(90)
            .build_cartesian_2d(x_range.clone(), lo..hi)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_desc(words.year)
            .y_desc(words.yuan)
            .label_style((FONTS, 13))
            .x_labels(span.min(12))
            .x_label_formatter(&|y| y.to_string())
            .y_label_formatter(&|v| yuan_label(*v))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| fail(&e))?;
        let fan = |years: &[medfund_riskpool::YearStats],
                   upper: &dyn Fn(&medfund_riskpool::YearStats) -> f64,
                   lower: &dyn Fn(&medfund_riskpool::YearStats) -> f64| {
            let top = years.iter().map(|y| (y.year, upper(y)));
            let bottom = years.iter().rev().map(|y| (y.year, lower(y)));
            top.chain(bottom).collect::<Vec<(i32, f64)>>()
        };
        let mut bands =
            vec![("p5–p95", 0.18, fan(years, &|y| yuan(y.closing_balance.p95), &|y| yuan(y.closing_balance.p5)))];
        if has_quartiles {
            let q =
                |y: &medfund_riskpool::YearStats| quartiles(y).expect("invariant: every year has them (has_quartiles)");
            bands.push(("p25–p75", 0.38, fan(years, &|y| q(y).1, &|y| q(y).0)));
        }
        for (label, shade, polygon) in bands {
            chart
                .draw_series(std::iter::once(Polygon::new(polygon, band.mix(shade).filled())))
                .map_err(|e| fail(&e))?
                .label(label)
                .legend(swatch(band.mix(shade).filled()));
        }
        chart
            .draw_series(LineSeries::new(
                years.iter().map(|y| (y.year, yuan(y.closing_balance.p50))),
                band.stroke_width(3),
            ))
            .map_err(|e| fail(&e))?
            .label("p50")
            .legend(line_key(band.stroke_width(3)));
        if !base.is_empty() {
            // The base: the outline of its p5–p95 band and its p50, in grey.
            let outline = fan(base, &|y| yuan(y.closing_balance.p95), &|y| yuan(y.closing_balance.p5));
            let closed: Vec<(i32, f64)> = outline.iter().chain(outline.first()).copied().collect();
            let style = BASE_GREY.stroke_width(1);
            chart
                .draw_series(std::iter::once(PathElement::new(closed, style)))
                .map_err(|e| fail(&e))?
                .label(format!("{} p5–p95", words.base))
                .legend(line_key(style));
            let style = BASE_GREY.stroke_width(2);
            chart
                .draw_series(LineSeries::new(base.iter().map(|y| (y.year, yuan(y.closing_balance.p50))), style))
                .map_err(|e| fail(&e))?
                .label(format!("{} p50", words.base))
                .legend(line_key(style));
        }
        key(&mut chart).map_err(|e| fail(&e))?;
        // The review risk: that year (thin) and by that year (thick, never falling).
        let mut risk = ChartBuilder::on(&right)
            .caption(words.risk, (FONTS, 17))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x_range, 0.0..risk_top(&both))
            .map_err(|e| fail(&e))?;
        risk.configure_mesh()
            .x_desc(words.year)
            .y_desc(words.probability)
            .label_style((FONTS, 13))
            .x_labels(span.min(6))
            .x_label_formatter(&|y| y.to_string())
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| fail(&e))?;
        risk.draw_series(LineSeries::new(
            years.iter().map(|y| (y.year, y.p_review_cumulative)),
            risk_color.stroke_width(3),
        ))
        .map_err(|e| fail(&e))?
        .label(words.by_year)
        .legend(line_key(risk_color.stroke_width(3)));
        risk.draw_series(LineSeries::new(
            years.iter().map(|y| (y.year, y.p_actuarial_review)),
            risk_color.mix(0.6).stroke_width(1),
        ))
        .map_err(|e| fail(&e))?
        .label(words.this_year)
        .legend(line_key(risk_color.mix(0.6).stroke_width(1)));
        if !base.is_empty() {
            let style = BASE_GREY.stroke_width(3);
            risk.draw_series(LineSeries::new(base.iter().map(|y| (y.year, y.p_review_cumulative)), style))
                .map_err(|e| fail(&e))?
                .label(format!("{} {}", words.base, words.by_year))
                .legend(line_key(style));
        }
        key(&mut risk).map_err(|e| fail(&e))?;
    }
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::yuan_label;

    #[test]
    fn labels_use_wan_and_yi() {
        assert_eq!(yuan_label(35_000_000.0), "3500万");
        assert_eq!(yuan_label(125_000_000.0), "1.25亿");
        assert_eq!(yuan_label(200_000_000.0), "2亿");
        assert_eq!(yuan_label(250_000_000.0), "2.5亿");
        assert_eq!(yuan_label(950.0), "950");
    }
}
