//! Runs every section of a scenario through the libraries and builds the
//! report of the contract (§3–§7). One file per section.

mod assistance;
mod bulk;
mod contributions;
mod onestop;
mod onestop_bulk;
mod reforms;
mod riskpool;
mod supplementary;
mod surplus;

pub(crate) use bulk::columnar_error;
pub(crate) use reforms::projection_history;
pub(crate) use supplementary::{split_given, summaries_given};

use medfund_columnar::Format;
use medfund_core::{NaiveDate, PolicyVersion, Trace, Validity};

use crate::csvin;
use crate::error::{ScenarioError, ScenarioResult, codes};
use crate::report::*;
use crate::scenario::{RevenueFrom, RiskpoolSection, Scenario, Source, UnitRow};
use crate::values::DateOrYear;

pub(crate) use riskpool::{riskpool_policy, riskpool_rows};

/// The revenue of each `[riskpool]` unit row (§3, §10) without a trace: the
/// units' own, or their contributions' (computed here) when linked.
pub(crate) fn riskpool_revenues(
    scenario: &Scenario,
    riskpool: &RiskpoolSection,
    rows: &[UnitRow],
    source: &Source,
) -> ScenarioResult<Vec<medfund_core::Money>> {
    let report = match (&scenario.contributions, riskpool.revenue_from) {
        (Some(c), RevenueFrom::Contributions) => Some(contributions::compute(c, source, &mut Trace::new(false))?),
        _ => None,
    };
    riskpool::unit_revenues(riskpool, rows, scenario.contributions.as_ref().zip(report.as_ref()))
}

/// At most this many errors are collected from one scenario.
pub(crate) const MAX_ERRORS: usize = 100;

/// The errors of one run, each in its file.
struct Errors<'a> {
    list: Vec<ScenarioError>,
    file: &'a str,
}

impl Errors<'_> {
    /// The value, or `None` with its error kept (up to [`MAX_ERRORS`]).
    fn keep<T>(&mut self, result: ScenarioResult<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                if self.list.len() < MAX_ERRORS {
                    self.list.push(e.at(self.file));
                }
                None
            }
        }
    }
}

/// Computes every section of `scenario`; the first error found.
pub(crate) fn run(scenario: &Scenario, source: &Source, explain: bool) -> ScenarioResult<Report> {
    run_collecting(scenario, source, explain)
        .map_err(|errors| errors.into_iter().next().expect("invariant: a failed run holds at least one error"))
}

/// Computes every section of `scenario`. A section that fails does not stop
/// the others, so that one run finds the errors of every section (the first
/// of each, at most [`MAX_ERRORS`]); `Err` holds at least one.
pub(crate) fn run_collecting(
    scenario: &Scenario,
    source: &Source,
    explain: bool,
) -> Result<Report, Vec<ScenarioError>> {
    let mut trace = Trace::new(explain);
    let mut errors = Errors { list: Vec::new(), file: &source.name };
    if scenario.sections().is_empty() {
        errors.keep(Err::<(), _>(ScenarioError::input(
            "the scenario has no section: nothing to compute; expected at least one of [riskpool], [assistance], [supplementary], [surplus], [contributions]",
        )));
    }
    // The units are read once (a CSV file, perhaps) and serve §3 and the §8 check.
    let units = scenario.riskpool.as_ref().and_then(|s| errors.keep(riskpool_rows(s, source)));
    let linked = scenario.riskpool.as_ref().is_some_and(|s| s.revenue_from == RevenueFrom::Contributions);
    // Linked, the contributions come first: the fund year starts from them
    // (and the trace follows the money).
    let mut contributions = None;
    if linked {
        contributions =
            scenario.contributions.as_ref().and_then(|s| errors.keep(contributions::compute(s, source, &mut trace)));
    }
    let riskpool = scenario.riskpool.as_ref().zip(units.as_deref()).and_then(|(s, rows)| {
        // A [contributions] that failed has its error listed already.
        if linked && scenario.contributions.is_some() && contributions.is_none() {
            return None;
        }
        let link = scenario.contributions.as_ref().zip(contributions.as_ref());
        let revenues = errors.keep(riskpool::unit_revenues(s, rows, link))?;
        errors.keep(riskpool::compute(s, rows, &revenues, &mut trace))
    });
    let assistance = scenario.assistance.as_ref().and_then(|s| errors.keep(assistance::compute(s, source, &mut trace)));
    let supplementary =
        scenario.supplementary.as_ref().and_then(|s| errors.keep(supplementary::compute(s, source, &mut trace)));
    let surplus = scenario.surplus.as_ref().and_then(|s| errors.keep(surplus::compute(s, source, &mut trace)));
    if !linked {
        contributions =
            scenario.contributions.as_ref().and_then(|s| errors.keep(contributions::compute(s, source, &mut trace)));
    }
    if let Some(p) = &scenario.projection {
        // Without readable units there is nothing to check the projection against.
        if scenario.riskpool.is_none() || units.is_some() {
            errors.keep(validate_projection(p, scenario.riskpool.as_ref().zip(units.as_deref()), &source.limits));
        }
    }
    if !errors.list.is_empty() {
        return Err(errors.list);
    }
    Ok(Report::new(riskpool, assistance, supplementary, surplus, contributions, explain.then(|| trace.into_steps())))
}

