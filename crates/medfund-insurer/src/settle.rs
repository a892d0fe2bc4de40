//! The one-stop settlement itself: each person's claims in date order
//! through the chain of [`BandedSchedule`]s, running totals per person and
//! medical year (July 1 reset).

use std::hash::Hash;

use medfund_core::{Money, Splitter, Step, Trace};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::banded::{BandSplit, BandedSchedule, RunningTotals};
use crate::column::ColumnSchedule;
use crate::error::{InsurerError, Result};
use crate::onestop::{
    CIVIL_SERVANT_RULE, DeductiblePer, HARDSHIP_RULE, Hardship, MIGRANT_RULE, Person, Status, SubsidyOrder,
    SubsidyPolicy, YearSchedules,
};
use crate::supplementary::{
    Claim, SupplementaryPolicy, XIAMEN_RULE, YearSummary, YearTotals, day_key, group_by_person_keyed, premiums,
};

/// One claim settled: `fund + insurer + civil_servant + civil_servant_above_max
/// + hardship + person_pays = eligible_cost` exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SettledClaim {
    /// The medical year (labelled by the year in which it starts).
    pub medical_year: i32,
    /// The pooling fund (X2; a migrant's: X9).
    pub fund: Money,
    /// The supplementary insurer (X3, X4).
    pub insurer: Money,
    /// The civil-servant subsidy on co-payments (X7).
    pub civil_servant: Money,
    /// The civil-servant subsidy on costs beyond the insurer's maximum (X8).
    pub civil_servant_above_max: Money,
    /// The hardship subsidy (X6).
    pub hardship: Money,
    /// What the person pays in the end.
    pub person_pays: Money,
}

/// The parts of many claims added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SettlementTotals {
    /// Claims.
    pub claims: u64,
    /// Σ eligible cost.
    pub eligible_cost: Money,
    /// Σ fund.
    pub fund: Money,
    /// Σ insurer.
    pub insurer: Money,
    /// Σ civil-servant subsidy (X7).
    pub civil_servant: Money,
    /// Σ civil-servant subsidy beyond the insurer's maximum (X8).
    pub civil_servant_above_max: Money,
    /// Σ hardship subsidy (X6).
    pub hardship: Money,
    /// Σ paid by persons.
    pub person_pays: Money,
}

impl Running {
    fn new(column: Option<&ColumnSchedule>) -> Running {
        Running {
            column: column.map(ColumnSchedule::fresh),
            supplementary: RunningTotals::default(),
            civil_servant: SubsidyRun::default(),
            above_max: SubsidyRun::default(),
            hardship: SubsidyRun::default(),
            migrant: RunningTotals::default(),
        }
    }

    /// A new medical year of a person: the states the person's rules use
    /// start afresh (the others are not read for this person; resetting
    /// every state of every person-year cost 300 bytes of writes each).
    #[inline]
    fn restart(&mut self, column: Option<&ColumnSchedule>, person: &Person) {
        self.column = column.map(ColumnSchedule::fresh);
        self.supplementary = RunningTotals::default();
        match person.status {
            Status::Migrant => self.migrant = RunningTotals::default(),
            Status::CivilServant | Status::RetiredCivilServant => self.restart_subsidies(),
            _ if person.hardship.is_some() => self.restart_subsidies(),
            _ => {}
        }
    }

    fn restart_subsidies(&mut self) {
        self.civil_servant = SubsidyRun::default();
        self.above_max = SubsidyRun::default();
        self.hardship = SubsidyRun::default();
    }
}

impl SettlementTotals {
    #[inline]
    fn add(&mut self, cost: Money, c: &SettledClaim) -> Result<()> {
        debug_assert_eq!(
            [c.fund, c.insurer, c.civil_servant, c.civil_servant_above_max, c.hardship, c.person_pays]
                .iter()
                .try_fold(Money::ZERO, |a, &b| a.checked_add(b))
                .ok(),
            Some(cost),
            "invariant: the parts of a claim sum to its cost"
        );
        let sum = |a: Money, b: Money| a.checked_add(b);
        self.claims = self.claims.checked_add(1).expect("invariant: fewer than 2^64 claims");
        self.eligible_cost = sum(self.eligible_cost, cost)?;
        self.fund = sum(self.fund, c.fund)?;
        self.insurer = sum(self.insurer, c.insurer)?;
        self.civil_servant = sum(self.civil_servant, c.civil_servant)?;
        self.civil_servant_above_max = sum(self.civil_servant_above_max, c.civil_servant_above_max)?;
        self.hardship = sum(self.hardship, c.hardship)?;
        self.person_pays = sum(self.person_pays, c.person_pays)?;
        Ok(())
    }

