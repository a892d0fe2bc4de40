//! Per-unit statistics of a projection, on request
//! ([`SummaryOptions::per_unit`](crate::SummaryOptions)): per projected unit
//! and year, how often the unit runs a gap, how often part of it is left
//! unresolved (第十七条（三）: the gap that triggers the scheme's actuarial
//! review), by that year and for the first time, and the mean draw on the
//! risk fund and mean unresolved amount with their standard errors.
//!
//! Everything here is a count or an exact sum over trials, so a
//! [`UnitTally`] is tallied while the trials run (nothing is kept per
//! trial), and tallies of separate trial ranges (threads, processes,
//! machines) add up exactly: the figures are the same however the trials
//! were split.

use medfund_core::Money;
use serde::{Deserialize, Serialize};

use crate::error::{Result, RiskPoolError};
use crate::projection::overflow;
use crate::summary::{binomial_se, mean, mean_and_se, share};
use crate::year::UnitOutcome;

/// The money statistics tallied per unit-year: Σ and Σ v² of each.
const FROM_RISK_FUND: usize = 0;
const UNRESOLVED: usize = 1;

/// One unit in one year, over the trials tallied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UnitCell {
    /// Trials in which the unit has a gap (a negative result) that year.
    gaps: u64,
    /// Trials in which part of its gap is left unresolved that year.
    unresolved: u64,
    /// Trials whose first unresolved year for the unit is this one.
    first: u64,
    /// Exact Σ of the draw on the risk fund and of the unresolved amount, in fen.
    sums: [i128; 2],
    /// Exact Σ v² of each, in fen².
    squares: [u128; 2],
}

/// Per year and projected unit (units numbered over all schemes, in
/// order), counts and exact sums over the trials tallied. Tallies of
/// separate trials merge with [`UnitTally::merge`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitTally {
    years: u32,
    units: u32,
    /// Year by year, unit by unit.
    cells: Vec<UnitCell>,
}

/// Bytes per cell in [`UnitTally::write_bytes`]: three counts, two i128 and two u128.
const CELL_BYTES: usize = 3 * 8 + 4 * 16;

impl UnitTally {
    /// The bytes one tally of `years` years × `units` units holds (`None`
    /// past a `u64`). A projection with per-unit statistics holds at most
    /// [`UnitTally::COPIES_PER_THREAD`] tallies per worker thread, plus one.
    ///
    /// ```
    /// use medfund_riskpool::UnitTally;
    /// assert_eq!(UnitTally::memory_bytes(10, 8), Some(10 * 8 * 88 + 8));
    /// ```
    pub fn memory_bytes(years: u32, units: usize) -> Option<u64> {
        let cells = u64::from(years).checked_mul(u64::try_from(units).ok()?)?;
        cells.checked_mul(u64::try_from(CELL_BYTES).ok()?)?.checked_add(8)
    }

    /// Tallies held at once per worker thread (the trials are cut into this
    /// many pieces per thread, each tallied on its own and merged).
    pub const COPIES_PER_THREAD: u64 = 4;

    /// Nothing tallied yet, for `years` years of `units` units.
    pub(crate) fn new(years: usize, units: usize) -> Result<UnitTally> {
        let cells = years.checked_mul(units).ok_or_else(|| overflow("per-unit statistics"))?;
        Ok(UnitTally {
            years: u32::try_from(years).map_err(|_| overflow("years"))?,
            units: u32::try_from(units).map_err(|_| overflow("units"))?,
            cells: vec![UnitCell::default(); cells],
        })
    }

    /// The years tallied.
    pub fn years(&self) -> usize {
        usize::try_from(self.years).expect("invariant: u32 fits usize")
    }

    /// The units tallied (over all schemes).
    pub fn units(&self) -> usize {
        usize::try_from(self.units).expect("invariant: u32 fits usize")
    }

