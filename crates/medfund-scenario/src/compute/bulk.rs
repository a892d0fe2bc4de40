//! §5.3: the claims of a `[supplementary]` settled within a memory budget
//! (`medfund_columnar::settle`): from a CSV, Parquet or Arrow file (or the
//! inline list, when a claims file is asked for), results to a file in
//! input order, the report's per-claim rows only when inlined.

use std::path::{Path, PathBuf};

use medfund_columnar::{ArrowSource, ClaimId, ColumnarError, Format, Options, Row, SplitsFile, settle};
use medfund_core::{Money, PolicyVersion, Trace};
use medfund_insurer::{Claim, ClaimSplit, InsurerError, SupplementaryPolicy, YearTotals};

use crate::claims_run::{INLINE_CLAIMS_LIMIT, Inline};
use crate::csvin::CsvClaims;
use crate::error::{ScenarioError, ScenarioResult, codes};
use crate::report::{ClaimReport, ClaimsOut, SupplementaryReport};
use crate::scenario::{ClaimRow, Source, SupplementarySection};

/// Where the claims of a section come from.
#[derive(Clone, Copy)]
pub(super) enum Given<'a> {
    Inline(&'a [ClaimRow]),
    Csv(&'a str),
    Parquet(&'a str),
    Arrow(&'a str),
}

impl Given<'_> {
    /// The key of the section that names them.
    pub(super) fn key(&self) -> &'static str {
        match self {
            Given::Inline(_) => "supplementary.claims",
            Given::Csv(_) => "supplementary.claims_csv",
            Given::Parquet(_) => "supplementary.claims_parquet",
            Given::Arrow(_) => "supplementary.claims_arrow",
        }
    }

    /// The file that holds them, as the scenario names it.
    pub(super) fn file(&self) -> Option<&str> {
        match self {
            Given::Inline(_) => None,
            Given::Csv(f) | Given::Parquet(f) | Given::Arrow(f) => Some(f),
        }
    }
}

/// A `ColumnarError` as the contract's error, naming `key` and the file.
pub(crate) fn columnar_error(key: &str, shown: &str, e: ColumnarError) -> ScenarioError {
    let file = |e: ScenarioError| if shown.is_empty() { e } else { e.at(shown) };
    match e {
        ColumnarError::Value { row, column, problem, expected } => file(ScenarioError::input(format!(
            "{key}: row {}: column {column}: {problem}; expected {expected}",
            row.saturating_add(1)
        ))),
        ColumnarError::Unsorted { .. } | ColumnarError::Column { .. } => {
            file(ScenarioError::input(format!("{key}: {e}")))
        }
        ColumnarError::Format { .. } => file(ScenarioError::input(format!("{key}: {e}")).with_code(codes::UNREADABLE)),
        ColumnarError::Budget { .. } | ColumnarError::Person { .. } | ColumnarError::Option { .. } => {
            ScenarioError::input(format!("{key}: {e}")).with_code(codes::LIMIT)
        }
        ColumnarError::Io { .. } => ScenarioError::io(e.to_string()),
        ColumnarError::Output { .. } => ScenarioError::input(e.to_string()),
        other => ScenarioError::other(other.to_string()),
    }
}

/// The rules of §5 for the engine: validity per row, the split per partition.
pub(super) struct Rules<'a> {
    pub(super) version: &'a PolicyVersion<SupplementaryPolicy>,
    pub(super) insured_persons: u64,
    /// The list's key and, for a file, its name as the scenario writes it.
    key: &'static str,
    file: Option<&'a str>,
}

impl<'a> Rules<'a> {
    /// The rules of `version` for the claims named by `key` (and `file`).
    pub(super) fn new(
        version: &'a PolicyVersion<SupplementaryPolicy>,
        insured_persons: u64,
        key: &'static str,
        file: Option<&'a str>,
    ) -> Rules<'a> {
        Rules { version, insured_persons, key, file }
    }

    /// The claim `row` (0-based) as messages name it: `supplementary.claims[3]`,
    /// `supplementary.claims_csv (c.csv) row 4`.
    pub(super) fn path(&self, row: u64) -> String {
        super::key_item(self.key, self.file, row)
    }
}

impl medfund_columnar::Rules<ScenarioError> for Rules<'_> {
    fn check(&self, row: u64, claim: &Row<'_>) -> ScenarioResult<()> {
        let validity = self.version.validity();
        if validity.contains(claim.date) {
            return Ok(());
        }
        let e = InsurerError::ClaimOutsideValidity {
            index: usize::try_from(row).unwrap_or(usize::MAX),
            date: claim.date,
            policy: self.version.id().to_owned(),
            window: validity.to_string(),
        };
        Err(ScenarioError::not_in_force(format!("{}.date: {e}", self.path(row))))
    }

    fn split(
        &self,
        claims: &[Claim<medfund_columnar::PersonBytes<'_>>],
        rows: &[u64],
    ) -> ScenarioResult<Vec<ClaimSplit>> {
        medfund_insurer::split_claims(self.version.params(), self.insured_persons, claims).map(|r| r.claims).map_err(
            |e| match e {
                InsurerError::ClaimOverflow { index, .. } => {
                    let row = *rows.get(index).expect("invariant: the kernel names one of the claims it was given");
                    ScenarioError::input(format!("{}.eligible_cost: {e}", self.path(row)))
                }
                other => super::lib_error("supplementary", other),
            },
        )
    }
}