    fn merge(&mut self, o: &SettlementTotals) -> Result<()> {
        self.claims = self.claims.checked_add(o.claims).expect("invariant: fewer than 2^64 claims");
        for (a, b) in [
            (&mut self.eligible_cost, o.eligible_cost),
            (&mut self.fund, o.fund),
            (&mut self.insurer, o.insurer),
            (&mut self.civil_servant, o.civil_servant),
            (&mut self.civil_servant_above_max, o.civil_servant_above_max),
            (&mut self.hardship, o.hardship),
            (&mut self.person_pays, o.person_pays),
        ] {
            *a = a.checked_add(b)?;
        }
        Ok(())
    }
}

/// One person's medical year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct PersonYear<P> {
    /// The person.
    pub person: P,
    /// The status applied.
    pub status: Status,
    /// The hardship category applied (a low pension only when below the year's threshold).
    pub hardship_category: Option<Hardship>,
    /// The medical year.
    pub medical_year: i32,
    /// The year's totals.
    #[serde(flatten)]
    pub totals: SettlementTotals,
}

/// The result of a one-stop settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct OneStopResult<P> {
    /// One per claim, in input order.
    pub claims: Vec<SettledClaim>,
    /// One per person and medical year, persons in order of first claim, years in order.
    pub person_years: Vec<PersonYear<P>>,
    /// Per medical year, every person: (year, totals), in year order.
    pub years: Vec<(i32, SettlementTotals)>,
    /// The insurer's account per medical year (X5), as [`crate::split_claims`] gives it.
    pub insurer_years: Vec<YearSummary>,
}

/// A subsidy schedule's running state in a person's medical year: the
/// checked one, or the division-free one (started on first use) when the
/// batch is within the schedule's exact range.
#[derive(Default)]
struct SubsidyRun {
    checked: RunningTotals,
    column: Option<crate::column::Running>,
}

impl SubsidyRun {
    /// The running base before this claim (the traced path is the checked one).
    fn before(&self) -> Money {
        self.checked.cost()
    }

    /// The subsidy `schedule` pays on `base`; `fast`: the division-free path.
    #[inline]
    fn apply(&mut self, schedule: &BandedSchedule, base: Money, fast: bool) -> Result<Money> {
        debug_assert!(!base.is_negative(), "invariant: a subsidy's base is a part of the out-of-pocket");
        if let Some(column) = schedule.column().filter(|_| fast) {
            let state = self.column.get_or_insert_with(|| column.fresh());
            let [_, _, subsidy] = column.apply(state, base.fen().unsigned_abs());
            return Ok(Money::from_fen(i64::try_from(subsidy).expect("invariant: a subsidy is at most its base")));
        }
        Ok(schedule.apply(&mut self.checked, base)?.subsidy)
    }
}

/// The state of one person's medical year: one running total per schedule.
struct Running {
    /// The supplementary schedule's, on the division-free path.
    column: Option<crate::column::Running>,
    supplementary: RunningTotals,
    civil_servant: SubsidyRun,
    above_max: SubsidyRun,
    hardship: SubsidyRun,
    migrant: RunningTotals,
}

