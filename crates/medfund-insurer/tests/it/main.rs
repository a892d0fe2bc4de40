//! The integration tests of `medfund-insurer`, one binary for the crate (one link
//! of its dependencies instead of one per file): each module is one
//! former test file.

mod batch;
mod input_checks;
mod onestop_properties;
mod onestop_sources;
mod properties;
mod sources;
