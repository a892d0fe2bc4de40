//! Any text as a JSON scenario: parse, compute, render; never a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| common::check_scenario(data, medfund_scenario::ScenarioFormat::Json, "fuzz.json"));
