//! Claims files: the format by extension, and Parquet and Arrow IPC
//! readers that give the claims batch by batch (only the claims' columns
//! are decoded).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};

use crate::decode::{ClaimColumns, Unit};
use crate::engine::Source;
use crate::error::{ColumnarError, Result};
use crate::read_ahead::{self, Batches, read_ahead};
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
        let size = file.metadata().map_err(ColumnarError::io(shown, "read"))?.len();
        Self::arrow_from(BufReader::with_capacity(1 << 16, file), size, shown, unit)
    }

    /// The claims of a Parquet file given as bytes (`shown` names it in errors).
    pub fn parquet_bytes(bytes: Vec<u8>, shown: &Path, unit: Unit) -> Result<ArrowSource> {
        Self::parquet_from(bytes::Bytes::from(bytes), shown, unit)
    }

    /// The claims of a Parquet file, opened and decoded on the read-ahead
    /// thread: only the claims' columns are decoded.
    fn parquet_from<R: parquet::file::reader::ChunkReader + 'static>(
        reader: R,
        shown: &Path,
        unit: Unit,
    ) -> Result<ArrowSource> {
        let (head, batches) = read_ahead(shown, "parquet", move || read_ahead::parquet(reader, Some(&CLAIM_COLUMNS)))?;
        // Records hold the ids as they are: their uncompressed bytes are the estimate.
        let rows = head.rows.unwrap_or(0);
        Ok(ArrowSource {
            batches,
            schema: head.schema,
            estimate: rows.saturating_mul(FIXED_RECORD_BYTES).saturating_add(head.id_bytes),
            unit,
            shown: shown.to_owned(),
            format: "parquet",
        })
    }

    /// The claims of the Arrow IPC file or stream at `path`.
    pub fn arrow(path: &Path, unit: Unit) -> Result<ArrowSource> {
        let file = File::open(path).map_err(ColumnarError::io(path, "read"))?;
        Self::arrow_file(file, path, unit)
    }

    /// The claims of an Arrow IPC file or stream given as bytes.
    pub fn arrow_bytes(bytes: Vec<u8>, shown: &Path, unit: Unit) -> Result<ArrowSource> {
        let size = bytes.len() as u64;
        Self::arrow_from(std::io::Cursor::new(bytes), size, shown, unit)
    }

    /// The claims of an Arrow IPC file or stream of `size` bytes, its
    /// lengths checked, opened and decoded on the read-ahead thread.
    fn arrow_from<R: Read + Seek + Send + 'static>(
        reader: R,
        size: u64,
        shown: &Path,
        unit: Unit,
    ) -> Result<ArrowSource> {
        let (head, batches) = read_ahead(shown, "arrow", move || read_ahead::arrow(reader, size))?;
        Ok(ArrowSource { batches, schema: head.schema, estimate: size, unit, shown: shown.to_owned(), format: "arrow" })
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
            let batch = batch.map_err(format_error(&self.shown, self.format))?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::arithmetic_side_effects)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Date32Array, Decimal128Array, StringArray};
    use arrow_schema::{ArrowError, Field, Schema};

    use super::*;
    use crate::read_ahead::{Decoded, Opened};

    fn claims(n: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("person", DataType::Utf8, false),
            Field::new("date", DataType::Date32, false),
            Field::new("eligible_cost", DataType::Decimal128(18, 2), false),
        ]));
        let person: ArrayRef = Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("p-{i}"))));
        let date: ArrayRef = Arc::new(Date32Array::from_iter_values((0..n).map(|_| 19_500)));
        let cost: ArrayRef = Arc::new(
            Decimal128Array::from_iter_values((0..n).map(|_| 10_000)).with_precision_and_scale(18, 2).unwrap(),
        );
        RecordBatch::try_new(schema, vec![person, date, cost]).unwrap()
    }

    /// A source whose decoder gives `batches`, its metadata naming `rows`.
    fn source(batches: Decoded, rows: Option<u64>) -> Result<ArrowSource> {
        let open = move || Ok(Opened { schema: claims(0).schema(), rows, id_bytes: 0, batches });
        let (head, batches) = read_ahead(Path::new("claims.parquet"), "parquet", open)?;
        Ok(ArrowSource {
            batches,
            schema: head.schema,
            estimate: 0,
            unit: Unit::Yuan,
            shown: PathBuf::from("claims.parquet"),
            format: "parquet",
        })
    }

    /// Settles nothing, counts the rows given.
    fn read(source: Result<ArrowSource>) -> std::result::Result<usize, ColumnarError> {
        let mut n = 0;
        Source::<ColumnarError>::for_each(&mut source?, &mut |_| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    #[test]
    fn a_reader_that_panics_on_the_read_ahead_thread_is_an_error_of_the_file_not_its_end() {
        let mut left = 2;
        let panicking: Decoded = Box::new(std::iter::from_fn(move || {
            left -= 1;
            if left == 0 {
                panic!("a corrupt page");
            }
            Some(Ok(claims(3)))
        }));
        let err = read(source(panicking, None)).unwrap_err();
        let ColumnarError::Format { path, format, problem } = &err else { panic!("{err:?}") };
        assert_eq!((path.as_path(), *format), (Path::new("claims.parquet"), "parquet"));
        assert_eq!(problem, "the decoder failed: a corrupt page");
    }

    #[test]
    fn a_decoder_that_panics_while_opening_the_file_is_an_error_of_the_file() {
        let open = || -> std::result::Result<Opened, String> { panic!("a corrupt footer") };
        let err = read_ahead(Path::new("claims.arrow"), "arrow", open).map(|_| ()).unwrap_err();
        assert!(
            matches!(&err, ColumnarError::Format { format: "arrow", problem, .. } if problem == "the decoder failed: a corrupt footer"),
            "{err:?}"
        );
    }

    #[test]
    fn an_error_of_the_reader_ends_the_read_ahead_with_that_error() {
        let failing: Decoded =
            Box::new([Ok(claims(2)), Err(ArrowError::ParquetError("bad page".into())), Ok(claims(2))].into_iter());
        let err = read(source(failing, None)).unwrap_err();
        assert!(matches!(&err, ColumnarError::Format { problem, .. } if problem.contains("bad page")), "{err:?}");
    }

    /// #36 (4): 400,000 claims of 64 persons with 4 KB dictionary ids held
    /// 268 MB a batch decoded, past a gigabyte read ahead under a 64 MiB
    /// budget. A dictionary-encoded person decodes to views into its pages.
    #[test]
    fn dictionary_encoded_persons_decode_to_views_not_a_copy_per_row() {
        let n = 20_000;
        let persons: Vec<String> = (0..64).map(|i| format!("p{i:02}{}", "x".repeat(4_090))).collect();
        let schema = claims(0).schema();
        let person: ArrayRef = Arc::new(StringArray::from_iter_values((0..n).map(|i| persons[i % 64].as_str())));
        let date: ArrayRef = Arc::new(Date32Array::from_iter_values((0..n).map(|_| 19_500)));
        let cost: ArrayRef = Arc::new(
            Decimal128Array::from_iter_values((0..n).map(|_| 10_000)).with_precision_and_scale(18, 2).unwrap(),
        );
        let batch = RecordBatch::try_new(schema, vec![person, date, cost]).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        let bytes = w.into_inner().unwrap();
        assert!(bytes.len() < 1 << 20, "the ids are dictionary-encoded: {} bytes", bytes.len());
        let mut source = ArrowSource::parquet_bytes(bytes, Path::new("claims.parquet"), Unit::Yuan).unwrap();
        assert_eq!(source.schema.field_with_name("person").unwrap().data_type(), &DataType::Utf8View);
        let (mut rows, mut held) = (0, 0);
        for b in &mut source.batches {
            let b = b.unwrap();
            rows += b.num_rows();
            held = held.max(b.get_array_memory_size());
        }
        assert_eq!(rows, n);
        assert!(held < 4 << 20, "a batch holds {held} bytes, not a copy of every id");
        // The ids read are the ids written.
        let source = ArrowSource::parquet_bytes(
            {
                let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
                w.write(&batch.slice(0, 3)).unwrap();
                w.into_inner().unwrap()
            },
            Path::new("claims.parquet"),
            Unit::Yuan,
        );
        let mut seen = Vec::new();
        Source::<ColumnarError>::for_each(&mut source.unwrap(), &mut |row| {
            seen.push(row.person.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, persons[..3].to_vec());
    }

    #[test]
    fn fewer_rows_than_the_metadata_names_are_refused() {
        let two: Decoded = Box::new([Ok(claims(3)), Ok(claims(2))].into_iter());
        let err = read(source(two, Some(6))).unwrap_err();
        assert!(
            matches!(&err, ColumnarError::Format { problem, .. } if problem == "5 rows read where the file's metadata names 6"),
            "{err:?}"
        );
        let two: Decoded = Box::new([Ok(claims(3)), Ok(claims(2))].into_iter());
        assert_eq!(read(source(two, Some(5))).unwrap(), 5);
    }
}
