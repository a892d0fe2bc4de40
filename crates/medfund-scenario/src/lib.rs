//! # medfund-scenario
//!
//! The scenario contract of medfund as a library: parse a scenario (TOML or
//! JSON, with CSV files for large lists), check it, compute every section
//! through the rule crates, and build the report of the contract (JSON, and
//! tables for the table, markdown and CSV renderers). The `medfund` command,
//! the HTTP service and the Python package are front ends over these
//! functions; none of them computes anything of its own.
//!
//! The contract itself is `docs/scenario-format.md` in the repository; the
//! bounds a run keeps to are [`Limits`] (`docs/limits.md`).
//!
//! ```
//! use medfund_scenario::{parse_scenario, render_json, run_scenario, ScenarioFormat};
//! let text = r#"
//! [surplus]
//! total = "100万"
//! [[surplus.institutions]]
//! id = "town-a"
//! level = "primary"
//! chronic_care_score = 80
//! workload = 100
//! "#;
//! let scenario = parse_scenario(text, ScenarioFormat::Toml, "example.toml")?;
//! let report = run_scenario(&scenario, "example.toml", false)?;
//! assert!(render_json(&report, false)?.contains(r#""total":"980000.00""#));
//! # Ok::<(), medfund_scenario::ScenarioError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod claims_run;
mod compute;
mod contrib_tables;
mod csvin;
mod error;
mod json_document;
mod limits;
mod lists;
mod onestop_tables;
mod overrides;
mod parse;
mod presets;
mod projection_tables;
mod render;
mod report;
mod report_size;
mod report_tables;
mod scenario;
mod shards;
mod simulate;
mod strict;
mod sweep;
mod sweep_settings;
mod tablein;
mod values;
mod variants;

use std::path::PathBuf;

pub use crate::claims_run::{ClaimsFormat, ClaimsRun, INLINE_CLAIMS_LIMIT, Inline, MoneyUnit};
pub use crate::error::{EXIT_INPUT, EXIT_OTHER, ErrorKind, MAX_ERROR_TEXT_CHARS, ScenarioError, ScenarioResult, codes};
pub use crate::json_document::json_document;
pub use crate::limits::{Limits, parse_size};
pub use crate::lists::{ListFile, ListFolder, ListSource, Lists, ListsInMemory};
pub use crate::parse::Format as ScenarioFormat;
pub use crate::presets::PresetInfo;
pub use crate::render::Lang;
pub use crate::report::{REPORT_FORMAT, Report};
pub use crate::scenario::Scenario;
pub use crate::shards::ShardMerge;
pub use crate::simulate::ProjectionStep;
pub use crate::simulate::{ProjectedUnitStats, Projection};
pub use crate::sweep::{Setting, Sweep, SweepRow, link_settings};
pub use crate::variants::{Comparison, Difference};
pub use medfund_insurer::{Claim, ClaimSplit, SupplementaryResult, YearSummary, merge_year_summaries};
pub use medfund_riskpool::TrialBlock;
pub use medfund_riskpool::stream::{Gathered, Plan};

/// The bundled demo scenario (also shipped as `examples/demo.toml`).
pub const DEMO: &str = include_str!("../scenarios/demo.toml");

/// Parses scenario text; `name` is used in messages and CSV paths are
/// relative to the current directory.
pub fn parse_scenario(text: &str, format: ScenarioFormat, name: &str) -> ScenarioResult<Scenario> {
    scenario::parse(text, format, &source(name, PathBuf::from("."), &Limits::default()))
}

/// Reads a scenario from a JSON value already in memory (a document parsed
/// elsewhere, a Python dict): the same checks as [`parse_scenario`], with
/// errors that name the field path (a value keeps no line or column).
///
/// ```
/// let doc = serde_json::json!({"surplus": {"total": "1.234"}});
/// let err = medfund_scenario::parse_scenario_value(doc, "request").unwrap_err();
/// assert_eq!(err.path.as_deref(), Some("surplus.total"));
/// ```
pub fn parse_scenario_value(doc: serde_json::Value, name: &str) -> ScenarioResult<Scenario> {
    parse::parse_value(doc, name)
}

fn source(name: &str, lists: impl Into<Lists>, limits: &Limits) -> scenario::Source {
    scenario::Source {
        name: name.into(),
        lists: lists.into(),
        limits: limits.clone(),
        claims: claims_run::ClaimsRun::default(),
    }
}

