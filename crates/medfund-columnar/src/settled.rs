//! Spilled partitions settled into files of their own and read back in
//! their input order — split further when they outgrow their share of the
//! budget.
//!
//! Hashing persons into partitions is uneven, and real claims are skewed: a
//! person with tens of thousands of claims, a placeholder id for unknown
//! persons. A partition larger than a thread's share is split into
//! sub-partitions by another hash of the person (a new seed at each depth),
//! each settled in turn, with a tag file noting each record's
//! sub-partition so that the results are read back in the partition's
//! order. A sub-partition that holds one person alone and still outgrows the
//! share is *heavy*: it is settled after every other partition, alone, with
//! the whole budget. Only a person whose claims need more than the whole
//! budget is refused, naming that person.
//!
//! Persons are independent, so a person settled in any sub-partition gives
//! the splits it gives in any other: the results equal the unbudgeted run's.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::engine::{Rules, Settlement, settle_records};
use crate::error::ColumnarError;
use crate::spill::{self, Cursor, Decoded, Store, TagReader, Tags};

/// The most bytes one record takes (its fixed fields and two ids at most
/// `MAX_ID_BYTES` long, with their tags and lengths).
const MAX_RECORD: usize = 8 + 4 + 8 + 1 + 2 + spill::MAX_ID_BYTES + 1 + 2 + spill::MAX_ID_BYTES;
/// Splitting stops here: distinct persons part within a few re-seeded hashes.
const MAX_DEPTH: u32 = 16;
/// The most sub-partitions of one split (open files at once).
const MAX_WAYS: u64 = 64;

/// A partition settled by [`Settler::settle`], but for its heavy persons.
pub(crate) enum Plan {
    /// One settled file.
    One(Stream),
    /// Sub-partitions, read in the order their tags give.
    Split { tags: TagReader, parts: Vec<Plan> },
    /// One person's records (`bytes` of them at `records`), settled after
    /// every other partition with the whole budget.
    Heavy { records: PathBuf, bytes: u64 },
}

/// The results of a partition, read back in its input order.
pub(crate) enum Reader {
    /// One settled file.
    One(Stream),
    /// Sub-partitions, read in the order their tags give.
    Split { tags: TagReader, parts: Vec<Reader> },
}

impl Reader {
    /// The next record and its settlement, read into `out`.
    pub(crate) fn next<'a, S: Settlement>(&mut self, out: &'a mut Vec<u8>) -> Result<(Decoded<'a>, S), ColumnarError> {
        match self {
            Reader::One(stream) => stream.next(out),
            Reader::Split { tags, parts } => {
                let part = parts.get_mut(usize::from(tags.next()?)).expect("invariant: tags name sub-partitions");
                part.next(out)
            }
        }
    }
}

/// What settles spilled partitions (their files beside theirs, in the
/// run's temporary folder): the rules, and how many bytes of records a thread may settle at once (`share`) and one
/// heavy person may (`whole`).
pub(crate) struct Settler<'a, E, S: Settlement> {
    pub(crate) rules: &'a dyn Rules<E, S>,
    /// Write buffer of each file, in bytes.
    pub(crate) buffer: usize,
    pub(crate) share: u64,
    pub(crate) whole: u64,
    pub(crate) budget: u64,
}