/// Checks a `[projection]` against its `[riskpool]` section and units
/// (§8; `None` without a `[riskpool]`), before anything is allocated. Its
/// memory needs no check: above `--max-projection-memory` the two-pass
/// method runs ([`crate::simulate`]).
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
    for (i, q) in p.quantiles.iter().flatten().map(|q| q.0).enumerate() {
        if q == 0 || q > 100 {
            return Err(ScenarioError::input(format!(
                "projection.quantiles[{i}]: {q}; expected a percentile from 1 to 100"
            )));
        }
        if let Some(first) = p.quantiles.iter().flatten().take(i).position(|o| o.0 == q) {
            return Err(ScenarioError::input(format!(
                "projection.quantiles[{i}]: {q} is already projection.quantiles[{first}]; expected each percentile once"
            ))
            .with_code(codes::DUPLICATE));
        }
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
    let listed: Vec<&crate::scenario::ProjectionUnit> = p.units.iter().flatten().collect();
    for (i, u) in listed.iter().enumerate() {
        let overlaps = |o: &&crate::scenario::ProjectionUnit| {
            o.id == u.id && (o.scheme.is_none() || u.scheme.is_none() || o.scheme == u.scheme)
        };
        if let Some(first) = listed.iter().take(i).position(overlaps) {
            return Err(ScenarioError::input(format!(
                "projection.units[{i}].id: unit {:?} is already given growth by projection.units[{first}]; expected each unit (and scheme) once",
                u.id
            ))
            .with_code(codes::DUPLICATE));
        }
        if !units.iter().any(|r| r.id == u.id && u.scheme.is_none_or(|s| s == r.scheme)) {
            return Err(ScenarioError::input(format!(
                "projection.units[{i}].id: no riskpool unit {:?}; expected the id of a [[riskpool.units]] entry",
                u.id
            )));
        }
    }
    for (i, u) in listed.iter().enumerate() {
        u.revenue_growth.resolve(p.years.0, &format!("projection.units[{i}].revenue_growth"))?;
        u.expenditure_growth.resolve(p.years.0, &format!("projection.units[{i}].expenditure_growth"))?;
    }
    if let Some(d) = &p.default {
        d.revenue_growth.resolve(p.years.0, "projection.default.revenue_growth")?;
        d.expenditure_growth.resolve(p.years.0, "projection.default.expenditure_growth")?;
    }
    if let Some(shocks) = &p.shocks {
        shocks.shocks().check().map_err(|e| ScenarioError::input(format!("projection.{e}")))?;
    }
    unit_correlation(p, units, limits)?;
    projection_history(section, p).map(|_| ())
}

