//! Claims read from Arrow columns: `person` (text or integers), `date`
//! (date32, date64 or `YYYY-MM-DD` text), `eligible_cost` (decimal with at
//! most two decimals, integers in yuan or fen, text in the money grammar, or
//! a float only when its shortest decimal form has at most two decimals) and
//! an optional `claim_id` (text or integers, passed through). Values are
//! read straight from the Arrow buffers, row by row, never copied first.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Date64Type, Decimal128Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use chrono::NaiveDate;
use medfund_core::Money;

use crate::error::{ColumnarError, Result};

/// How integer money is read and money is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Unit {
    /// Integers are yuan; money out as `decimal128(18, 2)`.
    #[default]
    Yuan,
    /// Integers are fen; money out as `int64` fen.
    Fen,
}

/// A person's id as the file gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonKey<'a> {
    /// Text.
    Text(&'a str),
    /// An integer.
    Int(i64),
}

impl PersonKey<'_> {
    /// A hash that is the same in every process and on every machine (FNV-1a
    /// of the text's bytes or the integer's little-endian bytes), to put all
    /// claims of one person in one partition.
    pub fn stable_hash(&self) -> u64 {
        match self {
            PersonKey::Text(t) => medfund_core::fnv1a(t.as_bytes()),
            PersonKey::Int(i) => medfund_core::fnv1a(&i.to_le_bytes()),
        }
    }
}

impl std::fmt::Display for PersonKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PersonKey::Text(t) => f.write_str(t),
            PersonKey::Int(i) => write!(f, "{i}"),
        }
    }
}

/// A claim's own id, passed through to its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimId<'a> {
    /// Text.
    Text(&'a str),
    /// An integer.
    Int(i64),
}

/// The column `name` of `batch`, or `None` if it has none.
///
/// # Errors
///
/// [`ColumnarError::Column`] if two columns bear the name: which one holds
/// the figures is not for the reader to guess (CSV headers are held to the
/// same rule).
pub fn optional_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<Option<&'a ArrayRef>> {
    let schema = batch.schema_ref();
    let mut named = schema.fields().iter().enumerate().filter(|(_, f)| f.name() == name).map(|(i, _)| i);
    match (named.next(), named.next()) {
        (None, _) => Ok(None),
        (Some(i), None) => Ok(batch.columns().get(i)),
        (Some(_), Some(_)) => Err(ColumnarError::Column {
            column: name.to_owned(),
            problem: format!("column {name} appears twice"),
            expected: "each column once",
        }),
    }
}

/// The column `name` of `batch`.
///
/// # Errors
///
/// [`ColumnarError::Column`] if it has none, or two (see [`optional_column`]).
pub fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    optional_column(batch, name)?.ok_or_else(|| {
        let have: Vec<&str> = batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        ColumnarError::Column {
            column: name.to_owned(),
            problem: format!("no column {name:?} (columns: {})", have.join(", ")),
            expected: "person, date and eligible_cost",
        }
    })
}

/// The error of a column whose Arrow type is not one the field reads.
fn wrong_type(column: &str, array: &dyn Array, expected: &'static str) -> ColumnarError {
    ColumnarError::Column {
        column: column.to_owned(),
        problem: format!("column {column} is {}", array.data_type()),
        expected,
    }
}

fn first_null(a: &dyn Array) -> Option<usize> {
    if a.null_count() == 0 {
        return None;
    }
    (0..a.len()).find(|&i| a.is_null(i))
}

fn at(first: u64, i: usize) -> u64 {
    first.checked_add(i as u64).expect("invariant: a row index fits u64")
}

fn null_at(column: &'static str, row: u64) -> ColumnarError {
    ColumnarError::value(row, column, "empty (null)", "a value")
}

/// Days from 0001-01-01 (day 1) to 1970-01-01: Arrow counts days from 1970.
const EPOCH_FROM_CE: i64 = 719_163;
/// The days (from 1970) of 1900-01-01 and 2999-12-31, the calendar of the format.
const FIRST_DAY: i64 = -25_567;
const LAST_DAY: i64 = 376_199;

