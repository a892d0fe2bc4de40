//! The settlement of claims of any number within a memory budget.
//!
//! A person's claims must be split together, in date order, but a file
//! holds them in any order. Three passes keep memory bounded:
//! 1. *Partition*: each claim is checked as it is read and appended to the
//!    partition of its person (a stable hash of the id, so all claims of a
//!    person meet), in memory when every claim fits the budget, else to a
//!    temporary file per partition (whose partition of each row is then
//!    noted in input order).
//! 2. *Settle*: each partition is read back whole and split by the rule
//!    kernel (partitions in parallel); persons are independent, so the
//!    splits are those of all claims split at once.
//! 3. *Write*: the rows are given to the sink in input order: gathered by
//!    their row numbers when the partitions are in memory ([`crate::gather`]),
//!    else each taken from the file of the partition noted for it.
//!
//! Input that is declared sorted by person needs no partitions: complete
//! persons are split in chunks as they are read.

use std::path::PathBuf;

use arrow_schema::DataType;
use medfund_insurer::{Claim, ClaimSplit};
use rayon::prelude::*;

use crate::decode::PersonKey;
use crate::error::ColumnarError;
use crate::gather::{self, Part};
use crate::key::PersonBytes;
use crate::settled::{Plan, Reader, Settler};
use crate::spill::{self, Cursor, Row, Store, Tags, TempDir};

/// The default memory budget: 2 GiB.
pub const DEFAULT_BUDGET: u64 = 2 << 30;
/// The most partitions one run uses (each is an open file in the last pass).
pub const MAX_PARTITIONS: u32 = 4096;
/// Records per partition that keep the kernel's per-person tables in the
/// CPU's caches (measured at 10⁷ claims: 6 M claims/s in partitions of
/// 3.3·10⁶ claims, 15 M/s in partitions of 1.6·10⁵).
const CACHE_PARTITION_BYTES: u64 = 8 << 20;
/// The most partitions of a run that spills (each an open file in the last pass).
const MAX_SPILL_PARTITIONS: u64 = 1024;

/// How a settlement runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Bytes the claims may take in memory (2 GiB by default); beyond it
    /// they are partitioned to temporary files. Buffers of open files count
    /// against it.
    pub memory_budget: u64,
    /// Where temporary files go (a fresh folder inside it, removed at the
    /// end, whether the run succeeds or fails). Default: the system's
    /// temporary folder.
    pub temp_dir: Option<PathBuf>,
    /// A number of partitions instead of the one the budget gives (tests
    /// and tuning); 1 is all in memory.
    pub partitions: Option<u32>,
    /// The input is sorted by person (ascending text or integers): persons
    /// are settled in chunks as they are read, nothing is partitioned. A row
    /// out of order is an error.
    pub sorted_by_person: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { memory_budget: DEFAULT_BUDGET, temp_dir: None, partitions: None, sorted_by_person: false }
    }
}

/// What a settlement did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settled {
    /// Claims settled.
    pub rows: u64,
    /// Partitions used (1: all in memory; 0: sorted input, streamed).
    pub partitions: u32,
    /// Bytes of claim records written to temporary files.
    pub spilled_bytes: u64,
}

