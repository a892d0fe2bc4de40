//! The error of the scenario pipeline, structured for programs (kind, code,
//! field path, file, line, column, expected) and one line for people.
//!
//! Every message built in this crate follows one convention: `PATH: what
//! was found; expected what`. The constructors take the field path and the
//! expectation out of that line into fields of their own, so that front ends
//! (the CLI's `--error-format json`, the service's problem details, Python
//! exceptions) never search a message.

use std::fmt;

use serde::Serialize;

/// Exit status 2: invalid input or policy not in force.
pub const EXIT_INPUT: u8 = 2;
/// Exit status 1: any other failure.
pub const EXIT_OTHER: u8 = 1;

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The scenario or a file it names is invalid (exit 2).
    Input,
    /// A year, date or claim falls outside the validity of the policy that would apply (exit 2).
    NotInForce,
    /// Writing a result failed (exit 1).
    Io,
    /// A fault of medfund itself (exit 1).
    Internal,
}

/// Stable machine codes of [`ScenarioError::code`].
pub mod codes {
    /// The text is not TOML or JSON.
    pub const SYNTAX: &str = "syntax";
    /// A key the format does not know.
    pub const UNKNOWN_FIELD: &str = "unknown-field";
    /// A required key is missing.
    pub const MISSING_FIELD: &str = "missing-field";
    /// A value of the wrong type or out of range.
    pub const INVALID_VALUE: &str = "invalid-value";
    /// Something given twice (a key, a year, an id, a path).
    pub const DUPLICATE: &str = "duplicate";
    /// A policy not in force for a year, date or claim.
    pub const NOT_IN_FORCE: &str = "not-in-force";
    /// An input that serves nothing (a year no service year uses).
    pub const UNUSED: &str = "unused-input";
    /// A resource limit (size, memory, combinations, threads, paths).
    pub const LIMIT: &str = "limit";
    /// A file that cannot be read.
    pub const UNREADABLE: &str = "unreadable";
    /// Any other invalid input.
    pub const INVALID_INPUT: &str = "invalid-input";
    /// Writing failed.
    pub const IO: &str = "io";
    /// A fault of medfund.
    pub const INTERNAL: &str = "internal";
}

/// A failure of the pipeline. `Display` gives the one line people read:
/// `FILE:LINE:COLUMN: PATH: message`, each part where known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ScenarioError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// A stable machine code ([`codes`]).
    pub code: &'static str,
    /// The field path in the scenario (`riskpool.units[0].revenue`), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The file (scenario or list file), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The 1-based line in `file`, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The 1-based column in `file`, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// An excerpt of the value refused, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What was expected, where the message says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What is wrong, without the location (`FILE:LINE:COLUMN: PATH: ` is in the fields).
    pub message: String,
}

/// True for a field path: `section.key[2].key`, lowercase keys, digits, `_` and `-`.
fn is_path(token: &str) -> bool {
    let starts_ok = token.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    starts_ok && token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
}

impl ScenarioError {
    fn new(kind: ErrorKind, code: &'static str, message: String) -> ScenarioError {
        let mut e = ScenarioError {
            kind,
            code,
            path: None,
            file: None,
            line: None,
            column: None,
            value: None,
            expected: None,
            message,
        };
        e.take_path();
        e.take_expected();
        // Every text of an error is bounded: a 10 MB unknown key is quoted in
        // serde's message and in the path, and must not make a 40 MB answer.
        e.message = bounded(std::mem::take(&mut e.message));
        e.path = e.path.take().map(bounded);
        e.expected = e.expected.take().map(bounded);
        e
    }

    /// `PATH: rest` → the path into its field (a list file's item, `PATH (FILE) row N…`, keeps its text).
    fn take_path(&mut self) {
        if let Some((head, rest)) = self.message.split_once(": ") {
            if is_path(head) {
                self.path = Some(head.to_owned());
                self.message = rest.to_owned();
                return;
            }
        }
        if let Some((head, _)) = self.message.split_once(" (") {
            if is_path(head) {
                self.path = Some(head.to_owned());
            }
        }
    }

    fn take_expected(&mut self) {
        if let Some((_, expected)) = self.message.rsplit_once("; expected ") {
            self.expected = Some(expected.to_owned());
        }
    }

    /// Invalid input (exit 2): `message` is `PATH: what was found; expected what`
    /// (the path where there is one).
    pub fn input(message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(ErrorKind::Input, codes::INVALID_INPUT, message.into())
    }

    /// A policy not in force for what the input asks (exit 2).
    pub fn not_in_force(message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(ErrorKind::NotInForce, codes::NOT_IN_FORCE, message.into())
    }

    /// A fault of medfund (exit 1).
    pub fn other(message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(ErrorKind::Internal, codes::INTERNAL, message.into())
    }

    /// A result that could not be written (exit 1).
    pub fn io(message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(ErrorKind::Io, codes::IO, message.into())
    }

