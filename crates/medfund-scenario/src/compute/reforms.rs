//! §8 dated reforms: the riskpool policy of each projected year, the
//! `[riskpool]` policy amended by the `[[projection.reforms]]` in force.
//!
//! **Reading (named, documented in §8):** reforms accumulate — each amends
//! the policy in force the year before it, as an amendment (修订) of a
//! policy document does; a parameter a reform does not name keeps its value.

use medfund_core::{NaiveDate, PolicyHistory, PolicyVersion, Validity};
use medfund_riskpool::RiskPoolPolicy;

use super::riskpool_policy;
use crate::error::{ScenarioError, ScenarioResult};
use crate::scenario::{ProjectionSection, RiskpoolSection};

/// The policy history a projection runs under: the `[riskpool]` policy
/// until the first reform, then each reform from January 1 of its `from`
/// year (a version in force on December 31 governs that year).
pub(crate) fn projection_history(
    r: &RiskpoolSection,
    p: &ProjectionSection,
) -> ScenarioResult<PolicyHistory<RiskPoolPolicy>> {
    let base = riskpool_policy(r)?;
    // Each reformed version is named after the policy before any reform.
    let base_id = base.id().to_owned();
    let first = r.year.0;
    let last = i64::from(first).saturating_add(i64::from(p.years.0)).saturating_sub(1);
    let mut versions = Vec::new();
    let mut current = base;
    let mut previous: Option<(usize, i32)> = None;
    for (i, reform) in p.reforms.iter().flatten().enumerate() {
        let from = reform.from.0;
        let key = format!("projection.reforms[{i}]");
        match previous {
            None if from <= first => {
                return Err(ScenarioError::input(format!(
                    "{key}.from: {from}; expected a year after the riskpool year {first} (its own year follows [riskpool.policy])"
                )));
            }
            Some((j, before)) if from <= before => {
                return Err(ScenarioError::input(format!(
                    "{key}.from: {from}; expected a year after projection.reforms[{j}].from ({before}): reforms in order, one per year"
                )));
            }
            _ => {}
        }
        if i64::from(from) > last {
            return Err(ScenarioError::input(format!(
                "{key}.from: {from}; expected a projected year ({first}–{last})"
            )));
        }
        let start = NaiveDate::from_ymd_opt(from, 1, 1).expect("invariant: a projected year is within 1900–2999");
        let end = start.pred_opt().expect("invariant: a projected year is within 1900–2999");
        let mut params = current.params().clone();
        reform.policy.apply_as(&mut params, &format!("{key}.policy"))?;
        let until = current.validity().to();
        if until.is_some_and(|to| to < start) {
            return Err(ScenarioError::not_in_force(format!(
                "{key}.from: {from}; the policy {} ends on {}, before the reform; expected a reform while it is in force",
                current.id(),
                until.map(|d| d.to_string()).unwrap_or_default()
            )));
        }
        let reformed = PolicyVersion::new(
            format!("{base_id} (reformed from {from})"),
            format!("{}, reformed from {from}", current.title()),
            current.document(),
            validity(start, until)?,
            params,
        );
        let cut = validity(current.validity().from(), Some(end))?;
        versions.push(current.with_validity(cut));
        current = reformed;
        previous = Some((i, from));
    }
    versions.push(current);
    PolicyHistory::new("riskpool", versions).map_err(|e| ScenarioError::input(format!("projection.reforms: {e}")))
}

fn validity(from: NaiveDate, to: Option<NaiveDate>) -> ScenarioResult<Validity> {
    Validity::new(from, to).map_err(|e| ScenarioError::input(format!("projection.reforms: {e}")))
}
