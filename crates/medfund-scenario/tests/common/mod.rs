//! Helpers shared by the projection tests.

use std::path::PathBuf;

use medfund_scenario::{Limits, ScenarioFormat, parse_scenario, simulate_scenario};

/// The projection of the scenario `text` (TOML) as `medfund simulate
/// --format json` prints it, or the first error's message.
pub(crate) fn projection_json(text: &str) -> Result<String, String> {
    let s = parse_scenario(text, ScenarioFormat::Toml, "p.toml").map_err(|e| e.to_string())?;
    let p =
        simulate_scenario(&s, "p.toml", PathBuf::from("."), &Limits::default(), &|_| {}).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    medfund_scenario::write_projection_json(&p, false, &mut out).map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}
