//! Rows of any table file (Parquet, Arrow IPC) as text cells: the lists of a
//! scenario other than claims (units, persons, employees…) read from
//! columnar files. Each value is written as the text a CSV cell would hold
//! and read by the same parsers, so a list reads alike from CSV, Parquet and
//! Arrow, and money never passes through a float: float columns are refused.

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};

use crate::error::{ColumnarError, Result};
use crate::files::Format;
use crate::read_ahead::{self, Batches, read_ahead};

/// Where a table file's bytes are.
#[derive(Debug)]
#[non_exhaustive]
pub enum TableInput {
    /// An open file.
    File(File),
    /// The whole file in memory.
    Bytes(Vec<u8>),
}

/// What [`TableRows::for_each`] calls with each row: its number (0-based)
/// and the text of each column (`None` for a null).
pub type EachRow<'a, E> = dyn FnMut(u64, &[Option<&str>]) -> std::result::Result<(), E> + 'a;

/// A Parquet or Arrow IPC table read row by row, each value as text.
pub struct TableRows {
    batches: Batches,
    columns: Vec<String>,
    shown: PathBuf,
    format: &'static str,
}

impl std::fmt::Debug for TableRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableRows").field("file", &self.shown).field("columns", &self.columns).finish_non_exhaustive()
    }
}

/// What a column's type may be: what a CSV cell's text can say exactly.
const EXPECTED_TYPE: &str = "text, integers, decimal128, date32, timestamps at midnight or booleans (floats are not read: they cannot hold money exactly; write decimals or text)";

fn readable(t: &DataType) -> bool {
    match t {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Date32
        | DataType::Timestamp(_, None)
        | DataType::Boolean
        | DataType::Null => true,
        DataType::Decimal128(_, scale) => *scale >= 0,
        DataType::Dictionary(_, values) => matches!(values.as_ref(), DataType::Utf8 | DataType::LargeUtf8),
        _ => false,
    }
}

impl TableRows {
    /// The table `input` in `format` (Parquet or Arrow IPC file or stream);
    /// `shown` names it in errors. Every column is read; one whose type no
    /// cell text can carry exactly is an error naming it.
    ///
    /// # Errors
    ///
    /// [`ColumnarError::Format`] if the bytes are not the format, or for
    /// `Format::Csv` (CSV is read as text by its own reader);
    /// [`ColumnarError::Column`] for a column of another type.
    pub fn open(format: Format, input: TableInput, shown: &Path) -> Result<TableRows> {
        let name = format.name();
        let (head, batches) = match (format, input) {
            (Format::Parquet, TableInput::File(f)) => read_ahead(shown, name, move || read_ahead::parquet(f, None))?,
            (Format::Parquet, TableInput::Bytes(b)) => {
                read_ahead(shown, name, move || read_ahead::parquet(bytes::Bytes::from(b), None))?
            }
            (Format::Arrow, TableInput::File(f)) => {
                let size = f.metadata().map_err(ColumnarError::io(shown, "read"))?.len();
                read_ahead(shown, name, move || read_ahead::arrow(BufReader::with_capacity(1 << 16, f), size))?
            }
            (Format::Arrow, TableInput::Bytes(b)) => {
                let size = b.len() as u64;
                read_ahead(shown, name, move || read_ahead::arrow(Cursor::new(b), size))?
            }
            (_, _) => {
                return Err(ColumnarError::Format {
                    path: shown.to_owned(),
                    format: name,
                    problem: "a table of cells is read from Parquet or Arrow IPC only".into(),
                });
            }
        };
        let schema = head.schema;
        // Checked on the file's schema, so a file without rows is checked too.
        let mut seen = std::collections::HashSet::with_capacity(schema.fields().len());
        for field in schema.fields() {
            // As CSV headers: which of two same-named columns holds the list is not ours to guess.
            if !seen.insert(field.name()) {
                return Err(ColumnarError::Column {
                    column: field.name().clone(),
                    problem: format!("column {} appears twice", field.name()),
                    expected: "each column once",
                });
            }
            if !readable(field.data_type()) {
                return Err(ColumnarError::Column {
                    column: field.name().clone(),
                    problem: format!("column {} is of type {}", field.name(), field.data_type()),
                    expected: EXPECTED_TYPE,
                });
            }
        }
        let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        Ok(TableRows { batches, columns, shown: shown.to_owned(), format: format.name() })
    }

