//! Reports for people (`table`, `markdown`) and spreadsheets (`csv`), built
//! from one typed table model; `json` is serialised directly (the contract).

use std::borrow::Cow;
use std::fmt::Write as _;

use medfund_core::Money;
use unicode_width::UnicodeWidthStr;

use crate::error::{ScenarioError, ScenarioResult};

/// Label language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Lang {
    /// Chinese (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// A typed cell, formatted per output.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text.
    Text(String),
    /// Money; `None` is unknown (null).
    Money(Option<Money>),
    /// A flag; `None` is unknown.
    Flag(Option<bool>),
    /// An integer.
    Int(i64),
}

/// A column: its machine key (CSV header) and its Chinese and English labels.
#[derive(Debug, Clone)]
pub struct Column {
    /// Machine key.
    pub key: Cow<'static, str>,
    /// Chinese label.
    pub zh: Cow<'static, str>,
    /// English label.
    pub en: Cow<'static, str>,
}

impl Column {
    /// A column whose key serves as both labels (dynamic tables).
    pub fn plain(key: impl Into<String>) -> Column {
        let key: String = key.into();
        Column { key: Cow::Owned(key.clone()), zh: Cow::Owned(key.clone()), en: Cow::Owned(key) }
    }

    fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Static columns from (key, zh, en) triples.
pub fn columns<const N: usize>(triples: [(&'static str, &'static str, &'static str); N]) -> Vec<Column> {
    triples
        .into_iter()
        .map(|(key, zh, en)| Column { key: Cow::Borrowed(key), zh: Cow::Borrowed(zh), en: Cow::Borrowed(en) })
        .collect()
}

/// A table: a machine name, a title, columns and rows.
#[derive(Debug, Clone)]
pub struct Table {
    /// File-like name (`riskpool_employee_units`).
    pub name: String,
    /// Title in both languages.
    pub title: (String, String),
    /// The columns.
    pub columns: Vec<Column>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}
/// How a cell reads in a human report.
fn human(cell: &Cell, lang: Lang) -> String {
    match cell {
        Cell::Text(s) => pick(s, lang),
        Cell::Money(Some(m)) => m.to_grouped_string(),
        Cell::Money(None) | Cell::Flag(None) => "—".into(),
        Cell::Flag(Some(b)) => match (lang, b) {
            (Lang::Zh, true) => "是".into(),
            (Lang::Zh, false) => "否".into(),
            (Lang::En, true) => "yes".into(),
            (Lang::En, false) => "no".into(),
        },
        Cell::Int(i) => i.to_string(),
    }
}

/// The text of a [`Cell::Text`] for people reading `lang`: key-value
/// labels carry both languages and the key separated by `\u{1}`
/// (`zh\u{1}en\u{1}key`), an earmark row carries `name\u{2}amount`; other
/// text is itself.
pub fn localized(s: &str, lang: Lang) -> String {
    pick(s, lang)
}

fn pick(s: &str, lang: Lang) -> String {
    let mut parts = s.split('\u{1}');
    if let (Some(zh), Some(en), Some(_key)) = (parts.next(), parts.next(), parts.next()) {
        return match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        };
    }
    if let Some((name, amount)) = s.split_once('\u{2}') {
        let grouped = amount.parse::<Money>().map_or_else(|_| amount.to_owned(), Money::to_grouped_string);
        return format!("{name}: {grouped}");
    }
    s.to_owned()
}

/// Columns of the terminal report are aligned up to this width; a wider cell
/// overflows its column instead of widening every row (a 1 MB name once
/// padded 5,000 rows to 1 MB each).
const MAX_ALIGN_WIDTH: usize = 60;
/// The widest cell shown, in columns; longer text is cut with `…`.
const MAX_CELL_WIDTH: usize = 240;

/// Whether `c` is shown escaped (`\u{202e}`) rather than sent: control
/// characters (ESC, CR, LF, …) and the bidirectional controls, which would
/// reorder what a reader sees around them (U+061C, U+200E–U+200F,
/// U+202A–U+202E, U+2066–U+2069).
fn shown_escaped(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `c` as shown: itself, or escaped (see [`shown_escaped`]).
fn shown(c: char) -> String {
    if shown_escaped(c) { c.escape_default().collect() } else { c.to_string() }
}

/// Text for a terminal: control characters (ESC, CR, LF, …) and the
/// bidirectional controls shown escaped, never sent raw, and cut at
/// [`MAX_CELL_WIDTH`] columns with `…`.
fn terminal_text(s: &str) -> String {
    let mut out = String::new();
    let mut width = 0_usize;
    for c in s.chars() {
        let shown = shown(c);
        let w = shown.width();
        if width.saturating_add(w) > MAX_CELL_WIDTH.saturating_sub(1) {
            out.push('…');
            return out;
        }
        width = width.saturating_add(w);
        out.push_str(&shown);
    }
    out
}

fn is_numeric(cell: &Cell) -> bool {
    matches!(cell, Cell::Money(_) | Cell::Int(_))
}

impl Table {
    /// The title in `lang`.
    fn title(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.title.0,
            Lang::En => &self.title.1,
        }
    }

    /// Per column: whether it holds numbers (aligned right).
    fn numeric_columns(&self) -> Vec<bool> {
        (0..self.columns.len()).map(|i| self.rows.iter().any(|r| r.get(i).is_some_and(is_numeric))).collect()
    }
}

/// The aligned terminal report.
pub fn render_table(tables: &[Table], lang: Lang) -> String {
    let mut out = String::new();
    for t in tables {
        let title = t.title(lang);
        let headers: Vec<String> = t.columns.iter().map(|c| terminal_text(c.label(lang))).collect();
        let cells: Vec<Vec<String>> =
            t.rows.iter().map(|r| r.iter().map(|c| terminal_text(&human(c, lang))).collect()).collect();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.width().min(MAX_ALIGN_WIDTH));
            }
        }
        let _ = writeln!(out, "{}", title.chars().map(shown).collect::<String>());
        let pad = |s: &str, w: usize, right: bool| {
            let fill = " ".repeat(w.saturating_sub(s.width()));
            if right { format!("{fill}{s}") } else { format!("{s}{fill}") }
        };
        let numeric = t.numeric_columns();
        let line: Vec<String> = headers.iter().zip(&widths).zip(&numeric).map(|((h, &w), &n)| pad(h, w, n)).collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
        let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
        let _ = writeln!(out, "  {}", rule.join("  "));
        for (row, raw) in cells.iter().zip(&t.rows) {
            let line: Vec<String> =
                row.iter().zip(&widths).zip(raw).map(|((c, &w), cell)| pad(c, w, is_numeric(cell))).collect();
            let _ = writeln!(out, "  {}", line.join("  ").trim_end());
        }
        out.push('\n');
    }
    out
}

