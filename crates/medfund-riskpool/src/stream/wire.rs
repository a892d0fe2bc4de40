//! Plans and outcomes of passes as bytes, to carry between processes
//! (Ray tasks, machines): JSON with a format tag, checked when read so that
//! bytes from elsewhere can make an error but never a wrong figure or a panic.

use serde::{Deserialize, Serialize};

use super::{CellCounts, Gathered, Plan, Target, TargetState, open_targets};
use crate::error::{Result, RiskPoolError};
use crate::policy::Scheme;
use crate::projection::ProjectionSpec;
use crate::select::{Bin, LINEAR_BINS, LinearCounts, ScaleCounts, scale_bin};
use crate::summary::SummaryOptions;
use crate::units::UnitTally;

const PLAN: &str = "medfund-projection-plan/1";
const GATHERED: &str = "medfund-projection-pass/1";

fn bad(found: impl Into<String>, expected: &'static str) -> RiskPoolError {
    RiskPoolError::TrialBlocks { found: found.into(), expected }
}

#[derive(Serialize, Deserialize)]
struct PlanWire {
    format: String,
    spec: ProjectionSpec,
    scheme_ids: Vec<Scheme>,
    quantiles: Vec<u32>,
    budget: u64,
    pass: u32,
    counts: Vec<CellCounts>,
    squares: Vec<[u128; 2]>,
    targets: Vec<Target>,
    /// Absent in plans of releases before per-unit statistics.
    #[serde(default)]
    per_unit: bool,
    #[serde(default)]
    unit_counts: Vec<u32>,
    #[serde(default)]
    units: Option<UnitTally>,
}

/// One bin: (bin, count, least, greatest).
type BinWire = (u32, u64, i64, i64);

#[derive(Serialize, Deserialize)]
struct GatheredWire {
    format: String,
    pass: u32,
    ranges: Vec<(u32, u32)>,
    counts: Vec<CellCounts>,
    /// Per scale, its bins holding values, ascending.
    scale: Vec<Vec<BinWire>>,
    squares: Vec<[u128; 2]>,
    /// Per target, the equal bins of a finer pass (empty bins as count 0).
    refine: Vec<Option<Vec<(u64, i64, i64)>>>,
    kept: Vec<Vec<i64>>,
    #[serde(default)]
    units: Option<UnitTally>,
}

impl Plan {
    /// The plan as bytes ([`Plan::from_bytes`] reads them).
    pub fn to_bytes(&self) -> Vec<u8> {
        let wire = PlanWire {
            format: PLAN.into(),
            spec: self.spec,
            scheme_ids: self.scheme_ids.clone(),
            quantiles: self.quantiles.clone(),
            budget: self.budget,
            pass: self.pass,
            counts: self.counts.clone(),
            squares: self.squares.clone(),
            targets: self.targets.clone(),
            per_unit: self.per_unit,
            unit_counts: self.unit_counts.clone(),
            units: self.units.clone(),
        };
        serde_json::to_vec(&wire).expect("invariant: a plan is plain data that JSON represents")
    }

