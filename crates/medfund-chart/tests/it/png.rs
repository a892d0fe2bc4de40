//! PNG charts: the SVG rasterised at its scale with the chart's colours in
//! it; characters no font has are reported; bad options are errors naming
//! what is wrong. Needs the DejaVu Sans font installed (Debian
//! `fonts-dejavu-core`, present on the CI machine).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use medfund_chart::{ChartError, ChartOptions, Fonts, PngOptions, fan_svg, svg_to_png};
use medfund_scenario::{Lang, Limits, ScenarioFormat};
use resvg::tiny_skia::Pixmap;
use resvg::usvg::fontdb;

fn svg(lang: Lang) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/projection.toml"))
        .unwrap()
        .replace("trials = 10000", "trials = 500\nquantiles = [25, 75]");
    let scenario = medfund_scenario::parse_scenario(&text, ScenarioFormat::Toml, "p.toml").unwrap();
    let projection = medfund_scenario::simulate_scenario(
        &scenario,
        "p.toml",
        std::path::PathBuf::from("."),
        &Limits::default(),
        &|_| {},
    )
    .unwrap();
    fan_svg(&projection, None, &ChartOptions::new(lang)).unwrap()
}

/// The file of the DejaVu Sans face installed on this machine.
fn dejavu() -> std::path::PathBuf {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    db.faces()
        .filter(|f| f.families.iter().any(|(name, _)| name == "DejaVu Sans"))
        .find_map(|f| match &f.source {
            fontdb::Source::File(path) | fontdb::Source::SharedFile(path, _) => Some(path.clone()),
            fontdb::Source::Binary(_) => None,
        })
        .expect("these tests need the DejaVu Sans font (Debian: fonts-dejavu-core)")
}

#[test]
fn the_png_is_the_chart_at_its_scale_in_its_colours() {
    let svg = svg(Lang::En);
    let mut options = PngOptions::default();
    options.system_fonts = false;
    options.bundled_font = false;
    options.fonts = vec![dejavu()];
    let png = svg_to_png(&svg, &options).unwrap();
    let image = Pixmap::decode_png(&png.bytes).unwrap();
    // Twice the SVG's 1200 × (2 × 400 + 40) units.
    assert_eq!((image.width(), image.height()), (2400, 1680));
    let colour =
        |r: u8, g: u8, b: u8| image.pixels().iter().filter(|p| (p.red(), p.green(), p.blue()) == (r, g, b)).count();
    // The p50 line (66, 133, 199) and the review risk line (200, 80, 60) are drawn.
    assert!(colour(66, 133, 199) > 1_000, "p50 line");
    assert!(colour(200, 80, 60) > 500, "risk line");
    // 万/亿 of the axis labels: DejaVu Sans has no CJK glyphs.
    assert!(png.missing.contains(&'万') && png.missing.contains(&'亿'), "{:?}", png.missing);
    assert!(png.missing.iter().all(|c| !c.is_ascii() && svg.contains(*c)));
    // The scale sets the size.
    options.scale = 1;
    let small = Pixmap::decode_png(&svg_to_png(&svg, &options).unwrap().bytes).unwrap();
    assert_eq!((small.width(), small.height()), (1200, 840));
}

#[test]
fn bad_options_are_errors_naming_what_is_wrong() {
    let svg = svg(Lang::Zh);
    let mut options = PngOptions::default();
    options.system_fonts = false;
    options.bundled_font = false;
    assert_eq!(svg_to_png(&svg, &options).unwrap_err(), ChartError::NoFont);
    options.fonts = vec!["no-such-font.ttf".into()];
    match svg_to_png(&svg, &options).unwrap_err() {
        ChartError::Font { path, .. } => assert_eq!(path, std::path::PathBuf::from("no-such-font.ttf")),
        e => panic!("{e}"),
    }
    options.fonts = vec![dejavu()];
    for scale in [0, 9] {
        options.scale = scale;
        assert_eq!(svg_to_png(&svg, &options).unwrap_err(), ChartError::Scale { scale });
    }
    options.scale = 1;
    let e = svg_to_png("<svg", &options);
    assert!(matches!(e, Err(ChartError::Draw { .. })), "{e:?}");
}

#[test]
fn fonts_loaded_once_draw_what_svg_to_png_draws() {
    let svg = svg(Lang::En);
    let mut options = PngOptions::default();
    options.system_fonts = false;
    options.fonts = vec![dejavu()];
    let fonts = Fonts::load(&options).unwrap();
    // Two charts from one load, each the bytes of a fresh load.
    for scale in [2, 1] {
        options.scale = scale;
        assert_eq!(fonts.png(&svg, scale).unwrap(), svg_to_png(&svg, &options).unwrap());
    }
    assert_eq!(fonts.png(&svg, 0).unwrap_err(), ChartError::Scale { scale: 0 });
    options.fonts.clear();
    options.bundled_font = false;
    assert_eq!(Fonts::load(&options).unwrap_err(), ChartError::NoFont);
}

/// The characters beyond ASCII that the chart may write: every one in the
/// chart's sources (its words, in both languages, and 万/亿) and in the
/// schemes' Chinese names.
fn chart_characters() -> Vec<char> {
    let sources = [
        include_str!("../../src/fan.rs"),
        include_str!("../../src/lib.rs"),
        include_str!("../../src/png.rs"),
        medfund_riskpool::Scheme::Employee.name_zh(),
        medfund_riskpool::Scheme::Resident.name_zh(),
    ];
    let mut chars: Vec<char> = sources.iter().flat_map(|s| s.chars()).filter(|c| !c.is_ascii()).collect();
    chars.sort_unstable();
    chars.dedup();
    chars
}

#[test]
fn the_bundled_font_has_every_character_the_chart_writes() {
    let font = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fonts/MedfundChartSans.otf")).unwrap();
    let face = ttf_parser::Face::parse(&font, 0).unwrap();
    let wanted: Vec<char> = (' '..='~').chain(chart_characters()).collect();
    assert!(wanted.contains(&'万') && wanted.contains(&'亿') && wanted.contains(&'险'));
    let missing: Vec<char> = wanted.into_iter().filter(|c| face.glyph_index(*c).is_none()).collect();
    assert!(missing.is_empty(), "run scripts/chart-font: the bundled font lacks {missing:?}");
}

#[test]
fn with_the_bundled_font_alone_both_languages_are_drawn_whole() {
    let mut options = PngOptions::default();
    options.system_fonts = false;
    for lang in [Lang::Zh, Lang::En] {
        let svg = svg(lang);
        assert!(svg.contains('万') || svg.contains('亿'), "the README example's axes are in 万/亿");
        let png = svg_to_png(&svg, &options).unwrap();
        assert!(png.missing.is_empty(), "{lang:?}: {:?}", png.missing);
        // The glyphs are drawn: the chart differs from the one drawn without them.
        let mut latin = options.clone();
        latin.bundled_font = false;
        latin.fonts = vec![dejavu()];
        let without = svg_to_png(&svg, &latin).unwrap();
        assert!(!without.missing.is_empty());
        assert_ne!(png.bytes, without.bytes);
    }
}
