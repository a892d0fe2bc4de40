//! The crate's error type.

use medfund_core::{CoreError, NaiveDate};
use thiserror::Error;

/// Everything that can go wrong computing contributions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ContribError {
    /// An error of the core arithmetic or calendar (an overflow names its operation).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A policy parameter is out of its range.
    #[error("policy parameter {field} = {value} is invalid; expected {expected}")]
    InvalidPolicy {
        /// The parameter.
        field: &'static str,
        /// Its value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A parameter the source leaves blank is needed for the figure asked for.
    #[error(
        "policy parameter {field} is not set: the source leaves it blank and medfund invents no number; expected a value to compute {needed_for}"
    )]
    MissingParameter {
        /// The parameter.
        field: &'static str,
        /// The figure that needs it.
        needed_for: &'static str,
    },
    /// A financing category whose parts do not add up to its per-capita amount.
    #[error(
        "financing category {category:?}: personal {personal} + subsidies {subsidies} ≠ per-capita amount {per_capita}; expected the parts to add up"
    )]
    PartsDoNotAddUp {
        /// The category.
        category: String,
        /// Per-capita amount.
        per_capita: String,
        /// Personal part.
        personal: String,
        /// Σ subsidies.
        subsidies: String,
    },
    /// A financing table lists a category twice.
    #[error("financing category {category:?} is listed twice; expected each category once")]
    DuplicateCategory {
        /// The category.
        category: String,
    },
    /// A headcount names a category the table does not have.
    #[error("headcount {index}: unknown category {category:?}; expected one of {known}")]
    UnknownCategory {
        /// The row.
        index: usize,
        /// The category named.
        category: String,
        /// The categories of the table.
        known: String,
    },
    /// An input row has a value out of its range.
    #[error("{subject} {index}: {field} = {value} is invalid; expected {expected}")]
    InvalidInput {
        /// What the rows are (`employee`, `arrear`…).
        subject: &'static str,
        /// The row.
        index: usize,
        /// The field.
        field: &'static str,
        /// The value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// No version of a dated policy is in force on a date.
    #[error("no version of {family} is in force on {date}; expected a date within {window}")]
    NotInForce {
        /// The policy family.
        family: String,
        /// The date.
        date: NaiveDate,
        /// The validity of the versions, as text.
        window: String,
    },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, ContribError>;
