//! The scenario file model (contract §1, §3–§6, §8) and its loading from
//! TOML, JSON or standard input, with CSV files for large lists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use medfund_core::{Rate, Rounding, Share, YearStart};
use medfund_insurer::{FeeAdvanceDate, FeeBasis};
use medfund_riskpool::{Rationing, Scheme};
use medfund_surplus::{Earmark, EarmarkBase, FloorSplit, Level, Weights};
use serde::Deserialize;

use crate::error::{ScenarioError, ScenarioResult};
use crate::limits::{Limits, show_size};
use crate::values::{Amount, DateOrYear, IsoDate, NonNegativeQuantity, NonNegativeRate, Score, Whole32, Whole64, Year};

/// A whole scenario: every section optional.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// §3.
    pub(crate) riskpool: Option<RiskpoolSection>,
    /// §4.
    pub(crate) assistance: Option<AssistanceSection>,
    /// §5.
    pub(crate) supplementary: Option<SupplementarySection>,
    /// §6.
    pub(crate) surplus: Option<SurplusSection>,
    /// §8.
    pub(crate) projection: Option<ProjectionSection>,
}

impl Scenario {
    /// The number of Monte Carlo trials of the `[projection]`, if any.
    pub fn projection_trials(&self) -> Option<u64> {
        self.projection.as_ref().map(|p| u64::from(p.trials.0))
    }

    /// The sections present, in contract order.
    pub fn sections(&self) -> Vec<&'static str> {
        [
            self.riskpool.as_ref().map(|_| "riskpool"),
            self.assistance.as_ref().map(|_| "assistance"),
            self.supplementary.as_ref().map(|_| "supplementary"),
            self.surplus.as_ref().map(|_| "surplus"),
            self.projection.as_ref().map(|_| "projection"),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// `[riskpool]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RiskpoolSection {
    /// Built-in policy id (default `alxa-2020`).
    pub preset: Option<String>,
    /// The fund year.
    pub year: Year,
    /// Overrides of the preset.
    pub policy: Option<RiskpoolPolicyOverride>,
    /// The employee ledger.
    pub employee: Option<SchemeTable>,
    /// The resident ledger.
    pub resident: Option<SchemeTable>,
    /// Units, inline.
    pub units: Option<Vec<UnitRow>>,
    /// Units, from a CSV file.
    pub units_csv: Option<String>,
}

/// `[riskpool.policy]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RiskpoolPolicyOverride {
    /// Levy rate.
    pub levy_rate: Option<Share>,
    /// Cap as a multiple of revenue.
    pub cap_multiple: Option<NonNegativeRate>,
    /// Rationing.
    pub rationing: Option<Rationing>,
    /// Default league fiscal share.
    pub default_league_fiscal_share: Option<Share>,
    /// Rounding mode.
    pub rounding: Option<Rounding>,
}

/// `[riskpool.employee]` / `[riskpool.resident]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SchemeTable {
    /// Opening balance (default 0).
    pub opening_balance: Option<Amount>,
}

/// `[[riskpool.units]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnitRow {
    /// Unit id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Scheme.
    pub scheme: Scheme,
    /// Revenue.
    pub revenue: Amount,
    /// Expenditure.
    pub expenditure: Amount,
    /// Own rolling surplus (default 0).
    pub rolling_surplus: Option<Amount>,
    /// League fiscal share.
    pub league_fiscal_share: Option<Share>,
}

/// `[assistance]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssistanceSection {
    /// Built-in policy id (default `huizhou-2021`).
    pub preset: Option<String>,
    /// Overrides.
    pub policy: Option<AssistancePolicyOverride>,
    /// Counties, inline.
    pub counties: Option<Vec<CountyRow>>,
    /// Counties, from a CSV file (one row per county and year).
    pub counties_csv: Option<String>,
}

/// `[assistance.policy]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssistancePolicyOverride {
    /// Fee rate.
    pub fee_rate: Option<Share>,
    /// Fee cap.
    pub fee_cap: Option<Amount>,
    /// March prepayment share.
    pub prepay_march: Option<Share>,
    /// September prepayment share.
    pub prepay_september: Option<Share>,
    /// Advance rate.
    pub advance_rate: Option<Share>,
    /// Days for the fee settlement.
    pub fee_settlement_days: Option<Whole32>,
    /// Fee basis.
    pub fee_basis: Option<FeeBasis>,
    /// How the June fee advance is dated.
    pub fee_advance_date: Option<FeeAdvanceDate>,
    /// First day (or year) of validity.
    pub valid_from: Option<DateOrYear>,
    /// Last day (or year) of validity.
    pub valid_to: Option<DateOrYear>,
    /// Rounding.
    pub rounding: Option<Rounding>,
}

