//! The last pass of a settlement whose partitions are in memory: every row
//! given to the sink in input order, gathered block by block.
//!
//! Taking the rows one by one from the partition noted for each jumps
//! between as many streams of memory as there are partitions, more than a
//! CPU's prefetchers follow: at 10⁷ claims in 76 partitions that walk cost
//! ≈ 100 ns a row, a third of the run. A block of rows is instead located
//! partition by partition — each partition's rows of the block are one
//! sequential run, as rows ascend within a partition — and then read in
//! input order from memory the locating has just brought into cache.

use medfund_core::Money;
use medfund_insurer::ClaimSplit;

use crate::engine::Sink;
use crate::error::ColumnarError;
use crate::spill::Cursor;

/// Rows per block: the block's records and splits stay in a core's cache.
const BLOCK_ROWS: u64 = 1 << 12;

/// A settled partition: its records and their splits, in the same order.
pub(crate) struct Part {
    pub(crate) bytes: Vec<u8>,
    pub(crate) splits: Vec<ClaimSplit>,
}

/// One row of a block: its partition, the record's first byte there and
/// its split (copied while the partition's splits are read in sequence: read
/// later, in input order, each was a cache miss).
#[derive(Clone, Copy)]
struct Slot {
    part: usize,
    offset: usize,
    split: ClaimSplit,
}

/// A slot no row has been located in (a partition index none has).
const UNSET: Slot =
    Slot { part: usize::MAX, offset: 0, split: ClaimSplit::new(0, Money::ZERO, Money::ZERO, Money::ZERO) };

/// Gives the `rows` rows of `parts` (rows `0..rows` between them, each
/// once) to `sink` in input order.
pub(crate) fn in_order<E: From<ColumnarError>>(parts: &[Part], rows: u64, sink: &mut dyn Sink<E>) -> Result<(), E> {
    // How far each partition has been read: (byte, split).
    let mut read = vec![(0_usize, 0_usize); parts.len()];
    let mut slots: Vec<Slot> = Vec::new();
    let mut start = 0_u64;
    while start < rows {
        let end = start.saturating_add(BLOCK_ROWS).min(rows);
        slots.clear();
        let len = end.checked_sub(start).expect("invariant: end ≥ start");
        slots.resize(usize::try_from(len).expect("invariant: a block is BLOCK_ROWS at most"), UNSET);
        for (p, (part, (offset, split))) in parts.iter().zip(read.iter_mut()).enumerate() {
            let mut cursor = Cursor::new(part.bytes.get(*offset..).expect("invariant: offsets stay within records"));
            while let Some(seq) = cursor.peek_seq().filter(|&s| s < end) {
                let index = seq.checked_sub(start).expect("invariant: rows ascend within a partition");
                let slot = slots.get_mut(usize::try_from(index).expect("invariant: below BLOCK_ROWS"));
                let copy = *part.splits.get(*split).expect("invariant: one split per record");
                *slot.expect("invariant: within the block") = Slot { part: p, offset: *offset, split: copy };
                cursor.skip();
                *offset = part.bytes.len().checked_sub(cursor.remaining()).expect("invariant: within the records");
                *split = split.checked_add(1).expect("invariant: one split per record");
            }
        }
        for slot in &slots {
            // An unset slot would be a row no partition holds: the sink
            // would be given the rows shifted, so it cannot pass.
            let part = parts.get(slot.part).expect("invariant: every row of a block is in one partition");
            let record = part.bytes.get(slot.offset..).expect("invariant: located above");
            let d = Cursor::new(record).record();
            sink.row(d.seq, &d.row, &slot.split)?;
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
    use crate::decode::PersonKey;
    use crate::spill::{self, Row};

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
        let mut parts: Vec<Part> = (0..5).map(|_| Part { bytes: Vec::new(), splits: Vec::new() }).collect();
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