/// Text in a Markdown table: the cell's end (`|`) and line breaks, HTML
/// (`<img onerror=…>`) and link syntax (`[x](javascript:…)`) written as text,
/// and control characters and bidirectional controls shown escaped: a name
/// from the input is never markup in a report.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '|' | '\\' | '[' | ']' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push_str(&shown(c)),
        }
    }
    out
}

/// Markdown tables for pasting into reports.
pub fn render_markdown(tables: &[Table], lang: Lang) -> String {
    let mut out = String::new();
    for t in tables {
        let title = t.title(lang);
        let _ = writeln!(out, "### {}\n", md_escape(title));
        let headers: Vec<String> = t.columns.iter().map(|c| md_escape(c.label(lang))).collect();
        let _ = writeln!(out, "| {} |", headers.join(" | "));
        let numeric = t.numeric_columns();
        let align: Vec<&str> = numeric.iter().map(|&n| if n { "---:" } else { "---" }).collect();
        let _ = writeln!(out, "| {} |", align.join(" | "));
        for row in &t.rows {
            let cells: Vec<String> = row.iter().map(|c| md_escape(&human(c, lang))).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out.push('\n');
    }
    out
}

/// A text cell for a spreadsheet: one that starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return and is not a number would be run as a formula
/// (`=1+2`, `=HYPERLINK(…)`); a leading `'` makes it text again.
fn spreadsheet_safe(s: String) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && medfund_core::literal::parse_decimal_text(&s).is_err() { format!("'{s}") } else { s }
}

fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => spreadsheet_safe(if let Some(key) = s.split('\u{1}').nth(2) {
            key.to_owned()
        } else if let Some((name, amount)) = s.split_once('\u{2}') {
            format!("{name}={amount}")
        } else {
            s.clone()
        }),
        Cell::Money(Some(m)) => m.to_string(),
        Cell::Money(None) | Cell::Flag(None) => String::new(),
        Cell::Flag(Some(b)) => b.to_string(),
        Cell::Int(i) => i.to_string(),
    }
}

/// One CSV record (a header of names, or a row of cells), with its line end:
/// for writers that stream rows as they come.
pub fn csv_record<I, T>(fields: I) -> ScenarioResult<Vec<u8>>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).map_err(|e| ScenarioError::other(format!("cannot write CSV: {e}")))?;
    w.into_inner().map_err(|e| ScenarioError::other(format!("cannot write CSV: {e}")))
}

