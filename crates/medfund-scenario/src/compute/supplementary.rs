//! §5: supplementary large-amount insurance of a scenario.

use medfund_core::{PolicyVersion, Trace};
use medfund_insurer::{Claim, ClaimSplit, InsurerError, SupplementaryPolicy, SupplementaryResult, YearSummary};

use super::bulk;
use super::*;
use crate::error::{ScenarioError, ScenarioResult};
use crate::report::*;
use crate::scenario::{Source, SupplementarySection};

/// §5: the claims of a `[supplementary]` through
/// `medfund_insurer::split_claims_in_force`, with errors mapped to claim rows.
pub(super) fn compute(
    s: &SupplementarySection,
    source: &Source,
    trace: &mut Trace,
) -> ScenarioResult<SupplementaryReport> {
    let version = policy_version(s)?;
    let given = given(s)?;
    if s.one_stop() {
        return super::onestop::compute(s, source, &version, given, trace);
    }
    if source.claims.person_years_out.is_some() {
        return Err(ScenarioError::input(
            "--person-years-out: person-years are the one-stop settlement's (§5.2: persons, subsidies or a levy given); expected it with them only",
        ));
    }
    match given.unwrap_or(bulk::Given::Inline(&[])) {
        // Inline claims and no claims file: the report as v1 made it.
        bulk::Given::Inline(rows) if source.claims.out.is_none() => {
            let claims: Vec<Claim<&str>> = rows
                .iter()
                .map(|c| Claim { person: c.person.as_str(), date: c.date.0, eligible_cost: c.eligible_cost.0 })
                .collect();
            let result = medfund_insurer::split_claims_explained(&version, s.insured_persons.0, &claims, trace)
                .map_err(|e| split_error(s, e))?;
            let claims = rows
                .iter()
                .zip(result.claims)
                .map(|(c, split)| ClaimReport {
                    claim_id: c.claim_id.clone(),
                    person: c.person.clone(),
                    date: c.date.0,
                    split,
                    subsidies: None,
                })
                .collect();
            Ok(SupplementaryReport {
                policy: version.id().to_owned(),
                claims: Some(claims),
                claims_out: None,
                years: result.years,
                one_stop: None,
            })
        }
        given => bulk::compute(s, source, &version, given, trace),
    }
}

/// Where the section's claims come from: at most one of `claims`,
/// `claims_csv`, `claims_parquet`, `claims_arrow`.
fn given(s: &SupplementarySection) -> ScenarioResult<Option<bulk::Given<'_>>> {
    let all = [
        s.claims.as_deref().map(bulk::Given::Inline),
        s.claims_csv.as_deref().map(bulk::Given::Csv),
        s.claims_parquet.as_deref().map(bulk::Given::Parquet),
        s.claims_arrow.as_deref().map(bulk::Given::Arrow),
    ];
    let mut given = all.into_iter().flatten();
    let first = given.next();
    if given.next().is_some() {
        return Err(ScenarioError::input(
            "supplementary: claims are given more than once (claims, claims_csv, claims_parquet, claims_arrow); expected one of them",
        ));
    }
    Ok(first)
}

/// The policy version a `[supplementary]` applies: its preset with its
/// overrides and validity, once `insured_persons` is checked.
fn policy_version(s: &SupplementarySection) -> ScenarioResult<PolicyVersion<SupplementaryPolicy>> {
    let preset = crate::presets::Registry::built_in()?.supplementary(s.preset.as_deref())?;
    if s.insured_persons.0 == 0 && !s.no_insured_persons {
        return Err(ScenarioError::input(
            "supplementary.insured_persons: 0; expected the number of insured persons (at least 1), or no_insured_persons = true to confirm a scheme without any (no premiums)",
        ));
    }
    if s.insured_persons.0 > 0 && s.no_insured_persons {
        return Err(ScenarioError::input(format!(
            "supplementary.no_insured_persons: true, but insured_persons is {}; expected insured_persons = 0 with it",
            s.insured_persons.0
        )));
    }
    let mut version = preset;
    if let Some(o) = &s.policy {
        o.apply(version.params_mut())?;
        version = override_validity(version, "supplementary", o.valid_from, o.valid_to)?;
    }
    Ok(version)
}

/// The split of `claims` under `version`, with errors that name the claim
/// (`supplementary.claims[i]`, or the CSV row).
fn split<P: std::hash::Hash + Eq + Clone + Sync>(
    s: &SupplementarySection,
    version: &PolicyVersion<SupplementaryPolicy>,
    claims: &[Claim<P>],
) -> ScenarioResult<SupplementaryResult> {
    medfund_insurer::split_claims_in_force(version, s.insured_persons.0, claims).map_err(|e| split_error(s, e))
}

/// An error of the split, naming the claim (`supplementary.claims[i]`, or
/// the row of the claims file).
pub(super) fn split_error(s: &SupplementarySection, e: InsurerError) -> ScenarioError {
    let claim = |index: usize| {
        // Claims given as columns (`split_given`) are a slice, named as inline.
        match given(s).expect("invariant: the section's claims passed `given` before any split") {
            Some(g) => key_item(g.key(), g.file(), index as u64),
            None => key_item("supplementary.claims", None, index as u64),
        }
    };
    match e {
        InsurerError::InvalidPolicy { .. } => lib_error("supplementary.policy", e),
        InsurerError::ClaimOutsideValidity { index, .. } => {
            ScenarioError::not_in_force(format!("{}.date: {}", claim(index), e))
        }
        InsurerError::ClaimOverflow { index, .. } => {
            ScenarioError::input(format!("{}.eligible_cost: {}", claim(index), e))
        }
        InsurerError::PremiumOverflow { .. } => lib_error("supplementary.insured_persons", e),
        other => lib_error("supplementary", other),
    }
}

/// The claims of a `[supplementary]` table that has none of its own, given
/// as a slice (columns of an Arrow table, a DataFrame): the same policy
/// resolution, checks and split as a scenario's, without a report.
pub(crate) fn split_given<P: std::hash::Hash + Eq + Clone + Sync>(
    s: &SupplementarySection,
    claims: &[Claim<P>],
) -> ScenarioResult<(String, SupplementaryResult)> {
    if given(s)?.is_some() {
        return Err(ScenarioError::input(
            "supplementary.claims: given in the table and as columns; expected the claims as columns only",
        ));
    }
    refuse_one_stop(s)?;
    let version = policy_version(s)?;
    let result = split(s, &version, claims)?;
    Ok((version.id().to_owned(), result))
}

/// The column split is §5 alone: settings that ask for the one-stop
/// settlement (§5.2) are refused rather than silently split without it.
fn refuse_one_stop(s: &SupplementarySection) -> ScenarioResult<()> {
    if s.one_stop() {
        return Err(ScenarioError::input(
            "supplementary: persons, subsidies or civil_servant_levy are given, but the split of claims as columns covers §5 only (fund and insurer); expected none of them here, or the scenario run (medfund run, medfund.run) for the one-stop settlement",
        ));
    }
    Ok(())
}

/// The medical-year summaries of splits made under a `[supplementary]`
/// table (a part of a split run apart, or all of it).
pub(crate) fn summaries_given(s: &SupplementarySection, splits: &[ClaimSplit]) -> ScenarioResult<Vec<YearSummary>> {
    refuse_one_stop(s)?;
    let version = policy_version(s)?;
    medfund_insurer::year_summaries(version.params(), s.insured_persons.0, splits)
        .map_err(|e| lib_error("supplementary.insured_persons", e))
}
