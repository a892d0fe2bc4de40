//! Projections whose memory does not grow with the number of trials: the
//! two-pass method.
//!
//! A trial is deterministic given the seed and its number, so it can be run
//! again instead of kept. The method runs every trial in each pass and keeps
//! only what the pass needs:
//!
//! 1. **Counts.** Per scheme-year: reviews, first reviews, exact sums of the
//!    closing balance and of Σ unresolved, and counts of both in the bins of
//!    a fixed order-preserving scale (every value below 2¹³ fen a bin of its
//!    own, above that 4,096 bins per power of two; each bin with its least
//!    and greatest value). Each wanted nearest-rank percentile is
//!    then known to lie in one bin; a bin whose values are all equal gives it.
//! 2. **Selection.** Each trial is run again. Values inside a wanted bin are
//!    kept when all such bins together hold at most [`Plan::budget`] values,
//!    and the percentile is selected among them exactly; otherwise that bin
//!    is cut into 4,096 equal bins and a further pass narrows it. The same
//!    pass sums Σ (v − m)² about the rounded mean for the standard errors.
//!
//! Every figure comes from integer counts and sums, so the result equals
//! [`summarize`](crate::summarize) of all trials kept in memory, whatever the
//! threads; and a pass may be run over separate ranges of trials (processes,
//! machines) whose [`Gathered`] outcomes merge exactly: [`Plan::next`].

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{Result, RiskPoolError};
use crate::policy::Scheme;
use crate::projection::{ProjectedScheme, ProjectionSpec, overflow};
use crate::select::{Bin, LinearCounts, ScaleCounts, linear_bin, locate};
use crate::summary::{
    CLOSING, CellFigures, SchemeProjection, SummaryOptions, UNRESOLVED, add_unit_stats, mean, rank_of, year_stats,
};
use crate::units::UnitTally;

mod gather;
mod wire;

pub use gather::{gather, simulate_two_pass};

/// Values a selection pass keeps at most by default (8 bytes each: 128 MiB).
pub const DEFAULT_BUDGET: u64 = 1 << 24;

/// One wanted percentile of one statistic of one scheme-year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Target {
    /// Year index × schemes + scheme index.
    pub(crate) cell: u32,
    /// [`CLOSING`] or [`UNRESOLVED`].
    pub(crate) stat: u8,
    /// Its rank among the trials, 1-based.
    pub(crate) rank: u64,
    pub(crate) state: TargetState,
}

impl Target {
    /// The index of its statistic's scale counts in a first pass: cell × 2 + statistic.
    pub(crate) fn scale(&self) -> usize {
        usize::try_from(self.cell)
            .ok()
            .and_then(|c| c.checked_mul(2)?.checked_add(usize::from(self.stat)))
            .expect("invariant: cells × 2 fit usize")
    }
}

/// What is known of a target so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum TargetState {
    /// The first pass locates it.
    Open,
    /// Its value lies in `lo ..= hi`, which holds `count` values with
    /// `below` values under `lo`; the next pass keeps them (`keep`) or cuts
    /// the interval finer.
    Within { lo: i64, hi: i64, below: u64, count: u64, keep: bool },
    /// Its value.
    Found(i64),
}

/// Per scheme-year, from the first pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CellCounts {
    pub(crate) reviews: u64,
    pub(crate) first: u64,
    pub(crate) sums: [i128; 2],
}

/// What the next pass over the trials gathers, and what earlier passes
/// found. Start with [`Plan::new`], run [`gather`] over all trials (in one
/// range or several, merged with [`Gathered::merge`]), then [`Plan::next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub(crate) spec: ProjectionSpec,
    pub(crate) schemes: u32,
    pub(crate) scheme_ids: Vec<Scheme>,
    pub(crate) quantiles: Vec<u32>,
    pub(crate) budget: u64,
    /// 1 for the counting pass, then 2, 3…
    pub(crate) pass: u32,
    /// From pass 1: per cell.
    pub(crate) counts: Vec<CellCounts>,
    /// From pass 2: per cell, Σ (v − m)² of both statistics.
    pub(crate) squares: Vec<[u128; 2]>,
    pub(crate) targets: Vec<Target>,
    /// Per-unit statistics asked for ([`SummaryOptions::per_unit`]).
    pub(crate) per_unit: bool,
    /// Units per scheme.
    pub(crate) unit_counts: Vec<u32>,
    /// From pass 1 when `per_unit`: the per-unit tally of every trial.
    pub(crate) units: Option<UnitTally>,
}

