//! Runs every section of a scenario through the libraries and builds the
//! report of the contract (§3–§7).

use std::collections::BTreeMap;

use medfund_core::{NaiveDate, PolicyHistory, PolicyVersion, Step, Trace, Validity};
use medfund_insurer::{
    AssistancePolicy, AssistanceSettlement, Claim, ClaimSplit, County, InsurerError, SupplementaryPolicy, YearSummary,
};
use medfund_riskpool::{RiskPoolError, RiskPoolPolicy, Scheme, SchemeInput, SchemeTotals, Unit, UnitOutcome};
use medfund_surplus::{Allocation, Institution, Spending, SurplusError, SurplusPolicy};
use serde::Serialize;

use crate::csvin;
use crate::error::{ScenarioError, ScenarioResult, excerpt};
use crate::scenario::{
    AssistanceSection, CountyCsvRow, CountyRow, InstitutionRow, RiskpoolSection, Scenario, Source, SpendingRow,
    SupplementarySection, SurplusSection, UnitRow,
};
use crate::values::DateOrYear;

/// The whole report; sections appear when the scenario has them.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// §3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) riskpool: Option<RiskpoolReport>,
    /// §4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) assistance: Option<AssistanceSettlement>,
    /// §5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) supplementary: Option<SupplementaryReport>,
    /// §6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) surplus: Option<SurplusReport>,
    /// §7, with `--explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) trace: Option<Vec<Step>>,
}

/// §3 report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RiskpoolReport {
    /// The fund year.
    pub year: i32,
    /// The preset id.
    pub policy: String,
    /// Per scheme present.
    pub schemes: SchemesReport,
}

/// The schemes present, employee first.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct SchemesReport {
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
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SchemeReport {
    /// Scheme-level figures.
    #[serde(flatten)]
    pub totals: SchemeTotals,
    /// Units in input order.
    pub units: Vec<UnitReport>,
}

/// One unit's year.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UnitReport {
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
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SupplementaryReport {
    /// The preset id.
    pub policy: String,
    /// Claims in input order.
    pub claims: Vec<ClaimReport>,
    /// Medical years in order.
    pub years: Vec<YearSummary>,
}

/// One claim's split.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ClaimReport {
    /// Person id.
    pub person: String,
    /// Date.
    pub date: NaiveDate,
    /// The split.
    #[serde(flatten)]
    pub split: ClaimSplit,
}

/// §6 report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SurplusReport {
    /// The preset id.
    pub policy: String,
    /// The allocation.
    #[serde(flatten)]
    pub allocation: Allocation,
    /// Institution names (tables only).
    #[serde(skip)]
    pub names: Vec<Option<String>>,
}

/// Computes every section of `scenario`.
pub(crate) fn run(scenario: &Scenario, source: &Source, explain: bool) -> ScenarioResult<Report> {
    let mut trace = Trace::new(explain);
    let at = |e: ScenarioError| e.at(&source.name);
    if scenario.sections().is_empty() {
        return Err(at(ScenarioError::input(
            "the scenario has no section: nothing to compute; expected at least one of [riskpool], [assistance], [supplementary], [surplus]",
        )));
    }
    // The units are read once (a CSV file, perhaps) and serve §3 and the §8 check.
    let units = scenario.riskpool.as_ref().map(|s| riskpool_rows(s, source)).transpose().map_err(at)?;
    let riskpool = scenario
        .riskpool
        .as_ref()
        .zip(units.as_deref())
        .map(|(s, rows)| riskpool(s, rows, &mut trace))
        .transpose()
        .map_err(at)?;
    let assistance = scenario.assistance.as_ref().map(|s| assistance(s, source, &mut trace)).transpose().map_err(at)?;
    let supplementary =
        scenario.supplementary.as_ref().map(|s| supplementary(s, source, &mut trace)).transpose().map_err(at)?;
    let surplus = scenario.surplus.as_ref().map(|s| surplus(s, source, &mut trace)).transpose().map_err(at)?;
    if let Some(p) = &scenario.projection {
        validate_projection(p, scenario.riskpool.as_ref().zip(units.as_deref()), &source.limits).map_err(at)?;
    }
    Ok(Report { riskpool, assistance, supplementary, surplus, trace: explain.then(|| trace.into_steps()) })
}

