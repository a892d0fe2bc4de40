//! Supplementary large-amount insurance (大额医疗费用补充保险), Xiamen practice
//! (rules X1–X5): per-claim split into fund / insurer / person by the person's
//! running total within the medical year, and the insurer's yearly result.

use std::hash::Hash;

use chrono::Datelike;
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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
    /// Checks what the types cannot: the caps and the premium are not negative.
    pub fn validate(&self) -> Result<()> {
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
        Ok(())
    }

    /// The banded schedule X2–X4: fund 100 % up to `fund_cap`, insurer
    /// `insurer_rate` above it up to `insurer_cap` paid, the person the rest.
    pub fn schedule(&self) -> Result<BandedSchedule> {
        self.validate()?;
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
/// preset's validity starts on 2007-01-01, the article's year, with no end.
/// [`split_claims_in_force`] refuses claims dated outside it; a caller who
/// knows the rules applied earlier says so by overriding the validity.
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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
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

impl ClaimSplit {
    /// A split carried between processes (read back from a table).
    pub const fn new(medical_year: i32, fund: Money, insurer: Money, person_pays: Money) -> ClaimSplit {
        ClaimSplit { medical_year, fund, insurer, person_pays }
    }
}

impl YearSummary {
    /// The account of a medical year from its premiums and claims paid
    /// (`insurer_result = premiums − claims_paid`), for summaries carried
    /// between processes.
    ///
    /// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险
    pub fn new(medical_year: i32, premiums: Money, claims_paid: Money) -> Result<YearSummary> {
        Ok(YearSummary { medical_year, premiums, claims_paid, insurer_result: premiums.checked_sub(claims_paid)? })
    }
}

/// The premiums of a medical year: `premium_per_person × insured_persons`.
///
/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险
pub(crate) fn premiums(policy: &SupplementaryPolicy, insured_persons: u64) -> Result<Money> {
    let overflow = || InsurerError::PremiumOverflow { insured_persons, premium_per_person: policy.premium_per_person };
    let persons = i64::try_from(insured_persons).map_err(|_| overflow())?;
    policy.premium_per_person.checked_mul_int(persons).map_err(|_| overflow())
}

/// Splits of every claim (input order) and the yearly summaries (year order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SupplementaryResult {
    /// One split per claim, in input order.
    pub claims: Vec<ClaimSplit>,
    /// Every medical year that has a claim, in order.
    pub years: Vec<YearSummary>,
}

/// Checks that every claim is dated inside the validity of `version`, the
/// policy it would be split under. The error names the first claim outside
/// it (its index in `claims`), its date and the window.
pub fn check_in_force<P>(version: &PolicyVersion<SupplementaryPolicy>, claims: &[Claim<P>]) -> Result<()> {
    let validity = version.validity();
    match claims.iter().enumerate().find(|(_, c)| !validity.contains(c.date)) {
        None => Ok(()),
        Some((index, claim)) => Err(InsurerError::ClaimOutsideValidity {
            index,
            date: claim.date,
            policy: version.id().to_owned(),
            window: validity.to_string(),
        }),
    }
}

/// [`split_claims`] under a dated policy version: refuses, before splitting
/// anything, a claim dated outside the version's validity
/// ([`check_in_force`]), so that no claim is computed under rules that were
/// not in force on its date.
///
/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险
pub fn split_claims_in_force<P: Hash + Eq + Clone + Sync>(
    version: &PolicyVersion<SupplementaryPolicy>,
    insured_persons: u64,
    claims: &[Claim<P>],
) -> Result<SupplementaryResult> {
    check_in_force(version, claims)?;
    split_claims(version.params(), insured_persons, claims)
}

/// Below this many claims the batch runs on one thread: spawning costs more.
const PARALLEL_THRESHOLD: usize = 65_536;
/// Fewer threads than this run the batch on one: only the per-person part is
/// parallel, and on 2 threads its gain is smaller than the cost of the extra
/// pass that restores input order (measured at 10^6 claims: 12.0 M claims/s
/// on 2 threads against 12.8 M on one; docs/benchmarks.md).
const PARALLEL_MIN_THREADS: usize = 4;
/// Splits written to the results per burst on the one-thread path (160 KiB,
/// within L2): 256 gave 11.7 M claims/s, 2,048–8,192 about 12.9 M.
const WINDOW: usize = 4096;

