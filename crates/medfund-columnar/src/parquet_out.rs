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
//! appends all chunks in column order. A row group is shared only when
//! the batch that opens it says so: the caller shares while the encoder is
//! behind, and encodes nothing while it is itself the slower (a spilled
//! run's last pass reads every row from a file). Writers, properties and
//! row-group boundaries are those [`ArrowWriter`] uses (it makes the file
//! writer and the factory), so the file is the same bytes (tested).

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
/// batch, then its chunks of every shared row group the batch closed.
pub(crate) enum Message {
    /// Rows to encode; `share`: row groups this batch opens are shared (the
    /// caller encodes their last column).
    Batch {
        /// The rows.
        batch: RecordBatch,
        /// Whether the row groups the batch opens are shared.
        share: bool,
    },
    /// The caller's closed chunks of the next shared row group.
    Chunks(Vec<ArrowColumnChunk>),
}

/// The open row group of one side: its writers, rows and index.
struct Group {
    factory: Arc<ArrowRowGroupWriterFactory>,
    schema: SchemaRef,
    /// Leaf columns of this side in a shared row group, and in one it
    /// encodes alone: `(first, end)`.
    shared: (usize, usize),
    alone: (usize, usize),
    /// Whether the open row group is shared; `None`: no row group open.
    open: Option<bool>,
    columns: Vec<ArrowColumnWriter>,
    rows: usize,
    index: usize,
    max_rows: usize,
}

impl Group {
    fn range(&self) -> (usize, usize) {
        if self.open == Some(true) { self.shared } else { self.alone }
    }

    /// Encodes `batch` into this side's columns (row groups it opens shared
    /// when `share`), calling `closed` with the chunks of each row group it
    /// fills and whether that group was shared.
    fn write(
        &mut self,
        batch: &RecordBatch,
        share: bool,
        closed: &mut dyn FnMut(Vec<ArrowColumnChunk>, bool) -> Result<(), ParquetError>,
    ) -> Result<(), ParquetError> {
        let mut from = 0;
        while from < batch.num_rows() {
            if self.open.is_none() {
                self.open = Some(share);
                let (first, end) = self.range();
                let count = end.checked_sub(first).expect("invariant: a range from low to high");
                let all = self.factory.create_column_writers(self.index)?;
                self.columns = all.into_iter().skip(first).take(count).collect();
            }
            let room = self.max_rows.checked_sub(self.rows).expect("invariant: a full row group is closed at once");
            let take = room.min(batch.num_rows().checked_sub(from).expect("invariant: from < rows"));
            let (first, end) = self.range();
            // A side with no column in this row group only counts its rows.
            if first < end {
                let part = batch.slice(from, take);
                let mut leaves: Vec<ArrowLeafColumn> = Vec::new();
                for (field, column) in self.schema.fields().iter().zip(part.columns()) {
                    leaves.extend(compute_leaves(field, column)?);
                }
                let mine = leaves.get(first..end).ok_or_else(|| {
                    ParquetError::General(format!("a batch of {} leaf columns for a file of more", leaves.len()))
                })?;
                for (w, leaf) in self.columns.iter_mut().zip(mine) {
                    w.write(leaf)?;
                }
            }
            self.rows = self.rows.checked_add(take).expect("invariant: at most max_rows");
            from = from.checked_add(take).expect("invariant: at most the batch's rows");
            if self.rows == self.max_rows {
                let (chunks, shared) = self.close()?;
                closed(chunks, shared)?;
            }
        }
        Ok(())
    }

    /// Closes the open row group's columns; gives them and whether it was shared.
    fn close(&mut self) -> Result<(Vec<ArrowColumnChunk>, bool), ParquetError> {
        let shared = self.open.take() == Some(true);
        self.rows = 0;
        self.index = self.index.checked_add(1).expect("invariant: fewer than usize::MAX row groups");
        let chunks: Result<Vec<ArrowColumnChunk>, ParquetError> =
            std::mem::take(&mut self.columns).into_iter().map(ArrowColumnWriter::close).collect();
        Ok((chunks?, shared))
    }
}

