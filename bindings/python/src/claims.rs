//! `split_claims` on Arrow columns: `person` (text or integers), `date`
//! (date32, date64 or `YYYY-MM-DD` text) and `eligible_cost` (decimal with
//! at most 2 decimals, integers in yuan or fen, text, or a float only when
//! its shortest decimal form has at most 2 decimals — the rule of the CLI).
//! Persons are borrowed from the Arrow buffers, never copied.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Date64Type, Decimal128Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, Int32Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use chrono::NaiveDate;
use medfund_core::Money;
use medfund_scenario::{Claim, ClaimSplit, YearSummary};

use crate::tables::MONEY;

/// How integer costs are read and money is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Integers are yuan; money out as `decimal128(18, 2)`.
    Yuan,
    /// Integers are fen; money out as int64 fen.
    Fen,
}

/// What is wrong with a column or a row, for the `InputError`.
pub(crate) type Bad = String;

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, Bad> {
    batch.column_by_name(name).ok_or_else(|| {
        let have: Vec<&str> = batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        format!("claims: no column {name:?} (columns: {}); expected person, date and eligible_cost", have.join(", "))
    })
}

/// The first null of an array, looked for only when it has any.
fn first_null(a: &dyn Array) -> Option<usize> {
    if a.null_count() == 0 {
        return None;
    }
    (0..a.len()).find(|&i| a.is_null(i))
}

fn null_at(name: &str, row: usize) -> Bad {
    format!("supplementary.claims[{row}].{name}: empty (null); expected a value")
}

/// Days from 0001-01-01 (day 1) to 1970-01-01: Arrow counts days from 1970.
const EPOCH_FROM_CE: i64 = 719_163;
/// The days (from 1970) of 1900-01-01 and 2999-12-31, the calendar of the format.
const FIRST_DAY: i64 = -25_567;
const LAST_DAY: i64 = 376_199;

fn date_of_days(days: i64, row: usize) -> Result<NaiveDate, Bad> {
    if !(FIRST_DAY..=LAST_DAY).contains(&days) {
        return Err(format!(
            "supplementary.claims[{row}].date: {days} days from 1970 is outside the years 1900–2999; expected a date in them"
        ));
    }
    let from_ce =
        i32::try_from(days.checked_add(EPOCH_FROM_CE).expect("invariant: a day in range plus the epoch fits i64"))
            .expect("invariant: a day of 1900–2999 fits i32");
    Ok(NaiveDate::from_num_days_from_ce_opt(from_ce).expect("invariant: a day of 1900–2999 is a date"))
}

/// The values of a text column (utf8, large utf8 or utf8 view).
fn texts(array: &ArrayRef) -> Box<dyn Iterator<Item = Option<&str>> + '_> {
    match array.data_type() {
        DataType::Utf8 => Box::new(array.as_string::<i32>().iter()),
        DataType::LargeUtf8 => Box::new(array.as_string::<i64>().iter()),
        _ => Box::new(array.as_string_view().iter()),
    }
}

/// The dates of one batch (`first` is the batch's first row in the table).
fn dates(array: &ArrayRef, first: usize) -> Result<Vec<NaiveDate>, Bad> {
    let at = |i: usize| first.checked_add(i).expect("invariant: a row index fits usize");
    if let Some(i) = first_null(array.as_ref()) {
        return Err(null_at("date", at(i)));
    }
    match array.data_type() {
        DataType::Date32 => array
            .as_primitive::<Date32Type>()
            .values()
            .iter()
            .enumerate()
            .map(|(i, &d)| date_of_days(i64::from(d), at(i)))
            .collect(),
        DataType::Date64 => array
            .as_primitive::<Date64Type>()
            .values()
            .iter()
            .enumerate()
            .map(|(i, &ms)| {
                if ms.rem_euclid(86_400_000) != 0 {
                    return Err(format!(
                        "supplementary.claims[{}].date: {ms} ms is not midnight; expected a date",
                        at(i)
                    ));
                }
                date_of_days(ms.div_euclid(86_400_000), at(i))
            })
            .collect(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => texts(array)
            .enumerate()
            .map(|(i, t)| {
                let t = t.unwrap_or_default();
                strict_date(t).ok_or_else(|| {
                    format!(
                        "supplementary.claims[{}].date: {:?}; expected a date YYYY-MM-DD",
                        at(i),
                        t.chars().take(40).collect::<String>()
                    )
                })
            })
            .collect(),
        other => Err(format!("claims: column date is {other}; expected date32, date64 or text YYYY-MM-DD")),
    }
}

/// `YYYY-MM-DD` exactly (four-digit year 1900–2999), as the scenario format reads dates.
fn strict_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    let shape = b.len() == 10
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let d = NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().filter(|_| shape)?;
    (1900..=2999).contains(&chrono::Datelike::year(&d)).then_some(d)
}