/// Reads a scenario file (`.toml`, `.json`) or standard input (`-`: JSON
/// or TOML, told apart by the first character); `format` overrides the
/// extension and the detection. A leading UTF-8 byte-order mark is
/// ignored; only a regular file of at most `limits.scenario_bytes` is read.
/// Returns the scenario with the folder its CSV paths are relative to.
pub fn load_scenario(
    path: &str,
    format: Option<ScenarioFormat>,
    limits: &Limits,
) -> ScenarioResult<(Scenario, PathBuf)> {
    scenario::load(path, format, limits).map(|(s, _)| (s, parse::folder_of(path)))
}

/// Computes every section of a scenario. `lists` is where the list files
/// it names are read from: the folder its CSV paths are relative to (a
/// `PathBuf`, see [`load_scenario`]), [`ListsInMemory`], or any
/// [`ListSource`]; `explain` adds the audit trail; `limits` bounds what
/// list files and a projection may take.
pub fn run_scenario_in(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    explain: bool,
    limits: &Limits,
) -> ScenarioResult<Report> {
    compute::run(scenario, &source(name, lists, limits), explain)
}

/// As [`run_scenario_in`], but a section that fails does not stop the
/// others: `Err` holds the first error of each failing section (at most 100),
/// for front ends that report every error at once.
pub fn run_scenario_all(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    explain: bool,
    limits: &Limits,
) -> Result<Report, Vec<ScenarioError>> {
    compute::run_collecting(scenario, &source(name, lists, limits), explain)
}

/// As [`run_scenario_all`], with the claims options of §5.3: a file for
/// the per-claim results, when the report inlines them, the memory budget
/// of the claims. Claims from files are settled within that budget whatever
/// their number.
pub fn run_scenario_with(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    explain: bool,
    limits: &Limits,
    claims: &ClaimsRun,
) -> Result<Report, Vec<ScenarioError>> {
    let mut source = source(name, lists, limits);
    source.claims = claims.clone();
    compute::run_collecting(scenario, &source, explain)
}

/// Computes every section of a scenario whose CSV paths (if any) are relative
/// to the current directory, with the default limits.
pub fn run_scenario(scenario: &Scenario, name: &str, explain: bool) -> ScenarioResult<Report> {
    run_scenario_in(scenario, name, PathBuf::from("."), explain, &Limits::default())
}

/// The JSON report of the contract (compact, or indented with `pretty`).
pub fn render_json(report: &Report, pretty: bool) -> ScenarioResult<String> {
    let text = if pretty { serde_json::to_string_pretty(report) } else { serde_json::to_string(report) };
    text.map_err(|e| ScenarioError::other(format!("cannot write JSON: {e}")))
}

/// Streams the JSON report to `out` (buffered), followed by a newline.
pub fn write_json<W: std::io::Write>(report: &Report, pretty: bool, out: W) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let written =
        if pretty { serde_json::to_writer_pretty(&mut out, report) } else { serde_json::to_writer(&mut out, report) };
    written.map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The aligned terminal report.
pub fn render_table(report: &Report, lang: Lang) -> String {
    render::render_table(&report_tables::tables(report), lang)
}

/// Markdown tables.
pub fn render_markdown(report: &Report, lang: Lang) -> String {
    render::render_markdown(&report_tables::tables(report), lang)
}

/// Every table as CSV on one stream (`# name` before each table).
pub fn render_csv(report: &Report) -> ScenarioResult<Vec<u8>> {
    render::render_csv(&report_tables::tables(report))
}

/// Writes one CSV file per table into `dir`.
pub fn write_csv_dir(report: &Report, dir: &std::path::Path) -> ScenarioResult<Vec<PathBuf>> {
    render::write_csv_dir(&report_tables::tables(report), dir)
}

/// Runs the Monte Carlo projection (§8) of a scenario with `[riskpool]` and
/// `[projection]`; `progress` hears the number of trials finished.
pub fn simulate_scenario(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    limits: &Limits,
    progress: &(dyn Fn(u64) + Sync),
) -> ScenarioResult<Projection> {
    simulate::run(scenario, &source(name, lists, limits), progress)
}

