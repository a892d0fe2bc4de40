//! A Parquet file encoded by two threads: the thread that builds the
//! batches encodes their last column, the encoder thread the others and
//! writes the file.
//!
//! At 10⁷ claims the encoder thread (snappy above all) was busy through the
//! whole last pass while the thread building the batches idled a third of
//! it; rayon workers encoding columns instead spun on both cores and gained
//! nothing (docs/benchmarks.md). Each side holds an [`ArrowColumnWriter`]
//! per column of its share for the open row group; the caller sends its
//! closed chunks after the batch that filled the group, and the encoder
//! appends all chunks in column order. Writers, properties and row-group
//! boundaries are those [`ArrowWriter`] uses (it makes the file writer and
//! the factory), so the file is the same bytes (tested).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

/// What the caller sends the encoder, in this order for each batch: the
/// batch, then its chunks of every row group the batch closed.
pub(crate) enum Message {
    /// Rows to encode (the encoder's share of the columns).
    Batch(RecordBatch),
    /// The caller's closed chunks of the next row group.
    Chunks(Vec<ArrowColumnChunk>),
}

/// The open row group of one side: its writers, rows and index.
struct Group {
    factory: Arc<ArrowRowGroupWriterFactory>,
    schema: SchemaRef,
    /// Leaf columns of this side: `range.0..range.1`.
    range: (usize, usize),
    columns: Vec<ArrowColumnWriter>,
    rows: usize,
    index: usize,
    max_rows: usize,
}

impl Group {
    /// Encodes `batch` into this side's columns, calling `closed` with the
    /// chunks of each row group it fills.
    fn write(
        &mut self,
        batch: &RecordBatch,
        closed: &mut dyn FnMut(Vec<ArrowColumnChunk>) -> Result<(), ParquetError>,
    ) -> Result<(), ParquetError> {
        let mut from = 0;
        while from < batch.num_rows() {
            if self.columns.is_empty() {
                let all = self.factory.create_column_writers(self.index)?;
                let count = self.range.1.checked_sub(self.range.0).expect("invariant: a range from low to high");
                self.columns = all.into_iter().skip(self.range.0).take(count).collect();
            }
            let room = self.max_rows.checked_sub(self.rows).expect("invariant: a full row group is closed at once");
            let take = room.min(batch.num_rows().checked_sub(from).expect("invariant: from < rows"));
            let part = batch.slice(from, take);
            let mut leaves: Vec<ArrowLeafColumn> = Vec::new();
            for (field, column) in self.schema.fields().iter().zip(part.columns()) {
                leaves.extend(compute_leaves(field, column)?);
            }
            let mine = leaves.get(self.range.0..self.range.1).ok_or_else(|| {
                ParquetError::General(format!("a batch of {} leaf columns for a file of more", leaves.len()))
            })?;
            for (w, leaf) in self.columns.iter_mut().zip(mine) {
                w.write(leaf)?;
            }
            self.rows = self.rows.checked_add(take).expect("invariant: at most max_rows");
            from = from.checked_add(take).expect("invariant: at most the batch's rows");
            if self.rows == self.max_rows {
                closed(self.close()?)?;
            }
        }
        Ok(())
    }

    /// Closes the open row group's columns (none if no row is open).
    fn close(&mut self) -> Result<Vec<ArrowColumnChunk>, ParquetError> {
        self.rows = 0;
        self.index = self.index.checked_add(1).expect("invariant: fewer than usize::MAX row groups");
        std::mem::take(&mut self.columns).into_iter().map(ArrowColumnWriter::close).collect()
    }
}

/// The caller's share: the last leaf column.
pub(crate) struct CallerShare {
    group: Group,
}

/// The encoder's share: the other columns, and the file.
pub(crate) struct EncoderShare<W: Write + Send> {
    file: SerializedFileWriter<W>,
    group: Group,
    /// The caller's chunks received and not yet appended, oldest first.
    pending: VecDeque<Vec<ArrowColumnChunk>>,
}

/// A Parquet file started: shared between the two sides, or (a single leaf
/// column: nothing to share) written by [`ArrowWriter`] on the encoder side.
pub(crate) enum Started<W: Write + Send> {
    /// The caller's share and the encoder's.
    Shared(CallerShare, EncoderShare<W>),
    /// One writer.
    Plain(ArrowWriter<W>),
}

/// Starts a file of `schema` with `properties` (which must bound the rows
/// of a row group by a count, as [`crate::parquet_properties`] does).
pub(crate) fn start<W: Write + Send>(
    out: W,
    schema: SchemaRef,
    properties: WriterProperties,
) -> Result<Started<W>, ParquetError> {
    let max_rows = properties
        .max_row_group_row_count()
        .ok_or_else(|| ParquetError::General("the properties set no row count per row group".into()))?;
    if max_rows == 0 || properties.max_row_group_bytes().is_some() {
        return Err(ParquetError::General("row groups must be bounded by a positive row count only".into()));
    }
    let leaves = parquet::arrow::ArrowSchemaConverter::new().convert(&schema)?.num_columns();
    if leaves < 2 {
        return Ok(Started::Plain(ArrowWriter::try_new(out, schema, Some(properties))?));
    }
    let (file, factory) = ArrowWriter::try_new(out, Arc::clone(&schema), Some(properties))?.into_serialized_writer()?;
    if file.schema_descr().num_columns() != leaves {
        return Err(ParquetError::General("the file's leaf columns are not the schema's".into()));
    }
    let split = leaves.checked_sub(1).expect("invariant: 2 leaves or more");
    let factory = Arc::new(factory);
    let group = |range| Group {
        factory: Arc::clone(&factory),
        schema: Arc::clone(&schema),
        range,
        columns: Vec::new(),
        rows: 0,
        index: 0,
        max_rows,
    };
    Ok(Started::Shared(
        CallerShare { group: group((split, leaves)) },
        EncoderShare { file, group: group((0, split)), pending: VecDeque::new() },
    ))
}