fn cost_error(row: usize, e: impl std::fmt::Display) -> Bad {
    format!("supplementary.claims[{row}].eligible_cost: {e}")
}

fn non_negative(m: Money, row: usize) -> Result<Money, Bad> {
    if m.fen() < 0 {
        return Err(format!(
            "supplementary.claims[{row}].eligible_cost: {m} is negative; expected an amount of zero or more"
        ));
    }
    Ok(m)
}

/// The costs of one batch.
fn costs(array: &ArrayRef, first: usize, unit: Unit) -> Result<Vec<Money>, Bad> {
    let at = |i: usize| first.checked_add(i).expect("invariant: a row index fits usize");
    if let Some(i) = first_null(array.as_ref()) {
        return Err(null_at("eligible_cost", at(i)));
    }
    let ints = |values: &mut dyn Iterator<Item = i64>| -> Result<Vec<Money>, Bad> {
        values
            .enumerate()
            .map(|(i, v)| {
                let m = match unit {
                    Unit::Fen => Money::from_fen(v),
                    Unit::Yuan => Money::from_fen(
                        v.checked_mul(100)
                            .ok_or_else(|| cost_error(at(i), format!("{v} yuan is beyond the money range")))?,
                    ),
                };
                non_negative(m, at(i))
            })
            .collect()
    };
    match array.data_type() {
        DataType::Decimal128(_, scale) => {
            let scale = *scale;
            let a = array.as_primitive::<Decimal128Type>();
            // Fen = unscaled × 10^(2 − scale), or ÷ 10^(scale − 2) when exact.
            let factor = 10_i128.checked_pow(u32::from(2_i8.abs_diff(scale)));
            let Some(factor) = factor else {
                return Err(format!(
                    "claims: column eligible_cost has scale {scale}; expected a decimal scale of at most 38"
                ));
            };
            a.values()
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let fen = if scale <= 2 {
                        v.checked_mul(factor)
                    } else {
                        if v.checked_rem(factor) != Some(0) {
                            return Err(cost_error(at(i), "more than two decimals; expected yuan to the fen"));
                        }
                        v.checked_div(factor)
                    };
                    let fen = fen
                        .and_then(|f| i64::try_from(f).ok())
                        .ok_or_else(|| cost_error(at(i), "beyond the money range"))?;
                    non_negative(Money::from_fen(fen), at(i))
                })
                .collect()
        }
        DataType::Int64 => ints(&mut array.as_primitive::<Int64Type>().values().iter().copied()),
        DataType::Int32 => ints(&mut array.as_primitive::<Int32Type>().values().iter().map(|&v| i64::from(v))),
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if unit == Unit::Fen {
                    return Err(cost_error(at(i), "a float with money='fen'; expected integer fen"));
                }
                non_negative(Money::from_f64(v).map_err(|e| cost_error(at(i), e))?, at(i))
            })
            .collect(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => texts(array)
            .enumerate()
            .map(|(i, t)| {
                non_negative(t.unwrap_or_default().parse::<Money>().map_err(|e| cost_error(at(i), e))?, at(i))
            })
            .collect(),
        other => Err(format!("claims: column eligible_cost is {other}; expected decimal, integers, text or float64")),
    }
}

/// The persons of one batch, borrowed: text, or integers as their decimal text's key.
pub(crate) enum Persons<'a> {
    /// Text ids.
    Text(Vec<&'a str>),
    /// Integer ids.
    Int(Vec<i64>),
}