/// Checks a `[projection]` against its `[riskpool]` section and units
/// (§8; `None` without a `[riskpool]`), and its estimated memory against
/// the limit, before anything is allocated.
pub(crate) fn validate_projection(
    p: &crate::scenario::ProjectionSection,
    riskpool: Option<(&RiskpoolSection, &[UnitRow])>,
    limits: &crate::limits::Limits,
) -> ScenarioResult<()> {
    let Some((section, units)) = riskpool else {
        return Err(ScenarioError::input(
            "projection: a [projection] needs a [riskpool] section to project; expected both",
        ));
    };
    if p.years.0 == 0 {
        return Err(ScenarioError::input("projection.years: 0; expected at least 1 projected year"));
    }
    if p.trials.0 == 0 {
        return Err(ScenarioError::input("projection.trials: 0; expected at least 1 trial"));
    }
    let last = i64::from(section.year.0).saturating_add(i64::from(p.years.0)).saturating_sub(1);
    if last > i64::from(*crate::values::YEARS.end()) {
        return Err(ScenarioError::input(format!(
            "projection.years: {} years from {} would end in {last}; expected a last projected year of at most {}",
            p.years.0,
            section.year.0,
            crate::values::YEARS.end()
        )));
    }
    let schemes = Scheme::ALL
        .iter()
        .filter(|&&scheme| {
            let table = match scheme {
                Scheme::Employee => section.employee.is_some(),
                Scheme::Resident => section.resident.is_some(),
            };
            table || units.iter().any(|u| u.scheme == scheme)
        })
        .count();
    let spec = medfund_riskpool::ProjectionSpec {
        first_year: section.year.0,
        years: p.years.0,
        trials: p.trials.0,
        seed: p.seed.0,
    };
    let needed = spec.memory_bytes(schemes);
    if needed.is_none_or(|n| n > limits.projection_bytes) {
        return Err(ScenarioError::input(format!(
            "projection: {} trials × {} years × {schemes} scheme(s) need about {} of memory, more than the limit of {}; expected fewer trials or years, or a larger --max-projection-memory",
            p.trials.0,
            p.years.0,
            needed.map_or_else(|| "more than 16 EiB".to_owned(), crate::limits::show_size_approx),
            crate::limits::show_size(limits.projection_bytes)
        )));
    }
    let listed: Vec<&crate::scenario::ProjectionUnit> = p.units.iter().flatten().collect();
    for (i, u) in listed.iter().enumerate() {
        let overlaps = |o: &&crate::scenario::ProjectionUnit| {
            o.id == u.id && (o.scheme.is_none() || u.scheme.is_none() || o.scheme == u.scheme)
        };
        if let Some(first) = listed.iter().take(i).position(overlaps) {
            return Err(ScenarioError::input(format!(
                "projection.units[{i}].id: unit {:?} is already given growth by projection.units[{first}]; expected each unit (and scheme) once",
                u.id
            )));
        }
        if !units.iter().any(|r| r.id == u.id && u.scheme.is_none_or(|s| s == r.scheme)) {
            return Err(ScenarioError::input(format!(
                "projection.units[{i}].id: no riskpool unit {:?}; expected the id of a [[riskpool.units]] entry",
                u.id
            )));
        }
    }
    Ok(())
}

/// Where list item `i` of a section came from, for messages.
fn item_path(section: &str, list: &str, csv: Option<&str>, i: usize) -> String {
    match csv {
        Some(file) => format!("{section}.{list}_csv ({file}) row {}", i.saturating_add(1)),
        None => format!("{section}.{list}[{i}]"),
    }
}

