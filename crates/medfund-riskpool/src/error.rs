//! The crate's error type.

use medfund_core::CoreError;
use thiserror::Error;

/// Everything that can go wrong computing a risk-fund year.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RiskPoolError {
    /// An error of the core arithmetic or calendar (overflow, policy not in force…).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A revenue, expenditure or balance is negative.
    #[error("{field} of {subject} is negative ({value}); expected an amount of zero or more")]
    NegativeAmount {
        /// The unit id or scheme.
        subject: String,
        /// The field name.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// A policy parameter is outside its allowed range.
    #[error("policy parameter {field} = {value} is invalid; expected {expected}")]
    InvalidPolicy {
        /// The field name.
        field: &'static str,
        /// The value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// Two units of one scheme share an id.
    #[error("unit id {id:?} appears twice in the {scheme} scheme; expected unique unit ids per scheme")]
    DuplicateUnit {
        /// The scheme.
        scheme: String,
        /// The repeated id.
        id: String,
    },
    /// A scheme appears twice in one fund year.
    #[error("scheme {scheme} is given twice; expected each scheme at most once")]
    DuplicateScheme {
        /// The scheme.
        scheme: String,
    },
    /// A multi-year series does not cover the years asked for.
    #[error("unit {id:?} has {found} yearly figures; expected {expected} (one per projected year)")]
    SeriesLength {
        /// The unit id.
        id: String,
        /// Figures given.
        found: usize,
        /// Figures expected.
        expected: usize,
    },
    /// Blocks of trials that do not make up one projection (a gap, an
    /// overlap, another shape, or bytes that are not a block).
    #[error("trial blocks: {found}; expected {expected}")]
    TrialBlocks {
        /// What was found.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A remittance record names an impossible month.
    #[error("collection month {year}-{month:02} of unit {unit:?} is not a month; expected a month 1–12")]
    InvalidMonth {
        /// The unit.
        unit: String,
        /// The year.
        year: i32,
        /// The month as given.
        month: u32,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = RiskPoolError> = std::result::Result<T, E>;