    /// Adds unit `unit`'s outcome of year `year` in one trial; `before` is
    /// whether the unit had an unresolved gap earlier in the same trial, and
    /// is updated.
    pub(crate) fn record(&mut self, year: usize, unit: usize, o: &UnitOutcome, before: &mut bool) -> Result<()> {
        let i = year
            .checked_mul(self.units())
            .and_then(|i| i.checked_add(unit))
            .expect("invariant: a year and unit of the projection");
        let c = self.cells.get_mut(i).expect("invariant: a year and unit of the projection");
        let one = |n: u64| n.checked_add(1).expect("invariant: fewer than 2^64 trials");
        if o.gap.is_positive() {
            c.gaps = one(c.gaps);
        }
        if o.unresolved.is_positive() {
            c.unresolved = one(c.unresolved);
            if !*before {
                *before = true;
                c.first = one(c.first);
            }
        }
        for (k, v) in [(FROM_RISK_FUND, o.from_risk_fund), (UNRESOLVED, o.unresolved)] {
            let v = i128::from(v.fen());
            let sum = c.sums.get_mut(k).expect("invariant: two statistics");
            *sum = sum.checked_add(v).ok_or_else(|| overflow("per-unit sum"))?;
            let square = v.unsigned_abs().checked_mul(v.unsigned_abs());
            let acc = c.squares.get_mut(k).expect("invariant: two statistics");
            *acc = square.and_then(|s| acc.checked_add(s)).ok_or_else(|| overflow("per-unit standard error"))?;
        }
        Ok(())
    }

    /// Adds the tally of other trials of the same projection.
    pub fn merge(&mut self, other: &UnitTally) -> Result<()> {
        if (self.years, self.units, self.cells.len()) != (other.years, other.units, other.cells.len()) {
            return Err(RiskPoolError::TrialBlocks {
                found: format!(
                    "per-unit tallies of {} years × {} units and {} years × {} units",
                    self.years, self.units, other.years, other.units
                ),
                expected: "tallies of one projection",
            });
        }
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            a.gaps = a.gaps.checked_add(b.gaps).ok_or_else(|| overflow("trials"))?;
            a.unresolved = a.unresolved.checked_add(b.unresolved).ok_or_else(|| overflow("trials"))?;
            a.first = a.first.checked_add(b.first).ok_or_else(|| overflow("trials"))?;
            for (x, y) in a.sums.iter_mut().zip(b.sums) {
                *x = x.checked_add(y).ok_or_else(|| overflow("per-unit sum"))?;
            }
            for (x, y) in a.squares.iter_mut().zip(b.squares) {
                *x = x.checked_add(y).ok_or_else(|| overflow("per-unit standard error"))?;
            }
        }
        Ok(())
    }

    /// Whether the counts can be those of `trials` trials: no count above
    /// the trials, an unresolved gap only with a gap, first unresolved years
    /// summing to at most the trials per unit, no negative amount.
    pub(crate) fn check(&self, trials: u64) -> Result<()> {
        let bad = |found: String| RiskPoolError::TrialBlocks { found, expected: "per-unit counts of these trials" };
        let units = self.units();
        if self.cells.len() != self.years().checked_mul(units).ok_or_else(|| overflow("per-unit statistics"))? {
            return Err(bad(format!("{} per-unit cells for {} years × {units} units", self.cells.len(), self.years)));
        }
        for (i, c) in self.cells.iter().enumerate() {
            if c.gaps > trials || c.unresolved > c.gaps || c.first > c.unresolved || c.sums.iter().any(|&s| s < 0) {
                return Err(bad(format!("per-unit cell {i} with impossible counts or sums for {trials} trials")));
            }
        }
        for u in 0..units {
            let mut firsts = self.cells.iter().skip(u).step_by(units.max(1)).map(|c| c.first);
            if firsts.try_fold(0_u64, u64::checked_add).is_none_or(|f| f > trials) {
                return Err(bad(format!("unit {u} first unresolved in more years than the {trials} trials")));
            }
        }
        Ok(())
    }

    /// The tally as bytes (little-endian), appended to `out`.
    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.years.to_le_bytes());
        out.extend_from_slice(&self.units.to_le_bytes());
        for c in &self.cells {
            for n in [c.gaps, c.unresolved, c.first] {
                out.extend_from_slice(&n.to_le_bytes());
            }
            for s in c.sums {
                out.extend_from_slice(&s.to_le_bytes());
            }
            for s in c.squares {
                out.extend_from_slice(&s.to_le_bytes());
            }
        }
    }

    /// A tally from exactly the bytes of [`UnitTally::write_bytes`].
    pub(crate) fn read_bytes(bytes: &[u8]) -> Result<UnitTally> {
        let bad = |found: String| RiskPoolError::TrialBlocks { found, expected: "the bytes of a per-unit tally" };
        let (head, mut rest) = bytes.split_at_checked(8).ok_or_else(|| bad("a cut per-unit header".into()))?;
        let (y, u) = head.split_at(4);
        let word = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("invariant: a header of two u32"));
        let (years, units) = (word(y), word(u));
        let cells = u64::from(years).checked_mul(u64::from(units)).and_then(|c| usize::try_from(c).ok());
        let cells = cells.ok_or_else(|| overflow("per-unit cells"))?;
        if Some(rest.len()) != cells.checked_mul(CELL_BYTES) {
            return Err(bad(format!("{} bytes for {years} years × {units} units", rest.len())));
        }
        let mut take = |n: usize| {
            let (a, b) = rest.split_at(n);
            rest = b;
            a
        };
        let mut tally = UnitTally { years, units, cells: Vec::with_capacity(cells) };
        for _ in 0..cells {
            let u64_of = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("invariant: 8 bytes"));
            let (gaps, unresolved, first) = (u64_of(take(8)), u64_of(take(8)), u64_of(take(8)));
            let i128_of = |b: &[u8]| i128::from_le_bytes(b.try_into().expect("invariant: 16 bytes"));
            let sums = [i128_of(take(16)), i128_of(take(16))];
            let u128_of = |b: &[u8]| u128::from_le_bytes(b.try_into().expect("invariant: 16 bytes"));
            let squares = [u128_of(take(16)), u128_of(take(16))];
            tally.cells.push(UnitCell { gaps, unresolved, first, sums, squares });
        }
        Ok(tally)
    }

    /// The statistics of `trials` trials per unit of a scheme whose units
    /// are numbered `units` among all, from year `first_year` on.
    pub(crate) fn stats(
        &self,
        trials: u64,
        first_year: i32,
        units: std::ops::Range<usize>,
    ) -> Result<Vec<UnitProjection>> {
        let n_units = self.units();
        units
            .map(|u| {
                let mut ever = 0_u64;
                let mut year = first_year;
                let years = self.cells.iter().skip(u).step_by(n_units.max(1)).map(|c| {
                    ever = ever.checked_add(c.first).ok_or_else(|| overflow("trials"))?;
                    let stats = unit_year(year, trials, c, ever)?;
                    year = year.checked_add(1).ok_or_else(|| overflow("year"))?;
                    Ok(stats)
                });
                Ok(UnitProjection { years: years.collect::<Result<_>>()? })
            })
            .collect()
    }
}