fn list<T: Clone, R: serde::de::DeserializeOwned>(
    source: &Source,
    section: &str,
    name: &str,
    inline: Option<&Vec<T>>,
    csv: Option<&String>,
    from_csv: impl Fn(Vec<R>) -> ScenarioResult<Vec<T>>,
) -> ScenarioResult<Vec<T>> {
    match (inline, csv) {
        (Some(_), Some(_)) => Err(ScenarioError::input(format!(
            "{section}: both {name} and {name}_csv are given; expected one or the other"
        ))),
        (Some(rows), None) => Ok(rows.clone()),
        (None, Some(file)) => from_csv(csvin::read_rows(source, &format!("{section}.{name}_csv"), file)?),
        (None, None) => Ok(Vec::new()),
    }
}

fn unknown_preset(section: &str, id: &str, known: &[String]) -> ScenarioError {
    ScenarioError::input(format!(
        "{section}.preset: unknown preset {}; expected one of {}",
        excerpt(id),
        known.join(", ")
    ))
}

fn lib_error(section: &str, e: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::input(format!("{section}: {e}"))
}

/// The preset of a `[riskpool]` with its `[riskpool.policy]` overrides.
pub(crate) fn riskpool_policy(s: &RiskpoolSection) -> ScenarioResult<PolicyVersion<RiskPoolPolicy>> {
    let presets = medfund_riskpool::presets().map_err(|e| ScenarioError::other(e.to_string()))?;
    let id = s.preset.as_deref().unwrap_or(medfund_riskpool::ALXA_2020);
    let mut version: PolicyVersion<RiskPoolPolicy> =
        presets.iter().find(|p| p.id() == id).cloned().ok_or_else(|| {
            unknown_preset("riskpool", id, &presets.iter().map(|p| p.id().to_owned()).collect::<Vec<_>>())
        })?;
    if let Some(o) = &s.policy {
        let p = version.params_mut();
        if let Some(v) = o.levy_rate {
            p.levy_rate = v;
        }
        if let Some(v) = o.cap_multiple {
            p.cap_multiple = v.0;
        }
        if let Some(v) = o.rationing {
            p.rationing = v;
        }
        if let Some(v) = o.default_league_fiscal_share {
            p.default_league_fiscal_share = Some(v);
        }
        if let Some(v) = o.rounding {
            p.rounding = v;
        }
    }
    Ok(version)
}

/// The units of a `[riskpool]`, inline or from CSV.
pub(crate) fn riskpool_rows(s: &RiskpoolSection, source: &Source) -> ScenarioResult<Vec<UnitRow>> {
    list(source, "riskpool", "units", s.units.as_ref(), s.units_csv.as_ref(), Ok)
}

fn riskpool(s: &RiskpoolSection, rows: &[UnitRow], trace: &mut Trace) -> ScenarioResult<RiskpoolReport> {
    let version = riskpool_policy(s)?;
    let csv = s.units_csv.as_deref();
    let history = medfund_riskpool::history_of(version.clone()).map_err(|e| lib_error("riskpool", e))?;
    if let Err(e) = history.for_year(s.year.0) {
        return Err(ScenarioError::input(format!(
            "riskpool.year: policy {} ({}) is not in force for fund year {}: {e}; expected a year within its validity",
            version.id(),
            version.document(),
            s.year.0
        )));
    }
    let mut inputs = Vec::new();
    for scheme in Scheme::ALL {
        let table = match scheme {
            Scheme::Employee => s.employee.as_ref(),
            Scheme::Resident => s.resident.as_ref(),
        };
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
                )));
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

fn counties_from_csv(rows: Vec<CountyCsvRow>) -> ScenarioResult<Vec<CountyRow>> {
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
                "assistance.counties_csv row {row}: county {:?} has year {} twice; expected one row per county and year",
                r.id, r.year.0
            ))
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

fn bound(value: DateOrYear, first: bool) -> Option<NaiveDate> {
    match value {
        DateOrYear::Date(d) => Some(d),
        DateOrYear::Year(y) => {
            if first {
                NaiveDate::from_ymd_opt(y, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y, 12, 31)
            }
        }
    }
}

