//! §8 dated reforms (`[[projection.reforms]]`): the policy changes from a
//! projected year on, earlier years are untouched, a reform that restates
//! the policy changes nothing, reforms accumulate, and a bad reform is an
//! error naming it.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use medfund_scenario::{ScenarioFormat, parse_scenario};

use crate::common;

const BASE: &str = r#"
[riskpool]
year = 2024
[riskpool.employee]
opening_balance = "300万"
[[riskpool.units]]
id = "a"
scheme = "employee"
revenue = "1亿"
expenditure = "9800万"
[[riskpool.units]]
id = "b"
scheme = "employee"
revenue = "5000万"
expenditure = "5600万"
[projection]
years = 6
trials = 200
seed = 5
[projection.default]
revenue_growth = { mean = "4%", sd = "2%" }
expenditure_growth = { mean = "6%", sd = "3%" }
"#;

fn simulate(extra: &str) -> Result<serde_json::Value, String> {
    common::projection_json(&format!("{BASE}{extra}")).map(|json| serde_json::from_str(&json).unwrap())
}

fn years(v: &serde_json::Value) -> &Vec<serde_json::Value> {
    v["projection"]["schemes"]["employee"].as_array().unwrap()
}

#[test]
fn a_reform_changes_the_years_from_its_own_on() {
    let base = simulate("").unwrap();
    let reformed = simulate("[[projection.reforms]]\nfrom = 2027\npolicy = { levy_rate = \"25%\" }\n").unwrap();
    let (b, r) = (years(&base), years(&reformed));
    // 2024–2026 under the riskpool policy: the same draws, the same figures.
    assert_eq!(b[..3], r[..3]);
    // From 2027 a levy of 25 % instead of 10 % fills the fund faster.
    let mean = |y: &serde_json::Value| y["mean_closing_balance"].as_str().unwrap().parse::<f64>().unwrap();
    for (b, r) in b[3..].iter().zip(&r[3..]) {
        assert!(mean(r) > mean(b), "{} {} vs {}", r["year"], mean(r), mean(b));
    }
    // A reform restating the policy in force changes nothing.
    let same = simulate("[[projection.reforms]]\nfrom = 2026\npolicy = { levy_rate = \"10%\" }\n").unwrap();
    assert_eq!(same, base);
}

#[test]
fn reforms_accumulate() {
    // The second reform names only the cap: the first one's levy still holds,
    // as if the second restated it.
    let two = "[[projection.reforms]]\nfrom = 2026\npolicy = { levy_rate = \"20%\" }\n\
               [[projection.reforms]]\nfrom = 2028\npolicy = { cap_multiple = \"0.5\" }\n";
    let levy_then_both = "[[projection.reforms]]\nfrom = 2026\npolicy = { levy_rate = \"20%\" }\n\
               [[projection.reforms]]\nfrom = 2028\npolicy = { levy_rate = \"20%\", cap_multiple = \"0.5\" }\n";
    assert_eq!(simulate(two).unwrap(), simulate(levy_then_both).unwrap());
}

#[test]
fn a_bad_reform_is_an_error_naming_it() {
    for (extra, expected) in [
        (
            "[[projection.reforms]]\nfrom = 2024\npolicy = { levy_rate = \"5%\" }\n",
            "projection.reforms[0].from: 2024; expected a year after the riskpool year 2024",
        ),
        (
            "[[projection.reforms]]\nfrom = 2030\npolicy = { levy_rate = \"5%\" }\n",
            "projection.reforms[0].from: 2030; expected a projected year (2024–2029)",
        ),
        (
            "[[projection.reforms]]\nfrom = 2027\npolicy = { levy_rate = \"5%\" }\n[[projection.reforms]]\nfrom = 2026\npolicy = { levy_rate = \"6%\" }\n",
            "projection.reforms[1].from: 2026; expected a year after projection.reforms[0].from (2027)",
        ),
        (
            "[[projection.reforms]]\nfrom = 2027\npolicy = { cap_multiple = \"-1\" }\n",
            "projection.reforms[0].policy.cap_multiple",
        ),
    ] {
        let e = simulate(extra).unwrap_err();
        assert!(e.contains(expected), "{extra}: {e}");
        // `run` and `check` validate the section too.
        let s = parse_scenario(&format!("{BASE}{extra}"), ScenarioFormat::Toml, "p.toml").unwrap();
        let e = medfund_scenario::run_scenario(&s, "p.toml", false).unwrap_err();
        assert!(e.to_string().contains(expected), "{extra}: {e}");
    }
    // Unknown parameters and keys are refused where they are written.
    let e = simulate("[[projection.reforms]]\nfrom = 2027\npolicy = { levy = \"5%\" }\n").unwrap_err();
    assert!(e.contains("levy"), "{e}");
    let e = simulate("[[projection.reforms]]\nfrom = 2027\nlevy_rate = \"5%\"\n").unwrap_err();
    assert!(e.contains("levy_rate"), "{e}");
}