/// The CSV text of each cell of a row.
pub fn csv_cells(row: &[Cell]) -> Vec<String> {
    row.iter().map(csv_cell).collect()
}

fn csv_bytes(t: &Table) -> ScenarioResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ScenarioError::other(format!("cannot write CSV: {e}"));
    w.write_record(t.columns.iter().map(|c| c.key.as_bytes())).map_err(fail)?;
    for row in &t.rows {
        w.write_record(row.iter().map(csv_cell)).map_err(fail)?;
    }
    w.into_inner().map_err(|e| ScenarioError::other(format!("cannot write CSV: {e}")))
}

/// All tables as CSV on one stream: each preceded by `# name`, separated by a blank line.
pub fn render_csv(tables: &[Table]) -> ScenarioResult<Vec<u8>> {
    let mut out = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(format!("# {}\n", t.name).as_bytes());
        out.extend(csv_bytes(t)?);
    }
    Ok(out)
}

/// Writes one `name.csv` per table into `dir`; returns the paths written.
pub fn write_csv_dir(tables: &[Table], dir: &std::path::Path) -> ScenarioResult<Vec<std::path::PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        return Err(ScenarioError::input(format!(
            "--out {}: a file of that name exists; expected a directory (new or existing) for the CSV files",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| ScenarioError::other(format!("{}: cannot create the directory: {e}", dir.display())))?;
    let mut written = Vec::with_capacity(tables.len());
    for t in tables {
        let path = dir.join(format!("{}.csv", t.name));
        // Written beside under an unpredictable name (O_CREAT|O_EXCL), then
        // renamed: nothing is written through a link planted in the folder,
        // which is refused (`ColumnarError::Output`, exit 2).
        let cannot = |e: std::io::Error| ScenarioError::other(format!("{}: cannot write: {e}", path.display()));
        let bytes = csv_bytes(t)?;
        let ((mut file, temp), _registered) = medfund_columnar::cleanup::Registered::make(
            || medfund_columnar::create_beside(&path),
            |(_, temp): &(std::fs::File, std::path::PathBuf)| temp.as_path(),
        )
        .map_err(|e| match e {
            medfund_columnar::ColumnarError::Output { .. } => ScenarioError::input(format!("--out {e}")),
            other => ScenarioError::other(other.to_string()),
        })?;
        let done = std::io::Write::write_all(&mut file, &bytes).and_then(|()| std::fs::rename(&temp, &path));
        if let Err(e) = done {
            let _ = std::fs::remove_file(&temp);
            return Err(cannot(e));
        }
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(ids: &[&str]) -> Vec<Table> {
        vec![Table {
            name: "units".into(),
            title: ("单位".into(), "Units".into()),
            columns: vec![Column::plain("id")],
            rows: ids.iter().map(|id| vec![Cell::Text((*id).to_owned())]).collect(),
        }]
    }

    /// #36 (22): a unit's name is text in a Markdown report, never HTML or a link.
    #[test]
    fn markdown_writes_html_and_link_syntax_in_names_as_text() {
        let md = render_markdown(
            &names(&["<img src=x onerror=alert(1)>", "[click](javascript:alert(1))", "a|b\nc", "R&D `x` \\"]),
            Lang::En,
        );
        assert!(md.contains("| &lt;img src=x onerror=alert(1)&gt; |"), "{md}");
        assert!(md.contains("| \\[click\\](javascript:alert(1)) |"), "{md}");
        assert!(md.contains("| a\\|b c |"), "{md}");
        assert!(md.contains("| R&amp;D \\`x\\` \\\\ |"), "{md}");
        // No tag, and no link: every `]` before a `(` is escaped.
        assert!(!md.contains('<') && !md.replace("\\]", "").contains("]("), "{md}");
    }

    /// #36 (22): right-to-left overrides and isolates cannot reorder a report.
    #[test]
    fn bidirectional_controls_are_shown_escaped_in_tables_and_markdown() {
        let id = "a\u{202e}cba\u{2066}x\u{2069}\u{200f}";
        for text in [render_table(&names(&[id]), Lang::En), render_markdown(&names(&[id]), Lang::En)] {
            assert!(text.contains("a\\u{202e}cba\\u{2066}x\\u{2069}\\u{200f}"), "{text}");
            assert!(!text.chars().any(|c| shown_escaped(c) && c != '\n'), "{text:?}");
        }
    }
}