fn persons(array: &ArrayRef, first: usize) -> Result<Persons<'_>, Bad> {
    if let Some(i) = first_null(array.as_ref()) {
        return Err(null_at("person", first.checked_add(i).expect("invariant: a row index fits usize")));
    }
    Ok(match array.data_type() {
        DataType::Utf8 => Persons::Text(array.as_string::<i32>().iter().map(Option::unwrap_or_default).collect()),
        DataType::LargeUtf8 => Persons::Text(array.as_string::<i64>().iter().map(Option::unwrap_or_default).collect()),
        DataType::Utf8View => Persons::Text(array.as_string_view().iter().map(Option::unwrap_or_default).collect()),
        DataType::Int64 => Persons::Int(array.as_primitive::<Int64Type>().values().to_vec()),
        DataType::Int32 => {
            Persons::Int(array.as_primitive::<Int32Type>().values().iter().map(|&v| i64::from(v)).collect())
        }
        other => return Err(format!("claims: column person is {other}; expected text or integers")),
    })
}

/// The claims of every batch, persons borrowed.
pub(crate) fn read<'a>(batches: &'a [RecordBatch], unit: Unit) -> Result<Either<'a>, Bad> {
    // Reserved once: growing a vector of 10^6 claims by doubling copies it
    // twenty times and touches twice the pages.
    let total = batches
        .iter()
        .try_fold(0_usize, |n, b| n.checked_add(b.num_rows()))
        .expect("invariant: a row count fits usize");
    let mut text: Vec<Claim<&'a str>> = Vec::new();
    let mut int: Vec<Claim<i64>> = Vec::new();
    let mut first = 0_usize;
    let mixed =
        || -> Bad { "claims: column person is integers in one batch and text in another; expected one type".into() };
    for batch in batches {
        let (p, d, c) = (column(batch, "person")?, column(batch, "date")?, column(batch, "eligible_cost")?);
        if let Some(i) = first_null(p.as_ref()) {
            return Err(null_at("person", first.checked_add(i).expect("invariant: a row index fits usize")));
        }
        let (dates, costs) = (DateColumn::of(d, first)?, CostColumn::of(c, first, unit)?);
        // One pass per batch: person, date and cost of a row read together,
        // the claim written once (no column materialised on the way).
        let at = |i: usize| first.checked_add(i).expect("invariant: a row index fits usize");
        macro_rules! fill {
            ($out:ident, $other:ident, $person:expr) => {{
                if !$other.is_empty() {
                    return Err(mixed());
                }
                $out.reserve_exact(total.saturating_sub($out.len()));
                for i in 0..batch.num_rows() {
                    let row = at(i);
                    $out.push(Claim {
                        person: $person(i),
                        date: dates.get(i, row)?,
                        eligible_cost: costs.get(i, row)?,
                    });
                }
            }};
        }
        match p.data_type() {
            DataType::Utf8 => {
                let a = p.as_string::<i32>();
                fill!(text, int, |i| a.value(i))
            }
            DataType::LargeUtf8 => {
                let a = p.as_string::<i64>();
                fill!(text, int, |i| a.value(i))
            }
            DataType::Utf8View => {
                let a = p.as_string_view();
                fill!(text, int, |i| a.value(i))
            }
            DataType::Int64 => {
                let a = p.as_primitive::<Int64Type>().values();
                fill!(int, text, |i: usize| *a.get(i).expect("invariant: i is below the batch's rows"))
            }
            DataType::Int32 => {
                let a = p.as_primitive::<Int32Type>().values();
                fill!(int, text, |i: usize| i64::from(*a.get(i).expect("invariant: i is below the batch's rows")))
            }
            other => return Err(format!("claims: column person is {other}; expected text or integers")),
        }
        first = first.checked_add(batch.num_rows()).expect("invariant: a row count fits usize");
    }
    Ok(if int.is_empty() { Either::Text(text) } else { Either::Int(int) })
}

/// A date column read row by row: date32 and date64 straight from the
/// Arrow buffer, text parsed once up front.
enum DateColumn<'a> {
    Days(&'a [i32]),
    Other(Vec<NaiveDate>),
}

