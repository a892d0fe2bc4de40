//! The CLI's error: a message for people and an exit status for machines.

use std::fmt;

/// Exit status 2: invalid input or policy not in force.
pub const EXIT_INPUT: u8 = 2;
/// Exit status 1: any other failure.
pub const EXIT_OTHER: u8 = 1;

/// A failure with its exit status. The message is one line (what, where, what was expected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The exit status.
    pub code: u8,
    /// The message.
    pub message: String,
}

impl CliError {
    /// Invalid input (exit 2).
    pub fn input(message: impl Into<String>) -> CliError {
        CliError { code: EXIT_INPUT, message: message.into() }
    }

    /// Any other failure (exit 1).
    pub fn other(message: impl Into<String>) -> CliError {
        CliError { code: EXIT_OTHER, message: message.into() }
    }

    /// Prefixes the message with a location (`file`, `file:line:col`, a field path).
    #[must_use]
    pub fn at(mut self, location: &str) -> CliError {
        if !location.is_empty() {
            self.message = format!("{location}: {}", self.message);
        }
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Shorthand.
pub type CliResult<T> = Result<T, CliError>;

/// A short, escaped quotation of an input value for a message (see
/// [`medfund_core::error::excerpt`]).
pub(crate) use medfund_core::error::excerpt;
