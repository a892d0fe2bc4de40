//! §5.2 at scale (§5.3): the one-stop settlement of claims from a file
//! through the engine (`medfund_columnar::settle`): partitioned by person
//! within the memory budget, per-claim results (with the subsidies) to
//! `--claims-out`, person-years to `--person-years-out`, the report's rows
//! only when inlined; the yearly totals summed as the claims stream past.

use medfund_columnar::{
    OneStopSplit, PersonBytes, PersonYearTotals, PersonYearsFile, Persons, Row, SplitsFile, settle,
    settle_one_stop_part,
};
use medfund_core::PolicyVersion;
use medfund_insurer::{
    Claim, ClaimSplit, InsurerError, PersonYear, SettlementTotals, SubsidyPolicy, SupplementaryPolicy, YearTotals,
};
use std::collections::HashMap;

use super::bulk::{self, Given, columnar_error, id_text};
use crate::error::{ScenarioError, ScenarioResult};
use crate::report::{ClaimReport, ClaimSubsidies, ClaimsOut};
use crate::scenario::{Source, SupplementarySection};

/// What the one-stop settlement of a file's claims gives the report.
pub(super) struct Settled {
    /// The claims, when inlined.
    pub(super) claims: Option<Vec<ClaimReport>>,
    pub(super) claims_out: Option<ClaimsOut>,
    /// The person-years (persons in order of first claim, years in order), when inlined.
    pub(super) person_years: Option<Vec<PersonYear<String>>>,
    pub(super) person_years_out: Option<ClaimsOut>,
    /// Per medical year, every claim.
    pub(super) years: Vec<(i32, SettlementTotals)>,
    /// The insurer's payments per medical year.
    pub(super) paid: YearTotals,
}

/// The rules of §5.2 for the engine: validity per row, the one-stop
/// settlement per partition.
struct Rules<'a> {
    check: bulk::Rules<'a>,
    subsidies: &'a SubsidyPolicy,
    persons: &'a Persons,
    map_error: &'a (dyn Fn(InsurerError, &[u64]) -> ScenarioError + Sync),
}

impl medfund_columnar::Rules<ScenarioError, OneStopSplit> for Rules<'_> {
    fn check(&self, row: u64, claim: &Row<'_>) -> ScenarioResult<()> {
        medfund_columnar::Rules::<ScenarioError>::check(&self.check, row, claim)
    }

    fn split(&self, claims: &[Claim<PersonBytes<'_>>], rows: &[u64]) -> ScenarioResult<Vec<OneStopSplit>> {
        settle_one_stop_part(
            self.check.version.params(),
            self.subsidies,
            self.check.insured_persons,
            self.persons,
            claims,
        )
        .map_err(|e| (self.map_error)(e, rows))
    }
}

/// Where settled claims go: the files, the inlined rows, the years.
struct Sink {
    claims_file: Option<SplitsFile>,
    years_file: Option<PersonYearsFile>,
    /// Inlined claims and person-years (with the row of their person's
    /// first claim, to put them in the report's order), until the limit.
    inline: Option<Inline>,
    inline_limit: u64,
    years: Vec<(i32, SettlementTotals)>,
    paid: YearTotals,
    rows: u64,
    person_years: u64,
    text: String,
}

#[derive(Default)]
struct Inline {
    claims: Vec<ClaimReport>,
    /// (first row of the person, person-year).
    person_years: Vec<(u64, PersonYear<String>)>,
    first_row: HashMap<String, u64>,
}

