//! Large lists from CSV files: same column names as the inline lists.
//!
//! Cells are handed to the parsers as text (never through a float), so money
//! in CSV is read exactly; an empty cell is an absent optional field.

use medfund_core::{Money, NaiveDate};
use serde::de::DeserializeOwned;
use serde::de::value::MapDeserializer;

use crate::error::{ScenarioError, ScenarioResult, excerpt};
use crate::scenario::Source;
use crate::values::IsoDate;

/// The file under a CSV reader, noting where its line ends are as the
/// reader pulls bytes, so that a record's byte offset gives its physical
/// line.
///
/// The csv crate's own line count is one short per CRLF record and skips
/// blank lines, and its record offsets point at the line ends that precede
/// a record; both made messages name the wrong line. Only line ends not yet
/// passed by the records are kept: memory stays within one read buffer.
struct Lines<R> {
    inner: R,
    /// The longest physical line allowed, in bytes.
    max_line: u64,
    /// Bytes since the last `\n`.
    line_bytes: u64,
    /// Bytes read so far.
    offset: u64,
    /// Offsets of the `\r` and `\n` bytes read but not yet passed.
    pending: std::collections::VecDeque<(u64, u8)>,
    /// `\n` bytes passed.
    counted: u64,
}

impl<R> Lines<R> {
    fn new(inner: R, max_line: u64) -> Lines<R> {
        Lines { inner, max_line, line_bytes: 0, offset: 0, pending: std::collections::VecDeque::new(), counted: 0 }
    }

    /// The 1-based physical line the reader has reached.
    fn current_line(&self) -> u64 {
        let ahead = self.pending.iter().filter(|(_, b)| *b == b'\n').count();
        self.counted
            .saturating_add(u64::try_from(ahead).expect("invariant: a count of buffered bytes fits a u64"))
            .saturating_add(1)
    }

    /// The 1-based physical line of the first byte at or after `at` that
    /// ends no line; `at` never decreases between calls.
    fn line_of(&mut self, at: u64) -> u64 {
        let mut next = at;
        while let Some(&(position, byte)) = self.pending.front() {
            if position > next {
                break;
            }
            if position == next {
                // A line end where the record is said to start: skip it.
                next = next.saturating_add(1);
            }
            if byte == b'\n' {
                self.counted = self.counted.saturating_add(1);
            }
            self.pending.pop_front();
        }
        self.counted.saturating_add(1)
    }
}

impl<R: std::io::Read> std::io::Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let start = self.offset;
        for (i, &b) in buf.iter().take(n).enumerate() {
            if b == b'\n' || b == b'\r' {
                self.pending.push_back((start.saturating_add(i as u64), b));
            }
            // An endless line (`/dev/zero`, a corrupt file) must not grow memory.
            self.line_bytes = if b == b'\n' { 0 } else { self.line_bytes.saturating_add(1) };
            if self.line_bytes > self.max_line {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, LongLine(self.max_line)));
            }
        }
        self.offset = start.saturating_add(n as u64);
        Ok(n)
    }
}

/// A physical line longer than the limit.
#[derive(Debug)]
struct LongLine(u64);

impl std::fmt::Display for LongLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a line longer than {}; expected CSV records of at most that length (or --max-record-size)",
            crate::limits::show_size(self.0)
        )
    }
}

impl std::error::Error for LongLine {}

type Reader = csv::Reader<Lines<Box<dyn std::io::Read + Send>>>;

/// Opens the list `file` of the key `field` from the scenario's list
/// source: its name for messages, its CSV reader and its size in bytes
/// (0 when unknown: a list in memory or a pipe).
fn open(source: &Source, field: &str, file: &str) -> ScenarioResult<(String, Reader, u64)> {
    let list = source.lists.open(field, file, &source.limits).map_err(|e| e.at(&source.name))?;
    let size = list.file.as_ref().and_then(|f| f.metadata().ok()).map_or(0, |m| m.len());
    let lines = Lines::new(list.reader, source.limits.record_bytes);
    let reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(lines);
    Ok((list.shown, reader, size))
}

/// An error in a list file at a physical line.
fn at_line(shown: &str, line: u64, message: String) -> ScenarioError {
    ScenarioError::input(message).at(shown).with_position(line, None)
}

