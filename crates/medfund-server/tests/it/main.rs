//! The integration tests of `medfund-server`, one binary for the crate (one link
//! of its dependencies instead of one per file): each module is one
//! former test file.

mod common;
mod connections;
mod faults;
mod openapi;
mod projection_files;
mod service;
mod work_limits;