/// [`simulate_scenario`], also writing every trial's path to `out` (`.csv`,
/// `.parquet` or `.arrow`; money in `unit`): one row per trial, scheme and
/// projected year with `trial`, `scheme`, `year`, `closing_balance`,
/// `unresolved` and `actuarial_review`, for statistics the report does not
/// compute. The file appears under its name only once complete. Returns the
/// projection and the number of rows written.
pub fn simulate_scenario_with_paths(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    limits: &Limits,
    progress: &(dyn Fn(u64) + Sync),
    out: &std::path::Path,
    unit: MoneyUnit,
) -> ScenarioResult<(Projection, u64)> {
    simulate::run_with_paths(scenario, &source(name, lists, limits), progress, out, unit)
}

/// Runs only the trials `trials` (a range of `0..trials` of the
/// `[projection]`) of a scenario's projection, with every check of
/// [`simulate_scenario`]: blocks run apart (processes, machines) and given
/// to [`projection_from_blocks`] make exactly the projection of
/// [`simulate_scenario`], whatever the partition. [`TrialBlock::to_bytes`]
/// carries a block between processes.
pub fn simulate_scenario_trials(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    limits: &Limits,
    trials: std::ops::Range<u32>,
) -> ScenarioResult<TrialBlock> {
    let source = source(name, lists, limits);
    simulate::prepare(scenario, &source)?.trials(&source, trials)
}

/// The projection of a scenario from blocks of its trials that together
/// hold every trial once (see [`simulate_scenario_trials`]).
pub fn projection_from_blocks(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    limits: &Limits,
    blocks: Vec<TrialBlock>,
) -> ScenarioResult<Projection> {
    let source = source(name, lists, limits);
    simulate::prepare(scenario, &source)?.merge(&source, blocks)
}

/// The first pass of a scenario's projection by the two-pass method
/// (contract §8 "Many trials"), to run over ranges of trials apart
/// (processes, machines): [`projection_gather`] each range, then
/// [`projection_next`] with every range's outcome, until it gives the
/// projection — exactly [`simulate_scenario`]'s, whatever the ranges, with
/// memory independent of the trials. [`Plan::to_bytes`] and
/// [`Gathered::to_bytes`] carry them between processes.
pub fn projection_plan(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    limits: &Limits,
) -> ScenarioResult<Plan> {
    let source = source(name, lists, limits);
    simulate::prepare(scenario, &source)?.plan(&source)
}

/// The pass of `plan` over the trials `trials` of a scenario's projection
/// (see [`projection_plan`]).
pub fn projection_gather(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    limits: &Limits,
    plan: &Plan,
    trials: std::ops::Range<u32>,
) -> ScenarioResult<Gathered> {
    let source = source(name, lists, limits);
    simulate::prepare(scenario, &source)?.gather(&source, plan, trials)
}

/// What the outcomes of `plan`'s pass over every trial (in any order)
/// give: the next pass, or the projection (see [`projection_plan`]).
pub fn projection_next(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    limits: &Limits,
    plan: Plan,
    gathered: Vec<Gathered>,
) -> ScenarioResult<ProjectionStep> {
    let source = source(name, lists, limits);
    simulate::prepare(scenario, &source)?.next(&source, plan, gathered)
}

/// One shard of a scenario's projection run apart (another process or
/// machine: `medfund simulate --trials-from A --trials-to B --pass-out F`):
/// the outcome of a pass of the two-pass method (§8 "Many trials") over
/// the trials `trials` (numbered from 0, the end excluded), as the bytes of
/// a pass file. `plan` is the pass's plan file (name, bytes) from
/// [`projection_merge_shards`], or `None` for the first pass. Memory does
/// not grow with the trials.
pub fn projection_shard(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    limits: &Limits,
    plan: Option<(&str, &[u8])>,
    trials: std::ops::Range<u32>,
    progress: &(dyn Fn(u64) + Sync),
) -> ScenarioResult<Vec<u8>> {
    let source = source(name, lists, limits);
    simulate::prepare(scenario, &source)?.shard(&source, plan, trials, progress)
}

/// Merges the pass files (name, bytes) of every shard of a pass — together
/// every trial once, in any order — into the next pass's plan file or the
/// projection, exactly [`simulate_scenario`]'s. Files of another
/// projection (scenario, inputs, seed, trials, quantiles or medfund
/// version), of another pass, or missing or repeating trials are errors.
pub fn projection_merge_shards(
    scenario: &Scenario,
    name: &str,
    lists: impl Into<Lists>,
    limits: &Limits,
    plan: Option<(&str, &[u8])>,
    passes: &[(&str, &[u8])],
) -> ScenarioResult<ShardMerge> {
    let source = source(name, lists, limits);
    simulate::prepare(scenario, &source)?.merge_shards(&source, plan, passes)
}

