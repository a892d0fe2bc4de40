//! The statistics of a projection from the outcomes of its trials: per
//! scheme and year, percentiles and means with their Monte Carlo standard
//! errors, the probability of an actuarial review in the year and by the
//! year (cumulative), and of a first review in the year.
//!
//! Review and unresolved gap are one event here: 第十七条（三） calls for an
//! actuarial review exactly when some unit's gap is left unresolved, so
//! `p_actuarial_review` is also the probability of an unresolved gap.

use medfund_core::{Money, Rounding};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RiskPoolError};
use crate::policy::Scheme;
use crate::projection::{ProjectedScheme, ProjectionSpec, overflow};
use crate::trials::TrialBlock;
use crate::units::{UnitProjection, UnitTally};

/// Nearest-rank percentiles of the closing balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Percentiles {
    /// 5th percentile.
    pub p5: Money,
    /// Median.
    pub p50: Money,
    /// 95th percentile.
    pub p95: Money,
}

/// One asked-for quantile of a year: nearest-rank percentile `p` of the
/// closing balance and of Σ unresolved over trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Quantile {
    /// The percentile, 1–100.
    pub p: u32,
    /// Its closing balance.
    pub closing_balance: Money,
    /// Its Σ unresolved (the scheme's gap left to the fiscal subsidy).
    pub unresolved: Money,
}

/// One scheme's statistics for one projected year.
///
/// Probabilities are shares of trials (JSON numbers); every one has its
/// Monte Carlo standard error `…_se`, √(p(1 − p)/n) (the binomial formula).
/// A mean's standard error is the sample standard deviation (n − 1) over
/// √n, computed in floating point from the exact values and rounded to the
/// fen; it is an estimate of sampling error, not an amount of money, and is
/// absent for a single trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct YearStats {
    /// The year.
    pub year: i32,
    /// Percentiles of the closing balance over trials.
    pub closing_balance: Percentiles,
    /// Share of trials in which some unit has an unresolved gap **that
    /// year** (an actuarial review that year).
    pub p_actuarial_review: f64,
    /// Mean over trials of Σ unresolved, rounded to the fen.
    pub mean_unresolved: Money,
    /// Share of trials with at least one actuarial review **from the first
    /// projected year to this one** (cumulative: never falls).
    pub p_review_cumulative: f64,
    /// Share of trials whose **first** actuarial review is this year (the
    /// distribution of the first review year; the cumulative share is its
    /// running sum).
    pub p_first_review: f64,
    /// Standard error of `p_actuarial_review`.
    pub p_actuarial_review_se: f64,
    /// Standard error of `p_review_cumulative`.
    pub p_review_cumulative_se: f64,
    /// Standard error of `p_first_review`.
    pub p_first_review_se: f64,
    /// Standard error of `mean_unresolved`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_unresolved_se: Option<Money>,
    /// Mean over trials of the closing balance, rounded to the fen.
    pub mean_closing_balance: Money,
    /// Standard error of `mean_closing_balance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_closing_balance_se: Option<Money>,
    /// The quantiles asked for ([`SummaryOptions::quantiles`]), ascending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quantiles: Vec<Quantile>,
}

/// One scheme's projection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SchemeProjection {
    /// The scheme.
    pub scheme: Scheme,
    /// One entry per projected year.
    pub years: Vec<YearStats>,
    /// Per unit, in the order of [`ProjectedScheme::units`], when asked for
    /// ([`SummaryOptions::per_unit`]); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitProjection>,
}

/// What a summary reports beyond the figures every projection has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SummaryOptions {
    /// Nearest-rank percentiles (1–100, each once) of the closing balance
    /// and of Σ unresolved to report per year; none by default.
    pub quantiles: Vec<u32>,
    /// Also report statistics per unit ([`UnitYearStats`](crate::UnitYearStats)); the trials then
    /// tally them as they run. Off by default.
    pub per_unit: bool,
}

