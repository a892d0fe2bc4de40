//! Claims held between the passes of a settlement: records of bytes in
//! partitions, each in memory or in a temporary file, and the codec of one
//! record. A record is the claim as read (row, date, cost, person, claim
//! id) and, once settled, its split after it.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use medfund_core::Money;
use medfund_insurer::{Claim, ClaimSplit};

use crate::decode::{ClaimId, PersonKey, date_of_epoch_day as date_of, days_of};
use crate::engine::Settlement;
use crate::error::{ColumnarError, Result};
use crate::key::PersonBytes;

/// One claim as the engine holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    /// The person.
    pub person: PersonKey<'a>,
    /// The date.
    pub date: NaiveDate,
    /// The eligible cost (zero or more).
    pub cost: Money,
    /// The claim's own id, if the input has one.
    pub claim_id: Option<ClaimId<'a>>,
}

/// Appends `row` (input row number `seq`) to `out`.
pub(crate) fn encode(out: &mut Vec<u8>, seq: u64, row: &Row<'_>) -> Result<()> {
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&days_of(row.date).to_le_bytes());
    out.extend_from_slice(&row.cost.fen().to_le_bytes());
    match row.person {
        PersonKey::Text(t) => {
            out.push(0);
            text(out, t, seq, "person")?;
        }
        PersonKey::Int(i) => {
            out.push(1);
            out.extend_from_slice(&i.to_le_bytes());
        }
    }
    match row.claim_id {
        None => out.push(0),
        Some(ClaimId::Text(t)) => {
            out.push(1);
            text(out, t, seq, "claim_id")?;
        }
        Some(ClaimId::Int(i)) => {
            out.push(2);
            out.extend_from_slice(&i.to_le_bytes());
        }
    }
    Ok(())
}

/// Ids longer than this are refused (a record must stay small; no real id is near).
pub const MAX_ID_BYTES: usize = 4096;

fn text(out: &mut Vec<u8>, t: &str, seq: u64, column: &'static str) -> Result<()> {
    if t.len() > MAX_ID_BYTES {
        return Err(ColumnarError::value(
            seq,
            column,
            format!("{} bytes long", t.len()),
            "an id of at most 4096 bytes",
        ));
    }
    let len = u16::try_from(t.len()).expect("invariant: at most 4096");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(t.as_bytes());
    Ok(())
}

impl Settlement for ClaimSplit {
    const BLANK: ClaimSplit = ClaimSplit::new(0, Money::ZERO, Money::ZERO, Money::ZERO);
    /// Measured ≈ 3.2 at 10⁷ claims.
    const MEMORY_PER_RECORD_BYTE: u64 = 4;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.medical_year.to_le_bytes());
        for m in [self.fund, self.insurer, self.person_pays] {
            out.extend_from_slice(&m.fen().to_le_bytes());
        }
    }

    fn decode(bytes: &mut &[u8]) -> ClaimSplit {
        let year = i32::from_le_bytes(take_array(bytes));
        let mut m = || Money::from_fen(i64::from_le_bytes(take_array(bytes)));
        let (fund, insurer, person_pays) = (m(), m(), m());
        ClaimSplit::new(year, fund, insurer, person_pays)
    }
}

/// The first `N` bytes of `bytes`, which moves past them (a settlement's
/// encoding, written whole by the engine).
pub(crate) fn take_array<const N: usize>(bytes: &mut &[u8]) -> [u8; N] {
    let (head, tail) = bytes.split_first_chunk::<N>().expect("invariant: settlements are written whole");
    *bytes = tail;
    *head
}

/// A decoded record: the row and its input row number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decoded<'a> {
    pub seq: u64,
    pub row: Row<'a>,
}