/// Settles every claim of every person (any order) in one stop: fund and
/// insurer by the supplementary schedule (X2–X4); for civil servants 80 %
/// of the year's co-payments above 12 % W (retired 8 % W; X7) and 70 % of
/// the year's costs beyond the insurer's maximum, at most 100,000 (X8); for
/// hardship cases the banded subsidy on the year's out-of-pocket left, at
/// most 8,000 (X6); migrants by their inpatient scheme (X9) alone. Persons not in `persons` are employees.
/// Claims of a person are applied in date order (same date: input order);
/// every running total resets at the medical year.
///
/// The co-payments of X7 are the person's share within the insurer's band
/// ("the person's 10 %"); the excess of X8 is the cost beyond the insurer's
/// maximum ([`BandedSchedule::apply_with_excess`]). Each part is rounded per
/// claim: with the default [`SubsidyOrder::CivilServantFirst`], splitting a
/// person's year claim by claim differs from splitting its total in one go
/// by at most 5 fen per claim in any part (a rounding in each of the
/// insurer's share, the excess and each subsidy, carried down the chain;
/// property-tested). With [`SubsidyOrder::HardshipFirst`] the hardship part
/// of each claim is attributed to that claim's co-payments and excess, so
/// the order of claims can move money between the two civil-servant parts
/// beyond that bound.
///
/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险
/// Rule: 厦门市基本医疗保险实践（2007） 二、国家公务员医疗补助
/// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
/// Rule: 厦门市基本医疗保险实践（2007） 外来从业人员住院医疗
///
/// ```
/// use medfund_core::{Money, NaiveDate, Trace};
/// use medfund_insurer::{settle_one_stop, xiamen_2007, xiamen_2007_subsidies, AverageWage, Claim, Person, Status};
/// let y = |n| Money::from_yuan(n).unwrap();
/// let d = |yr, m, day| NaiveDate::from_ymd_opt(yr, m, day).unwrap();
/// let mut subsidies = xiamen_2007_subsidies()?.params().clone();
/// subsidies.average_wages = vec![AverageWage { medical_year: 2024, wage: y(100_000) }];
/// let persons = [("cs", Person::new(Status::CivilServant))];
/// let claims = [Claim { person: "cs", date: d(2024, 9, 1), eligible_cost: y(233_000) }];
/// let r = settle_one_stop(xiamen_2007()?.params(), &subsidies, 1, &persons, &claims, &mut Trace::off())?;
/// let c = r.claims[0];
/// assert_eq!((c.fund, c.insurer), (y(53_000), y(150_000)));           // 90 % of 166,666.67 reaches the cap
/// // 150,000 covers 166,666.67 of cost: 16,666.67 co-paid, 13,333.33 beyond the insurer's maximum.
/// assert_eq!(c.civil_servant.to_string(), "3733.34");            // 80 % of (16,666.67 − 12 % W)
/// assert_eq!(c.civil_servant_above_max.to_string(), "9333.33");  // 70 % of 13,333.33
/// assert_eq!(c.person_pays.to_string(), "16933.33");
/// # Ok::<(), medfund_insurer::InsurerError>(())
/// ```
/// Claims of persons in `persons` that are not employees need W of their
/// medical year (`average_wages`), migrants also `migrant_limits` and their
/// `contribution_months`: a missing one is an error naming it, never a 0.
pub fn settle_one_stop<P: Hash + Eq + Clone + std::fmt::Display>(
    supplementary: &SupplementaryPolicy,
    subsidies: &SubsidyPolicy,
    insured_persons: u64,
    persons: &[(P, Person)],
    claims: &[Claim<P>],
    trace: &mut Trace,
) -> Result<OneStopResult<P>> {
    let mut out =
        OneStopResult { claims: Vec::new(), person_years: Vec::new(), years: Vec::new(), insurer_years: Vec::new() };
    settle_one_stop_into(supplementary, subsidies, insured_persons, persons, claims, trace, &mut out)?;
    Ok(out)
}

