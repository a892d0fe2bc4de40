//! Supplementary large-amount insurance (大额医疗费用补充保险), Xiamen practice
//! (rules X1–X5): per-claim split into fund / insurer / person by the person's
//! running total within the medical year, and the insurer's yearly result.

use std::hash::Hash;

use medfund_core::{Citation, Money, NaiveDate, PolicyVersion, Rounding, Share, Validity, YearStart};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::banded::{Band, BandedSchedule, Payer, RunningTotals};
use crate::error::{InsurerError, Result};

/// The source: a 2007 article describing Xiamen's practice (section 四).
pub const XIAMEN_RULE: Citation = Citation::new("厦门市基本医疗保险实践（2007）", "四、完善大额医疗费用补充保险");

/// Parameters of a supplementary large-amount insurance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplementaryPolicy {
    /// Start of the medical year (X1: July 1).
    pub year_start: YearStart,
    /// The fund pays eligible costs up to this running total (X2: 53,000).
    pub fund_cap: Money,
    /// The insurer's share above the fund cap (X3: 90 %).
    pub insurer_rate: Share,
    /// The insurer pays at most this per person and medical year (X4: 150,000).
    pub insurer_cap: Money,
    /// Premium per insured person per year (X5: 52.8).
    pub premium_per_person: Money,
    /// Rounding of the insurer's share of each claim (四舍五入).
    #[serde(default)]
    pub rounding: Rounding,
}

impl SupplementaryPolicy {
    /// The banded schedule X2–X4: fund 100 % up to `fund_cap`, insurer
    /// `insurer_rate` above it up to `insurer_cap` paid, the person the rest.
    pub fn schedule(&self) -> Result<BandedSchedule> {
        for (field, value) in [
            ("fund_cap", self.fund_cap),
            ("insurer_cap", self.insurer_cap),
            ("premium_per_person", self.premium_per_person),
        ] {
            if value.is_negative() {
                return Err(InsurerError::InvalidPolicy {
                    field,
                    value: value.to_string(),
                    expected: "an amount of zero or more",
                });
            }
        }
        let mut bands = Vec::with_capacity(2);
        if self.fund_cap.is_positive() {
            bands.push(Band { from: Money::ZERO, payer: Payer::Fund, rate: Share::ONE });
        }
        bands.push(Band { from: self.fund_cap, payer: Payer::Insurer, rate: self.insurer_rate });
        BandedSchedule::new(bands, &[(Payer::Insurer, self.insurer_cap)], self.rounding)
    }
}

/// The id of the Xiamen preset.
pub const XIAMEN_2007: &str = "xiamen-2007";

/// Xiamen practice as described in 2007: medical year from July 1, fund up to
/// 53,000, insurer 90 % above it up to 150,000 a year, premium 52.8 a person.
///
/// The article describes the rules in force at the time without dates; the
/// preset's validity (from 2007-01-01) records the article's year and is
/// informational: the supplementary computation does not reject claims by date.
pub fn xiamen_2007() -> Result<PolicyVersion<SupplementaryPolicy>> {
    let from = NaiveDate::from_ymd_opt(2007, 1, 1)
        .ok_or(medfund_core::CoreError::InvalidDate { reason: "2007-01-01".into() })?;
    Ok(PolicyVersion::new(
        XIAMEN_2007,
        "厦门市大额医疗费用补充保险（2007年实践）",
        "厦门市基本医疗保险实践（2007）",
        Validity::new(from, None)?,
        SupplementaryPolicy {
            year_start: YearStart::JULY_1,
            fund_cap: Money::from_yuan(53_000)?,
            insurer_rate: Share::percent(90)?,
            insurer_cap: Money::from_yuan(150_000)?,
            premium_per_person: Money::from_fen(5_280),
            rounding: Rounding::HalfAwayFromZero,
        },
    ))
}

/// One claim: a person's eligible cost on a date. `P` is the person key
/// (a `String` id, or an interned integer for speed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim<P> {
    /// The person.
    pub person: P,
    /// Date of the cost.
    pub date: NaiveDate,
    /// Eligible cost (within the basic insurance's scope).
    pub eligible_cost: Money,
}

/// One claim's split. `fund + insurer + person_pays = eligible_cost` exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClaimSplit {
    /// The medical year (labelled by the year in which it starts).
    pub medical_year: i32,
    /// Paid by the pooling fund.
    pub fund: Money,
    /// Paid by the insurer.
    pub insurer: Money,
    /// Paid by the person.
    pub person_pays: Money,
}