fn date_of_days(days: i64, row: u64) -> Result<NaiveDate> {
    date_in_format(days).ok_or_else(|| {
        ColumnarError::value(
            row,
            "date",
            format!("{days} days from 1970 is outside the years 1900–2999"),
            "a date in them",
        )
    })
}

/// The date `days` after 1970-01-01 if it is one of 1900–2999 (the years
/// the scenario format reads), else `None`.
pub(crate) fn date_in_format(days: i64) -> Option<NaiveDate> {
    let days = i32::try_from(days).ok().filter(|d| (FIRST_DAY..=LAST_DAY).contains(&i64::from(*d)))?;
    Some(date_of_epoch_day(days))
}

/// The days (from 1970) of 2100-01-01: the end of the table of dates.
const TABLE_END: i32 = 47_482;

/// The date `days` after 1970-01-01, `days` being a day of 1900–2999. Dates
/// of 1970–2099 come from a table built once (the calendar arithmetic was
/// 4 % of a run of 10⁷ claims, which converts every date twice), others are
/// computed.
pub(crate) fn date_of_epoch_day(days: i32) -> NaiveDate {
    static TABLE: std::sync::OnceLock<Vec<NaiveDate>> = std::sync::OnceLock::new();
    let index = usize::try_from(days).ok().filter(|_| days < TABLE_END);
    if let Some(i) = index {
        let table = TABLE.get_or_init(|| {
            let first = NaiveDate::from_ymd_opt(1970, 1, 1).expect("invariant: a date");
            first.iter_days().take(usize::try_from(TABLE_END).expect("invariant: positive")).collect()
        });
        return *table.get(i).expect("invariant: i < TABLE_END, the table's length");
    }
    let from_ce = days
        .checked_add(i32::try_from(EPOCH_FROM_CE).expect("invariant: small"))
        .expect("invariant: a day of 1900–2999 plus the epoch fits i32");
    NaiveDate::from_num_days_from_ce_opt(from_ce).expect("invariant: a day of 1900–2999 is a date")
}

/// The days from 1970-01-01 of a date of 1900–2999.
pub(crate) fn days_of(date: NaiveDate) -> i32 {
    let ce = i64::from(chrono::Datelike::num_days_from_ce(&date));
    i32::try_from(ce.checked_sub(EPOCH_FROM_CE).expect("invariant: small")).expect("invariant: a date's days fit i32")
}

/// `YYYY-MM-DD` exactly (four-digit year 1900–2999), as the scenario format reads dates.
pub fn strict_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    let shape = b.len() == 10
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let d = NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().filter(|_| shape)?;
    (1900..=2999).contains(&chrono::Datelike::year(&d)).then_some(d)
}

/// A text column (utf8, large utf8 or utf8 view).
#[derive(Clone, Copy)]
enum Texts<'a> {
    Small(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Texts<'a> {
    fn of(a: &'a ArrayRef) -> Option<Texts<'a>> {
        Some(match a.data_type() {
            DataType::Utf8 => Texts::Small(a.as_string::<i32>()),
            DataType::LargeUtf8 => Texts::Large(a.as_string::<i64>()),
            DataType::Utf8View => Texts::View(a.as_string_view()),
            _ => return None,
        })
    }

    #[inline]
    fn get(&self, i: usize) -> &'a str {
        match self {
            Texts::Small(a) => a.value(i),
            Texts::Large(a) => a.value(i),
            Texts::View(a) => a.value(i),
        }
    }
}

/// An integer column (int64 or int32).
#[derive(Clone, Copy)]
enum Ints<'a> {
    I64(&'a [i64]),
    I32(&'a [i32]),
}

impl Ints<'_> {
    fn of(a: &ArrayRef) -> Option<Ints<'_>> {
        Some(match a.data_type() {
            DataType::Int64 => Ints::I64(a.as_primitive::<Int64Type>().values()),
            DataType::Int32 => Ints::I32(a.as_primitive::<Int32Type>().values()),
            _ => return None,
        })
    }

    #[inline]
    fn get(&self, i: usize) -> i64 {
        match self {
            Ints::I64(v) => *v.get(i).expect("invariant: i is below the batch's rows"),
            Ints::I32(v) => i64::from(*v.get(i).expect("invariant: i is below the batch's rows")),
        }
    }
}