/// [`settle_one_stop`] into the vectors of `out`, whose allocations are
/// reused: a caller that settles many variants keeps one result (fresh
/// vectors of 10⁶ claims cost their page faults on every call). On an
/// error `out` holds no result of this call.
#[allow(clippy::too_many_arguments)]
pub fn settle_one_stop_into<P: Hash + Eq + Clone + std::fmt::Display>(
    supplementary: &SupplementaryPolicy,
    subsidies: &SubsidyPolicy,
    insured_persons: u64,
    persons: &[(P, Person)],
    claims: &[Claim<P>],
    trace: &mut Trace,
    out: &mut OneStopResult<P>,
) -> Result<()> {
    let mut results = std::mem::take(&mut out.claims);
    let mut person_years = std::mem::take(&mut out.person_years);
    out.years.clear();
    out.insurer_years.clear();
    results.clear();
    results.resize(claims.len(), SettledClaim::default());
    person_years.clear();
    let schedule = supplementary.schedule()?;
    subsidies.validate()?;
    let premiums = premiums(supplementary, insured_persons)?;
    // Owned keys with the person inline: one probe finds both (a key behind
    // a reference cost a second cache miss per person at 2·10^5 persons).
    let mut known: FxHashMap<P, (usize, Person)> = FxHashMap::default();
    known.reserve(persons.len());
    for (index, (id, person)) in persons.iter().enumerate() {
        if known.insert(id.clone(), (index, *person)).is_some() {
            return Err(InsurerError::InvalidPerson {
                index,
                id: id.to_string(),
                field: "id",
                problem: "appears twice".into(),
                expected: "each person once",
            });
        }
    }
    let (grouped, ids) = group_by_person_keyed(claims)?;
    // The division-free path when every running total stays in its range (any
    // real batch); the traced path is the checked one, whose state the steps read.
    let column = schedule.column().filter(|c| grouped.cost_sum <= c.limit() && !trace.is_on());
    // At most one person-year per claim; pages not written cost nothing.
    person_years.reserve(claims.len().min(grouped.ends.len().saturating_mul(3)));
    let mut st = Settler {
        schedule: &schedule,
        cost_sum: grouped.cost_sum,
        column,
        subsidies,
        years: Vec::new(),
        results,
        person_years,
        totals: Vec::new(),
        paid: YearTotals::default(),
        steps: Vec::new(),
        tracing: trace.is_on(),
        splitter: Splitter::new(),
        window: Vec::with_capacity(WINDOW),
        migrant_schedules: Vec::new(),
    };
    let mut keys: Vec<u64> = Vec::new();
    // One state for the call, restarted at each person-year (its first claim included).
    let mut running = Running::new(column);
    let mut looked_up: Vec<(Option<usize>, Person)> = Vec::with_capacity(LOOKUPS);
    let mut start = 0_usize;
    for (chunk_ends, chunk_ids) in grouped.ends.chunks(LOOKUPS).zip(ids.chunks(LOOKUPS)) {
        // The persons of a chunk of groups, looked up in a tight pass: the
        // lookups are independent there and their cache misses overlap
        // (inside the settlement loop they stalled it).
        looked_up.clear();
        looked_up
            .extend(chunk_ids.iter().map(|id| known.get(id).map_or((None, Person::default()), |&(i, p)| (Some(i), p))));
        for ((&end, id), &(index, person)) in chunk_ends.iter().zip(chunk_ids).zip(&looked_up) {
            let group =
                grouped.entries.get(start..end as usize).expect("invariant: person ends are increasing, at most n");
            start = end as usize;
            keys.clear();
            keys.extend(group.iter().zip(0_u32..).map(|(e, at)| (u64::from(day_key(e.date)) << 32) | u64::from(at)));
            keys.sort_unstable();
            // The person-year being settled, booked when its year or person ends.
            let mut current: Option<PersonYear<P>> = None;
            let mut migrant: Option<usize> = None;
            for key in &keys {
                let at = usize::try_from(key & u64::from(u32::MAX)).expect("invariant: the low 32 bits fit a usize");
                let entry = group.get(at).expect("invariant: keys index the group");
                let medical_year = supplementary.year_start.year_of(entry.date).label();
                if current.as_ref().is_none_or(|c| c.medical_year != medical_year) {
                    if let Some(done) = current.take() {
                        st.close(done)?;
                    }
                    running.restart(column, &person);
                    migrant = None;
                    let hardship = st.hardship_of(index, id, &person, medical_year)?;
                    current = Some(PersonYear {
                        person: id.clone(),
                        status: person.status,
                        hardship_category: hardship,
                        medical_year,
                        totals: SettlementTotals::default(),
                    });
                }
                let py = current.as_mut().expect("invariant: set above");
                let claim = match person.status {
                    Status::Migrant => st.migrant(index, id, &person, medical_year, &mut migrant, &mut running, entry),
                    _ => st.chain(&person, py.hardship_category, medical_year, &mut running, entry),
                }
                .and_then(|claim| {
                    st.record(entry.index, claim);
                    py.totals.add(entry.cost, &claim)
                })
                .map_err(|e| match e {
                    InsurerError::Core(medfund_core::CoreError::Overflow { operation }) => {
                        InsurerError::ClaimOverflow { index: entry.index as usize, operation }
                    }
                    other => other,
                });
                claim?;
            }
            if let Some(done) = current {
                st.close(done)?;
            }
        }
    }
    st.flush();
    let Settler { results, person_years, totals, paid, mut steps, .. } = st;
    if trace.is_on() {
        // In input order, each claim's steps as they were taken.
        steps.sort_by_key(|(index, _)| *index);
        for (_, step) in steps {
            trace.record(|| step);
        }
    }
    out.insurer_years = paid.summaries(premiums)?;
    out.claims = results;
    out.person_years = person_years;
    out.years = totals;
    Ok(())
}