impl CallerShare {
    /// Encodes the caller's column of `batch` and sends the batch, then the
    /// chunks of each row group it closed, with `send`.
    pub(crate) fn write(
        &mut self,
        batch: RecordBatch,
        send: &mut dyn FnMut(Message) -> Result<(), ParquetError>,
    ) -> Result<(), ParquetError> {
        let mut chunks = Vec::new();
        // The encoder starts on its columns while this side encodes its own.
        send(Message::Batch(batch.clone()))?;
        self.group.write(&batch, &mut |c| {
            chunks.push(c);
            Ok(())
        })?;
        chunks.into_iter().try_for_each(|c| send(Message::Chunks(c)))
    }

    /// Closes the last row group, if open, and sends its chunks.
    pub(crate) fn finish(
        mut self,
        send: &mut dyn FnMut(Message) -> Result<(), ParquetError>,
    ) -> Result<(), ParquetError> {
        if self.group.rows > 0 {
            send(Message::Chunks(self.group.close()?))?;
        }
        Ok(())
    }
}

impl<W: Write + Send> EncoderShare<W> {
    /// Handles one message; `next` gives the following one when a row group
    /// closes before the caller's chunks of it have arrived.
    pub(crate) fn handle(
        &mut self,
        message: Message,
        next: &mut dyn FnMut() -> Option<Message>,
    ) -> Result<(), ParquetError> {
        match message {
            Message::Chunks(c) => self.pending.push_back(c),
            Message::Batch(batch) => {
                let (file, pending) = (&mut self.file, &mut self.pending);
                self.group.write(&batch, &mut |mine| append(file, pending, mine, next))?;
            }
        }
        Ok(())
    }

    /// Closes the last row group (the caller's chunks of it received) and the file.
    pub(crate) fn into_inner(mut self) -> Result<W, ParquetError> {
        if self.group.rows > 0 {
            let mine = self.group.close()?;
            append(&mut self.file, &mut self.pending, mine, &mut || None)?;
        }
        if !self.pending.is_empty() {
            return Err(ParquetError::General("the caller sent chunks of a row group the encoder has not".into()));
        }
        self.file.into_inner()
    }
}

/// Appends a row group: this side's chunks, then the caller's.
fn append<W: Write + Send>(
    file: &mut SerializedFileWriter<W>,
    pending: &mut VecDeque<Vec<ArrowColumnChunk>>,
    mine: Vec<ArrowColumnChunk>,
    next: &mut dyn FnMut() -> Option<Message>,
) -> Result<(), ParquetError> {
    let theirs = match pending.pop_front() {
        Some(c) => c,
        // Sent right after the batch that closed the group: the next message.
        None => match next() {
            Some(Message::Chunks(c)) => c,
            _ => return Err(ParquetError::General("the caller's chunks of a row group did not follow".into())),
        },
    };
    let mut group = file.next_row_group()?;
    for chunk in mine.into_iter().chain(theirs) {
        chunk.append_to_row_group(&mut group)?;
    }
    group.close()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
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
        // Batches of uneven sizes across row-group boundaries (one batch
        // closes two groups), a nullable text column, money and years.
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
        let batches = [batch(0, 700), batch(700, 1), batch(701, 2_000), batch(2_701, 299), batch(3_000, 1)];
        let mut plain = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(properties(1_000))).unwrap();
        let Started::Shared(mut caller, mut encoder) = start(Vec::new(), schema.clone(), properties(1_000)).unwrap()
        else {
            panic!("three columns are shared")
        };
        // Messages queued in the order the caller sends them, handled as the encoder thread would.
        let mut queue: VecDeque<Message> = VecDeque::new();
        for b in &batches {
            plain.write(b).unwrap();
            caller
                .write(b.clone(), &mut |m| {
                    queue.push_back(m);
                    Ok(())
                })
                .unwrap();
        }
        caller
            .finish(&mut |m| {
                queue.push_back(m);
                Ok(())
            })
            .unwrap();
        while let Some(m) = queue.pop_front() {
            encoder.handle(m, &mut || queue.pop_front()).unwrap();
        }
        let (plain, shared) = (plain.into_inner().unwrap(), encoder.into_inner().unwrap());
        assert!(plain.len() > 1_000);
        assert_eq!(plain, shared);
    }

    #[test]
    fn row_groups_must_be_bounded_by_rows() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int32, false),
            Field::new("b", DataType::Int32, false),
        ]));
        let unbounded = WriterProperties::builder().set_max_row_group_row_count(None).build();
        assert!(start(Vec::new(), schema.clone(), unbounded).is_err());
        let one = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, false)]));
        assert!(matches!(start(Vec::new(), one, properties(10)).unwrap(), Started::Plain(_)));
    }
}