/// Splits claims given in any order: they are grouped per person and medical
/// year and applied in date order (same date: input order); results come back
/// in input order. Large batches (65,536 claims or more) run in parallel
/// across persons when rayon has 4 threads or more.
///
/// Grouping is linear: one pass interns persons by hash (a key is cloned
/// once per person, on first appearance) and counts their claims, a second
/// lays out the claims person by person (a stable counting sort, so input
/// order survives among equal dates); each person's few claims are then
/// ordered by date and run through the schedule, resetting at each medical
/// year. When the sum of all costs is within the schedule's exact range (any
/// real batch), the division-free kernel splits them; otherwise the checked
/// path does, and reports an overflow rather than wrap.
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
pub fn split_claims<P: Hash + Eq + Clone + Sync>(
    policy: &SupplementaryPolicy,
    insured_persons: u64,
    claims: &[Claim<P>],
) -> Result<SupplementaryResult> {
    let schedule = policy.schedule()?;
    let premiums = premiums(policy, insured_persons)?;
    let grouped = group_by_person(claims)?;
    let year_start = policy.year_start;

    let mut paid = YearTotals::default();
    let results = match schedule.column().filter(|c| grouped.cost_sum <= c.limit()) {
        Some(column) => {
            let mut state = column.fresh();
            let apply = move |fresh: bool, cost: Money| {
                if fresh {
                    state = column.fresh();
                }
                let [fund, insurer, _] = column.apply(&mut state, cost.fen().unsigned_abs());
                // Each part is at most the cost, which is an i64.
                Ok((
                    i64::try_from(fund).expect("invariant: the fund part is at most the cost, an i64"),
                    i64::try_from(insurer).expect("invariant: the insurer part is at most the cost, an i64"),
                ))
            };
            grouped.split(year_start, &mut paid, apply)?
        }
        None => {
            let mut state = RunningTotals::default();
            let schedule = &schedule;
            let apply = move |fresh: bool, cost: Money| {
                if fresh {
                    state = RunningTotals::default();
                }
                let s = schedule.apply(&mut state, cost)?;
                Ok((s.fund.fen(), s.insurer.fen()))
            };
            grouped.split(year_start, &mut paid, apply)?
        }
    };
    Ok(SupplementaryResult { claims: results, years: paid.summaries(premiums)? })
}

/// What the split needs of a claim, laid out person by person.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) date: NaiveDate,
    /// The claim's position in the input.
    pub(crate) index: u32,
    pub(crate) cost: Money,
}

impl Default for Entry {
    fn default() -> Entry {
        Entry { date: NaiveDate::MIN, index: 0, cost: Money::ZERO }
    }
}

/// The claims laid out person by person (first appearance order), each
/// person's in input order.
pub(crate) struct Grouped {
    pub(crate) entries: Vec<Entry>,
    /// `ends[p]`: one past person p's last claim in `entries`.
    pub(crate) ends: Vec<u32>,
    /// Σ of all costs in fen (saturating), for the kernel's range check.
    pub(crate) cost_sum: u64,
}

