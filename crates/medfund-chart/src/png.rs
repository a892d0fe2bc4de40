//! PNG: the chart's SVG rasterised by resvg, its text drawn with the fonts
//! installed on the machine (fontdb finds them as fontconfig would) and any
//! font files given. Characters no font has (万/亿 and Chinese titles on a
//! machine without a CJK font) are reported, never silently boxed.

use std::path::PathBuf;
use std::sync::Arc;

use resvg::{tiny_skia, usvg};

use crate::ChartError;

/// Families tried, in order, for the SVG's generic `sans-serif`: a CJK font
/// first (it has Latin glyphs too), then common Latin ones.
const SANS: [&str; 7] = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "DejaVu Sans",
    "Liberation Sans",
    "Arial",
];

/// How to rasterise: `PngOptions::default()` is twice the SVG's size with
/// the system's fonts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PngOptions {
    /// Pixels per SVG unit (the chart is 1200 units wide): 2 by default.
    pub scale: u32,
    /// Font files (TTF, OTF, TTC) to use besides the system's.
    pub fonts: Vec<PathBuf>,
    /// Whether to load the system's fonts (yes).
    pub system_fonts: bool,
}

impl Default for PngOptions {
    fn default() -> PngOptions {
        PngOptions { scale: 2, fonts: Vec::new(), system_fonts: true }
    }
}

/// A chart as PNG, and the characters no font could draw.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Png {
    /// The PNG file's bytes.
    pub bytes: Vec<u8>,
    /// Characters of the chart's text that no loaded font has (drawn as
    /// nothing or a box): install a font with them (Debian
    /// `fonts-noto-cjk`) or give one in [`PngOptions::fonts`].
    pub missing: Vec<char>,
}

/// Rasterises `svg` (from [`fan_svg`](crate::fan_svg)) to PNG.
///
/// # Errors
///
/// [`ChartError::Font`] if a font file cannot be read, [`ChartError::NoFont`]
/// if no font at all is found (the text could not be drawn),
/// [`ChartError::Scale`] for a scale of 0 or above 8, and
/// [`ChartError::Draw`] if the SVG cannot be read or rasterised.
pub fn svg_to_png(svg: &str, options: &PngOptions) -> Result<Png, ChartError> {
    if !(1..=8).contains(&options.scale) {
        return Err(ChartError::Scale { scale: options.scale });
    }
    let mut db = usvg::fontdb::Database::new();
    if options.system_fonts {
        db.load_system_fonts();
    }
    for path in &options.fonts {
        db.load_font_file(path).map_err(|e| ChartError::Font { path: path.clone(), message: e.to_string() })?;
    }
    if db.is_empty() {
        return Err(ChartError::NoFont);
    }
    let present = |family: &str| db.faces().any(|f| f.families.iter().any(|(name, _)| name == family));
    let sans = SANS
        .iter()
        .find(|f| present(f))
        .map(|f| (*f).to_owned())
        .or_else(|| db.faces().next().and_then(|f| f.families.first()).map(|(name, _)| name.clone()))
        .expect("invariant: the database has a face (checked not empty)");
    db.set_sans_serif_family(sans);
    let missing = missing_chars(svg, &db);
    let opt = usvg::Options { fontdb: Arc::new(db), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| ChartError::Draw { message: e.to_string() })?;
    let size = tree.size().to_int_size();
    let (width, height) = (size.width().checked_mul(options.scale), size.height().checked_mul(options.scale));
    let (Some(width), Some(height)) = (width, height) else {
        return Err(ChartError::Scale { scale: options.scale });
    };
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| ChartError::Draw { message: format!("cannot make a {width}×{height} image") })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    #[allow(clippy::cast_precision_loss)] // a scale of 1 to 8
    let scale = options.scale as f32;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    let bytes = pixmap.encode_png().map_err(|e| ChartError::Draw { message: e.to_string() })?;
    Ok(Png { bytes, missing })
}

/// The characters beyond ASCII in `svg` (all of them text: the SVG's
/// markup and font names are ASCII) that no face of `db` has.
fn missing_chars(svg: &str, db: &usvg::fontdb::Database) -> Vec<char> {
    let mut wanted: Vec<char> = svg.chars().filter(|c| !c.is_ascii()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    for face in db.faces() {
        if wanted.is_empty() {
            break;
        }
        db.with_face_data(face.id, |data, index| {
            if let Ok(parsed) = ttf_parser::Face::parse(data, index) {
                wanted.retain(|&c| parsed.glyph_index(c).is_none());
            }
        });
    }
    wanted
}
