//! The one-stop settlement (厦门 X2–X9: fund, insurer, civil-servant and
//! hardship subsidies, migrant workers) of a partition of claims, for the
//! engine: each claim's parts, and the totals of its person's medical year
//! carried by the first claim of that person-year in input order, so that
//! the person-years reach a sink in an order no partitioning changes.

use medfund_core::{Money, Trace};
use medfund_insurer::{
    Claim, Hardship, InsurerError, Person, SettledClaim, SettlementTotals, Status, SubsidyPolicy, SupplementaryPolicy,
};
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use crate::engine::Settlement;
use crate::key::PersonBytes;
use crate::spill::take_array;

/// A claim settled in one stop, and — when it is the first claim in input
/// order of its person's medical year — that person-year's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OneStopSplit {
    /// The claim's parts.
    pub claim: SettledClaim,
    /// The person-year this claim opens (in input order), if it does.
    pub person_year: Option<PersonYearTotals>,
}

/// A person's medical year (its year is its first claim's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PersonYearTotals {
    /// The status applied.
    pub status: Status,
    /// The hardship category applied.
    pub hardship_category: Option<Hardship>,
    /// The year's totals.
    pub totals: SettlementTotals,
}

/// Statuses and hardship categories as one byte each (a spilled
/// partition's file holds them).
const STATUSES: [Status; 5] =
    [Status::Employee, Status::Retired, Status::CivilServant, Status::RetiredCivilServant, Status::Migrant];
const HARDSHIPS: [Option<Hardship>; 3] = [None, Some(Hardship::SubsistenceAllowance), Some(Hardship::LowPension)];

/// A status as the scenario format writes it.
pub(crate) fn status_name(status: Status) -> &'static str {
    let names = ["employee", "retired", "civil-servant", "retired-civil-servant", "migrant"];
    names.get(usize::from(code_of(&STATUSES, &status))).expect("invariant: a name per status")
}

/// A hardship category as the scenario format writes it.
pub(crate) fn hardship_name(hardship: Hardship) -> &'static str {
    let names = ["", "subsistence-allowance", "low-pension"];
    names.get(usize::from(code_of(&HARDSHIPS, &Some(hardship)))).expect("invariant: a name per category")
}

fn code_of<T: PartialEq>(all: &[T], value: &T) -> u8 {
    let at = all.iter().position(|v| v == value).expect("invariant: every variant of this version is listed");
    u8::try_from(at).expect("invariant: a handful of variants")
}

fn of_code<T: Copy>(all: &[T], code: u8) -> T {
    *all.get(usize::from(code)).expect("invariant: a code written by code_of")
}

fn put_money(out: &mut Vec<u8>, parts: &[Money]) {
    for m in parts {
        out.extend_from_slice(&m.fen().to_le_bytes());
    }
}

fn get_money(bytes: &mut &[u8]) -> Money {
    Money::from_fen(i64::from_le_bytes(take_array(bytes)))
}

impl Settlement for OneStopSplit {
    const BLANK: OneStopSplit = OneStopSplit { claim: SettledClaim::ZERO, person_year: None };
    /// Measured ≈ 9.8 at 10⁶ claims of 200,000 persons (in one partition:
    /// 511 MB at the peak against 168 MB for §5's splits): the kernel's
    /// per-claim results and person-years, and these settlements of 136
    /// bytes each.
    const MEMORY_PER_RECORD_BYTE: u64 = 12;

    fn encode(&self, out: &mut Vec<u8>) {
        let c = &self.claim;
        out.extend_from_slice(&c.medical_year.to_le_bytes());
        put_money(out, &[c.fund, c.insurer, c.civil_servant, c.civil_servant_above_max, c.hardship, c.person_pays]);
        match &self.person_year {
            None => out.push(0),
            Some(py) => {
                out.push(1);
                out.push(code_of(&STATUSES, &py.status));
                out.push(code_of(&HARDSHIPS, &py.hardship_category));
                let t = &py.totals;
                out.extend_from_slice(&t.claims.to_le_bytes());
                put_money(
                    out,
                    &[
                        t.eligible_cost,
                        t.fund,
                        t.insurer,
                        t.civil_servant,
                        t.civil_servant_above_max,
                        t.hardship,
                        t.person_pays,
                    ],
                );
            }
        }
    }

    fn decode(bytes: &mut &[u8]) -> OneStopSplit {
        let mut claim = SettledClaim::default();
        claim.medical_year = i32::from_le_bytes(take_array(bytes));
        for part in [
            &mut claim.fund,
            &mut claim.insurer,
            &mut claim.civil_servant,
            &mut claim.civil_servant_above_max,
            &mut claim.hardship,
            &mut claim.person_pays,
        ] {
            *part = get_money(bytes);
        }
        let [flag] = take_array(bytes);
        debug_assert!(flag <= 1, "invariant: a flag written by encode");
        let person_year = (flag == 1).then(|| {
            let [status, hardship] = take_array(bytes);
            let mut totals = SettlementTotals::default();
            totals.claims = u64::from_le_bytes(take_array(bytes));
            for part in [
                &mut totals.eligible_cost,
                &mut totals.fund,
                &mut totals.insurer,
                &mut totals.civil_servant,
                &mut totals.civil_servant_above_max,
                &mut totals.hardship,
                &mut totals.person_pays,
            ] {
                *part = get_money(bytes);
            }
            PersonYearTotals {
                status: of_code(&STATUSES, status),
                hardship_category: of_code(&HARDSHIPS, hardship),
                totals,
            }
        });
        OneStopSplit { claim, person_year }
    }
}

