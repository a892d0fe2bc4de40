//! The outcomes of a block of Monte Carlo trials, kept so that blocks run
//! apart (threads, processes, machines) make up exactly one projection.

use medfund_core::Money;

use crate::error::{Result, RiskPoolError};
use crate::units::UnitTally;

/// Per trial, year and scheme (in that order): the closing balance in fen,
/// Σ unresolved in fen and the review flag, for trials
/// `first_trial .. first_trial + trials`; and, when the trials were run for
/// per-unit statistics, their [`UnitTally`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBlock {
    pub(crate) first_trial: u32,
    pub(crate) trials: usize,
    /// Cells per trial: years × schemes.
    pub(crate) row: usize,
    pub(crate) closing: Vec<i64>,
    pub(crate) unresolved: Vec<i64>,
    pub(crate) review: Vec<bool>,
    pub(crate) units: Option<UnitTally>,
}

/// The first bytes of a block in bytes, with its format version.
const MAGIC: &[u8; 8] = b"MFTRIAL1";
/// The same, for a block followed by its per-unit tally.
const MAGIC_UNITS: &[u8; 8] = b"MFTRIAL2";

fn bad(found: impl Into<String>) -> RiskPoolError {
    RiskPoolError::TrialBlocks { found: found.into(), expected: "the bytes of TrialBlock::to_bytes" }
}

impl TrialBlock {
    /// The first trial of the block.
    pub fn first_trial(&self) -> u32 {
        self.first_trial
    }

    /// The number of trials in the block.
    pub fn trials(&self) -> usize {
        self.trials
    }

    /// Cells per trial: projected years × schemes.
    pub fn cells_per_trial(&self) -> usize {
        self.row
    }

    /// The outcome of trial `trial` (its number in the projection) in cell
    /// `cell` = year index × schemes + scheme index: (closing balance,
    /// Σ unresolved, actuarial review). `None` outside the block.
    pub fn outcome(&self, trial: u32, cell: usize) -> Option<(Money, Money, bool)> {
        let t = usize::try_from(trial.checked_sub(self.first_trial)?).ok()?;
        if t >= self.trials || cell >= self.row {
            return None;
        }
        let i = t.checked_mul(self.row)?.checked_add(cell)?;
        Some((Money::from_fen(*self.closing.get(i)?), Money::from_fen(*self.unresolved.get(i)?), *self.review.get(i)?))
    }

    /// The per-unit tally of the block's trials, if they were run for
    /// per-unit statistics.
    pub fn unit_tally(&self) -> Option<&UnitTally> {
        self.units.as_ref()
    }

    /// Blocks of consecutive trials (in any order) as one block; an
    /// overlap, a gap or blocks of different shapes (or some with a
    /// per-unit tally and some without) are errors.
    pub fn concat(mut blocks: Vec<TrialBlock>) -> Result<TrialBlock> {
        blocks.sort_by_key(|b| b.first_trial);
        let mut iter = blocks.into_iter();
        let mut whole = iter.next().ok_or_else(|| RiskPoolError::TrialBlocks {
            found: "no block".into(),
            expected: "at least one block of trials",
        })?;
        for b in iter {
            let next = u64::from(whole.first_trial)
                .checked_add(u64::try_from(whole.trials).map_err(|_| bad("too many trials"))?)
                .ok_or_else(|| bad("too many trials"))?;
            if u64::from(b.first_trial) != next || b.row != whole.row || b.units.is_some() != whole.units.is_some() {
                return Err(RiskPoolError::TrialBlocks {
                    found: format!(
                        "a block from trial {} ({} cells per trial{}) after trials up to {next} ({} cells per trial{})",
                        b.first_trial,
                        b.row,
                        with_units(&b),
                        whole.row,
                        with_units(&whole)
                    ),
                    expected: "consecutive blocks of one projection, without gaps or overlaps",
                });
            }
            whole.trials = whole.trials.checked_add(b.trials).ok_or_else(|| bad("too many trials"))?;
            whole.closing.extend(b.closing);
            whole.unresolved.extend(b.unresolved);
            whole.review.extend(b.review);
            if let (Some(a), Some(b)) = (&mut whole.units, &b.units) {
                a.merge(b)?;
            }
        }
        Ok(whole)
    }