/// A preset with its validity overridden by `valid_from` / `valid_to` (either may be absent).
fn override_validity<P>(
    version: PolicyVersion<P>,
    section: &str,
    valid_from: Option<DateOrYear>,
    valid_to: Option<DateOrYear>,
) -> ScenarioResult<PolicyVersion<P>> {
    if valid_from.is_none() && valid_to.is_none() {
        return Ok(version);
    }
    let old = version.validity();
    let outside = |field: &str| {
        ScenarioError::input(format!(
            "{section}.policy.{field}: out of the supported calendar; expected a date or year"
        ))
    };
    let from = match valid_from {
        Some(v) => bound(v, true).ok_or_else(|| outside("valid_from"))?,
        None => old.from(),
    };
    let to = match valid_to {
        Some(v) => Some(bound(v, false).ok_or_else(|| outside("valid_to"))?),
        None => old.to(),
    };
    let validity = Validity::new(from, to).map_err(|_| {
        ScenarioError::input(format!(
            "{section}.policy.valid_to: the validity would end ({}) before it starts ({from}); expected valid_to on or after valid_from",
            to.map_or_else(String::new, |d| d.to_string())
        ))
    })?;
    Ok(version.with_validity(validity))
}

fn assistance(s: &AssistanceSection, source: &Source, trace: &mut Trace) -> ScenarioResult<AssistanceSettlement> {
    let preset = medfund_insurer::huizhou_2021().map_err(|e| ScenarioError::other(e.to_string()))?;
    let id = s.preset.as_deref().unwrap_or(medfund_insurer::HUIZHOU_2021);
    if id != preset.id() {
        return Err(unknown_preset("assistance", id, &[preset.id().to_owned()]));
    }
    let mut version: PolicyVersion<AssistancePolicy> = preset;
    if let Some(o) = &s.policy {
        let p = version.params_mut();
        if let Some(v) = o.fee_rate {
            p.fee_rate = v;
        }
        if let Some(v) = o.fee_cap {
            p.fee_cap = v.0;
        }
        if let Some(v) = o.prepay_march {
            p.prepay_march = v;
        }
        if let Some(v) = o.prepay_september {
            p.prepay_september = v;
        }
        if let Some(v) = o.advance_rate {
            p.advance_rate = v;
        }
        if let Some(v) = o.fee_settlement_days {
            p.fee_settlement_days = v.0;
        }
        if let Some(v) = o.fee_basis {
            p.fee_basis = v;
        }
        if let Some(v) = o.rounding {
            p.rounding = v;
        }
        if let Some(v) = o.fee_advance_date {
            p.fee_advance_date = v;
        }
        version = override_validity(version, "assistance", o.valid_from, o.valid_to)?;
    }
    let rows: Vec<CountyRow> =
        list(source, "assistance", "counties", s.counties.as_ref(), s.counties_csv.as_ref(), counties_from_csv)?;
    let csv = s.counties_csv.as_deref();
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
            ScenarioError::input(format!("{}.id: {e}", item_path("assistance", "counties", csv, second)))
        }
        InsurerError::SettlementBeforeYearEnd { county, field, year, .. } => ScenarioError::input(format!(
            "{}.{field}.{year}: {e}",
            item_path("assistance", "counties", csv, position(county))
        )),
        InsurerError::YearOutsideValidity { county, year, .. } => ScenarioError::input(format!(
            "{}.spend.{year}: {e}",
            item_path("assistance", "counties", csv, position(county))
        )),
        InsurerError::UnusedYear { county, field, year, .. } => ScenarioError::input(format!(
            "{}.{field}.{year}: {e}",
            item_path("assistance", "counties", csv, position(county))
        )),
        _ => lib_error("assistance", &e),
    })
}