/// Where settled claims go: the results file, the inlined rows, the years.
struct Sink {
    file: Option<SplitsFile>,
    inline: Option<Vec<ClaimReport>>,
    inline_limit: u64,
    /// The insurer's payments per medical year.
    paid: YearTotals,
    rows: u64,
}

impl medfund_columnar::Sink<ScenarioError> for Sink {
    fn row(&mut self, _row: u64, claim: &Row<'_>, split: &ClaimSplit) -> ScenarioResult<()> {
        self.rows = self.rows.checked_add(1).expect("invariant: fewer than 2^64 claims");
        self.paid.add(split.medical_year, split.insurer).map_err(|e| {
            ScenarioError::input(format!("supplementary.claims: the insurer's payments of a year: {e}"))
        })?;
        if let Some(file) = &mut self.file {
            file.push(claim.claim_id, split).map_err(|e| columnar_error("supplementary.claims", "", e))?;
        }
        if self.rows > self.inline_limit {
            self.inline = None;
        }
        if let Some(rows) = &mut self.inline {
            rows.push(ClaimReport {
                claim_id: claim.claim_id.map(id_text),
                person: claim.person.to_string(),
                date: claim.date,
                split: *split,
                subsidies: None,
            });
        }
        Ok(())
    }
}

/// Opens an Arrow-based claims list (Parquet or IPC): by seeking in the file
/// on disk, or from its bytes when the list is in memory.
fn arrow_source(source: &Source, key: &str, file: &str, format: Format) -> ScenarioResult<(String, ArrowSource)> {
    let list = source.lists.open(key, file, &source.limits).map_err(|e| e.at(&source.name))?;
    let shown = list.shown.clone();
    let unit = medfund_columnar::Unit::Yuan;
    let path = PathBuf::from(&shown);
    let made = match (format, list.file) {
        (Format::Parquet, Some(f)) => ArrowSource::parquet_file(f, &path, unit),
        (_, Some(f)) => ArrowSource::arrow_file(f, &path, unit),
        (format, None) => {
            let mut bytes = Vec::new();
            let mut reader = list.reader;
            std::io::Read::read_to_end(&mut reader, &mut bytes).map_err(|e| {
                ScenarioError::input(format!("{key}: cannot read {shown}: {e}")).with_code(codes::UNREADABLE)
            })?;
            match format {
                Format::Parquet => ArrowSource::parquet_bytes(bytes, &path, unit),
                _ => ArrowSource::arrow_bytes(bytes, &path, unit),
            }
        }
    };
    Ok((shown.clone(), made.map_err(|e| columnar_error(key, &shown, e))?))
}

/// The claims inline in the scenario, as an engine source.
struct InlineRows<'a>(&'a [ClaimRow]);

impl medfund_columnar::Source<ScenarioError> for InlineRows<'_> {
    fn claim_id_type(&self) -> Option<arrow_schema::DataType> {
        self.0.iter().any(|c| c.claim_id.is_some()).then_some(arrow_schema::DataType::Utf8)
    }

    fn estimated_bytes(&self) -> u64 {
        self.0.iter().map(|c| 40_u64.saturating_add(c.person.len() as u64)).sum()
    }

    fn for_each(&mut self, each: &mut dyn FnMut(Row<'_>) -> ScenarioResult<()>) -> ScenarioResult<()> {
        for c in self.0 {
            each(Row {
                person: medfund_columnar::PersonKey::Text(&c.person),
                date: c.date.0,
                cost: c.eligible_cost.0,
                claim_id: c.claim_id.as_deref().map(ClaimId::Text),
            })?;
        }
        Ok(())
    }
}

/// A claim id as the report shows it: text as it is, integers in decimal.
pub(super) fn id_text(id: ClaimId<'_>) -> String {
    match id {
        ClaimId::Text(t) => t.to_owned(),
        ClaimId::Int(i) => i.to_string(),
    }
}

