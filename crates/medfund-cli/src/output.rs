//! Writing what a command produced: reports in every format, messages on
//! standard error (which never panic), progress bars on a terminal.

use std::io::Write;

use medfund_scenario::tables as render;
use medfund_scenario::{Lang, Limits, Report, ScenarioError, ScenarioFormat, ScenarioResult};

use crate::args::{OutputFormat, ReportArgs};

/// A failure to write the report: exit 1, since a report cut short (a
/// closed pipe, a full disk) must never look like success.
pub(crate) fn write_error(e: &std::io::Error) -> ScenarioError {
    ScenarioError::other(format!("cannot write the report to standard output: {e}"))
}

pub(crate) fn write_stdout(bytes: &[u8]) -> ScenarioResult<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| write_error(&e))
}

/// The longest message printed, in characters: a message quotes inputs only
/// in short excerpts, and this bounds any that slips through (a parser's
/// quotation of a huge unknown key, say).
const MAX_MESSAGE_CHARS: usize = 4_000;

/// A line on standard error, control characters escaped and its length
/// bounded. Writing it never panics: with stderr closed or full the message
/// is lost, and the exit status still tells.
pub(crate) fn say(message: &str) {
    let mut line = String::with_capacity(message.len().min(MAX_MESSAGE_CHARS));
    let mut chars = message.chars();
    for c in chars.by_ref().take(MAX_MESSAGE_CHARS) {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    if chars.next().is_some() {
        line.push_str(&format!(" … (message cut: {} characters)", message.chars().count()));
    }
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

pub(crate) fn emit(report: &Report, args: &ReportArgs) -> ScenarioResult<()> {
    match args.format {
        OutputFormat::Json => {
            medfund_scenario::write_json(report, args.pretty, std::io::stdout().lock()).map_err(|e| write_error(&e))
        }
        OutputFormat::Table => write_stdout(medfund_scenario::render_table(report, args.lang.into()).as_bytes()),
        OutputFormat::Markdown => write_stdout(medfund_scenario::render_markdown(report, args.lang.into()).as_bytes()),
        OutputFormat::Csv => match &args.out {
            Some(dir) => {
                let written = medfund_scenario::write_csv_dir(report, dir)?;
                let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
                say(&format!("medfund: wrote {} CSV files: {}", list.len(), list.join(", ")));
                Ok(())
            }
            None => write_stdout(&medfund_scenario::render_csv(report)?),
        },
    }
}

/// Prints `{key: value}` as JSON, or the tables in another format.
pub(crate) fn emit_value<T: serde::Serialize>(
    value: &T,
    key: &str,
    tables: &[render::Table],
    format: OutputFormat,
    lang: Lang,
) -> ScenarioResult<()> {
    match format {
        OutputFormat::Json => write_stdout(&medfund_scenario::wrapped_json(key, value, false)?),
        OutputFormat::Table => write_stdout(render::render_table(tables, lang).as_bytes()),
        OutputFormat::Markdown => write_stdout(render::render_markdown(tables, lang).as_bytes()),
        OutputFormat::Csv => write_stdout(&render::render_csv(tables)?),
    }
}

/// Where and how `medfund sweep` writes its rows.
pub(crate) struct SweepTo<'a> {
    pub(crate) format: OutputFormat,
    pub(crate) lang: Lang,
    /// A file instead of standard output.
    pub(crate) out: Option<&'a std::path::Path>,
}

/// `medfund sweep`: JSON and CSV rows are written as they finish (in
/// cartesian order); a table or markdown report needs every row first.
/// With a file, the rows go to a temporary name beside it, renamed when the
/// sweep is complete (removed if it fails).
pub(crate) fn sweep(
    file: &str,
    settings: &[medfund_scenario::Setting],
    input: Option<ScenarioFormat>,
    limits: &Limits,
    to: &SweepTo<'_>,
) -> ScenarioResult<()> {
    match to.out {
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            sweep_to(file, settings, input, limits, to, &mut out)?;
            out.flush().map_err(|e| write_error(&e))
        }
        Some(path) => write_atomically("--out", path, |w| sweep_to(file, settings, input, limits, to, w)),
    }
}

/// Writes the file `path` (named `flag` in errors) through `write`, under a
/// temporary name beside it ([`medfund_columnar::create_beside`]) renamed
/// once complete: an interrupted or failed write leaves no partial file
/// under the final name (and removes the temporary one, best effort; a
/// signal's handler removes it too). A link, FIFO, device or folder at
/// `path` is refused, never written through.
pub(crate) fn write_atomically(
    flag: &str,
    path: &std::path::Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> ScenarioResult<()>,
) -> ScenarioResult<()> {
    let file_error =
        |what: &str, e: std::io::Error| ScenarioError::io(format!("{flag} {}: cannot {what}: {e}", path.display()));
    let ((made, temp), registered) = medfund_columnar::cleanup::Registered::make(
        || medfund_columnar::create_beside(path),
        |(_, temp): &(std::fs::File, std::path::PathBuf)| temp.as_path(),
    )
    .map_err(|e| output_error(flag, e))?;
    let mut w = std::io::BufWriter::new(made);
    let result = write(&mut w)
        .and_then(|()| w.flush().map_err(|e| file_error("write it", e)))
        .and_then(|()| std::fs::rename(&temp, path).map_err(|e| file_error("rename it", e)));
    if result.is_err() {
        drop(w);
        let _ = std::fs::remove_file(&temp);
    }
    drop(registered);
    result
}

