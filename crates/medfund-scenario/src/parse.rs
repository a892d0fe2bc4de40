//! Reading a scenario: from a file, standard input or text, as TOML or
//! JSON, into the model of [`crate::scenario`], with errors that name the
//! source, line and column, and the field path.

use std::path::{Path, PathBuf};

use crate::error::{ScenarioError, ScenarioResult, codes};
use crate::limits::{Limits, show_size};
use crate::scenario::Scenario;

/// Where a scenario came from: its display name and the folder CSV paths are relative to.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// Shown in messages (`demo`, `-`, a path).
    pub name: String,
    /// Where the lists it names are read from.
    pub lists: crate::lists::Lists,
    /// What the run may read and hold.
    pub limits: Limits,
    /// How claims at scale are settled and reported (§5.3).
    pub claims: crate::claims_run::ClaimsRun,
}

/// The text format of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML.
    Toml,
    /// JSON.
    Json,
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count().saturating_add(1);
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()).saturating_add(1);
    (line, col)
}

fn path_prefix(path: &serde_path_to_error::Path) -> String {
    let p = path.to_string();
    if p == "." { String::new() } else { format!("{p}: ") }
}

/// Parses scenario text. Errors name the source, line and column where the
/// parser knows them, the field path, and what was expected.
pub(crate) fn parse(text: &str, format: Format, source: &Source) -> ScenarioResult<Scenario> {
    // Text handed over by an embedder may still start with a byte-order mark.
    let text = text.strip_prefix(BOM).unwrap_or(text);
    match format {
        Format::Toml => {
            check_toml_size(text, &source.limits, &source.name)?;
            let de = toml_document(text).map_err(|e| toml_error(&e, text, source, "", true))?;
            serde_path_to_error::deserialize(crate::strict::Strict(de)).map_err(|e| {
                let prefix = path_prefix(e.path());
                toml_error(e.inner(), text, source, &prefix, false)
            })
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let scenario: Scenario = serde_path_to_error::deserialize(crate::strict::Strict(&mut de)).map_err(|e| {
                let prefix = path_prefix(e.path());
                json_error(e.inner(), text, source, &prefix)
            })?;
            de.end().map_err(|e| json_error(&e, text, source, ""))?;
            Ok(scenario)
        }
    }
}

/// TOML text of at most `limits.toml_bytes`: reading TOML holds its whole
/// document, up to about 175 bytes of memory per byte of text (a body of
/// dotted keys), where JSON is read as a stream.
pub(crate) fn check_toml_size(text: &str, limits: &Limits, name: &str) -> ScenarioResult<()> {
    let limit = limits.toml_bytes;
    if u64::try_from(text.len()).is_ok_and(|n| n <= limit) {
        return Ok(());
    }
    Err(ScenarioError::input(format!(
        "the scenario is {} bytes of TOML, more than the limit of {} for TOML (reading TOML holds the whole document, up to about 175 bytes of memory per byte); expected a smaller scenario, the same scenario in JSON (read as a stream), lists in files, or --max-toml-size",
        text.len(),
        show_size(limit)
    ))
    .with_code(codes::LIMIT)
    .at(name))
}

/// A TOML document ready to deserialize, its floats handed on as their
/// literal text: the toml crate reads a float through `f64`, which would
/// turn `72344990687247.04` into `.05`. Money, rates and quantities read
/// the text with the same grammar as strings and JSON numbers; spans stay
/// as parsed, so errors keep their line and column.
pub(crate) fn toml_document(text: &str) -> Result<toml::de::Deserializer<'_>, toml::de::Error> {
    let mut root = toml::de::DeTable::parse(text)?;
    for (_, value) in root.get_mut().iter_mut() {
        floats_as_text(value.get_mut());
    }
    Ok(toml::de::Deserializer::from(root))
}

fn floats_as_text(value: &mut toml::de::DeValue<'_>) {
    use toml::de::DeValue;
    match value {
        DeValue::Float(f) => {
            // TOML allows `_` between digits; the number grammar does not.
            let literal = f.as_str().replace('_', "");
            *value = DeValue::String(std::borrow::Cow::Owned(literal));
        }
        DeValue::Array(items) => items.iter_mut().for_each(|item| floats_as_text(item.get_mut())),
        DeValue::Table(table) => table.iter_mut().for_each(|(_, item)| floats_as_text(item.get_mut())),
        DeValue::String(_) | DeValue::Integer(_) | DeValue::Boolean(_) | DeValue::Datetime(_) => {}
    }
}