/// `[[assistance.counties]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountyRow {
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
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SupplementarySection {
    /// Built-in policy id (default `xiamen-2007`).
    pub preset: Option<String>,
    /// Overrides.
    pub policy: Option<SupplementaryPolicyOverride>,
    /// Insured persons, for the premiums: at least 1, unless
    /// `no_insured_persons` confirms a scheme without insured persons.
    pub insured_persons: Whole64,
    /// Confirms `insured_persons = 0` (no premiums at all).
    #[serde(default)]
    pub no_insured_persons: bool,
    /// Claims, inline.
    pub claims: Option<Vec<ClaimRow>>,
    /// Claims, from a CSV file.
    pub claims_csv: Option<String>,
}

/// `[supplementary.policy]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SupplementaryPolicyOverride {
    /// Medical-year start.
    pub year_start: Option<YearStart>,
    /// Fund cap.
    pub fund_cap: Option<Amount>,
    /// Insurer rate.
    pub insurer_rate: Option<Share>,
    /// Insurer cap.
    pub insurer_cap: Option<Amount>,
    /// Premium per person.
    pub premium_per_person: Option<Amount>,
    /// First day (or year) of validity.
    pub valid_from: Option<DateOrYear>,
    /// Last day (or year) of validity.
    pub valid_to: Option<DateOrYear>,
    /// Rounding.
    pub rounding: Option<Rounding>,
}

/// `[[supplementary.claims]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClaimRow {
    /// Person id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub person: String,
    /// Date.
    pub date: IsoDate,
    /// Eligible cost.
    pub eligible_cost: Amount,
}

/// `[surplus]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SurplusSection {
    /// Built-in policy id (default `framework-2025`).
    pub preset: Option<String>,
    /// Overrides.
    pub policy: Option<SurplusPolicyOverride>,
    /// The surplus to distribute.
    pub total: Amount,
    /// Institutions, inline.
    pub institutions: Option<Vec<InstitutionRow>>,
    /// Institutions, from a CSV file.
    pub institutions_csv: Option<String>,
    /// Spending lines, inline.
    pub spending: Option<Vec<SpendingRow>>,
    /// Spending lines, from a CSV file.
    pub spending_csv: Option<String>,
}

/// `[surplus.policy]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SurplusPolicyOverride {
    /// Earmarks (replace the preset's list).
    pub earmarks: Option<Vec<Earmark>>,
    /// Primary floor.
    pub primary_floor: Option<Share>,
    /// Floor split.
    pub floor_split: Option<FloorSplit>,
    /// Composite weights.
    pub weights: Option<Weights>,
    /// Minimum score.
    pub min_score: Option<Score>,
    /// Earmark base.
    pub earmark_base: Option<EarmarkBase>,
    /// Whether primary institutions share in the performance pool.
    pub performance_includes_primary: Option<bool>,
    /// Allowed use categories.
    pub allowed_categories: Option<Vec<String>>,
    /// Other known uses, outside the allowed ones.
    pub other_categories: Option<Vec<String>>,
    /// Rounding.
    pub rounding: Option<Rounding>,
}

/// `[[surplus.institutions]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstitutionRow {
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpendingRow {
    /// Institution id.
    #[serde(deserialize_with = "crate::values::non_empty_id")]
    pub institution: String,
    /// Category.
    pub category: String,
    /// Amount.
    pub amount: Amount,
}

/// `[projection]` (§8): computed by `medfund simulate`; `run` and `check` validate it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectionSection {
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
}

/// Revenue and expenditure growth.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrowthPair {
    /// Revenue growth.
    pub revenue_growth: Growth,
    /// Expenditure growth.
    pub expenditure_growth: Growth,
}

/// A normal distribution of a yearly growth rate.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Growth {
    /// Mean.
    pub mean: Rate,
    /// Standard deviation.
    pub sd: NonNegativeRate,
}

/// `[[projection.units]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectionUnit {
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