/// Text or integers.
#[derive(Clone, Copy)]
enum Keys<'a> {
    Text(Texts<'a>),
    Int(Ints<'a>),
}

impl<'a> Keys<'a> {
    fn of(a: &'a ArrayRef, column: &str, expected: &'static str) -> Result<Keys<'a>> {
        if let Some(t) = Texts::of(a) {
            return Ok(Keys::Text(t));
        }
        Ints::of(a).map(Keys::Int).ok_or_else(|| wrong_type(column, a, expected))
    }
}

/// The claims of one batch, read row by row.
pub struct ClaimColumns<'a> {
    persons: Keys<'a>,
    dates: DateColumn<'a>,
    costs: CostColumn<'a>,
    ids: Option<(Keys<'a>, &'a ArrayRef)>,
    first: u64,
    len: usize,
}

impl<'a> ClaimColumns<'a> {
    /// The claims of `batch`, whose first row is row `first` of the input.
    /// Columns are checked here (presence, type, nulls of person); values
    /// as each row is read.
    pub fn of(batch: &'a RecordBatch, first: u64, unit: Unit) -> Result<ClaimColumns<'a>> {
        let (p, d, c) = (column(batch, "person")?, column(batch, "date")?, column(batch, "eligible_cost")?);
        if let Some(i) = first_null(p.as_ref()) {
            return Err(null_at("person", at(first, i)));
        }
        let persons = Keys::of(p, "person", "text or integers")?;
        let ids = match optional_column(batch, "claim_id")? {
            Some(a) => Some((Keys::of(a, "claim_id", "text or integers")?, a)),
            None => None,
        };
        Ok(ClaimColumns {
            persons,
            dates: DateColumn::of(d, first)?,
            costs: CostColumn::of(c, first, unit)?,
            ids,
            first,
            len: batch.num_rows(),
        })
    }

    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the persons are text (else integers).
    pub fn text_persons(&self) -> bool {
        matches!(self.persons, Keys::Text(_))
    }

    /// The type of the `claim_id` column, if the batch has one.
    pub fn claim_id_type(&self) -> Option<&'a DataType> {
        self.ids.map(|(_, a)| a.data_type())
    }

    /// The person of row `i` of the batch.
    #[inline]
    pub fn person(&self, i: usize) -> PersonKey<'a> {
        match self.persons {
            Keys::Text(t) => PersonKey::Text(t.get(i)),
            Keys::Int(n) => PersonKey::Int(n.get(i)),
        }
    }

    /// The date of row `i` of the batch.
    #[inline]
    pub fn date(&self, i: usize) -> Result<NaiveDate> {
        self.dates.get(i, at(self.first, i))
    }

    /// The eligible cost of row `i` of the batch (zero or more).
    #[inline]
    pub fn cost(&self, i: usize) -> Result<Money> {
        self.costs.get(i, at(self.first, i))
    }

    /// The claim id of row `i` of the batch (`None`: no column, or null).
    #[inline]
    pub fn claim_id(&self, i: usize) -> Option<ClaimId<'a>> {
        let (keys, array) = self.ids?;
        if array.is_null(i) {
            return None;
        }
        Some(match keys {
            Keys::Text(t) => ClaimId::Text(t.get(i)),
            Keys::Int(n) => ClaimId::Int(n.get(i)),
        })
    }
}

/// A date column: date32 straight from the Arrow buffer, the rest read once up front.
enum DateColumn<'a> {
    Days(&'a [i32]),
    Other(Vec<NaiveDate>),
}

