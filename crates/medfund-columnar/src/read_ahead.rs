//! Opening and decoding a Parquet or Arrow IPC file on a thread of its own.
//!
//! Decoding runs two batches ahead of the settlement reading them, so
//! decompression overlaps settlement. The thread is also where hostile
//! bytes meet third-party decoders: the file is opened there too, and a
//! panic of a decoder (at the footer or at a page) is caught and becomes an
//! error of the file. The end of the batches is only ever the reader's end,
//! and only once every row the file's metadata names has been read: a panic
//! or a short file is never taken for the end of the input.

use std::io::{Read, Seek};
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};

use crate::error::{ColumnarError, Result};
use crate::files::BATCH_ROWS;
use crate::{ipc_lengths, parquet_footer};

/// Batches of a file, or what is wrong with it (the text of the problem).
pub(crate) type Batches = Box<dyn Iterator<Item = std::result::Result<RecordBatch, String>> + Send>;

/// What a decoder library gives: its batches.
pub(crate) type Decoded = Box<dyn Iterator<Item = std::result::Result<RecordBatch, ArrowError>> + Send>;

/// The name of the thread that opens and reads a Parquet or Arrow IPC file
/// ahead. A panic of a decoder there is caught and becomes an error of the
/// file; a panic hook may stay quiet for it.
pub const READ_AHEAD_THREAD: &str = "medfund-read-ahead";

/// A file as opened on the read-ahead thread.
pub(crate) struct Opened {
    /// The file's schema (of the columns read).
    pub(crate) schema: SchemaRef,
    /// The rows the file's metadata names (Parquet): exactly these must be read.
    pub(crate) rows: Option<u64>,
    /// The uncompressed bytes of its `person` and `claim_id` columns, as
    /// its metadata tells (Parquet; 0 where unknown).
    pub(crate) id_bytes: u64,
    /// The decoder's batches.
    pub(crate) batches: Decoded,
}

/// What is known of an opened file before its first batch.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) schema: SchemaRef,
    pub(crate) rows: Option<u64>,
    pub(crate) id_bytes: u64,
}

/// Opens a file with `open` on the read-ahead thread and reads it there,
/// two batches ahead; `shown` names the file in errors.
///
/// # Errors
///
/// [`ColumnarError::Io`] if the thread cannot be started;
/// [`ColumnarError::Format`] if `open` fails or panics.
pub(crate) fn read_ahead(
    shown: &Path,
    format: &'static str,
    open: impl FnOnce() -> std::result::Result<Opened, String> + Send + 'static,
) -> Result<(Head, Batches)> {
    let (head_tx, head_rx) = std::sync::mpsc::sync_channel(1);
    let (tx, rx) = std::sync::mpsc::sync_channel(2);
    std::thread::Builder::new()
        .name(READ_AHEAD_THREAD.to_owned())
        .spawn(move || {
            let opened = match caught(open) {
                Ok(opened) => opened,
                Err(problem) => {
                    let _ = head_tx.send(Err(problem));
                    return;
                }
            };
            let Opened { schema, rows, id_bytes, mut batches } = opened;
            if head_tx.send(Ok(Head { schema, rows, id_bytes })).is_err() {
                return;
            }
            let mut read = 0_u64;
            loop {
                let batch = match caught(|| batches.next().transpose().map_err(|e| e.to_string())) {
                    Ok(Some(batch)) => {
                        read = read.checked_add(batch.num_rows() as u64).expect("invariant: fewer than 2^64 rows");
                        Ok(batch)
                    }
                    Ok(None) => match rows {
                        // Every row the metadata names was read, or the file is refused.
                        Some(rows) if rows != read => {
                            Err(format!("{read} rows read where the file's metadata names {rows}"))
                        }
                        _ => return,
                    },
                    Err(problem) => Err(problem),
                };
                let failed = batch.is_err();
                // The receiver is gone when the run stopped at an error: so do we.
                if tx.send(batch).is_err() || failed {
                    return;
                }
            }
        })
        .map_err(ColumnarError::io(shown, "start a thread to read"))?;
    let bad = |problem: String| ColumnarError::Format { path: shown.to_owned(), format, problem };
    // The thread answers before it ends, whatever the decoder does.
    let head = head_rx.recv().map_err(|_| bad("the reader stopped before the file was opened".to_owned()))?;
    Ok((head.map_err(bad)?, Box::new(rx.into_iter())))
}

/// `f()`, a panic of it as the problem it names.
fn caught<T>(f: impl FnOnce() -> std::result::Result<T, String>) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|panic| Err(format!("the decoder failed: {}", panic_text(panic.as_ref()))))
}

