//! The per-claim results written to a file: Parquet, Arrow IPC or CSV, in
//! the schema of [`crate::tables`]. The file is written under a temporary
//! name beside its final one and renamed when complete, so an interrupted
//! run never leaves a partial file under the final name; the temporary file
//! is removed on error.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};
use medfund_insurer::{ClaimSplit, SettledClaim};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::decode::{ClaimId, Unit};
use crate::error::{ColumnarError, Result};
use crate::files::{BATCH_ROWS, Format};
use crate::parquet_out::{self, CallerShare, EncoderShare, Message, Started};
use crate::tables::SplitsBuilder;

enum Writer {
    Parquet(ArrowWriter<BufWriter<File>>),
    /// Parquet whose last column the caller encodes ([`crate::parquet_out`]).
    Shared(EncoderShare<BufWriter<File>>),
    Arrow(arrow_ipc::writer::FileWriter<BufWriter<File>>),
    Csv(BufWriter<File>),
}

/// A table file being written (Parquet, Arrow IPC or CSV): under a
/// temporary name beside `path` until [`TableFile::commit`] renames it;
/// dropped uncommitted, the temporary file is removed.
pub struct TableFile {
    path: PathBuf,
    temp: PathBuf,
    writer: Option<Encoder>,
    /// The caller's share of a Parquet file's encoding.
    caller: Option<CallerShare>,
    /// Whether the row groups the next batch opens are shared.
    share_next: bool,
    written: u64,
    /// The temporary file, for a signal's clean-up until it is renamed.
    registered: Option<crate::cleanup::Registered>,
}

impl std::fmt::Debug for TableFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableFile").field("path", &self.path).field("written", &self.written).finish_non_exhaustive()
    }
}

impl TableFile {
    /// Starts the file `path` of `schema` in `format`; decimals of scale 2
    /// are money, which CSV writes in `unit`.
    pub fn create(path: &Path, format: Format, schema: SchemaRef, unit: Unit) -> Result<TableFile> {
        let ((file, temp), registered) =
            crate::cleanup::Registered::make(|| crate::output::create_beside(path), |(_, temp)| temp.as_path())?;
        let out = BufWriter::with_capacity(1 << 20, file);
        // From here on a failure removes the temporary file (Drop).
        let mut made = TableFile {
            path: path.to_owned(),
            temp,
            writer: None,
            caller: None,
            share_next: true,
            written: 0,
            registered: Some(registered),
        };
        let writer = match format {
            Format::Parquet => {
                match parquet_out::start(out, schema, parquet_properties())
                    .map_err(format_error(&made.temp, "parquet"))?
                {
                    Started::Shared(caller, encoder) => {
                        made.caller = Some(caller);
                        Writer::Shared(encoder)
                    }
                    Started::Plain(w) => Writer::Parquet(w),
                }
            }
            Format::Arrow => Writer::Arrow(
                arrow_ipc::writer::FileWriter::try_new(out, &schema).map_err(format_error(&made.temp, "arrow"))?,
            ),
            Format::Csv => {
                let mut out = out;
                let header: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                writeln!(out, "{}", header.join(",")).map_err(ColumnarError::io(&made.temp, "write"))?;
                Writer::Csv(out)
            }
        };
        made.writer = Some(Encoder::start(writer, made.temp.clone(), unit));
        Ok(made)
    }

    /// Adds the rows of `batch` (of the file's schema), encoded on a thread of its own.
    pub fn write(&mut self, batch: RecordBatch) -> Result<()> {
        self.written = self.written.checked_add(batch.num_rows() as u64).expect("invariant: rows fit u64");
        let encoder = self.writer.as_mut().expect("invariant: set by create");
        match &mut self.caller {
            None => encoder.send(Message::Batch { batch, share: false }).map(|_| ()),
            Some(caller) => {
                // Row groups are shared while the encoder is behind (a send
                // waited for room): when this thread is the slower, as in a
                // spilled run's last pass, it does not take on its column.
                let share_next = self.share_next;
                self.share_next = share(&self.temp, encoder, |send| caller.write(batch, share_next, send))?;
                Ok(())
            }
        }
    }

