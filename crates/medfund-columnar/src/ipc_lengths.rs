//! The lengths an Arrow IPC file or stream states, checked against its size
//! before arrow-ipc reads it.
//!
//! arrow-ipc allocates a file's footer, each block, and each message's
//! metadata and body at the lengths the bytes claim, before reading them: an
//! 8 KB file claiming a 2⁴⁰-byte body would abort the process, and one
//! claiming 2 GiB would have it allocated and zeroed. This walk reads only
//! the framing (lengths and message headers, seeking over bodies) and
//! refuses any length that reaches past the end of the file, so every
//! allocation the decoder makes afterwards is bounded by the file's size.
//! Blocks of a file may not overlap either: a thousand blocks naming the
//! same gigabyte would each be allocated and kept.

use std::io::{Read, Seek, SeekFrom};

/// The marker before a message's metadata length (format 0.15 and later).
const CONTINUATION: [u8; 4] = [0xFF; 4];
/// The magic that opens and closes an IPC file.
const MAGIC: &[u8; 6] = b"ARROW1";
/// Bytes before a file's stream: the magic and 2 bytes of padding.
const FILE_HEAD: u64 = 8;
/// Bytes after a file's footer: its length (4) and the magic.
const FILE_TAIL: u64 = 10;

/// Checks the framing of the Arrow IPC file or stream `reader` of `size`
/// bytes, then rewinds it; whether it is the file format (`ARROW1` magic).
/// A problem is described with the byte offset where it is.
pub(crate) fn check<R: Read + Seek>(reader: &mut R, size: u64) -> Result<bool, String> {
    let mut magic = [0_u8; 6];
    let got = read_up_to(reader, &mut magic)?;
    let file = got == magic.len() && &magic == MAGIC;
    if file { check_file(reader, size) } else { check_stream(reader, size) }?;
    reader.rewind().map_err(io)?;
    Ok(file)
}

/// The stream format: messages up to the end-of-stream marker or the end
/// of the file, which must fall between two messages.
fn check_stream<R: Read + Seek>(reader: &mut R, size: u64) -> Result<(), String> {
    let mut at = 0_u64;
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    loop {
        if at == size {
            // Closed without the end-of-stream marker, which the format allows.
            return Ok(());
        }
        let (prefix, length) = match message_length(reader, at, size)? {
            Frame::End { prefix } => {
                let after = at.checked_add(prefix).ok_or_else(|| overflow(at))?;
                return match size.checked_sub(after) {
                    Some(0) => Ok(()),
                    Some(more) => Err(format!(
                        "{more} bytes follow the end-of-stream marker at byte {at} (two streams joined, or a damaged file?)"
                    )),
                    None => Err(short(at)),
                };
            }
            Frame::Message { prefix, length } => (prefix, length),
        };
        let metadata_at = at.checked_add(prefix).ok_or_else(|| overflow(at))?;
        let body = message_body(reader, at, length)?;
        let body_at = metadata_at.checked_add(length).ok_or_else(|| overflow(at))?;
        if body > size.saturating_sub(body_at) {
            return Err(format!(
                "the message at byte {at} states a body of {body} bytes where {} bytes are left",
                size.saturating_sub(body_at)
            ));
        }
        at = body_at.checked_add(body).ok_or_else(|| overflow(at))?;
        reader.seek(SeekFrom::Start(at)).map_err(io)?;
    }
}

/// The file format: the footer's length, the footer, and each block it
/// names within the bytes between the file's head and its footer.
fn check_file<R: Read + Seek>(reader: &mut R, size: u64) -> Result<(), String> {
    let room = size
        .checked_sub(FILE_HEAD + FILE_TAIL)
        .ok_or_else(|| format!("{size} bytes are too few for an Arrow IPC file (at least 18)"))?;
    let tail_at = FILE_HEAD.checked_add(room).expect("invariant: room is size - 18");
    reader.seek(SeekFrom::Start(tail_at)).map_err(io)?;
    let mut tail = [0_u8; 10];
    reader.read_exact(&mut tail).map_err(io)?;
    let (length, magic) = tail.split_at(4);
    if magic != MAGIC {
        return Err("the file opens with ARROW1 but does not close with it (is it cut short?)".to_owned());
    }
    let length = i32::from_le_bytes(length.try_into().expect("invariant: 4 bytes"));
    let footer = u64::try_from(length)
        .ok()
        .filter(|&l| l <= room)
        .ok_or_else(|| format!("the footer states a length of {length} bytes where the file has room for {room}"))?;
    let data_end = tail_at.checked_sub(footer).expect("invariant: footer <= room");
    reader.seek(SeekFrom::Start(data_end)).map_err(io)?;
    let mut bytes = vec![0_u8; usize::try_from(footer).map_err(|_| format!("a footer of {footer} bytes"))?];
    reader.read_exact(&mut bytes).map_err(io)?;
    let footer =
        arrow_ipc::root_as_footer(&bytes).map_err(|e| format!("the footer is not an Arrow IPC footer: {e}"))?;
    if footer.schema().is_none() {
        return Err("the footer has no schema".to_owned());
    }
    let mut blocks: Vec<(u64, u64)> = Vec::new();
    let kinds = [("dictionary", footer.dictionaries()), ("record batch", footer.recordBatches())];
    for (kind, list) in kinds {
        for (i, block) in list.iter().flatten().enumerate() {
            let (offset, metadata, body) = (block.offset(), block.metaDataLength(), block.bodyLength());
            let span = u64::try_from(offset)
                .ok()
                .filter(|&o| o >= FILE_HEAD)
                .zip(u64::try_from(metadata).ok().filter(|&m| m >= 8))
                .zip(u64::try_from(body).ok())
                .and_then(|((o, m), b)| Some((o, o.checked_add(m)?.checked_add(b)?)))
                .filter(|&(_, end)| end <= data_end);
            let Some(span) = span else {
                return Err(format!(
                    "{kind} block {i} states {metadata} bytes of metadata and {body} of body at byte {offset}, \
                     outside the file's data (bytes {FILE_HEAD} to {data_end})"
                ));
            };
            blocks.push(span);
        }
    }
    blocks.sort_unstable();
    for pair in blocks.windows(2) {
        if let [(a, a_end), (b, _)] = pair
            && b < a_end
        {
            return Err(format!("the blocks at bytes {a} and {b} overlap"));
        }
    }
    Ok(())
}

