//! The person-years of a one-stop settlement (§5.2) written to a file:
//! one row per person and medical year, in the input order of the
//! person-year's first claim.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{ArrayBuilder, Int32Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use medfund_core::Money;

use crate::decode::Unit;
use crate::error::Result;
use crate::files::{BATCH_ROWS, Format};
use crate::onestop::{PersonYearTotals, hardship_name, status_name};
use crate::sink::TableFile;
use crate::tables::{money_array, money_type};

/// The money columns of the person-year table, in order.
const MONEY_COLUMNS: [&str; 7] =
    ["eligible_cost", "fund", "insurer", "civil_servant", "civil_servant_above_max", "hardship", "person_pays"];

/// The schema of the person-year table: `person` (text, as the report
/// shows it), `status`, `hardship_category` (null: none), `medical_year`,
/// `claims`, then the year's totals in money.
pub fn person_years_schema(unit: Unit) -> SchemaRef {
    let mut fields = vec![
        Field::new("person", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("hardship_category", DataType::Utf8, true),
        Field::new("medical_year", DataType::Int32, false),
        Field::new("claims", DataType::Int64, false),
    ];
    for name in MONEY_COLUMNS {
        fields.push(Field::new(name, money_type(unit), false));
    }
    Arc::new(Schema::new(fields))
}

/// A person-year table being written (Parquet, Arrow IPC or CSV), under a
/// temporary name until [`commit`](Self::commit), as [`TableFile`] does.
pub struct PersonYearsFile {
    file: TableFile,
    schema: SchemaRef,
    unit: Unit,
    persons: StringBuilder,
    statuses: StringBuilder,
    hardships: StringBuilder,
    years: Int32Builder,
    claims: Int64Builder,
    money: [Vec<Money>; 7],
}

impl std::fmt::Debug for PersonYearsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonYearsFile").field("file", &self.file).finish_non_exhaustive()
    }
}

impl PersonYearsFile {
    /// Starts the file `path` in `format`.
    pub fn create(path: &Path, format: Format, unit: Unit) -> Result<PersonYearsFile> {
        let schema = person_years_schema(unit);
        Ok(PersonYearsFile {
            file: TableFile::create(path, format, Arc::clone(&schema), unit)?,
            schema,
            unit,
            persons: StringBuilder::new(),
            statuses: StringBuilder::new(),
            hardships: StringBuilder::new(),
            years: Int32Builder::new(),
            claims: Int64Builder::new(),
            money: Default::default(),
        })
    }

    /// Adds the medical year `medical_year` of `person`.
    pub fn push(&mut self, person: &str, medical_year: i32, py: &PersonYearTotals) -> Result<()> {
        let t = &py.totals;
        self.persons.append_value(person);
        self.statuses.append_value(status_name(py.status));
        self.hardships.append_option(py.hardship_category.map(hardship_name));
        self.years.append_value(medical_year);
        self.claims.append_value(i64::try_from(t.claims).expect("invariant: fewer than 2^63 claims in a person-year"));
        let parts =
            [t.eligible_cost, t.fund, t.insurer, t.civil_servant, t.civil_servant_above_max, t.hardship, t.person_pays];
        for (column, m) in self.money.iter_mut().zip(parts) {
            column.push(m);
        }
        if self.years.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.years.is_empty() {
            return Ok(());
        }
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(self.persons.finish()),
            Arc::new(self.statuses.finish()),
            Arc::new(self.hardships.finish()),
            Arc::new(self.years.finish()),
            Arc::new(self.claims.finish()),
        ];
        for column in &mut self.money {
            arrays.push(money_array(std::mem::take(column).into_iter(), self.unit)?);
        }
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), arrays)?;
        self.file.write(batch)
    }

    /// Writes what is left, closes the file and gives it its final name.
    /// Returns the rows written.
    pub fn commit(mut self) -> Result<u64> {
        self.flush()?;
        self.file.commit()
    }
}
