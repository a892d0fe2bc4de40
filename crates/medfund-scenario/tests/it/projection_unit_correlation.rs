//! §8 `[projection.shocks.unit_correlation]`: a correlation matrix over the
//! projected units. A matrix of equal entries behaves like `across_units`,
//! negative entries narrow the spread, the order the units are listed in
//! does not matter, and a matrix that is not a correlation matrix is an
//! error naming the entry.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::float_arithmetic, missing_docs)]

use crate::common;

use common::spread;

fn simulate(shocks: &str) -> Result<String, String> {
    common::projection_json(&format!("{}[projection.shocks]\n{shocks}", common::THREE_UNITS))
}

/// `units` and `matrix` as TOML lines.
fn matrix(units: &[&str], rows: &[[&str; 3]]) -> String {
    let units: Vec<String> = units.iter().map(|u| format!("\"employee/{u}\"")).collect();
    let rows: Vec<String> = rows
        .iter()
        .map(|r| format!("[{}]", r.iter().map(|x| format!("\"{x}\"")).collect::<Vec<_>>().join(", ")))
        .collect();
    format!("unit_correlation = {{ units = [{}], matrix = [{}] }}\n", units.join(", "), rows.join(", "))
}

/// Rule: scenario contract §8, correlation matrix across units.
#[test]
fn a_matrix_of_equal_entries_spreads_like_one_correlation_across_units() {
    let independent = spread(&simulate("").unwrap());
    let across = spread(&simulate("across_units = \"90%\"\n").unwrap());
    let equal = [["1", "90%", "90%"], ["90%", "1", "90%"], ["90%", "90%", "1"]];
    let m = spread(&simulate(&matrix(&["a", "b", "c"], &equal)).unwrap());
    assert!(m > 1.3 * independent, "{m} vs {independent}");
    assert!((m / across - 1.0).abs() < 0.1, "{m} vs {across}");
    // −50 % between every pair of three units is singular but positive
    // semi-definite: accepted, and the units' deviations offset.
    let offset = [["1", "-50%", "-50%"], ["-50%", "1", "-50%"], ["-50%", "-50%", "1"]];
    let n = spread(&simulate(&matrix(&["a", "b", "c"], &offset)).unwrap());
    assert!(n < 0.5 * independent, "{n} vs {independent}");
}

/// Rule: scenario contract §8, correlation matrix across units.
#[test]
fn the_order_the_units_are_listed_in_does_not_change_the_draws() {
    let rows = [["1", "80%", "-20%"], ["80%", "1", "10%"], ["-20%", "10%", "1"]];
    let given = simulate(&matrix(&["a", "b", "c"], &rows)).unwrap();
    // The same matrix listed c, a, b.
    let permuted = [["1", "-20%", "10%"], ["-20%", "1", "80%"], ["10%", "80%", "1"]];
    assert_eq!(simulate(&matrix(&["c", "a", "b"], &permuted)).unwrap(), given);
    assert_ne!(simulate(&matrix(&["c", "a", "b"], &rows)).unwrap(), given);
    for streams in ["per_trial", "per_unit"] {
        let text = common::THREE_UNITS.replacen("seed = 11\n", &format!("seed = 11\nstreams = \"{streams}\"\n"), 1);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                common::projection_json(&format!("{text}[projection.shocks]\n{}", matrix(&["a", "b", "c"], &rows)))
            })
        };
        assert_eq!(run(1).unwrap(), run(3).unwrap(), "{streams}");
    }
}

/// Rule: scenario contract §8, correlation matrix across units.
#[test]
fn a_matrix_that_is_no_correlation_matrix_is_an_error_naming_the_entry() {
    let ok = [["1", "30%", "0"], ["30%", "1", "0"], ["0", "0", "1"]];
    for (shocks, expected) in [
        (matrix(&["a", "b"], &ok), "matrix: 3 rows for 2 units"),
        (matrix(&["a", "b", "b"], &ok), "units[2]: \"employee/b\" is already units[1]"),
        (matrix(&["a", "b", "z"], &ok), "\"employee/c\" is not listed"),
        (
            matrix(&["a", "b", "c"], &[["1", "30%", "0"], ["20%", "1", "0"], ["0", "0", "1"]]),
            "matrix: row 0, column 1: 30%, but row 1, column 0: 20%; expected a symmetric matrix",
        ),
        (matrix(&["a", "b", "c"], &[["90%", "30%", "0"], ["30%", "1", "0"], ["0", "0", "1"]]), "row 0, column 0"),
        (
            matrix(&["a", "b", "c"], &[["1", "130%", "0"], ["130%", "1", "0"], ["0", "0", "1"]]),
            "a correlation from -1 to 1",
        ),
        (
            matrix(&["a", "b", "c"], &[["1", "90%", "-90%"], ["90%", "1", "90%"], ["-90%", "90%", "1"]]),
            "positive semi-definite",
        ),
        (format!("across_units = \"10%\"\n{}", matrix(&["a", "b", "c"], &ok)), "given with across_units = 10%"),
    ] {
        let e = simulate(&shocks).unwrap_err();
        assert!(e.contains("projection.shocks.unit_correlation"), "{shocks}: {e}");
        assert!(e.contains(expected), "{shocks}: {e}");
    }
    // An extra unit besides all projected ones.
    let four = "unit_correlation = { units = [\"employee/a\", \"employee/b\", \"employee/c\", \"resident/r\"], \
                matrix = [[\"1\", \"0\", \"0\", \"0\"], [\"0\", \"1\", \"0\", \"0\"], [\"0\", \"0\", \"1\", \"0\"], [\"0\", \"0\", \"0\", \"1\"]] }\n";
    let e = simulate(four).unwrap_err();
    assert!(e.contains("units[3]: \"resident/r\" is no projected unit"), "{e}");
    // Rows that are not the units listed.
    let short = "unit_correlation = { units = [\"employee/a\", \"employee/b\", \"employee/c\"], matrix = [[\"1\", \"0\"], [\"0\", \"1\"]] }\n";
    let e = simulate(short).unwrap_err();
    assert!(e.contains("2 rows for 3 units"), "{e}");
}

/// #36 (13): checking a matrix decomposes it (3,000 units: 8.6 s and
/// 697 MB for a `check`); past `Limits::correlated_units` it is refused
/// before, by `check` and `simulate` alike.
#[test]
fn a_matrix_over_more_units_than_the_limit_is_refused_before_it_is_decomposed() {
    let rows = [["1", "80%", "-20%"], ["80%", "1", "10%"], ["-20%", "10%", "1"]];
    let text = format!("{}[projection.shocks]\n{}", common::THREE_UNITS, matrix(&["a", "b", "c"], &rows));
    let s = medfund_scenario::parse_scenario(&text, medfund_scenario::ScenarioFormat::Toml, "p.toml").unwrap();
    let mut limits = medfund_scenario::Limits::default();
    limits.correlated_units = 2;
    let dot = std::path::PathBuf::from(".");
    let e = medfund_scenario::simulate_scenario(&s, "p.toml", dot.clone(), &limits, &|_| {}).unwrap_err();
    assert_eq!(e.code, "limit", "{e}");
    assert!(e.to_string().contains("a matrix over 3 units, more than the limit of 2 correlated units"), "{e}");
    let errors = medfund_scenario::run_scenario_all(&s, "p.toml", dot.clone(), false, &limits).unwrap_err();
    assert!(errors.iter().any(|e| e.code == "limit"), "{errors:?}");
    limits.correlated_units = 3;
    assert!(medfund_scenario::simulate_scenario(&s, "p.toml", dot, &limits, &|_| {}).is_ok());
}