/// Claims in input order.
pub trait Source<E> {
    /// The type of the `claim_id` column, if the input has one.
    fn claim_id_type(&self) -> Option<DataType>;
    /// An estimate of the bytes of the claims' records (row count × 40 plus
    /// the ids' bytes is close): it chooses the number of partitions.
    fn estimated_bytes(&self) -> u64;
    /// Calls `each` with every claim, in input order, stopping at an error.
    fn for_each(&mut self, each: &mut dyn FnMut(Row<'_>) -> Result<(), E>) -> Result<(), E>;
}

/// A claim's settled result as the engine carries it from the settling
/// pass to the sink: copied between passes, and written after its claim's
/// record in a spilled partition's file. [`ClaimSplit`] (§5) and
/// [`OneStopSplit`](crate::OneStopSplit) (§5.2) are settlements.
pub trait Settlement: Copy + Send + Sync {
    /// A value for slots not yet written (never read).
    const BLANK: Self;
    /// Memory the settling of a partition holds per byte of its claims'
    /// records — the records, the claims borrowed from them, the rule
    /// kernel's tables and these settlements — as measured, with a margin
    /// for allocator slack: the budget is divided by it. At least 1.
    const MEMORY_PER_RECORD_BYTE: u64;
    /// Appends its encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads back what [`encode`](Self::encode) wrote at the start of
    /// `bytes`, and moves `bytes` past it.
    fn decode(bytes: &mut &[u8]) -> Self;
}

/// The rules a settlement applies; `S` is what one claim settles to.
pub trait Rules<E, S: Settlement = ClaimSplit>: Sync {
    /// Checks one claim as it is read (`row`: 0-based, input order).
    fn check(&self, row: u64, claim: &Row<'_>) -> Result<(), E>;
    /// Splits claims that hold every claim of their persons; `rows` are their
    /// input rows (for errors). One split per claim, in the order given.
    fn split(&self, claims: &[Claim<PersonBytes<'_>>], rows: &[u64]) -> Result<Vec<S>, E>;
}

/// Where settled claims go, in input order.
pub trait Sink<E, S = ClaimSplit> {
    /// One settled claim (`row`: 0-based input row).
    fn row(&mut self, row: u64, claim: &Row<'_>, split: &S) -> Result<(), E>;
}

/// Settles every claim of `source` under `rules` into `sink`, in input
/// order, holding at most about `options.memory_budget` bytes of claims.
/// The splits equal those of all claims split at once.
pub fn settle<E: From<ColumnarError> + Send, S: Settlement>(
    source: &mut dyn Source<E>,
    rules: &dyn Rules<E, S>,
    sink: &mut dyn Sink<E, S>,
    options: &Options,
) -> Result<Settled, E> {
    if options.memory_budget < 1 << 16 {
        return Err(ColumnarError::Option {
            option: "memory budget",
            problem: format!("{} bytes", options.memory_budget),
            expected: "at least 64 KiB",
        }
        .into());
    }
    if options.sorted_by_person {
        return sorted(source, rules, sink, options);
    }
    let threads = u64::try_from(rayon::current_num_threads()).expect("invariant: a thread count fits u64").max(1);
    // Each thread settles one partition at a time.
    let per_partition = claims_share::<S>(options.memory_budget).checked_div(threads).expect("invariant: threads ≥ 1");
    let estimate = source.estimated_bytes();
    let in_memory_limit = claims_share::<S>(options.memory_budget);
    let by_cache = estimate.div_ceil(CACHE_PARTITION_BYTES).max(1);
    let (partitions, spill) = match options.partitions {
        Some(0) => {
            return Err(
                ColumnarError::Option { option: "partitions", problem: "0".into(), expected: "1 or more" }.into()
            );
        }
        // Given: spilled (tests and tuning of the file path).
        Some(n) => (u64::from(n.min(MAX_PARTITIONS)), n > 1),
        // Everything fits: partitions in memory, as many as keep the kernel in cache.
        None if estimate <= in_memory_limit => {
            (by_cache.next_multiple_of(threads).min(u64::from(MAX_PARTITIONS)), false)
        }
        // Up to 3/4 of the budget's share per partition: one that holds more
        // than its share (hashing is uneven) still fits.
        None => {
            let by_budget = estimate.div_ceil((per_partition / 4).saturating_mul(3).max(1));
            (by_budget.max(by_cache).min(MAX_SPILL_PARTITIONS), true)
        }
    };
    let partitions = u32::try_from(partitions).expect("invariant: at most MAX_PARTITIONS");
    if options.partitions == Some(1) {
        return in_memory(source, rules, sink);
    }
    partitioned(source, rules, sink, options, partitions, per_partition, spill)
}

/// Everything in one partition in memory, whatever the budget (a forced
/// `Options::partitions` of 1: tests and tuning).
fn in_memory<E: From<ColumnarError> + Send, S: Settlement>(
    source: &mut dyn Source<E>,
    rules: &dyn Rules<E, S>,
    sink: &mut dyn Sink<E, S>,
) -> Result<Settled, E> {
    let mut store = Store::new();
    let mut seq = 0_u64;
    source.for_each(&mut |row| {
        rules.check(seq, &row)?;
        let before = store.buffer().len();
        spill::encode(store.buffer(), seq, &row)?;
        store.appended(before)?;
        seq = next(seq);
        Ok(())
    })?;
    let bytes = store.into_bytes()?;
    let splits = settle_records(&bytes, rules)?;
    let mut cursor = Cursor::new(&bytes);
    for split in &splits {
        let d = cursor.record();
        sink.row(d.seq, &d.row, split)?;
    }
    debug_assert!(cursor.is_empty(), "invariant: one split per record");
    Ok(Settled { rows: seq, partitions: 1, spilled_bytes: 0 })
}

/// The bytes of claim records that `budget` bytes of memory can settle.
fn claims_share<S: Settlement>(budget: u64) -> u64 {
    budget
        .checked_div(S::MEMORY_PER_RECORD_BYTE)
        .expect("invariant: a settlement's memory per record byte is at least 1")
}

fn next(seq: u64) -> u64 {
    seq.checked_add(1).expect("invariant: fewer than 2^64 rows")
}

/// Splits the records of `bytes` (every claim of their persons).
pub(crate) fn settle_records<E, S: Settlement>(bytes: &[u8], rules: &dyn Rules<E, S>) -> Result<Vec<S>, E> {
    // Records with text ids are 40 bytes or more: room for all at once (shorter
    // records only make the vectors grow).
    let most = bytes.len() / 40;
    let mut claims: Vec<Claim<PersonBytes<'_>>> = Vec::with_capacity(most);
    let mut rows: Vec<u64> = Vec::with_capacity(most);
    let mut cursor = Cursor::new(bytes);
    while !cursor.is_empty() {
        let (seq, claim) = cursor.claim();
        claims.push(claim);
        rows.push(seq);
    }
    let splits = rules.split(&claims, &rows)?;
    assert_eq_len(splits.len(), claims.len());
    Ok(splits)
}

fn assert_eq_len(splits: usize, claims: usize) {
    // A kernel that returned another number of splits would shift every
    // later claim's figures onto the wrong row.
    (splits == claims).then_some(()).expect("invariant: the rules return one split per claim");
}

/// Partitions in memory or in temporary files, settled in parallel, given
/// to the sink in input order. Partitions start in memory when the
/// estimate fits the budget, and move to files as soon as the records
/// actually held outgrow it (an estimate is short when ids are
/// dictionary-encoded, say): the budget holds on real bytes.
fn partitioned<E: From<ColumnarError> + Send, S: Settlement>(
    source: &mut dyn Source<E>,
    rules: &dyn Rules<E, S>,
    sink: &mut dyn Sink<E, S>,
    options: &Options,
    partitions: u32,
    per_partition: u64,
    spill: bool,
) -> Result<Settled, E> {
    let temp_parent = options.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let mut temp = if spill { Some(TempDir::new(&temp_parent)?) } else { None };
    // Write buffers take at most an eighth of the budget.
    let buffer = usize::try_from(
        (options.memory_budget / 8)
            .checked_div(u64::from(partitions))
            .expect("invariant: partitions ≥ 1")
            .clamp(4 << 10, 1 << 20),
    )
    .expect("invariant: at most 1 MiB");
    let mut stores = (0..partitions)
        .map(|p| match &temp {
            Some(t) => Store::spilling(t.file(&format!("claims-{p}")), buffer),
            None => Ok(Store::new()),
        })
        .collect::<Result<Vec<Store>, ColumnarError>>()?;
    // A spilled run notes the partition of each row, to read the partitions'
    // files back in input order; in memory the records' row numbers are
    // enough (gather).
    let mut tags = match &temp {
        Some(t) => Some(Tags::create(t.file("tags"))?),
        None => {
            // Room for an even share and a margin, so that partitions rarely
            // double (and copy) their buffers while they fill.
            let share = source.estimated_bytes().checked_div(u64::from(partitions)).expect("invariant: partitions ≥ 1");
            let share = share.checked_add(share / 8).expect("invariant: an estimate within the budget");
            let share = usize::try_from(share).expect("invariant: an estimate within the budget fits usize");
            for store in &mut stores {
                store.buffer().reserve(share);
            }
            None
        }
    };
    let in_memory_limit = claims_share::<S>(options.memory_budget);
    let mut held = 0_u64;
    let mut seq = 0_u64;
    source.for_each(&mut |row| {
        rules.check(seq, &row)?;
        let p = row.person.stable_hash().checked_rem(u64::from(partitions)).expect("invariant: partitions ≥ 1");
        let p = u16::try_from(p).expect("invariant: below MAX_PARTITIONS");
        let store = stores.get_mut(usize::from(p)).expect("invariant: p < partitions");
        let before = store.buffer().len();
        spill::encode(store.buffer(), seq, &row)?;
        let added = store.buffer().len().checked_sub(before).expect("invariant: the buffer only grows");
        store.appended(before)?;
        match &mut tags {
            Some(tags) => tags.push(p)?,
            None => {
                held = held.checked_add(added as u64).expect("invariant: bytes fit u64");
                if held > in_memory_limit && options.partitions.is_none() {
                    let t = TempDir::new(&temp_parent)?;
                    tags = Some(spill_stores(&mut stores, &t, buffer)?);
                    temp = Some(t);
                }
            }
        }
        seq = next(seq);
        Ok(())
    })?;
    // The temporary folder lives until the results are read (its files are removed with it).
    let (Some(tags), Some(_temp)) = (tags, temp) else {
        // In memory the records and their splits stay as they are; partitions
        // settle in parallel, the first error in partition order reported.
        let parts = stores
            .into_par_iter()
            .map(|store| -> Result<Part<S>, E> {
                let bytes = store.into_bytes()?;
                let splits = settle_records(&bytes, rules)?;
                Ok(Part { bytes, splits })
            })
            .collect::<Vec<Result<Part<S>, E>>>();
        let parts = parts.into_iter().collect::<Result<Vec<Part<S>>, E>>()?;
        gather::in_order(&parts, seq, sink)?;
        return Ok(Settled { rows: seq, partitions, spilled_bytes: 0 });
    };
    let spilled_bytes = stores.iter().map(|s| s.bytes).sum();
    let settler = Settler {
        rules,
        buffer,
        // Forced partitions (tests, tuning) are settled as they are.
        share: if options.partitions.is_some() { u64::MAX } else { per_partition.max(1 << 16) },
        whole: claims_share::<S>(options.memory_budget),
        budget: options.memory_budget,
    };
    let files = stores.into_iter().map(Store::into_file).collect::<Result<Vec<(PathBuf, u64)>, ColumnarError>>()?;
    // Each partition is settled into files of its own (in parallel, one
    // partition in memory per thread; the first error in partition order is
    // the one reported), then its heavy persons one at a time.
    let plans =
        files.into_par_iter().map(|(path, bytes)| settler.settle(&path, bytes, 0)).collect::<Vec<Result<Plan, E>>>();
    let plans = plans.into_iter().collect::<Result<Vec<Plan>, E>>()?;
    let mut readers = plans.into_iter().map(|plan| settler.finish(plan)).collect::<Result<Vec<Reader>, E>>()?;
    let mut tags = tags.reader()?;
    let mut record = Vec::new();
    for _ in 0..seq {
        let reader = readers.get_mut(usize::from(tags.next()?)).expect("invariant: tags name partitions");
        let (d, split) = reader.next(&mut record)?;
        sink.row(d.seq, &d.row, &split)?;
    }
    Ok(Settled { rows: seq, partitions, spilled_bytes })
}

/// Moves in-memory partitions to files of `temp`: the tags of the rows so
/// far (each store's records are in row order: merged by row number), then
/// each store's records.
fn spill_stores(stores: &mut [Store], temp: &TempDir, buffer: usize) -> Result<Tags, ColumnarError> {
    use std::cmp::Reverse;
    let mut tags = Tags::create(temp.file("tags"))?;
    let mut cursors: Vec<Cursor<'_>> = stores.iter().map(|s| Cursor::new(s.records())).collect();
    let mut heads = std::collections::BinaryHeap::with_capacity(cursors.len());
    for (p, c) in cursors.iter().enumerate() {
        if let Some(seq) = c.peek_seq() {
            heads.push(Reverse((seq, u16::try_from(p).expect("invariant: below MAX_PARTITIONS"))));
        }
    }
    while let Some(Reverse((_, p))) = heads.pop() {
        tags.push(p)?;
        let c = cursors.get_mut(usize::from(p)).expect("invariant: p < partitions");
        c.skip();
        if let Some(seq) = c.peek_seq() {
            heads.push(Reverse((seq, p)));
        }
    }
    drop(cursors);
    for (p, store) in stores.iter_mut().enumerate() {
        store.start_spilling(temp.file(&format!("claims-{p}")), buffer)?;
    }
    Ok(tags)
}

/// Input sorted by person: complete persons settled in chunks as read.
fn sorted<E: From<ColumnarError> + Send, S: Settlement>(
    source: &mut dyn Source<E>,
    rules: &dyn Rules<E, S>,
    sink: &mut dyn Sink<E, S>,
    options: &Options,
) -> Result<Settled, E> {
    let chunk = usize::try_from(claims_share::<S>(options.memory_budget)).unwrap_or(usize::MAX);
    let mut buffer: Vec<u8> = Vec::new();
    // The previous row's person, owned (the row it came from is gone).
    let mut previous: Option<(Vec<u8>, String)> = None;
    // Where the current person's records start in the buffer.
    let mut person_start = 0_usize;
    let mut seq = 0_u64;
    let flush = |buffer: &mut Vec<u8>, sink: &mut dyn Sink<E, S>| -> Result<(), E> {
        let splits = settle_records(buffer, rules)?;
        let mut cursor = Cursor::new(buffer);
        for split in &splits {
            let d = cursor.record();
            sink.row(d.seq, &d.row, split)?;
        }
        buffer.clear();
        Ok(())
    };
    source.for_each(&mut |row| {
        rules.check(seq, &row)?;
        let key = order_key(&row.person);
        match &previous {
            Some((p, shown)) if key.as_slice() < p.as_slice() => {
                return Err(ColumnarError::Unsorted {
                    row: seq,
                    person: row.person.to_string(),
                    previous: shown.clone(),
                }
                .into());
            }
            // A new person: the chunk so far holds complete persons.
            Some((p, _)) if key.as_slice() != p.as_slice() && buffer.len() >= chunk => flush(&mut buffer, &mut *sink)?,
            _ => {}
        }
        if previous.as_ref().is_none_or(|(p, _)| p.as_slice() != key.as_slice()) {
            previous = Some((key, row.person.to_string()));
            person_start = buffer.len();
        }
        spill::encode(&mut buffer, seq, &row)?;
        // One person's claims are settled together: they must fit the budget.
        let person_bytes = buffer.len().checked_sub(person_start).expect("invariant: within the buffer");
        if person_bytes > chunk {
            let needed = (person_bytes as u64).saturating_mul(S::MEMORY_PER_RECORD_BYTE);
            let person = row.person.to_string();
            return Err(ColumnarError::Person { person, needed, budget: options.memory_budget }.into());
        }
        seq = next(seq);
        Ok(())
    })?;
    flush(&mut buffer, sink)?;
    Ok(Settled { rows: seq, partitions: 0, spilled_bytes: 0 })
}

/// Bytes that sort as the persons do: text by its bytes, integers by value
/// (sign bit flipped, big-endian), text before integers.
fn order_key(p: &PersonKey<'_>) -> Vec<u8> {
    match p {
        PersonKey::Text(t) => {
            let mut k = Vec::with_capacity(t.len().saturating_add(1));
            k.push(0);
            k.extend_from_slice(t.as_bytes());
            k
        }
        PersonKey::Int(i) => {
            let mut k = vec![1];
            k.extend_from_slice(&(u64::from_ne_bytes(i.to_ne_bytes()) ^ (1 << 63)).to_be_bytes());
            k
        }
    }
}
