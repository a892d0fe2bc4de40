//! Helpers shared by the projection tests.
// Each test binary uses some of these helpers, never all of them.
#![allow(dead_code, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

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

/// Three employee units a, b, c, each with revenue 1亿 and expenditure
/// 9500万 in 2024, projected 6 years over 2,000 trials with 5 % ± 3 %
/// growth: the base of the shock tests.
pub(crate) const THREE_UNITS: &str = r#"
[riskpool]
year = 2024
[riskpool.employee]
opening_balance = "3000万"
[[riskpool.units]]
id = "a"
scheme = "employee"
revenue = "1亿"
expenditure = "9500万"
[[riskpool.units]]
id = "b"
scheme = "employee"
revenue = "1亿"
expenditure = "9500万"
[[riskpool.units]]
id = "c"
scheme = "employee"
revenue = "1亿"
expenditure = "9500万"
[projection]
years = 6
trials = 2000
seed = 11
[projection.default]
revenue_growth = { mean = "5%", sd = "3%" }
expenditure_growth = { mean = "5%", sd = "3%" }
"#;

/// The employee scheme's last projected year in a projection's JSON.
fn last_employee_year(json: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(json).expect("projection JSON");
    v["projection"]["schemes"]["employee"].as_array().and_then(|years| years.last()).expect("a projected year").clone()
}

/// p95 − p5 of the employee scheme's closing balance in the last year, in yuan.
#[allow(clippy::float_arithmetic)] // a test statistic, not money
pub(crate) fn spread(json: &str) -> f64 {
    let last = last_employee_year(json);
    let yuan =
        |k: &str| last["closing_balance"][k].as_str().and_then(|s| s.parse::<f64>().ok()).expect("a yuan amount");
    yuan("p95") - yuan("p5")
}

/// The employee scheme's probability of a review by the last year.
pub(crate) fn risk(json: &str) -> f64 {
    last_employee_year(json)["p_review_cumulative"].as_f64().expect("p_review_cumulative")
}
