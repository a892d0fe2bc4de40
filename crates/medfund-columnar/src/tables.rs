//! The Arrow schema of results, one for every front end: the per-claim
//! table (`claim_id` when the input has one, `medical_year`, `fund`,
//! `insurer`, `person_pays`) and the per-year table (`medical_year`,
//! `premiums`, `claims_paid`, `insurer_result`); money as `decimal128(18, 2)`
//! yuan or `int64` fen ([`Unit`]). The CLI's `--claims-out` files, the Python
//! package's tables and a Ray Data pipeline's Parquet all have it.

use std::sync::Arc;

use arrow_array::builder::{ArrayBuilder, Int32Builder, Int64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, Decimal128Array, Int32Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use medfund_core::Money;
use medfund_insurer::{ClaimSplit, SettledClaim, YearSummary};

use crate::decode::{ClaimId, Unit, column};
use crate::error::{ColumnarError, Result};

/// Money in yuan: 18 digits, 2 decimals (every `i64` of fen below 10^18 fits).
pub const MONEY: DataType = DataType::Decimal128(18, 2);

pub(crate) fn money_type(unit: Unit) -> DataType {
    match unit {
        Unit::Yuan => MONEY,
        Unit::Fen => DataType::Int64,
    }
}

pub(crate) fn money_array(values: impl Iterator<Item = Money>, unit: Unit) -> Result<ArrayRef> {
    Ok(match unit {
        Unit::Yuan => Arc::new(
            Decimal128Array::from_iter_values(values.map(|m| i128::from(m.fen()))).with_precision_and_scale(18, 2)?,
        ),
        Unit::Fen => Arc::new(Int64Array::from_iter_values(values.map(Money::fen))),
    })
}

/// The schema of the per-claim table; `claim_id` is the input's type.
pub fn splits_schema(claim_id: Option<&DataType>, unit: Unit) -> SchemaRef {
    schema_of(claim_id, unit, false)
}

/// The columns a one-stop settlement (§5.2) adds to the per-claim table, after `person_pays`.
pub const SUBSIDY_COLUMNS: [&str; 3] = ["civil_servant", "civil_servant_above_max", "hardship"];

/// The schema of the per-claim table of a one-stop settlement: that of
/// [`splits_schema`] and the subsidies ([`SUBSIDY_COLUMNS`]).
pub fn one_stop_splits_schema(claim_id: Option<&DataType>, unit: Unit) -> SchemaRef {
    schema_of(claim_id, unit, true)
}

fn schema_of(claim_id: Option<&DataType>, unit: Unit, subsidies: bool) -> SchemaRef {
    let mut fields: Vec<Field> = claim_id.map(|t| Field::new("claim_id", t.clone(), true)).into_iter().collect();
    fields.push(Field::new("medical_year", DataType::Int32, false));
    let extra: &[&str] = if subsidies { &SUBSIDY_COLUMNS } else { &[] };
    for name in ["fund", "insurer", "person_pays"].iter().chain(extra) {
        fields.push(Field::new(*name, money_type(unit), false));
    }
    Arc::new(Schema::new(fields))
}

/// The per-claim table of `splits`, with the input's `claim_id` column
/// passed through when given.
pub fn splits_batch(splits: &[ClaimSplit], claim_id: Option<ArrayRef>, unit: Unit) -> Result<RecordBatch> {
    let schema = splits_schema(claim_id.as_ref().map(|a| a.data_type()), unit);
    let mut arrays: Vec<ArrayRef> = claim_id.into_iter().collect();
    arrays.push(Arc::new(Int32Array::from_iter_values(splits.iter().map(|s| s.medical_year))));
    arrays.push(money_array(splits.iter().map(|s| s.fund), unit)?);
    arrays.push(money_array(splits.iter().map(|s| s.insurer), unit)?);
    arrays.push(money_array(splits.iter().map(|s| s.person_pays), unit)?);
    Ok(RecordBatch::try_new(schema, arrays)?)
}

/// The per-year table: `medical_year`, `premiums`, `claims_paid`, `insurer_result`.
pub fn years_batch(years: &[YearSummary], unit: Unit) -> Result<RecordBatch> {
    let mut fields = vec![Field::new("medical_year", DataType::Int32, false)];
    for name in ["premiums", "claims_paid", "insurer_result"] {
        fields.push(Field::new(name, money_type(unit), false));
    }
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from_iter_values(years.iter().map(|y| y.medical_year))),
        money_array(years.iter().map(|y| y.premiums), unit)?,
        money_array(years.iter().map(|y| y.claims_paid), unit)?,
        money_array(years.iter().map(|y| y.insurer_result), unit)?,
    ];
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// A money column of a results table, read back (decimal or int64 fen).
fn money_back(batch: &RecordBatch, name: &str) -> Result<Vec<Money>> {
    let a = column(batch, name)?;
    let bad = || ColumnarError::Column {
        column: name.to_owned(),
        problem: format!("column {name} is {}", a.data_type()),
        expected: "decimal128(18, 2) or int64 fen, as medfund writes it",
    };
    match a.data_type() {
        DataType::Decimal128(_, 2) => a
            .as_primitive::<arrow_array::types::Decimal128Type>()
            .values()
            .iter()
            .map(|&v| i64::try_from(v).map(Money::from_fen).map_err(|_| bad()))
            .collect(),
        DataType::Int64 => {
            Ok(a.as_primitive::<arrow_array::types::Int64Type>().values().iter().map(|&v| Money::from_fen(v)).collect())
        }
        _ => Err(bad()),
    }
}