/// `[projection.shocks.unit_correlation]` checked (every projected unit
/// once, a valid correlation matrix in the order given) and put in
/// projection order: the employee scheme's units, then the resident
/// scheme's, each in `[[riskpool.units]]` order.
pub(crate) fn unit_correlation(
    p: &crate::scenario::ProjectionSection,
    units: &[UnitRow],
    limits: &crate::limits::Limits,
) -> ScenarioResult<Option<Vec<Vec<medfund_core::Rate>>>> {
    let Some(c) = p.shocks.as_ref().and_then(|s| s.unit_correlation.as_ref()) else {
        return Ok(None);
    };
    let at = "projection.shocks.unit_correlation";
    // Before the matrix is decomposed: that costs units³.
    let named = u64::try_from(c.units.len().max(c.matrix.len())).unwrap_or(u64::MAX);
    if named > limits.correlated_units {
        return Err(ScenarioError::input(format!(
            "{at}: a matrix over {named} units, more than the limit of {} correlated units; expected fewer units, or one correlation across units (across_units)",
            limits.correlated_units
        ))
        .with_code(codes::LIMIT));
    }
    if let Some(across) = p.shocks.as_ref().and_then(|s| s.across_units) {
        return Err(ScenarioError::input(format!(
            "{at}: given with across_units = {across}; expected either the matrix or one correlation across units"
        )));
    }
    medfund_riskpool::Shocks::default().with_unit_correlation(c.matrix.clone()).check().map_err(|e| match e {
        medfund_riskpool::RiskPoolError::InvalidPolicy { value, expected, .. } => {
            ScenarioError::input(format!("{at}.matrix: {value}; expected {expected}"))
        }
        other => ScenarioError::input(format!("projection.{other}")),
    })?;
    if c.matrix.len() != c.units.len() {
        return Err(ScenarioError::input(format!(
            "{at}.matrix: {} rows for {} units; expected a row and a column per unit listed",
            c.matrix.len(),
            c.units.len()
        )));
    }
    let order: Vec<&UnitRow> =
        medfund_riskpool::Scheme::ALL.iter().flat_map(|&s| units.iter().filter(move |u| u.scheme == s)).collect();
    // Position in `c.units` of each projected unit, in projection order.
    let mut positions = Vec::with_capacity(order.len());
    for u in &order {
        let name = format!("{}/{}", u.scheme.key(), u.id);
        let found: Vec<usize> = c.units.iter().enumerate().filter(|(_, n)| **n == name).map(|(i, _)| i).collect();
        match found.as_slice() {
            [i] => positions.push(*i),
            [] => {
                return Err(ScenarioError::input(format!(
                    "{at}.units: {name:?} is not listed; expected every projected unit once, as \"scheme/id\""
                )));
            }
            [first, second, ..] => {
                return Err(ScenarioError::input(format!(
                    "{at}.units[{second}]: {name:?} is already units[{first}]; expected each unit once"
                ))
                .with_code(codes::DUPLICATE));
            }
        }
    }
    if let Some((i, extra)) = c.units.iter().enumerate().find(|(i, _)| !positions.contains(i)) {
        return Err(ScenarioError::input(format!(
            "{at}.units[{i}]: {extra:?} is no projected unit; expected \"scheme/id\" of a [[riskpool.units]] entry"
        )));
    }
    let entry = |i: usize, j: usize| {
        *c.matrix.get(i).and_then(|row| row.get(j)).expect("invariant: a square matrix of the units' size was checked")
    };
    Ok(Some(positions.iter().map(|&i| positions.iter().map(|&j| entry(i, j)).collect()).collect()))
}

/// The unit-years a projection simulates (trials × years × units) against
/// `limits.projection_work`: checked by `simulate` only, since `run` and
/// `check` never simulate.
pub(crate) fn check_projection_work(
    p: &crate::scenario::ProjectionSection,
    units: &[UnitRow],
    limits: &crate::limits::Limits,
) -> ScenarioResult<()> {
    let work = u64::from(p.trials.0)
        .checked_mul(u64::from(p.years.0))
        .and_then(|n| n.checked_mul(u64::try_from(units.len()).ok()?));
    if work.is_none_or(|n| n > limits.projection_work) {
        return Err(ScenarioError::input(format!(
            "projection: {} trials × {} years × {} unit(s) = {} unit-years to simulate, more than the limit of {}; expected fewer trials or years",
            p.trials.0,
            p.years.0,
            units.len(),
            work.map_or_else(|| "more than 18446744073709551615".to_owned(), |n| n.to_string()),
            limits.projection_work
        ))
        .with_code(codes::LIMIT));
    }
    Ok(())
}

/// The files a list may come from instead of its inline rows: `X_csv`,
/// `X_parquet`, `X_arrow` (at most one, checked by [`list`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListFiles<'a> {
    pub(crate) csv: Option<&'a str>,
    pub(crate) parquet: Option<&'a str>,
    pub(crate) arrow: Option<&'a str>,
}

impl<'a> ListFiles<'a> {
    /// The file given, with its format (the first, should several be).
    pub(crate) fn given(self) -> Option<(Format, &'a str)> {
        self.csv
            .map(|f| (Format::Csv, f))
            .or(self.parquet.map(|f| (Format::Parquet, f)))
            .or(self.arrow.map(|f| (Format::Arrow, f)))
    }

    /// Each file given, as (`name_csv`, `name_parquet` or `name_arrow`, the file).
    fn each(self, name: &str) -> Vec<(String, &'a str)> {
        [("csv", self.csv), ("parquet", self.parquet), ("arrow", self.arrow)]
            .into_iter()
            .filter_map(|(ext, f)| Some((format!("{name}_{ext}"), f?)))
            .collect()
    }

    /// The keys given among `name`, `name_csv`, `name_parquet`, `name_arrow`.
    fn keys(self, name: &str, inline: bool) -> Vec<String> {
        inline.then(|| name.to_owned()).into_iter().chain(self.each(name).into_iter().map(|(key, _)| key)).collect()
    }
}

/// `fn name_files(&self) -> ListFiles`: the files of the list `name` of a section.
macro_rules! list_files {
    ($section:ty { $($name:ident: $csv:ident, $parquet:ident, $arrow:ident;)+ }) => {
        impl $section {
            $(
                pub(crate) fn $name(&self) -> crate::compute::ListFiles<'_> {
                    crate::compute::ListFiles {
                        csv: self.$csv.as_deref(),
                        parquet: self.$parquet.as_deref(),
                        arrow: self.$arrow.as_deref(),
                    }
                }
            )+
        }
    };
}

