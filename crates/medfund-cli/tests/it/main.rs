//! The integration tests of `medfund-cli`, one binary for the crate (one link
//! of its dependencies instead of one per file): each module is one
//! former test file.

mod chart;
mod clashes;
mod cli;
mod columnar_inputs;
mod common;
mod errors;
mod hardening;
mod input_fidelity;
mod serve;