impl<'a> DateColumn<'a> {
    fn of(array: &'a ArrayRef, first: usize) -> Result<DateColumn<'a>, Bad> {
        match array.data_type() {
            DataType::Date32 if array.null_count() == 0 => {
                Ok(DateColumn::Days(array.as_primitive::<Date32Type>().values()))
            }
            _ => dates(array, first).map(DateColumn::Other),
        }
    }

    #[inline]
    fn get(&self, i: usize, row: usize) -> Result<NaiveDate, Bad> {
        match self {
            DateColumn::Days(days) => {
                date_of_days(i64::from(*days.get(i).expect("invariant: i is below the batch's rows")), row)
            }
            DateColumn::Other(v) => Ok(*v.get(i).expect("invariant: i is below the batch's rows")),
        }
    }
}

/// A cost column read row by row: decimals with at most two decimals and
/// integers straight from the Arrow buffer, the rest converted up front.
enum CostColumn<'a> {
    /// Unscaled decimal values and the factor to fen (10^(2 − scale)).
    Decimal(&'a [i128], i128),
    /// Integers and the factor to fen (100 for yuan, 1 for fen).
    Int(&'a [i64], i64),
    Other(Vec<Money>),
}

impl<'a> CostColumn<'a> {
    fn of(array: &'a ArrayRef, first: usize, unit: Unit) -> Result<CostColumn<'a>, Bad> {
        if array.null_count() > 0 {
            return costs(array, first, unit).map(CostColumn::Other);
        }
        Ok(match array.data_type() {
            DataType::Decimal128(_, scale @ 0..=2) => CostColumn::Decimal(
                array.as_primitive::<Decimal128Type>().values(),
                10_i128.checked_pow(u32::from(2_i8.abs_diff(*scale))).expect("invariant: 10^2 fits i128"),
            ),
            DataType::Int64 => CostColumn::Int(
                array.as_primitive::<Int64Type>().values(),
                match unit {
                    Unit::Yuan => 100,
                    Unit::Fen => 1,
                },
            ),
            _ => CostColumn::Other(costs(array, first, unit)?),
        })
    }

    #[inline]
    fn get(&self, i: usize, row: usize) -> Result<Money, Bad> {
        let fen = match self {
            CostColumn::Decimal(v, factor) => {
                let v = *v.get(i).expect("invariant: i is below the batch's rows");
                v.checked_mul(*factor)
                    .and_then(|f| i64::try_from(f).ok())
                    .ok_or_else(|| cost_error(row, "beyond the money range"))?
            }
            CostColumn::Int(v, factor) => {
                let v = *v.get(i).expect("invariant: i is below the batch's rows");
                v.checked_mul(*factor).ok_or_else(|| cost_error(row, format!("{v} yuan is beyond the money range")))?
            }
            CostColumn::Other(v) => return Ok(*v.get(i).expect("invariant: i is below the batch's rows")),
        };
        non_negative(Money::from_fen(fen), row)
    }
}

/// Claims with text or integer persons.
pub(crate) enum Either<'a> {
    /// Text persons.
    Text(Vec<Claim<&'a str>>),
    /// Integer persons.
    Int(Vec<Claim<i64>>),
}

fn money_array(
    values: impl Iterator<Item = Money>,
    unit: Unit,
) -> Result<(DataType, ArrayRef), arrow_schema::ArrowError> {
    Ok(match unit {
        Unit::Yuan => {
            let a = arrow_array::Decimal128Array::from_iter_values(values.map(|m| i128::from(m.fen())))
                .with_precision_and_scale(18, 2)?;
            (MONEY, Arc::new(a))
        }
        Unit::Fen => (DataType::Int64, Arc::new(arrow_array::Int64Array::from_iter_values(values.map(Money::fen)))),
    })
}

/// A money column of a table: its name and the figure of a row.
type MoneyColumn<'n, T> = (&'n str, fn(&T) -> Money);

/// A table of `rows`: the `leading` columns, `medical_year`, then one money
/// column per `(name, figure)`, all in `unit`.
fn year_table<T>(
    rows: &[T],
    leading: Vec<(Field, ArrayRef)>,
    year: fn(&T) -> i32,
    money: [MoneyColumn<'_, T>; 3],
    unit: Unit,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let (mut fields, mut arrays): (Vec<Field>, Vec<ArrayRef>) = leading.into_iter().unzip();
    fields.push(Field::new("medical_year", DataType::Int32, false));
    arrays.push(Arc::new(Int32Array::from_iter_values(rows.iter().map(year))));
    for (name, figure) in money {
        let (t, a) = money_array(rows.iter().map(figure), unit)?;
        fields.push(Field::new(name, t, false));
        arrays.push(a);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
}

/// The per-claim table: `claim_id` (when the input has one), `medical_year`, `fund`, `insurer`, `person_pays`.
pub(crate) fn splits_batch(
    splits: &[ClaimSplit],
    claim_id: Option<ArrayRef>,
    unit: Unit,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let leading = claim_id.map(|id| (Field::new("claim_id", id.data_type().clone(), true), id)).into_iter().collect();
    year_table(
        splits,
        leading,
        |s| s.medical_year,
        [("fund", |s| s.fund), ("insurer", |s| s.insurer), ("person_pays", |s| s.person_pays)],
        unit,
    )
}

/// The per-year table: `medical_year`, `premiums`, `claims_paid`, `insurer_result`.
pub(crate) fn years_batch(years: &[YearSummary], unit: Unit) -> Result<RecordBatch, arrow_schema::ArrowError> {
    year_table(
        years,
        Vec::new(),
        |y| y.medical_year,
        [("premiums", |y| y.premiums), ("claims_paid", |y| y.claims_paid), ("insurer_result", |y| y.insurer_result)],
        unit,
    )
}

/// Year summaries back from a per-year table (of `years_batch`), for merging parts.
pub(crate) fn years_of(batches: &[RecordBatch]) -> Result<Vec<YearSummary>, Bad> {
    let mut out = Vec::new();
    for b in batches {
        let year = column(b, "medical_year")?;
        let year = year.as_primitive_opt::<Int32Type>().ok_or("years: medical_year is not int32")?;
        let unit = match column(b, "premiums")?.data_type() {
            DataType::Int64 => Unit::Fen,
            _ => Unit::Yuan,
        };
        let (premiums, paid) = (costs(column(b, "premiums")?, 0, unit)?, costs(column(b, "claims_paid")?, 0, unit)?);
        for ((y, p), c) in year.values().iter().zip(premiums).zip(paid) {
            out.push(YearSummary::new(*y, p, c).map_err(|e| format!("years: {e}"))?);
        }
    }
    Ok(out)
}

/// Splits back from a per-claim table (of `splits_batch`), for summaries of a part.
pub(crate) fn splits_of(batches: &[RecordBatch]) -> Result<Vec<ClaimSplit>, Bad> {
    let mut out = Vec::new();
    for b in batches {
        let year = column(b, "medical_year")?;
        let year = year.as_primitive_opt::<Int32Type>().ok_or("splits: medical_year is not int32")?;
        let unit = match column(b, "insurer")?.data_type() {
            DataType::Int64 => Unit::Fen,
            _ => Unit::Yuan,
        };
        let parts = (
            costs(column(b, "fund")?, 0, unit)?,
            costs(column(b, "insurer")?, 0, unit)?,
            costs(column(b, "person_pays")?, 0, unit)?,
        );
        for (((y, f), i), p) in year.values().iter().zip(parts.0).zip(parts.1).zip(parts.2) {
            out.push(ClaimSplit::new(*y, f, i, p));
        }
    }
    Ok(out)
}

/// FNV-1a, 64 bits: a hash that is the same in every process and on every
/// machine (unlike Rust's and Python's own), to put all claims of one
/// person in one partition.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The partition (0..n) of each claim's person: all claims of one person
/// get the same number, in every process.
pub(crate) fn person_buckets(batches: &[RecordBatch], n: u32) -> Result<Vec<u32>, Bad> {
    if n == 0 || n > 65_536 {
        return Err(format!("buckets: {n}; expected 1 to 65536"));
    }
    let mut out = Vec::new();
    let mut first = 0_usize;
    for b in batches {
        let bucket = |h: u64| {
            let r = h.checked_rem(u64::from(n)).expect("invariant: n ≥ 1 was checked");
            u32::try_from(r).expect("invariant: a remainder below n fits u32")
        };
        match persons(column(b, "person")?, first)? {
            Persons::Text(ids) => out.extend(ids.into_iter().map(|p| bucket(fnv1a(p.as_bytes())))),
            Persons::Int(ids) => out.extend(ids.into_iter().map(|p| bucket(fnv1a(&p.to_le_bytes())))),
        }
        first = first.checked_add(b.num_rows()).expect("invariant: a row count fits usize");
    }
    Ok(out)
}