/// The persons of a one-stop settlement by id (text; a claim whose person is
/// an integer is matched by its decimal form, as the report shows it).
#[derive(Debug, Clone, Default)]
pub struct Persons {
    by_id: FxHashMap<String, (usize, Person)>,
}

impl Persons {
    /// The persons `persons` (ids unique), their ids moved into the table
    /// (a province lists millions: a copy of each id would double them).
    ///
    /// # Errors
    /// [`InsurerError::InvalidPerson`] naming the second of two persons with one id.
    pub fn new(persons: Vec<(String, Person)>) -> Result<Persons, InsurerError> {
        let mut by_id = FxHashMap::with_capacity_and_hasher(persons.len(), FxBuildHasher);
        for (index, (id, person)) in persons.into_iter().enumerate() {
            match by_id.entry(id) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    return Err(InsurerError::InvalidPerson {
                        index,
                        id: e.key().clone(),
                        field: "id",
                        problem: "appears twice".into(),
                        expected: "each person once",
                    });
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert((index, person));
                }
            }
        }
        Ok(Persons { by_id })
    }

    /// The person listed as `id`, if any.
    pub fn get(&self, id: &str) -> Option<Person> {
        self.by_id.get(id).map(|&(_, person)| person)
    }

    /// The number of persons listed.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no person is listed.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Settles `claims` — every claim of their persons — in one stop
/// ([`medfund_insurer::settle_one_stop`]): one [`OneStopSplit`] per claim,
/// in the order given, the first claim (in that order) of each person-year
/// carrying the person-year's totals. Errors name persons by their index in
/// the whole list `persons` was made of.
///
/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险
/// Rule: 厦门市基本医疗保险实践（2007） 二、国家公务员医疗补助
/// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
/// Rule: 厦门市基本医疗保险实践（2007） 外来从业人员住院医疗
///
/// # Errors
/// Those of [`medfund_insurer::settle_one_stop`].
pub fn settle_one_stop_part(
    supplementary: &SupplementaryPolicy,
    subsidies: &SubsidyPolicy,
    insured_persons: u64,
    persons: &Persons,
    claims: &[Claim<PersonBytes<'_>>],
) -> Result<Vec<OneStopSplit>, InsurerError> {
    // The listed persons of these claims, each once, and their places in the whole list.
    let mut seen: FxHashSet<PersonBytes<'_>> = FxHashSet::with_capacity_and_hasher(claims.len() / 4, FxBuildHasher);
    let (mut listed, mut index_of) = (Vec::new(), Vec::new());
    let mut text = String::new();
    for c in claims {
        if seen.insert(c.person) {
            text.clear();
            std::fmt::Write::write_fmt(&mut text, format_args!("{}", c.person))
                .expect("invariant: writing to a String cannot fail");
            if let Some(&(index, person)) = persons.by_id.get(text.as_str()) {
                listed.push((c.person, person));
                index_of.push(index);
            }
        }
    }
    drop(seen);
    let result =
        medfund_insurer::settle_one_stop(supplementary, subsidies, insured_persons, &listed, claims, &mut Trace::off())
            .map_err(|e| match e {
                InsurerError::InvalidPerson { index, id, field, problem, expected } => InsurerError::InvalidPerson {
                    index: *index_of.get(index).expect("invariant: the kernel names a person it was given"),
                    id,
                    field,
                    problem,
                    expected,
                },
                other => other,
            })?;
    let mut opening: FxHashMap<(PersonBytes<'_>, i32), PersonYearTotals> =
        FxHashMap::with_capacity_and_hasher(result.person_years.len(), FxBuildHasher);
    for py in &result.person_years {
        let totals = PersonYearTotals { status: py.status, hardship_category: py.hardship_category, totals: py.totals };
        opening.insert((py.person, py.medical_year), totals);
    }
    let out: Vec<OneStopSplit> = claims
        .iter()
        .zip(&result.claims)
        .map(|(c, s)| OneStopSplit { claim: *s, person_year: opening.remove(&(c.person, s.medical_year)) })
        .collect();
    // A person-year left here would be missing from the person-years' totals.
    opening.is_empty().then_some(()).expect("invariant: every person-year has a claim");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settlement_reads_back_as_written_with_or_without_its_person_year() {
        let mut claim = SettledClaim::ZERO;
        claim.medical_year = 2024;
        claim.fund = Money::from_fen(1);
        claim.civil_servant_above_max = Money::from_fen(-2);
        claim.person_pays = Money::from_fen(i64::MAX);
        let mut totals = SettlementTotals::default();
        totals.claims = 3;
        totals.hardship = Money::from_fen(4);
        let with = PersonYearTotals { status: Status::Migrant, hardship_category: Some(Hardship::LowPension), totals };
        for person_year in [None, Some(with)] {
            let split = OneStopSplit { claim, person_year };
            let mut bytes = Vec::new();
            split.encode(&mut bytes);
            bytes.push(0xAB);
            let mut rest = bytes.as_slice();
            assert_eq!(OneStopSplit::decode(&mut rest), split);
            assert_eq!(rest, [0xAB], "decode stops where its encoding ends");
        }
    }

    #[test]
    fn a_person_listed_twice_is_named_by_its_second_place() {
        let p = Person::new(Status::Retired);
        let e = Persons::new(vec![("a".into(), p), ("b".into(), p), ("a".into(), p)]).unwrap_err();
        assert!(matches!(e, InsurerError::InvalidPerson { index: 2, field: "id", .. }), "{e}");
        let table = Persons::new(vec![("a".into(), p)]).unwrap();
        assert_eq!((table.get("a"), table.get("b"), table.len()), (Some(p), None, 1));
    }
}
