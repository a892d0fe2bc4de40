//! The fan chart of `medfund simulate --svg`: per scheme, the p5–p95 band and
//! the p50 line of the closing balance, years on the x axis, yuan in 万/亿.

use plotters::prelude::*;

use medfund_scenario::{Projection, ScenarioError, ScenarioResult};

/// Yuan with 万/亿 units for axis labels: `3,500万`, `1.25亿`.
#[allow(clippy::float_arithmetic)]
pub(crate) fn yuan_label(yuan: f64) -> String {
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

/// Draws the chart into an SVG file.
#[allow(clippy::float_arithmetic)]
pub(crate) fn fan_chart(p: &Projection, path: &std::path::Path) -> ScenarioResult<()> {
    let fail =
        |e: &dyn std::fmt::Display| ScenarioError::other(format!("{}: cannot draw the chart: {e}", path.display()));
    let panels: Vec<_> = p.iter().collect();
    let count = u32::try_from(panels.len().max(1)).unwrap_or(1);
    let root = SVGBackend::new(path, (900, 380_u32.saturating_mul(count))).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let areas = root.split_evenly((panels.len().max(1), 1));
    let band = RGBColor(66, 133, 199);
    for ((scheme, years), area) in panels.iter().zip(&areas) {
        let (Some(first), Some(last)) = (years.first(), years.last()) else { continue };
        let lo = years.iter().map(|y| yuan(y.closing_balance.p5)).fold(f64::INFINITY, f64::min).min(0.0);
        let hi = years.iter().map(|y| yuan(y.closing_balance.p95)).fold(f64::NEG_INFINITY, f64::max).max(1.0);
        let pad = (hi - lo) * 0.08;
        let x_range = first.year..last.year.max(first.year.saturating_add(1));
        let title =
            format!("Closing balance of the {} risk fund ({} trials, seed {})", scheme.key(), p.trials(), p.seed());
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(90)
            .build_cartesian_2d(x_range, lo..hi + pad)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_desc("year")
            .y_desc("closing balance (yuan)")
            .x_labels(years.len().min(12))
            .x_label_formatter(&|y| y.to_string())
            .y_label_formatter(&|v| yuan_label(*v))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| fail(&e))?;
        let upper: Vec<(i32, f64)> = years.iter().map(|y| (y.year, yuan(y.closing_balance.p95))).collect();
        let lower: Vec<(i32, f64)> = years.iter().rev().map(|y| (y.year, yuan(y.closing_balance.p5))).collect();
        let polygon: Vec<(i32, f64)> = upper.iter().chain(&lower).copied().collect();
        chart
            .draw_series(std::iter::once(Polygon::new(polygon, band.mix(0.25).filled())))
            .map_err(|e| fail(&e))?
            .label("p5–p95")
            .legend(move |(x, y)| {
                Rectangle::new(
                    [(x, y.saturating_sub(5)), (x.saturating_add(18), y.saturating_add(5))],
                    band.mix(0.25).filled(),
                )
            });
        chart
            .draw_series(LineSeries::new(
                years.iter().map(|y| (y.year, yuan(y.closing_balance.p50))),
                band.stroke_width(3),
            ))
            .map_err(|e| fail(&e))?
            .label("p50")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x.saturating_add(18), y)], band.stroke_width(3)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| fail(&e))?;
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
