//! The one-stop settlement itself: each person's claims in date order
//! through the chain of [`BandedSchedule`]s, running totals per person and
//! medical year (July 1 reset).

mod rules;

use std::hash::Hash;

use medfund_core::{Money, Splitter, Step, Trace};
use rustc_hash::FxHashMap;

use crate::banded::{BandedSchedule, RunningTotals};
use crate::column::ColumnSchedule;
use crate::error::{InsurerError, Result};
use crate::onestop::{Person, Status, SubsidyPolicy, YearSchedules};
use crate::settled::{OneStopResult, PersonYear, SettledClaim, SettlementTotals};
use crate::supplementary::{Claim, SupplementaryPolicy, YearTotals, day_key, group_by_person_keyed, premiums};

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
/// claim: with the default [`SubsidyOrder::CivilServantFirst`](crate::SubsidyOrder::CivilServantFirst), splitting a
/// person's year claim by claim differs from splitting its total in one go
/// by at most 5 fen per claim in any part (a rounding in each of the
/// insurer's share, the excess and each subsidy, carried down the chain;
/// property-tested). With [`SubsidyOrder::HardshipFirst`](crate::SubsidyOrder::HardshipFirst) the hardship part
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
        let invalid = |field, problem: String, expected| InsurerError::InvalidPerson {
            index,
            id: id.to_string(),
            field,
            problem,
            expected,
        };
        if known.insert(id.clone(), (index, *person)).is_some() {
            return Err(invalid("id", "appears twice".into(), "each person once"));
        }
        // Every listed person, with claims or not: an entry that contradicts itself is refused.
        if let Some((field, problem, expected)) = rules::contradiction(person, subsidies)? {
            return Err(invalid(field, problem, expected));
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
        self.paid.add(year, done.totals.insurer)?;
        self.person_years.push(done);
        Ok(())
    }
}
