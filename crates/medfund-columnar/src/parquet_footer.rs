//! A Parquet file's footer walked before the parquet crate decodes it.
//!
//! The decoder reserves memory for a list at the length the footer states,
//! before reading its items: an 800-byte file whose footer claims 2³¹ row
//! groups aborts the process asking for 206 GB. It also numbers row groups
//! with 16-bit ordinals. This walk of the footer's Thrift compact encoding
//! reads no value, allocates nothing, and checks that every length fits in
//! the bytes left (each item of a list takes at least one byte), that
//! structures nest shallowly, and that the row groups are few enough to be
//! numbered — so what the decoder then reserves is bounded by the footer's
//! size.

use parquet::file::reader::ChunkReader;

/// The most row groups a file may have: the format numbers them with
/// 16-bit ordinals, and the decoder refuses more.
pub(crate) const MAX_ROW_GROUPS: u64 = 32_767;
/// How deep structures may nest (a footer's own nest at most 6 deep).
const MAX_DEPTH: u32 = 32;
/// Bytes after the footer: its length (4) and the magic `PAR1`.
const TAIL: u64 = 8;
/// The field of `FileMetaData` that lists the row groups.
const ROW_GROUPS_FIELD: i16 = 4;

/// Thrift compact types (the low nibble of a field header).
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

/// Checks the footer of the Parquet file `reader`; the problem found.
pub(crate) fn check<R: ChunkReader>(reader: &R) -> Result<(), String> {
    let size = reader.len();
    let room = size
        .checked_sub(TAIL + 4)
        .ok_or_else(|| format!("{size} bytes are too few for a Parquet file (at least 12)"))?;
    let tail_at = room.checked_add(4).expect("invariant: room is size - 12");
    let tail = reader.get_bytes(tail_at, 8).map_err(|e| e.to_string())?;
    let (length, magic) = tail.split_at(4);
    match magic {
        b"PAR1" => {}
        b"PARE" => return Err("the file is encrypted; only unencrypted Parquet is read".to_owned()),
        _ => return Err("the file does not end with PAR1 (is it cut short?)".to_owned()),
    }
    let length = u64::from(u32::from_le_bytes(length.try_into().expect("invariant: 4 bytes")));
    if length > room {
        return Err(format!("the footer states a length of {length} bytes where the file has room for {room}"));
    }
    let at = tail_at.checked_sub(length).expect("invariant: length <= room");
    let bytes = reader.get_bytes(at, usize::try_from(length).map_err(|_| format!("a footer of {length} bytes"))?);
    let bytes = bytes.map_err(|e| e.to_string())?;
    Walk { bytes: &bytes, at: 0 }.structure(0, true)
}

