//! A correlation matrix of the units' growth draws, checked (symmetric, unit
//! diagonal, entries from −1 to 1, positive semi-definite) and factored
//! once (R = L·Lᵀ, L lower triangular), so that z = L·ε turns independent
//! standard draws ε into draws correlated by R.

use medfund_core::Rate;

use crate::error::{Result, RiskPoolError};

/// How far below zero a pivot may fall from rounding and still count as zero.
const TOLERANCE: f64 = 1e-9;

fn invalid(value: String, expected: &'static str) -> RiskPoolError {
    RiskPoolError::InvalidPolicy { field: "shocks.unit_correlation", value, expected }
}

/// The lower-triangular factor L of `matrix` (row by row, n × n), checked.
#[allow(clippy::float_arithmetic)]
pub(crate) fn factor(matrix: &[Vec<Rate>]) -> Result<Vec<f64>> {
    let n = matrix.len();
    for (i, row) in matrix.iter().enumerate() {
        if row.len() != n {
            return Err(invalid(format!("row {i} has {} entries for {n} rows", row.len()), "a square matrix"));
        }
        for (j, &r) in row.iter().enumerate() {
            let mirror = matrix.get(j).and_then(|m| m.get(i)).copied();
            if i == j && r != Rate::ONE {
                return Err(invalid(format!("row {i}, column {j}: {r}"), "1 (100 %) on the diagonal"));
            }
            if r < Rate::percent(-100) || r > Rate::ONE {
                return Err(invalid(format!("row {i}, column {j}: {r}"), "a correlation from -1 to 1"));
            }
            match mirror {
                Some(m) if m != r => {
                    return Err(invalid(
                        format!("row {i}, column {j}: {r}, but row {j}, column {i}: {m}"),
                        "a symmetric matrix",
                    ));
                }
                _ => {}
            }
        }
    }
    let at = |i: usize, j: usize| -> f64 {
        crate::shocks::to_f64(
            *matrix.get(i).and_then(|row| row.get(j)).expect("invariant: a square matrix was checked"),
        )
    };
    let mut l = vec![0.0_f64; n.checked_mul(n).expect("invariant: the matrix is held in memory")];
    let idx = |i: usize, j: usize| i.checked_mul(n).and_then(|k| k.checked_add(j)).expect("invariant: i, j < n");
    for j in 0..n {
        // Σ_{k<j} L[a,k]·L[b,k]: the columns already factored.
        let dot = |a: usize, b: usize, l: &[f64]| -> f64 {
            let row = |r: usize| l.get(idx(r, 0)..idx(r, j)).expect("invariant: rows of n entries");
            row(a).iter().zip(row(b)).map(|(x, y)| x * y).sum()
        };
        let pivot = at(j, j) - dot(j, j, &l);
        if pivot < -TOLERANCE {
            return Err(not_psd(j));
        }
        let d = if pivot > TOLERANCE { pivot.sqrt() } else { 0.0 };
        *l.get_mut(idx(j, j)).expect("invariant: j < n") = d;
        for i in j.checked_add(1).expect("invariant: j < n")..n {
            let v = at(i, j) - dot(i, j, &l);
            let entry = if d > 0.0 {
                v / d
            } else if v.abs() <= TOLERANCE {
                0.0
            } else {
                // A zero pivot with a non-zero entry below: no factor exists.
                return Err(not_psd(j));
            };
            *l.get_mut(idx(i, j)).expect("invariant: i < n") = entry;
        }
    }
    Ok(l)
}

fn not_psd(j: usize) -> RiskPoolError {
    invalid(
        format!("not positive semi-definite (from row {j} on)"),
        "a positive semi-definite matrix: correlations that some joint distribution can have",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_arithmetic)]
    use super::*;

    fn m(rows: &[&[i64]]) -> Vec<Vec<Rate>> {
        rows.iter().map(|r| r.iter().map(|&p| Rate::percent(p)).collect()).collect()
    }

    #[test]
    fn the_factor_reproduces_the_matrix() {
        let r = m(&[&[100, 30, -20], &[30, 100, 50], &[-20, 50, 100]]);
        let l = factor(&r).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let got: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                assert!((got - to(r[i][j])).abs() < 1e-12, "{i},{j}: {got}");
            }
        }
        // Semi-definite: two units that move as one.
        assert!(factor(&m(&[&[100, 100], &[100, 100]])).is_ok());
    }

    fn to(r: Rate) -> f64 {
        crate::shocks::to_f64(r)
    }

    #[test]
    fn malformed_matrices_are_errors_naming_the_entry() {
        let e = |rows: &[&[i64]]| format!("{:?}", factor(&m(rows)).unwrap_err());
        assert!(e(&[&[100, 30], &[20, 100]]).contains("symmetric"));
        assert!(e(&[&[90, 0], &[0, 100]]).contains("diagonal"));
        assert!(e(&[&[100, 120], &[120, 100]]).contains("-1 to 1"));
        assert!(e(&[&[100, 0]]).contains("square"));
        // Pairwise valid, jointly impossible: a, b and c each −90 % from the others.
        assert!(e(&[&[100, -90, -90], &[-90, 100, -90], &[-90, -90, 100]]).contains("positive semi-definite"));
    }
}