fn record_error(shown: &str, reader: &mut Reader, e: &csv::Error) -> ScenarioError {
    let line = match e.position() {
        Some(p) => reader.get_mut().line_of(p.byte()),
        None => reader.get_ref().current_line(),
    };
    let detail = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("the row has {len} columns; expected {expected_len}, as in the header")
        }
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text; expected a UTF-8 CSV file".to_owned(),
        _ => e.to_string(),
    };
    at_line(shown, line, detail)
}

/// Calls `each(row, line, record)` for every data row (row 1 is the first
/// after the header; `line` is the physical line where it starts),
/// stopping at the first error. A row of empty cells only (`,,`, as
/// spreadsheets write) is an error of its own.
fn for_each_record(
    shown: &str,
    reader: &mut Reader,
    mut each: impl FnMut(usize, u64, &csv::StringRecord) -> ScenarioResult<()>,
) -> ScenarioResult<()> {
    let mut record = csv::StringRecord::new();
    let mut row = 0_usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(record_error(shown, reader, &e)),
        }
        row = row.saturating_add(1);
        let byte = record.position().map_or(0, csv::Position::byte);
        let line = reader.get_mut().line_of(byte);
        if record.iter().all(str::is_empty) {
            return Err(at_line(
                shown,
                line,
                format!(
                    "row {row}: every cell is empty (spreadsheets write such rows at the end); expected a value in each required column, or delete the row"
                ),
            ));
        }
        each(row, line, &record)?;
    }
}

/// Reads every row of `file` (relative to the scenario) into `T`.
pub(crate) fn read_rows<T: DeserializeOwned>(source: &Source, field: &str, file: &str) -> ScenarioResult<Vec<T>> {
    let (shown, mut reader, _) = open(source, field, file)?;
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(record_error(&shown, &mut reader, &e)),
    };
    let mut rows = Vec::new();
    for_each_record(&shown, &mut reader, |row, line, record| {
        let cells = headers.iter().zip(record.iter()).filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k, Cell(v)));
        let de: MapDeserializer<'_, _, serde::de::value::Error> = MapDeserializer::new(cells);
        let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
            let column = e.path().to_string();
            let column = if column == "." { String::new() } else { format!("column {column}: ") };
            at_line(&shown, line, format!("row {row}: {column}{}", e.inner()))
        })?;
        rows.push(value);
        Ok(())
    })?;
    Ok(rows)
}

/// A CSV cell: text for every value, `Some` for an optional field, the
/// variant name for an enum.
pub(crate) struct Cell<'a>(pub(crate) &'a str);

impl<'de, 'a> serde::de::IntoDeserializer<'de, serde::de::value::Error> for Cell<'a> {
    type Deserializer = Cell<'a>;
    fn into_deserializer(self) -> Cell<'a> {
        self
    }
}

impl<'de> serde::Deserializer<'de> for Cell<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_str(self.0)
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(serde::de::IntoDeserializer::<Self::Error>::into_deserializer(self.0))
    }

    fn deserialize_bool<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            other => {
                Err(serde::de::Error::custom(format!("invalid boolean {}; expected true or false", excerpt(other))))
            }
        }
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// What is called with each claim of a CSV: person, date, cost, claim id.
type EachClaim<'e> = dyn FnMut(&str, NaiveDate, Money, Option<&str>) -> ScenarioResult<()> + 'e;

/// The columns of a claims CSV; `claim_id` is optional.
const CLAIM_COLUMNS: [&str; 4] = ["person", "date", "eligible_cost", "claim_id"];

/// A claims CSV (`person,date,eligible_cost[,claim_id]`) read row by row,
/// without serde per row: the fast path for millions of claims, and a
/// [`medfund_columnar::Source`] for the settlement within a memory budget.
pub(crate) struct CsvClaims {
    shown: String,
    reader: Reader,
    /// Columns of person, date and eligible_cost.
    columns: [usize; 3],
    /// Column of claim_id.
    id: Option<usize>,
    /// The size of the file, when known (the estimate of its records).
    size: u64,
}

