//! A banded schedule over a running yearly total: the primitive behind the
//! Xiamen supplementary insurance (X2–X4) and, later, the hardship and
//! civil-servant subsidies (X6, X7).

use medfund_core::{Money, Rounding, Share};
use serde::{Deserialize, Serialize};

use crate::column::ColumnSchedule;
use crate::error::{InsurerError, Result};

/// Who pays a part of a cost. The person is the residual payer: whatever no
/// band pays (or a cap cuts off) falls to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Payer {
    /// The pooling fund (社会统筹).
    Fund,
    /// The commercial insurer.
    Insurer,
    /// A subsidy programme (hardship, civil-servant).
    Subsidy,
}

impl Payer {
    const COUNT: usize = 3;

    fn index(self) -> usize {
        match self {
            Payer::Fund => 0,
            Payer::Insurer => 1,
            Payer::Subsidy => 2,
        }
    }
}

/// One band: the part of the running total from `from` (inclusive) to the next
/// band's `from` (or without end) is paid `rate` by `payer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Band {
    /// Where the band starts on the running total.
    pub from: Money,
    /// Who pays within it.
    pub payer: Payer,
    /// The share of the cost within the band that the payer pays.
    pub rate: Share,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CompiledBand {
    from: i64,
    to: i64,
    payer: usize,
    num: i64,
    den: i64,
}

/// A banded schedule: bands over the running total, and optional yearly caps
/// per payer. Rounding applies to each band's part of each claim.
///
/// ```
/// use medfund_core::{Money, Rounding, Share};
/// use medfund_insurer::{Band, BandedSchedule, Payer, RunningTotals};
/// let y = |n| Money::from_yuan(n).unwrap();
/// let schedule = BandedSchedule::new(
///     vec![
///         Band { from: y(0), payer: Payer::Fund, rate: Share::ONE },
///         Band { from: y(53_000), payer: Payer::Insurer, rate: Share::percent(90)? },
///     ],
///     &[(Payer::Insurer, y(150_000))],
///     Rounding::HalfAwayFromZero,
/// )?;
/// let mut running = RunningTotals::default();
/// let split = schedule.apply(&mut running, y(60_000))?;
/// assert_eq!((split.fund, split.insurer, split.person), (y(53_000), y(6_300), y(700)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandedSchedule {
    bands: Vec<CompiledBand>,
    caps: [i64; Payer::COUNT],
    rounding: Rounding,
    /// The same schedule prepared for whole columns of yearly totals.
    column: Option<ColumnSchedule>,
}

/// One cost split among the payers and the person; the parts sum to the cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BandSplit {
    /// Paid by the fund.
    pub fund: Money,
    /// Paid by the insurer.
    pub insurer: Money,
    /// Paid by a subsidy.
    pub subsidy: Money,
    /// Paid by the person (the rest).
    pub person: Money,
}

impl BandSplit {
    /// A split from its parts (the person's is the rest of the cost).
    pub(crate) fn new(fund: Money, insurer: Money, subsidy: Money, person: Money) -> BandSplit {
        BandSplit { fund, insurer, subsidy, person }
    }
}

/// A person's running state within one year: the cumulative cost and what
/// each payer has paid so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunningTotals {
    cost: i64,
    paid: [i64; Payer::COUNT],
}

impl RunningTotals {
    /// Restarts the running cost while the payers' totals carry on: a band
    /// schedule that starts again at each admission (a per-admission
    /// deductible) under a yearly cap.
    pub fn restart_cost(&mut self) {
        self.cost = 0;
    }

    /// The cumulative cost so far.
    pub fn cost(&self) -> Money {
        Money::from_fen(self.cost)
    }

    /// What `payer` has paid so far.
    pub fn paid_by(&self, payer: Payer) -> Money {
        Money::from_fen(*self.paid.get(payer.index()).expect("invariant: one total per payer"))
    }
}

fn overflow() -> InsurerError {
    medfund_core::CoreError::Overflow { operation: "banded schedule" }.into()
}

