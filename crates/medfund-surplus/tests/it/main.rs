//! The integration tests of `medfund-surplus`, one binary for the crate (one link
//! of its dependencies instead of one per file): each module is one
//! former test file.

mod framework;
mod properties;