    /// Closes the file and gives it its final name. Returns the rows written.
    pub fn commit(mut self) -> Result<u64> {
        let temp = self.temp.clone();
        let mut encoder = self.writer.take().expect("invariant: set by create");
        if let Some(caller) = self.caller.take() {
            share(&temp, &mut encoder, |send| caller.finish(send))?;
        }
        let out = match encoder.finish()? {
            Writer::Parquet(w) => w.into_inner().map_err(format_error(&temp, "parquet"))?,
            Writer::Shared(w) => w.into_inner().map_err(format_error(&temp, "parquet"))?,
            Writer::Arrow(mut w) => {
                w.finish().map_err(format_error(&temp, "arrow"))?;
                w.into_inner().map_err(format_error(&temp, "arrow"))?
            }
            Writer::Csv(w) => w,
        };
        let file = out.into_inner().map_err(|e| ColumnarError::io(&temp, "write")(e.into_error()))?;
        file.sync_all().map_err(ColumnarError::io(&temp, "write"))?;
        drop(file);
        std::fs::rename(&temp, &self.path).map_err(ColumnarError::io(&self.path, "rename"))?;
        // Renamed: nothing left for Drop, or a signal, to remove.
        self.temp = PathBuf::new();
        self.registered = None;
        Ok(self.written)
    }
}

impl Drop for TableFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            // Not committed: the partial file goes (best effort; a drop cannot report).
            drop(self.writer.take());
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A results file of settled claims being written, in the schema of
/// [`crate::tables`].
pub struct SplitsFile {
    file: TableFile,
    rows: SplitsBuilder,
}

impl std::fmt::Debug for SplitsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplitsFile").field("file", &self.file).finish_non_exhaustive()
    }
}

/// The Parquet settings of every results file: snappy (what pandas and
/// Spark write by default), row groups of 2^20 rows, no dictionary for
/// `claim_id` (ids are unique: a dictionary is built only to be dropped)
/// nor for the money columns of claims (`fund`, `insurer`, `person_pays`:
/// at 10⁷ claims each overflowed its dictionary and fell back to plain in
/// every row group; without it the file is 6 % smaller and the run 10 %
/// faster), and a fixed `created_by`, so that equal results make equal files.
pub fn parquet_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
        .set_column_dictionary_enabled(parquet::schema::types::ColumnPath::from("claim_id"), false)
        .set_column_dictionary_enabled(parquet::schema::types::ColumnPath::from("fund"), false)
        .set_column_dictionary_enabled(parquet::schema::types::ColumnPath::from("insurer"), false)
        .set_column_dictionary_enabled(parquet::schema::types::ColumnPath::from("person_pays"), false)
        .set_created_by(format!("medfund {}", env!("CARGO_PKG_VERSION")))
        .build()
}

impl SplitsFile {
    /// Starts the results file `path` in `format`; `claim_id` is the type of
    /// the input's claim ids, if it has any.
    pub fn create(path: &Path, format: Format, claim_id: Option<&DataType>, unit: Unit) -> Result<SplitsFile> {
        let rows = SplitsBuilder::new(claim_id, unit)?;
        let file = TableFile::create(path, format, std::sync::Arc::clone(rows.schema()), unit)?;
        Ok(SplitsFile { file, rows })
    }

    /// Starts the results file of a one-stop settlement (§5.2: the
    /// subsidies' columns after `person_pays`), pushed with
    /// [`push_settled`](Self::push_settled).
    pub fn create_one_stop(path: &Path, format: Format, claim_id: Option<&DataType>, unit: Unit) -> Result<SplitsFile> {
        let rows = SplitsBuilder::one_stop(claim_id, unit)?;
        let file = TableFile::create(path, format, std::sync::Arc::clone(rows.schema()), unit)?;
        Ok(SplitsFile { file, rows })
    }

    /// Adds one claim's result (a file of [`create`](Self::create)).
    pub fn push(&mut self, claim_id: Option<ClaimId<'_>>, split: &ClaimSplit) -> Result<()> {
        self.rows.push(claim_id, split)?;
        self.flush_full()
    }

    /// Adds one claim settled in one stop (a file of [`create_one_stop`](Self::create_one_stop)).
    pub fn push_settled(&mut self, claim_id: Option<ClaimId<'_>>, claim: &SettledClaim) -> Result<()> {
        self.rows.push_settled(claim_id, claim)?;
        self.flush_full()
    }

