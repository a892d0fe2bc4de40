//! The integration tests of `medfund-scenario`, one binary for the crate (one link
//! of its dependencies instead of one per file): each module is one
//! former test file.

mod citations;
mod claims_at_scale;
mod common;
mod contributions;
mod list_tables;
mod one_stop;
mod one_stop_at_scale;
mod parse_value;
mod parts;
mod projection_paths;
mod projection_reforms;
mod projection_shocks;
mod projection_streams_paths;
mod projection_two_pass;
mod projection_unit_correlation;
mod random_scenarios;
mod report_size;
mod revenue_link;
mod scale_common;
mod schemas;
mod trace;
