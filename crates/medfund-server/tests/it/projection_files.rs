//! `POST /v1/simulate/paths`: the trial paths file is the one `medfund
//! simulate --paths` writes (the library's bytes) in every format and money;
//! the row limit, bad parameters and bad scenarios are problems; no scratch
//! file outlives its request. `POST /v1/simulate/chart`: the SVG that
//! `medfund simulate --svg` draws, or its PNG; a PNG the service's fonts
//! cannot draw whole is refused. The PNG tests need the DejaVu Sans font
//! installed (Debian `fonts-dejavu-core`, present on the CI machine).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use crate::common;

use common::{config, start};
use medfund_scenario::{ClaimsFormat, Limits, MoneyUnit, ScenarioFormat};

/// The README's projection example with 300 trials.
fn scenario_toml() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/projection.toml"))
        .unwrap()
        .replace("trials = 10000", "trials = 300")
}

/// The paths file the library writes for `scenario_toml()`.
fn library_paths(format: ClaimsFormat, money: MoneyUnit) -> Vec<u8> {
    let scenario = medfund_scenario::parse_scenario(&scenario_toml(), ScenarioFormat::Toml, "request").unwrap();
    let dir = std::env::temp_dir().join(format!("medfund-paths-expected-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("expected-{:?}.{}", money, format.name()));
    medfund_scenario::simulate_scenario_with_paths(
        &scenario,
        "request",
        std::path::PathBuf::from("."),
        &Limits::default(),
        &|_| {},
        &file,
        money,
    )
    .unwrap();
    let bytes = std::fs::read(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    bytes
}

/// A configuration whose scratch folders go to a folder of the test's own.
fn with_scratch(name: &str) -> (medfund_server::Config, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("medfund-scratch-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = config();
    c.scratch_dir = Some(dir.clone());
    (c, dir)
}

/// The scratch folders left in `dir`.
fn scratch_left(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()?.file_name().into_string().ok()).collect()
}

#[test]
fn the_paths_are_the_files_medfund_simulate_paths_writes() {
    let (c, scratch) = with_scratch("paths");
    let s = start(c);
    let toml = scenario_toml();
    for (query, format, money, media) in [
        ("", ClaimsFormat::Csv, MoneyUnit::Yuan, "text/csv; charset=utf-8"),
        ("?format=csv&money=fen", ClaimsFormat::Csv, MoneyUnit::Fen, "text/csv; charset=utf-8"),
        ("?format=parquet", ClaimsFormat::Parquet, MoneyUnit::Yuan, "application/vnd.apache.parquet"),
        ("?money=fen&format=arrow", ClaimsFormat::Arrow, MoneyUnit::Fen, "application/vnd.apache.arrow.file"),
    ] {
        let a = s.call("POST", &format!("/v1/simulate/paths{query}"), Some("application/toml"), toml.as_bytes());
        assert_eq!(a.status, 200, "{query}: {}", a.text());
        assert_eq!(a.header("content-type"), Some(media), "{query}");
        assert_eq!(a.body, library_paths(format, money), "{query}");
    }
    // One row per trial, scheme and year, after the header: 300 × 10 × 2.
    let csv = s.call("POST", "/v1/simulate/paths", Some("application/toml"), toml.as_bytes()).text();
    assert_eq!(csv.lines().count(), 1 + 300 * 10 * 2);
    assert!(csv.starts_with("trial,scheme,year,closing_balance,unresolved,actuarial_review\n"), "{}", &csv[..80]);
    assert!(scratch_left(&scratch).is_empty(), "{:?}", scratch_left(&scratch));
}

#[test]
fn limits_parameters_and_bad_scenarios_are_problems_and_leave_no_file() {
    let (mut c, scratch) = with_scratch("limits");
    c.limits.path_rows = 5_999;
    let s = start(c);
    let toml = scenario_toml();
    let post = |query: &str, body: &str| {
        s.call("POST", &format!("/v1/simulate/paths{query}"), Some("application/toml"), body.as_bytes())
    };
    // 300 trials × 10 years × 2 schemes = 6,000 rows: one more than the limit.
    let p = post("", &toml).problem(422, "limit");
    assert!(p["detail"].as_str().unwrap().contains("6000 rows, more than the limit of 5999"), "{p}");
    assert_eq!(post("", &toml.replace("trials = 300", "trials = 299")).status, 200);
    for (query, expected) in [
        ("?format=xlsx", "expected csv, parquet or arrow"),
        ("?money=cny", "expected yuan or fen"),
        ("?format=csv&format=csv", "given twice"),
        ("?pretty=true", "unknown query parameter"),
    ] {
        let p = post(query, &toml).problem(400, "invalid-parameter");
        assert!(p["detail"].as_str().unwrap().contains(expected), "{query}: {p}");
    }
    let p = post("", "[riskpool]\nyear = 2024\n").problem(422, "invalid-input");
    assert!(p["detail"].as_str().unwrap().contains("[projection]"), "{p}");
    post("", "[projection\n").problem(400, "syntax");
    assert!(scratch_left(&scratch).is_empty(), "{:?}", scratch_left(&scratch));
}

#[test]
fn the_chart_is_the_svg_medfund_simulate_draws() {
    let s = start(config());
    let toml = scenario_toml();
    let expected = |lang: medfund_scenario::Lang, same_scale: bool| library_svg(&toml, lang, same_scale);
    let post = |query: &str, body: &str| {
        s.call("POST", &format!("/v1/simulate/chart{query}"), Some("application/toml"), body.as_bytes())
    };
    let en = post("?lang=en", &toml);
    assert_eq!(en.status, 200, "{}", en.text());
    assert_eq!(en.header("content-type"), Some("image/svg+xml; charset=utf-8"));
    assert_eq!(en.text(), expected(medfund_scenario::Lang::En, false));
    assert!(en.text().contains("p25–p75") && en.text().contains("300 trials, seed 42"));
    let zh = post("?same_scale=true", &toml);
    assert_eq!(zh.text(), expected(medfund_scenario::Lang::Zh, true));
    assert!(zh.text().contains("风险共济金年末余额"));
    assert_ne!(zh.text(), expected(medfund_scenario::Lang::Zh, false), "same_scale changes the chart");
    post("?same_scale=maybe", &toml).problem(400, "invalid-parameter");
    post("?format=json", &toml).problem(400, "invalid-parameter");
    let p = post("", "[riskpool]\nyear = 2024\n").problem(422, "invalid-input");
    assert!(p["detail"].as_str().unwrap().contains("[projection]"), "{p}");
}

#[test]
fn the_compare_chart_is_the_variant_against_the_base() {
    let s = start(config());
    let parse = |toml: &str| -> serde_json::Value {
        let doc: toml::Value = toml::from_str(toml).unwrap();
        serde_json::to_value(doc).unwrap()
    };
    let base_toml = scenario_toml();
    let variant_toml = base_toml.replacen("[riskpool.policy]\n", "[riskpool.policy]\nlevy_rate = \"15%\"\n", 1);
    assert_ne!(base_toml, variant_toml);
    let projection = |toml: &str| {
        let mut scenario = medfund_scenario::parse_scenario(toml, ScenarioFormat::Toml, "request").unwrap();
        scenario.set_projection_quantiles(vec![25, 75]).unwrap();
        medfund_scenario::simulate_scenario(
            &scenario,
            "request",
            std::path::PathBuf::from("."),
            &Limits::default(),
            &|_| {},
        )
        .unwrap()
    };
    let (base, variant) = (projection(&base_toml), projection(&variant_toml));
    let expected = medfund_chart::fan_svg(
        &variant,
        Some(&medfund_chart::Against { projection: &base, name: "base" }),
        &medfund_chart::ChartOptions::new(medfund_scenario::Lang::En),
    )
    .unwrap();
    let body = serde_json::json!({"base": parse(&base_toml), "variant": parse(&variant_toml)}).to_string();
    let a = s.post_json("/v1/compare/chart?lang=en", &body);
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.header("content-type"), Some("image/svg+xml; charset=utf-8"));
    assert_eq!(a.text(), expected);
    assert!(a.text().contains("Grey: base base (300 trials, seed 42)"));
    // Errors name the member they are in.
    let broken = serde_json::json!({"base": parse(&base_toml), "variant": {"riskpool": {"year": 20}}}).to_string();
    let p = s.post_json("/v1/compare/chart", &broken).problem(422, "invalid-value");
    assert_eq!(p["errors"][0]["path"], "variant.riskpool.year", "{p}");
    let no_projection =
        serde_json::json!({"base": {"riskpool": {"year": 2024}}, "variant": parse(&variant_toml)}).to_string();
    let p = s.post_json("/v1/compare/chart", &no_projection).problem(422, "invalid-input");
    assert_eq!(p["errors"][0]["path"], "base", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("[projection]"), "{p}");
    s.post_json("/v1/compare/chart", &serde_json::json!({"base": parse(&base_toml)}).to_string())
        .problem(422, "missing-field");
}

/// A projection small enough (every balance under 1万 yuan) that its
/// English chart needs no CJK glyph: only ASCII, `·` and `–`.
const SMALL: &str = r#"
[riskpool]
preset = "alxa-2020"
year = 2024
[riskpool.policy]
default_league_fiscal_share = "50%"
[riskpool.employee]
opening_balance = "260"
[riskpool.resident]
opening_balance = "150"
[[riskpool.units]]
id = "league"
scheme = "employee"
revenue = "1250"
expenditure = "1060"
rolling_surplus = "340"
[[riskpool.units]]
id = "league"
scheme = "resident"
revenue = "420"
expenditure = "365"
rolling_surplus = "110"
[projection]
years = 3
trials = 200
seed = 42
[projection.default]
revenue_growth = { mean = "5%", sd = "2%" }
expenditure_growth = { mean = "6%", sd = "3%" }
"#;

/// The file of the DejaVu Sans face installed on this machine.
fn dejavu() -> std::path::PathBuf {
    let mut db = resvg::usvg::fontdb::Database::new();
    db.load_system_fonts();
    db.faces()
        .filter(|f| f.families.iter().any(|(name, _)| name == "DejaVu Sans"))
        .find_map(|f| match &f.source {
            resvg::usvg::fontdb::Source::File(path) | resvg::usvg::fontdb::Source::SharedFile(path, _) => {
                Some(path.clone())
            }
            resvg::usvg::fontdb::Source::Binary(_) => None,
        })
        .expect("these tests need the DejaVu Sans font (Debian: fonts-dejavu-core)")
}

/// The PNG options of DejaVu Sans alone (no CJK glyph).
fn dejavu_png() -> medfund_chart::PngOptions {
    let mut o = medfund_chart::PngOptions::default();
    o.fonts = vec![dejavu()];
    o.system_fonts = false;
    o.bundled_font = false;
    o
}

/// A service that draws PNG text with DejaVu Sans alone.
fn dejavu_only() -> medfund_server::Config {
    let mut c = config();
    c.chart = dejavu_png();
    c
}

/// The chart the library draws for `toml`, as SVG.
fn library_svg(toml: &str, lang: medfund_scenario::Lang, same_scale: bool) -> String {
    let mut scenario = medfund_scenario::parse_scenario(toml, ScenarioFormat::Toml, "request").unwrap();
    scenario.set_projection_quantiles(vec![25, 75]).unwrap();
    let projection = medfund_scenario::simulate_scenario(
        &scenario,
        "request",
        std::path::PathBuf::from("."),
        &Limits::default(),
        &|_| {},
    )
    .unwrap();
    let mut options = medfund_chart::ChartOptions::new(lang);
    options.same_scale = same_scale;
    medfund_chart::fan_svg(&projection, None, &options).unwrap()
}

#[test]
fn the_png_chart_is_the_svg_rasterised_with_the_services_fonts() {
    let s = start(dejavu_only());
    let post = |query: &str, body: &str| {
        s.call("POST", &format!("/v1/simulate/chart{query}"), Some("application/toml"), body.as_bytes())
    };
    let svg = library_svg(SMALL, medfund_scenario::Lang::En, false);
    assert!(svg.chars().all(|c| c.is_ascii() || c == '·' || c == '–'), "the small chart needs no CJK glyph");
    let a = post("?format=png&lang=en", SMALL);
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.header("content-type"), Some("image/png"));
    let fonts = medfund_chart::Fonts::load(&dejavu_png()).unwrap();
    let expected = fonts.png(&svg, 2).unwrap();
    assert!(expected.missing.is_empty(), "{:?}", expected.missing);
    assert_eq!(a.body, expected.bytes, "the PNG of medfund simulate --png, at twice the SVG's size");
    let image = resvg::tiny_skia::Pixmap::decode_png(&a.body).unwrap();
    assert_eq!(image.width(), 2400);
    // format=svg is the SVG, as without the parameter.
    assert_eq!(post("?format=svg&lang=en", SMALL).text(), svg);
    // With the default fonts (the machine's and the bundled one) the Chinese
    // chart of the README example, 万/亿 and all, is drawn whole.
    let s = start(config());
    let toml = scenario_toml();
    let a = s.call("POST", "/v1/simulate/chart?format=png", Some("application/toml"), toml.as_bytes());
    assert_eq!(a.status, 200, "{}", a.text());
    let fonts = medfund_chart::Fonts::load(&medfund_chart::PngOptions::default()).unwrap();
    let expected = fonts.png(&library_svg(&toml, medfund_scenario::Lang::Zh, false), 2).unwrap();
    assert!(expected.missing.is_empty(), "{:?}", expected.missing);
    assert_eq!(a.body, expected.bytes);
}

#[test]
fn a_png_the_services_fonts_cannot_draw_whole_is_refused_and_the_service_stays_up() {
    let s = start(dejavu_only());
    let post = |query: &str, body: &str| {
        s.call("POST", &format!("/v1/simulate/chart{query}"), Some("application/toml"), body.as_bytes())
    };
    // The Chinese chart's words and the 万/亿 of the README example's axes:
    // drawn without them, an axis would read ten thousand times too small.
    for (query, body, char) in [("?format=png", SMALL, '元'), ("?format=png&lang=en", &scenario_toml(), '万')] {
        let p = post(query, body).problem(500, "chart-font");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains(char) && detail.contains("--font") && detail.contains("format=svg"), "{p}");
    }
    post("?format=gif", SMALL).problem(400, "invalid-parameter");
    post("?format=png&format=svg", SMALL).problem(400, "invalid-parameter");
    // The SVG is still drawn.
    assert_eq!(post("?lang=en", SMALL).status, 200);
    // A font file that cannot be read: refused the same way, naming it.
    let mut c = config();
    c.chart.fonts = vec!["no-such-font.ttf".into()];
    let s = start(c);
    let a = s.call("POST", "/v1/simulate/chart?format=png", Some("application/toml"), SMALL.as_bytes());
    let p = a.problem(500, "chart-font");
    assert!(p["detail"].as_str().unwrap().contains("no-such-font.ttf"), "{p}");
    // The compare chart draws PNG the same way.
    let s = start(dejavu_only());
    let doc: toml::Value = toml::from_str(SMALL).unwrap();
    let body = serde_json::json!({"base": doc, "variant": doc}).to_string();
    let a = s.post_json("/v1/compare/chart?format=png&lang=en", &body);
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.header("content-type"), Some("image/png"));
    assert_eq!(&a.body[..8], b"\x89PNG\r\n\x1a\n");
    s.post_json("/v1/compare/chart?format=png", &body).problem(500, "chart-font");
}