/// §5 through the engine.
pub(super) fn compute(
    s: &SupplementarySection,
    source: &Source,
    version: &PolicyVersion<SupplementaryPolicy>,
    given: Given<'_>,
    trace: &mut Trace,
) -> ScenarioResult<SupplementaryReport> {
    let run = &source.claims;
    let key = given.key();
    let file = given.file();
    let (shown, mut input) = open(source, given)?;
    let out_file = match &run.out {
        Some(out) => {
            let format = out_format("--claims-out", out)?;
            let id_type = input.claim_id_type();
            Some(
                SplitsFile::create(out, format, id_type.as_ref(), run.unit)
                    .map_err(|e| columnar_error("--claims-out", "", e))?,
            )
        }
        None => None,
    };
    let inline_limit = inline_limit(run.inline, out_file.is_some());
    let mut sink =
        Sink { file: out_file, inline: Some(Vec::new()), inline_limit, paid: YearTotals::default(), rows: 0 };
    let rules = Rules { version, insured_persons: s.insured_persons.0, key, file };
    settle(input.as_mut(), &rules, &mut sink, &options(s, run))
        .map_err(|e| if shown.is_empty() { e } else { e.at(&shown) })?;
    let Sink { file, inline, paid, rows, .. } = sink;
    let claims_out = match file {
        Some(f) => {
            let out = run.out.as_deref().unwrap_or(Path::new(""));
            f.commit().map_err(|e| columnar_error("--claims-out", "", e))?;
            Some(file_out(rows, inline.is_some(), out))
        }
        None if inline.is_none() => Some(ClaimsOut { rows, inlined: false, file: None, format: None }),
        None => None,
    };
    let years = paid
        .into_summaries(version.params(), s.insured_persons.0)
        .map_err(|e| super::lib_error("supplementary.insured_persons", e))?;
    if trace.is_on() {
        match &inline {
            // The inlined claims again with their steps (the same splits: the
            // traced path is the checked one).
            Some(rows) => {
                let claims: Vec<Claim<&str>> = rows
                    .iter()
                    .map(|c| Claim { person: c.person.as_str(), date: c.date, eligible_cost: cost_of(&c.split) })
                    .collect();
                medfund_insurer::split_claims_explained(version, s.insured_persons.0, &claims, trace)
                    .map_err(|e| super::lib_error("supplementary", e))?;
            }
            None => medfund_insurer::record_year_steps(version.params(), s.insured_persons.0, &years, trace),
        }
    }
    Ok(SupplementaryReport { policy: version.id().to_owned(), claims: inline, claims_out, years, one_stop: None })
}

/// A claims input as an engine source, and the file's name as messages show it.
pub(super) type Input<'a> = (String, Box<dyn medfund_columnar::Source<ScenarioError> + 'a>);

/// The claims of `given` as an engine source.
pub(super) fn open<'a>(source: &'a Source, given: Given<'a>) -> ScenarioResult<Input<'a>> {
    let key = given.key();
    Ok(match given {
        Given::Inline(rows) => (String::new(), Box::new(InlineRows(rows))),
        Given::Csv(file) => {
            let csv = CsvClaims::open(source, key, file)?;
            (csv.shown().to_owned(), Box::new(csv))
        }
        Given::Parquet(file) => {
            let (shown, a) = arrow_source(source, key, file, Format::Parquet)?;
            (shown, Box::new(a))
        }
        Given::Arrow(file) => {
            let (shown, a) = arrow_source(source, key, file, Format::Arrow)?;
            (shown, Box::new(a))
        }
    })
}

/// The format of a results file `out` given to `flag`, by its extension.
pub(super) fn out_format(flag: &str, out: &Path) -> ScenarioResult<Format> {
    Format::of_path(out).ok_or_else(|| {
        ScenarioError::input(format!("{flag} {}: unknown extension; expected .parquet, .arrow or .csv", out.display()))
    })
}

/// The most claims the report inlines: `--inline-claims auto` inlines up to
/// the limit when no results file is written.
pub(super) fn inline_limit(inline: Inline, file: bool) -> u64 {
    match (inline, file) {
        (Inline::Always, _) => u64::MAX,
        (Inline::Auto, false) => INLINE_CLAIMS_LIMIT,
        _ => 0,
    }
}

/// The engine's options of a run.
pub(super) fn options(s: &SupplementarySection, run: &crate::claims_run::ClaimsRun) -> Options {
    let mut options = Options::default();
    options.memory_budget = run.memory_budget;
    options.temp_dir.clone_from(&run.temp_dir);
    options.partitions = run.partitions;
    options.sorted_by_person = s.claims_sorted_by_person;
    options
}

/// What a results file holds, for the report.
pub(super) fn file_out(rows: u64, inlined: bool, out: &Path) -> ClaimsOut {
    ClaimsOut {
        rows,
        inlined,
        file: Some(out.display().to_string()),
        format: Format::of_path(out).map(|f| f.name().to_owned()),
    }
}

/// A claim's cost from its split (the parts sum to it exactly).
fn cost_of(split: &ClaimSplit) -> Money {
    split
        .fund
        .checked_add(split.insurer)
        .and_then(|m| m.checked_add(split.person_pays))
        .expect("invariant: the parts of a split sum to its cost, which fits")
}