impl SummaryOptions {
    /// Options reporting the percentiles `quantiles` (validated by the summary).
    pub fn with_quantiles(quantiles: impl Into<Vec<u32>>) -> SummaryOptions {
        SummaryOptions { quantiles: quantiles.into(), per_unit: false }
    }

    /// These options, with statistics per unit as well (`true`) or not.
    #[must_use]
    pub fn with_per_unit(mut self, per_unit: bool) -> SummaryOptions {
        self.per_unit = per_unit;
        self
    }

    /// The quantiles ascending; one out of 1–100 or given twice is an error.
    pub(crate) fn sorted_quantiles(&self) -> Result<Vec<u32>> {
        let mut q = self.quantiles.clone();
        q.sort_unstable();
        if let Some(bad) = q.iter().find(|&&p| p == 0 || p > 100) {
            return Err(RiskPoolError::InvalidPolicy {
                field: "quantiles",
                value: bad.to_string(),
                expected: "percentiles from 1 to 100",
            });
        }
        if let Some(twice) = q.windows(2).find(|w| w.first() == w.get(1)) {
            return Err(RiskPoolError::InvalidPolicy {
                field: "quantiles",
                value: format!("{} twice", twice.first().expect("invariant: a window of 2")),
                expected: "each percentile once",
            });
        }
        Ok(q)
    }
}

/// The nearest-rank percentile `p` (0 < p ≤ 100) of `sorted` (ascending):
/// the value at rank ⌈p/100 × n⌉.
///
/// ```
/// use medfund_riskpool::projection::nearest_rank;
/// let v = [15, 20, 35, 40, 50];
/// assert_eq!(nearest_rank(&v, 5), Some(15));
/// assert_eq!(nearest_rank(&v, 30), Some(20));
/// assert_eq!(nearest_rank(&v, 50), Some(35));
/// assert_eq!(nearest_rank(&v, 100), Some(50));
/// ```
pub fn nearest_rank<T: Copy>(sorted: &[T], p: u32) -> Option<T> {
    let n = u64::try_from(sorted.len()).ok()?;
    let rank = (u64::from(p).checked_mul(n)?).div_ceil(100).max(1);
    sorted.get(usize::try_from(rank).ok()?.checked_sub(1)?).copied()
}

/// The statistics of a projection from the outcomes of all its trials
/// (`block` holds trials `0..spec.trials`, in order).
pub fn summarize(
    spec: ProjectionSpec,
    schemes: &[ProjectedScheme],
    block: &TrialBlock,
) -> Result<Vec<SchemeProjection>> {
    summarize_with(spec, schemes, block, &SummaryOptions::default())
}

