//! One pass over a range of trials, and passes put together.

use std::ops::Range;

use medfund_core::PolicyHistory;
use rayon::prelude::*;

use super::{Gathered, Plan, Step, TargetState, mismatch};
use crate::error::Result;
use crate::policy::RiskPoolPolicy;
use crate::projection::{Cell, ProjectedScheme, ProjectionSpec, Runner, Shocks, overflow};
use crate::summary::{CLOSING, SchemeProjection, SummaryOptions, UNRESOLVED, add_square};

impl Plan {
    /// Adds one trial's cells to `g`.
    fn visit(&self, g: &mut Gathered, cells: &[Cell], means: &[[i64; 2]]) -> Result<()> {
        let stat_of = |c: &Cell, stat: u8| if usize::from(stat) == CLOSING { c.closing } else { c.unresolved };
        if self.pass == 1 {
            let schemes = usize::try_from(self.schemes).expect("invariant: u32 fits usize");
            for s in 0..schemes {
                let mut reviewed = false;
                for (i, c) in cells.iter().enumerate().skip(s).step_by(schemes) {
                    let counts = g.counts.get_mut(i).expect("invariant: one count per cell");
                    if c.review {
                        counts.reviews = counts.reviews.checked_add(1).expect("invariant: fewer than 2^64 trials");
                        if !reviewed {
                            reviewed = true;
                            counts.first = counts.first.checked_add(1).expect("invariant: fewer than 2^64 trials");
                        }
                    }
                    for (sum, v) in counts.sums.iter_mut().zip([c.closing, c.unresolved]) {
                        *sum = sum.checked_add(i128::from(v)).expect("invariant: 2^32 i64 values sum within i128");
                    }
                }
            }
            // Scale counts of the statistics with targets (a cell's targets are side by side).
            let mut last = None;
            for t in &self.targets {
                if last.replace((t.cell, t.stat)) == Some((t.cell, t.stat)) {
                    continue;
                }
                let cell = usize::try_from(t.cell).expect("invariant: u32 fits usize");
                let c = cells.get(cell).expect("invariant: a target's cell is in the trial");
                let scale = g.scale.get_mut(t.scale()).expect("invariant: two scales per cell");
                scale.add(stat_of(c, t.stat));
            }
            return Ok(());
        }
        if self.pass == 2 {
            for ((sq, c), m) in g.squares.iter_mut().zip(cells).zip(means) {
                sq[CLOSING] = add_square(sq[CLOSING], c.closing, m[CLOSING])?;
                sq[UNRESOLVED] = add_square(sq[UNRESOLVED], c.unresolved, m[UNRESOLVED])?;
            }
        }
        for ((t, refine), kept) in self.targets.iter().zip(&mut g.refine).zip(&mut g.kept) {
            if let TargetState::Within { lo, hi, keep, .. } = t.state {
                let cell = cells.get(usize::try_from(t.cell).expect("invariant: u32 fits usize"));
                let v = stat_of(cell.expect("invariant: a target's cell is in the trial"), t.stat);
                if lo <= v && v <= hi {
                    if keep {
                        kept.push(v);
                    } else {
                        refine.as_mut().expect("invariant: a target cut finer has its counts").add(v, lo, hi);
                    }
                }
            }
        }
        Ok(())
    }
}

impl Gathered {
    /// Adds what the same pass gathered over other trials.
    pub fn merge(&mut self, other: Gathered) -> Result<()> {
        let same_shape = self.pass == other.pass
            && self.counts.len() == other.counts.len()
            && self.scale.len() == other.scale.len()
            && self.squares.len() == other.squares.len()
            && self.refine.len() == other.refine.len()
            && self.kept.len() == other.kept.len()
            && self.refine.iter().zip(&other.refine).all(|(a, b)| a.is_some() == b.is_some())
            && self.units.is_some() == other.units.is_some();
        if !same_shape {
            return Err(mismatch(
                format!("outcomes of passes {} and {} or of other plans", self.pass, other.pass),
                "outcomes of one pass under one plan",
            ));
        }
        self.ranges.extend(other.ranges);
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            a.reviews = a.reviews.checked_add(b.reviews).ok_or_else(|| overflow("trials"))?;
            a.first = a.first.checked_add(b.first).ok_or_else(|| overflow("trials"))?;
            for (x, y) in a.sums.iter_mut().zip(b.sums) {
                *x = x.checked_add(y).ok_or_else(|| overflow("sum"))?;
            }
        }
        for (a, b) in self.scale.iter_mut().zip(&other.scale) {
            for (bin, counts) in b.bins() {
                a.merge_bin(bin, &counts).expect("invariant: a bin of a scale is a bin of every scale");
            }
        }
        for (a, b) in self.squares.iter_mut().zip(other.squares) {
            for (x, y) in a.iter_mut().zip(b) {
                *x = x.checked_add(y).ok_or_else(|| overflow("standard error"))?;
            }
        }
        for (a, b) in self.refine.iter_mut().zip(&other.refine) {
            if let (Some(a), Some(b)) = (a, b) {
                a.merge(b);
            }
        }
        for (a, b) in self.kept.iter_mut().zip(other.kept) {
            a.extend(b);
        }
        if let (Some(a), Some(b)) = (&mut self.units, &other.units) {
            a.merge(b)?;
        }
        Ok(())
    }
}

