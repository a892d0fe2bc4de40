//! The error of the scenario pipeline: a message for people and the exit
//! status of the contract (2: invalid input or policy not in force; 1: any
//! other failure) for machines and front ends.

use std::fmt;

/// Exit status 2: invalid input or policy not in force.
pub const EXIT_INPUT: u8 = 2;
/// Exit status 1: any other failure.
pub const EXIT_OTHER: u8 = 1;

/// A failure with its exit status. The message is one line (what, where, what was expected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The exit status.
    pub code: u8,
    /// The message.
    pub message: String,
}

impl ScenarioError {
    /// Invalid input (exit 2).
    pub fn input(message: impl Into<String>) -> ScenarioError {
        ScenarioError { code: EXIT_INPUT, message: message.into() }
    }

    /// Any other failure (exit 1).
    pub fn other(message: impl Into<String>) -> ScenarioError {
        ScenarioError { code: EXIT_OTHER, message: message.into() }
    }

    /// Prefixes the message with a location (`file`, `file:line:col`, a field path).
    #[must_use]
    pub fn at(mut self, location: &str) -> ScenarioError {
        if !location.is_empty() {
            self.message = format!("{location}: {}", self.message);
        }
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Shorthand.
pub type ScenarioResult<T> = Result<T, ScenarioError>;

/// A short, escaped quotation of an input value for a message (see
/// [`medfund_core::error::excerpt`]).
pub(crate) use medfund_core::error::excerpt;