    fn bad(&self, problem: String) -> ColumnarError {
        ColumnarError::Format { path: self.shown.clone(), format: self.format, problem }
    }

    /// The columns' names, in file order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Calls `each(row, cells)` for every row (0-based), `cells[i]` the text
    /// of column `i` (`None` for a null), stopping at the first error.
    ///
    /// # Errors
    ///
    /// The first of `each`'s errors; [`ColumnarError::Format`] if a batch
    /// cannot be decoded; [`ColumnarError::Cell`] for a value with no exact
    /// text (a date outside the calendar, a timestamp that is not midnight).
    pub fn for_each<E: From<ColumnarError>>(mut self, each: &mut EachRow<'_, E>) -> std::result::Result<(), E> {
        let mut texts: Vec<String> = vec![String::new(); self.columns.len()];
        let mut present: Vec<bool> = vec![false; self.columns.len()];
        let mut row = 0_u64;
        while let Some(batch) = self.batches.next() {
            let batch = batch.map_err(|e| self.bad(e))?;
            if batch.num_columns() != self.columns.len() {
                return Err(self.bad("a batch of another schema".into()).into());
            }
            for i in 0..batch.num_rows() {
                for (c, column) in batch.columns().iter().enumerate() {
                    let text = texts.get_mut(c).expect("invariant: one text per column");
                    text.clear();
                    let name = self.columns.get(c).expect("invariant: one name per column");
                    let is = cell(column, i, text).map_err(|(problem, expected)| ColumnarError::Cell {
                        row,
                        column: name.clone(),
                        problem,
                        expected,
                    })?;
                    *present.get_mut(c).expect("invariant: one flag per column") = is;
                }
                let cells: Vec<Option<&str>> =
                    texts.iter().zip(&present).map(|(t, &p)| p.then_some(t.as_str())).collect();
                each(row, &cells)?;
                row = row.checked_add(1).expect("invariant: fewer than 2^64 rows");
            }
        }
        Ok(())
    }
}