    /// A plan from [`Plan::to_bytes`]; anything else, or a plan whose parts
    /// do not agree, is an error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Plan> {
        let w: PlanWire =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("{e}"), "the bytes of Plan::to_bytes"))?;
        if w.format != PLAN {
            return Err(bad(format!("format {:?}", w.format), "a plan of format medfund-projection-plan/1"));
        }
        let schemes = u32::try_from(w.scheme_ids.len()).map_err(|_| bad("too many schemes", "a valid plan"))?;
        let cells = w.spec.years.checked_mul(schemes).filter(|&c| c > 0 && w.spec.trials > 0);
        let cells = cells.ok_or_else(|| bad("no trial, year or scheme, or too many", "a valid plan"))?;
        let quantiles = SummaryOptions::with_quantiles(w.quantiles.clone()).sorted_quantiles()?;
        if quantiles != w.quantiles {
            return Err(bad("quantiles out of order", "a valid plan"));
        }
        let expected = open_targets(w.spec.trials, cells, &quantiles);
        let n = u64::from(w.spec.trials);
        let same = |a: &Target, b: &Target| (a.cell, a.stat, a.rank) == (b.cell, b.stat, b.rank);
        let states_ok = w.targets.iter().all(|t| match t.state {
            TargetState::Open => w.pass == 1,
            TargetState::Found(_) => w.pass > 1,
            TargetState::Within { lo, hi, below, count, .. } => {
                w.pass > 1
                    && lo < hi
                    && count > 1
                    && below < t.rank
                    && below.checked_add(count).is_some_and(|top| t.rank <= top && top <= n)
            }
        });
        let cells = usize::try_from(cells).map_err(|_| bad("too many cells", "a valid plan"))?;
        let counts_ok = if w.pass == 1 {
            w.counts.is_empty()
        } else {
            w.counts.len() == cells && w.counts.iter().all(|c| c.reviews <= n && c.first <= c.reviews)
        };
        let squares_ok = if w.pass >= 3 { w.squares.len() == cells } else { w.squares.is_empty() };
        let all_units = w.unit_counts.iter().try_fold(0_usize, |a, &c| a.checked_add(usize::try_from(c).ok()?));
        let units_ok = match &w.units {
            Some(t) => {
                w.per_unit
                    && w.pass > 1
                    && Some(t.units()) == all_units
                    && u32::try_from(t.years()).ok() == Some(w.spec.years)
                    && t.check(n).is_ok()
            }
            None => !(w.per_unit && w.pass > 1),
        } && (!w.per_unit || w.unit_counts.len() == w.scheme_ids.len());
        if w.pass == 0
            || w.targets.len() != expected.len()
            || !w.targets.iter().zip(&expected).all(|(a, b)| same(a, b))
            || !states_ok
            || !counts_ok
            || !squares_ok
            || !units_ok
        {
            return Err(bad("a plan whose parts do not agree", "a plan made by Plan::new and Plan::next"));
        }
        Ok(Plan {
            spec: w.spec,
            schemes,
            scheme_ids: w.scheme_ids,
            quantiles,
            budget: w.budget,
            pass: w.pass,
            counts: w.counts,
            squares: w.squares,
            targets: w.targets,
            per_unit: w.per_unit,
            unit_counts: w.unit_counts,
            units: w.units,
        })
    }
}

impl Gathered {
    /// The outcome of a pass as bytes ([`Gathered::from_bytes`] reads them).
    pub fn to_bytes(&self) -> Vec<u8> {
        let wire = GatheredWire {
            format: GATHERED.into(),
            pass: self.pass,
            ranges: self.ranges.clone(),
            counts: self.counts.clone(),
            scale: self.scale.iter().map(|s| s.bins().map(|(k, b)| (k, b.count, b.min, b.max)).collect()).collect(),
            squares: self.squares.clone(),
            refine: self
                .refine
                .iter()
                .map(|r| r.as_ref().map(|r| r.bins.iter().map(|b| (b.count, b.min, b.max)).collect()))
                .collect(),
            kept: self.kept.clone(),
            units: self.units.clone(),
        };
        serde_json::to_vec(&wire).expect("invariant: an outcome is plain data that JSON represents")
    }

    /// An outcome from [`Gathered::to_bytes`]; anything else is an error
    /// (whether it fits a plan is checked by [`Plan::next`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Gathered> {
        let w: GatheredWire =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("{e}"), "the bytes of Gathered::to_bytes"))?;
        if w.format != GATHERED {
            return Err(bad(format!("format {:?}", w.format), "an outcome of format medfund-projection-pass/1"));
        }
        let invalid = || bad("bins that do not hold their values", "the bytes of Gathered::to_bytes");
        let mut scale = Vec::with_capacity(w.scale.len());
        for bins in w.scale {
            let mut counts = ScaleCounts::default();
            for (k, count, min, max) in bins {
                if count == 0 || min > max || scale_bin(min) != k || scale_bin(max) != k {
                    return Err(invalid());
                }
                counts.merge_bin(k, &Bin { count, min, max }).ok_or_else(invalid)?;
            }
            scale.push(counts);
        }
        let refine = w
            .refine
            .into_iter()
            .map(|r| {
                r.map(|bins| {
                    let ok = bins.len() == LINEAR_BINS && bins.iter().all(|&(c, min, max)| c == 0 || min <= max);
                    ok.then(|| LinearCounts {
                        bins: bins.into_iter().map(|(count, min, max)| Bin::of(count, min, max)).collect(),
                    })
                    .ok_or_else(invalid)
                })
                .transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        if w.pass == 0 || w.ranges.iter().any(|&(a, b)| a > b) {
            return Err(bad("a pass 0 or a backward range", "the bytes of Gathered::to_bytes"));
        }
        Ok(Gathered {
            pass: w.pass,
            ranges: w.ranges,
            counts: w.counts,
            scale,
            squares: w.squares,
            refine,
            kept: w.kept,
            units: w.units,
        })
    }
}