    /// The block as bytes (little-endian), to send to another process.
    pub fn to_bytes(&self) -> Vec<u8> {
        let cells = self.closing.len();
        let mut out = Vec::with_capacity(cells.saturating_mul(17).saturating_add(32));
        out.extend_from_slice(if self.units.is_some() { MAGIC_UNITS } else { MAGIC });
        out.extend_from_slice(&self.first_trial.to_le_bytes());
        out.extend_from_slice(&u64::try_from(self.trials).expect("invariant: usize fits u64").to_le_bytes());
        out.extend_from_slice(&u64::try_from(self.row).expect("invariant: usize fits u64").to_le_bytes());
        for v in &self.closing {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in &self.unresolved {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend(self.review.iter().map(|&r| u8::from(r)));
        if let Some(units) = &self.units {
            units.write_bytes(&mut out);
        }
        out
    }

    /// A block from [`TrialBlock::to_bytes`]; anything else is an error.
    pub fn from_bytes(bytes: &[u8]) -> Result<TrialBlock> {
        let (magic, rest) = bytes.split_at_checked(8).ok_or_else(|| bad("fewer than 8 bytes"))?;
        let has_units = match magic {
            m if m == MAGIC => false,
            m if m == MAGIC_UNITS => true,
            _ => return Err(bad("another format")),
        };
        let (first, rest) = rest.split_at_checked(4).ok_or_else(|| bad("a cut header"))?;
        let (trials, rest) = rest.split_at_checked(8).ok_or_else(|| bad("a cut header"))?;
        let (row, rest) = rest.split_at_checked(8).ok_or_else(|| bad("a cut header"))?;
        let first_trial = u32::from_le_bytes(first.try_into().expect("invariant: split at 4 bytes"));
        let trials = usize::try_from(u64::from_le_bytes(trials.try_into().expect("invariant: split at 8 bytes")))
            .map_err(|_| bad("too many trials"))?;
        let row = usize::try_from(u64::from_le_bytes(row.try_into().expect("invariant: split at 8 bytes")))
            .map_err(|_| bad("too many cells"))?;
        let cells = trials.checked_mul(row).ok_or_else(|| bad("too many cells"))?;
        let expected = cells.checked_mul(17).ok_or_else(|| bad("too many cells"))?;
        if rest.len() < expected || (!has_units && rest.len() != expected) {
            return Err(bad(format!("{} bytes of cells for {trials} trials of {row} cells", rest.len())));
        }
        let (rest, tally) = rest.split_at(expected);
        let units = if has_units {
            let tally = UnitTally::read_bytes(tally)?;
            tally.check(u64::try_from(trials).map_err(|_| bad("too many trials"))?)?;
            Some(tally)
        } else {
            None
        };
        let (closing, rest) = rest.split_at(cells.checked_mul(8).expect("invariant: checked above"));
        let (unresolved, review) = rest.split_at(cells.checked_mul(8).expect("invariant: checked above"));
        let words = |b: &[u8]| -> Vec<i64> {
            b.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("invariant: chunks of 8"))).collect()
        };
        let review = review
            .iter()
            .map(|&b| match b {
                0 => Ok(false),
                1 => Ok(true),
                other => Err(bad(format!("a review flag of {other}"))),
            })
            .collect::<Result<Vec<bool>>>()?;
        Ok(TrialBlock {
            first_trial,
            trials,
            row,
            closing: words(closing),
            unresolved: words(unresolved),
            review,
            units,
        })
    }
}

/// ", with a per-unit tally" when the block has one.
fn with_units(b: &TrialBlock) -> &'static str {
    if b.units.is_some() { ", with a per-unit tally" } else { "" }
}