/// Where a scenario came from: its display name and the folder CSV paths are relative to.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// Shown in messages (`demo`, `-`, a path).
    pub name: String,
    /// Folder for relative CSV paths.
    pub base: PathBuf,
    /// What the run may read and hold.
    pub limits: Limits,
}

/// The text format of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML.
    Toml,
    /// JSON.
    Json,
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count().saturating_add(1);
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()).saturating_add(1);
    (line, col)
}

fn path_prefix(path: &serde_path_to_error::Path) -> String {
    let p = path.to_string();
    if p == "." { String::new() } else { format!("{p}: ") }
}

/// Parses scenario text. Errors name the source, line and column where the
/// parser knows them, the field path, and what was expected.
pub(crate) fn parse(text: &str, format: Format, source: &Source) -> ScenarioResult<Scenario> {
    // Text handed over by an embedder may still start with a byte-order mark.
    let text = text.strip_prefix(BOM).unwrap_or(text);
    match format {
        Format::Toml => {
            let de = toml_document(text).map_err(|e| toml_error(&e, text, source, ""))?;
            serde_path_to_error::deserialize(crate::strict::Strict(de)).map_err(|e| {
                let prefix = path_prefix(e.path());
                toml_error(e.inner(), text, source, &prefix)
            })
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let scenario: Scenario = serde_path_to_error::deserialize(crate::strict::Strict(&mut de)).map_err(|e| {
                let prefix = path_prefix(e.path());
                json_error(e.inner(), text, source, &prefix)
            })?;
            de.end().map_err(|e| json_error(&e, text, source, ""))?;
            Ok(scenario)
        }
    }
}

/// A TOML document ready to deserialize, its floats handed on as their
/// literal text: the toml crate reads a float through `f64`, which would
/// turn `72344990687247.04` into `.05`. Money, rates and quantities read
/// the text with the same grammar as strings and JSON numbers; spans stay
/// as parsed, so errors keep their line and column.
pub(crate) fn toml_document(text: &str) -> Result<toml::de::Deserializer<'_>, toml::de::Error> {
    let mut root = toml::de::DeTable::parse(text)?;
    for (_, value) in root.get_mut().iter_mut() {
        floats_as_text(value.get_mut());
    }
    Ok(toml::de::Deserializer::from(root))
}

fn floats_as_text(value: &mut toml::de::DeValue<'_>) {
    use toml::de::DeValue;
    match value {
        DeValue::Float(f) => {
            // TOML allows `_` between digits; the number grammar does not.
            let literal = f.as_str().replace('_', "");
            *value = DeValue::String(std::borrow::Cow::Owned(literal));
        }
        DeValue::Array(items) => items.iter_mut().for_each(|item| floats_as_text(item.get_mut())),
        DeValue::Table(table) => table.iter_mut().for_each(|(_, item)| floats_as_text(item.get_mut())),
        DeValue::String(_) | DeValue::Integer(_) | DeValue::Boolean(_) | DeValue::Datetime(_) => {}
    }
}

fn toml_error(e: &toml::de::Error, text: &str, source: &Source, prefix: &str) -> ScenarioError {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            ScenarioError::input(format!("{}:{line}:{col}: {prefix}{message}", source.name))
        }
        None => ScenarioError::input(format!("{}: {prefix}{message}", source.name)),
    }
}

fn json_error(e: &serde_json::Error, text: &str, source: &Source, prefix: &str) -> ScenarioError {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full.get(..i).unwrap_or(&full).to_owned(),
        None => full,
    };
    if e.line() == 0 {
        return ScenarioError::input(format!("{}: {prefix}{message}", source.name));
    }
    // serde_json says column 0 for an error before the first character.
    let (mut line, mut column) = (e.line(), e.column().max(1));
    // A value that was read but refused is reported after its last
    // character; point at its first instead, where a reader looks.
    if e.classify() == serde_json::error::Category::Data {
        if let Some(start) = value_start(text, line, column) {
            (line, column) = line_col(text, start);
        }
    }
    ScenarioError::input(format!("{}:{line}:{column}: {prefix}{message}", source.name))
}