/// What one pass gathered over some trials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gathered {
    pub(crate) pass: u32,
    /// The trial ranges covered (merged ones side by side).
    pub(crate) ranges: Vec<(u32, u32)>,
    /// Pass 1: per cell.
    pub(crate) counts: Vec<CellCounts>,
    /// Pass 1: per cell × 2 + statistic, for statistics with targets.
    pub(crate) scale: Vec<ScaleCounts>,
    /// Pass 2: per cell.
    pub(crate) squares: Vec<[u128; 2]>,
    /// Later passes: per target (`None` unless it is cut finer this pass).
    pub(crate) refine: Vec<Option<LinearCounts>>,
    /// Later passes: per target, the values kept.
    pub(crate) kept: Vec<Vec<i64>>,
    /// Pass 1 of a plan with per-unit statistics: their tally.
    pub(crate) units: Option<UnitTally>,
}

/// After a pass: another one, or the projection.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Step {
    /// Run [`gather`] with this plan over all trials again.
    Next(Plan),
    /// The statistics, equal to [`summarize_with`](crate::summarize_with) of every trial.
    Done(Vec<SchemeProjection>),
}

fn mismatch(found: String, expected: &'static str) -> RiskPoolError {
    RiskPoolError::TrialBlocks { found, expected }
}

impl Plan {
    /// The first pass of a projection of `schemes`, reporting the
    /// quantiles of `options`, keeping at most `budget` values in a
    /// selection pass ([`DEFAULT_BUDGET`] is a fair choice).
    pub fn new(
        spec: ProjectionSpec,
        schemes: &[ProjectedScheme],
        options: &SummaryOptions,
        budget: u64,
    ) -> Result<Plan> {
        let quantiles = options.sorted_quantiles()?;
        let scheme_ids: Vec<Scheme> = schemes.iter().map(|s| s.scheme).collect();
        let schemes_given = schemes;
        let schemes = schemes.len();
        if spec.years == 0 || spec.trials == 0 || schemes == 0 {
            return Err(RiskPoolError::InvalidPolicy {
                field: "projection",
                value: format!("{} years × {} trials of {schemes} schemes", spec.years, spec.trials),
                expected: "at least one year, one trial and one scheme",
            });
        }
        let n_schemes = u32::try_from(schemes).map_err(|_| overflow("schemes"))?;
        let cells = spec.years.checked_mul(n_schemes).ok_or_else(|| overflow("projection size"))?;
        let targets = open_targets(spec.trials, cells, &quantiles);
        let unit_counts = schemes_given
            .iter()
            .map(|s| u32::try_from(s.units.len()).map_err(|_| overflow("units")))
            .collect::<Result<_>>()?;
        Ok(Plan {
            spec,
            schemes: n_schemes,
            scheme_ids,
            quantiles,
            budget,
            pass: 1,
            counts: Vec::new(),
            squares: Vec::new(),
            targets,
            per_unit: options.per_unit,
            unit_counts,
            units: None,
        })
    }

    /// The pass this plan is for (1 counts; later ones select).
    pub fn pass(&self) -> u32 {
        self.pass
    }

