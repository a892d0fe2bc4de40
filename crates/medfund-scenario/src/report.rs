//! The report of the contract (§3–§7): what `run` returns and what the JSON
//! report and the tables are made from.

use medfund_core::{NaiveDate, Step};
use medfund_insurer::{AssistanceSettlement, ClaimSplit, YearSummary};
use medfund_riskpool::{Scheme, SchemeTotals, UnitOutcome};
use medfund_surplus::Allocation;
use serde::Serialize;

/// The name and version of the report format, first in every JSON report.
pub const REPORT_FORMAT: &str = "medfund-report/1";

/// The whole report; sections appear when the scenario has them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Report {
    /// The report format: `medfund-report/1`.
    pub format: &'static str,
    /// The version of medfund that computed it.
    pub medfund: &'static str,
    /// §3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub riskpool: Option<RiskpoolReport>,
    /// §4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assistance: Option<AssistanceSettlement>,
    /// §5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplementary: Option<SupplementaryReport>,
    /// §6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surplus: Option<SurplusReport>,
    /// §10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contributions: Option<ContributionsReport>,
    /// §7, with `--explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<Step>>,
}

impl Report {
    /// A report of these sections, stamped with the format and medfund's version.
    pub(crate) fn new(
        riskpool: Option<RiskpoolReport>,
        assistance: Option<AssistanceSettlement>,
        supplementary: Option<SupplementaryReport>,
        surplus: Option<SurplusReport>,
        contributions: Option<ContributionsReport>,
        trace: Option<Vec<Step>>,
    ) -> Report {
        Report {
            format: REPORT_FORMAT,
            medfund: env!("CARGO_PKG_VERSION"),
            riskpool,
            assistance,
            supplementary,
            surplus,
            contributions,
            trace,
        }
    }
}

/// §3 report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct RiskpoolReport {
    /// The fund year.
    pub year: i32,
    /// The preset id.
    pub policy: String,
    /// Per scheme present.
    pub schemes: SchemesReport,
}

/// The schemes present, employee first.
#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
#[non_exhaustive]
pub struct SchemesReport {
    /// Employee ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee: Option<SchemeReport>,
    /// Resident ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident: Option<SchemeReport>,
}

impl SchemesReport {
    /// The schemes present, in report order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Scheme, &SchemeReport)> {
        [(Scheme::Employee, self.employee.as_ref()), (Scheme::Resident, self.resident.as_ref())]
            .into_iter()
            .filter_map(|(s, r)| r.map(|r| (s, r)))
    }
}

/// One scheme's year.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct SchemeReport {
    /// Scheme-level figures.
    #[serde(flatten)]
    pub totals: SchemeTotals,
    /// Units in input order.
    pub units: Vec<UnitReport>,
}

/// One unit's year.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct UnitReport {
    /// Unit id.
    pub id: String,
    /// Display name (tables only).
    #[serde(skip)]
    pub name: Option<String>,
    /// Figures.
    #[serde(flatten)]
    pub outcome: UnitOutcome,
}

/// §5 report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct SupplementaryReport {
    /// The preset id.
    pub policy: String,
    /// Claims in input order, when inlined (§5.3: up to 100,000 claims
    /// without a claims file, or when asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimReport>>,
    /// Where the per-claim results went when they are not (only) inline (§5.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_out: Option<ClaimsOut>,
    /// Medical years in order.
    pub years: Vec<YearSummary>,
    /// The one-stop settlement (§5.2), when persons or subsidies are given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_stop: Option<OneStopReport>,
}

/// The subsidies of a claim settled in one stop (§5.2).
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ClaimSubsidies {
    /// The civil-servant subsidy on co-payments (X7).
    pub civil_servant: medfund_core::Money,
    /// The civil-servant subsidy beyond the insurer's maximum (X8).
    pub civil_servant_above_max: medfund_core::Money,
    /// The hardship subsidy (X6).
    pub hardship: medfund_core::Money,
}

/// §5.2: the one-stop settlement's person-years, medical years and levy.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct OneStopReport {
    /// The subsidies preset id.
    pub policy: String,
    /// Which subsidy applies first to a person who has both.
    pub order: medfund_insurer::SubsidyOrder,
    /// Per person and medical year: persons in order of their first claim,
    /// each person's years in order. Absent when the claims are not
    /// inlined (§5.3): `person_years_out` says where they went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_years: Option<Vec<medfund_insurer::PersonYear<String>>>,
    /// §5.3: the person-years of a run that did not inline its claims
    /// (`file`: `--person-years-out`, if given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_years_out: Option<ClaimsOut>,
    /// Per medical year, every payer.
    pub years: Vec<SettlementYear>,
    /// The civil-servant levy, if its wage base is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub civil_servant_levy: Option<medfund_insurer::Levy>,
}

/// One medical year of the one-stop settlement.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct SettlementYear {
    /// The medical year.
    pub medical_year: i32,
    /// Its totals.
    #[serde(flatten)]
    pub totals: medfund_insurer::SettlementTotals,
}

