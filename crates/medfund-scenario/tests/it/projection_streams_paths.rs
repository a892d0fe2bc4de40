//! §8 `streams = "per_unit"` and growth `path`s: a unit's draws do not move
//! when another unit is added; a path of equal means is the constant mean;
//! a path without sd is deterministic; malformed growth is an error naming
//! the field.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use crate::common;

/// Employee units a, b (and `extra`), a resident unit r; `projection` is
/// added to `[projection]`, `growth` is `[projection.default]`.
fn scenario(extra: &str, projection: &str, growth: &str) -> String {
    let unit = |id: &str, scheme: &str| {
        format!(
            "[[riskpool.units]]\nid = \"{id}\"\nscheme = \"{scheme}\"\nrevenue = \"1亿\"\nexpenditure = \"9800万\"\n"
        )
    };
    let mut units = unit("a", "employee") + &unit("b", "employee");
    if !extra.is_empty() {
        units.push_str(&unit(extra, "employee"));
    }
    units.push_str(&unit("r", "resident"));
    format!(
        "[riskpool]\nyear = 2024\n[riskpool.employee]\nopening_balance = \"1000万\"\n[riskpool.resident]\nopening_balance = \"1000万\"\n{units}\
         [projection]\nyears = 5\ntrials = 800\nseed = 9\n{projection}\n[projection.default]\n{growth}"
    )
}

const NORMAL: &str =
    "revenue_growth = { mean = \"5%\", sd = \"3%\" }\nexpenditure_growth = { mean = \"6%\", sd = \"3%\" }\n";

fn resident(json: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["projection"]["schemes"]["resident"].clone()
}

/// Rule: scenario contract §8, per-unit streams (common random numbers).
#[test]
fn per_unit_streams_keep_the_resident_draws_when_an_employee_unit_is_added() {
    for shocks in ["", "[projection.shocks]\nacross_units = \"40%\"\npersistence = \"30%\"\n"] {
        let per_unit = |extra: &str| {
            common::projection_json(&format!("{}{shocks}", scenario(extra, "streams = \"per_unit\"", NORMAL))).unwrap()
        };
        assert_eq!(resident(&per_unit("")), resident(&per_unit("z")), "{shocks}");
        let per_trial = |extra: &str| {
            common::projection_json(&format!("{}{shocks}", scenario(extra, "streams = \"per_trial\"", NORMAL))).unwrap()
        };
        assert_ne!(resident(&per_trial("")), resident(&per_trial("z")), "{shocks}");
    }
    // "per_trial" is the default, draw for draw.
    assert_eq!(
        common::projection_json(&scenario("", "", NORMAL)).unwrap(),
        common::projection_json(&scenario("", "streams = \"per_trial\"", NORMAL)).unwrap()
    );
}

/// Rule: scenario contract §8, deterministic scenario paths.
#[test]
fn paths_are_means_per_year_and_without_sd_deterministic() {
    let path = |p: &str, sd: &str| {
        format!("revenue_growth = {{ path = [{p}]{sd} }}\nexpenditure_growth = {{ mean = \"6%\", sd = \"3%\" }}\n")
    };
    let run = |growth: &str| common::projection_json(&scenario("", "", growth)).unwrap();
    // Equal means: the constant mean, draw for draw, with and without spread.
    let equal = "\"5%\", \"5%\", \"5%\", \"5%\"";
    assert_eq!(run(&path(equal, ", sd = \"3%\"")), run(NORMAL));
    let fixed =
        "revenue_growth = { mean = \"5%\", sd = \"0%\" }\nexpenditure_growth = { mean = \"6%\", sd = \"0%\" }\n";
    let fixed_path = "revenue_growth = { path = [\"5%\", \"5%\", \"5%\", \"5%\"] }\nexpenditure_growth = { path = [\"6%\", \"6%\", \"6%\", \"6%\"] }\n";
    assert_eq!(run(fixed_path), run(fixed));
    // A path of its own: every trial the same, and another result than the constant.
    let own = "revenue_growth = { path = [\"8%\", \"2%\", \"-3%\", \"5%\"] }\nexpenditure_growth = { path = [\"6%\", \"6%\", \"6%\", \"6%\"] }\n";
    let v: serde_json::Value = serde_json::from_str(&run(own)).unwrap();
    for year in v["projection"]["schemes"]["employee"].as_array().unwrap() {
        let b = &year["closing_balance"];
        assert_eq!(b["p5"], b["p95"], "{year}");
    }
    assert_ne!(run(own), run(fixed));
}

#[test]
fn malformed_growth_and_streams_are_errors_naming_the_field() {
    for (growth, projection, expected) in [
        (
            "revenue_growth = { mean = \"5%\", path = [\"5%\", \"5%\", \"5%\", \"5%\"], sd = \"1%\" }",
            "",
            "projection.default.revenue_growth: both mean and path",
        ),
        ("revenue_growth = { sd = \"1%\" }", "", "projection.default.revenue_growth: neither mean nor path"),
        ("revenue_growth = { mean = \"5%\" }", "", "projection.default.revenue_growth.sd: missing"),
        (
            "revenue_growth = { path = [\"5%\", \"5%\"] }",
            "",
            "projection.default.revenue_growth.path: 2 rate(s) for a projection of 5 year(s); expected 4",
        ),
        ("revenue_growth = { mean = \"5%\", sd = \"1%\" }", "streams = \"per_scheme\"", "streams"),
    ] {
        let text =
            scenario("", projection, &format!("{growth}\nexpenditure_growth = {{ mean = \"6%\", sd = \"3%\" }}\n"));
        let e = common::projection_json(&text).unwrap_err();
        assert!(e.contains(expected), "{growth}: {e}");
    }
}
