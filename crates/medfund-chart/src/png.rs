//! PNG: the chart's SVG rasterised by resvg, its text drawn with the fonts
//! installed on the machine (fontdb finds them as fontconfig would), any
//! font files given and the bundled Medfund Chart Sans (Noto Sans CJK SC
//! cut down to the characters the chart writes, so that 万/亿 and the
//! Chinese words are drawn on a machine without a CJK font). Characters no
//! font has (in a name given to the chart) are reported, never silently
//! boxed.

use std::path::PathBuf;
use std::sync::Arc;

use resvg::{tiny_skia, usvg};

use crate::ChartError;

/// The bundled font: Noto Sans CJK SC (SIL OFL 1.1, `fonts/OFL.txt`) cut
/// down to printable ASCII and the characters of the chart's words, by
/// `scripts/chart-font`.
const BUNDLED: &[u8] = include_bytes!("../fonts/MedfundChartSans.otf");

/// The family name of [`BUNDLED`].
pub(crate) const BUNDLED_FAMILY: &str = "Medfund Chart Sans";

/// Families tried, in order, for the SVG's generic `sans-serif`: an
/// installed CJK font first (it has Latin glyphs too, and every Chinese
/// character a name may bring), then the bundled one, then common Latin ones.
const SANS: [&str; 8] = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    BUNDLED_FAMILY,
    "DejaVu Sans",
    "Liberation Sans",
    "Arial",
];

/// How to rasterise: `PngOptions::default()` is twice the SVG's size with
/// the system's fonts and the bundled one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PngOptions {
    /// Pixels per SVG unit (the chart is 1200 units wide): 2 by default.
    pub scale: u32,
    /// Font files (TTF, OTF, TTC) to use besides the system's.
    pub fonts: Vec<PathBuf>,
    /// Whether to load the system's fonts (yes).
    pub system_fonts: bool,
    /// Whether to load the bundled Medfund Chart Sans (yes): every character
    /// the chart's own words and 万/亿 labels use, in Noto Sans CJK SC.
    pub bundled_font: bool,
}

impl Default for PngOptions {
    fn default() -> PngOptions {
        PngOptions { scale: 2, fonts: Vec::new(), system_fonts: true, bundled_font: true }
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

/// Rasterises `svg` (from [`fan_svg`](crate::fan_svg)) to PNG: loads the
/// fonts of `options` ([`Fonts::load`]) and draws with them
/// ([`Fonts::png`]). To draw many charts, load the fonts once.
///
/// # Errors
///
/// [`ChartError::Font`] if a font file cannot be read, [`ChartError::NoFont`]
/// if no font at all is found (the text could not be drawn),
/// [`ChartError::Scale`] for a scale of 0 or above 8, and
/// [`ChartError::Draw`] if the SVG cannot be read or rasterised.
pub fn svg_to_png(svg: &str, options: &PngOptions) -> Result<Png, ChartError> {
    check_scale(options.scale)?;
    Fonts::load(options)?.png(svg, options.scale)
}

fn check_scale(scale: u32) -> Result<(), ChartError> {
    if (1..=8).contains(&scale) { Ok(()) } else { Err(ChartError::Scale { scale }) }
}

/// The fonts a PNG's text is drawn with, loaded once (reading the system's
/// fonts takes a while) and shared by every chart drawn with them; cheap to
/// clone.
///
/// ```no_run
/// let fonts = medfund_chart::Fonts::load(&medfund_chart::PngOptions::default())?;
/// # let svg = String::new();
/// let png = fonts.png(&svg, 2)?;
/// if !png.missing.is_empty() {
///     eprintln!("no font has {:?}", png.missing);
/// }
/// # Ok::<(), medfund_chart::ChartError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Fonts {
    db: Arc<usvg::fontdb::Database>,
}

impl Fonts {
    /// The fonts of `options` (its scale aside): the font files
    /// [`PngOptions::fonts`], the machine's fonts (found as fontconfig
    /// would) if [`PngOptions::system_fonts`], and the bundled Medfund Chart
    /// Sans if [`PngOptions::bundled_font`]. The generic `sans-serif` of the
    /// SVG is the first of Noto Sans CJK SC, Source Han Sans SC, WenQuanYi
    /// Micro Hei, Microsoft YaHei, Medfund Chart Sans, DejaVu Sans,
    /// Liberation Sans and Arial present, else the first font loaded; a
    /// character its family lacks is drawn with any font that has it.
    ///
    /// # Errors
    ///
    /// [`ChartError::Font`] naming a file that cannot be read, and
    /// [`ChartError::NoFont`] if no font at all is loaded.
    pub fn load(options: &PngOptions) -> Result<Fonts, ChartError> {
        let mut db = usvg::fontdb::Database::new();
        if options.system_fonts {
            db.load_system_fonts();
        }
        if options.bundled_font {
            db.load_font_data(BUNDLED.to_vec());
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
        Ok(Fonts { db: Arc::new(db) })
    }

    /// Rasterises `svg` (from [`fan_svg`](crate::fan_svg)) at `scale`
    /// pixels per SVG unit (1 to 8), on white; [`Png::missing`] lists the
    /// characters of its text that no loaded font has.
    ///
    /// # Errors
    ///
    /// [`ChartError::Scale`] for a scale of 0 or above 8, and
    /// [`ChartError::Draw`] if the SVG cannot be read or rasterised.
    pub fn png(&self, svg: &str, scale: u32) -> Result<Png, ChartError> {
        check_scale(scale)?;
        let missing = missing_chars(svg, &self.db);
        let opt = usvg::Options { fontdb: Arc::clone(&self.db), ..usvg::Options::default() };
        let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| ChartError::Draw { message: e.to_string() })?;
        let size = tree.size().to_int_size();
        let (width, height) = (size.width().checked_mul(scale), size.height().checked_mul(scale));
        let (Some(width), Some(height)) = (width, height) else {
            return Err(ChartError::Scale { scale });
        };
        let mut pixmap = tiny_skia::Pixmap::new(width, height)
            .ok_or_else(|| ChartError::Draw { message: format!("cannot make a {width}×{height} image") })?;
        pixmap.fill(tiny_skia::Color::WHITE);
        #[allow(clippy::cast_precision_loss)] // a scale of 1 to 8
        let factor = scale as f32;
        resvg::render(&tree, tiny_skia::Transform::from_scale(factor, factor), &mut pixmap.as_mut());
        let bytes = pixmap.encode_png().map_err(|e| ChartError::Draw { message: e.to_string() })?;
        Ok(Png { bytes, missing })
    }
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