/// Reads a scenario from a JSON document already in memory (a Python
/// dict, a request body parsed elsewhere), with the checks of a file. A
/// JSON value keeps no positions: errors name the field path only.
pub(crate) fn parse_value(doc: serde_json::Value, name: &str) -> ScenarioResult<Scenario> {
    serde_path_to_error::deserialize(crate::strict::Strict(doc)).map_err(
        |e: serde_path_to_error::Error<serde_json::Error>| {
            let message = e.inner().to_string();
            let path = e.path().to_string();
            let located = if path == "." { message.clone() } else { format!("{path}: {message}") };
            ScenarioError::input(located).with_code(serde_code(&message)).at(name)
        },
    )
}

/// The machine code of a serde message about a value (serde has no error kinds).
pub(crate) fn serde_code(message: &str) -> &'static str {
    if message.starts_with("unknown field") {
        codes::UNKNOWN_FIELD
    } else if message.starts_with("missing field") {
        codes::MISSING_FIELD
    } else if message.starts_with("duplicate") || message.contains("given twice") {
        codes::DUPLICATE
    } else {
        codes::INVALID_VALUE
    }
}

/// A TOML error; `syntax` for the parser's (the text is not TOML), else a value's.
fn toml_error(e: &toml::de::Error, text: &str, source: &Source, prefix: &str, syntax: bool) -> ScenarioError {
    let message = e.message().trim().replace('\n', " ");
    let code = if syntax { codes::SYNTAX } else { serde_code(&message) };
    let error = ScenarioError::input(format!("{prefix}{message}")).with_code(code).at(&source.name);
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            error.with_position(line as u64, Some(col as u64))
        }
        None => error,
    }
}

fn json_error(e: &serde_json::Error, text: &str, source: &Source, prefix: &str) -> ScenarioError {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full.get(..i).unwrap_or(&full).to_owned(),
        None => full,
    };
    let code = match e.classify() {
        serde_json::error::Category::Data => serde_code(&message),
        serde_json::error::Category::Io => codes::UNREADABLE,
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => codes::SYNTAX,
    };
    let error = ScenarioError::input(format!("{prefix}{message}")).with_code(code).at(&source.name);
    if e.line() == 0 {
        return error;
    }
    // serde_json says column 0 for an error before the first character.
    let (mut line, mut column) = (e.line(), e.column().max(1));
    // A value that was read but refused is reported after its last
    // character; point at its first instead, where a reader looks.
    if e.classify() == serde_json::error::Category::Data {
        if let Some(start) = value_start(text, line, column) {
            (line, column) = line_col(text, start);
        }
    }
    error.with_position(line as u64, Some(column as u64))
}

/// The byte offset where the JSON string or scalar ending just before
/// 1-based `line`:`column` starts; `None` for anything else (a table or list).
fn value_start(text: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = text.split_inclusive('\n').take(line.checked_sub(1)?).map(str::len).sum::<usize>();
    let line_text = text.get(line_start..)?.split('\n').next()?;
    let end = line_start
        .checked_add(line_text.char_indices().nth(column.checked_sub(1)?).map_or(line_text.len(), |(i, _)| i))?;
    // A string is reported at its closing quote, a scalar just after it.
    let end = if text.get(end..)?.starts_with('"') { end.checked_add(1)? } else { end };
    let before = text.get(..end)?;
    let last = before.chars().next_back()?;
    if last == '"' {
        // Back to the opening quote: the first `"` not preceded by an odd run of `\`.
        let body = before.get(..before.len().checked_sub(1)?)?;
        let mut i = body.len();
        while let Some(q) = body.get(..i)?.rfind('"') {
            let slashes = body.get(..q)?.bytes().rev().take_while(|&b| b == b'\\').count();
            if slashes % 2 == 0 {
                return Some(q);
            }
            i = q;
        }
        None
    } else if last.is_ascii_alphanumeric() || matches!(last, '.' | '+' | '-') {
        let scalar =
            before.bytes().rev().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-')).count();
        before.len().checked_sub(scalar)
    } else {
        None
    }
}