/// A panic's message, without where in the source it was raised.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

/// About how many bytes one decoded batch of a Parquet file may hold.
const BATCH_BYTES: u64 = 16 << 20;

/// Opens a Parquet file, its footer checked first, decoding only the
/// columns named in `only` (all when `None`).
pub(crate) fn parquet<R: parquet::file::reader::ChunkReader + 'static>(
    reader: R,
    only: Option<&[&str]>,
) -> std::result::Result<Opened, String> {
    parquet_footer::check(&reader)?;
    let metadata = ArrowReaderMetadata::load(&reader, ArrowReaderOptions::new()).map_err(|e| e.to_string())?;
    let metadata = if only.is_some() { persons_as_views(metadata)? } else { metadata };
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, metadata);
    let descr = builder.parquet_schema();
    let mask = only.map_or_else(ProjectionMask::all, |columns| ProjectionMask::columns(descr, columns.iter().copied()));
    let id_columns: Vec<usize> = descr
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.name(), "person" | "claim_id"))
        .map(|(i, _)| i)
        .collect();
    let meta = builder.metadata();
    let named = meta.file_metadata().num_rows();
    let rows = u64::try_from(named).map_err(|_| format!("the metadata names {named} rows"))?;
    let id_bytes = meta
        .row_groups()
        .iter()
        .flat_map(|g| id_columns.iter().filter_map(move |&i| g.columns().get(i)))
        .try_fold(0_u64, |sum, c| u64::try_from(c.uncompressed_size()).ok().and_then(|b| sum.checked_add(b)))
        .ok_or("the metadata states column sizes that do not add up")?;
    // Batches of about BATCH_BYTES when ids are long and stored plainly (a
    // dictionary-encoded person decodes to views: see persons_as_views).
    let per_row = id_bytes.checked_div(rows).unwrap_or(0).saturating_add(24).max(1);
    let batch_rows = BATCH_BYTES.checked_div(per_row).expect("invariant: per_row >= 1");
    let batch_rows = usize::try_from(batch_rows).unwrap_or(BATCH_ROWS).clamp(1 << 10, BATCH_ROWS);
    let reader = builder.with_projection(mask).with_batch_size(batch_rows).build().map_err(|e| e.to_string())?;
    let schema = arrow_array::RecordBatchReader::schema(&reader);
    Ok(Opened { schema, rows: Some(rows), id_bytes, batches: Box::new(reader) })
}

/// The reading of a claims file with its text `person` as string views
/// (claim ids, one per row, keep their type, which the results file
/// copies): a dictionary-encoded column then decodes to 16-byte views
/// into its dictionary pages instead of a copy of the text per row (400,000
/// claims of 64 persons with 4 KB ids held 268 MB a batch, and the batches
/// read ahead passed a gigabyte under a 64 MiB budget). The records the
/// engine holds still count every id's bytes.
fn persons_as_views(metadata: ArrowReaderMetadata) -> std::result::Result<ArrowReaderMetadata, String> {
    use arrow_schema::{DataType, Field, Schema};
    let schema = metadata.schema();
    let is_id_text = |f: &Field| f.name() == "person" && matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8);
    if !schema.fields().iter().any(|f| is_id_text(f)) {
        return Ok(metadata);
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| if is_id_text(f) { f.as_ref().clone().with_data_type(DataType::Utf8View) } else { f.as_ref().clone() })
        .collect();
    let views = std::sync::Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    ArrowReaderMetadata::try_new(
        std::sync::Arc::clone(metadata.metadata()),
        ArrowReaderOptions::new().with_schema(views),
    )
    .map_err(|e| e.to_string())
}

/// Opens an Arrow IPC file (`ARROW1` magic) or stream of `size` bytes,
/// once every length it states is checked against `size`.
pub(crate) fn arrow<R: Read + Seek + Send + 'static>(mut reader: R, size: u64) -> std::result::Result<Opened, String> {
    let file = ipc_lengths::check(&mut reader, size)?;
    let (schema, batches): (SchemaRef, Decoded) = if file {
        let r = arrow_ipc::reader::FileReader::try_new(reader, None).map_err(|e| e.to_string())?;
        (r.schema(), Box::new(r))
    } else {
        let r = arrow_ipc::reader::StreamReader::try_new(reader, None).map_err(|e| e.to_string())?;
        (r.schema(), Box::new(r))
    };
    Ok(Opened { schema, rows: None, id_bytes: 0, batches })
}
