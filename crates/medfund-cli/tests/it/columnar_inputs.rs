//! #36 (2, 3, 7): claims files made by hand to be hostile — lengths beyond
//! the file, corrupt buffers, footers claiming billions of items — end in
//! an input error (exit 2) naming the file, never in an abort, a panic or a
//! gigabyte allocated.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};

use crate::common::{Outcome, run_path, write_files};

fn claims() -> RecordBatch {
    let person: ArrayRef = Arc::new(StringArray::from_iter_values(["p1", "p2", "p1"]));
    let date: ArrayRef = Arc::new(Date32Array::from_iter_values([19_500, 19_501, 19_502]));
    let cost: ArrayRef = Arc::new(
        Decimal128Array::from_iter_values([5_000_000, 100_000, 9_000_000]).with_precision_and_scale(18, 2).unwrap(),
    );
    RecordBatch::try_from_iter([("person", person), ("date", date), ("eligible_cost", cost)]).unwrap()
}

fn arrow_file() -> Vec<u8> {
    let mut w = arrow_ipc::writer::FileWriter::try_new(Vec::new(), &claims().schema()).unwrap();
    w.write(&claims()).unwrap();
    w.finish().unwrap();
    w.into_inner().unwrap()
}

fn arrow_stream() -> Vec<u8> {
    let mut w = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &claims().schema()).unwrap();
    w.write(&claims()).unwrap();
    w.finish().unwrap();
    w.into_inner().unwrap()
}

fn parquet_file() -> Vec<u8> {
    let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), claims().schema(), None).unwrap();
    w.write(&claims()).unwrap();
    w.into_inner().unwrap()
}

/// Settles the claims file `name` holding `bytes`.
fn settle(name: &str, bytes: &[u8]) -> Outcome {
    let key = if name.ends_with(".parquet") { "claims_parquet" } else { "claims_arrow" };
    let scenario = format!("[supplementary]\ninsured_persons = 100\n{key} = \"{name}\"\n");
    let path: PathBuf = write_files(&[("s.toml", scenario.as_bytes()), (name, bytes)]);
    run_path(&path, &["run", "--format", "json"])
}

/// Replaces the one occurrence of `from` in `bytes[range]` by `to`.
fn patch(bytes: &mut [u8], range: std::ops::Range<usize>, from: &[u8], to: &[u8]) {
    let at: Vec<usize> =
        (range.start..=range.end - from.len()).filter(|&i| bytes[i..i + from.len()] == *from).collect();
    assert_eq!(at.len(), 1, "one occurrence to patch");
    bytes[at[0]..at[0] + from.len()].copy_from_slice(to);
}

/// The file's first record batch block: the footer's range and the block.
fn first_block(bytes: &[u8]) -> (std::ops::Range<usize>, (i64, i32, i64)) {
    let n = bytes.len();
    let length = usize::try_from(i32::from_le_bytes(bytes[n - 10..n - 6].try_into().unwrap())).unwrap();
    let footer = n - 10 - length..n - 10;
    let block = *arrow_ipc::root_as_footer(&bytes[footer.clone()]).unwrap().recordBatches().unwrap().get(0);
    (footer, (block.offset(), block.metaDataLength(), block.bodyLength()))
}

fn refused(out: &Outcome, file: &str, problem: &str) {
    out.input_error(&[file, problem]);
    assert!(!out.stderr.contains("internal error") && !out.stderr.contains(".rs:"), "{}", out.stderr);
}

#[test]
fn valid_arrow_files_streams_and_parquet_files_settle_alike() {
    let outs: Vec<serde_json::Value> = [
        settle("claims.arrow", &arrow_file()),
        settle("claims.arrows", &arrow_stream()),
        settle("claims.parquet", &parquet_file()),
    ]
    .iter()
    .map(|o| o.json()["supplementary"]["years"].clone())
    .collect();
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0], outs[2]);
}