/// The supplementary split (§5) of claims held in memory (the columns of
/// an Arrow table, a DataFrame), without a scenario file or a report:
/// `settings` is a `[supplementary]` table as JSON (`preset`, `policy`,
/// `insured_persons`, `no_insured_persons`) with no claims of its own. The
/// policy is resolved, checked and applied exactly as for a scenario's
/// claims, and errors name the claim as `supplementary.claims[i]`. Returns
/// the id of the policy applied and the result (splits in input order,
/// then the summary of each medical year).
///
/// ```
/// use medfund_scenario::{Claim, split_supplementary_claims};
/// let claims = [Claim {
///     person: "p1",
///     date: "2024-03-01".parse().unwrap(),
///     eligible_cost: "150000".parse().unwrap(),
/// }];
/// let (policy, result) =
///     split_supplementary_claims(serde_json::json!({"insured_persons": 1000}), &claims)?;
/// assert_eq!(policy, "xiamen-2007");
/// let split = result.claims[0];
/// assert_eq!(split.fund.to_string(), "53000.00"); // the fund's cap per medical year
/// let total = split.fund.fen() + split.insurer.fen() + split.person_pays.fen();
/// assert_eq!(total, 150_000_00);
/// # Ok::<(), medfund_scenario::ScenarioError>(())
/// ```
pub fn split_supplementary_claims<P: std::hash::Hash + Eq + Clone + Sync>(
    settings: serde_json::Value,
    claims: &[Claim<P>],
) -> ScenarioResult<(String, SupplementaryResult)> {
    compute::split_given(&supplementary_settings(settings)?, claims)
}

/// The medical-year summaries of claim splits made under the
/// `[supplementary]` settings `settings` (see [`split_supplementary_claims`]):
/// for a split run in parts (claims partitioned by person), each part's
/// summaries, merged with [`merge_year_summaries`], are the whole split's.
pub fn supplementary_year_summaries(
    settings: serde_json::Value,
    splits: &[ClaimSplit],
) -> ScenarioResult<Vec<YearSummary>> {
    compute::summaries_given(&supplementary_settings(settings)?, splits)
}

fn supplementary_settings(settings: serde_json::Value) -> ScenarioResult<scenario::SupplementarySection> {
    let mut doc = serde_json::Map::new();
    doc.insert("supplementary".into(), settings);
    let scenario = parse::parse_value(serde_json::Value::Object(doc), "settings")?;
    Ok(scenario
        .supplementary
        .expect("invariant: a document with a supplementary key parses to a scenario with that section"))
}

