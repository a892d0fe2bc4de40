//! Monte Carlo projection of the risk-sharing fund over several years
//! (scenario contract §8): each unit's revenue and expenditure grow by a rate
//! drawn every year from a normal distribution (independently, or with the
//! correlations, persistence and tails of [`Shocks`]); balances and rolling
//! surpluses carry over exactly as in [`roll_forward`](crate::roll_forward),
//! each year under the policy version the history has for it.
//!
//! **Reproducible.** Trial *i* draws from stream *i* of a ChaCha8 generator
//! seeded with the scenario seed (one for the trial, or one per unit: see
//! [`Streams`]), so the result is the same with one thread or many. **Exact.** A drawn growth rate is kept to the part per billion
//! (10⁻⁹) and applied in integer arithmetic, rounded half away from zero to
//! the fen; with every `sd = 0` each trial equals the deterministic
//! roll-forward at the mean growth.

use medfund_core::{Money, PolicyHistory, Rate, Rounding};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::draws::{Seeds, TrialDraws};
pub use crate::draws::{Streams, stream_key};
use crate::error::{Result, RiskPoolError};
use crate::policy::{RiskPoolPolicy, Scheme};
pub use crate::shocks::{ShockDistribution, Shocks};
pub use crate::summary::{
    Percentiles, Quantile, SchemeProjection, SummaryOptions, YearStats, nearest_rank, summarize, summarize_with,
};
pub use crate::trials::TrialBlock;
use crate::units::UnitTally;
use crate::year::{SchemeEngine, UnitFigures, UnitOutcome};

const PPB: i64 = 1_000_000_000;

/// The mean of a yearly growth rate: one for every year, or a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GrowthMean {
    /// The same mean every growth year.
    Constant(Rate),
    /// One mean per growth year, from the second projected year on (a
    /// projection of *n* years has *n* − 1 growth years): a deterministic
    /// scenario path when the sd is 0.
    Path(Vec<Rate>),
}

/// A normal distribution (or the distribution of [`Shocks`]) of a yearly
/// growth rate about a mean or a path of means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Growth {
    /// Mean rate (e.g. 5 %), or one per growth year.
    pub mean: GrowthMean,
    /// Standard deviation (e.g. 2 %); zero for a deterministic path.
    pub sd: Rate,
}

impl Growth {
    /// A growth about `mean` with standard deviation `sd`.
    pub fn normal(mean: Rate, sd: Rate) -> Growth {
        Growth { mean: GrowthMean::Constant(mean), sd }
    }

    /// A growth with no spread.
    pub fn fixed(mean: Rate) -> Growth {
        Growth::normal(mean, Rate::ZERO)
    }

    /// A growth about one mean per growth year (the second projected year
    /// on), with standard deviation `sd` (zero for a deterministic path).
    pub fn path(means: Vec<Rate>, sd: Rate) -> Growth {
        Growth { mean: GrowthMean::Path(means), sd }
    }

    /// Mean and sd in ppb for each of `growth_years` years; errors name
    /// `fields` (of the sd, of the path).
    fn ppb(&self, fields: (&'static str, &'static str), growth_years: usize) -> Result<Vec<(i64, i64)>> {
        if self.sd.is_negative() {
            return Err(RiskPoolError::InvalidPolicy {
                field: fields.0,
                value: self.sd.to_string(),
                expected: "a standard deviation of zero or more",
            });
        }
        let sd = to_ppb(self.sd)?;
        match &self.mean {
            GrowthMean::Constant(mean) => Ok(vec![(to_ppb(*mean)?, sd); growth_years]),
            GrowthMean::Path(means) if means.len() == growth_years => {
                means.iter().map(|&m| Ok((to_ppb(m)?, sd))).collect()
            }
            GrowthMean::Path(means) => Err(RiskPoolError::InvalidPolicy {
                field: fields.1,
                value: format!("{} rates", means.len()),
                expected: "one rate per growth year: the projected years less the first",
            }),
        }
    }
}

