//! §8 `[projection.shocks]`: correlated, persistent and heavy-tailed growth
//! draws. Defaults give the independent model byte for byte; correlation and
//! persistence widen the spread of the scheme's balance; results do not
//! depend on the thread count; bad parameters are errors naming them.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::float_arithmetic, missing_docs)]

use crate::common;

use common::{risk, spread};

fn simulate(extra: &str) -> Result<String, String> {
    common::projection_json(&format!("{}{extra}", common::THREE_UNITS))
}

#[test]
fn default_shocks_are_the_independent_model_byte_for_byte() {
    let zero = "[projection.shocks]\nrevenue_expenditure = \"0%\"\nacross_units = \"0\"\npersistence = \"0%\"\ndistribution = \"normal\"\n";
    assert_eq!(simulate(zero).unwrap(), simulate("").unwrap());
}

#[test]
fn correlation_and_persistence_widen_the_spread_and_threads_do_not_matter() {
    let independent = spread(&simulate("").unwrap());
    // Units moving together: their gaps and surpluses no longer offset.
    let across = simulate("[projection.shocks]\nacross_units = \"90%\"\n").unwrap();
    assert!(spread(&across) > 1.3 * independent, "{} vs {independent}", spread(&across));
    // Growth that persists: deviations compound over the years.
    let persistent = simulate("[projection.shocks]\npersistence = \"80%\"\n").unwrap();
    assert!(spread(&persistent) > 1.15 * independent, "{} vs {independent}", spread(&persistent));
    // Revenue and expenditure moving together: a unit's gap varies less,
    // so fewer trials see a review.
    let together = simulate("[projection.shocks]\nrevenue_expenditure = \"90%\"\n").unwrap();
    let base = simulate("").unwrap();
    assert!(risk(&together) < 0.5 * risk(&base), "{} vs {}", risk(&together), risk(&base));
    let heavy =
        "[projection.shocks]\nacross_units = \"50%\"\npersistence = \"50%\"\ndistribution = { student_t = 4 }\n";
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| simulate(heavy).unwrap());
    let many = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap().install(|| simulate(heavy).unwrap());
    assert_eq!(one, many);
}

#[test]
fn bad_shocks_are_errors_naming_the_parameter() {
    for (extra, expected) in [
        ("[projection.shocks]\npersistence = \"100%\"\n", "shocks.persistence"),
        ("[projection.shocks]\nacross_units = \"-10%\"\n", "shocks.across_units"),
        ("[projection.shocks]\nrevenue_expenditure = \"150%\"\n", "shocks.revenue_expenditure"),
        ("[projection.shocks]\ndistribution = { student_t = 2 }\n", "shocks.distribution"),
        ("[projection.shocks]\ncorrelation = \"10%\"\n", "correlation"),
    ] {
        let e = simulate(extra).unwrap_err();
        assert!(e.contains(expected), "{extra}: {e}");
    }
}