/// The insurer's account for one medical year (X5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearSummary {
    /// The medical year.
    pub medical_year: i32,
    /// premium_per_person × insured persons.
    pub premiums: Money,
    /// Σ insurer over the year's claims.
    pub claims_paid: Money,
    /// premiums − claims_paid.
    pub insurer_result: Money,
}

/// Splits of every claim (input order) and the yearly summaries (year order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementaryResult {
    /// One split per claim, in input order.
    pub claims: Vec<ClaimSplit>,
    /// Every medical year that has a claim, in order.
    pub years: Vec<YearSummary>,
}

/// A claim in the person-grouped working array.
#[derive(Debug, Clone, Copy)]
struct Item {
    year: i32,
    date: NaiveDate,
    cost: Money,
    index: u32,
}

impl Default for Item {
    fn default() -> Item {
        Item { year: 0, date: NaiveDate::MIN, cost: Money::ZERO, index: 0 }
    }
}

/// Below this many claims the batch runs on one thread: spawning costs more.
const PARALLEL_THRESHOLD: usize = 65_536;

/// Splits claims given in any order: they are grouped per person and medical
/// year and applied in date order (same date: input order); results come back
/// in input order. Large batches run in parallel across persons (rayon).
///
/// Grouping is linear: persons are interned by hash and the claims
/// counting-sorted by person (stable, so input order survives), then each
/// person's few claims are ordered by date.
///
/// **Guarantee on rounding.** The insurer's share is rounded on each claim,
/// so splitting a person's year claim by claim gives the same fund part as
/// splitting the year's total in one go, and insurer and person parts that
/// differ from it by at most one fen per claim.
///
/// ```
/// use medfund_core::{Money, NaiveDate};
/// use medfund_insurer::{split_claims, xiamen_2007, Claim};
/// let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
/// let y = |n| Money::from_yuan(n).unwrap();
/// let policy = xiamen_2007()?.params().clone();
/// let claims = vec![
///     Claim { person: "p-001", date: d(2024, 3, 1), eligible_cost: y(20_000) },
///     Claim { person: "p-001", date: d(2023, 8, 1), eligible_cost: y(50_000) }, // earlier, same medical year
///     Claim { person: "p-001", date: d(2024, 7, 1), eligible_cost: y(10_000) }, // new medical year: reset
/// ];
/// let r = split_claims(&policy, 1_000_000, &claims)?;
/// assert_eq!((r.claims[1].fund, r.claims[1].insurer), (y(50_000), y(0)));
/// assert_eq!((r.claims[0].fund, r.claims[0].insurer, r.claims[0].person_pays), (y(3_000), y(15_300), y(1_700)));
/// assert_eq!((r.claims[2].medical_year, r.claims[2].fund), (2024, y(10_000)));
/// assert_eq!(r.years[0].premiums, y(52_800_000));
/// assert_eq!(r.years[0].insurer_result, y(52_784_700));
/// # Ok::<(), medfund_insurer::InsurerError>(())
/// ```
pub fn split_claims<P: Hash + Eq + Sync>(
    policy: &SupplementaryPolicy,
    insured_persons: u64,
    claims: &[Claim<P>],
) -> Result<SupplementaryResult> {
    let schedule = policy.schedule()?;
    let n = claims.len();
    let overflow = || InsurerError::from(medfund_core::CoreError::Overflow { operation: "number of claims" });
    if u32::try_from(n).is_err() {
        return Err(overflow());
    }
    for (i, c) in claims.iter().enumerate() {
        if c.eligible_cost.is_negative() {
            return Err(InsurerError::NegativeAmount {
                subject: format!("claim {i}"),
                field: "eligible_cost".into(),
                value: c.eligible_cost.to_string(),
            });
        }
    }

    // Intern persons in order of first appearance; compute each claim's
    // medical year once, in one sequential pass.
    let mut ranks: FxHashMap<&P, u32> = FxHashMap::default();
    let mut person_of: Vec<u32> = Vec::with_capacity(n);
    for c in claims {
        let next = u32::try_from(ranks.len()).map_err(|_| overflow())?;
        person_of.push(*ranks.entry(&c.person).or_insert(next));
    }
    let persons = ranks.len();
    drop(ranks);

    // Counting sort by person (stable): `starts[p]..starts[p + 1]` is person p.
    let mut starts = vec![0_usize; persons.saturating_add(1)];
    for &p in &person_of {
        if let Some(s) = starts.get_mut((p as usize).saturating_add(1)) {
            *s = s.saturating_add(1);
        }
    }
    let mut running = 0_usize;
    for s in &mut starts {
        running = running.saturating_add(*s);
        *s = running;
    }
    let mut cursor = starts.clone();
    let mut items = vec![Item::default(); n];
    for ((c, &p), index) in claims.iter().zip(&person_of).zip(0_u32..) {
        if let Some(at) = cursor.get_mut(p as usize) {
            if let Some(slot) = items.get_mut(*at) {
                *slot = Item {
                    year: policy.year_start.year_of(c.date).label(),
                    date: c.date,
                    cost: c.eligible_cost,
                    index,
                };
            }
            *at = at.saturating_add(1);
        }
    }
    drop(person_of);
    drop(cursor);

    // Each person's claims in (medical year, date) order — stable, so claims
    // of one date keep input order — through the schedule, resetting each year.
    let process = |offset: usize, part: &mut [Item], out: &mut [ClaimSplit]| -> Result<()> {
        let first_person = starts.partition_point(|&s| s <= offset).saturating_sub(1);
        for bounds in starts.get(first_person..).unwrap_or(&[]).windows(2) {
            let (Some(&lo), Some(&hi)) = (bounds.first(), bounds.get(1)) else { continue };
            let end = offset.saturating_add(part.len());
            if lo >= end {
                break;
            }
            let range = lo.saturating_sub(offset)..hi.min(end).saturating_sub(offset);
            let (Some(group), Some(results)) = (part.get_mut(range.clone()), out.get_mut(range)) else { continue };
            if group.len() > 1 {
                group.sort_by_key(|it| (it.year, it.date));
            }
            let mut state = RunningTotals::default();
            let mut current_year = None;
            for (it, slot) in group.iter().zip(results) {
                if current_year != Some(it.year) {
                    state = RunningTotals::default();
                    current_year = Some(it.year);
                }
                let s = schedule.apply(&mut state, it.cost)?;
                *slot = ClaimSplit { medical_year: it.year, fund: s.fund, insurer: s.insurer, person_pays: s.person };
            }
        }
        Ok(())
    };

    let mut sorted = vec![ClaimSplit::default(); n];
    if n >= PARALLEL_THRESHOLD && rayon::current_num_threads() > 1 {
        // Cut at person boundaries into a few pieces per thread.
        let pieces = rayon::current_num_threads().saturating_mul(8);
        let target = n.checked_div(pieces).unwrap_or(n).max(1);
        let mut parts = Vec::with_capacity(pieces.saturating_add(1));
        let (mut items_rest, mut out_rest) = (items.as_mut_slice(), sorted.as_mut_slice());
        let (mut taken, mut next) = (0_usize, target);
        for &s in &starts {
            if s >= next && s < n {
                let (a, b) = items_rest.split_at_mut(s.saturating_sub(taken));
                let (c, d) = out_rest.split_at_mut(s.saturating_sub(taken));
                parts.push((taken, a, c));
                items_rest = b;
                out_rest = d;
                taken = s;
                next = s.saturating_add(target);
            }
        }
        parts.push((taken, items_rest, out_rest));
        parts.into_par_iter().try_for_each(|(offset, part, out)| process(offset, part, out))?;
    } else {
        process(0, &mut items, &mut sorted)?;
    }

    // Back to input order; the insurer's payments summed per medical year.
    let mut results = vec![ClaimSplit::default(); n];
    let mut paid_by_year: Vec<(i32, Money)> = Vec::new();
    for (item, split) in items.iter().zip(&sorted) {
        let index = item.index;
        if let Some(slot) = results.get_mut(index as usize) {
            *slot = *split;
        }
        match paid_by_year.iter_mut().find(|(y, _)| *y == split.medical_year) {
            Some((_, paid)) => *paid = paid.checked_add(split.insurer)?,
            None => paid_by_year.push((split.medical_year, split.insurer)),
        }
    }
    paid_by_year.sort_unstable_by_key(|&(y, _)| y);
    let persons_insured = i64::try_from(insured_persons)
        .map_err(|_| medfund_core::CoreError::Overflow { operation: "insured persons" })?;
    let premiums = policy.premium_per_person.checked_mul_int(persons_insured)?;
    let years = paid_by_year
        .into_iter()
        .map(|(medical_year, claims_paid)| {
            Ok(YearSummary { medical_year, premiums, claims_paid, insurer_result: premiums.checked_sub(claims_paid)? })
        })
        .collect::<Result<_>>()?;
    Ok(SupplementaryResult { claims: results, years })
}
