//! `medfund simulate`: the Monte Carlo roll-forward of the risk-sharing fund (§8).

use medfund_columnar::TableFile;
use medfund_columnar::paths::{PathRow, paths_batch, paths_schema};
use medfund_core::Money;
use medfund_riskpool::{
    ProjectedScheme, ProjectedUnit, ProjectionSpec, RiskPoolPolicy, Scheme, SchemeProjection, SummaryOptions,
    TrialBlock, UnitFigures,
};
use serde::Serialize;
use std::ops::Range;
use std::path::Path;

use medfund_riskpool::stream::{self, Gathered, Plan, Step};

use crate::claims_run::{ClaimsFormat, MoneyUnit};

use crate::error::{ScenarioError, ScenarioResult};
use crate::scenario::{Scenario, Source, UnitRow};

/// Rows of trial paths per batch written.
const PATH_BATCH: usize = 1 << 16;

/// The projection report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Projection {
    pub(crate) trials: u32,
    pub(crate) seed: u64,
    pub(crate) schemes: ProjectionSchemes,
    /// Per unit, when `per_unit` asks for them: employee units first, each
    /// scheme's in the order of `[[riskpool.units]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) units: Vec<ProjectedUnitStats>,
}

/// One unit's statistics per projected year (`projection.units[]`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ProjectedUnitStats {
    pub(crate) scheme: Scheme,
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    pub(crate) years: Vec<medfund_riskpool::UnitYearStats>,
}

impl ProjectedUnitStats {
    /// The unit's scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The unit's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its statistics, one entry per projected year.
    pub fn years(&self) -> &[medfund_riskpool::UnitYearStats] {
        &self.years
    }
}

/// Per scheme present, employee first.
#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
pub(crate) struct ProjectionSchemes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) employee: Option<Vec<medfund_riskpool::YearStats>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resident: Option<Vec<medfund_riskpool::YearStats>>,
}