fn years_back(batch: &RecordBatch) -> Result<&[i32]> {
    let a = column(batch, "medical_year")?;
    a.as_primitive_opt::<Int32Type>().map(|a| a.values().as_ref()).ok_or_else(|| ColumnarError::Column {
        column: "medical_year".into(),
        problem: format!("column medical_year is {}", a.data_type()),
        expected: "int32",
    })
}

/// Year summaries back from per-year tables (of [`years_batch`]), for merging parts.
pub fn years_of(batches: &[RecordBatch]) -> Result<Vec<YearSummary>> {
    let mut out = Vec::new();
    for b in batches {
        let (premiums, paid) = (money_back(b, "premiums")?, money_back(b, "claims_paid")?);
        for ((&y, p), c) in years_back(b)?.iter().zip(premiums).zip(paid) {
            out.push(YearSummary::new(y, p, c).map_err(|e| ColumnarError::Column {
                column: "insurer_result".into(),
                problem: e.to_string(),
                expected: "premiums − claims_paid within the money range",
            })?);
        }
    }
    Ok(out)
}

/// Splits back from per-claim tables (of [`splits_batch`]), for the summaries of a part.
pub fn splits_of(batches: &[RecordBatch]) -> Result<Vec<ClaimSplit>> {
    let mut out = Vec::new();
    for b in batches {
        let parts = (money_back(b, "fund")?, money_back(b, "insurer")?, money_back(b, "person_pays")?);
        for (((&y, f), i), p) in years_back(b)?.iter().zip(parts.0).zip(parts.1).zip(parts.2) {
            out.push(ClaimSplit::new(y, f, i, p));
        }
    }
    Ok(out)
}

/// Rows of the per-claim table built one at a time, taken as batches.
pub struct SplitsBuilder {
    schema: SchemaRef,
    ids: Option<IdBuilder>,
    years: Int32Builder,
    money: [Vec<i128>; 3],
    /// The subsidies of a one-stop settlement's table.
    subsidies: Option<[Vec<i128>; 3]>,
    unit: Unit,
}

enum IdBuilder {
    Text(StringBuilder, DataType),
    Int(Int64Builder, DataType),
}

impl SplitsBuilder {
    /// A builder of rows whose `claim_id` (if any) is of `claim_id`'s type
    /// (text or integers).
    pub fn new(claim_id: Option<&DataType>, unit: Unit) -> Result<SplitsBuilder> {
        SplitsBuilder::with(claim_id, unit, false)
    }

    /// A builder of the rows of a one-stop settlement's table
    /// ([`one_stop_splits_schema`]), pushed with [`push_settled`](Self::push_settled).
    pub fn one_stop(claim_id: Option<&DataType>, unit: Unit) -> Result<SplitsBuilder> {
        SplitsBuilder::with(claim_id, unit, true)
    }

    fn with(claim_id: Option<&DataType>, unit: Unit, subsidies: bool) -> Result<SplitsBuilder> {
        let ids = match claim_id {
            None => None,
            Some(t @ (DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)) => {
                Some(IdBuilder::Text(StringBuilder::new(), t.clone()))
            }
            Some(t @ (DataType::Int64 | DataType::Int32)) => Some(IdBuilder::Int(Int64Builder::new(), t.clone())),
            Some(other) => {
                return Err(ColumnarError::Column {
                    column: "claim_id".into(),
                    problem: format!("column claim_id is {other}"),
                    expected: "text or integers",
                });
            }
        };
        Ok(SplitsBuilder {
            schema: schema_of(claim_id, unit, subsidies),
            ids,
            years: Int32Builder::new(),
            money: [Vec::new(), Vec::new(), Vec::new()],
            subsidies: subsidies.then(|| [Vec::new(), Vec::new(), Vec::new()]),
            unit,
        })
    }

