//! §5.2: the claims of a `[supplementary]` settled in one stop — fund,
//! insurer, civil-servant and hardship subsidies, migrant workers' scheme —
//! through `medfund_insurer::settle_one_stop`.

use medfund_core::{PolicyVersion, Step, Trace};
use medfund_insurer::{Claim, ClaimSplit, InsurerError, Person, PersonYear, SubsidyPolicy, SupplementaryPolicy};

use super::bulk::Given;
use super::supplementary::split_error;
use super::*;
use crate::error::{ScenarioError, ScenarioResult};
use crate::report::*;
use crate::scenario::{ClaimRow, PersonRow, Source, SupplementarySection};

/// §5.2: the one-stop settlement of the section's claims (`given`) under
/// `version` (already resolved) and the section's subsidies and persons:
/// claims in the scenario and no results file, in memory as v1 made it;
/// else through the engine (§5.3).
pub(super) fn compute(
    s: &SupplementarySection,
    source: &Source,
    version: &PolicyVersion<SupplementaryPolicy>,
    given: Option<Given<'_>>,
    trace: &mut Trace,
) -> ScenarioResult<SupplementaryReport> {
    let mut subsidies = crate::presets::Registry::built_in()?.subsidies(None)?;
    if let Some(table) = &s.subsidies {
        table.apply(subsidies.params_mut())?;
    }
    let rows: Vec<PersonRow> = list(source, "supplementary", "persons", s.persons.as_ref(), s.persons_files(), Ok)?;
    let persons: Vec<(String, Person)> = rows
        .into_iter()
        .map(|r| {
            let mut p = Person::new(r.status.unwrap_or_default());
            p.hardship = r.hardship;
            p.monthly_pension = r.monthly_pension.map(|a| a.0);
            p.contribution_months = r.contribution_months.map(|m| m.0);
            (r.id, p)
        })
        .collect();
    let run = &source.claims;
    // The scenario's own claims stay on the v1 path (in memory, inlined)
    // unless results files are asked for or inlining is refused.
    let engine = run.out.is_some() || run.person_years_out.is_some() || run.inline == crate::claims_run::Inline::Never;
    let mut report = match given {
        Some(given @ (Given::Csv(_) | Given::Parquet(_) | Given::Arrow(_))) => {
            at_scale(s, source, version, subsidies.params(), persons, given, trace)?
        }
        Some(given @ Given::Inline(_)) if engine => {
            at_scale(s, source, version, subsidies.params(), persons, given, trace)?
        }
        given => {
            let rows = match given {
                Some(Given::Inline(rows)) => rows,
                _ => &[],
            };
            in_memory(s, version, subsidies.params(), &persons, rows, trace)?
        }
    };
    let one_stop = report.one_stop.as_mut().expect("invariant: both paths report the one-stop settlement");
    one_stop.policy = subsidies.id().to_owned();
    let levy = match &s.civil_servant_levy {
        Some(l) => {
            let levy = medfund_insurer::civil_servant_levy(subsidies.params(), l.wage_base.0)
                .map_err(|e| lib_error("supplementary.civil_servant_levy", e))?;
            trace.record(|| {
                Step::new(
                    "/supplementary/one_stop/civil_servant_levy/yearly",
                    medfund_insurer::onestop::CIVIL_SERVANT_RULE,
                    "levy_rate × the year's contribution wage base, collected in twelve monthly parts that sum to it",
                )
                .zh("按年度缴纳基本医疗保险费工资基数的3.5%按月征缴（十二个月合计等于全年）")
                .input("wage_base", levy.wage_base)
                .input("levy_rate", levy.rate)
                .result(levy.yearly)
            });
            Some(levy)
        }
        None => None,
    };
    one_stop.civil_servant_levy = levy;
    Ok(report)
}

/// The settlement of the scenario's own claims in memory, each claim traced.
fn in_memory(
    s: &SupplementarySection,
    version: &PolicyVersion<SupplementaryPolicy>,
    subsidies: &SubsidyPolicy,
    persons: &[(String, Person)],
    rows: &[ClaimRow],
    trace: &mut Trace,
) -> ScenarioResult<SupplementaryReport> {
    let claims: Vec<Claim<&str>> = rows
        .iter()
        .map(|c| Claim { person: c.person.as_str(), date: c.date.0, eligible_cost: c.eligible_cost.0 })
        .collect();
    medfund_insurer::check_in_force(version, &claims).map_err(|e| split_error(s, e))?;
    let persons: Vec<(&str, Person)> = persons.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    let result =
        medfund_insurer::settle_one_stop(version.params(), subsidies, s.insured_persons.0, &persons, &claims, trace)
            .map_err(|e| one_stop_error(s, e))?;
    let claims = rows
        .iter()
        .zip(result.claims)
        .map(|(c, r)| ClaimReport {
            claim_id: c.claim_id.clone(),
            person: c.person.clone(),
            date: c.date.0,
            split: ClaimSplit::new(r.medical_year, r.fund, r.insurer, r.person_pays),
            subsidies: Some(ClaimSubsidies {
                civil_servant: r.civil_servant,
                civil_servant_above_max: r.civil_servant_above_max,
                hardship: r.hardship,
            }),
        })
        .collect();
    let person_years = result
        .person_years
        .into_iter()
        .map(|py| PersonYear::new(py.person.to_owned(), py.status, py.hardship_category, py.medical_year, py.totals))
        .collect();
    Ok(report_of(version, subsidies, Some(claims), None, result.insurer_years, result.years, Some(person_years), None))
}