/// The state of one settlement.
struct Settler<'a, P> {
    schedule: &'a BandedSchedule,
    /// Σ of every claim's cost (fen, saturating): bounds every running total.
    cost_sum: u64,
    column: Option<&'a ColumnSchedule>,
    subsidies: &'a SubsidyPolicy,
    /// Schedules of the medical years met so far (`None`: no W given).
    years: Vec<(i32, Option<YearSchedules>)>,
    results: Vec<SettledClaim>,
    person_years: Vec<PersonYear<P>>,
    totals: Vec<(i32, SettlementTotals)>,
    paid: YearTotals,
    steps: Vec<(u32, Step)>,
    tracing: bool,
    splitter: Splitter,
    window: Vec<(u32, SettledClaim)>,
    /// The migrant schedules built so far: (medical year, limit, schedule).
    migrant_schedules: Vec<(i32, Money, BandedSchedule)>,
}

/// Settled claims written to the results per burst (as in `split_claims`).
const WINDOW: usize = 4096;
/// Persons looked up per pass.
const LOOKUPS: usize = 1024;

impl<P: std::fmt::Display> Settler<'_, P> {
    /// Writes the settled claims of the window to their slots.
    fn flush(&mut self) {
        for (index, claim) in self.window.drain(..) {
            *self.results.get_mut(index as usize).expect("invariant: claim indices are below n") = claim;
        }
    }

    /// The schedules of `medical_year`; an error naming W when it is not given.
    fn year(&mut self, medical_year: i32, needed_for: &'static str) -> Result<&YearSchedules> {
        let at = match self.years.iter().position(|(y, _)| *y == medical_year) {
            Some(at) => at,
            None => {
                self.years.push((medical_year, YearSchedules::new(self.subsidies, medical_year)?));
                self.years.len().wrapping_sub(1)
            }
        };
        let (_, schedules) = self.years.get(at).expect("invariant: found or pushed");
        schedules.as_ref().ok_or(InsurerError::MissingParameter {
            field: "average_wages",
            medical_year: Some(medical_year),
            needed_for,
        })
    }

    /// The hardship category that applies to `person` in `medical_year`:
    /// a low pension is tested against the year's W.
    ///
    /// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
    fn hardship_of(
        &mut self,
        index: Option<usize>,
        id: &P,
        person: &Person,
        medical_year: i32,
    ) -> Result<Option<Hardship>> {
        let invalid = |field, problem: &str, expected| InsurerError::InvalidPerson {
            index: index.expect("invariant: a person with a hardship category is listed"),
            id: id.to_string(),
            field,
            problem: problem.into(),
            expected,
        };
        match person.hardship {
            None => Ok(None),
            Some(_) if person.status == Status::Migrant => {
                Err(invalid("hardship", "is given for a migrant worker", "no hardship category (X9 has no subsidy)"))
            }
            Some(Hardship::SubsistenceAllowance) => Ok(Some(Hardship::SubsistenceAllowance)),
            Some(Hardship::LowPension) => {
                if !person.status.is_retired() {
                    return Err(invalid("hardship", "is low-pension for a person not retired", "a retired status"));
                }
                let pension = person.monthly_pension.ok_or_else(|| {
                    invalid("monthly_pension", "is missing", "the monthly pension of a low-pension retiree")
                })?;
                let below = self.year(medical_year, "the low-pension test (X6)")?.low_pension_below;
                Ok((pension < below).then_some(Hardship::LowPension))
            }
        }
    }

    /// X2–X4, then X7/X8 and X6 in the policy's order, for one claim.
    fn chain(
        &mut self,
        person: &Person,
        hardship: Option<Hardship>,
        medical_year: i32,
        running: &mut Running,
        entry: &crate::supplementary::Entry,
    ) -> Result<SettledClaim> {
        let cost = entry.cost;
        let before = running.supplementary.cost();
        let (split, excess) = match (self.column, running.column.as_mut()) {
            (Some(column), Some(state)) => {
                let ([fund, insurer, _], excess) = column.apply_with_excess(state, cost.fen().unsigned_abs());
                // Each part is at most the cost, an i64.
                let fen = |v: u64| Money::from_fen(i64::try_from(v).expect("invariant: a part is at most the cost"));
                let (fund, insurer) = (fen(fund), fen(insurer));
                let person = cost.checked_sub(fund)?.checked_sub(insurer)?;
                (BandSplit::new(fund, insurer, Money::ZERO, person), fen(excess))
            }
            _ => self.schedule.apply_with_excess(&mut running.supplementary, cost)?,
        };
        let mut claim = SettledClaim {
            medical_year,
            fund: split.fund,
            insurer: split.insurer,
            person_pays: split.person,
            ..SettledClaim::default()
        };
        if self.tracing {
            self.steps.push((
                entry.index,
                Step::new(
                    format!("/supplementary/claims/{}", entry.index),
                    XIAMEN_RULE,
                    "by the person's running eligible total in the medical year: the fund pays up to fund_cap; above it the insurer pays insurer_rate (rounded per claim) until insurer_cap; the person pays the rest",
                )
                .zh("按参保人医保年度内累计合规费用：统筹基金支付至统筹封顶线；超出部分由保险公司按赔付比例支付（逐笔四舍五入）至保险公司封顶线；其余个人自付")
                .input("medical_year", medical_year)
                .input("running_total_before", before)
                .input("eligible_cost", cost)
                .result(format!("fund {}; insurer {}; person {}", split.fund, split.insurer, split.person)),
            ));
        }
        let civil = matches!(person.status, Status::CivilServant | Status::RetiredCivilServant);
        if !civil && hardship.is_none() {
            return Ok(claim);
        }
        let copay = split.person.checked_sub(excess)?;
        let order = self.subsidies.order;
        let retired = usize::from(person.status == Status::RetiredCivilServant);
        let tracing = self.tracing;
        // The division-free subsidy paths: as for the supplementary schedule.
        let (fast, cost_sum) = (self.column.is_some(), self.cost_sum);
        let mut steps: Vec<Step> = Vec::new();
        let needed = if civil { "the civil-servant subsidy (X7, X8)" } else { "the hardship subsidy (X6)" };
        let ys = self.year(medical_year, needed)?;
        let wage = ys.wage;
        let mut hardship_part = Money::ZERO;
        if let (Some(kind), SubsidyOrder::HardshipFirst) = (hardship, order) {
            hardship_part =
                hardship_subsidy(ys, kind, running, split.person, wage, tracing, (fast, cost_sum), &mut steps, entry)?;
        }
        if civil {
            // Hardship-first: the hardship part is taken off the co-payments and the excess pro rata.
            let (mut base_copay, mut base_excess) = (copay, excess);
            if hardship_part.is_positive() {
                let mut shares = [Money::ZERO; 2];
                self.splitter.split_into(
                    hardship_part,
                    &[copay.fen().unsigned_abs(), excess.fen().unsigned_abs()],
                    &mut shares,
                )?;
                let [on_copay, on_excess] = shares;
                base_copay = copay.checked_sub(on_copay)?;
                base_excess = excess.checked_sub(on_excess)?;
            }
            let ys = self.year(medical_year, needed)?;
            let cs_schedule = ys.civil_servant.get(retired).expect("invariant: active and retired schedules");
            let cs_before = running.civil_servant.before();
            let fast = |s: &BandedSchedule| fast && s.column().is_some_and(|c| c.limit() >= cost_sum);
            claim.civil_servant = running.civil_servant.apply(cs_schedule, base_copay, fast(cs_schedule))?;
            let am_before = running.above_max.before();
            claim.civil_servant_above_max = running.above_max.apply(&ys.above_max, base_excess, fast(&ys.above_max))?;
            if tracing {
                let threshold =
                    if retired == 1 { "retired_civil_servant_threshold" } else { "civil_servant_threshold" };
                steps.push(
                    Step::new(
                        format!("/supplementary/claims/{}/civil_servant", entry.index),
                        CIVIL_SERVANT_RULE,
                        "civil_servant_rate × the part of the year's co-payments (the person's share within the insurer's band) above the threshold × W",
                    )
                    .zh("医保年度内个人自付（补充保险个人承担部分）累计超过上年度社平工资×起付比例的部分 × 补助比例")
                    .input("status", if retired == 1 { "retired-civil-servant" } else { "civil-servant" })
                    .input("W", wage)
                    .input("threshold", threshold)
                    .input("copayments_before", cs_before)
                    .input("copayment", base_copay)
                    .result(claim.civil_servant),
                );
                steps.push(
                    Step::new(
                        format!("/supplementary/claims/{}/civil_servant_above_max", entry.index),
                        CIVIL_SERVANT_RULE,
                        "above_max_rate × the cost beyond the insurer's maximum, until above_max_cap in the medical year",
                    )
                    .zh("超过补充保险最高支付限额的费用 × 70%，医保年度内至补助限额")
                    .input("excess_before", am_before)
                    .input("excess", base_excess)
                    .input("above_max_cap", self.subsidies.above_max_cap)
                    .result(claim.civil_servant_above_max),
                );
            }
        }
        if let (Some(kind), SubsidyOrder::CivilServantFirst) = (hardship, order) {
            let left = split.person.checked_sub(claim.civil_servant)?.checked_sub(claim.civil_servant_above_max)?;
            let ys = self.year(medical_year, needed)?;
            hardship_part =
                hardship_subsidy(ys, kind, running, left, wage, tracing, (fast, cost_sum), &mut steps, entry)?;
        }
        claim.hardship = hardship_part;
        claim.person_pays = split
            .person
            .checked_sub(claim.civil_servant)?
            .checked_sub(claim.civil_servant_above_max)?
            .checked_sub(claim.hardship)?;
        self.steps.extend(steps.into_iter().map(|s| (entry.index, s)));
        Ok(claim)
    }

    /// X9 for one claim of a migrant worker.
    ///
    /// Rule: 厦门市基本医疗保险实践（2007） 外来从业人员住院医疗
    #[allow(clippy::too_many_arguments)]
    fn migrant(
        &mut self,
        index: Option<usize>,
        id: &P,
        person: &Person,
        medical_year: i32,
        schedule: &mut Option<usize>,
        running: &mut Running,
        entry: &crate::supplementary::Entry,
    ) -> Result<SettledClaim> {
        let invalid = |problem: String| InsurerError::InvalidPerson {
            index: index.expect("invariant: a migrant is a listed person"),
            id: id.to_string(),
            field: "contribution_months",
            problem,
            expected: "the months of continuous contribution that select a row of migrant_limits",
        };
        let months = person.contribution_months.ok_or_else(|| invalid("is missing".into()))?;
        let limit = self
            .subsidies
            .migrant_limit(months)?
            .ok_or_else(|| invalid(format!("{months} is below the first row of migrant_limits")))?;
        if schedule.is_none() {
            // One schedule per medical year and limit, built once for every migrant.
            let found = self.migrant_schedules.iter().position(|(y, l, _)| *y == medical_year && *l == limit);
            *schedule = Some(match found {
                Some(at) => at,
                None => {
                    let subsidies = self.subsidies;
                    let built = self.year(medical_year, "the migrant deductible (X9)")?.migrant(subsidies, limit)?;
                    self.migrant_schedules.push((medical_year, limit, built));
                    self.migrant_schedules.len().wrapping_sub(1)
                }
            });
        }
        let at = schedule.expect("invariant: set above");
        let (_, _, s) = self.migrant_schedules.get(at).expect("invariant: an index of a built schedule");
        if self.subsidies.migrant_deductible_per == DeductiblePer::Admission {
            running.migrant.restart_cost();
        }
        let before = running.migrant.cost();
        let paid_before = running.migrant.paid_by(crate::Payer::Fund);
        let split = s.apply(&mut running.migrant, entry.cost)?;
        if self.tracing {
            let deductible = self.year(medical_year, "the migrant deductible (X9)")?.migrant_deductible;
            self.steps.push((
                entry.index,
                Step::new(
                    format!("/supplementary/claims/{}", entry.index),
                    MIGRANT_RULE,
                    "the person first pays migrant_deductible × W (per medical year or admission), then the fund pays migrant_fund_rate until the limit of the person's contribution months; the person pays the rest",
                )
                .zh("先由本人支付上年度社平工资的5%，其余部分由统筹基金支付85%（至按连续缴费时间确定的限额），个人自付其余")
                .input("medical_year", medical_year)
                .input("running_total_before", before)
                .input("fund_paid_before", paid_before)
                .input("deductible", deductible)
                .input("contribution_months", months)
                .input("limit", limit)
                .input("eligible_cost", entry.cost)
                .result(format!("fund {}; person {}", split.fund, split.person)),
            ));
        }
        Ok(SettledClaim { medical_year, fund: split.fund, person_pays: split.person, ..SettledClaim::default() })
    }

    /// Books a settled claim: its result, its person-year, its medical year
    /// and the insurer's payments.
    fn record(&mut self, index: u32, claim: SettledClaim) {
        // Results are written to their input-order slots in bursts: scattered
        // stores overlap one another instead of stalling each claim.
        self.window.push((index, claim));
        if self.window.len() == WINDOW {
            self.flush();
        }
    }

    /// Books a person-year: kept, and added to its medical year's totals and
    /// to the insurer's payments of that year.
    fn close(&mut self, done: PersonYear<P>) -> Result<()> {
        let year = done.medical_year;
        let at = match self.totals.binary_search_by_key(&year, |(y, _)| *y) {
            Ok(at) => at,
            Err(at) => {
                self.totals.insert(at, (year, SettlementTotals::default()));
                at
            }
        };
        self.totals.get_mut(at).expect("invariant: found or inserted").1.merge(&done.totals)?;
        self.paid.add(year, done.totals.insurer.fen())?;
        self.person_years.push(done);
        Ok(())
    }
}