/// Reads records one after another from a byte buffer.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The input row number of the next record, if there is one.
    pub(crate) fn peek_seq(&self) -> Option<u64> {
        let head: [u8; 8] = self.bytes.get(..8)?.try_into().expect("invariant: 8 bytes");
        Some(u64::from_le_bytes(head))
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.bytes.split_at_checked(n).expect("invariant: records are written whole");
        self.bytes = tail;
        head
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        self.take(N).try_into().expect("invariant: take gives N bytes")
    }

    fn text(&mut self) -> &'a str {
        let len = u16::from_le_bytes(self.array());
        std::str::from_utf8(self.take(usize::from(len))).expect("invariant: written from a str")
    }

    /// The next record.
    pub(crate) fn record(&mut self) -> Decoded<'a> {
        let seq = u64::from_le_bytes(self.array());
        let days = i32::from_le_bytes(self.array());
        let cost = Money::from_fen(i64::from_le_bytes(self.array()));
        let person = match self.take(1) {
            [0] => PersonKey::Text(self.text()),
            _ => PersonKey::Int(i64::from_le_bytes(self.array())),
        };
        let claim_id = match self.take(1) {
            [0] => None,
            [1] => Some(ClaimId::Text(self.text())),
            _ => Some(ClaimId::Int(i64::from_le_bytes(self.array()))),
        };
        Decoded { seq, row: Row { person, date: date_of(days), cost, claim_id } }
    }

    /// What the split of the next record needs — its row number, date, cost
    /// and person's bytes — without reading its text as text (the settling
    /// pass groups by bytes; the text was checked when it was written).
    pub(crate) fn claim(&mut self) -> (u64, Claim<PersonBytes<'a>>) {
        let seq = u64::from_le_bytes(self.array());
        let days = i32::from_le_bytes(self.array());
        let cost = Money::from_fen(i64::from_le_bytes(self.array()));
        let at_person = self.bytes;
        self.skip_person();
        let key_len = at_person.len().checked_sub(self.bytes.len()).expect("invariant: the cursor moved forward");
        let key = PersonBytes::of_record(at_person, key_len);
        self.skip_claim_id();
        (seq, Claim { person: key, date: date_of(days), eligible_cost: cost })
    }

    /// The length of the next record and the bytes of its person's
    /// encoding, moving past it.
    pub(crate) fn record_and_person(&mut self) -> (usize, &'a [u8]) {
        let start = self.bytes.len();
        self.take(8 + 4 + 8);
        let at_person = self.bytes;
        self.skip_person();
        let person_len = at_person.len().checked_sub(self.bytes.len()).expect("invariant: the cursor moved forward");
        self.skip_claim_id();
        let used = start.checked_sub(self.bytes.len()).expect("invariant: the cursor moved forward");
        (used, at_person.get(..person_len).expect("invariant: the person lies within its record"))
    }

    /// Moves past the next record (without reading it).
    pub(crate) fn skip(&mut self) {
        self.take(8 + 4 + 8);
        self.skip_person();
        self.skip_claim_id();
    }

    /// A person as [`encode`] writes it: 0 and text, or 1 and an integer.
    fn skip_person(&mut self) {
        match self.take(1) {
            [0] => self.skip_text(),
            _ => {
                self.take(8);
            }
        }
    }

    /// A claim id as [`encode`] writes it: 0 alone, 1 and text, 2 and an integer.
    fn skip_claim_id(&mut self) {
        match self.take(1) {
            [0] => {}
            [1] => self.skip_text(),
            _ => {
                self.take(8);
            }
        }
    }

    fn skip_text(&mut self) {
        let len = u16::from_le_bytes(self.array());
        self.take(usize::from(len));
    }

    /// The settlement after a settled record.
    pub(crate) fn settlement<S: Settlement>(&mut self) -> S {
        S::decode(&mut self.bytes)
    }
}

/// The records of one partition: in memory, or in a temporary file once
/// the buffer holds `flush_at` bytes.
pub(crate) struct Store {
    buffer: Vec<u8>,
    /// Buffered bytes at which a spilling store writes out (fixed: the
    /// buffer's capacity grows past it by one record at most).
    flush_at: usize,
    file: Option<(PathBuf, BufWriter<File>)>,
    /// Bytes of records in all (buffer and file).
    pub(crate) bytes: u64,
}

impl Store {
    pub(crate) fn new() -> Store {
        Store { buffer: Vec::new(), flush_at: usize::MAX, file: None, bytes: 0 }
    }

    /// A store that writes to `path` (created now) whenever its buffer is full.
    pub(crate) fn spilling(path: PathBuf, buffer: usize) -> Result<Store> {
        let file = create_private(&path)?;
        // Room for one more record past the threshold, so that the buffer
        // never reallocates (a doubling buffer per partition was what grew).
        let capacity = buffer.saturating_add(2 * MAX_ID_BYTES + 64);
        Ok(Store {
            buffer: Vec::with_capacity(capacity),
            flush_at: buffer,
            file: Some((path, BufWriter::with_capacity(0, file))),
            bytes: 0,
        })
    }

    /// The records held in memory (all of an in-memory store's).
    pub(crate) fn records(&self) -> &[u8] {
        &self.buffer
    }