impl<'a> DateColumn<'a> {
    fn of(array: &'a ArrayRef, first: u64) -> Result<DateColumn<'a>> {
        if let Some(i) = first_null(array.as_ref()) {
            return Err(null_at("date", at(first, i)));
        }
        let all = |f: &mut dyn FnMut(usize) -> Result<NaiveDate>| (0..array.len()).map(f).collect::<Result<Vec<_>>>();
        match array.data_type() {
            DataType::Date32 => Ok(DateColumn::Days(array.as_primitive::<Date32Type>().values())),
            DataType::Date64 => {
                let ms = array.as_primitive::<Date64Type>().values();
                all(&mut |i| {
                    let ms = *ms.get(i).expect("invariant: i is below the batch's rows");
                    if ms.rem_euclid(86_400_000) != 0 {
                        return Err(ColumnarError::value(
                            at(first, i),
                            "date",
                            format!("{ms} ms is not midnight"),
                            "a date",
                        ));
                    }
                    date_of_days(ms.div_euclid(86_400_000), at(first, i))
                })
                .map(DateColumn::Other)
            }
            _ => match Texts::of(array) {
                Some(t) => all(&mut |i| {
                    let s = t.get(i);
                    strict_date(s).ok_or_else(|| {
                        ColumnarError::value(
                            at(first, i),
                            "date",
                            format!("{:?}", s.chars().take(40).collect::<String>()),
                            "a date YYYY-MM-DD",
                        )
                    })
                })
                .map(DateColumn::Other),
                None => Err(wrong_type("date", array, "date32, date64 or text YYYY-MM-DD")),
            },
        }
    }

    #[inline]
    fn get(&self, i: usize, row: u64) -> Result<NaiveDate> {
        match self {
            DateColumn::Days(days) => {
                date_of_days(i64::from(*days.get(i).expect("invariant: i is below the batch's rows")), row)
            }
            DateColumn::Other(v) => Ok(*v.get(i).expect("invariant: i is below the batch's rows")),
        }
    }
}

fn cost_error(row: u64, problem: impl std::fmt::Display) -> ColumnarError {
    ColumnarError::value(row, "eligible_cost", problem.to_string(), "yuan to the fen, zero or more")
}

fn non_negative(m: Money, row: u64) -> Result<Money> {
    if m.fen() < 0 {
        return Err(ColumnarError::value(
            row,
            "eligible_cost",
            format!("{m} is negative"),
            "an amount of zero or more",
        ));
    }
    Ok(m)
}

/// A cost column: decimals and integers straight from the Arrow buffer,
/// text and floats converted up front.
enum CostColumn<'a> {
    /// Unscaled decimal values and the factor to fen (10^(2 − scale)).
    Decimal(&'a [i128], i128),
    /// Integers and the factor to fen (100 for yuan, 1 for fen).
    Int(Ints<'a>, i64),
    Other(Vec<Money>),
}

impl<'a> CostColumn<'a> {
    fn of(array: &'a ArrayRef, first: u64, unit: Unit) -> Result<CostColumn<'a>> {
        if let Some(i) = first_null(array.as_ref()) {
            return Err(null_at("eligible_cost", at(first, i)));
        }
        let per_yuan = match unit {
            Unit::Yuan => 100,
            Unit::Fen => 1,
        };
        if let Some(ints) = Ints::of(array) {
            return Ok(CostColumn::Int(ints, per_yuan));
        }
        let all = |f: &mut dyn FnMut(usize) -> Result<Money>| (0..array.len()).map(f).collect::<Result<Vec<_>>>();
        match array.data_type() {
            DataType::Decimal128(_, scale @ 0..=2) => Ok(CostColumn::Decimal(
                array.as_primitive::<Decimal128Type>().values(),
                10_i128.checked_pow(u32::from(2_i8.abs_diff(*scale))).expect("invariant: 10^2 fits i128"),
            )),
            DataType::Decimal128(_, scale) => {
                let scale = *scale;
                let Some(factor) = 10_i128.checked_pow(u32::from(2_i8.abs_diff(scale))) else {
                    return Err(ColumnarError::Column {
                        column: "eligible_cost".into(),
                        problem: format!("column eligible_cost has scale {scale}"),
                        expected: "a decimal scale of at most 38",
                    });
                };
                let values = array.as_primitive::<Decimal128Type>().values();
                all(&mut |i| {
                    let v = *values.get(i).expect("invariant: i is below the batch's rows");
                    // A negative scale multiplies; a scale above 2 divides, when exact.
                    let fen = if scale < 0 {
                        v.checked_mul(factor)
                    } else {
                        if v.checked_rem(factor) != Some(0) {
                            return Err(cost_error(at(first, i), "more than two decimals"));
                        }
                        v.checked_div(factor)
                    };
                    let fen = fen
                        .and_then(|f| i64::try_from(f).ok())
                        .ok_or_else(|| cost_error(at(first, i), "beyond the money range"))?;
                    non_negative(Money::from_fen(fen), at(first, i))
                })
                .map(CostColumn::Other)
            }
            DataType::Float64 => {
                let values = array.as_primitive::<Float64Type>().values();
                all(&mut |i| {
                    if unit == Unit::Fen {
                        return Err(ColumnarError::value(
                            at(first, i),
                            "eligible_cost",
                            "a float with money='fen'",
                            "integer fen",
                        ));
                    }
                    let v = *values.get(i).expect("invariant: i is below the batch's rows");
                    non_negative(Money::from_f64(v).map_err(|e| cost_error(at(first, i), e))?, at(first, i))
                })
                .map(CostColumn::Other)
            }
            _ => match Texts::of(array) {
                Some(t) => all(&mut |i| {
                    non_negative(t.get(i).parse::<Money>().map_err(|e| cost_error(at(first, i), e))?, at(first, i))
                })
                .map(CostColumn::Other),
                None => Err(wrong_type("eligible_cost", array, "decimal, integers, text or float64")),
            },
        }
    }

    #[inline]
    fn get(&self, i: usize, row: u64) -> Result<Money> {
        let fen = match self {
            CostColumn::Decimal(v, factor) => {
                let v = *v.get(i).expect("invariant: i is below the batch's rows");
                v.checked_mul(*factor)
                    .and_then(|f| i64::try_from(f).ok())
                    .ok_or_else(|| cost_error(row, "beyond the money range"))?
            }
            CostColumn::Int(v, factor) => {
                let v = v.get(i);
                v.checked_mul(*factor).ok_or_else(|| cost_error(row, format!("{v} is beyond the money range")))?
            }
            CostColumn::Other(v) => return Ok(*v.get(i).expect("invariant: i is below the batch's rows")),
        };
        non_negative(Money::from_fen(fen), row)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Date32Array, Int64Array, StringArray};
    use arrow_schema::{Field, Schema};

    use super::*;

    /// #36 (6): two `person` columns were read as the first one.
    #[test]
    fn two_columns_of_one_name_are_an_error_not_the_first_of_them() {
        for twice in ["person", "claim_id"] {
            let mut fields = vec![
                Field::new("person", DataType::Utf8, false),
                Field::new("date", DataType::Date32, false),
                Field::new("eligible_cost", DataType::Int64, false),
                Field::new("claim_id", DataType::Utf8, false),
            ];
            fields.push(Field::new(twice, DataType::Utf8, false));
            let text = || -> ArrayRef { Arc::new(StringArray::from(vec!["a"])) };
            let columns: Vec<ArrayRef> = vec![
                text(),
                Arc::new(Date32Array::from(vec![19_500])),
                Arc::new(Int64Array::from(vec![100])),
                text(),
                text(),
            ];
            let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
            let err = ClaimColumns::of(&batch, 0, Unit::Yuan).err().unwrap();
            assert!(
                matches!(&err, ColumnarError::Column { column, problem, .. } if column == twice && problem.ends_with("appears twice")),
                "{err:?}"
            );
        }
    }

    #[test]
    fn the_table_of_dates_gives_the_calendars_date_for_every_day() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let (first, last) = (i32::try_from(FIRST_DAY).unwrap(), i32::try_from(LAST_DAY).unwrap());
        let edges = [first, -1, 0, 1, TABLE_END - 1, TABLE_END, last];
        for days in (first..=last).step_by(7).chain(edges) {
            assert_eq!(date_of_epoch_day(days), epoch + chrono::Duration::days(i64::from(days)), "day {days}");
        }
    }
}