/// The UTF-8 byte-order mark that Windows editors put before text.
const BOM: char = '\u{feff}';

/// The format of text on standard input: JSON when its first character
/// (after white space) opens an object, else TOML (whose tables open with
/// `[`; a scenario is never a JSON array).
fn detect(text: &str) -> Format {
    if text.trim_start().starts_with('{') { Format::Json } else { Format::Toml }
}

/// Reads the text of a scenario from a path, or from standard input for
/// `-`. `format` overrides the file's extension (and, for standard input,
/// detection by the first character). A leading byte-order mark is dropped.
/// Only a regular file is read, and no more than `limits.scenario_bytes`.
pub(crate) fn read_text(
    path: &str,
    format: Option<Format>,
    limits: &Limits,
) -> ScenarioResult<(String, Format, Source)> {
    let too_large = || {
        ScenarioError::input(format!(
            "the scenario is larger than {}; expected a smaller scenario, lists in CSV files, or --max-scenario-size",
            show_size(limits.scenario_bytes)
        ))
        .with_code(codes::LIMIT)
        .at(path)
    };
    let read_all = |reader: &mut dyn std::io::Read, what: &str| -> ScenarioResult<String> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(reader, limits.scenario_bytes.saturating_add(1)),
            &mut bytes,
        )
        .map_err(|e| ScenarioError::input(format!("cannot read {what}: {e}")).with_code(codes::UNREADABLE).at(path))?;
        if u64::try_from(bytes.len()).map_or(true, |n| n > limits.scenario_bytes) {
            return Err(too_large());
        }
        String::from_utf8(bytes).map_err(|e| {
            ScenarioError::input(format!("{what} is not UTF-8 text ({e}); expected a UTF-8 TOML or JSON scenario"))
                .with_code(codes::UNREADABLE)
                .at(path)
        })
    };
    if path == "-" {
        let text = read_all(&mut std::io::stdin().lock(), "standard input")?;
        let text = text.strip_prefix(BOM).map(str::to_owned).unwrap_or(text);
        let format = format.unwrap_or_else(|| detect(&text));
        let source = Source {
            name: "-".into(),
            lists: PathBuf::from(".").into(),
            limits: limits.clone(),
            claims: crate::claims_run::ClaimsRun::default(),
        };
        return Ok((text, format, source));
    }
    let p = Path::new(path);
    let by_extension = match p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("toml") => Some(Format::Toml),
        Some("json") => Some(Format::Json),
        _ => None,
    };
    let Some(format) = format.or(by_extension) else {
        return Err(ScenarioError::input(
            "unknown scenario format; expected a .toml or .json file, - for standard input, or --input-format toml|json",
        )
        .at(path));
    };
    let (mut file, len) = crate::limits::open_regular(p).map_err(|e| {
        ScenarioError::input(format!("cannot read the file: {e}")).with_code(codes::UNREADABLE).at(path)
    })?;
    if len > limits.scenario_bytes {
        return Err(too_large());
    }
    let mut text = read_all(&mut file, "the file")?;
    if text.starts_with(BOM) {
        text.drain(..BOM.len_utf8());
    }
    Ok((
        text,
        format,
        Source {
            name: path.to_owned(),
            lists: folder_of(path).into(),
            limits: limits.clone(),
            claims: crate::claims_run::ClaimsRun::default(),
        },
    ))
}

/// The folder a scenario file's list paths are relative to (`.` for
/// standard input and for a file in the current directory).
pub(crate) fn folder_of(path: &str) -> PathBuf {
    let base = if path == "-" { None } else { Path::new(path).parent().map(Path::to_path_buf) };
    match base {
        Some(base) if !base.as_os_str().is_empty() => base,
        _ => PathBuf::from("."),
    }
}

/// Reads a scenario from a path or standard input (see [`read_text`]).
pub(crate) fn load(path: &str, format: Option<Format>, limits: &Limits) -> ScenarioResult<(Scenario, Source)> {
    let (text, format, source) = read_text(path, format, limits)?;
    Ok((parse(&text, format, &source)?, source))
}
