//! The scenario file model (contract §1, §3–§6, §8): every section, field
//! and check of the format; reading it is in `parse`.

use std::collections::BTreeMap;

use medfund_core::{Rate, Share};
use medfund_riskpool::Scheme;
use medfund_surplus::Level;
use serde::Deserialize;

use medfund_insurer::{AssistancePolicy, SupplementaryPolicy};
use medfund_riskpool::RiskPoolPolicy;
use medfund_surplus::SurplusPolicy;

mod contributions;

use crate::error::{ScenarioError, ScenarioResult};
use crate::overrides::PolicyTable;
use crate::values::{Amount, IsoDate, NonNegativeQuantity, NonNegativeRate, Score, Whole32, Whole64, Year};

/// A whole scenario: every section optional.
#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Scenario {
    /// §3.
    pub riskpool: Option<RiskpoolSection>,
    /// §4.
    pub assistance: Option<AssistanceSection>,
    /// §5.
    pub supplementary: Option<SupplementarySection>,
    /// §6.
    pub surplus: Option<SurplusSection>,
    /// §8.
    pub projection: Option<ProjectionSection>,
    /// §10.
    pub contributions: Option<ContributionsSection>,
}

impl Scenario {
    /// The number of Monte Carlo trials of the `[projection]`, if any.
    pub fn projection_trials(&self) -> Option<u64> {
        self.projection.as_ref().map(|p| u64::from(p.trials.0))
    }

    /// The `[projection]`'s `quantiles`, as given (none without a `[projection]`).
    pub fn projection_quantiles(&self) -> Vec<u32> {
        self.projection.iter().flat_map(|p| p.quantiles.iter().flatten()).map(|q| q.0).collect()
    }

    /// Sets the `[projection]`'s `quantiles` (as `medfund simulate
    /// --quantiles` does); an error without a `[projection]`. They are
    /// checked with the rest of the section.
    pub fn set_projection_quantiles(&mut self, quantiles: Vec<u32>) -> ScenarioResult<()> {
        let Some(p) = self.projection.as_mut() else {
            return Err(ScenarioError::input(
                "projection: the scenario has no [projection] section; expected one to report quantiles of",
            ));
        };
        p.quantiles = Some(quantiles.into_iter().map(Whole32).collect());
        Ok(())
    }

    /// Whether the `[projection]` asks for per-unit statistics (`per_unit`).
    pub fn projection_per_unit(&self) -> bool {
        self.projection.as_ref().and_then(|p| p.per_unit).unwrap_or(false)
    }

    /// Sets the `[projection]`'s `per_unit` (as `medfund simulate
    /// --per-unit` does); an error without a `[projection]`.
    pub fn set_projection_per_unit(&mut self, per_unit: bool) -> ScenarioResult<()> {
        let Some(p) = self.projection.as_mut() else {
            return Err(ScenarioError::input(
                "projection: the scenario has no [projection] section; expected one to report the units of",
            ));
        };
        p.per_unit = Some(per_unit);
        Ok(())
    }

    /// The sections present, in contract order.
    pub fn sections(&self) -> Vec<&'static str> {
        [
            self.riskpool.as_ref().map(|_| "riskpool"),
            self.assistance.as_ref().map(|_| "assistance"),
            self.supplementary.as_ref().map(|_| "supplementary"),
            self.surplus.as_ref().map(|_| "surplus"),
            self.projection.as_ref().map(|_| "projection"),
            self.contributions.as_ref().map(|_| "contributions"),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// `[riskpool]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RiskpoolSection {
    /// Built-in policy id (default `alxa-2020`).
    pub preset: Option<String>,
    /// The fund year.
    pub year: Year,
    /// Where the units' revenue comes from (default `units`: each unit's own
    /// `revenue`; `contributions`: the pooled revenue `[contributions]`
    /// computes for the unit, §10).
    #[serde(default)]
    pub revenue_from: RevenueFrom,
    /// Overrides of the preset.
    pub policy: Option<PolicyTable<RiskPoolPolicy>>,
    /// The employee ledger.
    pub employee: Option<SchemeTable>,
    /// The resident ledger.
    pub resident: Option<SchemeTable>,
    /// Units, inline.
    pub units: Option<Vec<UnitRow>>,
    /// Units, from a CSV file.
    pub units_csv: Option<String>,
    /// The same list from a Parquet file (the CSV's columns).
    pub units_parquet: Option<String>,
    /// The same list from an Arrow IPC file or stream (the CSV's columns).
    pub units_arrow: Option<String>,
}

impl RiskpoolSection {
    /// The `[riskpool.employee]` or `[riskpool.resident]` table, if given.
    pub(crate) fn table(&self, scheme: Scheme) -> Option<&SchemeTable> {
        match scheme {
            Scheme::Employee => self.employee.as_ref(),
            Scheme::Resident => self.resident.as_ref(),
        }
    }

