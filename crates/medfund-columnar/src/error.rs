//! The errors of reading, settling and writing claims as columns.

use std::path::PathBuf;

/// What went wrong, with the row (0-based, in input order) or column it
/// concerns as data, never only in a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ColumnarError {
    /// A column is missing, repeated or of a type that cannot hold the field.
    #[error("claims: {problem}; expected {expected}")]
    Column {
        /// The column's name.
        column: String,
        /// What is wrong.
        problem: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A value of one row cannot be read as its field.
    #[error("supplementary.claims[{row}].{column}: {problem}; expected {expected}")]
    Value {
        /// The row, 0-based in input order.
        row: u64,
        /// The column.
        column: &'static str,
        /// What was found.
        problem: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A value of a table read as text cells ([`crate::TableRows`]) has no
    /// exact text.
    #[error("row {}: column {column}: {problem}; expected {expected}", row.saturating_add(1))]
    Cell {
        /// The row, 0-based.
        row: u64,
        /// The column's name.
        column: String,
        /// What was found.
        problem: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The input says it is sorted by person, and a row's person sorts
    /// before the previous row's.
    #[error(
        "supplementary.claims[{row}].person: {person:?} comes after {previous:?}, but the claims are declared sorted by person; expected persons in ascending order, or claims_sorted_by_person = false"
    )]
    Unsorted {
        /// The row, 0-based.
        row: u64,
        /// Its person.
        person: String,
        /// The previous row's person.
        previous: String,
    },
    /// The claims of one partition could not be split into parts that fit
    /// the memory budget (or partitions were forced: `Options::partitions`).
    #[error(
        "claims: a partition of {needed} bytes of claim records could not be split into parts that fit the memory budget of {budget} bytes; expected a larger budget (--memory-budget)"
    )]
    Budget {
        /// Bytes of claim records of the partition.
        needed: u64,
        /// The budget.
        budget: u64,
    },
    /// The claims of one person need more memory to settle together (they
    /// must be) than the whole budget.
    #[error(
        "claims: the claims of person {person} need about {needed} bytes of memory to settle together, more than the memory budget of {budget} bytes; expected a larger budget (--memory-budget)"
    )]
    Person {
        /// The person, as the report shows it.
        person: String,
        /// Bytes of memory its claims need.
        needed: u64,
        /// The budget.
        budget: u64,
    },
    /// The options of a run are not usable (no partitions, too many…).
    #[error("{option}: {problem}; expected {expected}")]
    Option {
        /// The option.
        option: &'static str,
        /// What was given.
        problem: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A file could not be read or written.
    #[error("{}: {operation}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done (`read`, `write`, `create`, `rename`).
        operation: &'static str,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid Parquet or Arrow IPC (as the format's reader says).
    #[error("{}: not readable as {format}: {problem}", path.display())]
    Format {
        /// The file (or the name it was given by).
        path: PathBuf,
        /// `parquet` or `arrow`.
        format: &'static str,
        /// The reader's words.
        problem: String,
    },
    /// An output path at which something other than a regular file stands
    /// (a link, a FIFO, a device, a directory): refused, never written
    /// through or replaced.
    #[error("{}: {kind} is there; expected a regular file or a new name", path.display())]
    Output {
        /// The output path.
        path: PathBuf,
        /// What is there: `a symbolic link`, `a FIFO`, …
        kind: &'static str,
    },
    /// Arrow refused to build a table of results (a bug if it happens: the
    /// schema is ours).
    #[error("internal: building the results table: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

impl ColumnarError {
    /// A value error of `row`.
    pub(crate) fn value(row: u64, column: &'static str, problem: impl Into<String>, expected: &'static str) -> Self {
        ColumnarError::Value { row, column, problem: problem.into(), expected }
    }

    /// The row this error names, if any.
    pub fn row(&self) -> Option<u64> {
        match self {
            ColumnarError::Value { row, .. }
            | ColumnarError::Unsorted { row, .. }
            | ColumnarError::Cell { row, .. } => Some(*row),
            _ => None,
        }
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, operation: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ColumnarError::Io { path, operation, source }
    }
}

/// The result of this crate.
pub type Result<T> = std::result::Result<T, ColumnarError>;