impl BandedSchedule {
    /// Builds a schedule. Bands must start at 0 and be strictly increasing in
    /// `from`; caps must not be negative; a payer may have at most one cap.
    pub fn new(bands: Vec<Band>, caps: &[(Payer, Money)], rounding: Rounding) -> Result<BandedSchedule> {
        let bad = |reason: String| InsurerError::InvalidSchedule { reason };
        match bands.first() {
            Some(b) if b.from.is_zero() => {}
            Some(b) => return Err(bad(format!("the first band starts at {}; expected 0.00", b.from))),
            None => return Err(bad("no bands; expected at least one band starting at 0.00".into())),
        }
        let mut compiled = Vec::with_capacity(bands.len());
        for (i, b) in bands.iter().enumerate() {
            let to = match bands.get(i.saturating_add(1)) {
                Some(next) if next.from <= b.from => {
                    return Err(bad(format!(
                        "band {} starts at {}, not above the previous band's {}; expected increasing thresholds",
                        i.saturating_add(1),
                        next.from,
                        b.from
                    )));
                }
                Some(next) => next.from.fen(),
                None => i64::MAX,
            };
            let (num, den) = b
                .rate
                .rate()
                .as_i64_ratio()
                .ok_or_else(|| bad(format!("rate {} of band {i} has too many digits", b.rate)))?;
            compiled.push(CompiledBand { from: b.from.fen(), to, payer: b.payer.index(), num, den });
        }
        let mut cap_fen = [i64::MAX; Payer::COUNT];
        let mut seen = [false; Payer::COUNT];
        for &(payer, cap) in caps {
            if cap.is_negative() {
                return Err(bad(format!("cap of {payer:?} is negative ({cap}); expected zero or more")));
            }
            let i = payer.index();
            if seen.get(i).copied().unwrap_or(false) {
                return Err(bad(format!("{payer:?} has two caps; expected at most one")));
            }
            if let (Some(s), Some(c)) = (seen.get_mut(i), cap_fen.get_mut(i)) {
                *s = true;
                *c = cap.fen();
            }
        }
        let column =
            ColumnSchedule::new(compiled.iter().map(|b| (b.from, b.to, b.payer, b.num, b.den)), cap_fen, rounding);
        Ok(BandedSchedule { bands: compiled, caps: cap_fen, rounding, column })
    }

    /// Splits one cost given the person's running state, and advances the
    /// state. Each band's part is rounded by the schedule's rounding, then cut
    /// to what the payer's cap still allows; the person pays the rest.
    #[inline]
    pub fn apply(&self, running: &mut RunningTotals, cost: Money) -> Result<BandSplit> {
        self.apply_with_excess(running, cost).map(|(split, _)| split)
    }