    /// The same error with a machine code.
    #[must_use]
    pub fn with_code(mut self, code: &'static str) -> ScenarioError {
        self.code = code;
        self
    }

    /// The same error at a line and column.
    #[must_use]
    pub fn with_position(mut self, line: u64, column: Option<u64>) -> ScenarioError {
        self.line = Some(line);
        self.column = column;
        self
    }

    /// The same error quoting the value refused (an excerpt is kept).
    #[must_use]
    pub fn with_value(mut self, value: &str) -> ScenarioError {
        self.value = Some(excerpt(value));
        self
    }

    /// The same error in `file`, unless it already names one (a list file
    /// named by the scenario is the more precise place).
    #[must_use]
    pub fn at(mut self, file: &str) -> ScenarioError {
        if self.file.is_none() && !file.is_empty() {
            self.file = Some(bounded(file.to_owned()));
        }
        self
    }

    /// The exit status of the contract: 2 for invalid input or a policy not
    /// in force, 1 for anything else.
    pub fn exit_status(&self) -> u8 {
        match self.kind {
            ErrorKind::Input | ErrorKind::NotInForce => EXIT_INPUT,
            ErrorKind::Io | ErrorKind::Internal => EXIT_OTHER,
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            f.write_str(file)?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(column) = self.column {
                    write!(f, ":{column}")?;
                }
            }
            f.write_str(": ")?;
        }
        if let Some(path) = &self.path {
            if !self.message.starts_with(path.as_str()) {
                write!(f, "{path}: ")?;
            }
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Shorthand.
pub type ScenarioResult<T> = Result<T, ScenarioError>;

/// The longest text of an error's field (message, path, expected, file), in
/// characters: as long as the one line the command prints.
pub const MAX_ERROR_TEXT_CHARS: usize = 4_000;

/// `text` cut at [`MAX_ERROR_TEXT_CHARS`] characters, saying so and how long it was.
fn bounded(text: String) -> String {
    match text.char_indices().nth(MAX_ERROR_TEXT_CHARS) {
        None => text,
        Some((at, _)) => {
            let all = text.chars().count();
            let mut cut = text;
            cut.truncate(at);
            cut.push_str(&format!(" … (cut: {all} characters)"));
            cut
        }
    }
}

/// A short, escaped quotation of an input value for a message (see
/// [`medfund_core::error::excerpt`]).
pub(crate) use medfund_core::error::excerpt;

/// Errors of the claims engine met inside a run (the file is added by the caller).
impl From<medfund_columnar::ColumnarError> for ScenarioError {
    fn from(e: medfund_columnar::ColumnarError) -> ScenarioError {
        crate::compute::columnar_error("supplementary.claims", "", e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_expectation_are_fields_and_the_line_reads_as_before() {
        let e =
            ScenarioError::input("riskpool.units[0].revenue: negative money -5.00; expected an amount of zero or more")
                .at("s.toml")
                .with_position(7, Some(15));
        assert_eq!(e.path.as_deref(), Some("riskpool.units[0].revenue"));
        assert_eq!(e.expected.as_deref(), Some("an amount of zero or more"));
        assert_eq!(e.message, "negative money -5.00; expected an amount of zero or more");
        assert_eq!(
            e.to_string(),
            "s.toml:7:15: riskpool.units[0].revenue: negative money -5.00; expected an amount of zero or more"
        );
        assert_eq!(e.exit_status(), EXIT_INPUT);
        // A list file's row keeps its text and gives its path.
        let row = ScenarioError::input("supplementary.claims_csv (c.csv) row 2.date: claim 1 …");
        assert_eq!(row.path.as_deref(), Some("supplementary.claims_csv"));
        assert!(row.to_string().starts_with("supplementary.claims_csv (c.csv) row 2.date"));
        // Prose is not a path.
        let prose = ScenarioError::input("the scenario has no section: nothing to compute");
        assert_eq!(prose.path, None);
        assert_eq!(ScenarioError::io("x").exit_status(), EXIT_OTHER);
    }

    /// #36 (19): a 10 MB unknown key made a 40 MB answer.
    #[test]
    fn every_text_of_an_error_is_bounded() {
        let key = "k".repeat(10 << 20);
        let e = ScenarioError::input(format!("riskpool.{key}: unknown field `{key}`; expected one of `{key}`"))
            .at(&format!("{key}.toml"));
        for (field, text) in
            [("path", e.path.as_deref()), ("message", Some(e.message.as_str())), ("expected", e.expected.as_deref())]
                .into_iter()
                .chain([("file", e.file.as_deref())])
        {
            let text = text.unwrap_or_else(|| panic!("{field}"));
            assert!(text.chars().count() <= MAX_ERROR_TEXT_CHARS + 40, "{field}: {}", text.len());
            assert!(text.ends_with(" characters)"), "{field}");
        }
        assert!(serde_json::to_string(&e).unwrap().len() < 5 * MAX_ERROR_TEXT_CHARS);
        // Short texts are untouched.
        assert_eq!(ScenarioError::input("x: bad").message, "bad");
    }
}
