//! §10: the revenue side of a scenario through `medfund-contrib`.

use medfund_contrib::{Arrear, ContribError, Employee, Figures, Headcount};
use medfund_core::{Money, Trace};

use super::*;
use crate::error::{ScenarioError, ScenarioResult};
use crate::report::*;
use crate::scenario::{
    ArrearRow, ContributionsSection, EmployeeRow, FiguresChoice, HeadcountRow, RetireeAccountsFrom, Source,
};

/// §10: employees' contributions, resident financing and late fees of a
/// `[contributions]`, what each fund receives and, for the rows that name a
/// `[riskpool]` unit, what each unit's funds receive.
pub(super) fn compute(
    s: &ContributionsSection,
    source: &Source,
    trace: &mut Trace,
) -> ScenarioResult<ContributionsReport> {
    let employees = employees(s, source, trace)?;
    let residents = s.residents.as_ref().map(|r| residents(r, s.year, source, trace)).transpose()?;
    let late_fees = s.late_fees.as_ref().map(|l| late_fees(l, source, trace)).transpose()?;
    if employees.is_none() && residents.is_none() && late_fees.is_none() {
        return Err(ScenarioError::input(
            "contributions: nothing to compute; expected employees (or employees_csv, employees_parquet, employees_arrow), [contributions.residents] or [contributions.late_fees]",
        ));
    }
    let overflow = |e: medfund_core::CoreError| lib_error("contributions", e);
    let mut units = UnitLedger::default();
    // The first row naming no unit: the link into [riskpool] needs every row's unit.
    let mut first_without: Option<String> = None;
    let mut funds = FundsReport { retiree_accounts_from: s.retiree_accounts_from, ..FundsReport::default() };
    if let Some((e, keys)) = &employees {
        for (i, (r, (unit, rule))) in e.rows.iter().zip(keys).enumerate() {
            let c = &r.contribution;
            let retired = *rule == medfund_contrib::BaseRule::Retired;
            // 第二十一条 says how much a retiree's account gets, not from
            // which ledger: the named reading decides whether the pool pays it.
            let from_pool = if retired && s.retiree_accounts_from == RetireeAccountsFrom::EmployeePooling {
                c.to_account
            } else {
                Money::ZERO
            };
            let pooling = c.to_pool.checked_sub(from_pool).map_err(overflow)?;
            if retired {
                funds.retiree_account_credits =
                    funds.retiree_account_credits.checked_add(c.to_account).map_err(overflow)?;
            }
            funds.employee_pooling = funds.employee_pooling.checked_add(pooling).map_err(overflow)?;
            funds.employee_accounts = funds.employee_accounts.checked_add(c.to_account).map_err(overflow)?;
            match unit {
                Some(id) => {
                    let u = units.entry(id);
                    u.employees = u.employees.checked_add(1).expect("invariant: a count of rows fits a u64");
                    u.employee_pooling = u.employee_pooling.checked_add(pooling).map_err(overflow)?;
                    u.employee_accounts = u.employee_accounts.checked_add(c.to_account).map_err(overflow)?;
                }
                None => {
                    first_without
                        .get_or_insert_with(|| item_path("contributions", "employees", s.employees_files().given(), i));
                }
            }
        }
    }
    if let Some((l, keys)) = &late_fees {
        funds.employee_pooling = funds.employee_pooling.checked_add(l.total).map_err(overflow)?;
        for (i, (f, unit)) in l.fees.iter().zip(keys).enumerate() {
            match unit {
                Some(id) => {
                    let u = units.entry(id);
                    u.arrears = u.arrears.checked_add(1).expect("invariant: a count of rows fits a u64");
                    u.employee_pooling = u.employee_pooling.checked_add(f.fee).map_err(overflow)?;
                }
                None => {
                    let file = s.late_fees.as_ref().and_then(|l| l.arrears_files().given());
                    first_without.get_or_insert_with(|| item_path("contributions.late_fees", "arrears", file, i));
                }
            }
        }
    }
    if let Some((r, keys)) = &residents {
        funds.resident_pooling = r.totals.total;
        for (i, (k, unit)) in r.totals.categories.iter().zip(keys).enumerate() {
            match unit {
                Some(id) => {
                    let u = units.entry(id);
                    u.residents = u.residents.checked_add(k.persons).ok_or_else(|| {
                        ScenarioError::input(format!("contributions.residents: unit {id:?} has more than 18446744073709551615 persons; expected fewer"))
                    })?;
                    u.resident_pooling = u.resident_pooling.checked_add(k.total).map_err(overflow)?;
                    u.resident_rows = u.resident_rows.checked_add(1).expect("invariant: a count of rows fits a u64");
                }
                None => {
                    let file = s.residents.as_ref().and_then(|r| r.headcounts_files().given());
                    first_without.get_or_insert_with(|| item_path("contributions.residents", "headcounts", file, i));
                }
            }
        }
    }
    Ok(ContributionsReport {
        employees: employees.map(|(e, _)| e),
        residents: residents.map(|(r, _)| r),
        late_fees: late_fees.map(|(l, _)| l),
        funds,
        units: units.rows,
        first_without_unit: first_without,
    })
}