impl<E: From<ColumnarError>, S: Settlement> Settler<'_, E, S> {
    /// Settles the `bytes` of records in the file `records` (removed once
    /// read), but for heavy persons (see [`Settler::finish`]).
    pub(crate) fn settle(&self, records: &Path, bytes: u64, depth: u32) -> Result<Plan, E> {
        if bytes <= self.share {
            return Ok(Plan::One(self.settle_whole(records, bytes)?));
        }
        if depth >= MAX_DEPTH {
            return Err(ColumnarError::Budget { needed: bytes, budget: self.budget }.into());
        }
        let ways = bytes.div_ceil((self.share / 4).saturating_mul(3).max(1)).clamp(2, MAX_WAYS);
        let ways = u16::try_from(ways).expect("invariant: at most MAX_WAYS");
        let split = split(records, ways, depth, self.buffer)?;
        let mut parts = Vec::with_capacity(usize::from(ways));
        for part in split.parts {
            parts.push(match part {
                Part { path, bytes, one_person: true } if bytes > self.share => Plan::Heavy { records: path, bytes },
                Part { path, bytes, .. } => self.settle(&path, bytes, depth.saturating_add(1))?,
            });
        }
        Ok(Plan::Split { tags: split.tags.reader()?, parts })
    }

    /// Settles the heavy persons of `plan`, one at a time with the whole
    /// budget (run it when no other partition is being settled).
    pub(crate) fn finish(&self, plan: Plan) -> Result<Reader, E> {
        match plan {
            Plan::One(stream) => Ok(Reader::One(stream)),
            Plan::Split { tags, parts } => {
                Ok(Reader::Split { tags, parts: parts.into_iter().map(|p| self.finish(p)).collect::<Result<_, E>>()? })
            }
            Plan::Heavy { records, bytes } => {
                if bytes > self.whole {
                    let person = first_person(&records)?;
                    let needed = bytes.saturating_mul(S::MEMORY_PER_RECORD_BYTE);
                    return Err(ColumnarError::Person { person, needed, budget: self.budget }.into());
                }
                Ok(Reader::One(self.settle_whole(&records, bytes)?))
            }
        }
    }

    /// Settles records that fit in memory into a file of results.
    fn settle_whole(&self, records: &Path, bytes: u64) -> Result<Stream, E> {
        let bytes = spill::read_records(records, bytes)?;
        let splits = settle_records(&bytes, self.rules)?;
        let path = suffixed(records, "settled");
        let file = spill::create_private(&path)?;
        let mut w = BufWriter::with_capacity(self.buffer, file);
        write_results(&bytes, &splits, &mut w).map_err(ColumnarError::io(&path, "write"))?;
        w.flush().map_err(ColumnarError::io(&path, "write"))?;
        Ok(Stream::open(&path)?)
    }
}

/// `path` with `.suffix` added to its name.
pub(crate) fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// A sub-partition written by [`split`].
struct Part {
    path: PathBuf,
    bytes: u64,
    /// Whether every record is of one person.
    one_person: bool,
}

/// A partition split in `ways` sub-partitions, and the tags of its records.
struct Split {
    parts: Vec<Part>,
    tags: Tags,
}

/// Splits the records of the file `records` (removed once read) by a hash
/// of their person seeded with `depth`, keeping each sub-partition's
/// records in the file's order.
fn split(records: &Path, ways: u16, depth: u32, buffer: usize) -> Result<Split, ColumnarError> {
    let mut stores = (0..ways)
        .map(|i| Store::spilling(suffixed(records, &i.to_string()), buffer))
        .collect::<Result<Vec<Store>, ColumnarError>>()?;
    let mut firsts: Vec<Option<Vec<u8>>> = vec![None; usize::from(ways)];
    let mut one_person = vec![true; usize::from(ways)];
    let mut tags = Tags::create(suffixed(records, "tags"))?;
    for_each_record(records, |record, person| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        depth.hash(&mut h);
        person.hash(&mut h);
        let way = u16::try_from(h.finish().checked_rem(u64::from(ways)).expect("invariant: ways ≥ 2"))
            .expect("invariant: below ways");
        let at = usize::from(way);
        let store = stores.get_mut(at).expect("invariant: way < ways");
        let before = store.buffer().len();
        store.buffer().extend_from_slice(record);
        store.appended(before)?;
        match firsts.get_mut(at).expect("invariant: way < ways") {
            Some(first) => {
                if first.as_slice() != person {
                    *one_person.get_mut(at).expect("invariant: way < ways") = false;
                }
            }
            first @ None => *first = Some(person.to_vec()),
        }
        tags.push(way)
    })?;
    std::fs::remove_file(records).map_err(ColumnarError::io(records, "remove"))?;
    let mut parts = Vec::with_capacity(usize::from(ways));
    for (store, one_person) in stores.into_iter().zip(one_person) {
        let (path, bytes) = store.into_file()?;
        parts.push(Part { path, bytes, one_person });
    }
    Ok(Split { parts, tags })
}

