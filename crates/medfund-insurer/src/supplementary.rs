//! Supplementary large-amount insurance (大额医疗费用补充保险), Xiamen practice
//! (rules X1–X5): per-claim split into fund / insurer / person by the person's
//! running total within the medical year, and the insurer's yearly result.

use std::collections::BTreeMap;

use medfund_core::{Citation, Money, NaiveDate, PolicyVersion, Rounding, Share, Validity, YearStart};
use rayon::prelude::*;
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

/// Below this many claims the batch runs on one thread: spawning costs more.
const PARALLEL_THRESHOLD: usize = 32_768;

/// Splits claims given in any order: they are grouped per person and medical
/// year and applied in date order (same date: input order); results come back
/// in input order. Large batches run in parallel across persons (rayon).
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
pub fn split_claims<P: Ord + Sync>(
    policy: &SupplementaryPolicy,
    insured_persons: u64,
    claims: &[Claim<P>],
) -> Result<SupplementaryResult> {
    let schedule = policy.schedule()?;
    let n = claims.len();
    if u32::try_from(n).is_err() {
        return Err(medfund_core::CoreError::Overflow { operation: "number of claims" }.into());
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

    // Sort compact keys, so that comparisons touch one contiguous array.
    let mut keys: Vec<(&P, i32, NaiveDate, u32)> = claims
        .iter()
        .zip(0_u32..)
        .map(|(c, i)| (&c.person, policy.year_start.year_of(c.date).label(), c.date, i))
        .collect();
    if n >= PARALLEL_THRESHOLD {
        keys.par_sort_unstable();
    } else {
        keys.sort_unstable();
    }

    // Segments of whole person-years, a few per thread.
    let segments =
        segment_bounds(&keys, if n >= PARALLEL_THRESHOLD { rayon::current_num_threads().saturating_mul(8) } else { 1 });
    let run = |&(lo, hi): &(usize, usize)| -> Result<Vec<ClaimSplit>> {
        let part = keys.get(lo..hi).unwrap_or(&[]);
        let mut out = Vec::with_capacity(part.len());
        let mut running = RunningTotals::default();
        let mut current: Option<(&P, i32)> = None;
        for &(person, year, _, index) in part {
            if current != Some((person, year)) {
                running = RunningTotals::default();
                current = Some((person, year));
            }
            let cost = claims.get(index as usize).map_or(Money::ZERO, |c| c.eligible_cost);
            let s = schedule.apply(&mut running, cost)?;
            out.push(ClaimSplit { medical_year: year, fund: s.fund, insurer: s.insurer, person_pays: s.person });
        }
        Ok(out)
    };
    let parts: Vec<Vec<ClaimSplit>> = if segments.len() > 1 {
        segments.par_iter().map(run).collect::<Result<_>>()?
    } else {
        segments.iter().map(run).collect::<Result<_>>()?
    };

    let mut results = vec![ClaimSplit::default(); n];
    let mut paid_by_year: BTreeMap<i32, Money> = BTreeMap::new();
    for (&(_, year, _, index), split) in keys.iter().zip(parts.iter().flatten()) {
        if let Some(slot) = results.get_mut(index as usize) {
            *slot = *split;
        }
        let entry = paid_by_year.entry(year).or_insert(Money::ZERO);
        *entry = entry.checked_add(split.insurer)?;
    }
    let persons = i64::try_from(insured_persons)
        .map_err(|_| medfund_core::CoreError::Overflow { operation: "insured persons" })?;
    let premiums = policy.premium_per_person.checked_mul_int(persons)?;
    let years = paid_by_year
        .into_iter()
        .map(|(medical_year, claims_paid)| {
            Ok(YearSummary { medical_year, premiums, claims_paid, insurer_result: premiums.checked_sub(claims_paid)? })
        })
        .collect::<Result<_>>()?;
    Ok(SupplementaryResult { claims: results, years })
}

/// Cuts the sorted keys into about `pieces` ranges that never split a person-year.
fn segment_bounds<P: PartialEq>(keys: &[(&P, i32, NaiveDate, u32)], pieces: usize) -> Vec<(usize, usize)> {
    let n = keys.len();
    let target = n.checked_div(pieces.max(1)).unwrap_or(n).max(1);
    let mut bounds = Vec::with_capacity(pieces.saturating_add(1));
    let mut lo = 0;
    while lo < n {
        let mut hi = lo.saturating_add(target).min(n);
        // Move the cut forward to the next change of person or year.
        while hi < n {
            let same = match (keys.get(hi.saturating_sub(1)), keys.get(hi)) {
                (Some(a), Some(b)) => a.0 == b.0 && a.1 == b.1,
                _ => false,
            };
            if !same {
                break;
            }
            hi = hi.saturating_add(1);
        }
        bounds.push((lo, hi));
        lo = hi;
    }
    bounds
}
