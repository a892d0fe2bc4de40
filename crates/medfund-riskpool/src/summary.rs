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
}

/// What a summary reports beyond the figures every projection has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SummaryOptions {
    /// Nearest-rank percentiles (1–100, each once) of the closing balance
    /// and of Σ unresolved to report per year; none by default.
    pub quantiles: Vec<u32>,
}

impl SummaryOptions {
    /// Options reporting the percentiles `quantiles` (validated by the summary).
    pub fn with_quantiles(quantiles: impl Into<Vec<u32>>) -> SummaryOptions {
        SummaryOptions { quantiles: quantiles.into() }
    }

    /// The quantiles ascending; one out of 1–100 or given twice is an error.
    fn sorted_quantiles(&self) -> Result<Vec<u32>> {
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
    let mut out = Vec::with_capacity(n_schemes);
    let mut closing: Vec<i64> = Vec::with_capacity(trials);
    let mut unresolved: Vec<i64> = Vec::with_capacity(trials);
    for (s, scheme) in schemes.iter().enumerate() {
        let mut stats = Vec::with_capacity(years);
        // Per trial: has it had a review in any year so far?
        let mut reviewed = vec![false; trials];
        let mut ever = 0_usize;
        let mut year = spec.first_year;
        for y in 0..years {
            closing.clear();
            closing.extend((0..trials).map(|t| at(&block.closing, cell_of(t, y, s))));
            unresolved.clear();
            unresolved.extend((0..trials).map(|t| at(&block.unresolved, cell_of(t, y, s))));
            let mut reviews = 0_usize;
            let mut first = 0_usize;
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
            let (mean_closing, mean_closing_se) = mean_and_se(&closing)?;
            let (mean_unresolved, mean_unresolved_se) = mean_and_se(&unresolved)?;
            closing.sort_unstable();
            let pct = |v: &[i64], p| {
                Money::from_fen(nearest_rank(v, p).expect("invariant: at least one trial, so a percentile exists"))
            };
            if !quantiles.is_empty() {
                unresolved.sort_unstable();
            }
            stats.push(YearStats {
                year,
                closing_balance: Percentiles { p5: pct(&closing, 5), p50: pct(&closing, 50), p95: pct(&closing, 95) },
                p_actuarial_review: share(reviews, trials),
                mean_unresolved,
                p_review_cumulative: share(ever, trials),
                p_first_review: share(first, trials),
                p_actuarial_review_se: binomial_se(reviews, trials),
                p_review_cumulative_se: binomial_se(ever, trials),
                p_first_review_se: binomial_se(first, trials),
                mean_unresolved_se,
                mean_closing_balance: mean_closing,
                mean_closing_balance_se: mean_closing_se,
                quantiles: quantiles
                    .iter()
                    .map(|&p| Quantile { p, closing_balance: pct(&closing, p), unresolved: pct(&unresolved, p) })
                    .collect(),
            });
            year = year.checked_add(1).ok_or_else(|| overflow("year"))?;
        }
        out.push(SchemeProjection { scheme: scheme.scheme, years: stats });
    }
    Ok(out)
}

/// The mean of `values` (fen), rounded half away from zero to the fen, and
/// its standard error (none for fewer than two values).
fn mean_and_se(values: &[i64]) -> Result<(Money, Option<Money>)> {
    let n = i128::try_from(values.len()).map_err(|_| overflow("trials"))?;
    // Exact: at most 2^32 trials of i64 values sum within an i128.
    let total: i128 = values.iter().map(|&v| i128::from(v)).sum();
    let mean = Rounding::HalfAwayFromZero.div_i128(total, n).ok_or_else(|| overflow("mean"))?;
    let mean = Money::from_fen(i64::try_from(mean).expect("invariant: a mean of i64 values is an i64"));
    Ok((mean, standard_error(values, total)))
}

/// The standard error of the mean of `values` (whose exact sum is `total`),
/// in fen rounded to the fen: a statistic computed in floating point.
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss, clippy::cast_possible_truncation)]
fn standard_error(values: &[i64], total: i128) -> Option<Money> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = total as f64 / n;
    // Deviations from the mean, so that large balances lose no precision.
    let squares: f64 = values
        .iter()
        .map(|&v| {
            let d = v as f64 - mean;
            d * d
        })
        .sum();
    let se = (squares / (n - 1.0) / n).sqrt();
    // `as` saturates; an error of 9.2e16 yuan is far beyond any fund.
    Some(Money::from_fen(se.round() as i64))
}

/// `count / total` as a float (a probability, not money).
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
fn share(count: usize, total: usize) -> f64 {
    count as f64 / total as f64
}

/// The binomial standard error √(p(1 − p)/n) of the share `count / total`.
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
fn binomial_se(count: usize, total: usize) -> f64 {
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
        let (mean, se) = mean_and_se(&[100, 200, 300, 400]).unwrap();
        assert_eq!(mean, Money::from_fen(250));
        assert_eq!(se, Some(Money::from_fen(65)));
        assert_eq!(mean_and_se(&[7]).unwrap(), (Money::from_fen(7), None));
        assert_eq!(mean_and_se(&[-1, -2]).unwrap().0, Money::from_fen(-2)); // −1.5 → −2
    }

    #[test]
    fn quantiles_out_of_range_or_twice_are_errors() {
        assert!(SummaryOptions::with_quantiles([0]).sorted_quantiles().is_err());
        assert!(SummaryOptions::with_quantiles([101]).sorted_quantiles().is_err());
        assert!(SummaryOptions::with_quantiles([50, 5, 50]).sorted_quantiles().is_err());
        assert_eq!(SummaryOptions::with_quantiles([95, 5, 50]).sorted_quantiles().unwrap(), vec![5, 50, 95]);
    }
}
