//! §10: the revenue side of a scenario through `medfund-contrib`.

use medfund_contrib::{Arrear, ContribError, Employee, Figures, Headcount};
use medfund_core::{Money, Trace};

use super::*;
use crate::error::{ScenarioError, ScenarioResult};
use crate::report::*;
use crate::scenario::{ArrearRow, ContributionsSection, EmployeeRow, FiguresChoice, HeadcountRow, Source};

/// §10: employees' contributions, resident financing and late fees of a
/// `[contributions]`, and what each fund receives.
pub(super) fn compute(
    s: &ContributionsSection,
    source: &Source,
    trace: &mut Trace,
) -> ScenarioResult<ContributionsReport> {
    let employees = employees(s, source, trace)?;
    let residents = s.residents.as_ref().map(|r| residents(r, source, trace)).transpose()?;
    let late_fees = s.late_fees.as_ref().map(|l| late_fees(l, source, trace)).transpose()?;
    if employees.is_none() && residents.is_none() && late_fees.is_none() {
        return Err(ScenarioError::input(
            "contributions: nothing to compute; expected employees (or employees_csv), [contributions.residents] or [contributions.late_fees]",
        ));
    }
    let overflow = |e: medfund_core::CoreError| lib_error("contributions", e);
    let fees = late_fees.as_ref().map_or(Money::ZERO, |l| l.total);
    let (pool, accounts) =
        employees.as_ref().map_or((Money::ZERO, Money::ZERO), |e| (e.totals.to_pool, e.totals.to_account));
    let funds = FundsReport {
        employee_pooling: pool.checked_add(fees).map_err(overflow)?,
        employee_accounts: accounts,
        resident_pooling: residents.as_ref().map_or(Money::ZERO, |r| r.totals.total),
    };
    Ok(ContributionsReport { employees, residents, late_fees, funds })
}

fn employees(s: &ContributionsSection, source: &Source, trace: &mut Trace) -> ScenarioResult<Option<EmployeesReport>> {
    if s.employees.is_none() && s.employees_csv.is_none() {
        return Ok(None);
    }
    let rows: Vec<EmployeeRow> =
        list(source, "contributions", "employees", s.employees.as_ref(), s.employees_csv.as_ref(), Ok)?;
    let (Some(year), Some(w)) = (s.year, s.average_wage) else {
        return Err(ScenarioError::input(
            "contributions: employees are given without year and average_wage; expected the contribution year and last year's city average wage W",
        ));
    };
    let version = crate::presets::Registry::built_in()?.contributions(s.preset.as_deref())?;
    let mut policy = version.params().clone();
    if let Some(o) = &s.policy {
        o.apply(&mut policy)?;
    }
    let figures = match s.figures {
        FiguresChoice::All => Figures::All,
        FiguresChoice::Personal => Figures::Personal,
    };
    let csv = s.employees_csv.as_deref();
    // An absent wage or pension is not read as 0: the floor would then stand
    // in for a wage nobody gave, a plausible and wrong figure.
    for (i, r) in rows.iter().enumerate() {
        let rule = r.base_rule.unwrap_or_default();
        let missing = match rule {
            medfund_contrib::BaseRule::Wage if r.wage.is_none() => {
                Some(("wage", "the wage rule needs last year's wage"))
            }
            medfund_contrib::BaseRule::Retired if r.pension.is_none() && figures == Figures::All => {
                Some(("pension", "a retiree's account credit needs the pension"))
            }
            _ => None,
        };
        if let Some((field, why)) = missing {
            return Err(ScenarioError::input(format!(
                "{}.{field}: missing; expected a value ({why})",
                item_path("contributions", "employees", csv, i)
            )));
        }
    }
    // The rows as the register's columns (what the kernel reads); the
    // traced rule, which names each employee, gets them as employees.
    let rules: Vec<_> = rows.iter().map(|r| r.base_rule.unwrap_or_default()).collect();
    let wages: Vec<_> = rows.iter().map(|r| r.wage.map_or(Money::ZERO, |a| a.0)).collect();
    let births: Vec<_> = rows.iter().map(|r| r.birth_year.0).collect();
    let pensions: Vec<_> = rows.iter().map(|r| r.pension.map_or(Money::ZERO, |a| a.0)).collect();
    let mapped = |e: ContribError| match &e {
        ContribError::MissingParameter { field, .. } | ContribError::InvalidPolicy { field, .. } => {
            ScenarioError::input(format!("contributions.policy.{field}: {e}"))
        }
        ContribError::InvalidInput { index, field, .. } => {
            ScenarioError::input(format!("{}.{field}: {e}", item_path("contributions", "employees", csv, *index)))
        }
        _ => lib_error("contributions", &e),
    };
    let contributions = if trace.is_on() {
        let employees: Vec<Employee> = rows
            .iter()
            .zip(&rules)
            .zip(&wages)
            .zip(&births)
            .zip(&pensions)
            .map(|((((r, &base_rule), &wage), &birth_year), &pension)| Employee {
                id: r.id.clone(),
                base_rule,
                wage,
                birth_year,
                pension,
            })
            .collect();
        medfund_contrib::contribute(&policy, w.0, year.0, &employees, figures, trace).map_err(mapped)?
    } else {
        // The column kernel: the same figures without a trace.
        let register =
            medfund_contrib::Register { base_rules: &rules, wages: &wages, birth_years: &births, pensions: &pensions };
        let columns = medfund_contrib::contribute_register(&policy, w.0, year.0, register, figures).map_err(mapped)?;
        (0..rows.len()).map(|i| columns.row(i).expect("invariant: one row per employee")).collect()
    };
    let totals = medfund_contrib::EmployeeContribution::checked_sum(&contributions).map_err(mapped)?;
    Ok(Some(EmployeesReport {
        year: year.0,
        policy: version.id().to_owned(),
        average_wage: w.0,
        figures: s.figures,
        totals,
        rows: rows
            .into_iter()
            .zip(contributions)
            .map(|(r, contribution)| EmployeeReport { id: r.id, contribution })
            .collect(),
    }))
}