/// What the bytes at a message's start say.
enum Frame {
    /// The end-of-stream marker, of `prefix` bytes.
    End { prefix: u64 },
    /// A message whose metadata is `length` bytes after a `prefix`.
    Message { prefix: u64, length: u64 },
}

/// The frame at byte `at` (the reader is there): a continuation marker and
/// a length, or a length alone (before format 0.15).
fn message_length<R: Read>(reader: &mut R, at: u64, size: u64) -> Result<Frame, String> {
    let mut word = [0_u8; 4];
    if size.saturating_sub(at) < 4 {
        return Err(short(at));
    }
    reader.read_exact(&mut word).map_err(io)?;
    let mut prefix = 4;
    if word == CONTINUATION {
        if size.saturating_sub(at) < 8 {
            return Err(short(at));
        }
        reader.read_exact(&mut word).map_err(io)?;
        prefix = 8;
    }
    let length = i32::from_le_bytes(word);
    if length == 0 {
        return Ok(Frame::End { prefix });
    }
    let left = size.saturating_sub(at).saturating_sub(prefix);
    match u64::try_from(length) {
        Ok(length) if length <= left => Ok(Frame::Message { prefix, length }),
        _ => Err(format!("the message at byte {at} states {length} bytes of metadata where {left} bytes are left")),
    }
}

/// Reads the `length` bytes of metadata of the message at byte `at` and
/// returns the length of its body.
fn message_body<R: Read>(reader: &mut R, at: u64, length: u64) -> Result<u64, String> {
    let mut metadata = vec![0_u8; usize::try_from(length).map_err(|_| format!("{length} bytes of metadata"))?];
    reader.read_exact(&mut metadata).map_err(io)?;
    let message = arrow_ipc::root_as_message(&metadata)
        .map_err(|e| format!("the message at byte {at} is not an Arrow IPC message: {e}"))?;
    let body = message.bodyLength();
    u64::try_from(body).map_err(|_| format!("the message at byte {at} states a body of {body} bytes"))
}

/// Reads into `buf` until it is full or the input ends; the bytes read.
fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> Result<usize, String> {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => got = got.checked_add(n).expect("invariant: at most buf.len()"),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(got)
}

fn io(e: std::io::Error) -> String {
    format!("cannot be read: {e}")
}

fn short(at: u64) -> String {
    format!("the file ends inside the length of a message at byte {at} (is it cut short?)")
}