/// One claim's split.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ClaimReport {
    /// The claim's own id, when the input gives one (as text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<String>,
    /// Person id.
    pub person: String,
    /// Date.
    pub date: NaiveDate,
    /// The split (`person_pays`: what the person pays in the end, after any subsidy).
    #[serde(flatten)]
    pub split: ClaimSplit,
    /// Its subsidies, when the claims are settled in one stop (§5.2).
    #[serde(flatten)]
    pub subsidies: Option<ClaimSubsidies>,
}

/// §5.3: the per-claim results (or a one-stop settlement's person-years)
/// of a run that did not inline them all.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ClaimsOut {
    /// Claims settled.
    pub rows: u64,
    /// Whether the report's `claims` holds them too.
    pub inlined: bool,
    /// The results file (`--claims-out`), if one was written.
    pub file: Option<String>,
    /// Its format: `parquet`, `arrow` or `csv`.
    pub format: Option<String>,
}

/// §6 report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct SurplusReport {
    /// The preset id.
    pub policy: String,
    /// The allocation.
    #[serde(flatten)]
    pub allocation: Allocation,
    /// Institution names (tables only).
    #[serde(skip)]
    pub names: Vec<Option<String>>,
}

/// §10 report: what each part of the revenue side raises, and per fund.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ContributionsReport {
    /// Employees' contributions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employees: Option<EmployeesReport>,
    /// Resident financing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residents: Option<ResidentsReport>,
    /// Late fees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_fees: Option<LateFeesReport>,
    /// Per fund.
    pub funds: FundsReport,
    /// Per `[riskpool]` unit named by a row, in the order first named (rows
    /// without a unit count in `funds` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitFundsReport>,
    /// Where the first row without a unit is, if any (for the link into `[riskpool]`).
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) first_without_unit: Option<String>,
}

/// What one unit's funds receive (§10): the rows naming it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct UnitFundsReport {
    /// The unit id.
    pub unit: String,
    /// Employee rows naming it.
    pub employees: u64,
    /// Residents' persons of the headcount rows naming it.
    pub residents: u64,
    /// Arrear rows naming it.
    pub arrears: u64,
    /// Its employees' pooling fund (with its late fees).
    pub employee_pooling: medfund_core::Money,
    /// Its employees' individual accounts.
    pub employee_accounts: medfund_core::Money,
    /// Its residents' pooling fund.
    pub resident_pooling: medfund_core::Money,
    /// Headcount rows naming it (a row of 0 persons names it too: one
    /// rule for every row kind, for the link into `[riskpool]`).
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) resident_rows: u64,
}

impl UnitFundsReport {
    pub(crate) fn new(unit: String) -> UnitFundsReport {
        use medfund_core::Money;
        UnitFundsReport {
            unit,
            employees: 0,
            residents: 0,
            arrears: 0,
            employee_pooling: Money::ZERO,
            employee_accounts: Money::ZERO,
            resident_pooling: Money::ZERO,
            resident_rows: 0,
        }
    }
}

/// Employees' contributions of the year.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct EmployeesReport {
    /// The contribution year.
    pub year: i32,
    /// The preset id.
    pub policy: String,
    /// W.
    pub average_wage: medfund_core::Money,
    /// `all` or `personal`.
    pub figures: crate::scenario::FiguresChoice,
    /// Σ over the employees.
    pub totals: medfund_contrib::EmployeeContribution,
    /// Per employee, in input order.
    pub rows: Vec<EmployeeReport>,
}

/// One employee's year.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct EmployeeReport {
    /// Id.
    pub id: String,
    /// Figures.
    #[serde(flatten)]
    pub contribution: medfund_contrib::EmployeeContribution,
}

/// Resident financing.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ResidentsReport {
    /// The preset id.
    pub policy: String,
    /// Totals.
    #[serde(flatten)]
    pub totals: medfund_contrib::FinancingTotals,
}

/// Late fees.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct LateFeesReport {
    /// The policy family (each fee names the versions of its days).
    pub policy: String,
    /// Unpaid arrears run to this date.
    pub as_of: NaiveDate,
    /// Which days count.
    pub day_count: medfund_contrib::DayCount,
    /// Per arrear, in input order.
    pub fees: Vec<medfund_contrib::LateFee>,
    /// Σ fees.
    pub total: medfund_core::Money,
}

/// What the section raises per fund. Employees' pooling fund: the pool's
/// part of contributions and the late fees (第二十二条); their individual
/// accounts; the residents' pooling fund (a scheme of its own, 城乡居民).
#[derive(Debug, Clone, Copy, Default, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct FundsReport {
    /// Employees' pooling fund: Σ to_pool + Σ late fees, less the retirees'
    /// account credits when they are drawn from it.
    pub employee_pooling: medfund_core::Money,
    /// Employees' individual accounts.
    pub employee_accounts: medfund_core::Money,
    /// Residents' pooling fund.
    pub resident_pooling: medfund_core::Money,
    /// Σ of the retirees' account credits (part of `employee_accounts`).
    pub retiree_account_credits: medfund_core::Money,
    /// Where those credits are drawn from (the reading applied).
    pub retiree_accounts_from: crate::scenario::RetireeAccountsFrom,
}