/// [`summarize`] with the statistics of `options`.
pub fn summarize_with(
    spec: ProjectionSpec,
    schemes: &[ProjectedScheme],
    block: &TrialBlock,
    options: &SummaryOptions,
) -> Result<Vec<SchemeProjection>> {
    let quantiles = options.sorted_quantiles()?;
    let years = usize::try_from(spec.years).map_err(|_| overflow("years"))?;
    let trials = usize::try_from(spec.trials).map_err(|_| overflow("trials"))?;
    let n_schemes = schemes.len();
    let row = years.checked_mul(n_schemes).ok_or_else(|| overflow("projection size"))?;
    if block.first_trial != 0 || block.trials != trials || block.row != row || trials == 0 {
        return Err(RiskPoolError::TrialBlocks {
            found: format!(
                "{} trials from trial {}, of {} cells each, for {} trials of {row} cells",
                block.trials, block.first_trial, block.row, spec.trials
            ),
            expected: "every trial of the projection, from trial 0, with one cell per year and scheme",
        });
    }
    let cell_of = |t: usize, y: usize, s: usize| {
        t.checked_mul(row)
            .and_then(|c| c.checked_add(y.checked_mul(n_schemes)?))
            .and_then(|c| c.checked_add(s))
            .expect("invariant: a cell index is below trials × years × schemes, whose product was checked")
    };
    let at = |v: &[i64], i: usize| *v.get(i).expect("invariant: a cell index is inside its block");
    let n = u64::try_from(trials).map_err(|_| overflow("trials"))?;
    let mut out = Vec::with_capacity(n_schemes);
    let mut values: [Vec<i64>; 2] = [Vec::with_capacity(trials), Vec::with_capacity(trials)];
    for (s, scheme) in schemes.iter().enumerate() {
        let mut stats = Vec::with_capacity(years);
        // Per trial: has it had a review in any year so far?
        let mut reviewed = vec![false; trials];
        let mut ever = 0_u64;
        let mut year = spec.first_year;
        for y in 0..years {
            let [closing, unresolved] = &mut values;
            closing.clear();
            closing.extend((0..trials).map(|t| at(&block.closing, cell_of(t, y, s))));
            unresolved.clear();
            unresolved.extend((0..trials).map(|t| at(&block.unresolved, cell_of(t, y, s))));
            let mut reviews = 0_u64;
            let mut first = 0_u64;
            for (t, was) in reviewed.iter_mut().enumerate() {
                if *block.review.get(cell_of(t, y, s)).expect("invariant: a cell index is inside its block") {
                    reviews = reviews.checked_add(1).expect("invariant: at most `trials`");
                    if !*was {
                        *was = true;
                        first = first.checked_add(1).expect("invariant: at most `trials`");
                    }
                }
            }
            ever = ever.checked_add(first).expect("invariant: at most `trials`");
            let sums = [exact_sum(closing), exact_sum(unresolved)];
            let squares = [squares_about(closing, mean(sums[0], n)?)?, squares_about(unresolved, mean(sums[1], n)?)?];
            closing.sort_unstable();
            if !quantiles.is_empty() {
                unresolved.sort_unstable();
            }
            let figures = CellFigures { trials: n, reviews, first, ever, sums, squares };
            stats.push(year_stats(year, &figures, &quantiles, |stat, p| {
                let sorted = values.get(stat).expect("invariant: two statistics");
                nearest_rank(sorted, p).expect("invariant: at least one trial, so a percentile exists")
            })?);
            year = year.checked_add(1).ok_or_else(|| overflow("year"))?;
        }
        out.push(SchemeProjection { scheme: scheme.scheme, years: stats, units: Vec::new() });
    }
    if options.per_unit {
        let tally = block.units.as_ref().ok_or_else(|| RiskPoolError::TrialBlocks {
            found: "trials run without per-unit statistics".into(),
            expected: "trials run with SummaryOptions::per_unit",
        })?;
        let sizes: Vec<usize> = schemes.iter().map(|s| s.units.len()).collect();
        add_unit_stats(&mut out, spec, &sizes, tally)?;
    }
    Ok(out)
}

/// Adds to each scheme's projection the statistics of its units (`sizes`:
/// how many per scheme) from `tally` (of every trial of the projection).
pub(crate) fn add_unit_stats(
    out: &mut [SchemeProjection],
    spec: ProjectionSpec,
    sizes: &[usize],
    tally: &UnitTally,
) -> Result<()> {
    let all = sizes.iter().try_fold(0_usize, |a, &b| a.checked_add(b)).ok_or_else(|| overflow("units"))?;
    if tally.units() != all || u32::try_from(tally.years()).ok() != Some(spec.years) {
        return Err(RiskPoolError::TrialBlocks {
            found: format!("a per-unit tally of {} years × {} units", tally.years(), tally.units()),
            expected: "one cell per projected year and unit",
        });
    }
    let n = u64::from(spec.trials);
    tally.check(n)?;
    let mut first = 0_usize;
    for (p, &size) in out.iter_mut().zip(sizes) {
        let end = first.checked_add(size).expect("invariant: fewer units than the sum checked above");
        p.units = tally.stats(n, spec.first_year, first..end)?;
        first = end;
    }
    Ok(())
}

/// The closing balance's index among a cell's statistics.
pub(crate) const CLOSING: usize = 0;
/// Σ unresolved's index among a cell's statistics.
pub(crate) const UNRESOLVED: usize = 1;

