//! Claims at province scale: Arrow, Parquet and CSV in and out, and the
//! supplementary split (Xiamen practice X2–X5) of any number of claims
//! within a memory budget.
//!
//! A province settles about 10⁸ inpatient claims a year. This crate reads
//! them from Parquet or Arrow IPC files ([`ArrowSource`]) — or from any
//! [`Source`], such as the scenario library's CSV reader — partitions them
//! by person to temporary files when they do not fit the budget
//! ([`settle`]), settles each partition with the rule kernel, and writes
//! the per-claim results in input order to a Parquet, Arrow IPC or CSV file
//! ([`SplitsFile`]) that appears under its final name only when complete.
//!
//! **One schema** ([`tables`]): the per-claim table (`claim_id` when the
//! input has one, `medical_year`, `fund`, `insurer`, `person_pays`) and the
//! per-year table are the same for the `medfund` command, the Python
//! package and a Ray Data pipeline, so their files compare equal.
//!
//! **Exactness**: money is `i64` fen throughout; decimals with more than two
//! places, negative costs, nulls and dates outside 1900–2999 are errors that
//! name the row and column ([`ColumnarError`]). The splits of a partitioned
//! run equal those of all claims split at once, because a person's claims
//! always share a partition and persons do not affect each other (the
//! property `split_claims` is tested for).
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Date32Array, Int64Array, RecordBatch, StringArray};
//! use arrow_schema::{DataType, Field, Schema};
//! use medfund_columnar::{ArrowSource, Options, PersonBytes, Rules, Sink, Row, Unit, settle};
//! use medfund_insurer::{Claim, ClaimSplit, SupplementaryPolicy, split_claims, xiamen_2007};
//!
//! // Two claims of one person (Xiamen 2007: the fund pays to 53,000 a year, the insurer 90 % above).
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("person", DataType::Utf8, false),
//!     Field::new("date", DataType::Date32, false),
//!     Field::new("eligible_cost", DataType::Int64, false),
//! ]));
//! let days = |d: &str| (d.parse::<chrono::NaiveDate>().unwrap() - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32;
//! let batch = RecordBatch::try_new(Arc::clone(&schema), vec![
//!     Arc::new(StringArray::from(vec!["p-1", "p-1"])),
//!     Arc::new(Date32Array::from(vec![days("2023-08-01"), days("2023-09-01")])),
//!     Arc::new(Int64Array::from(vec![50_000, 13_000])), // yuan
//! ])?;
//!
//! struct Xiamen(SupplementaryPolicy);
//! impl Rules<medfund_columnar::ColumnarError> for Xiamen {
//!     fn check(&self, _row: u64, _claim: &Row<'_>) -> Result<(), medfund_columnar::ColumnarError> { Ok(()) }
//!     fn split(&self, claims: &[Claim<PersonBytes<'_>>], _rows: &[u64]) -> Result<Vec<ClaimSplit>, medfund_columnar::ColumnarError> {
//!         Ok(split_claims(&self.0, 1, claims).expect("no overflow here").claims)
//!     }
//! }
//! struct Collect(Vec<ClaimSplit>);
//! impl Sink<medfund_columnar::ColumnarError> for Collect {
//!     fn row(&mut self, _row: u64, _claim: &Row<'_>, split: &ClaimSplit) -> Result<(), medfund_columnar::ColumnarError> {
//!         self.0.push(*split);
//!         Ok(())
//!     }
//! }
//! let mut source = ArrowSource::batches(vec![batch], schema, Unit::Yuan);
//! let mut out = Collect(Vec::new());
//! let rules = Xiamen(xiamen_2007().unwrap().params().clone());
//! settle(&mut source, &rules, &mut out, &Options::default())?;
//! assert_eq!(out.0[1].fund.to_string(), "3000.00");    // 53,000 − 50,000
//! assert_eq!(out.0[1].insurer.to_string(), "9000.00");  // 90 % of the 10,000 above
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cells;
pub mod cleanup;
mod decode;
mod engine;
#[cfg(test)]
mod engine_tests;
mod error;
mod files;
mod gather;
mod ipc_lengths;
mod key;
mod onestop;
mod output;
mod parquet_footer;
mod parquet_out;
pub mod paths;
mod person_years;
mod read_ahead;
mod settled;
mod sink;
mod spill;
pub mod tables;

pub use cells::{EachRow, TableInput, TableRows};
pub use decode::{ClaimColumns, ClaimId, PersonKey, Unit, column, optional_column, strict_date};
pub use engine::{DEFAULT_BUDGET, MAX_PARTITIONS, Options, Rules, Settled, Settlement, Sink, Source, settle};
pub use error::{ColumnarError, Result};
pub use files::{ArrowSource, BATCH_ROWS, CLAIM_COLUMNS, Format};
pub use key::PersonBytes;
pub use onestop::{OneStopSplit, PersonYearTotals, Persons, settle_one_stop_part};
pub use output::{create_beside, not_a_regular_file};
pub use person_years::{PersonYearsFile, person_years_schema};
pub use read_ahead::{READ_AHEAD_THREAD, panic_text};
pub use sink::{SplitsFile, TableFile, parquet_properties};
pub use spill::{MAX_ID_BYTES, Row};