    #[inline]
    fn flush_full(&mut self) -> Result<()> {
        if self.rows.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let batch = self.rows.finish()?;
        self.file.write(batch)
    }

    /// Writes what is left, closes the file and gives it its final name.
    /// Returns the rows written.
    pub fn commit(mut self) -> Result<u64> {
        self.flush()?;
        self.file.commit()
    }
}

/// Runs the caller's share of a Parquet encoding, its messages sent to the
/// encoder thread; an error of the encoder thread is the one reported.
/// Returns whether a send waited for room (the encoder is behind).
fn share(
    temp: &Path,
    encoder: &mut Encoder,
    run: impl FnOnce(
        &mut dyn FnMut(Message) -> std::result::Result<(), parquet::errors::ParquetError>,
    ) -> std::result::Result<(), parquet::errors::ParquetError>,
) -> Result<bool> {
    let mut stopped: Option<ColumnarError> = None;
    let mut waited = false;
    let outcome = run(&mut |m| match encoder.send(m) {
        Ok(w) => {
            waited |= w;
            Ok(())
        }
        Err(e) => {
            let shown = parquet::errors::ParquetError::General(e.to_string());
            stopped = Some(e);
            Err(shown)
        }
    });
    match (outcome, stopped) {
        (_, Some(e)) => Err(e),
        (Err(e), None) => Err(format_error(temp, "parquet")(e)),
        (Ok(()), None) => Ok(waited),
    }
}

/// An error of the format's writer on the file at `path`.
fn format_error<E: std::fmt::Display>(path: &Path, format: &'static str) -> impl Fn(E) -> ColumnarError + use<E> {
    let path = path.to_owned();
    move |e| ColumnarError::Format { path: path.clone(), format, problem: e.to_string() }
}

/// Writes one batch in the file's format.
fn write_batch(writer: &mut Writer, batch: &RecordBatch, temp: &Path, unit: Unit) -> Result<()> {
    match writer {
        Writer::Parquet(w) => w.write(batch).map_err(format_error(temp, "parquet")),
        // The encoder thread hands a shared file its messages itself.
        Writer::Shared(_) => Err(format_error(temp, "parquet")("a batch outside the shared encoding")),
        Writer::Arrow(w) => w.write(batch).map_err(format_error(temp, "arrow")),
        Writer::Csv(w) => write_csv(w, batch, unit).map_err(ColumnarError::io(temp, "write")),
    }
}

/// The encoding of batches on a thread of its own: Parquet's encoding and
/// compression overlap the settlement that feeds it (at 10⁷ claims they
/// took a third of the run on the one thread).
struct Encoder {
    batches: Option<std::sync::mpsc::SyncSender<Message>>,
    thread: Option<std::thread::JoinHandle<Result<Writer>>>,
}

impl Encoder {
    fn start(mut writer: Writer, temp: PathBuf, unit: Unit) -> Encoder {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Message>(4);
        let thread = std::thread::spawn(move || {
            while let Ok(message) = rx.recv() {
                match (&mut writer, message) {
                    (Writer::Shared(w), m) => {
                        w.handle(m, &mut || rx.recv().ok()).map_err(format_error(&temp, "parquet"))?;
                    }
                    (w, Message::Batch { batch, .. }) => write_batch(w, &batch, &temp, unit)?,
                    (_, Message::Chunks(_)) => {
                        return Err(format_error(&temp, "parquet")("column chunks for a file that is not shared"));
                    }
                }
            }
            Ok(writer)
        });
        Encoder { batches: Some(tx), thread: Some(thread) }
    }

    /// Sends `message`; returns whether it had to wait for room.
    fn send(&mut self, message: Message) -> Result<bool> {
        let tx = self.batches.as_ref().expect("invariant: open until finish");
        let sent = match tx.try_send(message) {
            Ok(()) => Ok(false),
            Err(std::sync::mpsc::TrySendError::Full(m)) => tx.send(m).map(|()| true).map_err(|_| ()),
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => Err(()),
        };
        if let Ok(waited) = sent {
            return Ok(waited);
        }
        // The thread stopped at an error: it is the one to report.
        self.batches = None;
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => Err(ColumnarError::io("results", "write")(std::io::Error::other("the encoder stopped"))),
        }
    }

    fn join(&mut self) -> Result<Writer> {
        let thread = self.thread.take().expect("invariant: joined once");
        thread
            .join()
            .map_err(|_| ColumnarError::io("results", "write")(std::io::Error::other("the encoder panicked")))?
    }

    fn finish(mut self) -> Result<Writer> {
        self.batches = None;
        self.join()
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        self.batches = None;
        if let Some(t) = self.thread.take() {
            // Its result is of no use once the file is abandoned.
            let _ = t.join();
        }
    }
}