/// What the statistics of one scheme-year are made of; the same whether the
/// trials were kept ([`summarize`]) or streamed twice ([`crate::stream`]),
/// so that both give the same figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CellFigures {
    /// n.
    pub(crate) trials: u64,
    /// Trials with a review this year.
    pub(crate) reviews: u64,
    /// Trials whose first review is this year.
    pub(crate) first: u64,
    /// Trials with a review this year or before.
    pub(crate) ever: u64,
    /// Exact Σ of the closing balance and of Σ unresolved, in fen.
    pub(crate) sums: [i128; 2],
    /// Exact Σ (v − m)² of each, m its mean rounded to the fen ([`mean`]).
    pub(crate) squares: [u128; 2],
}

/// The rank ⌈p/100 × n⌉ (at least 1) of the nearest-rank percentile `p` of `n` values.
pub(crate) fn rank_of(p: u32, n: u64) -> u64 {
    u64::from(p).checked_mul(n).expect("invariant: p ≤ 100 and n < 2^32").div_ceil(100).max(1)
}

/// Exact Σ of `values`: at most 2^32 trials of i64 values sum within an i128.
pub(crate) fn exact_sum(values: &[i64]) -> i128 {
    values.iter().map(|&v| i128::from(v)).sum()
}

/// The mean `sum / n` rounded half away from zero to the fen.
pub(crate) fn mean(sum: i128, n: u64) -> Result<i64> {
    let mean = Rounding::HalfAwayFromZero.div_i128(sum, i128::from(n)).ok_or_else(|| overflow("mean"))?;
    Ok(i64::try_from(mean).expect("invariant: a mean of i64 values is an i64"))
}

/// Σ (v − m)², exact; an overflow (deviations of about 10¹⁵ yuan) is an error.
pub(crate) fn squares_about(values: &[i64], m: i64) -> Result<u128> {
    values.iter().try_fold(0_u128, |acc, &v| add_square(acc, v, m))
}

/// `acc + (v − m)²`, exact.
pub(crate) fn add_square(acc: u128, v: i64, m: i64) -> Result<u128> {
    let d = i128::from(v).checked_sub(i128::from(m)).expect("invariant: a difference of i64 values fits i128");
    d.unsigned_abs()
        .checked_mul(d.unsigned_abs())
        .and_then(|sq| acc.checked_add(sq))
        .ok_or_else(|| overflow("standard error"))
}

/// One scheme-year's statistics; `percentile(stat, p)` is the nearest-rank
/// percentile `p` of statistic `stat` ([`CLOSING`] or [`UNRESOLVED`]).
pub(crate) fn year_stats(
    year: i32,
    f: &CellFigures,
    quantiles: &[u32],
    percentile: impl Fn(usize, u32) -> i64,
) -> Result<YearStats> {
    let pct = |stat, p| Money::from_fen(percentile(stat, p));
    let (mean_closing, mean_closing_se) = mean_and_se(f.trials, f.sums[CLOSING], f.squares[CLOSING])?;
    let (mean_unresolved, mean_unresolved_se) = mean_and_se(f.trials, f.sums[UNRESOLVED], f.squares[UNRESOLVED])?;
    let n = f.trials;
    Ok(YearStats {
        year,
        closing_balance: Percentiles { p5: pct(CLOSING, 5), p50: pct(CLOSING, 50), p95: pct(CLOSING, 95) },
        p_actuarial_review: share(f.reviews, n),
        mean_unresolved,
        p_review_cumulative: share(f.ever, n),
        p_first_review: share(f.first, n),
        p_actuarial_review_se: binomial_se(f.reviews, n),
        p_review_cumulative_se: binomial_se(f.ever, n),
        p_first_review_se: binomial_se(f.first, n),
        mean_unresolved_se,
        mean_closing_balance: mean_closing,
        mean_closing_balance_se: mean_closing_se,
        quantiles: quantiles
            .iter()
            .map(|&p| Quantile { p, closing_balance: pct(CLOSING, p), unresolved: pct(UNRESOLVED, p) })
            .collect(),
    })
}

