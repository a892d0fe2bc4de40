//! End-to-end tests of `medfund simulate --svg`: the fan chart, its words in
//! both languages, and a base projection drawn against it.
#![allow(clippy::float_arithmetic, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use std::path::{Path, PathBuf};

use crate::common;

use common::{medfund, tempdir};
use serde_json::Value;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The texts of an SVG file, checked to be an SVG document that draws something.
fn texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert!(doc.descendants().any(|n| matches!(n.tag_name().name(), "polygon" | "path" | "polyline")));
    doc.descendants().filter_map(|n| n.text()).map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()
}

/// The points of every polyline drawn with `stroke` and `width`, in document order.
fn polylines(path: &Path, stroke: &str, width: &str) -> Vec<Vec<(f64, f64)>> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.descendants()
        .filter(|n| n.tag_name().name() == "polyline")
        .filter(|n| n.attribute("stroke") == Some(stroke) && n.attribute("stroke-width") == Some(width))
        .map(|n| {
            n.attribute("points")
                .unwrap()
                .split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

#[test]
fn simulate_writes_a_valid_svg_fan_chart() {
    let dir = tempdir();
    let svg = dir.join("fan.svg");
    let out = medfund()
        .args(["simulate", examples().join("projection.toml").to_str().unwrap(), "--format", "json", "--lang", "en"])
        .arg("--svg")
        .arg(&svg)
        .output()
        .unwrap();
    assert!(out.status.success());
    // The chart's inner band is in the report too.
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ps: Vec<u64> = r["projection"]["schemes"]["employee"][0]["quantiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["p"].as_u64().unwrap())
        .collect();
    assert_eq!(ps, [25, 75]);
    let en = texts(&svg);
    let has = |texts: &[String], s: &str| texts.iter().any(|t| t.contains(s));
    assert!(has(&en, "employee") && has(&en, "resident"));
    assert!(en.iter().any(|t| t.ends_with('亿') || t.ends_with('万')), "axis in 万/亿: {en:?}");
    for label in [
        "p50",
        "p5–p95",
        "p25–p75",
        "year",
        "probability of an actuarial review",
        "by that year",
        "10000 trials, seed 42",
    ] {
        assert!(has(&en, label), "{label}: {en:?}");
    }
    // Chinese titles (the default language), one scale for both schemes when asked.
    let zh_svg = dir.join("fan-zh.svg");
    medfund()
        .args(["simulate", examples().join("projection.toml").to_str().unwrap(), "--same-scale", "--svg"])
        .arg(&zh_svg)
        .assert()
        .success();
    let zh = texts(&zh_svg);
    for label in ["风险共济金年末余额", "需精算评估的概率", "年度", "截至当年累计", "10000 次模拟"]
    {
        assert!(has(&zh, label), "{label}: {zh:?}");
    }
    let text = std::fs::read_to_string(&zh_svg).unwrap();
    assert!(text.contains("font-family=\"Noto Sans CJK SC"), "a CJK font first");
}

/// The variant of examples/projection.toml with a levy of 15 %.
fn variant(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(examples().join("projection.toml")).unwrap();
    let text = text.replacen("[riskpool.policy]\n", "[riskpool.policy]\nlevy_rate = \"15%\"\n", 1);
    let path = dir.join("variant.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn against_draws_the_base_p50_and_risk_in_grey_on_the_same_axes() {
    let dir = tempdir();
    let (variant, base) = (variant(&dir), examples().join("projection.toml"));
    let svg = dir.join("vs.svg");
    let simulate = |file: &Path| medfund().args(["simulate", "--lang", "en", "--format", "json"]).arg(file).output();
    let alone = simulate(&variant).unwrap();
    let out = medfund()
        .args(["simulate", "--lang", "en", "--format", "json", "--svg"])
        .arg(&svg)
        .arg(&variant)
        .arg("--against")
        .arg(&base)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The report is the variant's (with the chart's quartiles), not the base's.
    let alone: Value = serde_json::from_slice(&alone.stdout).unwrap();
    let p50 = |r: &Value, scheme: &str| -> Vec<f64> {
        let years = r["projection"]["schemes"][scheme].as_array().unwrap();
        years.iter().map(|y| y["closing_balance"]["p50"].as_str().unwrap().parse().unwrap()).collect()
    };
    assert_eq!(p50(&report, "employee"), p50(&alone, "employee"));
    let base_report: Value = serde_json::from_slice(&simulate(&base).unwrap().stdout).unwrap();
    assert_ne!(p50(&report, "employee"), p50(&base_report, "employee"));
    let en = texts(&svg);
    for label in ["base p50", "base p5–p95", "base by that year", "Grey: base"] {
        assert!(en.iter().any(|t| t.contains(label)), "{label}: {en:?}");
    }
    // The thick grey lines with a point a year: per scheme the base's p50
    // (balance panel) and the base's cumulative risk (risk panel).
    let p50_lines = polylines(&svg, "#6E6E6E", "2");
    let years: Vec<_> = p50_lines.iter().filter(|l| l.len() == 10).collect();
    assert_eq!(years.len(), 2, "one base p50 per scheme: {p50_lines:?}");
    for (line, scheme) in years.iter().zip(["employee", "resident"]) {
        // The drawn heights are the base's p50, up to the axis's scale and
        // pixel rounding: y = a − b·p50 with b > 0.
        let values = p50(&base_report, scheme);
        let (lo, hi) =
            values.iter().zip(line.iter()).fold(((f64::MAX, 0.0), (f64::MIN, 0.0)), |(lo, hi), (&v, &(_, y))| {
                (if v < lo.0 { (v, y) } else { lo }, if v > hi.0 { (v, y) } else { hi })
            });
        let b = (lo.1 - hi.1) / (hi.0 - lo.0);
        assert!(b > 0.0, "{scheme}: higher balances drawn higher");
        for (&v, &(_, y)) in values.iter().zip(line.iter()) {
            let expected = lo.1 - b * (v - lo.0);
            assert!((y - expected).abs() <= 1.5, "{scheme}: {v} drawn at {y}, expected {expected}");
        }
    }
    let risk_lines = polylines(&svg, "#6E6E6E", "3");
    assert_eq!(risk_lines.iter().filter(|l| l.len() == 10).count(), 2, "{risk_lines:?}");
    // A base that cannot be read is an input error naming it.
    let out = medfund()
        .args(["simulate", "--svg"])
        .arg(dir.join("x.svg"))
        .arg(&variant)
        .args(["--against", "no-such-base.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-base.toml"));
    // --against draws: without --svg it is refused.
    medfund().arg("simulate").arg(&variant).arg("--against").arg(&base).assert().failure();
}

#[test]
fn png_is_the_chart_rasterised_beside_the_svg() {
    let dir = tempdir();
    let (svg, png) = (dir.join("fan.svg"), dir.join("fan.png"));
    let out = medfund()
        .args(["simulate", examples().join("projection.toml").to_str().unwrap(), "--lang", "en", "--svg"])
        .arg(&svg)
        .arg("--png")
        .arg(&png)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // 万/亿 of the axes are drawn by the bundled font, installed CJK font or not: no warning.
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height, big-endian, at twice the SVG's size.
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), (2400, 1680));
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    // A font that cannot be read is an input error naming it; nothing is left under the name.
    let bad = dir.join("bad.png");
    let out = medfund()
        .args(["simulate", examples().join("projection.toml").to_str().unwrap(), "--png"])
        .arg(&bad)
        .args(["--font", "no-such-font.ttf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-font.ttf"));
    assert!(!bad.exists());
    // Chart options without a chart are refused.
    for args in [&["--same-scale"][..], &["--font", "x.ttf"], &["--against", "x.toml"]] {
        medfund().arg("simulate").arg(examples().join("projection.toml")).args(args).assert().failure();
    }
}