/// The byte offset where the JSON string or scalar ending just before
/// 1-based `line`:`column` starts; `None` for anything else (a table or list).
fn value_start(text: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = text.split_inclusive('\n').take(line.checked_sub(1)?).map(str::len).sum::<usize>();
    let line_text = text.get(line_start..)?.split('\n').next()?;
    let end = line_start
        .checked_add(line_text.char_indices().nth(column.checked_sub(1)?).map_or(line_text.len(), |(i, _)| i))?;
    // A string is reported at its closing quote, a scalar just after it.
    let end = if text.get(end..)?.starts_with('"') { end.checked_add(1)? } else { end };
    let before = text.get(..end)?;
    let last = before.chars().next_back()?;
    if last == '"' {
        // Back to the opening quote: the first `"` not preceded by an odd run of `\`.
        let body = before.get(..before.len().checked_sub(1)?)?;
        let mut i = body.len();
        while let Some(q) = body.get(..i)?.rfind('"') {
            let slashes = body.get(..q)?.bytes().rev().take_while(|&b| b == b'\\').count();
            if slashes % 2 == 0 {
                return Some(q);
            }
            i = q;
        }
        None
    } else if last.is_ascii_alphanumeric() || matches!(last, '.' | '+' | '-') {
        let scalar =
            before.bytes().rev().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-')).count();
        before.len().checked_sub(scalar)
    } else {
        None
    }
}

/// The UTF-8 byte-order mark that Windows editors put before text.
const BOM: char = '\u{feff}';

/// The format of text on standard input: JSON when its first character
/// (after white space) opens an object, else TOML (whose tables open with
/// `[`; a scenario is never a JSON array).
fn detect(text: &str) -> Format {
    if text.trim_start().starts_with('{') { Format::Json } else { Format::Toml }
}

/// Reads the text of a scenario from a path, or from standard input for
/// `-`. `format` overrides the file's extension (and, for standard input,
/// detection by the first character). A leading byte-order mark is dropped.
/// Only a regular file is read, and no more than `limits.scenario_bytes`.
pub(crate) fn read_text(
    path: &str,
    format: Option<Format>,
    limits: &Limits,
) -> ScenarioResult<(String, Format, Source)> {
    let too_large = || {
        ScenarioError::input(format!(
            "{path}: the scenario is larger than {}; expected a smaller scenario, lists in CSV files, or --max-scenario-size",
            show_size(limits.scenario_bytes)
        ))
    };
    let read_all = |reader: &mut dyn std::io::Read, what: &str| -> ScenarioResult<String> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(reader, limits.scenario_bytes.saturating_add(1)),
            &mut bytes,
        )
        .map_err(|e| ScenarioError::input(format!("{path}: cannot read {what}: {e}")))?;
        if u64::try_from(bytes.len()).map_or(true, |n| n > limits.scenario_bytes) {
            return Err(too_large());
        }
        String::from_utf8(bytes).map_err(|e| {
            ScenarioError::input(format!(
                "{path}: {what} is not UTF-8 text ({e}); expected a UTF-8 TOML or JSON scenario"
            ))
        })
    };
    if path == "-" {
        let text = read_all(&mut std::io::stdin().lock(), "standard input")?;
        let text = text.strip_prefix(BOM).map(str::to_owned).unwrap_or(text);
        let format = format.unwrap_or_else(|| detect(&text));
        let source = Source { name: "-".into(), base: PathBuf::from("."), limits: limits.clone() };
        return Ok((text, format, source));
    }
    let p = Path::new(path);
    let by_extension = match p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("toml") => Some(Format::Toml),
        Some("json") => Some(Format::Json),
        _ => None,
    };
    let Some(format) = format.or(by_extension) else {
        return Err(ScenarioError::input(format!(
            "{path}: unknown scenario format; expected a .toml or .json file, - for standard input, or --input-format toml|json"
        )));
    };
    let (mut file, len) = crate::limits::open_regular(p)
        .map_err(|e| ScenarioError::input(format!("{path}: cannot read the file: {e}")))?;
    if len > limits.scenario_bytes {
        return Err(too_large());
    }
    let mut text = read_all(&mut file, "the file")?;
    if text.starts_with(BOM) {
        text.drain(..BOM.len_utf8());
    }
    let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
    let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
    Ok((text, format, Source { name: path.to_owned(), base, limits: limits.clone() }))
}

/// Reads a scenario from a path or standard input (see [`read_text`]).
pub(crate) fn load(path: &str, format: Option<Format>, limits: &Limits) -> ScenarioResult<(Scenario, Source)> {
    let (text, format, source) = read_text(path, format, limits)?;
    Ok((parse(&text, format, &source)?, source))
}