impl CsvClaims {
    /// Opens the claims list `file` of the key `field` and reads its header.
    pub(crate) fn open(source: &Source, field: &str, file: &str) -> ScenarioResult<CsvClaims> {
        let (shown, mut reader, size) = open(source, field, file)?;
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(record_error(&shown, &mut reader, &e)),
        };
        let mut index = [None; 4];
        for (i, h) in headers.iter().enumerate() {
            let Some(slot) = CLAIM_COLUMNS.iter().position(|c| *c == h).and_then(|k| index.get_mut(k)) else {
                return Err(at_line(
                    &shown,
                    1,
                    format!(
                        "unknown column {}; expected the columns person, date, eligible_cost and optionally claim_id",
                        excerpt(h)
                    ),
                ));
            };
            if slot.is_some() {
                return Err(at_line(
                    &shown,
                    1,
                    format!("column {} appears twice; expected each column once", excerpt(h)),
                ));
            }
            *slot = Some(i);
        }
        let [Some(person), Some(date), Some(cost), id] = index else {
            let missing: Vec<&str> =
                CLAIM_COLUMNS.iter().zip(index).take(3).filter(|(_, i)| i.is_none()).map(|(n, _)| *n).collect();
            return Err(at_line(
                &shown,
                1,
                format!("missing column {}; expected the columns person, date, eligible_cost", missing.join(", ")),
            ));
        };
        Ok(CsvClaims { shown, reader, columns: [person, date, cost], id, size })
    }

    /// The name messages give the file.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// Whether the file has a `claim_id` column.
    pub(crate) fn has_claim_id(&self) -> bool {
        self.id.is_some()
    }

    /// Calls `each(person, date, cost, claim_id)` for every claim, in file order.
    fn each_claim(&mut self, each: &mut EachClaim<'_>) -> ScenarioResult<()> {
        let ([person, date, cost], id) = (self.columns, self.id);
        let shown = self.shown.clone();
        for_each_record(&shown, &mut self.reader, |row, line, record| {
            let bad =
                |column: &str, detail: String| at_line(&shown, line, format!("row {row}: column {column}: {detail}"));
            let cell = |i: usize, name: &str| match record.get(i) {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err(bad(name, "empty cell; expected a value".into())),
            };
            let person = cell(person, "person")?;
            let date = IsoDate::parse(cell(date, "date")?).map_err(|d| bad("date", d))?;
            let eligible_cost: Money = cell(cost, "eligible_cost")?
                .parse()
                .map_err(|e: medfund_core::CoreError| bad("eligible_cost", e.to_string()))?;
            if eligible_cost.is_negative() {
                return Err(bad(
                    "eligible_cost",
                    format!("negative money {eligible_cost}; expected an amount of zero or more"),
                ));
            }
            let claim_id = id.and_then(|i| record.get(i)).filter(|v| !v.is_empty());
            if let Some(id) = claim_id {
                if id.len() > medfund_columnar::MAX_ID_BYTES {
                    return Err(bad("claim_id", format!("{} bytes long; expected at most 4096", id.len())));
                }
            }
            if person.len() > medfund_columnar::MAX_ID_BYTES {
                return Err(bad("person", format!("{} bytes long; expected at most 4096", person.len())));
            }
            each(person, date.0, eligible_cost, claim_id)
        })
    }
}

impl medfund_columnar::Source<ScenarioError> for CsvClaims {
    fn claim_id_type(&self) -> Option<arrow_schema::DataType> {
        self.has_claim_id().then_some(arrow_schema::DataType::Utf8)
    }

    fn estimated_bytes(&self) -> u64 {
        // A record is at most about twice its CSV text (row, date and cost
        // take 20 bytes against at least 14 of text).
        self.size.saturating_mul(2)
    }

    fn for_each(
        &mut self,
        each: &mut dyn FnMut(medfund_columnar::Row<'_>) -> ScenarioResult<()>,
    ) -> ScenarioResult<()> {
        self.each_claim(&mut |person, date, cost, id| {
            each(medfund_columnar::Row {
                person: medfund_columnar::PersonKey::Text(person),
                date,
                cost,
                claim_id: id.map(medfund_columnar::ClaimId::Text),
            })
        })
    }
}
