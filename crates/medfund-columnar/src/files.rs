//! Claims files: the format by extension, and Parquet and Arrow IPC
//! readers that give the claims batch by batch (only the claims' columns
//! are decoded).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, DataType, SchemaRef};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::decode::{ClaimColumns, Unit};
use crate::engine::Source;
use crate::error::{ColumnarError, Result};
use crate::spill::Row;

/// Rows per batch read from a file.
pub const BATCH_ROWS: usize = 1 << 16;
/// The columns of a claims file; others are not read.
pub const CLAIM_COLUMNS: [&str; 4] = ["person", "date", "eligible_cost", "claim_id"];

/// The format of a claims or results file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// CSV with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC, file (`ARROW1` magic) or stream.
    Arrow,
}

impl Format {
    /// The format a file's extension names: `.csv`; `.parquet`, `.pq`;
    /// `.arrow`, `.arrows`, `.ipc`, `.feather` (case-insensitive).
    pub fn of_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" => Format::Csv,
            "parquet" | "pq" => Format::Parquet,
            "arrow" | "arrows" | "ipc" | "feather" => Format::Arrow,
            _ => return None,
        })
    }

    /// The media type of a file in this format: `text/csv; charset=utf-8`,
    /// `application/vnd.apache.parquet` or `application/vnd.apache.arrow.file`
    /// (the IPC file format, which is what this crate writes).
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Arrow => "application/vnd.apache.arrow.file",
        }
    }

    /// `csv`, `parquet` or `arrow`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
        }
    }
}

type Batches = Box<dyn Iterator<Item = std::result::Result<RecordBatch, ArrowError>> + Send>;

/// Claims from Arrow record batches: a Parquet file, an Arrow IPC file or
/// stream, or batches in memory.
pub struct ArrowSource {
    batches: Batches,
    schema: SchemaRef,
    estimate: u64,
    unit: Unit,
    shown: PathBuf,
    format: &'static str,
}

impl std::fmt::Debug for ArrowSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrowSource").field("file", &self.shown).field("format", &self.format).finish_non_exhaustive()
    }
}

fn format_error<'a>(shown: &'a Path, format: &'static str) -> impl Fn(String) -> ColumnarError + 'a {
    move |problem| ColumnarError::Format { path: shown.to_owned(), format, problem }
}

/// Batches decoded on a thread of their own, two ahead: Parquet's
/// decompression and decoding overlap the settlement reading them.
fn prefetch(batches: Batches) -> Batches {
    let (tx, rx) = std::sync::mpsc::sync_channel(2);
    std::thread::spawn(move || {
        for batch in batches {
            // The receiver is gone when the run stopped at an error: so do we.
            if tx.send(batch).is_err() {
                return;
            }
        }
    });
    Box::new(rx.into_iter())
}

/// Bytes of a record per claim beside its ids (row, date, cost, tags).
const FIXED_RECORD_BYTES: u64 = 24;

impl ArrowSource {
    /// The claims of the Parquet file at `path`.
    pub fn parquet(path: &Path, unit: Unit) -> Result<ArrowSource> {
        let file = File::open(path).map_err(ColumnarError::io(path, "read"))?;
        Self::parquet_from(file, path, unit)
    }

    /// The claims of an open Parquet file (`shown` names it in errors).
    pub fn parquet_file(file: File, shown: &Path, unit: Unit) -> Result<ArrowSource> {
        Self::parquet_from(file, shown, unit)
    }

    /// The claims of an open Arrow IPC file or stream.
    pub fn arrow_file(file: File, shown: &Path, unit: Unit) -> Result<ArrowSource> {
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Self::arrow_from(BufReader::with_capacity(1 << 16, file), size, shown, unit)
    }

    /// The claims of a Parquet file given as bytes (`shown` names it in errors).
    pub fn parquet_bytes(bytes: Vec<u8>, shown: &Path, unit: Unit) -> Result<ArrowSource> {
        Self::parquet_from(bytes::Bytes::from(bytes), shown, unit)
    }