/// Writes the text of `column[i]` into `out`; false for a null.
fn cell(column: &ArrayRef, i: usize, out: &mut String) -> std::result::Result<bool, (String, &'static str)> {
    use std::fmt::Write;
    if column.is_null(i) {
        return Ok(false);
    }
    let w = |out: &mut String, v: &dyn std::fmt::Display| {
        write!(out, "{v}").expect("invariant: writing to a String cannot fail");
    };
    match column.data_type() {
        DataType::Utf8 => out.push_str(column.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => out.push_str(column.as_string::<i64>().value(i)),
        DataType::Utf8View => out.push_str(column.as_string_view().value(i)),
        DataType::Int8 => w(out, &column.as_primitive::<Int8Type>().value(i)),
        DataType::Int16 => w(out, &column.as_primitive::<Int16Type>().value(i)),
        DataType::Int32 => w(out, &column.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => w(out, &column.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => w(out, &column.as_primitive::<UInt8Type>().value(i)),
        DataType::UInt16 => w(out, &column.as_primitive::<UInt16Type>().value(i)),
        DataType::UInt32 => w(out, &column.as_primitive::<UInt32Type>().value(i)),
        DataType::UInt64 => w(out, &column.as_primitive::<UInt64Type>().value(i)),
        DataType::Boolean => out.push_str(if column.as_boolean().value(i) { "true" } else { "false" }),
        DataType::Decimal128(_, scale) => {
            let scale = u32::try_from(*scale).expect("invariant: checked non-negative at open");
            decimal(out, column.as_primitive::<Decimal128Type>().value(i), scale);
        }
        DataType::Date32 => {
            let days = column.as_primitive::<arrow_array::types::Date32Type>().value(i);
            w(out, &date_of_days(i64::from(days))?);
        }
        DataType::Timestamp(unit, None) => {
            let raw = timestamp_value(column, i, *unit);
            let per_day: i64 = match unit {
                TimeUnit::Second => 86_400,
                TimeUnit::Millisecond => 86_400_000,
                TimeUnit::Microsecond => 86_400_000_000,
                TimeUnit::Nanosecond => 86_400_000_000_000,
            };
            if raw.rem_euclid(per_day) != 0 {
                return Err((
                    format!("the timestamp {raw} ({unit:?}) is not at midnight"),
                    "a date (date32, or a timestamp at midnight)",
                ));
            }
            w(out, &date_of_days(raw.div_euclid(per_day))?);
        }
        DataType::Dictionary(_, _) => {
            let d = column.as_any_dictionary();
            let key = *d.normalized_keys().get(i).expect("invariant: a key per row");
            let values = d.values();
            match values.data_type() {
                DataType::Utf8 => out.push_str(values.as_string::<i32>().value(key)),
                _ => out.push_str(values.as_string::<i64>().value(key)),
            }
        }
        // Only nulls, which returned above.
        DataType::Null => return Ok(false),
        // Refused at open; should a batch differ from the schema, say so.
        other => return Err((format!("a value of type {other}"), EXPECTED_TYPE)),
    }
    Ok(true)
}

fn timestamp_value(column: &ArrayRef, i: usize, unit: TimeUnit) -> i64 {
    use arrow_array::types::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
    };
    match unit {
        TimeUnit::Second => column.as_primitive::<TimestampSecondType>().value(i),
        TimeUnit::Millisecond => column.as_primitive::<TimestampMillisecondType>().value(i),
        TimeUnit::Microsecond => column.as_primitive::<TimestampMicrosecondType>().value(i),
        TimeUnit::Nanosecond => column.as_primitive::<TimestampNanosecondType>().value(i),
    }
}

/// The date `days` after 1970-01-01, if it is one of 1900–2999 (a later
/// check would refuse any other; refused here, the column is named).
fn date_of_days(days: i64) -> std::result::Result<chrono::NaiveDate, (String, &'static str)> {
    crate::decode::date_in_format(days).ok_or_else(|| {
        (format!("{days} days from 1970-01-01 is outside the years 1900–2999"), "a date from 1900 to 2999")
    })
}

/// `value` × 10^-`scale` as exact decimal text: `-12.30` for (−1230, 2).
fn decimal(out: &mut String, value: i128, scale: u32) {
    let digits = value.unsigned_abs().to_string();
    if value < 0 {
        out.push('-');
    }
    let scale = usize::try_from(scale).expect("invariant: a scale fits usize");
    if scale == 0 {
        out.push_str(&digits);
        return;
    }
    let padded = format!("{digits:0>width$}", width = scale.saturating_add(1));
    let (whole, fraction) = padded.split_at(padded.len().checked_sub(scale).expect("invariant: padded past scale"));
    out.push_str(whole);
    out.push('.');
    out.push_str(fraction);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_exactly() {
        let text = |v: i128, s: u32| {
            let mut out = String::new();
            decimal(&mut out, v, s);
            out
        };
        assert_eq!(text(-1230, 2), "-12.30");
        assert_eq!(text(5, 2), "0.05");
        assert_eq!(text(-5, 3), "-0.005");
        assert_eq!(text(42, 0), "42");
        assert_eq!(text(i128::MIN, 2), "-1701411834604692317316873037158841057.28");
    }

    /// #36 (6): a list with two columns of one name is refused, as in CSV.
    #[test]
    fn a_table_with_two_columns_of_one_name_is_refused() {
        use std::sync::Arc;

        use arrow_array::{ArrayRef, StringArray};
        use arrow_schema::{Field, Schema};

        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("status", DataType::Utf8, false),
            Field::new("id", DataType::Utf8, false),
        ]));
        let column = || -> ArrayRef { Arc::new(StringArray::from(vec!["a"])) };
        let batch = arrow_array::RecordBatch::try_new(Arc::clone(&schema), vec![column(), column(), column()]).unwrap();
        let mut bytes = Vec::new();
        let mut w = arrow_ipc::writer::FileWriter::try_new(&mut bytes, &schema).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        drop(w);
        let err = TableRows::open(Format::Arrow, TableInput::Bytes(bytes), Path::new("persons.arrow")).err().unwrap();
        assert!(
            matches!(&err, ColumnarError::Column { column, problem, .. } if column == "id" && problem == "column id appears twice"),
            "{err:?}"
        );
    }

    #[test]
    fn dates_are_days_from_1970() {
        assert_eq!(date_of_days(0).unwrap().to_string(), "1970-01-01");
        assert_eq!(date_of_days(19_723).unwrap().to_string(), "2024-01-01");
        assert!(date_of_days(i64::MAX).is_err());
        // The years of the format, 1900–2999, and not a day beyond.
        assert_eq!(date_of_days(-25_567).unwrap().to_string(), "1900-01-01");
        assert_eq!(date_of_days(376_199).unwrap().to_string(), "2999-12-31");
        assert!(date_of_days(-25_568).is_err());
        assert!(date_of_days(376_200).is_err());
    }
}