fn supplementary(s: &SupplementarySection, source: &Source, trace: &mut Trace) -> ScenarioResult<SupplementaryReport> {
    let preset = medfund_insurer::xiamen_2007().map_err(|e| ScenarioError::other(e.to_string()))?;
    let id = s.preset.as_deref().unwrap_or(medfund_insurer::XIAMEN_2007);
    if id != preset.id() {
        return Err(unknown_preset("supplementary", id, &[preset.id().to_owned()]));
    }
    if s.insured_persons.0 == 0 && !s.no_insured_persons {
        return Err(ScenarioError::input(
            "supplementary.insured_persons: 0; expected the number of insured persons (at least 1), or no_insured_persons = true to confirm a scheme without any (no premiums)",
        ));
    }
    if s.insured_persons.0 > 0 && s.no_insured_persons {
        return Err(ScenarioError::input(format!(
            "supplementary.no_insured_persons: true, but insured_persons is {}; expected insured_persons = 0 with it",
            s.insured_persons.0
        )));
    }
    let mut version = preset;
    let policy = version.params_mut();
    if let Some(o) = &s.policy {
        if let Some(v) = o.year_start {
            policy.year_start = v;
        }
        if let Some(v) = o.fund_cap {
            policy.fund_cap = v.0;
        }
        if let Some(v) = o.insurer_rate {
            policy.insurer_rate = v;
        }
        if let Some(v) = o.insurer_cap {
            policy.insurer_cap = v.0;
        }
        if let Some(v) = o.premium_per_person {
            policy.premium_per_person = v.0;
        }
        if let Some(v) = o.rounding {
            policy.rounding = v;
        }
        version = override_validity(version, "supplementary", o.valid_from, o.valid_to)?;
    }
    let claims: Vec<Claim<String>> = match (&s.claims, &s.claims_csv) {
        (Some(_), Some(_)) => {
            return Err(ScenarioError::input(
                "supplementary: both claims and claims_csv are given; expected one or the other",
            ));
        }
        (Some(rows), None) => rows
            .iter()
            .map(|c| Claim { person: c.person.clone(), date: c.date.0, eligible_cost: c.eligible_cost.0 })
            .collect(),
        (None, Some(file)) => csvin::read_claims(source, "supplementary.claims_csv", file)?
            .into_iter()
            .map(|c| Claim { person: c.person, date: c.date.0, eligible_cost: c.eligible_cost })
            .collect(),
        (None, None) => Vec::new(),
    };
    let result =
        medfund_insurer::split_claims_in_force(&version, s.insured_persons.0, &claims).map_err(|e| match e {
            InsurerError::InvalidPolicy { .. } => lib_error("supplementary.policy", e),
            InsurerError::ClaimOutsideValidity { index, .. } => ScenarioError::input(format!(
                "{}.date: {e}",
                item_path("supplementary", "claims", s.claims_csv.as_deref(), index)
            )),
            InsurerError::ClaimOverflow { index, .. } => ScenarioError::input(format!(
                "{}.eligible_cost: {e}",
                item_path("supplementary", "claims", s.claims_csv.as_deref(), index)
            )),
            InsurerError::PremiumOverflow { .. } => lib_error("supplementary.insured_persons", e),
            other => lib_error("supplementary", other),
        })?;
    if trace.is_on() {
        trace_supplementary(version.params(), &claims, &result.claims, &result.years, s.insured_persons.0, trace);
    }
    let claims = claims
        .into_iter()
        .zip(result.claims)
        .map(|(c, split)| ClaimReport { person: c.person, date: c.date, split })
        .collect();
    Ok(SupplementaryReport { policy: version.id().to_owned(), claims, years: result.years })
}