/// A rate in parts per billion (10⁻⁹), rounded half away from zero.
fn to_ppb(r: Rate) -> Result<i64> {
    let overflow = || medfund_core::CoreError::Overflow { operation: "growth rate" };
    let (num, den) = r.as_i128_ratio().ok_or_else(overflow)?;
    let ppb = Rounding::HalfAwayFromZero
        .div_i128(num.checked_mul(i128::from(PPB)).ok_or_else(overflow)?, den)
        .ok_or_else(overflow)?;
    Ok(i64::try_from(ppb).map_err(|_| overflow())?)
}

/// A unit to project: its first-year figures and its growth laws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectedUnit {
    /// First-year revenue, expenditure, rolling surplus and fiscal share.
    pub first_year: UnitFigures,
    /// Yearly revenue growth.
    pub revenue_growth: Growth,
    /// Yearly expenditure growth.
    pub expenditure_growth: Growth,
    /// The key of the unit's own random stream under [`Streams::PerUnit`]
    /// ([`stream_key`] of its scheme and id; different for every unit);
    /// unused under [`Streams::PerTrial`].
    pub stream_key: u64,
}

/// A scheme to project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectedScheme {
    /// The scheme.
    pub scheme: Scheme,
    /// Balance at the start of the first year.
    pub opening_balance: Money,
    /// Its units, in report order.
    pub units: Vec<ProjectedUnit>,
}

/// How many years and trials, from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ProjectionSpec {
    /// The first projected year (computed from the given figures).
    pub first_year: i32,
    /// Projected years, the first included.
    pub years: u32,
    /// Monte Carlo trials.
    pub trials: u32,
    /// The seed.
    pub seed: u64,
}

impl ProjectionSpec {
    /// The bytes [`simulate`] holds at once for `schemes` schemes: per
    /// trial, year and scheme a closing balance, a Σ unresolved (8 bytes
    /// each) and a review flag (1 byte), plus the summary's columns of
    /// trials (a closing balance and a Σ unresolved to sort, a "reviewed so
    /// far" flag: 17 bytes a trial); `None` if that does not fit a `u64`. A
    /// front end checks it against its limit before calling [`simulate`],
    /// which allocates it, and past the limit runs
    /// [`stream::simulate_two_pass`](crate::stream::simulate_two_pass),
    /// whose memory does not grow with the trials.
    ///
    /// ```
    /// use medfund_riskpool::ProjectionSpec;
    /// let spec = ProjectionSpec { first_year: 2024, years: 10, trials: 10_000, seed: 42 };
    /// assert_eq!(spec.memory_bytes(2), Some(10 * 2 * 10_000 * 17 + 10_000 * 17));
    /// ```
    pub fn memory_bytes(&self, schemes: usize) -> Option<u64> {
        let cells =
            u64::from(self.years).checked_mul(u64::try_from(schemes).ok()?)?.checked_mul(u64::from(self.trials))?;
        cells.checked_mul(17)?.checked_add(u64::from(self.trials).checked_mul(17)?)
    }
}

/// Applies a growth of `ppb` parts per billion to `amount`, rounded half away
/// from zero; a fall below −100 % leaves zero; a growth past i64 ppb is an
/// overflow error, not a smaller growth.
fn grow(amount: Money, ppb: i64) -> Result<Money> {
    let factor = PPB.checked_add(ppb).ok_or_else(|| overflow("growth rate"))?;
    if factor <= 0 {
        return Ok(Money::ZERO);
    }
    Ok(amount.mul_ratio(i128::from(factor), i128::from(PPB), Rounding::HalfAwayFromZero)?)
}

/// A unit's growth laws of one year in ppb: (revenue mean, sd, expenditure mean, sd).
type Laws = (i64, i64, i64, i64);

/// The state of one trial, reused across trials on one thread.
pub(crate) struct TrialScratch {
    engine: SchemeEngine,
    draws: TrialDraws,
    figures: Vec<Vec<UnitFigures>>,
    outcomes: Vec<UnitOutcome>,
    /// Per unit (over all schemes): an unresolved gap earlier in this trial?
    unresolved_before: Vec<bool>,
}