impl Projection {
    /// The number of Monte Carlo trials.
    pub fn trials(&self) -> u32 {
        self.trials
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The units' statistics (empty unless `per_unit` asked for them).
    pub fn units(&self) -> &[ProjectedUnitStats] {
        &self.units
    }

    /// The schemes present, in report order, each with its projected years.
    pub fn iter(&self) -> impl Iterator<Item = (Scheme, &[medfund_riskpool::YearStats])> {
        [(Scheme::Employee, self.schemes.employee.as_deref()), (Scheme::Resident, self.schemes.resident.as_deref())]
            .into_iter()
            .filter_map(|(s, v)| v.map(|v| (s, v)))
    }
}

/// A projection resolved from a scenario, ready to run (whole or by blocks of trials).
pub(crate) struct Prepared {
    history: medfund_core::PolicyHistory<RiskPoolPolicy>,
    spec: ProjectionSpec,
    schemes: Vec<ProjectedScheme>,
    options: SummaryOptions,
    shocks: medfund_riskpool::Shocks,
    /// Per scheme, its units' ids and names (for per-unit statistics).
    unit_names: Vec<Vec<(String, Option<String>)>>,
}

/// Resolves the projection of `scenario` (needs `[riskpool]` and `[projection]`), with every check of `simulate`.
pub(crate) fn prepare(scenario: &Scenario, source: &Source) -> ScenarioResult<Prepared> {
    let at = |e: ScenarioError| e.at(&source.name);
    let (Some(r), Some(p)) = (&scenario.riskpool, &scenario.projection) else {
        return Err(ScenarioError::input("simulate needs a [riskpool] and a [projection] section; expected both")
            .at(&source.name));
    };
    let rows: Vec<UnitRow> = crate::compute::riskpool_rows(r, source).map_err(at)?;
    crate::compute::validate_projection(p, Some((r, &rows)), &source.limits).map_err(at)?;
    crate::compute::check_projection_work(p, &rows, &source.limits).map_err(at)?;
    let revenues = crate::compute::riskpool_revenues(scenario, r, &rows, source).map_err(at)?;
    let mut schemes = Vec::new();
    let mut unit_names = Vec::new();
    for scheme in Scheme::ALL {
        if !r.has_scheme(scheme, &rows) {
            continue;
        }
        let table = r.table(scheme);
        let members: Vec<(&UnitRow, Money)> =
            rows.iter().zip(&revenues).filter(|(u, _)| u.scheme == scheme).map(|(u, &r)| (u, r)).collect();
        let mut units = Vec::with_capacity(members.len());
        unit_names.push(members.iter().map(|(u, _)| (u.id.clone(), u.name.clone())).collect());
        for (u, revenue) in members {
            let own = p
                .units
                .iter()
                .flatten()
                .enumerate()
                .find(|(_, g)| g.id == u.id && g.scheme.is_none_or(|s| s == scheme));
            let (rev, exp, named) = match (own, &p.default) {
                (Some((i, g)), _) => (&g.revenue_growth, &g.expenditure_growth, format!("projection.units[{i}]")),
                (None, Some(d)) => (&d.revenue_growth, &d.expenditure_growth, "projection.default".to_owned()),
                (None, None) => {
                    return Err(ScenarioError::input(format!(
                        "projection.default: missing, and unit {:?} ({scheme}) has no [[projection.units]] entry; expected growth for every unit",
                        u.id
                    ))
                    .at(&source.name));
                }
            };
            units.push(ProjectedUnit {
                first_year: UnitFigures {
                    revenue,
                    expenditure: u.expenditure.0,
                    rolling_surplus: u.rolling_surplus.map(|a| a.0).unwrap_or_default(),
                    league_fiscal_share: u.league_fiscal_share,
                },
                revenue_growth: rev.resolve(p.years.0, &format!("{named}.revenue_growth")).map_err(at)?,
                expenditure_growth: exp.resolve(p.years.0, &format!("{named}.expenditure_growth")).map_err(at)?,
                stream_key: medfund_riskpool::stream_key(scheme, &u.id),
            });
        }
        schemes.push(ProjectedScheme {
            scheme,
            opening_balance: table.and_then(|t| t.opening_balance).map(|a| a.0).unwrap_or_default(),
            units,
        });
    }
    let history = crate::compute::projection_history(r, p).map_err(at)?;
    let spec = ProjectionSpec { first_year: r.year.0, years: p.years.0, trials: p.trials.0, seed: p.seed.0 };
    let options = SummaryOptions::with_quantiles(p.quantiles.iter().flatten().map(|q| q.0).collect::<Vec<u32>>())
        .with_per_unit(p.per_unit.unwrap_or(false));
    let streams = p.streams.unwrap_or_default();
    let mut shocks = p.shocks.as_ref().map(|s| s.shocks()).unwrap_or_default().with_streams(streams);
    if let Some(matrix) = crate::compute::unit_correlation(p, &rows, &source.limits).map_err(at)? {
        shocks = shocks.with_unit_correlation(matrix);
    }
    if options.per_unit {
        check_unit_tallies(&spec, rows.len(), source)?;
    }
    Ok(Prepared { history, spec, schemes, options, shocks, unit_names })
}

/// Refuses per-unit statistics whose tallies (one per piece of work, at most
/// `UnitTally::COPIES_PER_THREAD` per thread, plus one) would not fit
/// `--max-projection-memory`.
fn check_unit_tallies(spec: &ProjectionSpec, units: usize, source: &Source) -> ScenarioResult<()> {
    let threads = u64::try_from(rayon::current_num_threads()).expect("invariant: a thread count fits a u64");
    let copies = threads.checked_mul(medfund_riskpool::UnitTally::COPIES_PER_THREAD).and_then(|c| c.checked_add(1));
    let needed = medfund_riskpool::UnitTally::memory_bytes(spec.years, units).and_then(|b| b.checked_mul(copies?));
    within_memory(needed, source, |size, limit| {
        format!(
            "projection.per_unit: statistics of {} years × {units} unit(s) on {threads} thread(s) need about {size} of memory, more than the limit of {limit}; expected fewer years, units or threads, a larger --max-projection-memory, or per_unit = false",
            spec.years
        )
    })
}

/// Refuses `needed` bytes (`None`: past a `u64`) beyond
/// `--max-projection-memory`; `message(size, limit)` says what needs them.
fn within_memory(
    needed: Option<u64>,
    source: &Source,
    message: impl FnOnce(String, String) -> String,
) -> ScenarioResult<()> {
    let limit = source.limits.projection_bytes;
    if needed.is_none_or(|n| n > limit) {
        let size = needed.map_or_else(|| "more than 16 EiB".to_owned(), crate::limits::show_size_approx);
        return Err(ScenarioError::input(message(size, crate::limits::show_size(limit)))
            .with_code(crate::error::codes::LIMIT)
            .at(&source.name));
    }
    Ok(())
}

impl Prepared {
    fn error(e: impl std::fmt::Display, source: &Source) -> ScenarioError {
        ScenarioError::input(format!("projection: {e}")).at(&source.name)
    }