/// #36 (18): a fault of ours answers 500 with its `error_id` and nothing of
/// the service's folders; request ids tell nothing of the process.
#[test]
fn a_scratch_folder_that_cannot_be_made_is_a_500_with_an_id_and_no_path() {
    let (mut c, scratch) = with_scratch("missing");
    let missing = scratch.join("not-there");
    c.scratch_dir = Some(missing.clone());
    let s = start(c);
    let a = s.call("POST", "/v1/simulate/paths", Some("application/toml"), scenario_toml().as_bytes());
    assert_eq!(a.status, 500, "{}", a.text());
    let p = a.json();
    let id = a.header("x-request-id").unwrap().to_owned();
    assert_eq!(p["error_id"], id.as_str(), "{p}");
    assert!(!a.text().contains(scratch.to_str().unwrap()) && !a.text().contains("/tmp"), "{}", a.text());
    assert_eq!(p["errors"], serde_json::json!([]), "{p}");
    // Ours: 16 random hex digits, not the PID and a count.
    let ids: Vec<String> =
        (0..3).map(|_| s.get("/v1/health").header("x-request-id").unwrap().to_owned()).collect::<Vec<_>>();
    for id in &ids {
        assert!(id.len() == 19 && id.starts_with("mf-") && id[3..].bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
}