    /// §3: a scheme is present when its table or one of its units is.
    pub(crate) fn has_scheme(&self, scheme: Scheme, units: &[UnitRow]) -> bool {
        self.table(scheme).is_some() || units.iter().any(|u| u.scheme == scheme)
    }
}

/// Where the revenue of `[riskpool]` units comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RevenueFrom {
    /// Each unit's `revenue` field.
    #[default]
    Units,
    /// The unit's pooled revenue computed by `[contributions]` (§10): its
    /// employees' pooling-fund part and late fees (employee scheme), its
    /// residents' financing (resident scheme).
    Contributions,
}

/// `[riskpool.employee]` / `[riskpool.resident]`.
#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SchemeTable {
    /// Opening balance (default 0).
    pub opening_balance: Option<Amount>,
}

/// `[[riskpool.units]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UnitRow {
    /// Unit id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Scheme.
    pub scheme: Scheme,
    /// Revenue: required unless `revenue_from = "contributions"`, where it
    /// must be absent (the contributions give it).
    pub revenue: Option<Amount>,
    /// Expenditure.
    pub expenditure: Amount,
    /// Own rolling surplus (default 0).
    pub rolling_surplus: Option<Amount>,
    /// League fiscal share.
    pub league_fiscal_share: Option<Share>,
}

/// `[assistance]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AssistanceSection {
    /// Built-in policy id (default `huizhou-2021`).
    pub preset: Option<String>,
    /// Overrides.
    pub policy: Option<PolicyTable<AssistancePolicy>>,
    /// Counties, inline.
    pub counties: Option<Vec<CountyRow>>,
    /// Counties, from a CSV file (one row per county and year).
    pub counties_csv: Option<String>,
    /// The same list from a Parquet file (the CSV's columns).
    pub counties_parquet: Option<String>,
    /// The same list from an Arrow IPC file or stream (the CSV's columns).
    pub counties_arrow: Option<String>,
}

/// `[[assistance.counties]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CountyRow {
    /// County id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Spend by service year.
    #[serde(deserialize_with = "crate::values::unique_years")]
    pub spend: BTreeMap<Year, Amount>,
    /// Fee under the previous plan.
    #[serde(default, deserialize_with = "crate::values::unique_years")]
    pub prior_plan_fee: BTreeMap<Year, Amount>,
    /// Annual settlement dates.
    #[serde(default, deserialize_with = "crate::values::unique_years")]
    pub settled_on: BTreeMap<Year, IsoDate>,
    /// Fee settlement dates.
    #[serde(default, deserialize_with = "crate::values::unique_years")]
    pub fee_settled_on: BTreeMap<Year, IsoDate>,
}

/// One row of a counties CSV: a county and a year.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountyCsvRow {
    /// County id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// The service year of the row.
    pub year: Year,
    /// Spend of that year.
    pub spend: Option<Amount>,
    /// Fee under the previous plan for that year.
    pub prior_plan_fee: Option<Amount>,
    /// Annual settlement date of that year.
    pub settled_on: Option<IsoDate>,
    /// Fee settlement date of that year.
    pub fee_settled_on: Option<IsoDate>,
}