/// #36 (2): an 8.6 KB file claiming a 2⁴⁰-byte body aborted (SIGABRT).
#[test]
fn arrow_lengths_beyond_the_file_are_refused_before_they_are_allocated() {
    let mut file = arrow_file();
    let (footer, (offset, metadata, body)) = first_block(&file);
    // A block: offset (8 bytes), metadata length (4), padding (4), body length (8).
    let block = |body: i64| [&offset.to_le_bytes()[..], &metadata.to_le_bytes(), &[0; 4], &body.to_le_bytes()].concat();
    patch(&mut file, footer, &block(body), &block(1 << 40));
    refused(&settle("claims.arrow", &file), "claims.arrow", "record batch block 0 states");

    let mut stream = arrow_stream();
    let schema = usize::try_from(i32::from_le_bytes(stream[4..8].try_into().unwrap())).unwrap();
    let at = 8 + schema;
    let length = usize::try_from(i32::from_le_bytes(stream[at + 4..at + 8].try_into().unwrap())).unwrap();
    let metadata = at + 8..at + 8 + length;
    let body = arrow_ipc::root_as_message(&stream[metadata.clone()]).unwrap().bodyLength();
    patch(&mut stream, metadata, &body.to_le_bytes(), &(1_i64 << 40).to_le_bytes());
    refused(&settle("claims.arrows", &stream), "claims.arrows", "states a body of 1099511627776 bytes");

    let mut footer_long = arrow_file();
    let n = footer_long.len();
    footer_long[n - 10..n - 6].copy_from_slice(&i32::MAX.to_le_bytes());
    refused(&settle("claims.arrow", &footer_long), "claims.arrow", "the footer states a length of 2147483647");
}

/// #36 (3): a buffer reaching past its body made arrow-ipc panic (exit 1,
/// "internal error: panicked"); it is an error of the file.
#[test]
fn a_corrupt_arrow_batch_is_an_input_error_not_a_panic() {
    let mut file = arrow_file();
    let (_, (offset, metadata, _)) = first_block(&file);
    let start = usize::try_from(offset).unwrap() + 8;
    let end = usize::try_from(offset).unwrap() + usize::try_from(metadata).unwrap();
    let message = arrow_ipc::root_as_message(&file[start..end]).unwrap();
    let last = *message.header_as_record_batch().unwrap().buffers().unwrap().iter().next_back().unwrap();
    let pair = |o: i64, l: i64| [o.to_le_bytes(), l.to_le_bytes()].concat();
    patch(&mut file, start..end, &pair(last.offset(), last.length()), &pair(last.offset(), last.length() + 100_000));
    refused(&settle("claims.arrow", &file), "claims.arrow", "not readable as arrow");
}

/// #36 (7) and a footer of 800 bytes claiming 2³¹ - 1 row groups, which
/// aborted asking for 206 GB: refused naming the format's limit.
#[test]
fn parquet_footers_claiming_more_row_groups_than_the_format_numbers_are_refused() {
    let file = parquet_file();
    let n = file.len();
    let length = usize::try_from(u32::from_le_bytes(file[n - 8..n - 4].try_into().unwrap())).unwrap();
    let footer = n - 8 - length..n - 8;
    // num_rows (field 3: 3 rows, zigzag 6) then the list of 1 row group (field 4).
    let at = (footer.start..footer.end - 4).find(|&i| file[i..i + 4] == [0x16, 0x06, 0x19, 0x1C]).unwrap() + 3;
    for (count, varint) in
        [(40_000_u64, vec![0xC0_u8, 0xB8, 0x02]), ((1 << 31) - 1, vec![0xFF, 0xFF, 0xFF, 0xFF, 0x07])]
    {
        let mut patched = file[..at].to_vec();
        patched.push(0xFC);
        patched.extend_from_slice(&varint);
        patched.extend_from_slice(&file[at + 1..footer.end]);
        let new_length = u32::try_from(patched.len() - footer.start).unwrap();
        patched.extend_from_slice(&new_length.to_le_bytes());
        patched.extend_from_slice(b"PAR1");
        let problem = format!("the file has {count} row groups; at most 32767 are read");
        refused(&settle("claims.parquet", &patched), "claims.parquet", &problem);
    }
}