impl medfund_columnar::Sink<ScenarioError, OneStopSplit> for Sink {
    fn row(&mut self, row: u64, claim: &Row<'_>, split: &OneStopSplit) -> ScenarioResult<()> {
        let overflow = |e: InsurerError| {
            ScenarioError::input(format!(
                "supplementary.claims: the totals of medical year {}: {e}",
                split.claim.medical_year
            ))
        };
        self.rows = self.rows.checked_add(1).expect("invariant: fewer than 2^64 claims");
        let c = &split.claim;
        let at = match self.years.binary_search_by_key(&c.medical_year, |(y, _)| *y) {
            Ok(at) => at,
            Err(at) => {
                self.years.insert(at, (c.medical_year, SettlementTotals::default()));
                at
            }
        };
        let (_, totals) = self.years.get_mut(at).expect("invariant: found or inserted above");
        totals.add(claim.cost, c).map_err(overflow)?;
        self.paid.add(c.medical_year, c.insurer).map_err(overflow)?;
        if let Some(file) = &mut self.claims_file {
            file.push_settled(claim.claim_id, c).map_err(|e| columnar_error("--claims-out", "", e))?;
        }
        if self.rows > self.inline_limit {
            self.inline = None;
        }
        if split.person_year.is_none() && self.inline.is_none() {
            return Ok(());
        }
        // The person as text, for a person-year's row or an inlined claim.
        self.text.clear();
        std::fmt::Write::write_fmt(&mut self.text, format_args!("{}", claim.person))
            .expect("invariant: writing to a String cannot fail");
        if let Some(py) = &split.person_year {
            self.person_years = self.person_years.checked_add(1).expect("invariant: fewer than 2^64 person-years");
            if let Some(file) = &mut self.years_file {
                file.push(&self.text, c.medical_year, py).map_err(|e| columnar_error("--person-years-out", "", e))?;
            }
        }
        if let Some(inline) = &mut self.inline {
            let first = *inline.first_row.entry(self.text.clone()).or_insert(row);
            if let Some(py) = &split.person_year {
                inline.person_years.push((first, person_year(&self.text, c.medical_year, py)));
            }
            inline.claims.push(ClaimReport {
                claim_id: claim.claim_id.map(id_text),
                person: self.text.clone(),
                date: claim.date,
                split: ClaimSplit::new(c.medical_year, c.fund, c.insurer, c.person_pays),
                subsidies: Some(ClaimSubsidies {
                    civil_servant: c.civil_servant,
                    civil_servant_above_max: c.civil_servant_above_max,
                    hardship: c.hardship,
                }),
            });
        }
        Ok(())
    }
}

fn person_year(person: &str, medical_year: i32, py: &PersonYearTotals) -> PersonYear<String> {
    PersonYear::new(person.to_owned(), py.status, py.hardship_category, medical_year, py.totals)
}

/// Settles the claims of `given` in one stop under `version`, `subsidies`
/// and `persons`; `map_error` names a claim or person of an error.
pub(super) fn settle_file(
    s: &SupplementarySection,
    source: &Source,
    version: &PolicyVersion<SupplementaryPolicy>,
    subsidies: &SubsidyPolicy,
    persons: &Persons,
    given: Given<'_>,
    map_error: &(dyn Fn(InsurerError, &[u64]) -> ScenarioError + Sync),
) -> ScenarioResult<Settled> {
    let run = &source.claims;
    let (shown, mut input) = bulk::open(source, given)?;
    let claims_file = match &run.out {
        Some(out) => Some(
            SplitsFile::create_one_stop(
                out,
                bulk::out_format("--claims-out", out)?,
                input.claim_id_type().as_ref(),
                run.unit,
            )
            .map_err(|e| columnar_error("--claims-out", "", e))?,
        ),
        None => None,
    };
    let years_file = match &run.person_years_out {
        Some(out) => Some(
            PersonYearsFile::create(out, bulk::out_format("--person-years-out", out)?, run.unit)
                .map_err(|e| columnar_error("--person-years-out", "", e))?,
        ),
        None => None,
    };
    let inline_limit = bulk::inline_limit(run.inline, claims_file.is_some() || years_file.is_some());
    let mut sink = Sink {
        claims_file,
        years_file,
        inline: Some(Inline::default()),
        inline_limit,
        years: Vec::new(),
        paid: YearTotals::default(),
        rows: 0,
        person_years: 0,
        text: String::new(),
    };
    let rules = Rules {
        check: bulk::Rules::new(version, s.insured_persons.0, given.key(), given.file()),
        subsidies,
        persons,
        map_error,
    };
    settle(input.as_mut(), &rules, &mut sink, &bulk::options(s, run))
        .map_err(|e| if shown.is_empty() { e } else { e.at(&shown) })?;
    let Sink { claims_file, years_file, inline, years, paid, rows, person_years, .. } = sink;
    let inlined = inline.is_some();
    let claims_out = match (claims_file, &run.out) {
        (Some(f), Some(out)) => {
            f.commit().map_err(|e| columnar_error("--claims-out", "", e))?;
            Some(bulk::file_out(rows, inlined, out))
        }
        _ if !inlined => Some(ClaimsOut { rows, inlined, file: None, format: None }),
        _ => None,
    };
    let person_years_out = match (years_file, &run.person_years_out) {
        (Some(f), Some(out)) => {
            f.commit().map_err(|e| columnar_error("--person-years-out", "", e))?;
            Some(bulk::file_out(person_years, inlined, out))
        }
        _ if !inlined => Some(ClaimsOut { rows: person_years, inlined, file: None, format: None }),
        _ => None,
    };
    let (claims, person_years) = match inline {
        Some(mut i) => {
            // The report's order: persons by their first claim, each person's years in order.
            i.person_years.sort_by_key(|(first, py)| (*first, py.medical_year));
            (Some(i.claims), Some(i.person_years.into_iter().map(|(_, py)| py).collect()))
        }
        None => (None, None),
    };
    Ok(Settled { claims, claims_out, person_years, person_years_out, years, paid })
}