/// The mean of `n` values of exact sum `sum` (fen), rounded half away from
/// zero to the fen, and its standard error (none for fewer than two values)
/// from `squares` = Σ (v − mean)².
pub(crate) fn mean_and_se(n: u64, sum: i128, squares: u128) -> Result<(Money, Option<Money>)> {
    let m = mean(sum, n)?;
    let r = sum.checked_sub(i128::from(m).checked_mul(i128::from(n)).ok_or_else(|| overflow("mean"))?);
    Ok((Money::from_fen(m), standard_error(n, r.ok_or_else(|| overflow("mean"))?, squares)))
}

/// The standard error of a mean, in fen rounded to the fen: a statistic
/// computed in floating point from exact sums. With the rounded mean m and
/// r = Σv − n·m (|r| ≤ n/2), Σ (v − v̄)² = Σ (v − m)² − r²/n; the
/// standard error is √(Σ (v − v̄)² / (n − 1) / n). Integer sums make it the
/// same whatever the order of the trials (threads, shards).
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss, clippy::cast_possible_truncation)]
fn standard_error(n: u64, r: i128, squares: u128) -> Option<Money> {
    if n < 2 {
        return None;
    }
    let n = n as f64;
    let r = r as f64;
    let deviations = (squares as f64 - r * r / n).max(0.0);
    let se = (deviations / (n - 1.0) / n).sqrt();
    // `as` saturates; an error of 9.2e16 yuan is far beyond any fund.
    Some(Money::from_fen(se.round() as i64))
}

/// `count / total` as a float (a probability, not money).
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
pub(crate) fn share(count: u64, total: u64) -> f64 {
    count as f64 / total as f64
}

/// The binomial standard error √(p(1 − p)/n) of the share `count / total`.
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
pub(crate) fn binomial_se(count: u64, total: u64) -> f64 {
    let p = share(count, total);
    (p * (1.0 - p) / total as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_on_a_known_sample() {
        let v: Vec<i64> = (1..=20).collect();
        assert_eq!(nearest_rank(&v, 5), Some(1));
        assert_eq!(nearest_rank(&v, 50), Some(10));
        assert_eq!(nearest_rank(&v, 95), Some(19));
        assert_eq!(nearest_rank::<i64>(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 5), Some(7));
    }

    #[test]
    fn mean_and_standard_error_of_a_known_sample() {
        // 1, 2, 3, 4 yuan: mean 2.50, sd (n − 1) = 1.29099 yuan, se = 0.645497 yuan.
        let of = |v: &[i64]| {
            let sum = exact_sum(v);
            let n = v.len() as u64;
            mean_and_se(n, sum, squares_about(v, mean(sum, n).unwrap()).unwrap()).unwrap()
        };
        let (mean, se) = of(&[100, 200, 300, 400]);
        assert_eq!(mean, Money::from_fen(250));
        assert_eq!(se, Some(Money::from_fen(65)));
        assert_eq!(of(&[7]), (Money::from_fen(7), None));
        assert_eq!(of(&[-1, -2]).0, Money::from_fen(-2)); // −1.5 → −2
        // Equal values: exactly no error, however large.
        assert_eq!(of(&[i64::MAX / 2; 5]).1, Some(Money::ZERO));
        // Deviations of 9.2e16 yuan squared overflow: an error, not a wrong figure.
        assert!(squares_about(&[i64::MIN, i64::MAX], 0).is_ok());
        assert!(squares_about(&[i64::MIN, i64::MAX, i64::MAX, i64::MAX, i64::MAX], -1).is_err());
    }

    #[test]
    fn quantiles_out_of_range_or_twice_are_errors() {
        assert!(SummaryOptions::with_quantiles([0]).sorted_quantiles().is_err());
        assert!(SummaryOptions::with_quantiles([101]).sorted_quantiles().is_err());
        assert!(SummaryOptions::with_quantiles([50, 5, 50]).sorted_quantiles().is_err());
        assert_eq!(SummaryOptions::with_quantiles([95, 5, 50]).sorted_quantiles().unwrap(), vec![5, 50, 95]);
    }
}