/// The caller's share: the last leaf column of shared row groups.
pub(crate) struct CallerShare {
    group: Group,
}

/// The encoder's share: the other columns (all of them in row groups that
/// are not shared), and the file.
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
    let group = |shared, alone| Group {
        factory: Arc::clone(&factory),
        schema: Arc::clone(&schema),
        shared,
        alone,
        open: None,
        columns: Vec::new(),
        rows: 0,
        index: 0,
        max_rows,
    };
    Ok(Started::Shared(
        CallerShare { group: group((split, leaves), (leaves, leaves)) },
        EncoderShare { file, group: group((0, split), (0, leaves)), pending: VecDeque::new() },
    ))
}

impl CallerShare {
    /// Sends `batch` with `send` (row groups it opens shared when `share`),
    /// encodes the caller's column of shared row groups, and sends the
    /// chunks of each shared row group the batch closed.
    pub(crate) fn write(
        &mut self,
        batch: RecordBatch,
        share: bool,
        send: &mut dyn FnMut(Message) -> Result<(), ParquetError>,
    ) -> Result<(), ParquetError> {
        let mut chunks = Vec::new();
        // The encoder starts on its columns while this side encodes its own.
        send(Message::Batch { batch: batch.clone(), share })?;
        self.group.write(&batch, share, &mut |c, shared| {
            if shared {
                chunks.push(c);
            }
            Ok(())
        })?;
        chunks.into_iter().try_for_each(|c| send(Message::Chunks(c)))
    }

    /// Closes the last row group, if open, and sends its chunks if it is shared.
    pub(crate) fn finish(
        mut self,
        send: &mut dyn FnMut(Message) -> Result<(), ParquetError>,
    ) -> Result<(), ParquetError> {
        if self.group.open.is_some() {
            let (chunks, shared) = self.group.close()?;
            if shared {
                send(Message::Chunks(chunks))?;
            }
        }
        Ok(())
    }
}

impl<W: Write + Send> EncoderShare<W> {
    /// Handles one message; `next` gives the following one when a shared
    /// row group closes before the caller's chunks of it have arrived.
    pub(crate) fn handle(
        &mut self,
        message: Message,
        next: &mut dyn FnMut() -> Option<Message>,
    ) -> Result<(), ParquetError> {
        match message {
            Message::Chunks(c) => self.pending.push_back(c),
            Message::Batch { batch, share } => {
                let (file, pending) = (&mut self.file, &mut self.pending);
                self.group.write(&batch, share, &mut |mine, shared| append(file, pending, mine, shared, next))?;
            }
        }
        Ok(())
    }

    /// Closes the last row group (the caller's chunks of it received) and the file.
    pub(crate) fn into_inner(mut self) -> Result<W, ParquetError> {
        if self.group.open.is_some() {
            let (mine, shared) = self.group.close()?;
            append(&mut self.file, &mut self.pending, mine, shared, &mut || None)?;
        }
        if !self.pending.is_empty() {
            return Err(ParquetError::General("the caller sent chunks of a row group the encoder has not".into()));
        }
        self.file.into_inner()
    }
}

/// Appends a row group: this side's chunks, then the caller's if it is shared.
fn append<W: Write + Send>(
    file: &mut SerializedFileWriter<W>,
    pending: &mut VecDeque<Vec<ArrowColumnChunk>>,
    mine: Vec<ArrowColumnChunk>,
    shared: bool,
    next: &mut dyn FnMut() -> Option<Message>,
) -> Result<(), ParquetError> {
    let theirs = if !shared {
        Vec::new()
    } else {
        match pending.pop_front() {
            Some(c) => c,
            // Sent right after the batch that closed the group: the next message.
            None => match next() {
                Some(Message::Chunks(c)) => c,
                _ => return Err(ParquetError::General("the caller's chunks of a row group did not follow".into())),
            },
        }
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
        // Row groups shared and not, as the caller decides batch by batch.
        for (i, b) in batches.iter().enumerate() {
            plain.write(b).unwrap();
            caller
                .write(b.clone(), i % 3 != 1, &mut |m| {
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
