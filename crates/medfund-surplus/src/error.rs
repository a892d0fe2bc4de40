//! The crate's error type.

use medfund_core::CoreError;
use thiserror::Error;

/// Everything that can go wrong allocating a surplus.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SurplusError {
    /// An error of the core arithmetic.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Earmarks and the primary floor together take more than the whole surplus.
    #[error(
        "earmarks ({earmarks}) plus the primary floor ({floor}) come to {sum}, above 100%; expected at most 100% of the surplus"
    )]
    OverCommitted {
        /// Σ earmark rates.
        earmarks: String,
        /// The primary floor.
        floor: String,
        /// Their sum.
        sum: String,
    },
    /// A value is outside its allowed range.
    #[error("{field} of {subject} is {value}; expected {expected}")]
    OutOfRange {
        /// Whose value.
        subject: String,
        /// The field.
        field: &'static str,
        /// The value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// Two institutions share an id.
    #[error("institution id {id:?} appears twice; expected unique institution ids")]
    DuplicateInstitution {
        /// The id.
        id: String,
    },
    /// A spending line names a category that is neither allowed, nor
    /// declared as another use, nor one of the framework's six.
    #[error(
        "spending line {line} has category {category:?}, which is not a known use; expected one of {} (or the source's Chinese name of one of the six), or a use declared in other_categories",
        known.join(", ")
    )]
    UnknownCategory {
        /// The spending line (0-based).
        line: usize,
        /// The category as given.
        category: String,
        /// The categories a line may name.
        known: Vec<String>,
    },
    /// A spending line names an institution that is not in the list.
    #[error(
        "spending line {line} names institution {id:?}, which is not among the institutions; expected the id of a listed institution"
    )]
    UnknownInstitution {
        /// The spending line (0-based).
        line: usize,
        /// The id.
        id: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = SurplusError> = std::result::Result<T, E>;
