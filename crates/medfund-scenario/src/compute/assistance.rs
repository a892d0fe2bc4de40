//! §4: insurer-run medical assistance of a scenario.

use std::collections::BTreeMap;

use medfund_core::{PolicyHistory, PolicyVersion, Trace};
use medfund_insurer::{AssistancePolicy, AssistanceSettlement, County, InsurerError};

use super::*;
use crate::error::{ScenarioError, ScenarioResult, codes};
use crate::scenario::{AssistanceSection, CountyCsvRow, CountyRow, Source};

/// Counties from a list file's rows (one per county and year); `key` names
/// the file's key in messages (`assistance.counties_csv`).
fn counties_from_rows(rows: Vec<CountyCsvRow>, key: &str) -> ScenarioResult<Vec<CountyRow>> {
    let mut order: Vec<CountyRow> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, r) in rows.into_iter().enumerate() {
        let at = *index.entry(r.id.clone()).or_insert_with(|| {
            order.push(CountyRow {
                id: r.id.clone(),
                name: r.name.clone(),
                spend: BTreeMap::new(),
                prior_plan_fee: BTreeMap::new(),
                settled_on: BTreeMap::new(),
                fee_settled_on: BTreeMap::new(),
            });
            order.len().saturating_sub(1)
        });
        let Some(county) = order.get_mut(at) else { continue };
        let row = i.saturating_add(1);
        let dup = || {
            ScenarioError::input(format!(
                "{key} row {row}: county {:?} has year {} twice; expected one row per county and year",
                r.id, r.year.0
            ))
            .with_code(codes::DUPLICATE)
        };
        if let Some(v) = r.spend {
            if county.spend.insert(r.year, v).is_some() {
                return Err(dup());
            }
        }
        if let Some(v) = r.prior_plan_fee {
            if county.prior_plan_fee.insert(r.year, v).is_some() {
                return Err(dup());
            }
        }
        if let Some(v) = r.settled_on {
            if county.settled_on.insert(r.year, v).is_some() {
                return Err(dup());
            }
        }
        if let Some(v) = r.fee_settled_on {
            if county.fee_settled_on.insert(r.year, v).is_some() {
                return Err(dup());
            }
        }
    }
    Ok(order)
}

/// §4: the settlement of a `[assistance]` through `medfund_insurer::settle`,
/// with library errors mapped back to the county and field they concern.
pub(super) fn compute(
    s: &AssistanceSection,
    source: &Source,
    trace: &mut Trace,
) -> ScenarioResult<AssistanceSettlement> {
    let preset = crate::presets::Registry::built_in()?.assistance(s.preset.as_deref())?;
    let mut version: PolicyVersion<AssistancePolicy> = preset;
    if let Some(o) = &s.policy {
        o.apply(version.params_mut())?;
        version = override_validity(version, "assistance", o.valid_from, o.valid_to)?;
    }
    let file = s.counties_files().given();
    let key = format!("assistance.counties_{}", file.map_or("csv", |(format, _)| format.name()));
    let rows: Vec<CountyRow> =
        list(source, "assistance", "counties", s.counties.as_ref(), s.counties_files(), |rows| {
            counties_from_rows(rows, &key)
        })?;
    let counties: Vec<County> = rows
        .iter()
        .map(|c| County {
            id: c.id.clone(),
            name: c.name.clone(),
            spend: c.spend.iter().map(|(y, a)| (y.0, a.0)).collect(),
            prior_plan_fee: c.prior_plan_fee.iter().map(|(y, a)| (y.0, a.0)).collect(),
            settled_on: c.settled_on.iter().map(|(y, d)| (y.0, d.0)).collect(),
            fee_settled_on: c.fee_settled_on.iter().map(|(y, d)| (y.0, d.0)).collect(),
        })
        .collect();
    let history = PolicyHistory::new("assistance", vec![version]).map_err(|e| lib_error("assistance", e))?;
    let position = |id: &str| counties.iter().position(|c| c.id == id).unwrap_or(0);
    medfund_insurer::settle(&history, &counties, trace).map_err(|e| match &e {
        InsurerError::DuplicateCounty { id } => {
            let second = counties.iter().enumerate().filter(|(_, c)| &c.id == id).nth(1).map_or(0, |(i, _)| i);
            ScenarioError::input(format!("{}.id: {e}", item_path("assistance", "counties", file, second)))
                .with_code(codes::DUPLICATE)
        }
        InsurerError::SettlementBeforeYearEnd { county, field, year, .. } => ScenarioError::input(format!(
            "{}.{field}.{year}: {e}",
            item_path("assistance", "counties", file, position(county))
        )),
        InsurerError::YearOutsideValidity { county, year, .. } => ScenarioError::not_in_force(format!(
            "{}.spend.{year}: {e}",
            item_path("assistance", "counties", file, position(county))
        )),
        InsurerError::UnusedYear { county, field, year, .. } => ScenarioError::input(format!(
            "{}.{field}.{year}: {e}",
            item_path("assistance", "counties", file, position(county))
        ))
        .with_code(codes::UNUSED),
        _ => lib_error("assistance", &e),
    })
}
