//! The crate's error type.

use chrono::NaiveDate;
use thiserror::Error;

/// Everything that can go wrong in `medfund-core`.
///
/// Every message says what was found and what was expected, so that it can be
/// shown to a person without further decoration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A text could not be read as an amount of money.
    #[error(
        "invalid money {}: {reason}; expected yuan such as \"1234.56\", \"1,234.56\", \"40万\" or \"1.2亿\"",
        excerpt(input)
    )]
    InvalidMoney {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An amount has more than two decimal places (finer than one fen).
    #[error(
        "money {} has more than two decimal places; expected whole fen (at most two decimals), never a silent rounding",
        excerpt(input)
    )]
    SubFenPrecision {
        /// The text or number as given.
        input: String,
    },
    /// A text could not be read as a rate.
    #[error("invalid rate {}: {reason}; expected a rate such as \"4%\", \"2‰\", \"0.04\" or 0.04", excerpt(input))]
    InvalidRate {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A text could not be read as a quantity (score, workload).
    #[error("invalid number {}: {reason}; expected a decimal number such as 86 or 86.5", excerpt(input))]
    InvalidQuantity {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A share (a rate that is a part of a whole) lies outside [0, 1].
    #[error("share {value} lies outside [0, 1]; expected a share between 0% and 100%")]
    ShareOutOfRange {
        /// The rate as a decimal fraction.
        value: String,
    },
    /// A value that must not be negative is negative.
    #[error("{what} is negative ({value}); expected zero or more")]
    Negative {
        /// What the value is (e.g. "weight 3").
        what: String,
        /// The value as text.
        value: String,
    },
    /// Arithmetic on money left the representable range (about ±9.2 × 10^16 yuan).
    #[error("arithmetic overflow in {operation}; expected amounts within ±92,233,720,368,547,758.07 yuan")]
    Overflow {
        /// The operation that overflowed.
        operation: &'static str,
    },
    /// A split was asked for with weights that sum to zero.
    #[error("cannot split {amount} yuan: the weights sum to zero; expected at least one positive weight")]
    ZeroTotalWeight {
        /// The amount to split, in yuan.
        amount: String,
    },
    /// Two slices that must be of equal length are not.
    #[error("length mismatch: {what} has {found} entries; expected {expected}")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Its length.
        found: usize,
        /// The length expected.
        expected: usize,
    },
    /// A date or calendar parameter is not valid.
    #[error("invalid date: {reason}")]
    InvalidDate {
        /// What is wrong.
        reason: String,
    },
    /// No policy version is in force at the date (or year) asked for.
    #[error("no version of policy {policy:?} is in force on {date}; versions available: {windows}")]
    PolicyNotInForce {
        /// The policy family.
        policy: String,
        /// The date asked for.
        date: NaiveDate,
        /// The validity windows available, as text.
        windows: String,
    },
    /// Two versions of a policy overlap in time.
    #[error(
        "policy versions {first:?} ({first_window}) and {second:?} ({second_window}) overlap; expected disjoint validity windows"
    )]
    OverlappingVersions {
        /// The id of the earlier version.
        first: String,
        /// Its window.
        first_window: String,
        /// The id of the later version.
        second: String,
        /// Its window.
        second_window: String,
    },
    /// A policy version's validity window ends before it starts.
    #[error("policy version {id:?} ends ({to}) before it starts ({from}); expected valid_to ≥ valid_from")]
    EmptyWindow {
        /// The version id.
        id: String,
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// At most this many characters of an input are quoted in a message.
const EXCERPT_CHARS: usize = 60;

/// A short, escaped quotation of an input for a message: quotes and control
/// characters escaped, cut after 60 characters with `…` and the full length,
/// so that a huge or hostile value is never echoed whole.
///
/// ```
/// use medfund_core::error::excerpt;
/// assert_eq!(excerpt("40万"), "\"40万\"");
/// assert_eq!(excerpt("a\u{1b}[2J"), "\"a\\u{1b}[2J\"");
/// assert!(excerpt(&"9".repeat(1_000_000)).ends_with("… (1000000 characters)"));
/// ```
pub fn excerpt(input: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = input.chars();
    for c in chars.by_ref().take(EXCERPT_CHARS) {
        out.extend(c.escape_debug());
    }
    out.push('"');
    if chars.next().is_some() {
        out.push_str(&format!("… ({} characters)", input.chars().count()));
    }
    out
}
