//! Any bytes as the arguments of `simulate` and `sweep`: projection sizes
//! and growth, `--set` lists. Never a panic, every error an input error,
//! nothing allocated past the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medfund_scenario::{EXIT_INPUT, Limits, ScenarioFormat, Setting, parse_scenario, simulate_scenario};

fn projection(years: &str, trials: &str, mean: &str, sd: &str) -> String {
    format!(
        "[riskpool]\nyear = 2024\n[[riskpool.units]]\nid = \"u\"\nscheme = \"employee\"\nrevenue = \"1000\"\nexpenditure = \"950\"\n\
         [projection]\nyears = {years}\ntrials = {trials}\nseed = 7\n[projection.default]\n\
         revenue_growth = {{ mean = {mean:?}, sd = {sd:?} }}\nexpenditure_growth = {{ mean = \"5%\", sd = \"1%\" }}\n"
    )
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(5, '\n');
    let (years, trials, mean, sd) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    // Small limits: whatever passes them is cheap to run.
    let mut limits = Limits::default();
    limits.projection_bytes = 1 << 20;
    limits.sweep_combinations = 16;
    if let Ok(scenario) = parse_scenario(&projection(years, trials, mean, sd), ScenarioFormat::Toml, "fuzz.toml") {
        if let Err(e) = simulate_scenario(&scenario, "fuzz.toml", ".", &limits, &|_| {}) {
            assert_eq!(e.exit_status(), EXIT_INPUT, "{e}");
        }
    }
    if let Some(set) = parts.next() {
        if let Err(e) = set.parse::<Setting>() {
            assert_eq!(e.exit_status(), EXIT_INPUT, "{e}");
        }
    }
});