    /// [`BandedSchedule::apply`], and the part of the person's share that is
    /// cost *beyond a payer's maximum*: in a band whose payer's cap cuts its
    /// part, the cost the payer's remaining room covers is `room ÷ rate`
    /// (rounded by the schedule's rounding, at most the band's portion); the
    /// rest of the portion is beyond the maximum and falls wholly to the
    /// person. So `person` = the co-payments within the bands + the excess.
    /// (Xiamen: the civil-servant subsidy treats costs beyond the
    /// supplementary insurer's maximum apart, X8.)
    ///
    /// ```
    /// use medfund_core::{Money, Rounding, Share};
    /// use medfund_insurer::{Band, BandedSchedule, Payer, RunningTotals};
    /// let y = |n| Money::from_yuan(n).unwrap();
    /// let schedule = BandedSchedule::new(
    ///     vec![Band { from: y(0), payer: Payer::Insurer, rate: Share::percent(90)? }],
    ///     &[(Payer::Insurer, y(900))],
    ///     Rounding::HalfAwayFromZero,
    /// )?;
    /// // 1,500 of cost: the insurer's 900 covers 1,000 of it (100 co-paid); 500 is beyond its maximum.
    /// let (split, excess) = schedule.apply_with_excess(&mut RunningTotals::default(), y(1_500))?;
    /// assert_eq!((split.insurer, split.person, excess), (y(900), y(600), y(500)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn apply_with_excess(&self, running: &mut RunningTotals, cost: Money) -> Result<(BandSplit, Money)> {
        let cost_fen = cost.fen();
        if cost_fen < 0 {
            return Err(InsurerError::NegativeAmount {
                subject: "claim".into(),
                field: "eligible_cost".into(),
                value: cost.to_string(),
            });
        }
        let start = running.cost;
        let end = start.checked_add(cost_fen).ok_or_else(overflow)?;
        let mut parts = [0_i64; Payer::COUNT];
        let mut excess = 0_i64;
        for band in &self.bands {
            if band.from >= end {
                break;
            }
            let lo = start.max(band.from);
            let hi = end.min(band.to);
            if hi <= lo {
                continue;
            }
            let portion = hi.checked_sub(lo).ok_or_else(overflow)?;
            let raw = if band.num == band.den {
                portion
            } else {
                let product = portion.checked_mul(band.num).ok_or_else(overflow)?;
                self.rounding.div_i64(product, band.den).ok_or_else(overflow)?
            };
            let paid = running.paid.get_mut(band.payer).expect("invariant: one running total per payer");
            let cap = self.caps.get(band.payer).expect("invariant: one cap per payer");
            let part = parts.get_mut(band.payer).expect("invariant: one part per payer");
            // Both are amounts of zero or more within the money range: no overflow.
            let room = cap.checked_sub(*paid).expect("invariant: 0 ≤ paid, cap ≤ i64::MAX").max(0);
            let pay = raw.min(room);
            if pay < raw {
                // The cap cuts this band: the cost the room still covers, the rest is excess.
                let covered = if pay == 0 { 0 } else { self.covered_by(pay, band.num, band.den)?.min(portion) };
                excess = excess.checked_add(portion.checked_sub(covered).ok_or_else(overflow)?).ok_or_else(overflow)?;
            }
            *paid = paid.checked_add(pay).ok_or_else(overflow)?;
            *part = part.checked_add(pay).ok_or_else(overflow)?;
        }
        running.cost = end;
        let [fund, insurer, subsidy] = parts;
        let person = cost_fen
            .checked_sub(fund)
            .and_then(|r| r.checked_sub(insurer))
            .and_then(|r| r.checked_sub(subsidy))
            .ok_or_else(overflow)?;
        Ok((
            BandSplit {
                fund: Money::from_fen(fund),
                insurer: Money::from_fen(insurer),
                subsidy: Money::from_fen(subsidy),
                person: Money::from_fen(person),
            },
            Money::from_fen(excess),
        ))
    }

    /// The cost a payment `pay` covers at the rate `num / den`: `pay × den ÷ num`, rounded.
    fn covered_by(&self, pay: i64, num: i64, den: i64) -> Result<i64> {
        let product = i128::from(pay).checked_mul(i128::from(den)).ok_or_else(overflow)?;
        let covered = self.rounding.div_i128(product, i128::from(num)).ok_or_else(overflow)?;
        i64::try_from(covered).map_err(|_| overflow())
    }

    /// The schedule's division-free form, if its rounding mode has one.
    pub(crate) fn column(&self) -> Option<&ColumnSchedule> {
        self.column.as_ref()
    }

    /// Splits a whole year's total from a fresh state (the column fast path).
    #[inline]
    pub fn split_total(&self, total: Money) -> Result<BandSplit> {
        self.apply(&mut RunningTotals::default(), total)
    }

    /// Splits a column of yearly totals, one per person, into `out`
    /// (cleared first). No allocation beyond `out`'s growth.
    ///
    /// The column kernel needs no error handling and no division: from a
    /// fresh state a payer's cap cuts the sum of its bands' parts, and each
    /// band's `10^scale` is divided by a precomputed reciprocal. It is exact
    /// for totals from 0 up to `(i64::MAX − den/2) / numerator` fen for every
    /// band's rate `numerator / den` (for a 90 % band about 10^16 yuan) and
    /// checks that range in the same pass; a column with a total outside it is redone on the checked
    /// path, which reports a negative total or an overflow. Either way each
    /// split equals [`BandedSchedule::split_total`] of its total.
    pub fn split_totals_into(&self, totals: &[Money], out: &mut Vec<BandSplit>) -> Result<()> {
        out.clear();
        out.reserve(totals.len());
        if self.column.as_ref().is_some_and(|column| column.split_into(totals, out)) {
            return Ok(());
        }
        out.clear();
        reject_negative(totals)?;
        for &t in totals {
            out.push(self.split_total(t)?);
        }
        Ok(())
    }

    /// The parts of a population's yearly totals, summed: Σ fund, Σ insurer,
    /// Σ subsidy, Σ person over `totals` (e.g. an insurer's outlay for a
    /// whole province). Same kernel and checks as
    /// [`BandedSchedule::split_totals_into`], without the output column;
    /// sums are exact (accumulated in `i128`).
    pub fn sum_totals(&self, totals: &[Money]) -> Result<BandSplit> {
        let mut sums = [0_i128; 4];
        let add = |sums: &mut [i128; 4], s: BandSplit| {
            for (acc, part) in sums.iter_mut().zip([s.fund, s.insurer, s.subsidy, s.person]) {
                // |part| < 2^63 and fewer than 2^64 persons: an i128 cannot overflow.
                *acc = acc.wrapping_add(i128::from(part.fen()));
            }
        };
        let fast = self.column.as_ref().is_some_and(|column| column.for_each(totals, |s| add(&mut sums, s)));
        if !fast {
            sums = [0; 4];
            reject_negative(totals)?;
            for &t in totals {
                add(&mut sums, self.split_total(t)?);
            }
        }
        let [fund, insurer, subsidy, person] = sums.map(|v| i64::try_from(v).map(Money::from_fen));
        let overflow = || InsurerError::from(medfund_core::CoreError::Overflow { operation: "sum of banded splits" });
        Ok(BandSplit {
            fund: fund.map_err(|_| overflow())?,
            insurer: insurer.map_err(|_| overflow())?,
            subsidy: subsidy.map_err(|_| overflow())?,
            person: person.map_err(|_| overflow())?,
        })
    }
}

/// The error for the first negative total of a column, naming its position.
fn reject_negative(totals: &[Money]) -> Result<()> {
    match totals.iter().enumerate().find(|(_, m)| m.is_negative()) {
        Some((i, negative)) => Err(InsurerError::NegativeAmount {
            subject: format!("total {i}"),
            field: "eligible_cost".into(),
            value: negative.to_string(),
        }),
        None => Ok(()),
    }
}