/// One unit-year's statistics from its cell; `ever` counts the trials
/// unresolved this year or before.
fn unit_year(year: i32, n: u64, c: &UnitCell, ever: u64) -> Result<UnitYearStats> {
    let money = |k: usize| -> Result<(Money, Option<Money>)> {
        let sum = *c.sums.get(k).expect("invariant: two statistics");
        let squares = *c.squares.get(k).expect("invariant: two statistics");
        mean_and_se(n, sum, squares_about_mean(n, sum, squares)?)
    };
    let (mean_from_risk_fund, mean_from_risk_fund_se) = money(FROM_RISK_FUND)?;
    let (mean_unresolved, mean_unresolved_se) = money(UNRESOLVED)?;
    Ok(UnitYearStats {
        year,
        p_gap: share(c.gaps, n),
        p_gap_se: binomial_se(c.gaps, n),
        p_unresolved: share(c.unresolved, n),
        p_unresolved_se: binomial_se(c.unresolved, n),
        p_unresolved_cumulative: share(ever, n),
        p_unresolved_cumulative_se: binomial_se(ever, n),
        p_first_unresolved: share(c.first, n),
        p_first_unresolved_se: binomial_se(c.first, n),
        mean_from_risk_fund,
        mean_from_risk_fund_se,
        mean_unresolved,
        mean_unresolved_se,
    })
}