/// An error of [`medfund_columnar::create_beside`] for the file of `flag`:
/// something other than a regular file at its path is the user's input
/// (exit 2), a file that cannot be made the system's (exit 1).
fn output_error(flag: &str, e: medfund_columnar::ColumnarError) -> ScenarioError {
    match e {
        medfund_columnar::ColumnarError::Output { .. } => ScenarioError::input(format!("{flag} {e}")),
        other => ScenarioError::io(format!("{flag} {other}")),
    }
}

fn sweep_to(
    file: &str,
    settings: &[medfund_scenario::Setting],
    input: Option<ScenarioFormat>,
    limits: &Limits,
    to: &SweepTo<'_>,
    out: &mut dyn Write,
) -> ScenarioResult<()> {
    let (format, lang) = (to.format, to.lang);
    let parameters: Vec<String> = settings.iter().map(|s| s.path.clone()).collect();
    let bar = std::sync::OnceLock::new();
    let progress = |done: u64, total: u64| {
        if let Some(b) = bar.get_or_init(|| progress_bar(total, "running {pos}/{len} combinations")) {
            b.set_position(done);
        }
    };
    let mut put = |bytes: &[u8]| out.write_all(bytes).map_err(|e| write_error(&e));
    match format {
        OutputFormat::Json => {
            let names = serde_json::to_string(&parameters).map_err(|e| ScenarioError::other(e.to_string()))?;
            put(format!("{{\"sweep\":{{\"parameters\":{names},\"rows\":[").as_bytes())?;
            let mut first = true;
            medfund_scenario::sweep_file_each(file, settings, input, limits, &progress, &mut |row| {
                let text = serde_json::to_string(&row).map_err(|e| ScenarioError::other(e.to_string()))?;
                put(if first { b"" } else { b"," })?;
                first = false;
                put(text.as_bytes())
            })?;
            put(b"]}}\n")?;
        }
        OutputFormat::Csv => {
            // The same stream as `render_csv` of the one table: its name, then its rows.
            put(b"# sweep\n")?;
            let mut figures: Option<Vec<String>> = None;
            medfund_scenario::sweep_file_each(file, settings, input, limits, &progress, &mut |row| {
                let names = match &figures {
                    Some(names) => names,
                    None => {
                        let names: Vec<String> = row.figures.keys().cloned().collect();
                        put(&render::csv_record(parameters.iter().chain(&names))?)?;
                        figures.insert(names)
                    }
                };
                let cells = medfund_scenario::sweep_row_cells(&parameters, names, &row);
                put(&render::csv_record(render::csv_cells(&cells))?)
            })?;
        }
        OutputFormat::Table | OutputFormat::Markdown => {
            let mut rows = Vec::new();
            medfund_scenario::sweep_file_each(file, settings, input, limits, &progress, &mut |row| {
                rows.push(row);
                Ok(())
            })?;
            let s = medfund_scenario::Sweep { parameters, rows };
            let text = match format {
                OutputFormat::Markdown => render::render_markdown(&[medfund_scenario::sweep_table(&s)], lang),
                _ => render::render_table(&[medfund_scenario::sweep_table(&s)], lang),
            };
            put(text.as_bytes())?;
        }
    }
    if let Some(Some(b)) = bar.get() {
        b.finish_and_clear();
    }
    Ok(())
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
pub(crate) fn progress_bar(total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || total < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!("{{spinner}} {what} [{{bar:40}}] {{eta}}")) {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}

pub(crate) fn emit_projection(projection: &medfund_scenario::Projection, args: &ReportArgs) -> ScenarioResult<()> {
    let tables = medfund_scenario::projection_tables(projection);
    match args.format {
        OutputFormat::Json => {
            medfund_scenario::write_projection_json(projection, args.pretty, std::io::stdout().lock())
                .map_err(|e| write_error(&e))
        }
        OutputFormat::Table => write_stdout(render::render_table(&tables, args.lang.into()).as_bytes()),
        OutputFormat::Markdown => write_stdout(render::render_markdown(&tables, args.lang.into()).as_bytes()),
        OutputFormat::Csv => match &args.out {
            Some(dir) => {
                let written = render::write_csv_dir(&tables, dir)?;
                say(&format!("medfund: wrote {} CSV files", written.len()));
                Ok(())
            }
            None => write_stdout(&render::render_csv(&tables)?),
        },
    }
}

pub(crate) fn check_args(args: &ReportArgs) -> ScenarioResult<()> {
    if args.out.is_some() && args.format != OutputFormat::Csv {
        return Err(ScenarioError::input("--out goes with --format csv; expected --format csv --out DIR"));
    }
    Ok(())
}

pub(crate) fn policies(format: OutputFormat, lang: Lang) -> ScenarioResult<()> {
    let presets = medfund_scenario::policies()?;
    match format {
        OutputFormat::Json => {
            let mut bytes = serde_json::to_vec(&presets).map_err(|e| ScenarioError::other(e.to_string()))?;
            bytes.push(b'\n');
            write_stdout(&bytes)
        }
        other => {
            let table = medfund_scenario::policies_table(&presets);
            let text = match other {
                OutputFormat::Markdown => render::render_markdown(&[table], lang),
                OutputFormat::Csv => String::from_utf8_lossy(&render::render_csv(&[table])?).into_owned(),
                _ => render::render_table(&[table], lang),
            };
            write_stdout(text.as_bytes())
        }
    }
}

/// Every error as a JSON array on standard error (one line); writing it never panics.
pub(crate) fn say_json(errors: &[ScenarioError]) {
    let text = serde_json::to_string(errors)
        .unwrap_or_else(|e| format!("[{{\"kind\":\"internal\",\"message\":{:?}}}]", e.to_string()));
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
