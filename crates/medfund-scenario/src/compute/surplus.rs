//! §6: the retained-surplus allocation of a scenario.

use medfund_core::Trace;
use medfund_surplus::{Institution, Spending, SurplusError, SurplusPolicy};

use super::*;
use crate::error::{ScenarioError, ScenarioResult, codes};
use crate::report::*;
use crate::scenario::{InstitutionRow, Source, SpendingRow, SurplusSection};

/// §6: the allocation of a `[surplus]` through `medfund_surplus::allocate`,
/// with errors mapped to institution and spending rows.
pub(super) fn compute(s: &SurplusSection, source: &Source, trace: &mut Trace) -> ScenarioResult<SurplusReport> {
    let preset = crate::presets::Registry::built_in()?.surplus(s.preset.as_deref())?;
    let mut policy: SurplusPolicy = preset.params().clone();
    if let Some(o) = &s.policy {
        o.apply(&mut policy)?;
    }
    let rows: Vec<InstitutionRow> =
        list(source, "surplus", "institutions", s.institutions.as_ref(), s.institutions_files(), Ok)?;
    let spending_rows: Vec<SpendingRow> =
        list(source, "surplus", "spending", s.spending.as_ref(), s.spending_files(), Ok)?;
    let institutions: Vec<Institution> = rows
        .iter()
        .map(|r| Institution {
            id: r.id.clone(),
            name: r.name.clone(),
            level: r.level,
            chronic_care_score: r.chronic_care_score.0,
            workload: r.workload.0,
        })
        .collect();
    let spending: Vec<Spending> = spending_rows
        .iter()
        .map(|r| Spending { institution: r.institution.clone(), category: r.category.clone(), amount: r.amount.0 })
        .collect();
    let file_i = s.institutions_files().given();
    let file_s = s.spending_files().given();
    let allocation =
        medfund_surplus::allocate(&policy, s.total.0, &institutions, &spending, trace).map_err(|e| match &e {
            SurplusError::DuplicateInstitution { id } => {
                let second = institutions.iter().enumerate().filter(|(_, i)| &i.id == id).nth(1).map_or(0, |(i, _)| i);
                ScenarioError::input(format!("{}.id: {e}", item_path("surplus", "institutions", file_i, second)))
                    .with_code(codes::DUPLICATE)
            }
            SurplusError::UnknownInstitution { line, .. } => {
                ScenarioError::input(format!("{}.institution: {e}", item_path("surplus", "spending", file_s, *line)))
            }
            SurplusError::UnknownCategory { line, .. } => {
                ScenarioError::input(format!("{}.category: {e}", item_path("surplus", "spending", file_s, *line)))
            }
            SurplusError::OverCommitted { .. } => ScenarioError::input(format!("surplus.policy: {e}")),
            SurplusError::OutOfRange { subject, field, .. } if subject == "policy" => {
                ScenarioError::input(format!("surplus.policy.{field}: {e}"))
            }
            _ => lib_error("surplus", &e),
        })?;
    Ok(SurplusReport {
        policy: preset.id().to_owned(),
        allocation,
        names: rows.iter().map(|r| r.name.clone()).collect(),
    })
}
