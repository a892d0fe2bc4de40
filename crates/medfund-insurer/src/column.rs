//! The division-free form of a [`BandedSchedule`](crate::BandedSchedule),
//! for whole populations: one year's total per person from a fresh state
//! (the column kernel), and claims on a running state (`ColumnSchedule::apply`,
//! behind `split_claims`).
//!
//! Every amount here is non-negative (the callers check the whole input
//! first), so `Floor` rounds like `TowardZero` and `Ceiling` like
//! `AwayFromZero`. Two facts make the column kernel branch-light and
//! division-free:
//!
//! 1. From a fresh state a payer's cap cuts the *sum* of its bands' parts:
//!    paying band by band while the room lasts gives `min(Σ raw, cap)`
//!    because every raw part is non-negative. So the bands are independent
//!    and each person needs no running state.
//! 2. Each band divides by the same `10^scale` for every person, so the
//!    division is replaced by a multiplication by a precomputed reciprocal
//!    ([`medfund_core::column::Reciprocal`]), exact for every dividend the column check admits.
//!
//! Branches left in the loop test properties of a band (its payer, whether it
//! divides), which are the same for every person and so always predicted.

use medfund_core::column::RoundedDivision;
use medfund_core::{Money, Rounding};

use crate::banded::BandSplit;

/// A band prepared for the column kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ColumnBand {
    from: u64,
    /// `to − from`; the last band reaches `i64::MAX`.
    width: u64,
    payer: usize,
    num: u64,
    /// The rate's denominator (before a whole-number rate is reduced).
    den: u64,
    /// `None`: the rate is a whole number (0 or 1 for a share), no division.
    divide: Option<RoundedDivision>,
}

/// The column form of a schedule, or `None` when the rounding mode has no
/// column form (a mode added to `Rounding` later), which keeps the checked path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnSchedule {
    bands: Vec<ColumnBand>,
    caps: [u64; 3],
    /// The schedule's rounding (for the cost a capped payment covers).
    rounding: Rounding,
    /// The largest total the kernel splits exactly: `limit × num + bias`
    /// stays below 2^63 for every band, so no step can wrap and every
    /// dividend is within `Reciprocal::quotient`'s range.
    limit: u64,
}

impl ColumnSchedule {
    /// Prepares `(from, to, payer, num, den)` bands with `den ≥ 1`,
    /// `0 ≤ num ≤ den` (a share) and `0 ≤ from < to`, and caps ≥ 0.
    pub(crate) fn new(
        bands: impl Iterator<Item = (i64, i64, usize, i64, i64)>,
        caps: [i64; 3],
        rounding: Rounding,
    ) -> Option<ColumnSchedule> {
        let [c0, c1, c2] = caps;
        let caps = [u64::try_from(c0).ok()?, u64::try_from(c1).ok()?, u64::try_from(c2).ok()?];
        let mut prepared = Vec::new();
        let mut limit = i64::MAX.unsigned_abs();
        for (from, to, payer, num, den) in bands {
            let (num, den) = (u64::try_from(num).ok()?, u64::try_from(den).ok()?);
            let divide = if num.checked_rem(den)? == 0 { None } else { Some(RoundedDivision::new(den, rounding)?) };
            // A whole-number share is 0 or 1: multiply by num / den.
            let (num, den) = if divide.is_none() { (num.checked_div(den)?, 1) } else { (num, den) };
            let bias = divide.map_or(0, RoundedDivision::bias);
            // total × num + bias ≤ i64::MAX  ⇔  total ≤ (i64::MAX − bias) / num.
            if let Some(band_limit) = i64::MAX.unsigned_abs().checked_sub(bias)?.checked_div(num) {
                limit = limit.min(band_limit);
            }
            let (from, width) = (u64::try_from(from).ok()?, u64::try_from(to.checked_sub(from)?).ok()?);
            prepared.push(ColumnBand { from, width, payer, num, den, divide });
        }
        Some(ColumnSchedule { bands: prepared, caps, rounding, limit })
    }