    /// The most values a selection pass keeps.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    fn years(&self) -> Option<usize> {
        usize::try_from(self.spec.years).ok()
    }

    fn cells(&self) -> usize {
        usize::try_from(self.spec.years.checked_mul(self.schemes).expect("invariant: checked by Plan::new"))
            .expect("invariant: cells fit usize")
    }

    /// Nothing gathered yet over `range`.
    fn empty(&self, range: &Range<u32>) -> Result<Gathered> {
        let cells = self.cells();
        let first = self.pass == 1;
        Ok(Gathered {
            pass: self.pass,
            ranges: vec![(range.start, range.end)],
            counts: if first { vec![CellCounts::default(); cells] } else { Vec::new() },
            scale: if first {
                vec![ScaleCounts::default(); cells.checked_mul(2).expect("invariant: cells × 2 fit usize")]
            } else {
                Vec::new()
            },
            squares: if self.pass == 2 { vec![[0; 2]; cells] } else { Vec::new() },
            // Counts of finer bins for the targets cut finer this pass.
            refine: if first {
                Vec::new()
            } else {
                self.targets
                    .iter()
                    .map(|t| matches!(t.state, TargetState::Within { keep: false, .. }).then(LinearCounts::new))
                    .collect()
            },
            kept: if first { Vec::new() } else { self.targets.iter().map(|_| Vec::new()).collect() },
            units: (first && self.per_unit).then(|| self.empty_tally()).transpose()?,
        })
    }

    /// Units over all schemes (`None` past a `usize`, in a plan from elsewhere).
    fn all_units(&self) -> Option<usize> {
        self.unit_counts.iter().try_fold(0_usize, |a, &c| a.checked_add(usize::try_from(c).ok()?))
    }

    /// An empty per-unit tally of this plan's projection.
    fn empty_tally(&self) -> Result<UnitTally> {
        let years = usize::try_from(self.spec.years).map_err(|_| overflow("years"))?;
        UnitTally::new(years, self.all_units().ok_or_else(|| overflow("units"))?)
    }

    /// The rounded means of a cell's statistics (after pass 1).
    fn means(&self, cell: usize) -> Result<[i64; 2]> {
        let c = self.counts.get(cell).expect("invariant: pass 1 counted every cell");
        let n = u64::from(self.spec.trials);
        Ok([mean(c.sums[CLOSING], n)?, mean(c.sums[UNRESOLVED], n)?])
    }
}