/// `[supplementary]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SupplementarySection {
    /// Built-in policy id (default `xiamen-2007`).
    pub preset: Option<String>,
    /// Overrides.
    pub policy: Option<PolicyTable<SupplementaryPolicy>>,
    /// Insured persons, for the premiums: at least 1, unless
    /// `no_insured_persons` confirms a scheme without insured persons.
    pub insured_persons: Whole64,
    /// Confirms `insured_persons = 0` (no premiums at all).
    #[serde(default)]
    pub no_insured_persons: bool,
    /// Claims, inline.
    pub claims: Option<Vec<ClaimRow>>,
    /// Claims, from a CSV file (optional column `claim_id`).
    pub claims_csv: Option<String>,
    /// Claims, from a Parquet file (§5.3).
    pub claims_parquet: Option<String>,
    /// Claims, from an Arrow IPC file or stream (§5.3).
    pub claims_arrow: Option<String>,
    /// The claims file is sorted by person (ascending): it is settled as it
    /// is read, without partitions (§5.3). A row out of order is an error.
    #[serde(default)]
    pub claims_sorted_by_person: bool,
    /// `[supplementary.subsidies]`: overrides of the subsidies preset
    /// (`xiamen-2007-subsidies`; W per medical year, migrant limits…); with
    /// it or with persons, the claims are settled in one stop (§5.2).
    pub subsidies: Option<PolicyTable<medfund_insurer::SubsidyPolicy>>,
    /// Persons with a status other than employee, inline.
    pub persons: Option<Vec<PersonRow>>,
    /// Persons, from a CSV file.
    pub persons_csv: Option<String>,
    /// The same list from a Parquet file (the CSV's columns).
    pub persons_parquet: Option<String>,
    /// The same list from an Arrow IPC file or stream (the CSV's columns).
    pub persons_arrow: Option<String>,
    /// `[supplementary.civil_servant_levy]`: the levy financing the civil-servant subsidy.
    pub civil_servant_levy: Option<LevyTable>,
}

impl SupplementarySection {
    /// Whether the claims are settled in one stop (§5.2): subsidies, persons or a levy given.
    pub(crate) fn one_stop(&self) -> bool {
        self.subsidies.is_some()
            || self.persons.is_some()
            || self.persons_files().given().is_some()
            || self.civil_servant_levy.is_some()
    }
}

/// `[[supplementary.persons]]`: a person of the one-stop settlement.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PersonRow {
    /// Person id (as in the claims).
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub id: String,
    /// `employee` (default), `retired`, `civil-servant`, `retired-civil-servant`, `migrant`.
    pub status: Option<medfund_insurer::Status>,
    /// `subsistence-allowance` or `low-pension`.
    pub hardship: Option<medfund_insurer::Hardship>,
    /// Monthly pension (low-pension retirees).
    pub monthly_pension: Option<Amount>,
    /// Months of continuous contribution (migrants).
    pub contribution_months: Option<Whole32>,
}

/// `[supplementary.civil_servant_levy]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LevyTable {
    /// The year's contribution wage base of the civil servants.
    pub wage_base: Amount,
}

/// `[[supplementary.claims]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ClaimRow {
    /// Person id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub person: String,
    /// Date.
    pub date: IsoDate,
    /// Eligible cost.
    pub eligible_cost: Amount,
    /// The claim's own id, passed through to its result (§5.3).
    pub claim_id: Option<String>,
}

