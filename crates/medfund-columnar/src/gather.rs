//! The last pass of a settlement whose partitions are in memory: every row
//! given to the sink in input order, gathered block by block.
//!
//! Taking the rows one by one from the partition noted for each jumps
//! between as many streams of memory as there are partitions, more than a
//! CPU's prefetchers follow: at 10⁷ claims in 76 partitions that walk cost
//! ≈ 100 ns a row, a third of the run. A block of rows is instead located
//! partition by partition — each partition's rows of the block are one
//! sequential run, as rows ascend within a partition — its records decoded
//! as they are found, and then given to the sink in input order.

use crate::decode::PersonKey;
use crate::engine::{Settlement, Sink};
use crate::error::ColumnarError;
use crate::spill::{Cursor, Decoded, Row};
use chrono::NaiveDate;
use medfund_core::Money;

/// Rows per block: the block's records and splits stay in a core's cache.
const BLOCK_ROWS: u64 = 1 << 12;

/// A settled partition: its records and their splits, in the same order.
pub(crate) struct Part<S> {
    pub(crate) bytes: Vec<u8>,
    pub(crate) splits: Vec<S>,
}

/// One row of a block: its record, decoded while the partition's records
/// are read in sequence (decoding it again in input order cost a second
/// parse of every record), and its split (copied then for the same reason).
#[derive(Clone, Copy)]
struct Slot<'a, S> {
    decoded: Decoded<'a>,
    split: S,
}

/// What a block's slots hold before its rows are located (never read: every
/// slot of a block is written before the block is given to the sink).
const BLANK: Decoded<'static> =
    Decoded { seq: 0, row: Row { person: PersonKey::Int(0), date: NaiveDate::MIN, cost: Money::ZERO, claim_id: None } };

/// Gives the `rows` rows of `parts` (rows `0..rows` between them, each
/// once) to `sink` in input order.
pub(crate) fn in_order<E: From<ColumnarError>, S: Settlement>(
    parts: &[Part<S>],
    rows: u64,
    sink: &mut dyn Sink<E, S>,
) -> Result<(), E> {
    // How far each partition has been read: (byte, split).
    let mut read = vec![(0_usize, 0_usize); parts.len()];
    let block = usize::try_from(BLOCK_ROWS.min(rows)).expect("invariant: a block is BLOCK_ROWS at most");
    let mut slots: Vec<Slot<'_, S>> = vec![Slot { decoded: BLANK, split: S::BLANK }; block];
    let mut start = 0_u64;
    while start < rows {
        let end = start.saturating_add(BLOCK_ROWS).min(rows);
        let len = usize::try_from(end.checked_sub(start).expect("invariant: end ≥ start"))
            .expect("invariant: a block is BLOCK_ROWS at most");
        let mut located = 0_usize;
        for (part, (offset, split)) in parts.iter().zip(read.iter_mut()) {
            let mut cursor = Cursor::new(part.bytes.get(*offset..).expect("invariant: offsets stay within records"));
            while cursor.peek_seq().is_some_and(|s| s < end) {
                let decoded = cursor.record();
                let index = decoded.seq.checked_sub(start).expect("invariant: rows ascend within a partition");
                let slot = slots.get_mut(usize::try_from(index).expect("invariant: below BLOCK_ROWS"));
                let copy = *part.splits.get(*split).expect("invariant: one split per record");
                *slot.expect("invariant: within the block") = Slot { decoded, split: copy };
                located = located.checked_add(1).expect("invariant: at most BLOCK_ROWS");
                *split = split.checked_add(1).expect("invariant: one split per record");
            }
            *offset = part.bytes.len().checked_sub(cursor.remaining()).expect("invariant: within the records");
        }
        // Row numbers are unique, so `len` rows located in a block of `len`
        // fill every slot: a slot left over from the previous block would
        // give the sink a row twice and shift the rest.
        (located == len).then_some(()).expect("invariant: every row of a block is in one partition");
        for slot in slots.get(..len).expect("invariant: len ≤ the block's slots") {
            sink.row(slot.decoded.seq, &slot.decoded.row, &slot.split)?;
        }
        start = end;
    }
    debug_assert!(
        parts.iter().zip(&read).all(|(part, (offset, _))| *offset == part.bytes.len()),
        "invariant: every record given once"
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::spill;
    use medfund_insurer::ClaimSplit;

    /// Rows as the sink receives them: (row number, person, split's fund).
    struct Collect(Vec<(u64, i64, i64)>);

    impl Sink<ColumnarError> for Collect {
        fn row(&mut self, row: u64, claim: &Row<'_>, split: &ClaimSplit) -> Result<(), ColumnarError> {
            let PersonKey::Int(person) = claim.person else { panic!("integer persons") };
            self.0.push((row, person, split.fund.fen()));
            Ok(())
        }
    }

    #[test]
    fn every_row_reaches_the_sink_once_in_input_order_with_its_own_split() {
        // Rows spread unevenly over 5 partitions, one of them empty, across
        // two whole blocks and a partial one.
        let rows = 2 * BLOCK_ROWS + 7;
        let mut parts: Vec<Part<ClaimSplit>> = (0..5).map(|_| Part { bytes: Vec::new(), splits: Vec::new() }).collect();
        let date = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        for seq in 0..rows {
            let p = usize::try_from((seq * 7 + seq / 3) % 4).unwrap();
            let person = i64::try_from(seq % 1000).unwrap();
            let row = Row { person: PersonKey::Int(person), date, cost: Money::from_fen(1), claim_id: None };
            let part = &mut parts[if p == 2 { 4 } else { p }];
            spill::encode(&mut part.bytes, seq, &row).unwrap();
            let fund = Money::from_fen(i64::try_from(seq).unwrap() * 10);
            part.splits.push(ClaimSplit::new(2024, fund, Money::ZERO, Money::ZERO));
        }
        assert!(parts[2].bytes.is_empty());
        let mut sink = Collect(Vec::new());
        in_order(&parts, rows, &mut sink).unwrap();
        assert_eq!(sink.0.len(), usize::try_from(rows).unwrap());
        for (i, (row, person, fund)) in sink.0.iter().enumerate() {
            let i = u64::try_from(i).unwrap();
            assert_eq!((*row, *person, *fund), (i, i64::try_from(i % 1000).unwrap(), i64::try_from(i * 10).unwrap()));
        }
    }
}