    /// Years, trials, seed.
    pub(crate) fn spec(&self) -> ProjectionSpec {
        self.spec
    }

    /// FNV-1a (64 bits) of everything the trials depend on — policies,
    /// units, growth laws, shocks, spec, quantiles — and of the medfund
    /// version: equal for the same projection run by the same release, so
    /// files of a projection's shards can be told from another's.
    pub(crate) fn fingerprint(&self) -> u64 {
        let mut h = medfund_core::Fnv1a::new();
        // Debug output of plain data (no maps): the same bytes every run of one release.
        std::fmt::Write::write_fmt(
            &mut h,
            format_args!(
                "{} {:?} {:?} {:?} {:?} {:?}",
                env!("CARGO_PKG_VERSION"),
                self.history,
                self.spec,
                self.schemes,
                self.options,
                self.shocks
            ),
        )
        .expect("invariant: hashing formatted text cannot fail");
        h.finish()
    }

    /// The whole projection: every trial kept and sorted when that fits
    /// `--max-projection-memory`, else the two-pass method (each trial run
    /// twice, memory independent of the trials, the same figures).
    /// `progress` hears the trial runs finished, over all passes.
    pub(crate) fn run(&self, source: &Source, progress: &(dyn Fn(u64) + Sync)) -> ScenarioResult<Projection> {
        let limit = source.limits.projection_bytes;
        let result = if self.spec.memory_bytes(self.schemes.len()).is_some_and(|n| n <= limit) {
            medfund_riskpool::simulate_with(
                &self.history,
                self.spec,
                &self.shocks,
                &self.schemes,
                &self.options,
                progress,
            )
        } else {
            medfund_riskpool::stream::simulate_two_pass(
                &self.history,
                self.spec,
                &self.shocks,
                &self.schemes,
                &self.options,
                two_pass_budget(limit),
                progress,
            )
        }
        .map_err(|e| Prepared::error(e, source))?;
        Ok(self.projection(result))
    }

    /// Refuses to keep `trials` trials' outcomes (for `what`) beyond `--max-projection-memory`.
    fn check_kept(&self, source: &Source, trials: u32, what: &str) -> ScenarioResult<()> {
        let spec = ProjectionSpec { trials, ..self.spec };
        let schemes = self.schemes.len();
        within_memory(spec.memory_bytes(schemes), source, |size, limit| {
            format!(
                "projection: {what} keeps every trial: {trials} trials × {} years × {schemes} scheme(s) need about {size} of memory, more than the limit of {limit}; expected fewer trials or years, or a larger --max-projection-memory",
                spec.years
            )
        })
    }

    /// Refuses trial paths of more rows than [`Limits::path_rows`](crate::Limits::path_rows).
    fn check_path_rows(&self, source: &Source) -> ScenarioResult<()> {
        let schemes = u64::try_from(self.schemes.len()).expect("invariant: at most two schemes");
        let rows =
            u64::from(self.spec.trials).checked_mul(u64::from(self.spec.years)).and_then(|n| n.checked_mul(schemes));
        let limit = source.limits.path_rows;
        if rows.is_none_or(|n| n > limit) {
            return Err(ScenarioError::input(format!(
                "projection: trial paths of {} trials × {} years × {schemes} scheme(s) make {} rows, more than the limit of {limit}; expected fewer trials or years",
                self.spec.trials,
                self.spec.years,
                rows.map_or_else(|| "more than 2^64".to_owned(), |n| n.to_string()),
            ))
            .with_code(crate::error::codes::LIMIT)
            .at(&source.name));
        }
        Ok(())
    }