/// Runs the projection. `progress` is called with the number of trials
/// finished (from any thread), for a progress bar.
pub fn simulate(
    history: &PolicyHistory<RiskPoolPolicy>,
    spec: ProjectionSpec,
    schemes: &[ProjectedScheme],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<SchemeProjection>> {
    simulate_with(history, spec, &Shocks::default(), schemes, &SummaryOptions::default(), progress)
}

/// [`simulate`] with the draws of `shocks` and the statistics of `options` (quantiles).
pub fn simulate_with(
    history: &PolicyHistory<RiskPoolPolicy>,
    spec: ProjectionSpec,
    shocks: &Shocks,
    schemes: &[ProjectedScheme],
    options: &SummaryOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<SchemeProjection>> {
    let block = simulate_trials_with(history, spec, shocks, schemes, options, 0..spec.trials, progress)?;
    summarize_with(spec, schemes, &block, options)
}

pub(crate) fn overflow(operation: &'static str) -> RiskPoolError {
    RiskPoolError::Core(medfund_core::CoreError::Overflow { operation })
}

/// Runs the trials `trials` (a range of `0..spec.trials`) of the
/// projection and keeps each one's outcome. Trial *i* is the same whichever
/// range it is run in, so blocks run apart (on other threads, processes or
/// machines) and put together with [`TrialBlock::concat`] give exactly the
/// projection of [`simulate`]: see [`summarize`].
pub fn simulate_trials(
    history: &PolicyHistory<RiskPoolPolicy>,
    spec: ProjectionSpec,
    schemes: &[ProjectedScheme],
    trials: std::ops::Range<u32>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<TrialBlock> {
    simulate_trials_with(history, spec, &Shocks::default(), schemes, &SummaryOptions::default(), trials, progress)
}

/// [`simulate_trials`] with the draws of `shocks`; with
/// [`SummaryOptions::per_unit`] the block also carries the trials'
/// [`UnitTally`] (only that option matters here).
pub fn simulate_trials_with(
    history: &PolicyHistory<RiskPoolPolicy>,
    spec: ProjectionSpec,
    shocks: &Shocks,
    schemes: &[ProjectedScheme],
    options: &SummaryOptions,
    trials: std::ops::Range<u32>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<TrialBlock> {
    let runner = Runner::new(history, spec, shocks, schemes)?;
    runner.check_range(&trials)?;
    let row = runner.row;
    let count = usize::try_from(trials.end.checked_sub(trials.start).expect("invariant: start ≤ end was checked"))
        .map_err(|_| overflow("trials"))?;
    let cells = row.checked_mul(count).ok_or_else(|| overflow("projection size"))?;
    // Per trial, per year, per scheme: closing balance, Σ unresolved, review flag.
    let mut block = TrialBlock {
        first_trial: trials.start,
        trials: count,
        row,
        closing: vec![0_i64; cells],
        unresolved: vec![0_i64; cells],
        review: vec![false; cells],
        units: None,
    };
    let done = std::sync::atomic::AtomicU64::new(0);
    let chunk = row.max(1);
    let first = u64::from(trials.start);
    // Each piece of work tallies its trials' units on its own; the tallies add up.
    let empty = options.per_unit.then(|| runner.unit_tally()).transpose()?;
    // At most COPIES_PER_THREAD pieces of work per thread, so at most that many tallies at once.
    let pieces = u64::try_from(rayon::current_num_threads())
        .map_or(u64::MAX, |t| t.saturating_mul(crate::units::UnitTally::COPIES_PER_THREAD));
    let min_len = usize::try_from(u64::try_from(count).expect("invariant: usize fits u64").div_ceil(pieces.max(1)))
        .expect("invariant: at most the trials")
        .max(1);
    let tally = block
        .closing
        .par_chunks_mut(chunk)
        .zip(block.unresolved.par_chunks_mut(chunk))
        .zip(block.review.par_chunks_mut(chunk))
        .enumerate()
        .with_min_len(min_len)
        .try_fold(
            || (runner.scratch(), vec![Cell::default(); row], empty.clone()),
            |(mut scratch, mut out, mut tally), (k, ((c, u), r))| {
                let trial = first.checked_add(u64::try_from(k).expect("invariant: a trial index fits a u64"));
                let trial = trial.expect("invariant: trial indices are below 2^32");
                runner.run(&mut scratch, trial, &mut out, tally.as_mut())?;
                for (((cell, c), u), r) in out.iter().zip(c).zip(u).zip(r) {
                    (*c, *u, *r) = (cell.closing, cell.unresolved, cell.review);
                }
                let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                progress(finished.checked_add(1).expect("invariant: fewer than 2^64 trials"));
                Ok::<_, RiskPoolError>((scratch, out, tally))
            },
        )
        .map(|state| state.map(|(_, _, tally)| tally))
        .try_reduce(
            || empty.clone(),
            |a, b| match (a, b) {
                (Some(mut a), Some(b)) => {
                    a.merge(&b)?;
                    Ok(Some(a))
                }
                (a, _) => Ok(a),
            },
        )?;
    block.units = tally;
    Ok(block)
}

/// One scheme in one year of one trial.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cell {
    /// The closing balance in fen.
    pub(crate) closing: i64,
    /// Σ unresolved in fen.
    pub(crate) unresolved: i64,
    /// The actuarial review flag.
    pub(crate) review: bool,
}

/// A projection ready to run trials: policies per year and growth laws in
/// ppb, checked once.
pub(crate) struct Runner<'a> {
    spec: ProjectionSpec,
    schemes: &'a [ProjectedScheme],
    policies: Vec<RiskPoolPolicy>,
    /// Per growth year (the second projected year on), scheme and unit.
    laws: Vec<Vec<Vec<Laws>>>,
    shock_parameters: crate::shocks::Parameters,
    seeds: Seeds,
    all_units: usize,
    /// Cells per trial: years × schemes.
    pub(crate) row: usize,
}

impl<'a> Runner<'a> {
    pub(crate) fn new(
        history: &PolicyHistory<RiskPoolPolicy>,
        spec: ProjectionSpec,
        shocks: &Shocks,
        schemes: &'a [ProjectedScheme],
    ) -> Result<Runner<'a>> {
        let shock_parameters = shocks.parameters()?;
        let all_units: usize = schemes.iter().map(|s| s.units.len()).sum();
        let years = usize::try_from(spec.years).map_err(|_| overflow("years"))?;
        if years == 0 || spec.trials == 0 {
            return Err(RiskPoolError::InvalidPolicy {
                field: "projection",
                value: format!("{} years × {} trials", spec.years, spec.trials),
                expected: "at least one year and one trial",
            });
        }
        let mut policies = Vec::with_capacity(years);
        let mut year = spec.first_year;
        for _ in 0..years {
            policies.push(history.for_year(year)?.params().clone());
            year = year.checked_add(1).ok_or_else(|| overflow("year"))?;
        }
        let growth_years = years.checked_sub(1).expect("invariant: at least one year was checked");
        let mut laws = vec![Vec::with_capacity(schemes.len()); growth_years];
        for s in schemes {
            for year in &mut laws {
                year.push(Vec::with_capacity(s.units.len()));
            }
            for u in &s.units {
                let revenue = u.revenue_growth.ppb(("revenue_growth.sd", "revenue_growth.path"), growth_years)?;
                let expenditure =
                    u.expenditure_growth.ppb(("expenditure_growth.sd", "expenditure_growth.path"), growth_years)?;
                for ((year, (rm, rs)), (em, es)) in laws.iter_mut().zip(revenue).zip(expenditure) {
                    year.last_mut().expect("invariant: a list per scheme was pushed").push((rm, rs, em, es));
                }
            }
        }
        if let Some(matrix) = &shocks.unit_correlation
            && matrix.len() != all_units
        {
            return Err(RiskPoolError::InvalidPolicy {
                field: "shocks.unit_correlation",
                value: format!("{} rows for {all_units} projected units", matrix.len()),
                expected: "a row and a column per projected unit",
            });
        }
        let keys: Vec<u64> = schemes.iter().flat_map(|s| s.units.iter().map(|u| u.stream_key)).collect();
        let seeds = Seeds::new(spec.seed, shocks.streams, &keys)?;
        let row = years.checked_mul(schemes.len()).ok_or_else(|| overflow("projection size"))?;
        Ok(Runner { spec, schemes, policies, laws, shock_parameters, seeds, all_units, row })
    }

    /// `trials` must be a range of the projection's trials.
    pub(crate) fn check_range(&self, trials: &std::ops::Range<u32>) -> Result<()> {
        if trials.start > trials.end || trials.end > self.spec.trials {
            return Err(RiskPoolError::TrialBlocks {
                found: format!("trials {}..{} of {}", trials.start, trials.end, self.spec.trials),
                expected: "a range of trials within the projection's",
            });
        }
        Ok(())
    }

    /// The state one thread reuses from trial to trial.
    pub(crate) fn scratch(&self) -> TrialScratch {
        TrialScratch {
            engine: SchemeEngine::new(),
            draws: TrialDraws::new(self.shock_parameters.clone(), self.all_units),
            figures: self.schemes.iter().map(|s| Vec::with_capacity(s.units.len())).collect(),
            outcomes: Vec::new(),
            unresolved_before: vec![false; self.all_units],
        }
    }

    /// An empty per-unit tally of this projection.
    pub(crate) fn unit_tally(&self) -> Result<UnitTally> {
        UnitTally::new(self.policies.len(), self.all_units)
    }

    /// Runs trial `trial` into `out` (`row` cells: year by year, scheme by
    /// scheme), adding its units' outcomes to `tally` if given.
    pub(crate) fn run(
        &self,
        scratch: &mut TrialScratch,
        trial: u64,
        out: &mut [Cell],
        mut tally: Option<&mut UnitTally>,
    ) -> Result<()> {
        let draws = &mut scratch.draws;
        scratch.unresolved_before.fill(false);
        draws.start(&self.seeds, trial);
        let mut openings: Vec<Money> = self.schemes.iter().map(|s| s.opening_balance).collect();
        for (figures, scheme) in scratch.figures.iter_mut().zip(self.schemes) {
            figures.clear();
            figures.extend(scheme.units.iter().map(|u| u.first_year));
        }
        let mut cells = out.iter_mut();
        for (y, policy) in self.policies.iter().enumerate() {
            // The laws of this year's growth (none in the first year, computed from the figures given).
            let year_laws = y.checked_sub(1).map(|g| self.laws.get(g).expect("invariant: a law per growth year"));
            if year_laws.is_some() {
                draws.year();
            }
            // Units are numbered over all schemes, in order, for their draws' state.
            let mut u = 0_usize;
            // The same numbering, for the per-unit tally.
            let mut first_unit = 0_usize;
            for (s, (figures, opening)) in scratch.figures.iter_mut().zip(openings.iter_mut()).enumerate() {
                if let Some(year_laws) = year_laws {
                    let laws = year_laws.get(s).expect("invariant: laws per scheme");
                    for (f, &law) in figures.iter_mut().zip(laws) {
                        let (revenue, expenditure) = draws.unit(u, law);
                        f.revenue = grow(f.revenue, revenue)?;
                        f.expenditure = grow(f.expenditure, expenditure)?;
                        u = u.checked_add(1).expect("invariant: fewer units than usize::MAX");
                    }
                }
                let totals = scratch.engine.run(policy, *opening, figures, &mut scratch.outcomes)?;
                let mut sum = Money::ZERO;
                for (f, o) in figures.iter_mut().zip(&scratch.outcomes) {
                    f.rolling_surplus = o.closing_rolling_surplus;
                    sum = sum.checked_add(o.unresolved)?;
                }
                if let Some(tally) = tally.as_deref_mut() {
                    let before = scratch.unresolved_before.iter_mut().skip(first_unit);
                    for (i, (o, before)) in scratch.outcomes.iter().zip(before).enumerate() {
                        let unit = first_unit.checked_add(i).expect("invariant: fewer units than usize::MAX");
                        tally.record(y, unit, o, before)?;
                    }
                }
                first_unit = first_unit.checked_add(figures.len()).expect("invariant: fewer units than usize::MAX");
                *opening = totals.closing_balance;
                *cells.next().expect("invariant: `out` holds years × schemes cells") = Cell {
                    closing: totals.closing_balance.fen(),
                    unresolved: sum.fen(),
                    review: totals.actuarial_review,
                };
            }
            if year_laws.is_some() {
                draws.end_year();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_exact_to_the_fen() {
        assert_eq!(grow(Money::from_fen(1_000), 50_000_000).unwrap(), Money::from_fen(1_050));
        assert_eq!(grow(Money::from_fen(10), 50_000_000).unwrap(), Money::from_fen(11)); // 10.5 → 11
        assert_eq!(grow(Money::from_fen(10), -2_000_000_000).unwrap(), Money::ZERO);
        assert!(grow(Money::from_fen(10), i64::MAX).is_err());
    }
}