/// `[surplus]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SurplusSection {
    /// Built-in policy id (default `framework-2025`).
    pub preset: Option<String>,
    /// Overrides.
    pub policy: Option<PolicyTable<SurplusPolicy>>,
    /// The surplus to distribute.
    pub total: Amount,
    /// Institutions, inline.
    pub institutions: Option<Vec<InstitutionRow>>,
    /// Institutions, from a CSV file.
    pub institutions_csv: Option<String>,
    /// The same list from a Parquet file (the CSV's columns).
    pub institutions_parquet: Option<String>,
    /// The same list from an Arrow IPC file or stream (the CSV's columns).
    pub institutions_arrow: Option<String>,
    /// Spending lines, inline.
    pub spending: Option<Vec<SpendingRow>>,
    /// Spending lines, from a CSV file.
    pub spending_csv: Option<String>,
    /// The same list from a Parquet file (the CSV's columns).
    pub spending_parquet: Option<String>,
    /// The same list from an Arrow IPC file or stream (the CSV's columns).
    pub spending_arrow: Option<String>,
}

/// `[[surplus.institutions]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct InstitutionRow {
    /// Id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Level.
    pub level: Level,
    /// Score 0–100.
    pub chronic_care_score: Score,
    /// Workload.
    pub workload: NonNegativeQuantity,
}

/// `[[surplus.spending]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SpendingRow {
    /// Institution id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub institution: String,
    /// Category.
    pub category: String,
    /// Amount.
    pub amount: Amount,
}

/// `[projection]` (§8): computed by `medfund simulate`; `run` and `check` validate it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProjectionSection {
    /// Projected years, the riskpool year included.
    pub years: Whole32,
    /// Monte Carlo trials.
    pub trials: Whole32,
    /// Seed.
    pub seed: Whole64,
    /// Growth for units not listed.
    pub default: Option<GrowthPair>,
    /// Per-unit growth.
    pub units: Option<Vec<ProjectionUnit>>,
    /// Nearest-rank percentiles (1–100, each once) of the closing balance and
    /// of Σ unresolved to report per year, besides p5/p50/p95 of the closing
    /// balance; `medfund simulate --quantiles` sets them too.
    pub quantiles: Option<Vec<Whole32>>,
    /// Dated reforms: from a later projected year, overrides of the riskpool
    /// policy (§8); each amends the policy in force before it.
    pub reforms: Option<Vec<ProjectionReform>>,
    /// The projected years whose risk figures a `sweep` row carries:
    /// `"last"` (default) or `"all"`.
    pub sweep_years: Option<SweepYears>,
    /// How the growth draws depend on each other (§8); independent normal
    /// draws without it.
    pub shocks: Option<ProjectionShocks>,
    /// Where the draws come from: `"per_trial"` (default, one stream per
    /// trial) or `"per_unit"` (one per trial and unit, so a unit's draws do
    /// not depend on the other units).
    pub streams: Option<medfund_riskpool::Streams>,
    /// Also report statistics per unit and year (`projection.units`):
    /// shares of trials with a gap and with an unresolved gap (that year, by
    /// that year, first that year) and the mean draw on the fund and mean
    /// unresolved amount; `false` by default. `medfund simulate --per-unit`
    /// sets it too.
    pub per_unit: Option<bool>,
}

/// `[projection.shocks]`: correlations, persistence and tails of the growth draws.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProjectionShocks {
    /// Correlation of a unit's revenue and expenditure growth, −100 % to 100 % (default 0).
    pub revenue_expenditure: Option<Rate>,
    /// Correlation of the same growth across units, 0 to 100 % (default 0).
    pub across_units: Option<Rate>,
    /// AR(1) coefficient of each draw from one year to the next, 0 to below 100 % (default 0).
    pub persistence: Option<Rate>,
    /// `"normal"` (default) or `{ student_t = ν }` (ν > 2, scaled to variance 1).
    pub distribution: Option<medfund_riskpool::ShockDistribution>,
    /// Instead of `across_units`: the correlation of every pair of units' draws.
    pub unit_correlation: Option<UnitCorrelation>,
}

/// `[projection.shocks.unit_correlation]`: a correlation matrix over the
/// projected units.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UnitCorrelation {
    /// Every projected unit once, as `"scheme/id"` (`"employee/left-banner"`):
    /// the order of the matrix's rows and columns.
    pub units: Vec<String>,
    /// Symmetric, 1 on the diagonal, entries from −1 to 1, positive
    /// semi-definite.
    pub matrix: Vec<Vec<Rate>>,
}

