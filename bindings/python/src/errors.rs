//! Errors of the pipeline as the Python exceptions of `medfund.errors`:
//! `InputError` (with `.code`, `.path`, `.line`, `.column`, `.expected`,
//! `.errors` for every error found), `NotInForceError`, `MedfundError`.

use medfund_scenario::{ErrorKind, ScenarioError};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// The exception for `errors` (at least one; the first names the class).
/// `positions` keeps line and column (text the caller wrote); a document
/// built from a dict has none worth giving.
pub(crate) fn raise(py: Python<'_>, mut errors: Vec<ScenarioError>, positions: bool) -> PyErr {
    if !positions {
        for e in &mut errors {
            e.line = None;
            e.column = None;
        }
    }
    let Some(first) = errors.first() else {
        return PyRuntimeError::new_err("medfund: an error without a description");
    };
    let class = match first.kind {
        ErrorKind::Input => "InputError",
        ErrorKind::NotInForce => "NotInForceError",
        _ => "MedfundError",
    };
    let message = first.to_string();
    let payload = match serde_json::to_string(&errors) {
        Ok(p) => p,
        Err(e) => return PyRuntimeError::new_err(format!("medfund: cannot describe an error: {e}")),
    };
    let made = py.import("medfund.errors").and_then(|m| m.getattr(class)).and_then(|cls| cls.call1((message, payload)));
    match made {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

/// One error as the exception.
pub(crate) fn raise_one(py: Python<'_>, e: ScenarioError, positions: bool) -> PyErr {
    raise(py, vec![e], positions)
}

/// An input error of the binding itself (a column of the wrong type…), in
/// the same form as the pipeline's.
pub(crate) fn input(py: Python<'_>, message: String) -> PyErr {
    raise_one(py, ScenarioError::input(message), false)
}