    fn parquet_from<R: parquet::file::reader::ChunkReader + 'static>(
        reader: R,
        shown: &Path,
        unit: Unit,
    ) -> Result<ArrowSource> {
        let bad = format_error(shown, "parquet");
        let builder = ParquetRecordBatchReaderBuilder::try_new(reader).map_err(|e| bad(e.to_string()))?;
        let descr = builder.parquet_schema();
        let mask = ProjectionMask::columns(descr, CLAIM_COLUMNS);
        // Records hold the ids as they are: their uncompressed bytes are the estimate.
        let id_columns: Vec<usize> = descr
            .columns()
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.name(), "person" | "claim_id"))
            .map(|(i, _)| i)
            .collect();
        let meta = builder.metadata();
        let rows = u64::try_from(meta.file_metadata().num_rows()).unwrap_or(0);
        let id_bytes: u64 = meta
            .row_groups()
            .iter()
            .flat_map(|g| id_columns.iter().filter_map(move |&i| g.columns().get(i)))
            .map(|c| u64::try_from(c.uncompressed_size()).unwrap_or(0))
            .sum();
        let reader =
            builder.with_projection(mask).with_batch_size(BATCH_ROWS).build().map_err(|e| bad(e.to_string()))?;
        let schema = arrow_array::RecordBatchReader::schema(&reader);
        Ok(ArrowSource {
            batches: prefetch(Box::new(reader)),
            schema,
            estimate: rows.saturating_mul(FIXED_RECORD_BYTES).saturating_add(id_bytes),
            unit,
            shown: shown.to_owned(),
            format: "parquet",
        })
    }

    /// The claims of the Arrow IPC file or stream at `path`.
    pub fn arrow(path: &Path, unit: Unit) -> Result<ArrowSource> {
        let file = File::open(path).map_err(ColumnarError::io(path, "read"))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Self::arrow_from(BufReader::with_capacity(1 << 16, file), size, path, unit)
    }

    /// The claims of an Arrow IPC file or stream given as bytes.
    pub fn arrow_bytes(bytes: Vec<u8>, shown: &Path, unit: Unit) -> Result<ArrowSource> {
        let size = bytes.len() as u64;
        Self::arrow_from(std::io::Cursor::new(bytes), size, shown, unit)
    }

    fn arrow_from<R: Read + Seek + Send + 'static>(
        mut reader: R,
        size: u64,
        shown: &Path,
        unit: Unit,
    ) -> Result<ArrowSource> {
        let bad = format_error(shown, "arrow");
        let mut magic = [0_u8; 6];
        let n = reader.read(&mut magic).map_err(ColumnarError::io(shown, "read"))?;
        reader.rewind().map_err(ColumnarError::io(shown, "read"))?;
        let (batches, schema): (Batches, SchemaRef) = if n == 6 && &magic == b"ARROW1" {
            let r = arrow_ipc::reader::FileReader::try_new(reader, None).map_err(|e| bad(e.to_string()))?;
            let schema = r.schema();
            (Box::new(r), schema)
        } else {
            let r = arrow_ipc::reader::StreamReader::try_new(reader, None).map_err(|e| bad(e.to_string()))?;
            let schema = r.schema();
            (Box::new(r), schema)
        };
        Ok(ArrowSource { batches, schema, estimate: size, unit, shown: shown.to_owned(), format: "arrow" })
    }

    /// Claims in batches already in memory (from Python, say).
    pub fn batches(batches: Vec<RecordBatch>, schema: SchemaRef, unit: Unit) -> ArrowSource {
        let estimate = batches.iter().map(|b| b.get_array_memory_size() as u64).sum();
        ArrowSource {
            batches: Box::new(batches.into_iter().map(Ok)),
            schema,
            estimate,
            unit,
            shown: PathBuf::from("claims"),
            format: "arrow",
        }
    }
}

impl<E: From<ColumnarError>> Source<E> for ArrowSource {
    fn claim_id_type(&self) -> Option<DataType> {
        self.schema.field_with_name("claim_id").ok().map(|f| f.data_type().clone())
    }

    fn estimated_bytes(&self) -> u64 {
        self.estimate
    }

    fn for_each(&mut self, each: &mut dyn FnMut(Row<'_>) -> std::result::Result<(), E>) -> std::result::Result<(), E> {
        let mut first = 0_u64;
        for batch in &mut self.batches {
            let batch = batch.map_err(|e| format_error(&self.shown, self.format)(e.to_string()))?;
            let columns = ClaimColumns::of(&batch, first, self.unit)?;
            for i in 0..columns.len() {
                each(Row {
                    person: columns.person(i),
                    date: columns.date(i)?,
                    cost: columns.cost(i)?,
                    claim_id: columns.claim_id(i),
                })?;
            }
            first = first.checked_add(batch.num_rows() as u64).expect("invariant: a row count fits u64");
        }
        Ok(())
    }
}