    /// The whole projection and its trial paths written to `out` (CSV,
    /// Parquet or Arrow IPC by its extension; money in `unit`): one row per
    /// trial, scheme and year, under a temporary name until complete.
    /// Returns the projection and the rows written.
    pub(crate) fn run_with_paths(
        &self,
        source: &Source,
        progress: &(dyn Fn(u64) + Sync),
        out: &Path,
        unit: MoneyUnit,
    ) -> ScenarioResult<(Projection, u64)> {
        let format = ClaimsFormat::of_path(out).ok_or_else(|| {
            ScenarioError::input(format!(
                "--paths {}: unknown extension; expected .csv, .parquet or .arrow",
                out.display()
            ))
        })?;
        self.check_kept(source, self.spec.trials, "--paths")?;
        self.check_path_rows(source)?;
        let paths_error = |e| crate::compute::columnar_error("--paths", "", e);
        // Created first: a file that cannot be made fails before the trials run.
        let mut file = TableFile::create(out, format, paths_schema(unit), unit).map_err(paths_error)?;
        let block = medfund_riskpool::simulate_trials_with(
            &self.history,
            self.spec,
            &self.shocks,
            &self.schemes,
            &self.options,
            0..self.spec.trials,
            progress,
        )
        .map_err(|e| Prepared::error(e, source))?;
        let result = medfund_riskpool::summarize_with(self.spec, &self.schemes, &block, &self.options)
            .map_err(|e| Prepared::error(e, source))?;
        let mut rows = Vec::with_capacity(PATH_BATCH);
        for trial in 0..self.spec.trials {
            let mut cell = 0_usize;
            let mut year = self.spec.first_year;
            for _ in 0..self.spec.years {
                for scheme in &self.schemes {
                    let (closing_balance, unresolved, actuarial_review) = block
                        .outcome(trial, cell)
                        .expect("invariant: the block holds every trial, with a cell per year and scheme");
                    rows.push(PathRow {
                        trial,
                        scheme: scheme.scheme.key(),
                        year,
                        closing_balance,
                        unresolved,
                        actuarial_review,
                    });
                    cell = cell.checked_add(1).expect("invariant: below the cells of a trial");
                    if rows.len() == PATH_BATCH {
                        file.write(paths_batch(&rows, unit).map_err(paths_error)?).map_err(paths_error)?;
                        rows.clear();
                    }
                }
                year = year.checked_add(1).expect("invariant: projected years end by 2999 (validated)");
            }
        }
        if !rows.is_empty() {
            file.write(paths_batch(&rows, unit).map_err(paths_error)?).map_err(paths_error)?;
        }
        let written = file.commit().map_err(paths_error)?;
        Ok((self.projection(result), written))
    }

    /// The trials `trials` only, for a projection run in blocks.
    pub(crate) fn trials(&self, source: &Source, trials: std::ops::Range<u32>) -> ScenarioResult<TrialBlock> {
        self.check_kept(source, trials.end.saturating_sub(trials.start), "a block of trials")?;
        let (history, shocks, options) = (&self.history, &self.shocks, &self.options);
        medfund_riskpool::simulate_trials_with(history, self.spec, shocks, &self.schemes, options, trials, &|_| {})
            .map_err(|e| Prepared::error(e, source))
    }

    /// The projection from blocks that together hold every trial.
    pub(crate) fn merge(&self, source: &Source, blocks: Vec<TrialBlock>) -> ScenarioResult<Projection> {
        self.check_kept(source, self.spec.trials, "merging blocks")?;
        let block = TrialBlock::concat(blocks).map_err(|e| Prepared::error(e, source))?;
        let result = medfund_riskpool::summarize_with(self.spec, &self.schemes, &block, &self.options)
            .map_err(|e| Prepared::error(e, source))?;
        Ok(self.projection(result))
    }