impl ProjectionShocks {
    /// The shocks of the rule crate, defaults filled in.
    pub(crate) fn shocks(&self) -> medfund_riskpool::Shocks {
        medfund_riskpool::Shocks::new(
            self.revenue_expenditure.unwrap_or(Rate::ZERO),
            self.across_units.unwrap_or(Rate::ZERO),
            self.persistence.unwrap_or(Rate::ZERO),
            self.distribution.unwrap_or_default(),
        )
    }
}

/// The projected years a `sweep` row reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SweepYears {
    /// The last projected year only.
    #[default]
    Last,
    /// Every projected year.
    All,
}

/// `[[projection.reforms]]`: the riskpool policy changed from a projected year.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProjectionReform {
    /// The first projected year the reform governs (after the riskpool year).
    pub from: Year,
    /// The parameters it changes, written as in `[riskpool.policy]`.
    pub policy: PolicyTable<RiskPoolPolicy>,
}

/// Revenue and expenditure growth.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct GrowthPair {
    /// Revenue growth.
    pub revenue_growth: Growth,
    /// Expenditure growth.
    pub expenditure_growth: Growth,
}

/// A yearly growth rate: a normal distribution (or that of
/// `[projection.shocks]`) about a mean or a path of means.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Growth {
    /// The mean, the same every growth year; give it or `path`.
    pub mean: Option<Rate>,
    /// One mean per growth year (the second projected year on: `years − 1`
    /// rates), instead of `mean`: a deterministic scenario path unless an
    /// `sd` is given.
    pub path: Option<Vec<Rate>>,
    /// Standard deviation: required with `mean`; 0 when a `path` gives none.
    pub sd: Option<NonNegativeRate>,
}

impl Growth {
    /// The growth of the rule crate for a projection of `years` years;
    /// errors name `at` (e.g. `projection.default.revenue_growth`).
    pub(crate) fn resolve(&self, years: u32, at: &str) -> ScenarioResult<medfund_riskpool::Growth> {
        let growth_years = years.saturating_sub(1);
        match (self.mean, &self.path, self.sd) {
            (Some(_), Some(_), _) => Err(ScenarioError::input(format!(
                "{at}: both mean and path; expected one of them (a path gives the mean of each growth year)"
            ))),
            (None, None, _) => Err(ScenarioError::input(format!(
                "{at}: neither mean nor path; expected mean = \"5%\" with an sd, or path = [one rate per growth year]"
            ))),
            (Some(_), None, None) => Err(ScenarioError::input(format!(
                "{at}.sd: missing; expected the standard deviation of the growth about its mean (\"0%\" for none)"
            ))),
            (Some(mean), None, Some(sd)) => Ok(medfund_riskpool::Growth::normal(mean, sd.0)),
            (None, Some(path), sd) => {
                if u32::try_from(path.len()).ok() != Some(growth_years) {
                    return Err(ScenarioError::input(format!(
                        "{at}.path: {} rate(s) for a projection of {years} year(s); expected {growth_years}, one per growth year (the first projected year is computed, not grown)",
                        path.len()
                    )));
                }
                Ok(medfund_riskpool::Growth::path(path.clone(), sd.map_or(Rate::ZERO, |s| s.0)))
            }
        }
    }
}

/// `[[projection.units]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProjectionUnit {
    /// The riskpool unit id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub id: String,
    /// Restrict to one scheme (default: the unit in every scheme).
    pub scheme: Option<Scheme>,
    /// Revenue growth.
    pub revenue_growth: Growth,
    /// Expenditure growth.
    pub expenditure_growth: Growth,
}

pub use contributions::{
    ArrearRow, ContributionsSection, EmployeeRow, FiguresChoice, HeadcountRow, LateFeesTable, ResidentsTable,
    RetireeAccountsFrom,
};

pub(crate) use crate::parse::{Format, Source, load, parse, read_text, toml_document};
