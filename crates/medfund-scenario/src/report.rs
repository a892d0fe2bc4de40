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
        trace: Option<Vec<Step>>,
    ) -> Report {
        Report {
            format: REPORT_FORMAT,
            medfund: env!("CARGO_PKG_VERSION"),
            riskpool,
            assistance,
            supplementary,
            surplus,
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
    /// Claims in input order.
    pub claims: Vec<ClaimReport>,
    /// Medical years in order.
    pub years: Vec<YearSummary>,
}

/// One claim's split.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ClaimReport {
    /// Person id.
    pub person: String,
    /// Date.
    pub date: NaiveDate,
    /// The split.
    #[serde(flatten)]
    pub split: ClaimSplit,
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