/// The funds of each unit, in the order the units are first named.
#[derive(Default)]
struct UnitLedger {
    rows: Vec<UnitFundsReport>,
    index: std::collections::HashMap<String, usize>,
}

impl UnitLedger {
    fn entry(&mut self, id: &str) -> &mut UnitFundsReport {
        let next = self.rows.len();
        let i = *self.index.entry(id.to_owned()).or_insert(next);
        if i == next {
            self.rows.push(UnitFundsReport::new(id.to_owned()));
        }
        self.rows.get_mut(i).expect("invariant: every indexed unit has a row")
    }
}

/// Each employee's unit and base rule, in row order.
type EmployeeKeys = Vec<(Option<String>, medfund_contrib::BaseRule)>;

fn employees(
    s: &ContributionsSection,
    source: &Source,
    trace: &mut Trace,
) -> ScenarioResult<Option<(EmployeesReport, EmployeeKeys)>> {
    if s.employees.is_none() && s.employees_files().given().is_none() {
        return Ok(None);
    }
    let rows: Vec<EmployeeRow> =
        list(source, "contributions", "employees", s.employees.as_ref(), s.employees_files(), Ok)?;
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
    let file = s.employees_files().given();
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
                item_path("contributions", "employees", file, i)
            )));
        }
        // A figure the rule does not read is refused, not ignored: it says
        // the row meant another rule.
        let unused = match rule {
            medfund_contrib::BaseRule::Wage => r.pension.is_some().then_some("pension"),
            medfund_contrib::BaseRule::Retired => r.wage.is_some().then_some("wage"),
            _ => (r.wage.is_some().then_some("wage")).or(r.pension.is_some().then_some("pension")),
        };
        if let Some(field) = unused {
            let reads = match field {
                "wage" => "base_rule = \"wage\" reads it",
                _ => "base_rule = \"retired\" reads it",
            };
            return Err(ScenarioError::input(format!(
                "{}.{field}: given, but base_rule = \"{}\" does not use it; expected no {field} ({reads})",
                item_path("contributions", "employees", file, i),
                rule_name(rule)
            )));
        }
        if let Some(first) = rows.iter().take(i).position(|o| o.id == r.id) {
            return Err(ScenarioError::input(format!(
                "{}.id: {:?} is already employees[{first}]; expected each employee once",
                item_path("contributions", "employees", file, i),
                r.id
            ))
            .with_code(crate::error::codes::DUPLICATE));
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
            ScenarioError::input(format!("{}.{field}: {e}", item_path("contributions", "employees", file, *index)))
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
    let keys = rows.iter().zip(&rules).map(|(r, &rule)| (r.unit.clone(), rule)).collect();
    Ok(Some((
        EmployeesReport {
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
        },
        keys,
    )))
}

/// The name a base rule has in a scenario.
fn rule_name(rule: medfund_contrib::BaseRule) -> &'static str {
    match rule {
        medfund_contrib::BaseRule::Wage => "wage",
        medfund_contrib::BaseRule::AverageWage => "average-wage",
        medfund_contrib::BaseRule::Reemployment => "reemployment",
        medfund_contrib::BaseRule::Retired => "retired",
        _ => "another rule",
    }
}

