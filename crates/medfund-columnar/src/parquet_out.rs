//! A Parquet file written with its columns encoded in parallel.
//!
//! [`ArrowWriter`] encodes a batch's columns one after the other on the
//! calling thread. At 10⁷ claims that thread (snappy, dictionaries, levels:
//! ≈ 1.15 s of CPU) was the slowest of the last pass while the rayon pool
//! sat idle. Here each column of a row group has its own
//! [`ArrowColumnWriter`], and a batch's columns are encoded by rayon at once;
//! the chunks are appended in column order when the row group closes. The
//! writers, properties and row-group boundaries are those `ArrowWriter` uses
//! (it makes the file writer and the factory: [`ArrowWriter::into_serialized_writer`]),
//! so the file is the same bytes.

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;

/// A Parquet file being written, columns encoded in parallel.
pub(crate) struct ParallelParquet<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// The open row group's writers, one per leaf column; empty between row groups.
    columns: Vec<ArrowColumnWriter>,
    /// Rows in the open row group.
    rows: usize,
    /// Row groups closed.
    row_groups: usize,
    max_rows: usize,
}

impl<W: Write + Send> ParallelParquet<W> {
    /// Starts a file of `schema` with `properties` (which must bound the
    /// rows of a row group, as [`crate::parquet_properties`] does).
    pub(crate) fn try_new(
        out: W,
        schema: SchemaRef,
        properties: WriterProperties,
    ) -> Result<ParallelParquet<W>, ParquetError> {
        let max_rows = properties
            .max_row_group_row_count()
            .ok_or_else(|| ParquetError::General("the properties set no row count per row group".into()))?;
        if max_rows == 0 || properties.max_row_group_bytes().is_some() {
            return Err(ParquetError::General("row groups must be bounded by a positive row count only".into()));
        }
        let (file, factory) = ArrowWriter::try_new(out, schema.clone(), Some(properties))?.into_serialized_writer()?;
        Ok(ParallelParquet { file, factory, schema, columns: Vec::new(), rows: 0, row_groups: 0, max_rows })
    }

    /// Adds the rows of `batch` (of the file's schema).
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        let mut from = 0;
        while from < batch.num_rows() {
            if self.columns.is_empty() {
                self.columns = self.factory.create_column_writers(self.row_groups)?;
            }
            let room = self.max_rows.checked_sub(self.rows).expect("invariant: a full row group is closed at once");
            let take = room.min(batch.num_rows().checked_sub(from).expect("invariant: from < rows"));
            let part = batch.slice(from, take);
            let mut leaves: Vec<ArrowLeafColumn> = Vec::with_capacity(self.columns.len());
            for (field, column) in self.schema.fields().iter().zip(part.columns()) {
                leaves.extend(compute_leaves(field, column)?);
            }
            if leaves.len() != self.columns.len() {
                return Err(ParquetError::General(format!(
                    "a batch of {} leaf columns for a file of {}",
                    leaves.len(),
                    self.columns.len()
                )));
            }
            self.columns.par_iter_mut().zip(leaves.par_iter()).try_for_each(|(w, leaf)| w.write(leaf))?;
            self.rows = self.rows.checked_add(take).expect("invariant: at most max_rows");
            from = from.checked_add(take).expect("invariant: at most the batch's rows");
            if self.rows == self.max_rows {
                self.close_row_group()?;
            }
        }
        Ok(())
    }

    /// Closes the open row group (its columns closed in parallel, appended in order).
    fn close_row_group(&mut self) -> Result<(), ParquetError> {
        if self.columns.is_empty() {
            return Ok(());
        }
        let chunks = std::mem::take(&mut self.columns)
            .into_par_iter()
            .map(ArrowColumnWriter::close)
            .collect::<Result<Vec<_>, _>>()?;
        let mut group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.rows = 0;
        self.row_groups = self.row_groups.checked_add(1).expect("invariant: fewer than usize::MAX row groups");
        Ok(())
    }

    /// Closes the last row group and the file; gives back the writer.
    pub(crate) fn into_inner(mut self) -> Result<W, ParquetError> {
        self.close_row_group()?;
        self.file.into_inner()
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Decimal128Array, Int32Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    use super::*;

    fn properties(rows: usize) -> WriterProperties {
        WriterProperties::builder()
            .set_max_row_group_row_count(Some(rows))
            .set_created_by("test".into())
            .set_data_page_row_count_limit(100)
            .build()
    }

    #[test]
    fn the_file_is_the_bytes_arrow_writer_makes() {
        // Batches of uneven sizes across row-group boundaries, a nullable
        // text column, money and a small-integer column.
        let schema = Arc::new(Schema::new(vec![
            Field::new("claim_id", DataType::Utf8, true),
            Field::new("medical_year", DataType::Int32, false),
            Field::new("fund", DataType::Decimal128(18, 2), false),
        ]));
        let batch = |from: i32, n: i32| {
            let ids: StringArray = (from..from + n).map(|i| (i % 7 != 0).then(|| format!("C{i:06}"))).collect();
            let years = Int32Array::from_iter_values((from..from + n).map(|i| 2023 + i % 2));
            let fund = Decimal128Array::from_iter_values((from..from + n).map(|i| i128::from(i) * 1_234 % 99_991))
                .with_precision_and_scale(18, 2)
                .unwrap();
            let columns: Vec<ArrayRef> = vec![Arc::new(ids), Arc::new(years), Arc::new(fund)];
            RecordBatch::try_new(schema.clone(), columns).unwrap()
        };
        let batches = [batch(0, 700), batch(700, 1), batch(701, 2_000), batch(2_701, 299)];
        let mut plain = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(properties(1_000))).unwrap();
        let mut parallel = ParallelParquet::try_new(Vec::new(), schema.clone(), properties(1_000)).unwrap();
        for b in &batches {
            plain.write(b).unwrap();
            parallel.write(b).unwrap();
        }
        let (plain, parallel) = (plain.into_inner().unwrap(), parallel.into_inner().unwrap());
        assert!(plain.len() > 1_000);
        assert_eq!(plain, parallel);
    }

    #[test]
    fn row_groups_must_be_bounded_by_rows() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, false)]));
        let unbounded = WriterProperties::builder().set_max_row_group_row_count(None).build();
        assert!(ParallelParquet::try_new(Vec::new(), schema, unbounded).is_err());
    }
}