list_files!(crate::scenario::RiskpoolSection { units_files: units_csv, units_parquet, units_arrow; });
list_files!(crate::scenario::AssistanceSection { counties_files: counties_csv, counties_parquet, counties_arrow; });
list_files!(crate::scenario::SupplementarySection {
    persons_files: persons_csv, persons_parquet, persons_arrow;
    claims_files: claims_csv, claims_parquet, claims_arrow;
});
list_files!(crate::scenario::SurplusSection {
    institutions_files: institutions_csv, institutions_parquet, institutions_arrow;
    spending_files: spending_csv, spending_parquet, spending_arrow;
});
list_files!(crate::scenario::ContributionsSection { employees_files: employees_csv, employees_parquet, employees_arrow; });
list_files!(crate::scenario::ResidentsTable { headcounts_files: headcounts_csv, headcounts_parquet, headcounts_arrow; });
list_files!(crate::scenario::LateFeesTable { arrears_files: arrears_csv, arrears_parquet, arrears_arrow; });

impl crate::Scenario {
    /// The list files the scenario names, as (key, file), section by
    /// section: `("supplementary.claims_parquet", "claims.parquet")`…
    pub fn list_files(&self) -> Vec<(String, &str)> {
        fn add<'a>(all: &mut Vec<(String, &'a str)>, list: &str, files: ListFiles<'a>) {
            all.extend(files.each(list));
        }
        let mut all = Vec::new();
        if let Some(s) = &self.riskpool {
            add(&mut all, "riskpool.units", s.units_files());
        }
        if let Some(s) = &self.assistance {
            add(&mut all, "assistance.counties", s.counties_files());
        }
        if let Some(s) = &self.supplementary {
            add(&mut all, "supplementary.persons", s.persons_files());
            add(&mut all, "supplementary.claims", s.claims_files());
        }
        if let Some(s) = &self.surplus {
            add(&mut all, "surplus.institutions", s.institutions_files());
            add(&mut all, "surplus.spending", s.spending_files());
        }
        if let Some(c) = &self.contributions {
            add(&mut all, "contributions.employees", c.employees_files());
            if let Some(r) = &c.residents {
                add(&mut all, "contributions.residents.headcounts", r.headcounts_files());
            }
            if let Some(l) = &c.late_fees {
                add(&mut all, "contributions.late_fees.arrears", l.arrears_files());
            }
        }
        all
    }
}

/// Where list item `i` of a section came from, for messages: `key[i]`
/// inline, `key_csv (file) row i+1` (or `_parquet`, `_arrow`) from a file.
fn item_path(section: &str, list: &str, file: Option<(Format, &str)>, i: usize) -> String {
    match file {
        Some((format, name)) => key_item(&format!("{section}.{list}_{}", format.name()), Some(name), i as u64),
        None => key_item(&format!("{section}.{list}"), None, i as u64),
    }
}

/// Item `i` (0-based) of the list under `key`, for messages: inline as
/// `key[i]`, from a file as `key (file) row i+1`.
fn key_item(key: &str, file: Option<&str>, i: u64) -> String {
    match file {
        Some(file) => format!("{key} ({file}) row {}", i.saturating_add(1)),
        None => format!("{key}[{i}]"),
    }
}

/// The rows of a list: inline, or from its CSV, Parquet or Arrow file
/// (through `from_rows`, as the list's own columns); none if not given.
fn list<T: Clone, R: serde::de::DeserializeOwned>(
    source: &Source,
    section: &str,
    name: &str,
    inline: Option<&Vec<T>>,
    files: ListFiles<'_>,
    from_rows: impl Fn(Vec<R>) -> ScenarioResult<Vec<T>>,
) -> ScenarioResult<Vec<T>> {
    if let [first, second, ..] = files.keys(name, inline.is_some()).as_slice() {
        return Err(ScenarioError::input(format!(
            "{section}: both {first} and {second} are given; expected one of {name}, {name}_csv, {name}_parquet, {name}_arrow"
        )));
    }
    match (inline, files.given()) {
        (Some(rows), _) => Ok(rows.clone()),
        (None, Some((Format::Csv, file))) => {
            from_rows(csvin::read_rows(source, &format!("{section}.{name}_csv"), file)?)
        }
        (None, Some((format, file))) => {
            from_rows(crate::tablein::read_rows(source, &format!("{section}.{name}_{}", format.name()), file, format)?)
        }
        (None, None) => Ok(Vec::new()),
    }
}

fn lib_error(section: &str, e: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::input(format!("{section}: {e}"))
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