impl Plan {
    /// What the pass's [`Gathered`] (over every trial, merged) tells: the
    /// next pass to run, or the statistics. `gathered` must be of this
    /// plan's pass and cover the trials `0..trials` exactly once.
    pub fn next(mut self, gathered: Gathered) -> Result<Step> {
        self.check(&gathered)?;
        if self.pass == 1 {
            let n = u64::from(self.spec.trials);
            let schemes = usize::try_from(self.schemes).expect("invariant: u32 fits usize");
            let firsts = |s: usize| gathered.counts.iter().skip(s).step_by(schemes).map(|c| c.first);
            if gathered.counts.iter().any(|c| c.reviews > n || c.first > c.reviews)
                || (0..schemes).any(|s| firsts(s).try_fold(0_u64, u64::checked_add).is_none_or(|f| f > n))
            {
                return Err(mismatch("more reviews than trials".into(), "every trial counted once"));
            }
            self.counts = gathered.counts;
            if let Some(units) = gathered.units {
                units.check(n)?;
                self.units = Some(units);
            }
            let scales = gathered.scale;
            for t in &mut self.targets {
                let scale = scales.get(t.scale()).expect("invariant: checked: two scales per cell");
                if scale.bins().map(|(_, b)| b.count).try_fold(0_u64, u64::checked_add) != Some(n) {
                    return Err(mismatch("bins that do not count every trial once".into(), "every trial counted"));
                }
                let (below, bin) = locate(scale.bins().map(|(_, b)| b), t.rank).ok_or_else(|| {
                    mismatch(format!("fewer than {} values in pass 1", t.rank), "every trial counted")
                })?;
                t.state = within(below, bin);
            }
        } else {
            if self.pass == 2 {
                self.squares = gathered.squares;
            }
            for ((t, refine), mut kept) in self.targets.iter_mut().zip(gathered.refine).zip(gathered.kept) {
                let TargetState::Within { lo, hi, below, count, keep } = t.state else { continue };
                let rank = t.rank.checked_sub(below).expect("invariant: below < rank");
                if keep {
                    if u64::try_from(kept.len()).ok() != Some(count) || kept.iter().any(|v| !(lo..=hi).contains(v)) {
                        return Err(mismatch(
                            format!("{} values kept in {lo}..={hi} where pass 1 counted {count}", kept.len()),
                            "every trial gathered once, under one plan",
                        ));
                    }
                    let i = usize::try_from(rank).ok().and_then(|r| r.checked_sub(1));
                    let (_, v, _) = kept.select_nth_unstable(i.expect("invariant: 1 ≤ rank ≤ count"));
                    t.state = TargetState::Found(*v);
                } else {
                    let refine = refine.expect("invariant: checked: a target cut finer has counts");
                    let in_place = refine.bins.iter().enumerate().all(|(i, b)| {
                        b.count == 0
                            || (lo <= b.min
                                && b.max <= hi
                                && linear_bin(b.min, lo, hi) == i
                                && linear_bin(b.max, lo, hi) == i)
                    });
                    if !in_place || refine.bins.iter().map(|b| b.count).try_fold(0_u64, u64::checked_add) != Some(count)
                    {
                        return Err(mismatch(
                            format!("finer bins of {lo}..={hi} that do not hold its {count} values"),
                            "every trial gathered once, under one plan",
                        ));
                    }
                    let (more, bin) = locate(refine.bins.into_iter(), rank).ok_or_else(|| {
                        mismatch(format!("fewer than {rank} values in {lo}..={hi}"), "every trial gathered once")
                    })?;
                    t.state = within(below.checked_add(more).expect("invariant: at most the trials"), bin);
                }
            }
        }
        if !self.squares.is_empty() && self.targets.iter().all(|t| matches!(t.state, TargetState::Found(_))) {
            return self.finish().map(Step::Done);
        }
        // Keep the values of as many intervals as the budget allows, in order; cut the others finer.
        let mut kept = 0_u64;
        for t in &mut self.targets {
            if let TargetState::Within { count, keep, .. } = &mut t.state {
                *keep = kept.checked_add(*count).is_some_and(|k| k <= self.budget);
                if *keep {
                    kept = kept.checked_add(*count).expect("invariant: checked above");
                }
            }
        }
        self.pass = self.pass.checked_add(1).ok_or_else(|| overflow("passes"))?;
        Ok(Step::Next(self))
    }

    /// `g` is this plan's pass over every trial once, of this plan's shape.
    fn check(&self, g: &Gathered) -> Result<()> {
        if g.pass != self.pass {
            return Err(mismatch(format!("the outcome of pass {} for pass {}", g.pass, self.pass), "the same pass"));
        }
        let mut ranges = g.ranges.clone();
        ranges.sort_unstable();
        let mut next = 0_u32;
        for &(start, end) in &ranges {
            if start != next || end < start {
                return Err(mismatch(
                    format!("trials {start}..{end} after trials 0..{next}"),
                    "ranges of trials without gaps or overlaps",
                ));
            }
            next = end;
        }
        if next != self.spec.trials {
            return Err(mismatch(format!("trials 0..{next} of {}", self.spec.trials), "every trial of the projection"));
        }
        let cells = self.cells();
        let first = self.pass == 1;
        let tally_ok = match &g.units {
            Some(t) => first && self.per_unit && Some(t.units()) == self.all_units() && Some(t.years()) == self.years(),
            None => !(first && self.per_unit),
        };
        let shape_ok = tally_ok
            && if first {
                g.counts.len() == cells && Some(g.scale.len()) == cells.checked_mul(2)
            } else {
                g.refine.len() == self.targets.len()
                    && g.kept.len() == self.targets.len()
                    && (self.pass != 2 || g.squares.len() == cells)
                    && self.targets.iter().zip(&g.refine).all(|(t, r)| {
                        r.is_some() == matches!(t.state, TargetState::Within { keep: false, .. })
                            && r.as_ref().is_none_or(|r| r.bins.len() == crate::select::LINEAR_BINS)
                    })
            };
        if !shape_ok {
            return Err(mismatch("an outcome of another shape".into(), "the outcome of a pass under this plan"));
        }
        Ok(())
    }