/// The insurer's payments per medical year, in year order: what a report's
/// `years` are made of, summed claim by claim (or part by part, with
/// [`merge`](Self::merge)) without holding the claims.
///
/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险 (X5, the insurer's account of a medical year)
///
/// ```
/// use medfund_core::Money;
/// use medfund_insurer::{YearTotals, xiamen_2007};
/// let policy = xiamen_2007()?.params().clone();
/// let mut paid = YearTotals::default();
/// paid.add(2024, Money::from_fen(900))?;
/// paid.add(2023, Money::from_fen(100))?;
/// paid.add(2024, Money::from_fen(50))?;
/// let years = paid.into_summaries(&policy, 10)?;
/// assert_eq!(years.iter().map(|y| (y.medical_year, y.claims_paid.fen())).collect::<Vec<_>>(), [(2023, 100), (2024, 950)]);
/// # Ok::<(), medfund_insurer::InsurerError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearTotals(Vec<(i32, i64)>);

impl YearTotals {
    /// Adds the insurer's payment `insurer` to `medical_year`.
    ///
    /// # Errors
    /// [`InsurerError::Core`] when the year's total overflows.
    pub fn add(&mut self, medical_year: i32, insurer: Money) -> Result<()> {
        self.add_fen(medical_year, insurer.fen())
    }

    /// Adds every year of `other` (totals of other claims) to these.
    ///
    /// # Errors
    /// [`InsurerError::Core`] when a year's total overflows.
    pub fn merge(&mut self, other: YearTotals) -> Result<()> {
        other.0.into_iter().try_for_each(|(year, paid)| self.add_fen(year, paid))
    }

    /// The medical years with a payment added, in order, each with what the insurer paid.
    pub fn iter(&self) -> impl Iterator<Item = (i32, Money)> + '_ {
        self.0.iter().map(|&(year, paid)| (year, Money::from_fen(paid)))
    }

    /// The years' summaries: premiums `premium_per_person × insured_persons`,
    /// claims paid, and the insurer's result, as
    /// [`split_claims`] gives them.
    ///
    /// # Errors
    /// [`InsurerError::PremiumOverflow`], or [`InsurerError::Core`] when a result overflows.
    pub fn into_summaries(self, policy: &SupplementaryPolicy, insured_persons: u64) -> Result<Vec<YearSummary>> {
        self.summaries(premiums(policy, insured_persons)?)
    }

    /// The medical years in order, each with the premiums and what the insurer paid.
    pub(crate) fn summaries(self, premiums: Money) -> Result<Vec<YearSummary>> {
        self.0
            .into_iter()
            .map(|(medical_year, claims_paid)| YearSummary::new(medical_year, premiums, Money::from_fen(claims_paid)))
            .collect()
    }

    /// [`add`](Self::add) in fen: the kernels sum in `i64`.
    pub(crate) fn add_fen(&mut self, year: i32, insurer: i64) -> Result<()> {
        let overflow = || InsurerError::from(medfund_core::CoreError::Overflow { operation: "claims paid in a year" });
        // Claims fall in a few medical years: a short sorted list.
        match self.0.binary_search_by_key(&year, |&(y, _)| y) {
            Ok(at) => {
                let (_, paid) = self.0.get_mut(at).expect("invariant: binary_search found it there");
                *paid = paid.checked_add(insurer).ok_or_else(overflow)?;
            }
            Err(at) => self.0.insert(at, (year, insurer)),
        }
        Ok(())
    }
}

/// Interns persons, checks costs and groups claim numbers by person.
pub(crate) fn group_by_person<P: Hash + Eq + Clone>(claims: &[Claim<P>]) -> Result<Grouped> {
    group::<P, false>(claims).map(|(grouped, _)| grouped)
}

/// [`group_by_person`], and the persons' keys in group order (moved out of
/// the interning table: reading them back from the claims would be one
/// random access per person).
pub(crate) fn group_by_person_keyed<P: Hash + Eq + Clone>(claims: &[Claim<P>]) -> Result<(Grouped, Vec<P>)> {
    group::<P, true>(claims)
}

fn group<P: Hash + Eq + Clone, const KEYS: bool>(claims: &[Claim<P>]) -> Result<(Grouped, Vec<P>)> {
    let overflow = || InsurerError::from(medfund_core::CoreError::Overflow { operation: "number of claims" });
    let n = u32::try_from(claims.len()).map_err(|_| overflow())?;
    // Keys are owned (cloned once per person) so that a lookup compares in
    // the table instead of chasing a reference back into the claims. Each
    // entry holds the person's rank and claim count: one access per claim.
    // Sized for four claims a person: growing from empty rehashed every key
    // several times (1.4 % of a 10⁷-claim run).
    let mut ranks: FxHashMap<P, (u32, u32)> =
        FxHashMap::with_capacity_and_hasher(claims.len() / 4, rustc_hash::FxBuildHasher);
    let mut person_of: Vec<u32> = Vec::with_capacity(claims.len());
    let mut cost_sum = 0_u64;
    for (i, c) in claims.iter().enumerate() {
        let cost = c.eligible_cost.fen();
        if cost < 0 {
            return Err(InsurerError::NegativeAmount {
                subject: format!("claim {i}"),
                field: "eligible_cost".into(),
                value: c.eligible_cost.to_string(),
            });
        }
        // Compared with the column kernel's limit only: a sum that saturates
        // is above it, and the claims take the checked path.
        cost_sum = cost_sum.saturating_add(cost.unsigned_abs());
        let rank = match ranks.get_mut(&c.person) {
            Some((rank, count)) => {
                *count = count.checked_add(1).expect("invariant: at most n ≤ u32::MAX claims in all");
                *rank
            }
            None => {
                let rank = u32::try_from(ranks.len()).map_err(|_| overflow())?;
                ranks.insert(c.person.clone(), (rank, 1));
                rank
            }
        };
        person_of.push(rank);
    }
    let mut counts = vec![0_u32; ranks.len()];
    let mut keys: Vec<Option<P>> = Vec::new();
    if KEYS {
        keys.resize_with(ranks.len(), || None);
    }
    for (key, (rank, count)) in ranks {
        *counts.get_mut(rank as usize).expect("invariant: ranks are 0..persons") = count;
        if KEYS {
            *keys.get_mut(rank as usize).expect("invariant: ranks are 0..persons") = Some(key);
        }
    }
    let keys = keys.into_iter().map(|k| k.expect("invariant: every rank has its key")).collect();
    // Counts become each person's first slot, then (after placing) one past its last.
    let mut next = 0_u32;
    for slot in &mut counts {
        let count = *slot;
        *slot = next;
        next = next.checked_add(count).expect("invariant: the counts sum to n ≤ u32::MAX");
    }
    // Sequential reads, scattered writes: stores do not stall the loop.
    let mut entries = vec![Entry::default(); claims.len()];
    for ((c, &rank), index) in claims.iter().zip(&person_of).zip(0..n) {
        let at = counts.get_mut(rank as usize).expect("invariant: ranks are 0..persons");
        *entries.get_mut(*at as usize).expect("invariant: a person's slots lie below n") =
            Entry { date: c.date, index, cost: c.eligible_cost };
        *at = at.checked_add(1).expect("invariant: slots are below n ≤ u32::MAX");
    }
    Ok((Grouped { entries, ends: counts, cost_sum }, keys))
}