/// `{"key": value}` and a newline, compact or indented: the JSON that
/// `compare` and `sweep` print (`{"compare": …}`), the same bytes from every
/// front end.
pub fn wrapped_json<T: serde::Serialize>(key: &str, value: &T, pretty: bool) -> ScenarioResult<Vec<u8>> {
    let mut map = serde_json::Map::new();
    let value = serde_json::to_value(value).map_err(|e| ScenarioError::other(format!("cannot write JSON: {e}")))?;
    map.insert(key.to_owned(), value);
    let written = if pretty { serde_json::to_vec_pretty(&map) } else { serde_json::to_vec(&map) };
    let mut out = written.map_err(|e| ScenarioError::other(format!("cannot write JSON: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// The projection as the JSON of the contract: `{"projection": {…}}`.
pub fn write_projection_json<W: std::io::Write>(projection: &Projection, pretty: bool, out: W) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct Wrapper<'a> {
        projection: &'a Projection,
    }
    let mut out = std::io::BufWriter::new(out);
    let wrapper = Wrapper { projection };
    let written = if pretty {
        serde_json::to_writer_pretty(&mut out, &wrapper)
    } else {
        serde_json::to_writer(&mut out, &wrapper)
    };
    written.map_err(std::io::Error::from)?;
    std::io::Write::write_all(&mut out, b"\n")?;
    std::io::Write::flush(&mut out)
}

/// The projection's tables (one per scheme), for the table, markdown and CSV renderers.
pub fn projection_tables(projection: &Projection) -> Vec<render::Table> {
    projection_tables::tables(projection)
}

/// Runs two scenario files and compares their JSON reports figure by figure
/// (§9); `format` as for [`load_scenario`].
pub fn compare_files(
    base: &str,
    variant: &str,
    format: Option<ScenarioFormat>,
    limits: &Limits,
) -> ScenarioResult<Comparison> {
    let report = |path: &str| -> ScenarioResult<Report> {
        let (scenario, source) = scenario::load(path, format, limits)?;
        compute::run(&scenario, &source, false)
    };
    let (a, b) = (report(base)?, report(variant)?);
    variants::compare(base, &a, variant, &b)
}

/// The comparison as a table.
pub fn comparison_table(c: &Comparison) -> render::Table {
    variants::comparison_table(c)
}

/// Runs a scenario file once per combination of `settings` (cartesian
/// product, in parallel) and collects each run's headline figures (§9);
/// `format` as for [`load_scenario`].
pub fn sweep_file(
    path: &str,
    settings: &[Setting],
    format: Option<ScenarioFormat>,
    limits: &Limits,
) -> ScenarioResult<Sweep> {
    let (doc, source) = sweep::document(path, format, limits)?;
    sweep::sweep(&doc, &source, settings)
}

/// Runs a sweep as [`sweep_file`] does, but hands each row to `row` in
/// cartesian order as soon as its chunk is done, so that a caller can write
/// it out at once; `progress(done, total)` hears each combination finished
/// (from any thread; a caller may stop the sweep there by unwinding).
/// Returns the number of combinations.
pub fn sweep_file_each(
    path: &str,
    settings: &[Setting],
    format: Option<ScenarioFormat>,
    limits: &Limits,
    progress: &(dyn Fn(u64, u64) + Sync),
    row: &mut dyn FnMut(SweepRow) -> ScenarioResult<()>,
) -> ScenarioResult<u64> {
    let (doc, source) = sweep::document(path, format, limits)?;
    sweep::sweep_each(&doc, &source, settings, progress, row)
}

/// Runs a scenario document already in memory (a request body, a Python
/// dict) once per combination of `settings`, as [`sweep_file_each`] does;
/// `name` names it in messages, `lists` gives the lists it names (as for
/// [`run_scenario_in`]).
pub fn sweep_value_each(
    doc: serde_json::Value,
    name: &str,
    lists: impl Into<Lists>,
    settings: &[Setting],
    limits: &Limits,
    progress: &(dyn Fn(u64, u64) + Sync),
    row: &mut dyn FnMut(SweepRow) -> ScenarioResult<()>,
) -> ScenarioResult<u64> {
    sweep::sweep_each(&doc, &source(name, lists, limits), settings, progress, row)
}

/// A scenario as a JSON document (TOML read as JSON), before any check
/// but its syntax: the document a sweep edits, for callers that build one.
/// `path` is a file (or `-`), as for [`load_scenario`].
pub fn scenario_document_file(
    path: &str,
    format: Option<ScenarioFormat>,
    limits: &Limits,
) -> ScenarioResult<serde_json::Value> {
    sweep::document(path, format, limits).map(|(doc, _)| doc)
}

/// As [`scenario_document_file`], for text in memory; `name` names it in errors.
pub fn scenario_document(text: &str, format: ScenarioFormat, name: &str) -> ScenarioResult<serde_json::Value> {
    sweep::document_of_text(text, format, name, &Limits::default())
}

/// The number of combinations of `settings` (checked as a sweep checks
/// them, against `limits`), for callers that split a sweep into parts.
pub fn sweep_combinations(settings: &[Setting], limits: &Limits) -> ScenarioResult<u64> {
    sweep::combinations(settings, &source("sweep", PathBuf::from("."), limits))
}

/// Runs the combinations `range` (in cartesian order) of a sweep of a
/// document in memory, as [`sweep_value_each`] runs them all: parts of one
/// sweep run apart (processes, machines) give, put in order, exactly its
/// rows. Returns the number of combinations of the whole sweep.
pub fn sweep_value_range(
    doc: serde_json::Value,
    name: &str,
    lists: impl Into<Lists>,
    settings: &[Setting],
    limits: &Limits,
    range: std::ops::Range<u64>,
    row: &mut dyn FnMut(SweepRow) -> ScenarioResult<()>,
) -> ScenarioResult<u64> {
    sweep::sweep_range(&doc, &source(name, lists, limits), settings, Some(range), &|_, _| {}, row)
}

/// Compares two reports already computed (§9), figure by figure; the names
/// label them in the comparison.
pub fn compare_reports(
    base_name: &str,
    base: &Report,
    variant_name: &str,
    variant: &Report,
) -> ScenarioResult<Comparison> {
    variants::compare(base_name, base, variant_name, variant)
}

/// The cells of one sweep row (parameters, then the named figures), for the
/// renderers: with [`tables::csv_record`], a CSV row.
pub fn sweep_row_cells(parameters: &[String], figure_names: &[String], row: &SweepRow) -> Vec<tables::Cell> {
    sweep::sweep_cells(parameters, figure_names, row)
}

/// The sweep as a table.
pub fn sweep_table(s: &Sweep) -> render::Table {
    sweep::sweep_table(s)
}

/// Every built-in policy preset of every section: id, section, region,
/// title, document (文号) and validity.
pub fn policies() -> ScenarioResult<Vec<PresetInfo>> {
    Ok(presets::Registry::built_in()?.list())
}

/// The presets as a table, for the renderers.
pub fn policies_table(presets: &[PresetInfo]) -> tables::Table {
    presets::presets_table(presets)
}

/// The JSON Schema of a scenario document (JSON, or TOML read as JSON),
/// generated from the model: `docs/schema/scenario.schema.json`.
pub fn scenario_schema() -> serde_json::Value {
    schemars::schema_for!(Scenario).to_value()
}

/// The JSON Schema of the JSON report of `run`: `docs/schema/report.schema.json`.
pub fn report_schema() -> serde_json::Value {
    schemars::schema_for!(Report).to_value()
}

/// Every table of a report, for the renderers.
pub fn report_tables(report: &Report) -> Vec<render::Table> {
    report_tables::tables(report)
}

/// The model of a scenario and of its report, for reading them in Rust
/// (the JSON is the same data): every type `#[non_exhaustive]` or with
/// private fields, so a scenario is made by parsing (where it is checked)
/// and a report by running one.
///
/// ```
/// use medfund_scenario::{DEMO, ScenarioFormat, parse_scenario, run_scenario};
/// let scenario = parse_scenario(DEMO, ScenarioFormat::Toml, "demo")?;
/// let riskpool = scenario.riskpool.as_ref().unwrap();
/// assert_eq!(riskpool.year.get(), 2023);
/// let report = run_scenario(&scenario, "demo", false)?;
/// let employee = report.riskpool.as_ref().unwrap().schemes.employee.as_ref().unwrap();
/// assert_eq!(employee.totals.levy.to_string(), "26830000.00");
/// # Ok::<(), medfund_scenario::ScenarioError>(())
/// ```
pub mod model {
    pub use crate::overrides::PolicyTable;
    pub use crate::report::{
        ClaimReport, ClaimSubsidies, ContributionsReport, EmployeeReport, EmployeesReport, FundsReport, LateFeesReport,
        OneStopReport, Report, ResidentsReport, RiskpoolReport, SchemeReport, SchemesReport, SettlementYear,
        SupplementaryReport, SurplusReport, UnitFundsReport, UnitReport,
    };
    pub use crate::scenario::{
        ArrearRow, AssistanceSection, ClaimRow, ContributionsSection, CountyRow, EmployeeRow, FiguresChoice, Growth,
        GrowthPair, HeadcountRow, InstitutionRow, LateFeesTable, LevyTable, PersonRow, ProjectionReform,
        ProjectionSection, ProjectionShocks, ProjectionUnit, ResidentsTable, RetireeAccountsFrom, RevenueFrom,
        RiskpoolSection, Scenario, SchemeTable, SpendingRow, SupplementarySection, SurplusSection, SweepYears,
        UnitCorrelation, UnitRow,
    };
    pub use crate::values::{
        Amount, DateOrYear, IsoDate, NonNegativeQuantity, NonNegativeRate, Score, Whole32, Whole64, Year,
    };
}

/// The typed table model and its renderers, for reports of your own.
pub mod tables {
    pub use crate::render::{
        Cell, Column, Table, columns, csv_cells, csv_record, localized, render_csv, render_markdown, render_table,
        write_csv_dir,
    };
}