    /// The statistics, once every target is found and the squares summed.
    fn finish(self) -> Result<Vec<SchemeProjection>> {
        let schemes = usize::try_from(self.schemes).expect("invariant: u32 fits usize");
        let n = u64::from(self.spec.trials);
        let found = |cell: usize, stat: usize, p: u32| -> i64 {
            let rank = rank_of(p, n);
            self.targets
                .iter()
                .find_map(|t| {
                    let here =
                        usize::try_from(t.cell).ok() == Some(cell) && usize::from(t.stat) == stat && t.rank == rank;
                    match t.state {
                        TargetState::Found(v) if here => Some(v),
                        _ => None,
                    }
                })
                .expect("invariant: every percentile reported has a target, found before finishing")
        };
        let mut out = Vec::with_capacity(schemes);
        for (s, &scheme) in self.scheme_ids.iter().enumerate() {
            let mut years = Vec::with_capacity(usize::try_from(self.spec.years).map_err(|_| overflow("years"))?);
            let mut ever = 0_u64;
            let mut year = self.spec.first_year;
            for (cell, (counts, squares)) in self.counts.iter().zip(&self.squares).enumerate().skip(s).step_by(schemes)
            {
                ever = ever.checked_add(counts.first).ok_or_else(|| overflow("trials"))?;
                let figures = CellFigures {
                    trials: n,
                    reviews: counts.reviews,
                    first: counts.first,
                    ever,
                    sums: counts.sums,
                    squares: *squares,
                };
                years.push(year_stats(year, &figures, &self.quantiles, |stat, p| found(cell, stat, p))?);
                year = year.checked_add(1).ok_or_else(|| overflow("year"))?;
            }
            out.push(SchemeProjection { scheme, years, units: Vec::new() });
        }
        if self.per_unit {
            let tally = self.units.as_ref().expect("invariant: pass 1 tallied the units of a per-unit plan");
            let sizes: Vec<usize> =
                self.unit_counts.iter().map(|&c| usize::try_from(c).expect("invariant: u32 fits usize")).collect();
            add_unit_stats(&mut out, self.spec, &sizes, tally)?;
        }
        Ok(out)
    }
}

/// The targets of a projection of `cells` scheme-years and `trials`
/// trials: per cell, the ranks of p5, p50, p95 and `quantiles` of the
/// closing balance, then those of `quantiles` of Σ unresolved (each rank once).
fn open_targets(trials: u32, cells: u32, quantiles: &[u32]) -> Vec<Target> {
    let n = u64::from(trials);
    let mut closing: Vec<u32> = vec![5, 50, 95];
    closing.extend(quantiles);
    let mut targets = Vec::new();
    for cell in 0..cells {
        let mut push = |stat: usize, ps: &[u32]| {
            let mut ranks: Vec<u64> = ps.iter().map(|&p| rank_of(p, n)).collect();
            ranks.sort_unstable();
            ranks.dedup();
            let stat = u8::try_from(stat).expect("invariant: two statistics");
            targets.extend(ranks.into_iter().map(|rank| Target { cell, stat, rank, state: TargetState::Open }));
        };
        push(CLOSING, &closing);
        push(UNRESOLVED, quantiles);
    }
    targets
}

/// The state of a target whose rank lies in `bin`, above `below` values.
fn within(below: u64, bin: Bin) -> TargetState {
    if bin.min == bin.max {
        TargetState::Found(bin.min)
    } else {
        TargetState::Within { lo: bin.min, hi: bin.max, below, count: bin.count, keep: false }
    }
}