impl Grouped {
    /// Runs every person's claims through `apply` in (date, input) order and
    /// returns the splits in input order. `apply(fresh,
    /// cost)` returns `(fund, insurer)` and starts a new running state when
    /// `fresh` (a new person or medical year). Large batches are cut at
    /// person boundaries into a few pieces per thread.
    fn split<F>(self, year_start: YearStart, paid: &mut YearTotals, mut apply: F) -> Result<Vec<ClaimSplit>>
    where
        F: FnMut(bool, Money) -> Result<(i64, i64)> + Clone + Send + Sync,
    {
        let n = self.entries.len();
        let threads = rayon::current_num_threads();
        if n < PARALLEL_THRESHOLD || threads < PARALLEL_MIN_THREADS {
            // One thread: splits are written to their input-order slots in
            // bursts of WINDOW. One scattered store per claim interleaved
            // with the arithmetic cost 36 of 95 ns a claim at 10^6 claims;
            // in bursts the stores overlap one another (docs/benchmarks.md).
            let mut results = vec![ClaimSplit::default(); n];
            let mut window: Vec<(u32, ClaimSplit)> = Vec::with_capacity(WINDOW);
            let flush = |window: &mut Vec<(u32, ClaimSplit)>, results: &mut [ClaimSplit]| {
                for (index, split) in window.drain(..) {
                    *results.get_mut(index as usize).expect("invariant: claim indices are below n") = split;
                }
            };
            run(&self.entries, &self.ends, 0, year_start, &mut apply, paid, |index, split| {
                window.push((index, split));
                if window.len() == WINDOW {
                    flush(&mut window, &mut results);
                }
            })?;
            flush(&mut window, &mut results);
            return Ok(results);
        }
        // Many threads: each piece of persons pushes (claim number, split) in
        // processing order to its own list; then each thread writes one range
        // of claim numbers, reading every list and keeping its own range. The
        // lists are allocated here, not in the workers: memory a worker
        // allocates stays with its thread's malloc arena after it is freed
        // (measured: +40 MB peak for `medfund run` on 10^6 claims).
        let target = n.checked_div(threads.saturating_mul(8)).unwrap_or(n).max(1);
        let mut pieces = Vec::new();
        let (mut entries, mut taken, mut next) = (self.entries.as_slice(), 0_usize, target);
        for &end in &self.ends {
            let end = end as usize;
            if end >= next && end < n {
                let (piece, rest) = entries.split_at(end.saturating_sub(taken).min(entries.len()));
                pieces.push((taken, piece, Vec::with_capacity(piece.len())));
                (entries, taken, next) = (rest, end, end.saturating_add(target));
            }
        }
        pieces.push((taken, entries, Vec::with_capacity(entries.len())));
        let ends = self.ends.as_slice();
        let parts = pieces
            .into_par_iter()
            .map(|(offset, piece, mut placed)| {
                let (mut paid, mut apply) = (YearTotals::default(), apply.clone());
                run(piece, ends, offset, year_start, &mut apply, &mut paid, |index, split| {
                    placed.push((index, split))
                })?;
                Ok((paid, placed))
            })
            .collect::<Result<Vec<(YearTotals, Vec<(u32, ClaimSplit)>)>>>()?;
        // The grouped claims are done with: free them before the results exist.
        drop(self);
        let mut results = vec![ClaimSplit::default(); n];
        let chunk = n.div_ceil(threads).max(1);
        results.par_chunks_mut(chunk).enumerate().for_each(|(k, slots)| {
            let first = k.saturating_mul(chunk);
            for &(index, split) in parts.iter().flat_map(|(_, placed)| placed) {
                // Each chunk takes the claims whose index falls in it.
                if let Some(slot) = (index as usize).checked_sub(first).and_then(|at| slots.get_mut(at)) {
                    *slot = split;
                }
            }
        });
        for (part, _) in parts {
            paid.merge(part)?;
        }
        Ok(results)
    }
}

