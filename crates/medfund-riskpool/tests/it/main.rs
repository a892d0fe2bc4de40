//! The integration tests of `medfund-riskpool`, one binary for the crate (one link
//! of its dependencies instead of one per file): each module is one
//! former test file.

mod articles;
mod common;
mod projection;
mod projection_stats;
mod projection_streams_paths;
mod projection_two_pass;
mod projection_units;
mod properties;