/// Runs the trials `trials` (a range of `0..spec.trials`) for the pass of
/// `plan`, in parallel; `progress` is called with the trials of this call
/// finished so far.
pub fn gather(
    history: &PolicyHistory<RiskPoolPolicy>,
    spec: ProjectionSpec,
    shocks: &Shocks,
    schemes: &[ProjectedScheme],
    plan: &Plan,
    trials: Range<u32>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Gathered> {
    let same_units =
        || schemes.iter().map(|s| u32::try_from(s.units.len()).ok()).eq(plan.unit_counts.iter().map(|&c| Some(c)));
    if spec != plan.spec || schemes.len() != plan.scheme_ids.len() || (plan.per_unit && !same_units()) {
        return Err(mismatch(
            format!("a plan for {:?} of {} schemes", plan.spec, plan.scheme_ids.len()),
            "the plan of this projection",
        ));
    }
    let runner = Runner::new(history, spec, shocks, schemes)?;
    runner.check_range(&trials)?;
    let means: Vec<[i64; 2]> =
        if plan.pass == 2 { (0..plan.cells()).map(|c| plan.means(c)).collect::<Result<_>>()? } else { Vec::new() };
    // A few ranges per thread, each gathered on its own and merged.
    let copies = usize::try_from(crate::units::UnitTally::COPIES_PER_THREAD).expect("invariant: 4 fits usize");
    let pieces = u32::try_from(rayon::current_num_threads().clamp(1, 1 << 16).saturating_mul(copies))
        .expect("invariant: at most 2^18 pieces");
    let len = trials.end.checked_sub(trials.start).expect("invariant: checked range");
    let step = len.div_ceil(pieces).max(1);
    let done = std::sync::atomic::AtomicU64::new(0);
    let ranges: Vec<Range<u32>> = (trials.start..trials.end)
        .step_by(usize::try_from(step).expect("invariant: u32 fits usize"))
        .map(|a| a..a.saturating_add(step).min(trials.end))
        .collect();
    let merged = ranges
        .into_par_iter()
        .map(|range| -> Result<Gathered> {
            let mut g = plan.empty(&range)?;
            let mut scratch = runner.scratch();
            let mut cells = vec![Cell::default(); runner.row];
            for trial in range {
                runner.run(&mut scratch, u64::from(trial), &mut cells, g.units.as_mut())?;
                plan.visit(&mut g, &cells, &means)?;
                let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                progress(finished.checked_add(1).expect("invariant: fewer than 2^64 trials"));
            }
            Ok(g)
        })
        .try_reduce_with(|mut a, b| {
            a.merge(b)?;
            Ok(a)
        });
    match merged {
        Some(g) => g,
        None => plan.empty(&trials),
    }
}

/// The projection by the two-pass method over every trial on this machine:
/// [`Plan::new`], then [`gather`] and [`Plan::next`] until done. Holds
/// the counts of a pass and at most `budget` values, whatever the number of
/// trials. `progress` is called with the trial runs finished so far, over
/// all passes (each trial runs at least twice).
pub fn simulate_two_pass(
    history: &PolicyHistory<RiskPoolPolicy>,
    spec: ProjectionSpec,
    shocks: &Shocks,
    schemes: &[ProjectedScheme],
    options: &SummaryOptions,
    budget: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<SchemeProjection>> {
    let mut plan = Plan::new(spec, schemes, options, budget)?;
    loop {
        let before = u64::from(plan.pass.checked_sub(1).expect("invariant: passes count from 1"))
            .checked_mul(u64::from(spec.trials))
            .ok_or_else(|| overflow("trials"))?;
        let g = gather(history, spec, shocks, schemes, &plan, 0..spec.trials, &|done| {
            progress(before.saturating_add(done));
        })?;
        match plan.next(g)? {
            Step::Next(p) => plan = p,
            Step::Done(stats) => return Ok(stats),
        }
    }
}
