//! §5: supplementary large-amount insurance of a scenario.

use medfund_core::{PolicyVersion, Step, Trace};
use medfund_insurer::{Claim, ClaimSplit, InsurerError, SupplementaryPolicy, SupplementaryResult, YearSummary};

use super::*;
use crate::csvin;
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
    let claims: Vec<Claim<String>> = match (&s.claims, &s.claims_csv) {
        (Some(_), Some(_)) => {
            return Err(ScenarioError::input(
                "supplementary: both claims and claims_csv are given; expected one or the other",
            ));
        }
        (Some(rows), None) => rows
            .iter()
            .map(|c| Claim { person: c.person.clone(), date: c.date.0, eligible_cost: c.eligible_cost.0 })
            .collect(),
        (None, Some(file)) => csvin::read_claims(source, "supplementary.claims_csv", file)?
            .into_iter()
            .map(|c| Claim { person: c.person, date: c.date.0, eligible_cost: c.eligible_cost })
            .collect(),
        (None, None) => Vec::new(),
    };
    let result = split(s, &version, &claims)?;
    if trace.is_on() {
        trace_supplementary(version.params(), &claims, &result.claims, &result.years, s.insured_persons.0, trace);
    }
    let claims = claims
        .into_iter()
        .zip(result.claims)
        .map(|(c, split)| ClaimReport { person: c.person, date: c.date, split })
        .collect();
    Ok(SupplementaryReport { policy: version.id().to_owned(), claims, years: result.years })
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
    medfund_insurer::split_claims_in_force(version, s.insured_persons.0, claims).map_err(|e| match e {
        InsurerError::InvalidPolicy { .. } => lib_error("supplementary.policy", e),
        InsurerError::ClaimOutsideValidity { index, .. } => ScenarioError::not_in_force(format!(
            "{}.date: {e}",
            item_path("supplementary", "claims", s.claims_csv.as_deref(), index)
        )),
        InsurerError::ClaimOverflow { index, .. } => ScenarioError::input(format!(
            "{}.eligible_cost: {e}",
            item_path("supplementary", "claims", s.claims_csv.as_deref(), index)
        )),
        InsurerError::PremiumOverflow { .. } => lib_error("supplementary.insured_persons", e),
        other => lib_error("supplementary", other),
    })
}

/// The claims of a `[supplementary]` table that has none of its own, given
/// as a slice (columns of an Arrow table, a DataFrame): the same policy
/// resolution, checks and split as a scenario's, without a report.
pub(crate) fn split_given<P: std::hash::Hash + Eq + Clone + Sync>(
    s: &SupplementarySection,
    claims: &[Claim<P>],
) -> ScenarioResult<(String, SupplementaryResult)> {
    if s.claims.is_some() || s.claims_csv.is_some() {
        return Err(ScenarioError::input(
            "supplementary.claims: given in the table and as columns; expected the claims as columns only",
        ));
    }
    let version = policy_version(s)?;
    let result = split(s, &version, claims)?;
    Ok((version.id().to_owned(), result))
}

/// The medical-year summaries of splits made under a `[supplementary]`
/// table (a part of a split run apart, or all of it).
pub(crate) fn summaries_given(s: &SupplementarySection, splits: &[ClaimSplit]) -> ScenarioResult<Vec<YearSummary>> {
    let version = policy_version(s)?;
    medfund_insurer::year_summaries(version.params(), s.insured_persons.0, splits)
        .map_err(|e| lib_error("supplementary.insured_persons", e))
}

fn trace_supplementary(
    policy: &SupplementaryPolicy,
    claims: &[Claim<String>],
    splits: &[ClaimSplit],
    years: &[YearSummary],
    persons: u64,
    trace: &mut Trace,
) {
    use medfund_insurer::supplementary::XIAMEN_RULE;
    for (i, (c, s)) in claims.iter().zip(splits).enumerate() {
        trace.record(|| {
            Step::new(
                format!("/supplementary/claims/{i}"),
                XIAMEN_RULE,
                "by the person's running eligible total in the medical year: the fund pays up to fund_cap; above it the insurer pays insurer_rate (rounded per claim) until insurer_cap; the person pays the rest",
            ).zh("按参保人医保年度内累计合规费用：统筹基金支付至统筹封顶线；超出部分由保险公司按赔付比例支付（逐笔四舍五入）至保险公司封顶线；其余个人自付")
            .input("person", &c.person)
            .input("date", c.date)
            .input("medical_year", s.medical_year)
            .input("eligible_cost", c.eligible_cost)
            .input("fund_cap", policy.fund_cap)
            .input("insurer_rate", policy.insurer_rate)
            .input("insurer_cap", policy.insurer_cap)
            .result(format!("fund {}; insurer {}; person_pays {}", s.fund, s.insurer, s.person_pays))
        });
    }
    for (k, y) in years.iter().enumerate() {
        trace.record(|| {
            Step::new(
                format!("/supplementary/years/{k}/insurer_result"),
                XIAMEN_RULE,
                "premium_per_person × insured_persons − Σ insurer",
            )
            .zh("人均保费 × 参保人数 − 保险公司赔付合计")
            .input("premium_per_person", policy.premium_per_person)
            .input("insured_persons", persons)
            .input("claims_paid", y.claims_paid)
            .result(y.insurer_result)
        });
    }
}