fn trace_supplementary(
    policy: &SupplementaryPolicy,
    claims: &[Claim<String>],
    splits: &[ClaimSplit],
    years: &[YearSummary],
    persons: u64,
    trace: &mut Trace,
) {
    use medfund_insurer::supplementary::XIAMEN_RULE;
    for (i, (c, s)) in claims.iter().zip(splits).enumerate() {
        trace.record(|| {
            Step::new(
                format!("supplementary.claims[{i}]"),
                XIAMEN_RULE,
                "by the person's running eligible total in the medical year: the fund pays up to fund_cap; above it the insurer pays insurer_rate (rounded per claim) until insurer_cap; the person pays the rest",
            )
            .input("person", &c.person)
            .input("date", c.date)
            .input("medical_year", s.medical_year)
            .input("eligible_cost", c.eligible_cost)
            .input("fund_cap", policy.fund_cap)
            .input("insurer_rate", policy.insurer_rate)
            .input("insurer_cap", policy.insurer_cap)
            .result(format!("fund {}; insurer {}; person_pays {}", s.fund, s.insurer, s.person_pays))
        });
    }
    for y in years {
        trace.record(|| {
            Step::new(
                format!("supplementary.years.{}.insurer_result", y.medical_year),
                XIAMEN_RULE,
                "premium_per_person × insured_persons − Σ insurer",
            )
            .input("premium_per_person", policy.premium_per_person)
            .input("insured_persons", persons)
            .input("claims_paid", y.claims_paid)
            .result(y.insurer_result)
        });
    }
}

fn surplus(s: &SurplusSection, source: &Source, trace: &mut Trace) -> ScenarioResult<SurplusReport> {
    let preset = medfund_surplus::framework_2025().map_err(|e| ScenarioError::other(e.to_string()))?;
    let id = s.preset.as_deref().unwrap_or(medfund_surplus::FRAMEWORK_2025);
    if id != preset.id() {
        return Err(unknown_preset("surplus", id, &[preset.id().to_owned()]));
    }
    let mut policy: SurplusPolicy = preset.params().clone();
    if let Some(o) = &s.policy {
        if let Some(v) = &o.earmarks {
            policy.earmarks = v.clone();
        }
        if let Some(v) = o.primary_floor {
            policy.primary_floor = v;
        }
        if let Some(v) = o.floor_split {
            policy.floor_split = v;
        }
        if let Some(v) = o.weights {
            if v.chronic_care.is_negative() || v.workload.is_negative() {
                return Err(ScenarioError::input(
                    "surplus.policy.weights: a weight is negative; expected weights of zero or more",
                ));
            }
            policy.weights = v;
        }
        if let Some(v) = o.min_score {
            policy.min_score = v.0;
        }
        if let Some(v) = o.earmark_base {
            policy.earmark_base = v;
        }
        if let Some(v) = o.performance_includes_primary {
            policy.performance_includes_primary = v;
        }
        if let Some(v) = &o.allowed_categories {
            policy.allowed_categories = v.clone();
        }
        if let Some(v) = &o.other_categories {
            policy.other_categories = v.clone();
        }
        if let Some(v) = o.rounding {
            policy.rounding = v;
        }
    }
    let rows: Vec<InstitutionRow> =
        list(source, "surplus", "institutions", s.institutions.as_ref(), s.institutions_csv.as_ref(), Ok)?;
    let spending_rows: Vec<SpendingRow> =
        list(source, "surplus", "spending", s.spending.as_ref(), s.spending_csv.as_ref(), Ok)?;
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
    let csv_i = s.institutions_csv.as_deref();
    let csv_s = s.spending_csv.as_deref();
    let allocation =
        medfund_surplus::allocate(&policy, s.total.0, &institutions, &spending, trace).map_err(|e| match &e {
            SurplusError::DuplicateInstitution { id } => {
                let second = institutions.iter().enumerate().filter(|(_, i)| &i.id == id).nth(1).map_or(0, |(i, _)| i);
                ScenarioError::input(format!("{}.id: {e}", item_path("surplus", "institutions", csv_i, second)))
            }
            SurplusError::UnknownInstitution { line, .. } => {
                ScenarioError::input(format!("{}.institution: {e}", item_path("surplus", "spending", csv_s, *line)))
            }
            SurplusError::UnknownCategory { line, .. } => {
                ScenarioError::input(format!("{}.category: {e}", item_path("surplus", "spending", csv_s, *line)))
            }
            SurplusError::OverCommitted { .. } => ScenarioError::input(format!("surplus.policy: {e}")),
            _ => lib_error("surplus", &e),
        })?;
    Ok(SurplusReport {
        policy: preset.id().to_owned(),
        allocation,
        names: rows.iter().map(|r| r.name.clone()).collect(),
    })
}
