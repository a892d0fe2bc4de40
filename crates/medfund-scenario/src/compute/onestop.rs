//! §5.2: the claims of a `[supplementary]` settled in one stop — fund,
//! insurer, civil-servant and hardship subsidies, migrant workers' scheme —
//! through `medfund_insurer::settle_one_stop`.

use medfund_core::{PolicyVersion, Step, Trace};
use medfund_insurer::{Claim, ClaimSplit, InsurerError, Person, SupplementaryPolicy};

use super::supplementary::split_error;
use super::*;
use crate::error::{ScenarioError, ScenarioResult};
use crate::report::*;
use crate::scenario::{PersonRow, Source, SupplementarySection};

/// §5.2: the one-stop settlement of `claims` under `version` (already
/// resolved) and the section's subsidies and persons.
pub(super) fn compute(
    s: &SupplementarySection,
    source: &Source,
    version: &PolicyVersion<SupplementaryPolicy>,
    claims: Vec<Claim<String>>,
    ids: Vec<Option<String>>,
    trace: &mut Trace,
) -> ScenarioResult<SupplementaryReport> {
    medfund_insurer::check_in_force(version, &claims).map_err(|e| split_error(s, e))?;
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
    let result = medfund_insurer::settle_one_stop(
        version.params(),
        subsidies.params(),
        s.insured_persons.0,
        &persons,
        &claims,
        trace,
    )
    .map_err(|e| one_stop_error(s, e))?;
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
    let claims = claims
        .into_iter()
        .zip(ids)
        .zip(result.claims)
        .map(|((c, claim_id), r)| ClaimReport {
            claim_id,
            person: c.person,
            date: c.date,
            split: ClaimSplit::new(r.medical_year, r.fund, r.insurer, r.person_pays),
            subsidies: Some(ClaimSubsidies {
                civil_servant: r.civil_servant,
                civil_servant_above_max: r.civil_servant_above_max,
                hardship: r.hardship,
            }),
        })
        .collect();
    Ok(SupplementaryReport {
        policy: version.id().to_owned(),
        claims: Some(claims),
        claims_out: None,
        years: result.insurer_years,
        one_stop: Some(OneStopReport {
            policy: subsidies.id().to_owned(),
            order: subsidies.params().order,
            person_years: result.person_years,
            years: result
                .years
                .into_iter()
                .map(|(medical_year, totals)| SettlementYear { medical_year, totals })
                .collect(),
            civil_servant_levy: levy,
        }),
    })
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