/// One batch as CSV lines: ids quoted when they need it, money as yuan with
/// two decimals (or fen), no formula guard (a file for programs, matched by
/// id; the report's CSV keeps its guard).
fn write_csv(w: &mut BufWriter<File>, batch: &RecordBatch, unit: Unit) -> std::io::Result<()> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    let columns = batch.columns();
    let mut line = String::with_capacity(64);
    for i in 0..batch.num_rows() {
        line.clear();
        for (c, a) in columns.iter().enumerate() {
            if c > 0 {
                line.push(',');
            }
            if a.is_null(i) {
                continue;
            }
            match a.data_type() {
                DataType::Utf8 => quoted(&mut line, a.as_string::<i32>().value(i)),
                DataType::LargeUtf8 => quoted(&mut line, a.as_string::<i64>().value(i)),
                DataType::Utf8View => quoted(&mut line, a.as_string_view().value(i)),
                DataType::Int32 => {
                    line.push_str(&a.as_primitive::<arrow_array::types::Int32Type>().value(i).to_string());
                }
                DataType::Int64 => {
                    line.push_str(&a.as_primitive::<arrow_array::types::Int64Type>().value(i).to_string());
                }
                DataType::UInt32 => {
                    line.push_str(&a.as_primitive::<arrow_array::types::UInt32Type>().value(i).to_string());
                }
                DataType::Boolean => line.push_str(if a.as_boolean().value(i) { "true" } else { "false" }),
                DataType::Decimal128(_, 2) => {
                    let fen = a.as_primitive::<arrow_array::types::Decimal128Type>().value(i);
                    let fen = i64::try_from(fen).map_err(|_| std::io::Error::other("money beyond i64 fen"))?;
                    match unit {
                        Unit::Fen => line.push_str(&fen.to_string()),
                        Unit::Yuan => line.push_str(&medfund_core::Money::from_fen(fen).to_string()),
                    }
                }
                other => return Err(std::io::Error::other(format!("a column of type {other} has no CSV form here"))),
            }
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

fn quoted(line: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        line.push('"');
        line.push_str(&text.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(text);
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use medfund_core::Money;
    use parquet::basic::Encoding;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;
    use crate::spill::TempDir;

    #[test]
    fn results_parquet_has_a_dictionary_on_the_medical_year_only() {
        // Ids are unique and money takes many values in real runs: no
        // dictionary for them (it would overflow and fall back in every row
        // group), whatever the values of this file; the medical year has a
        // few values: a dictionary.
        let dir = TempDir::new(&std::env::temp_dir()).unwrap();
        let path = dir.file("splits.parquet");
        let mut file = SplitsFile::create(&path, Format::Parquet, Some(&DataType::Utf8), Unit::Yuan).unwrap();
        for i in 0..10_000_i64 {
            let id = format!("C{i:06}");
            let split =
                ClaimSplit::new(2023 + i32::from(i % 2 == 0), Money::from_fen(i * 7), Money::ZERO, Money::from_fen(i));
            file.push(Some(ClaimId::Text(&id)), &split).unwrap();
        }
        assert_eq!(file.commit().unwrap(), 10_000);
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.file_metadata().created_by(), Some(format!("medfund {}", env!("CARGO_PKG_VERSION")).as_str()));
        let group = meta.row_group(0);
        for column in group.columns() {
            let name = column.column_path().string();
            let dictionary =
                column.encodings().any(|e| e == Encoding::RLE_DICTIONARY || e == Encoding::PLAIN_DICTIONARY);
            assert_eq!(dictionary, name == "medical_year", "{name}: {:?}", column.encodings().collect::<Vec<_>>());
        }
    }
}