    /// Splits `totals` onto the end of `out`. Returns `false` — and leaves
    /// `out` to be discarded — if some total is negative or above the limit
    /// (the caller then takes the checked path, which reports it).
    pub(crate) fn split_into(&self, totals: &[Money], out: &mut Vec<BandSplit>) -> bool {
        struct Extend<'a>(&'a mut Vec<BandSplit>);
        impl Consumer for Extend<'_> {
            fn consume(self, splits: impl Iterator<Item = BandSplit>) {
                // `extend` over a sized iterator writes without a capacity check per person.
                self.0.extend(splits);
            }
        }
        self.dispatch(totals, Extend(out))
    }

    /// Calls `sink` with the split of each total, in order. Returns `false`
    /// if some total was out of range (the sink's results are then void).
    pub(crate) fn for_each(&self, totals: &[Money], sink: impl FnMut(BandSplit)) -> bool {
        struct ForEach<F>(F);
        impl<F: FnMut(BandSplit)> Consumer for ForEach<F> {
            fn consume(self, splits: impl Iterator<Item = BandSplit>) {
                splits.for_each(self.0);
            }
        }
        self.dispatch(totals, ForEach(sink))
    }

    /// Hands `consumer` the splits of `totals`, choosing once per column a
    /// loop specialised to the band count (unrolled) and to the rounding
    /// (the tie test only for banker's rounding). The range check rides
    /// along in the same pass: a negative total read as unsigned exceeds
    /// any limit, so one running maximum catches both kinds of bad total.
    #[inline]
    fn dispatch(&self, totals: &[Money], consumer: impl Consumer) -> bool {
        let ties = self.bands.iter().any(|b| b.divide.is_some_and(RoundedDivision::ties_to_even));
        let caps = self.caps;
        let mut largest = 0_u64;
        macro_rules! run {
            ($split:expr) => {{
                consumer.consume(totals.iter().map(|t| {
                    let total = u64::from_ne_bytes(t.fen().to_ne_bytes());
                    largest = largest.max(total);
                    $split(total)
                }));
                largest <= self.limit
            }};
        }
        macro_rules! fixed {
            ($($n:literal)*) => {$(
                if let Ok(bands) = <&[ColumnBand; $n]>::try_from(self.bands.as_slice()) {
                    return if ties {
                        run!(|t| split_fixed::<true, $n>(bands, caps, t))
                    } else {
                        run!(|t| split_fixed::<false, $n>(bands, caps, t))
                    };
                }
            )*};
        }
        fixed!(1 2 3 4);
        let bands = self.bands.as_slice();
        if ties { run!(|t| split_one::<true>(bands, caps, t)) } else { run!(|t| split_one::<false>(bands, caps, t)) }
    }
}

impl ColumnSchedule {
    /// The largest running total (in fen) for which [`Self::apply`] is exact.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// A fresh running state: nothing spent, every cap's room intact.
    pub(crate) fn fresh(&self) -> Running {
        Running { cost: 0, room: self.caps }
    }

    /// One cost on a running state, with the semantics of
    /// [`BandedSchedule::apply`](crate::BandedSchedule::apply): each band's
    /// part of this cost is rounded, then cut to the payer's remaining room.
    /// Returns the fund, insurer and subsidy parts. Exact while the running
    /// total stays within [`Self::limit`] (the caller checks that the sum of
    /// all its costs does); nothing wraps before that.
    #[inline]
    pub(crate) fn apply(&self, state: &mut Running, cost: u64) -> [u64; 3] {
        // The excess costs a division only where a cap binds (once per person and payer).
        self.apply_with_excess(state, cost).0
    }
}