/// Calls `each(record, person)` with the bytes of every record of the file
/// at `path`, in order, and the bytes of its person's encoding; memory
/// stays at a buffer's worth.
fn for_each_record(
    path: &Path,
    mut each: impl FnMut(&[u8], &[u8]) -> Result<(), ColumnarError>,
) -> Result<(), ColumnarError> {
    const CHUNK: usize = 1 << 20;
    let mut file = File::open(path).map_err(ColumnarError::io(path, "read"))?;
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK.saturating_add(MAX_RECORD));
    let mut start = 0_usize;
    let mut ended = false;
    loop {
        let left = window.len().checked_sub(start).expect("invariant: start within the window");
        // A record is whole once the window holds its largest size, or the file has ended.
        if left < MAX_RECORD && !ended {
            window.drain(..start);
            start = 0;
            let read =
                (&mut file).take(CHUNK as u64).read_to_end(&mut window).map_err(ColumnarError::io(path, "read"))?;
            ended = read == 0;
            continue;
        }
        let Some(rest) = window.get(start..).filter(|r| !r.is_empty()) else { return Ok(()) };
        let (used, person) = Cursor::new(rest).record_and_person();
        let record = rest.get(..used).expect("invariant: a whole record");
        each(record, person)?;
        start = start.checked_add(used).expect("invariant: within the window");
    }
}

/// The person of the first record of the file at `path`, as the report shows it.
fn first_person(path: &Path) -> Result<String, ColumnarError> {
    let mut head = Vec::with_capacity(MAX_RECORD);
    File::open(path)
        .and_then(|f| f.take(MAX_RECORD as u64).read_to_end(&mut head))
        .map_err(ColumnarError::io(path, "read"))?;
    Ok(Cursor::new(&head).record().row.person.to_string())
}

/// The records of a partition with their splits, each framed by its length.
fn write_results<S: Settlement>(bytes: &[u8], splits: &[S], w: &mut impl Write) -> std::io::Result<()> {
    let mut cursor = Cursor::new(bytes);
    let mut frame = Vec::new();
    for split in splits {
        let rest = cursor.remaining();
        cursor.skip();
        let used = rest.checked_sub(cursor.remaining()).expect("invariant: the cursor moved forward");
        let start = bytes.len().checked_sub(rest).expect("invariant: within the bytes");
        frame.clear();
        frame.extend_from_slice(
            bytes.get(start..start.checked_add(used).expect("invariant: within")).expect("invariant: a whole record"),
        );
        split.encode(&mut frame);
        let len = u32::try_from(frame.len()).expect("invariant: a record is a few KiB at most");
        w.write_all(&len.to_le_bytes())?;
        w.write_all(&frame)?;
    }
    Ok(())
}

/// The settled records of a spilled partition, read one at a time in
/// partition order, each framed by its length.
pub(crate) struct Stream {
    path: PathBuf,
    file: std::io::BufReader<File>,
}

impl Stream {
    fn open(path: &Path) -> Result<Stream, ColumnarError> {
        let f = File::open(path).map_err(ColumnarError::io(path, "read"))?;
        Ok(Stream { path: path.to_owned(), file: std::io::BufReader::with_capacity(1 << 14, f) })
    }

    /// The next record and its split, read into `out`.
    fn next<'a, S: Settlement>(&mut self, out: &'a mut Vec<u8>) -> Result<(Decoded<'a>, S), ColumnarError> {
        let mut len = [0_u8; 4];
        self.file.read_exact(&mut len).map_err(ColumnarError::io(self.path.as_path(), "read"))?;
        out.resize(usize::try_from(u32::from_le_bytes(len)).expect("invariant: u32 fits usize"), 0);
        self.file.read_exact(out).map_err(ColumnarError::io(self.path.as_path(), "read"))?;
        let mut cursor = Cursor::new(out);
        let d = cursor.record();
        Ok((d, cursor.settlement()))
    }
}