/// Σ (v − m)² with m the mean rounded to the fen, exactly, from Σ v and
/// Σ v²: Σ v² − 2m Σ v + n m² (the form the scheme statistics use, so both
/// have the same standard-error formula).
fn squares_about_mean(n: u64, sum: i128, squares: u128) -> Result<u128> {
    let m = i128::from(mean(sum, n)?);
    let err = || overflow("per-unit standard error");
    let squares = i128::try_from(squares).map_err(|_| err())?;
    let cross = m.checked_mul(sum).and_then(|x| x.checked_mul(2)).ok_or_else(err)?;
    let tail = m.checked_mul(m).and_then(|x| x.checked_mul(i128::from(n))).ok_or_else(err)?;
    let about = squares.checked_sub(cross).and_then(|x| x.checked_add(tail)).ok_or_else(err)?;
    u128::try_from(about).map_err(|_| RiskPoolError::TrialBlocks {
        found: "a negative sum of squares".into(),
        expected: "per-unit sums of one tally",
    })
}

/// One unit's statistics for one projected year.
///
/// Probabilities are shares of trials with their binomial standard errors
/// `…_se`; means are rounded to the fen with the standard error of the
/// scheme statistics ([`YearStats`](crate::YearStats)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct UnitYearStats {
    /// The year.
    pub year: i32,
    /// Share of trials in which the unit has a gap that year (its result is
    /// negative, whoever covers it).
    pub p_gap: f64,
    /// Standard error of `p_gap`.
    pub p_gap_se: f64,
    /// Share of trials in which part of the unit's gap is left unresolved
    /// that year, after its own surplus and the fund (第十七条（三）).
    pub p_unresolved: f64,
    /// Standard error of `p_unresolved`.
    pub p_unresolved_se: f64,
    /// Share of trials with an unresolved gap of the unit in some year from
    /// the first projected year to this one (cumulative: never falls).
    pub p_unresolved_cumulative: f64,
    /// Standard error of `p_unresolved_cumulative`.
    pub p_unresolved_cumulative_se: f64,
    /// Share of trials whose first unresolved gap of the unit is this year.
    pub p_first_unresolved: f64,
    /// Standard error of `p_first_unresolved`.
    pub p_first_unresolved_se: f64,
    /// Mean over trials of what the risk fund pays towards the unit's gap
    /// (第十七条（二）), rounded to the fen.
    pub mean_from_risk_fund: Money,
    /// Standard error of `mean_from_risk_fund` (absent for one trial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_from_risk_fund_se: Option<Money>,
    /// Mean over trials of the unit's unresolved amount, rounded to the fen.
    pub mean_unresolved: Money,
    /// Standard error of `mean_unresolved` (absent for one trial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_unresolved_se: Option<Money>,
}

/// One unit's projection: one entry per projected year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct UnitProjection {
    /// One entry per projected year.
    pub years: Vec<UnitYearStats>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_about_the_rounded_mean_are_exact() {
        // 1, 2, 3, 4 fen: mean 2.5 → 3, Σ (v − 3)² = 4 + 1 + 0 + 1 = 6.
        assert_eq!(squares_about_mean(4, 10, 30).unwrap(), 6);
        // A sum of squares below what the sum allows is not a tally: an error, not a figure.
        assert!(squares_about_mean(4, 10, 0).is_err());
    }

    #[test]
    fn bytes_round_trip_and_cut_bytes_are_errors() {
        let mut t = UnitTally::new(2, 3).unwrap();
        t.cells[4] = UnitCell { gaps: 5, unresolved: 3, first: 2, sums: [7, -1], squares: [49, 1] };
        let mut bytes = Vec::new();
        t.write_bytes(&mut bytes);
        assert_eq!(bytes.len(), 8 + 6 * CELL_BYTES);
        assert_eq!(UnitTally::read_bytes(&bytes).unwrap(), t);
        assert!(UnitTally::read_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(UnitTally::read_bytes(&bytes[..5]).is_err());
        // A negative sum is impossible for 5 trials.
        assert!(t.check(5).is_err());
        t.cells[4].sums = [7, 1];
        assert!(t.check(5).is_ok());
        assert!(t.check(4).is_err());
    }

    #[test]
    fn merge_adds_and_refuses_other_shapes() {
        let mut a = UnitTally::new(1, 1).unwrap();
        a.cells[0] = UnitCell { gaps: 1, unresolved: 1, first: 1, sums: [2, 3], squares: [4, 9] };
        let b = a.clone();
        a.merge(&b).unwrap();
        assert_eq!(a.cells[0], UnitCell { gaps: 2, unresolved: 2, first: 2, sums: [4, 6], squares: [8, 18] });
        assert!(a.merge(&UnitTally::new(2, 1).unwrap()).is_err());
    }
}
