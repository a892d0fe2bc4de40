//! The trial paths of a Monte Carlo projection as a table, for statistics
//! the projection report does not compute: one row per trial, scheme and
//! projected year (`trial`, `scheme`, `year`, `closing_balance`,
//! `unresolved`, `actuarial_review`), money as in [`crate::tables`].

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Int32Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use medfund_core::Money;

use crate::decode::Unit;
use crate::error::Result;
use crate::tables::{money_array, money_type};

/// One trial's outcome for one scheme and year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRow {
    /// The trial's number in the projection (0-based; its random stream).
    pub trial: u32,
    /// The scheme's key (`employee`, `resident`).
    pub scheme: &'static str,
    /// The projected year.
    pub year: i32,
    /// The scheme's closing balance.
    pub closing_balance: Money,
    /// Σ unresolved over the scheme's units.
    pub unresolved: Money,
    /// Whether some unit's gap is unresolved (an actuarial review).
    pub actuarial_review: bool,
}

/// The schema of the paths table, money in `unit`.
pub fn paths_schema(unit: Unit) -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("trial", DataType::UInt32, false),
        Field::new("scheme", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("closing_balance", money_type(unit), false),
        Field::new("unresolved", money_type(unit), false),
        Field::new("actuarial_review", DataType::Boolean, false),
    ]))
}

/// `rows` as one batch of [`paths_schema`].
pub fn paths_batch(rows: &[PathRow], unit: Unit) -> Result<RecordBatch> {
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.trial))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.scheme))),
        Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.year))),
        money_array(rows.iter().map(|r| r.closing_balance), unit)?,
        money_array(rows.iter().map(|r| r.unresolved), unit)?,
        Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.actuarial_review)))),
    ];
    Ok(RecordBatch::try_new(paths_schema(unit), arrays)?)
}