    /// The first pass of the two-pass method, its budget from `--max-projection-memory`.
    pub(crate) fn plan(&self, source: &Source) -> ScenarioResult<Plan> {
        let budget = two_pass_budget(source.limits.projection_bytes);
        Plan::new(self.spec, &self.schemes, &self.options, budget).map_err(|e| Prepared::error(e, source))
    }

    /// `plan`'s pass over the trials `trials`.
    pub(crate) fn gather(&self, source: &Source, plan: &Plan, trials: Range<u32>) -> ScenarioResult<Gathered> {
        self.gather_with(source, plan, trials, &|_| {})
    }

    /// [`Prepared::gather`], `progress` hearing the trials finished.
    pub(crate) fn gather_with(
        &self,
        source: &Source,
        plan: &Plan,
        trials: Range<u32>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> ScenarioResult<Gathered> {
        stream::gather(&self.history, self.spec, &self.shocks, &self.schemes, plan, trials, progress)
            .map_err(|e| Prepared::error(e, source))
    }

    /// The next pass, or the projection, from the outcomes of `plan`'s pass.
    pub(crate) fn next(&self, source: &Source, plan: Plan, gathered: Vec<Gathered>) -> ScenarioResult<ProjectionStep> {
        let mut parts = gathered.into_iter();
        let Some(mut whole) = parts.next() else {
            return Err(ScenarioError::input(format!(
                "projection: no outcome of pass {}; expected the outcomes of the pass over every trial",
                plan.pass()
            ))
            .at(&source.name));
        };
        for part in parts {
            whole.merge(part).map_err(|e| Prepared::error(e, source))?;
        }
        Ok(match plan.next(whole).map_err(|e| Prepared::error(e, source))? {
            Step::Next(plan) => ProjectionStep::Next(plan),
            Step::Done(result) => ProjectionStep::Done(self.projection(result)),
        })
    }

    fn projection(&self, result: Vec<SchemeProjection>) -> Projection {
        let mut out = ProjectionSchemes::default();
        let mut units = Vec::new();
        for (SchemeProjection { scheme, years, units: stats, .. }, names) in result.into_iter().zip(&self.unit_names) {
            debug_assert!(stats.is_empty() || stats.len() == names.len(), "invariant: stats per unit, in order");
            units.extend(stats.into_iter().zip(names).map(|(u, (id, name))| ProjectedUnitStats {
                scheme,
                id: id.clone(),
                name: name.clone(),
                years: u.years,
            }));
            match scheme {
                Scheme::Employee => out.employee = Some(years),
                Scheme::Resident => out.resident = Some(years),
            }
        }
        Projection { trials: self.spec.trials, seed: self.spec.seed, schemes: out, units }
    }
}

/// Runs the projection of `scenario` and writes its trial paths to `out`.
pub(crate) fn run_with_paths(
    scenario: &Scenario,
    source: &Source,
    progress: &(dyn Fn(u64) + Sync),
    out: &Path,
    unit: MoneyUnit,
) -> ScenarioResult<(Projection, u64)> {
    prepare(scenario, source)?.run_with_paths(source, progress, out, unit)
}

/// Runs the projection of `scenario` (needs `[riskpool]` and `[projection]`).
pub(crate) fn run(scenario: &Scenario, source: &Source, progress: &(dyn Fn(u64) + Sync)) -> ScenarioResult<Projection> {
    prepare(scenario, source)?.run(source, progress)
}

/// After a pass of the two-pass method: another pass, or the projection.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum ProjectionStep {
    /// Run every trial again under this plan.
    Next(Plan),
    /// The projection.
    Done(Projection),
}

/// The values a selection pass of the two-pass method may keep under a
/// memory limit of `limit` bytes: a sixteenth (8 bytes a value, and one
/// copy while the threads' values are put together), at most
/// [`medfund_riskpool::stream::DEFAULT_BUDGET`].
fn two_pass_budget(limit: u64) -> u64 {
    (limit / 16).min(medfund_riskpool::stream::DEFAULT_BUDGET)
}