fn residents(
    r: &crate::scenario::ResidentsTable,
    year: Option<crate::values::Year>,
    source: &Source,
    trace: &mut Trace,
) -> ScenarioResult<(ResidentsReport, Vec<Option<String>>)> {
    let version = crate::presets::Registry::built_in()?.residents(r.preset.as_deref())?;
    // A financing table applies to a contribution year it is in force in (on some day of it).
    if let Some(year) = year {
        let v = version.validity();
        let first = chrono::NaiveDate::from_ymd_opt(year.0, 1, 1);
        let last = chrono::NaiveDate::from_ymd_opt(year.0, 12, 31);
        let during =
            first.zip(last).is_some_and(|(first, last)| v.from() <= last && v.to().is_none_or(|to| to >= first));
        if !during {
            return Err(ScenarioError::not_in_force(format!(
                "contributions.residents.preset: {} is in force from {}{}, not in contributions.year {}; expected a financing table of that year",
                version.id(),
                v.from(),
                v.to().map_or_else(String::new, |to| format!(" to {to}")),
                year.0
            )));
        }
    }
    let rows: Vec<HeadcountRow> =
        list(source, "contributions.residents", "headcounts", r.headcounts.as_ref(), r.headcounts_files(), Ok)?;
    let heads: Vec<Headcount> =
        rows.iter().map(|h| Headcount { category: h.category.clone(), persons: h.persons.0 }).collect();
    let file = r.headcounts_files().given();
    let totals = medfund_contrib::finance_residents(&version, &heads, trace).map_err(|e| match &e {
        ContribError::UnknownCategory { index, .. } => ScenarioError::input(format!(
            "{}.category: {e}",
            item_path("contributions.residents", "headcounts", file, *index)
        )),
        ContribError::InvalidInput { index, field, .. } => ScenarioError::input(format!(
            "{}.{field}: {e}",
            item_path("contributions.residents", "headcounts", file, *index)
        )),
        _ => lib_error("contributions.residents", &e),
    })?;
    let units = rows.into_iter().map(|h| h.unit).collect();
    Ok((ResidentsReport { policy: version.id().to_owned(), totals }, units))
}

fn late_fees(
    l: &crate::scenario::LateFeesTable,
    source: &Source,
    trace: &mut Trace,
) -> ScenarioResult<(LateFeesReport, Vec<Option<String>>)> {
    let history = medfund_contrib::late_fee_history()
        .map_err(|e| ScenarioError::other(format!("the late-fee policy is invalid: {e}")))?;
    let rows: Vec<ArrearRow> =
        list(source, "contributions.late_fees", "arrears", l.arrears.as_ref(), l.arrears_files(), Ok)?;
    let arrears: Vec<Arrear> =
        rows.iter().map(|a| Arrear { amount: a.amount.0, due: a.due.0, paid_on: a.paid_on.map(|d| d.0) }).collect();
    let day_count = l.day_count.unwrap_or_default();
    let file = l.arrears_files().given();
    let fees =
        medfund_contrib::late_fees(&history, &arrears, l.as_of.0, day_count, medfund_core::Rounding::default(), trace)
            .map_err(|e| match &e {
                ContribError::InvalidInput { index, field, .. } => ScenarioError::input(format!(
                    "{}.{field}: {e}",
                    item_path("contributions.late_fees", "arrears", file, *index)
                )),
                ContribError::NotInForce { .. } => ScenarioError::not_in_force(format!("contributions.late_fees: {e}")),
                _ => lib_error("contributions.late_fees", &e),
            })?;
    let total = Money::checked_sum(fees.iter().map(|f| f.fee)).map_err(|e| lib_error("contributions.late_fees", e))?;
    let units = rows.into_iter().map(|a| a.unit).collect();
    Ok((LateFeesReport { policy: history.family().to_owned(), as_of: l.as_of.0, day_count, fees, total }, units))
}