/// The settlement of claims from a file, or to results files, through the
/// engine within the memory budget (§5.3).
fn at_scale(
    s: &SupplementarySection,
    source: &Source,
    version: &PolicyVersion<SupplementaryPolicy>,
    subsidies: &SubsidyPolicy,
    persons: Vec<(String, Person)>,
    given: Given<'_>,
    trace: &mut Trace,
) -> ScenarioResult<SupplementaryReport> {
    let table = medfund_columnar::Persons::new(persons).map_err(|e| one_stop_error(s, e))?;
    let map_error = |e: InsurerError, rows: &[u64]| match e {
        InsurerError::ClaimOverflow { index, operation } => {
            let row = *rows.get(index).expect("invariant: the kernel names one of the claims it was given");
            let index = usize::try_from(row).unwrap_or(usize::MAX);
            one_stop_error(s, InsurerError::ClaimOverflow { index, operation })
        }
        other => one_stop_error(s, other),
    };
    let done = super::onestop_bulk::settle_file(s, source, version, subsidies, &table, given, &map_error)?;
    let insurer_years =
        done.paid.into_summaries(version.params(), s.insured_persons.0).map_err(|e| split_error(s, e))?;
    if trace.is_on() {
        match &done.claims {
            // The inlined claims again with their steps (the same parts: the
            // traced path is the checked one).
            Some(rows) => {
                let claims: Vec<Claim<&str>> = rows
                    .iter()
                    .map(|c| Claim { person: c.person.as_str(), date: c.date, eligible_cost: cost_of(c) })
                    .collect();
                // The listed persons of these claims (persons do not affect
                // each other's figures, so the others are not needed).
                let mut seen = std::collections::HashSet::new();
                let persons: Vec<(&str, Person)> = claims
                    .iter()
                    .filter(|c| seen.insert(c.person))
                    .filter_map(|c| table.get(c.person).map(|p| (c.person, p)))
                    .collect();
                medfund_insurer::settle_one_stop(
                    version.params(),
                    subsidies,
                    s.insured_persons.0,
                    &persons,
                    &claims,
                    trace,
                )
                .map_err(|e| one_stop_error(s, e))?;
            }
            None => medfund_insurer::record_year_steps(version.params(), s.insured_persons.0, &insurer_years, trace),
        }
    }
    Ok(report_of(
        version,
        subsidies,
        done.claims,
        done.claims_out,
        insurer_years,
        done.years,
        done.person_years,
        done.person_years_out,
    ))
}

/// A claim's cost from its parts (they sum to it exactly).
fn cost_of(c: &ClaimReport) -> medfund_core::Money {
    let sub = c.subsidies.as_ref().expect("invariant: a one-stop claim has its subsidies");
    [c.split.fund, c.split.insurer, c.split.person_pays, sub.civil_servant, sub.civil_servant_above_max, sub.hardship]
        .into_iter()
        .try_fold(medfund_core::Money::ZERO, |a, b| a.checked_add(b))
        .expect("invariant: the parts of a claim sum to its cost, a Money")
}

#[allow(clippy::too_many_arguments)]
fn report_of(
    version: &PolicyVersion<SupplementaryPolicy>,
    subsidies: &SubsidyPolicy,
    claims: Option<Vec<ClaimReport>>,
    claims_out: Option<ClaimsOut>,
    insurer_years: Vec<medfund_insurer::YearSummary>,
    years: Vec<(i32, medfund_insurer::SettlementTotals)>,
    person_years: Option<Vec<PersonYear<String>>>,
    person_years_out: Option<ClaimsOut>,
) -> SupplementaryReport {
    SupplementaryReport {
        policy: version.id().to_owned(),
        claims,
        claims_out,
        years: insurer_years,
        one_stop: Some(OneStopReport {
            // The preset's id is set by the caller.
            policy: String::new(),
            order: subsidies.order,
            person_years,
            person_years_out,
            years: years.into_iter().map(|(medical_year, totals)| SettlementYear { medical_year, totals }).collect(),
            civil_servant_levy: None,
        }),
    }
}

/// An error of the one-stop settlement, naming the person, the parameter or the claim.
fn one_stop_error(s: &SupplementarySection, e: InsurerError) -> ScenarioError {
    match &e {
        InsurerError::InvalidPerson { index, field, .. } => ScenarioError::input(format!(
            "{}.{field}: {e}",
            item_path("supplementary", "persons", s.persons_files().given(), *index)
        )),
        InsurerError::MissingParameter { field, .. } | InsurerError::InvalidPolicy { field, .. } => {
            ScenarioError::input(format!("supplementary.subsidies.{field}: {e}"))
        }
        _ => split_error(s, e),
    }
}