impl ColumnSchedule {
    /// [`Self::apply`], and the cost beyond a payer's maximum, as
    /// [`BandedSchedule::apply_with_excess`](crate::BandedSchedule::apply_with_excess)
    /// computes it: only a band whose payer's cap cuts its part divides
    /// (the cost the remaining room covers), once per person and payer.
    #[inline]
    pub(crate) fn apply_with_excess(&self, state: &mut Running, cost: u64) -> ([u64; 3], u64) {
        let start = state.cost;
        let end = start.wrapping_add(cost);
        let mut parts = [0_u64; 3];
        let mut excess = 0_u64;
        for band in &self.bands {
            let reached = |at: u64| at.saturating_sub(band.from).min(band.width);
            let portion = reached(end).wrapping_sub(reached(start));
            let raw = match band.divide {
                None => portion.wrapping_mul(band.num),
                Some(d) => d.round(portion.wrapping_mul(band.num)),
            };
            if let (Some(room), Some(part)) = (state.room.get_mut(band.payer), parts.get_mut(band.payer)) {
                let pay = raw.min(*room);
                if pay < raw {
                    // pay < raw ≤ portion × num / den: the quotient is below portion.
                    let covered = if pay == 0 {
                        0
                    } else {
                        // pay < 2^63 and den ≤ 10^18: the product fits an i128; num > 0 as raw > pay > 0.
                        let product = i128::from(pay).wrapping_mul(i128::from(band.den));
                        let q = self.rounding.div_i128(product, i128::from(band.num)).expect("invariant: num > 0");
                        u64::try_from(q).expect("invariant: 0 ≤ covered, at most about portion").min(portion)
                    };
                    excess = excess.wrapping_add(portion.wrapping_sub(covered));
                }
                *room = room.wrapping_sub(pay);
                *part = part.wrapping_add(pay);
            }
        }
        state.cost = end;
        (parts, excess)
    }
}

/// A person's running state for [`ColumnSchedule::apply`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Running {
    cost: u64,
    room: [u64; 3],
}

/// What to do with a column's splits; lets one dispatch serve both the
/// column output and the population sum.
trait Consumer {
    fn consume(self, splits: impl Iterator<Item = BandSplit>);
}

/// [`split_one`] over a band count known at compile time, so the band loop unrolls.
#[inline(always)]
fn split_fixed<const TIES: bool, const N: usize>(bands: &[ColumnBand; N], caps: [u64; 3], total: u64) -> BandSplit {
    split_one::<TIES>(bands, caps, total)
}

/// One person's split. For a total within the limit nothing can wrap:
/// `0 ≤ portion ≤ total` and `total × num + bias < 2^63`. For one outside
/// it the result is garbage that the caller discards.
#[inline(always)]
fn split_one<const TIES: bool>(bands: &[ColumnBand], caps: [u64; 3], total: u64) -> BandSplit {
    let (mut fund, mut insurer, mut subsidy) = (0_u64, 0_u64, 0_u64);
    for band in bands {
        let portion = total.saturating_sub(band.from).min(band.width);
        let raw = match band.divide {
            None => portion.wrapping_mul(band.num),
            // Without banker's rounding anywhere, skip the tie test altogether.
            Some(d) if TIES => d.round(portion.wrapping_mul(band.num)),
            Some(d) => d.round_no_ties(portion.wrapping_mul(band.num)),
        };
        match band.payer {
            0 => fund = fund.wrapping_add(raw),
            1 => insurer = insurer.wrapping_add(raw),
            _ => subsidy = subsidy.wrapping_add(raw),
        }
    }
    let [fund_cap, insurer_cap, subsidy_cap] = caps;
    let (fund, insurer, subsidy) = (fund.min(fund_cap), insurer.min(insurer_cap), subsidy.min(subsidy_cap));
    // Each payer's part is at most the sum of its portions, and the portions sum to the total.
    let person = total.wrapping_sub(fund).wrapping_sub(insurer).wrapping_sub(subsidy);
    BandSplit { fund: fen(fund), insurer: fen(insurer), subsidy: fen(subsidy), person: fen(person) }
}

/// A part in `0..=total < 2^63` as money; the bits are reused as they are
/// (the range is the column check's guarantee).
#[inline(always)]
fn fen(part: u64) -> Money {
    Money::from_fen(i64::from_ne_bytes(part.to_ne_bytes()))
}