fn residents(
    r: &crate::scenario::ResidentsTable,
    source: &Source,
    trace: &mut Trace,
) -> ScenarioResult<ResidentsReport> {
    let version = crate::presets::Registry::built_in()?.residents(r.preset.as_deref())?;
    let rows: Vec<HeadcountRow> =
        list(source, "contributions.residents", "headcounts", r.headcounts.as_ref(), r.headcounts_csv.as_ref(), Ok)?;
    let heads: Vec<Headcount> =
        rows.iter().map(|h| Headcount { category: h.category.clone(), persons: h.persons.0 }).collect();
    let csv = r.headcounts_csv.as_deref();
    let totals = medfund_contrib::finance_residents(&version, &heads, trace).map_err(|e| match &e {
        ContribError::UnknownCategory { index, .. } => ScenarioError::input(format!(
            "{}.category: {e}",
            item_path("contributions.residents", "headcounts", csv, *index)
        )),
        ContribError::InvalidInput { index, field, .. } => ScenarioError::input(format!(
            "{}.{field}: {e}",
            item_path("contributions.residents", "headcounts", csv, *index)
        )),
        _ => lib_error("contributions.residents", &e),
    })?;
    Ok(ResidentsReport { policy: version.id().to_owned(), totals })
}

fn late_fees(l: &crate::scenario::LateFeesTable, source: &Source, trace: &mut Trace) -> ScenarioResult<LateFeesReport> {
    let history = medfund_contrib::late_fee_history()
        .map_err(|e| ScenarioError::other(format!("the late-fee policy is invalid: {e}")))?;
    let rows: Vec<ArrearRow> =
        list(source, "contributions.late_fees", "arrears", l.arrears.as_ref(), l.arrears_csv.as_ref(), Ok)?;
    let arrears: Vec<Arrear> =
        rows.iter().map(|a| Arrear { amount: a.amount.0, due: a.due.0, paid_on: a.paid_on.map(|d| d.0) }).collect();
    let day_count = l.day_count.unwrap_or_default();
    let csv = l.arrears_csv.as_deref();
    let fees =
        medfund_contrib::late_fees(&history, &arrears, l.as_of.0, day_count, medfund_core::Rounding::default(), trace)
            .map_err(|e| match &e {
                ContribError::InvalidInput { index, field, .. } => ScenarioError::input(format!(
                    "{}.{field}: {e}",
                    item_path("contributions.late_fees", "arrears", csv, *index)
                )),
                ContribError::NotInForce { .. } => ScenarioError::not_in_force(format!("contributions.late_fees: {e}")),
                _ => lib_error("contributions.late_fees", &e),
            })?;
    let total = Money::checked_sum(fees.iter().map(|f| f.fee)).map_err(|e| lib_error("contributions.late_fees", e))?;
    Ok(LateFeesReport { policy: history.family().to_owned(), as_of: l.as_of.0, day_count, fees, total })
}
