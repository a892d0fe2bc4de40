//! `[contributions]` (contract §10): the revenue side's rows and tables.

use serde::Deserialize;

use crate::overrides::PolicyTable;
use crate::values::{Amount, IsoDate, Whole64, Year};

/// `[contributions]` (§10): the revenue side.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ContributionsSection {
    /// The contribution year (ages are taken on December 31 before it); needed with employees.
    pub year: Option<Year>,
    /// W: last year's city average wage; needed with employees.
    pub average_wage: Option<Amount>,
    /// Built-in policy id of employees' contributions (default `city-template-employees`).
    pub preset: Option<String>,
    /// Overrides of the preset (the blank rates of the template are set here).
    pub policy: Option<PolicyTable<medfund_contrib::EmployeePolicy>>,
    /// Where retirees' account credits are drawn from (default `pension`).
    #[serde(default)]
    pub retiree_accounts_from: RetireeAccountsFrom,
    /// Which figures: `all` (default; needs the employer rate, the band shares
    /// and, with retirees, their rate) or `personal` (bases and personal parts only).
    #[serde(default)]
    pub figures: FiguresChoice,
    /// Employees, inline.
    pub employees: Option<Vec<EmployeeRow>>,
    /// Employees, from a CSV file.
    pub employees_csv: Option<String>,
    /// The same list from a Parquet file (the CSV's columns).
    pub employees_parquet: Option<String>,
    /// The same list from an Arrow IPC file or stream (the CSV's columns).
    pub employees_arrow: Option<String>,
    /// `[contributions.residents]`: resident financing.
    pub residents: Option<ResidentsTable>,
    /// `[contributions.late_fees]`: late fees on arrears.
    pub late_fees: Option<LateFeesTable>,
}

/// Which employee figures a `[contributions]` computes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FiguresChoice {
    /// Every figure.
    #[default]
    All,
    /// Bases and personal parts only.
    Personal,
}

/// The reading of where a retiree's individual-account credit (第二十一条)
/// is drawn from: the template says how much, not from which ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RetireeAccountsFrom {
    /// From outside the employees' funds (the pension is its base and
    /// source); the pooling fund is not reduced.
    #[default]
    Pension,
    /// Transferred out of the employees' pooling fund (划入): the pooling
    /// fund's revenue is reduced by the retirees' credits.
    EmployeePooling,
}

/// `[[contributions.employees]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EmployeeRow {
    /// Id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub id: String,
    /// The `[riskpool]` unit the employee's contributions go to (needed
    /// when `[riskpool]` takes its revenue from the contributions).
    #[serde(default, deserialize_with = "crate::values::optional_id")]
    pub unit: Option<String>,
    /// How the base is set (default `wage`).
    pub base_rule: Option<medfund_contrib::BaseRule>,
    /// Last year's wage total (the `wage` rule).
    pub wage: Option<Amount>,
    /// Year of birth.
    pub birth_year: Year,
    /// A retiree's yearly pension.
    pub pension: Option<Amount>,
}

/// `[contributions.residents]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ResidentsTable {
    /// Built-in financing table (default `county-template-financing`; or `qingdao-2012`).
    pub preset: Option<String>,
    /// Persons per category, inline.
    pub headcounts: Option<Vec<HeadcountRow>>,
    /// Persons per category, from a CSV file.
    pub headcounts_csv: Option<String>,
    /// The same list from a Parquet file (the CSV's columns).
    pub headcounts_parquet: Option<String>,
    /// The same list from an Arrow IPC file or stream (the CSV's columns).
    pub headcounts_arrow: Option<String>,
}

/// `[[contributions.residents.headcounts]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct HeadcountRow {
    /// The category's id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub category: String,
    /// Persons.
    pub persons: Whole64,
    /// The `[riskpool]` unit these persons' financing goes to.
    #[serde(default, deserialize_with = "crate::values::optional_id")]
    pub unit: Option<String>,
}

/// `[contributions.late_fees]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LateFeesTable {
    /// Unpaid arrears run to this date.
    pub as_of: IsoDate,
    /// Which days count (default `after-due-through-payment`).
    pub day_count: Option<medfund_contrib::DayCount>,
    /// Arrears, inline.
    pub arrears: Option<Vec<ArrearRow>>,
    /// Arrears, from a CSV file.
    pub arrears_csv: Option<String>,
    /// The same list from a Parquet file (the CSV's columns).
    pub arrears_parquet: Option<String>,
    /// The same list from an Arrow IPC file or stream (the CSV's columns).
    pub arrears_arrow: Option<String>,
}

/// `[[contributions.late_fees.arrears]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ArrearRow {
    /// The amount due.
    pub amount: Amount,
    /// The due date.
    pub due: IsoDate,
    /// When it was paid (absent: not yet).
    pub paid_on: Option<IsoDate>,
    /// The `[riskpool]` unit whose pooling fund receives the fee.
    #[serde(default, deserialize_with = "crate::values::optional_id")]
    pub unit: Option<String>,
}
