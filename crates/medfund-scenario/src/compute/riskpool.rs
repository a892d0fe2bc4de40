//! §3: the risk-sharing fund of a scenario.

use std::collections::BTreeMap;

use medfund_core::{Money, PolicyVersion, Trace};
use medfund_riskpool::{RiskPoolError, RiskPoolPolicy, Scheme, SchemeInput, Unit};

use super::*;
use crate::error::{ScenarioError, ScenarioResult, codes};
use crate::report::*;
use crate::scenario::{ContributionsSection, FiguresChoice, RevenueFrom, RiskpoolSection, Source, UnitRow};

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
    list(source, "riskpool", "units", s.units.as_ref(), s.units_files(), Ok)
}

/// The revenue of each unit row, in row order: its own `revenue`, or with
/// `revenue_from = "contributions"` the pooled revenue `[contributions]`
/// computed for the unit (§10: employee scheme — its employees' pooling
/// part and late fees; resident scheme — its residents' financing).
///
/// Every figure has one source: a unit's own `revenue` beside the link, a
/// contributions row without a unit, a unit nobody pays into or pooled
/// revenue for a unit `[riskpool]` does not have are errors, never a
/// figure silently left out.
pub(crate) fn unit_revenues(
    s: &RiskpoolSection,
    rows: &[UnitRow],
    link: Option<(&ContributionsSection, &ContributionsReport)>,
) -> ScenarioResult<Vec<Money>> {
    let file = s.units_files().given();
    if s.revenue_from == RevenueFrom::Units {
        return rows
            .iter()
            .enumerate()
            .map(|(i, u)| {
                u.revenue.map(|a| a.0).ok_or_else(|| {
                    ScenarioError::input(format!(
                        "{}.revenue: missing; expected the unit's revenue (or riskpool.revenue_from = \"contributions\")",
                        item_path("riskpool", "units", file, i)
                    ))
                })
            })
            .collect();
    }
    let Some((section, report)) = link else {
        return Err(ScenarioError::input(
            "riskpool.revenue_from: \"contributions\" but the scenario has no [contributions]; expected a [contributions] section whose rows name the units",
        ));
    };
    // The year given is the contributions' year, whatever rows there are.
    if let Some(year) = section.year.filter(|y| y.0 != s.year.0) {
        return Err(ScenarioError::input(format!(
            "contributions.year: {} while riskpool.year is {}; expected the contributions of the riskpool's fund year",
            year.0, s.year.0
        )));
    }
    if report.employees.is_some() && section.figures == FiguresChoice::Personal {
        return Err(ScenarioError::input(
            "contributions.figures: \"personal\" gives no pooling-fund figures, which riskpool.revenue_from = \"contributions\" needs; expected figures = \"all\"",
        ));
    }
    if let Some(at) = &report.first_without_unit {
        return Err(ScenarioError::input(format!(
            "{at}.unit: missing; expected the [riskpool] unit it pays into (riskpool.revenue_from = \"contributions\" needs every row's unit)"
        )));
    }
    let mut revenues = Vec::with_capacity(rows.len());
    for (i, u) in rows.iter().enumerate() {
        let path = item_path("riskpool", "units", file, i);
        if u.revenue.is_some() {
            return Err(ScenarioError::input(format!(
                "{path}.revenue: given, but riskpool.revenue_from = \"contributions\" computes it; expected no revenue field"
            )));
        }
        let funds = report.units.iter().find(|f| f.unit == u.id);
        let (named, revenue, kind) = match u.scheme {
            Scheme::Employee => (
                funds.is_some_and(|f| f.employees > 0 || f.arrears > 0),
                funds.map(|f| f.employee_pooling),
                "employees or arrears",
            ),
            Scheme::Resident => {
                (funds.is_some_and(|f| f.resident_rows > 0), funds.map(|f| f.resident_pooling), "resident headcounts")
            }
        };
        let revenue = revenue.filter(|_| named).ok_or_else(|| {
            ScenarioError::input(format!(
                "{path}: no [contributions] row of {kind} names unit {:?}; expected its contributions (or revenue_from = \"units\")",
                u.id
            ))
        })?;
        if revenue.is_negative() {
            return Err(ScenarioError::input(format!(
                "{path}: unit {:?}'s employee pooling revenue is {revenue} (its retirees' account credits exceed what its employers pay the pool); expected a revenue of zero or more",
                u.id
            )));
        }
        revenues.push(revenue);
    }
    // Pooled revenue for a unit the risk fund does not have would be lost.
    for f in &report.units {
        let has = |scheme: Scheme| rows.iter().any(|u| u.id == f.unit && u.scheme == scheme);
        let lost = if (f.employees > 0 || f.arrears > 0) && !has(Scheme::Employee) {
            Some(("employee", f.employee_pooling))
        } else if f.resident_rows > 0 && !has(Scheme::Resident) {
            Some(("resident", f.resident_pooling))
        } else {
            None
        };
        if let Some((scheme, amount)) = lost {
            return Err(ScenarioError::input(format!(
                "contributions: unit {:?} raises {amount} for the {scheme} scheme but is no {scheme}-scheme unit of [riskpool]; expected a [[riskpool.units]] entry for it (its revenue would otherwise be lost)",
                f.unit
            )));
        }
    }
    Ok(revenues)
}

/// §3: the fund year of a `[riskpool]` through `medfund_riskpool::compute_year`,
/// its units (with their `revenues`, row by row) checked for unique ids per scheme.
pub(super) fn compute(
    s: &RiskpoolSection,
    rows: &[UnitRow],
    revenues: &[Money],
    trace: &mut Trace,
) -> ScenarioResult<RiskpoolReport> {
    let version = riskpool_policy(s)?;
    let file = s.units_files().given();
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
                    item_path("riskpool", "units", file, i),
                    u.id,
                    item_path("riskpool", "units", file, first)
                ))
                .with_code(codes::DUPLICATE));
            }
        }
        inputs.push(SchemeInput {
            scheme,
            opening_balance: table.and_then(|t| t.opening_balance).map(|a| a.0).unwrap_or_default(),
            units: members
                .iter()
                .map(|&(i, u)| Unit {
                    id: u.id.clone(),
                    name: u.name.clone(),
                    revenue: *revenues.get(i).expect("invariant: one revenue per unit row"),
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