fn overflow(at: u64) -> String {
    format!("the lengths of the message at byte {at} overflow")
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_sign_loss
)]
mod tests {
    use std::io::Cursor;
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};

    use super::*;

    fn batch() -> RecordBatch {
        let person: ArrayRef = Arc::new(StringArray::from_iter_values((0..100).map(|i| format!("person-{i}"))));
        let cost: ArrayRef = Arc::new(Int64Array::from_iter_values(0..100));
        RecordBatch::try_from_iter([("person", person), ("cost", cost)]).unwrap()
    }

    fn stream() -> Vec<u8> {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &batch().schema()).unwrap();
        w.write(&batch()).unwrap();
        w.write(&batch()).unwrap();
        w.finish().unwrap();
        w.into_inner().unwrap()
    }

    fn file() -> Vec<u8> {
        let mut w = arrow_ipc::writer::FileWriter::try_new(Vec::new(), &batch().schema()).unwrap();
        w.write(&batch()).unwrap();
        w.write(&batch()).unwrap();
        w.finish().unwrap();
        w.into_inner().unwrap()
    }

    fn checked(bytes: &[u8]) -> Result<bool, String> {
        check(&mut Cursor::new(bytes), bytes.len() as u64)
    }

    /// Replaces the one occurrence of `from` in `bytes[range]` by `to`.
    fn patch(bytes: &mut [u8], range: std::ops::Range<usize>, from: i64, to: i64) {
        let (from, to) = (from.to_le_bytes(), to.to_le_bytes());
        let at: Vec<usize> = (range.start..range.end - 8).filter(|&i| bytes[i..i + 8] == from).collect();
        assert_eq!(at.len(), 1, "one occurrence of the length to patch");
        bytes[at[0]..at[0] + 8].copy_from_slice(&to);
    }

    /// The second message of a stream (the first batch): where its metadata
    /// is and the body length it states.
    fn first_batch(bytes: &[u8]) -> (std::ops::Range<usize>, i64) {
        let schema_len = i32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        let at = 8 + schema_len;
        let len = i32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let metadata = at + 8..at + 8 + len;
        let body = arrow_ipc::root_as_message(&bytes[metadata.clone()]).unwrap().bodyLength();
        (metadata, body)
    }

    #[test]
    fn valid_streams_and_files_pass_and_are_rewound() {
        assert_eq!(checked(&stream()), Ok(false));
        assert_eq!(checked(&file()), Ok(true));
        // Closed without the end-of-stream marker, as the format allows.
        let bytes = stream();
        assert_eq!(checked(&bytes[..bytes.len() - 8]), Ok(false));
        let bytes = file();
        let size = bytes.len() as u64;
        let mut cursor = Cursor::new(bytes);
        check(&mut cursor, size).unwrap();
        assert_eq!(cursor.position(), 0);
    }

    /// #36 (2): an 8.6 KB file claiming a 2⁴⁰-byte body aborted the process.
    #[test]
    fn a_stream_message_stating_a_body_beyond_the_file_is_refused_before_it_is_allocated() {
        let mut bytes = stream();
        let (metadata, body) = first_batch(&bytes);
        patch(&mut bytes, metadata, body, 1 << 40);
        let problem = checked(&bytes).unwrap_err();
        assert!(problem.contains("states a body of 1099511627776 bytes where"), "{problem}");
    }

    #[test]
    fn a_stream_message_stating_metadata_beyond_the_file_is_refused() {
        let mut bytes = stream();
        bytes[4..8].copy_from_slice(&i32::MAX.to_le_bytes());
        let problem = checked(&bytes).unwrap_err();
        assert!(problem.starts_with("the message at byte 0 states 2147483647 bytes of metadata where"), "{problem}");
        bytes[4..8].copy_from_slice(&(-5_i32).to_le_bytes());
        assert!(checked(&bytes).unwrap_err().contains("states -5 bytes of metadata"));
    }

    /// A stream cut inside a message, or followed by another, would lose claims silently.
    #[test]
    fn a_stream_cut_short_or_with_bytes_after_its_end_is_refused() {
        let bytes = stream();
        let (metadata, body) = first_batch(&bytes);
        let cut = &bytes[..metadata.end + usize::try_from(body).unwrap() - 1];
        assert!(checked(cut).unwrap_err().contains("where"), "a body cut short");
        let second = metadata.end + usize::try_from(body).unwrap();
        assert!(checked(&bytes[..second + 3]).unwrap_err().contains("cut short"));
        let mut joined = bytes.clone();
        joined.extend_from_slice(&stream());
        assert!(checked(&joined).unwrap_err().contains("bytes follow the end-of-stream marker"));
    }

    #[test]
    fn a_file_footer_longer_than_the_file_is_refused() {
        let mut bytes = file();
        let n = bytes.len();
        bytes[n - 10..n - 6].copy_from_slice(&i32::MAX.to_le_bytes());
        let problem = checked(&bytes).unwrap_err();
        assert!(problem.starts_with("the footer states a length of 2147483647 bytes where the file has room for"));
        assert!(checked(b"ARROW1\0\0ARROW1").unwrap_err().contains("too few"));
        let mut cut = file();
        cut.truncate(n - 3);
        assert!(checked(&cut).unwrap_err().contains("does not close with it"));
    }

    #[test]
    fn a_file_block_beyond_the_data_or_over_another_is_refused() {
        let bytes = file();
        let n = bytes.len();
        let footer = i32::from_le_bytes(bytes[n - 10..n - 6].try_into().unwrap()) as usize;
        let footer_range = n - 10 - footer..n - 10;
        let blocks: Vec<(i64, i64)> = {
            let f = arrow_ipc::root_as_footer(&bytes[footer_range.clone()]).unwrap();
            f.recordBatches().unwrap().iter().map(|b| (b.offset(), b.bodyLength())).collect()
        };
        let mut far = bytes.clone();
        patch(&mut far, footer_range.clone(), blocks[1].0, 1 << 40);
        assert!(checked(&far).unwrap_err().starts_with("record batch block 1 states"));
        let mut over = bytes;
        patch(&mut over, footer_range, blocks[1].0, blocks[0].0 + 8);
        let problem = checked(&over).unwrap_err();
        assert_eq!(problem, format!("the blocks at bytes {} and {} overlap", blocks[0].0, blocks[0].0 + 8));
    }
}