/// A position in the footer's bytes.
struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Walk<'_> {
    fn left(&self) -> u64 {
        self.bytes.len().saturating_sub(self.at) as u64
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or_else(|| self.problem("the footer ends inside a value"))?;
        self.at = self.at.checked_add(1).expect("invariant: at < len");
        Ok(b)
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        if n > self.left() {
            return Err(self.problem(&format!("a value of {n} bytes where {} are left", self.left())));
        }
        self.at = self.at.checked_add(usize::try_from(n).expect("invariant: n <= left")).expect("invariant: in bounds");
        Ok(())
    }

    /// An unsigned LEB128 integer that fits 64 bits.
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0_u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            // The tenth byte carries the 64th bit only.
            if shift == 63 && b > 1 {
                break;
            }
            value |= u64::from(b & 0x7f).checked_shl(shift).expect("invariant: shift < 64");
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.problem("an integer beyond 64 bits"))
    }

    fn problem(&self, what: &str) -> String {
        format!("the footer is damaged at byte {}: {what}", self.at)
    }

    /// The fields of a structure up to its stop byte; at the top, the
    /// row groups are counted.
    fn structure(&mut self, depth: u32, top: bool) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(self.problem(&format!("structures nested more than {MAX_DEPTH} deep")));
        }
        let mut id = 0_i16;
        loop {
            let header = self.byte()?;
            if header == 0 {
                return Ok(());
            }
            let (delta, kind) = (header >> 4, header & 0x0f);
            id = if delta == 0 {
                // A zigzag varint: 2n for n, 2n + 1 for -n - 1.
                let zigzag = self.varint()?;
                let n = i16::try_from(zigzag >> 1).map_err(|_| self.problem("a field number beyond 16 bits"))?;
                if zigzag & 1 == 1 { (-1_i16).checked_sub(n).expect("invariant: n >= 0") } else { n }
            } else {
                id.checked_add(i16::from(delta)).ok_or_else(|| self.problem("a field number beyond 16 bits"))?
            };
            if top && id == ROW_GROUPS_FIELD && kind == LIST {
                self.row_groups(depth)?;
            } else {
                self.value(kind, depth)?;
            }
        }
    }

    fn row_groups(&mut self, depth: u32) -> Result<(), String> {
        let (count, kind) = self.list_header()?;
        if count > MAX_ROW_GROUPS {
            return Err(format!(
                "the file has {count} row groups; at most {MAX_ROW_GROUPS} are read (Parquet numbers row groups \
                 with 16-bit ordinals): write it again with larger row groups"
            ));
        }
        self.items(count, kind, depth)
    }

    fn value(&mut self, kind: u8, depth: u32) -> Result<(), String> {
        match kind {
            // A field's boolean is its header.
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            BYTE => self.skip(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.skip(8),
            BINARY => {
                let n = self.varint()?;
                self.skip(n)
            }
            LIST | SET => {
                let (count, kind) = self.list_header()?;
                self.items(count, kind, depth)
            }
            MAP => {
                let count = self.varint()?;
                if count == 0 {
                    return Ok(());
                }
                let kinds = self.byte()?;
                // Each entry takes at least two bytes.
                if count > self.left() / 2 {
                    return Err(self.problem(&format!("a map of {count} entries where {} bytes are left", self.left())));
                }
                for _ in 0..count {
                    self.item(kinds >> 4, depth)?;
                    self.item(kinds & 0x0f, depth)?;
                }
                Ok(())
            }
            STRUCT => self.structure(depth.checked_add(1).expect("invariant: depth <= MAX_DEPTH"), false),
            other => Err(self.problem(&format!("a value of unknown Thrift type {other}"))),
        }
    }

    /// A list's item count and type.
    fn list_header(&mut self) -> Result<(u64, u8), String> {
        let header = self.byte()?;
        let count = match header >> 4 {
            15 => self.varint()?,
            short => u64::from(short),
        };
        Ok((count, header & 0x0f))
    }

    /// The `count` items of a list, once they are known to fit: each takes
    /// at least a byte.
    fn items(&mut self, count: u64, kind: u8, depth: u32) -> Result<(), String> {
        if count > self.left() {
            return Err(self.problem(&format!("a list of {count} items where {} bytes are left", self.left())));
        }
        for _ in 0..count {
            self.item(kind, depth)?;
        }
        Ok(())
    }

    /// An item of a list or map: a boolean there takes a byte.
    fn item(&mut self, kind: u8, depth: u32) -> Result<(), String> {
        if matches!(kind, BOOL_TRUE | BOOL_FALSE) { self.skip(1) } else { self.value(kind, depth) }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use bytes::Bytes;

    use super::*;

    /// A Parquet file of two row groups of three columns.
    fn file() -> Vec<u8> {
        let person: ArrayRef = Arc::new(StringArray::from_iter_values((0..10).map(|i| format!("p{i}"))));
        let cost: ArrayRef = Arc::new(Int64Array::from_iter_values(0..10));
        let batch =
            RecordBatch::try_from_iter([("person", person), ("cost", Arc::clone(&cost)), ("days", cost)]).unwrap();
        let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(5)).build();
        let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.into_inner().unwrap()
    }

    fn footer(file: &[u8]) -> std::ops::Range<usize> {
        let n = file.len();
        let length = u32::from_le_bytes(file[n - 8..n - 4].try_into().unwrap()) as usize;
        n - 8 - length..n - 8
    }

    /// Where in the footer the schema's and the row groups' list headers are.
    fn list_headers(footer: &[u8]) -> (usize, usize) {
        let mut w = Walk { bytes: footer, at: 0 };
        assert_eq!(w.byte().unwrap(), 0x15, "field 1, version: i32");
        w.varint().unwrap();
        assert_eq!(w.byte().unwrap(), 0x19, "field 2, schema: list");
        let schema = w.at;
        w.value(LIST, 0).unwrap();
        assert_eq!(w.byte().unwrap(), 0x16, "field 3, num_rows: i64");
        w.varint().unwrap();
        assert_eq!(w.byte().unwrap(), 0x19, "field 4, row_groups: list");
        (schema, w.at)
    }

    /// The file with the list header at `at` of its footer stating `count` items of structures.
    fn with_count(file: &[u8], at: usize, count: u64) -> Vec<u8> {
        let range = footer(file);
        let mut footer = file[range.clone()].to_vec();
        let mut header = vec![0xFC_u8];
        let mut n = count;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            header.push(if n == 0 { b } else { b | 0x80 });
            if n == 0 {
                break;
            }
        }
        footer.splice(at..at + 1, header);
        let mut out = file[..range.start].to_vec();
        out.extend_from_slice(&footer);
        out.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        out.extend_from_slice(b"PAR1");
        out
    }

    fn checked(bytes: Vec<u8>) -> Result<(), String> {
        check(&Bytes::from(bytes))
    }

    #[test]
    fn a_valid_footer_passes() {
        let file = file();
        let (schema, groups) = list_headers(&file[footer(&file)]);
        assert_eq!(
            (file[footer(&file)][schema], file[footer(&file)][groups]),
            (0x4C, 0x2C),
            "4 schema items, 2 groups"
        );
        assert_eq!(checked(file.clone()), Ok(()));
        // Rewritten with the same counts, the file still reads.
        assert_eq!(checked(with_count(&file, groups, 2)), Ok(()));
    }

    /// #36: an 800-byte file claiming 2³¹ - 1 items aborted the process asking for 206 GB.
    #[test]
    fn a_list_longer_than_the_bytes_left_is_refused_before_it_is_reserved() {
        let file = file();
        let (schema, _) = list_headers(&file[footer(&file)]);
        let problem = checked(with_count(&file, schema, (1 << 31) - 1)).unwrap_err();
        assert!(problem.contains("a list of 2147483647 items where"), "{problem}");
    }

    /// #36 (7): files of more than 32,767 row groups are refused naming the limit.
    #[test]
    fn more_row_groups_than_the_format_numbers_are_refused_naming_the_limit() {
        let file = file();
        let (_, groups) = list_headers(&file[footer(&file)]);
        let problem = checked(with_count(&file, groups, 40_000)).unwrap_err();
        assert!(problem.starts_with("the file has 40000 row groups; at most 32767 are read"), "{problem}");
        let problem = checked(with_count(&file, groups, 32_767)).unwrap_err();
        assert!(problem.contains("a list of 32767 items where"), "the limit itself passes the count: {problem}");
    }

    #[test]
    fn deep_nesting_overlong_integers_and_short_files_are_refused() {
        let mut deep = vec![0x1C_u8; 40];
        deep.extend(vec![0_u8; 41]);
        let problem = Walk { bytes: &deep, at: 0 }.structure(0, true).unwrap_err();
        assert!(problem.contains("nested more than 32 deep"), "{problem}");
        let long = [0x15_u8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0];
        assert!(Walk { bytes: &long, at: 0 }.structure(0, true).unwrap_err().contains("beyond 64 bits"));
        assert!(checked(b"PAR1PAR1".to_vec()).unwrap_err().contains("too few"));
        let mut cut = file();
        cut.pop();
        assert!(checked(cut).unwrap_err().contains("does not end with PAR1"));
        let mut long_footer = file();
        let n = long_footer.len();
        long_footer[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(checked(long_footer).unwrap_err().contains("the footer states a length of 4294967295 bytes"));
    }
}