/// The day number of `date`, mapped to `u32` preserving order.
#[inline]
pub(crate) fn day_key(date: NaiveDate) -> u32 {
    u32::from_ne_bytes((date.num_days_from_ce() ^ i32::MIN).to_ne_bytes())
}

/// The claims of the persons in `piece` (which starts at `offset` of the
/// grouped entries; `ends` are the persons' ends there): each person's in
/// date order, through `apply`; `emit(claim number,
/// split)` for each. Adds the insurer's payments to `paid`.
pub(crate) fn run(
    piece: &[Entry],
    ends: &[u32],
    offset: usize,
    year_start: YearStart,
    mut apply: impl FnMut(bool, Money) -> Result<(i64, i64)>,
    paid: &mut YearTotals,
    mut emit: impl FnMut(u32, ClaimSplit),
) -> Result<()> {
    let overflow = || InsurerError::from(medfund_core::CoreError::Overflow { operation: "claims paid in a year" });
    let first_person = ends.partition_point(|&e| (e as usize) <= offset);
    let (mut rest, mut start) = (piece, offset);
    // The insurer's payments are summed per run of one medical year and added
    // to `paid` when the year changes: a `paid.add` per claim measured 4 %
    // slower on 10^6 claims.
    let (mut year_paid, mut paid_year) = (0_i64, None::<i32>);
    let mut keys: Vec<u64> = Vec::new();
    for &person_end in ends.get(first_person..).unwrap_or(&[]) {
        if rest.is_empty() {
            break;
        }
        let len = (person_end as usize).saturating_sub(start).min(rest.len());
        let (group, tail) = rest.split_at(len);
        (rest, start) = (tail, start.saturating_add(len));
        // Date order, claims of one date in input order (entries of a person
        // are in input order): sort (day, position) keys, which the standard
        // library sorts without branches for short slices. The medical year
        // is monotone in the date, so date order is year order.
        keys.clear();
        keys.extend(group.iter().zip(0_u32..).map(|(e, at)| (u64::from(day_key(e.date)) << 32) | u64::from(at)));
        if keys.len() > 1 {
            keys.sort_unstable();
        }
        let mut current_year = None;
        for key in &keys {
            let at = u32::try_from(key & u64::from(u32::MAX)).expect("invariant: the low 32 bits of a key fit a u32");
            let Some(entry) = group.get(at as usize) else { continue };
            let year = year_start.year_of(entry.date).label();
            let fresh = current_year != Some(year);
            current_year = Some(year);
            let (fund, insurer) = apply(fresh, entry.cost).map_err(|e| match e {
                InsurerError::Core(medfund_core::CoreError::Overflow { operation }) => {
                    InsurerError::ClaimOverflow { index: entry.index as usize, operation }
                }
                other => other,
            })?;
            // fund + insurer ≤ cost: the person's part is the rest.
            let person_pays = entry.cost.fen().wrapping_sub(fund).wrapping_sub(insurer);
            emit(
                entry.index,
                ClaimSplit {
                    medical_year: year,
                    fund: Money::from_fen(fund),
                    insurer: Money::from_fen(insurer),
                    person_pays: Money::from_fen(person_pays),
                },
            );
            if paid_year != Some(year) {
                if let Some(y) = paid_year {
                    paid.add_fen(y, year_paid)?;
                }
                (paid_year, year_paid) = (Some(year), 0);
            }
            year_paid = year_paid.checked_add(insurer).ok_or_else(overflow)?;
        }
    }
    if let Some(y) = paid_year {
        paid.add_fen(y, year_paid)?;
    }
    Ok(())
}