    /// The buffer to append records to.
    pub(crate) fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }

    /// Counts the bytes appended since the last call and writes the buffer
    /// out when it is full (spilling stores only).
    pub(crate) fn appended(&mut self, before: usize) -> Result<()> {
        let added = self.buffer.len().checked_sub(before).expect("invariant: the buffer only grows between calls");
        self.bytes = self.bytes.checked_add(added as u64).expect("invariant: bytes fit u64");
        if let Some((path, w)) = &mut self.file {
            if self.buffer.len() >= self.flush_at {
                w.write_all(&self.buffer).map_err(ColumnarError::io(path.as_path(), "write"))?;
                self.buffer.clear();
            }
        }
        Ok(())
    }

    /// The file of a spilling store, complete, and the bytes of its records.
    pub(crate) fn into_file(self) -> Result<(PathBuf, u64)> {
        let Store { buffer, file, bytes, .. } = self;
        let (path, mut w) = file.expect("invariant: a spilling store");
        w.write_all(&buffer).map_err(ColumnarError::io(path.as_path(), "write"))?;
        w.flush().map_err(ColumnarError::io(path.as_path(), "write"))?;
        Ok((path, bytes))
    }

    /// Makes an in-memory store spill to `path` (created now), its records
    /// so far written there first.
    pub(crate) fn start_spilling(&mut self, path: PathBuf, buffer: usize) -> Result<()> {
        debug_assert!(self.file.is_none(), "an in-memory store");
        let mut spilling = Store::spilling(path, buffer)?;
        if let Some((path, w)) = &mut spilling.file {
            w.write_all(&self.buffer).map_err(ColumnarError::io(path.as_path(), "write"))?;
        }
        spilling.bytes = self.bytes;
        *self = spilling;
        Ok(())
    }

    /// Every record, read back whole (the partition must fit the budget).
    pub(crate) fn into_bytes(self) -> Result<Vec<u8>> {
        let Store { buffer, file, bytes, .. } = self;
        let Some((path, mut w)) = file else { return Ok(buffer) };
        w.write_all(&buffer).map_err(ColumnarError::io(path.as_path(), "write"))?;
        w.flush().map_err(ColumnarError::io(path.as_path(), "write"))?;
        drop(w);
        read_records(&path, bytes)
    }
}

/// Every record of the file at `path` (`bytes` of them), which is removed.
pub(crate) fn read_records(path: &Path, bytes: u64) -> Result<Vec<u8>> {
    let mut out =
        Vec::with_capacity(usize::try_from(bytes).expect("invariant: a partition within the budget fits usize"));
    File::open(path).and_then(|mut f| f.read_to_end(&mut out)).map_err(ColumnarError::io(path, "read"))?;
    std::fs::remove_file(path).map_err(ColumnarError::io(path, "remove"))?;
    Ok(out)
}

/// A temporary folder of one run, removed with everything in it when the
/// run ends, whether it succeeded or not. Its name is unpredictable and it
/// is private to the user (0700), as are its files (0600, [`create_private`]):
/// they hold copies of the claims.
pub(crate) struct TempDir {
    // Unregistered after the folder is gone (fields drop in order).
    dir: tempfile::TempDir,
    _registered: crate::cleanup::Registered,
}

impl TempDir {
    pub(crate) fn new(parent: &Path) -> Result<TempDir> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".medfund-spill-");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let (dir, registered) =
            crate::cleanup::Registered::make(|| builder.tempdir_in(parent), tempfile::TempDir::path)
                .map_err(ColumnarError::io(parent, "create a temporary folder in it"))?;
        Ok(TempDir { dir, _registered: registered })
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A new file at `path`, readable and writable by its owner only; never an
/// existing file or a link (`O_CREAT|O_EXCL`).
pub(crate) fn create_private(path: &Path) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(ColumnarError::io(path, "create"))
}

/// The partition of each input row of a spilled run, in input order: a
/// file of one `u16` per row.
pub(crate) struct Tags {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Tags {
    pub(crate) fn create(path: PathBuf) -> Result<Tags> {
        let file = create_private(&path)?;
        Ok(Tags { path, out: BufWriter::with_capacity(1 << 16, file) })
    }

    pub(crate) fn push(&mut self, partition: u16) -> Result<()> {
        self.out.write_all(&partition.to_le_bytes()).map_err(ColumnarError::io(self.path.as_path(), "write"))
    }

    /// The tags read back in order.
    pub(crate) fn reader(self) -> Result<TagReader> {
        let Tags { path, mut out } = self;
        out.flush().map_err(ColumnarError::io(path.as_path(), "write"))?;
        drop(out);
        let f = File::open(&path).map_err(ColumnarError::io(path.as_path(), "read"))?;
        Ok(TagReader { path, file: BufReader::with_capacity(1 << 16, f) })
    }
}

/// Tags read back.
pub(crate) struct TagReader {
    path: PathBuf,
    file: BufReader<File>,
}

impl TagReader {
    /// The next row's partition.
    pub(crate) fn next(&mut self) -> Result<u16> {
        let mut tag = [0_u8; 2];
        self.file.read_exact(&mut tag).map_err(ColumnarError::io(self.path.as_path(), "read"))?;
        Ok(u16::from_le_bytes(tag))
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod private_tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// #36 (10): spilled claims are the user's alone (the folder was 0755,
    /// its files 0644), under a name nobody can plant beforehand.
    #[test]
    fn spill_folders_and_files_are_private_and_removed() {
        let a = TempDir::new(&std::env::temp_dir()).unwrap();
        let b = TempDir::new(&std::env::temp_dir()).unwrap();
        assert_ne!(a.file(""), b.file(""));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&a.file("")), 0o700);
        let path = a.file("part-0");
        drop(create_private(&path).unwrap());
        assert_eq!(mode(&path), 0o600);
        // Never over an existing file, never through a link.
        assert!(create_private(&path).is_err());
        std::os::unix::fs::symlink(&path, a.file("link")).unwrap();
        assert!(create_private(&a.file("link")).is_err());
        let folder = a.file("");
        drop(a);
        assert!(!folder.exists(), "removed with its files");
    }
}
