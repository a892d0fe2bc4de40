//! §3: the risk-sharing fund of a scenario.

use std::collections::BTreeMap;

use medfund_core::{PolicyVersion, Trace};
use medfund_riskpool::{RiskPoolError, RiskPoolPolicy, Scheme, SchemeInput, Unit};

use super::*;
use crate::error::{ScenarioError, ScenarioResult, codes};
use crate::report::*;
use crate::scenario::{RiskpoolSection, Source, UnitRow};

/// The preset of a `[riskpool]` with its `[riskpool.policy]` overrides.
pub(crate) fn riskpool_policy(s: &RiskpoolSection) -> ScenarioResult<PolicyVersion<RiskPoolPolicy>> {
    let mut version = crate::presets::Registry::built_in()?.riskpool(s.preset.as_deref())?;
    if let Some(o) = &s.policy {
        o.apply(version.params_mut())?;
    }
    Ok(version)
}

/// The units of a `[riskpool]`, inline or from CSV.
pub(crate) fn riskpool_rows(s: &RiskpoolSection, source: &Source) -> ScenarioResult<Vec<UnitRow>> {
    list(source, "riskpool", "units", s.units.as_ref(), s.units_csv.as_ref(), Ok)
}

/// §3: the fund year of a `[riskpool]` through `medfund_riskpool::compute_year`,
/// its units checked for unique ids per scheme.
pub(super) fn compute(s: &RiskpoolSection, rows: &[UnitRow], trace: &mut Trace) -> ScenarioResult<RiskpoolReport> {
    let version = riskpool_policy(s)?;
    let csv = s.units_csv.as_deref();
    let history = medfund_riskpool::history_of(version.clone()).map_err(|e| lib_error("riskpool", e))?;
    if let Err(e) = history.for_year(s.year.0) {
        return Err(ScenarioError::not_in_force(format!(
            "riskpool.year: policy {} ({}) is not in force for fund year {}: {e}; expected a year within its validity",
            version.id(),
            version.document(),
            s.year.0
        )));
    }
    let mut inputs = Vec::new();
    for scheme in Scheme::ALL {
        let table = s.table(scheme);
        let members: Vec<(usize, &UnitRow)> = rows.iter().enumerate().filter(|(_, u)| u.scheme == scheme).collect();
        if table.is_none() && members.is_empty() {
            continue;
        }
        let mut seen = BTreeMap::new();
        for &(i, u) in &members {
            if let Some(first) = seen.insert(u.id.as_str(), i) {
                return Err(ScenarioError::input(format!(
                    "{}.id: duplicate unit id {:?} in the {scheme} scheme (first at {}); expected unique unit ids per scheme",
                    item_path("riskpool", "units", csv, i),
                    u.id,
                    item_path("riskpool", "units", csv, first)
                ))
                .with_code(codes::DUPLICATE));
            }
        }
        inputs.push(SchemeInput {
            scheme,
            opening_balance: table.and_then(|t| t.opening_balance).map(|a| a.0).unwrap_or_default(),
            units: members
                .iter()
                .map(|(_, u)| Unit {
                    id: u.id.clone(),
                    name: u.name.clone(),
                    revenue: u.revenue.0,
                    expenditure: u.expenditure.0,
                    rolling_surplus: u.rolling_surplus.map(|a| a.0).unwrap_or_default(),
                    league_fiscal_share: u.league_fiscal_share,
                })
                .collect(),
        });
    }
    let year = medfund_riskpool::compute_year(&history, s.year.0, &inputs, trace)
        .map_err(|e: RiskPoolError| lib_error("riskpool", e))?;
    let mut schemes = SchemesReport::default();
    for (result, input) in year.schemes.into_iter().zip(&inputs) {
        let report = SchemeReport {
            totals: result.totals,
            units: input
                .units
                .iter()
                .zip(result.outcomes)
                .map(|(u, outcome)| UnitReport { id: u.id.clone(), name: u.name.clone(), outcome })
                .collect(),
        };
        match result.scheme {
            Scheme::Employee => schemes.employee = Some(report),
            Scheme::Resident => schemes.resident = Some(report),
        }
    }
    Ok(RiskpoolReport { year: s.year.0, policy: version.id().to_owned(), schemes })
}