/// X6 on `base` (this claim's out-of-pocket left), the running total of the year's.
///
/// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
#[allow(clippy::too_many_arguments)]
fn hardship_subsidy(
    ys: &YearSchedules,
    kind: Hardship,
    running: &mut Running,
    base: Money,
    wage: Money,
    tracing: bool,
    (fast, cost_sum): (bool, u64),
    steps: &mut Vec<Step>,
    entry: &crate::supplementary::Entry,
) -> Result<Money> {
    let k = usize::from(kind == Hardship::LowPension);
    let before = running.hardship.before();
    let schedule = ys.hardship.get(k).expect("invariant: two hardship schedules");
    let fast = fast && schedule.column().is_some_and(|c| c.limit() >= cost_sum);
    let part = running.hardship.apply(schedule, base, fast)?;
    if tracing {
        steps.push(
            Step::new(
                format!("/supplementary/claims/{}/hardship", entry.index),
                HARDSHIP_RULE,
                "hardship_lower_rate × the year's out-of-pocket between the lower and upper shares of W, hardship_upper_rate above the upper, until hardship_cap in the medical year",
            )
            .zh("医保年度内个人自付费用：高于社平工资下限比例且低于上限比例的部分补助50%，达到上限比例以上的部分补助70%，年度最高补助限额")
            .input("category", if k == 1 { "low-pension" } else { "subsistence-allowance" })
            .input("W", wage)
            .input("out_of_pocket_before", before)
            .input("out_of_pocket", base)
            .result(part),
        );
    }
    Ok(part)
}

/// Merges the yearly totals of settlements run apart (e.g. on partitions of
/// persons), in year order.
pub fn merge_settlement_years(parts: &[Vec<(i32, SettlementTotals)>]) -> Result<Vec<(i32, SettlementTotals)>> {
    let mut merged: Vec<(i32, SettlementTotals)> = Vec::new();
    for (year, t) in parts.iter().flatten() {
        match merged.binary_search_by_key(year, |(y, _)| *y) {
            Ok(at) => merged.get_mut(at).expect("invariant: found").1.merge(t)?,
            Err(at) => merged.insert(at, (*year, *t)),
        }
    }
    Ok(merged)
}