    /// The schema of the batches.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.years.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds one row; its id must be of the kind of the builder's column.
    /// The builder is one of [`new`](Self::new).
    #[inline]
    pub fn push(&mut self, claim_id: Option<ClaimId<'_>>, split: &ClaimSplit) -> Result<()> {
        debug_assert!(self.subsidies.is_none(), "invariant: a one-stop table is pushed settled claims");
        self.push_id(claim_id)?;
        self.years.append_value(split.medical_year);
        let [fund, insurer, person] = &mut self.money;
        fund.push(i128::from(split.fund.fen()));
        insurer.push(i128::from(split.insurer.fen()));
        person.push(i128::from(split.person_pays.fen()));
        Ok(())
    }

    /// Adds one row of a one-stop settlement; the builder is one of
    /// [`one_stop`](Self::one_stop).
    pub fn push_settled(&mut self, claim_id: Option<ClaimId<'_>>, c: &SettledClaim) -> Result<()> {
        self.push_id(claim_id)?;
        self.years.append_value(c.medical_year);
        for (column, m) in self.money.iter_mut().zip([c.fund, c.insurer, c.person_pays]) {
            column.push(i128::from(m.fen()));
        }
        let subsidies = self.subsidies.as_mut().expect("invariant: a one-stop builder has the subsidy columns");
        for (column, m) in subsidies.iter_mut().zip([c.civil_servant, c.civil_servant_above_max, c.hardship]) {
            column.push(i128::from(m.fen()));
        }
        Ok(())
    }

    #[inline]
    fn push_id(&mut self, claim_id: Option<ClaimId<'_>>) -> Result<()> {
        match (&mut self.ids, claim_id) {
            (Some(IdBuilder::Text(b, _)), Some(ClaimId::Text(t))) => b.append_value(t),
            (Some(IdBuilder::Int(b, _)), Some(ClaimId::Int(i))) => b.append_value(i),
            (Some(IdBuilder::Text(b, _)), None) => b.append_null(),
            (Some(IdBuilder::Int(b, _)), None) => b.append_null(),
            (None, None) => {}
            (ids, _) => {
                return Err(ColumnarError::Column {
                    column: "claim_id".into(),
                    problem: if ids.is_some() {
                        "claim_id is text in one part of the claims and integers (or absent) in another".into()
                    } else {
                        "claim_id is in some parts of the claims only".into()
                    },
                    expected: "one type of claim_id in every part, or none",
                });
            }
        }
        Ok(())
    }

    /// The rows held as a batch; the builder is empty after.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(5);
        if let Some(ids) = &mut self.ids {
            arrays.push(match ids {
                IdBuilder::Text(b, t) => arrow_cast_text(Arc::new(b.finish()), t)?,
                IdBuilder::Int(b, t) => {
                    let a: ArrayRef = Arc::new(b.finish());
                    if *t == DataType::Int32 { narrow_int32(&a)? } else { a }
                }
            });
        }
        arrays.push(Arc::new(self.years.finish()));
        for m in self.money.iter_mut().chain(self.subsidies.iter_mut().flatten()) {
            // The next batch's column at this one's size at once (a growing
            // one is copied at each doubling).
            let size = m.len();
            let values = std::mem::replace(m, Vec::with_capacity(size));
            arrays.push(match self.unit {
                Unit::Yuan => Arc::new(Decimal128Array::from(values).with_precision_and_scale(18, 2)?),
                Unit::Fen => Arc::new(Int64Array::from_iter_values(
                    values.into_iter().map(|v| i64::try_from(v).expect("invariant: pushed from i64")),
                )),
            });
        }
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), arrays)?)
    }
}

/// Text ids in the input's own text type.
fn arrow_cast_text(a: ArrayRef, to: &DataType) -> Result<ArrayRef> {
    Ok(match to {
        DataType::Utf8 => a,
        DataType::LargeUtf8 => {
            Arc::new(arrow_array::LargeStringArray::from(a.as_string::<i32>().iter().collect::<Vec<Option<&str>>>()))
        }
        _ => Arc::new(arrow_array::StringViewArray::from_iter(a.as_string::<i32>().iter())),
    })
}

/// Integer ids back to int32 (they were read from an int32 column).
fn narrow_int32(a: &ArrayRef) -> Result<ArrayRef> {
    let a = a.as_primitive::<arrow_array::types::Int64Type>();
    Ok(Arc::new(
        a.iter()
            .map(|v| v.map(|v| i32::try_from(v).expect("invariant: read from an int32 column")))
            .collect::<Int32Array>(),
    ))
}
