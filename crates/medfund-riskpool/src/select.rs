//! Counting values into bins, for exact percentiles without keeping every
//! value (the two-pass method of [`crate::stream`]).
//!
//! The first pass counts each value into a bin of a fixed, order-preserving
//! scale that needs no prior knowledge of the range: every integer below
//! 2¹³ fen in magnitude is a bin of its own, and above that every power of
//! two is cut into 4,096 bins (a relative width of 1/4,096 or less). Later
//! passes cut the one bin that holds a wanted rank into 4,096 equal bins,
//! until the values in it are few enough to keep, or are all equal. Every
//! bin also keeps its least and greatest value, so a bin whose values are
//! all equal (a deterministic projection, a gap of zero) answers at once.

use serde::{Deserialize, Serialize};

/// Magnitudes below this are a bin each.
const EXACT: u64 = 1 << 13;
/// Bits of a magnitude kept below its leading bit.
const MANTISSA: u32 = 12;
/// Bins per power of two above [`EXACT`].
const PER_POWER: u64 = 1 << MANTISSA;
/// Bins of one sign: exact ones, then 51 powers of two (2¹³ … 2⁶³).
const ONE_SIGN: u32 = 1 << 18;
/// Bins of the first pass held in one chunk (allocated when first used).
const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;
/// Chunks covering both signs.
const CHUNKS: usize = (2 * ONE_SIGN as usize) >> CHUNK_BITS;
/// Equal bins a refining pass cuts an interval into.
pub(crate) const LINEAR_BINS: usize = 4_096;

/// The values counted into one bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Bin {
    /// How many.
    pub(crate) count: u64,
    /// The least.
    pub(crate) min: i64,
    /// The greatest.
    pub(crate) max: i64,
}

impl Bin {
    const EMPTY: Bin = Bin { count: 0, min: i64::MAX, max: i64::MIN };

    /// A bin of `count` values from `min` to `max` (any bounds when empty).
    pub(crate) fn of(count: u64, min: i64, max: i64) -> Bin {
        if count == 0 { Bin::EMPTY } else { Bin { count, min, max } }
    }

    fn add(&mut self, v: i64) {
        self.count = self.count.checked_add(1).expect("invariant: fewer than 2^64 values");
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    fn merge(&mut self, other: &Bin) {
        self.count = self.count.checked_add(other.count).expect("invariant: fewer than 2^64 values");
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// The first pass's bin of `v`: order-preserving (v < w ⇒ bin(v) ≤ bin(w)),
/// below 2 × 2¹⁸.
pub(crate) fn scale_bin(v: i64) -> u32 {
    fn magnitude(m: u64) -> u32 {
        if m < EXACT {
            return u32::try_from(m).expect("invariant: below 2^13");
        }
        // The leading bit's position, 13 ..= 63, and the 12 bits below it.
        let e = 63_u32.checked_sub(m.leading_zeros()).expect("invariant: m ≥ 2^13 has a leading bit");
        let shift = e.checked_sub(MANTISSA).expect("invariant: e ≥ 13");
        let mantissa = (m >> shift) & (PER_POWER.checked_sub(1).expect("invariant: 2^12 − 1"));
        let power = u64::from(e.checked_sub(13).expect("invariant: e ≥ 13"));
        let bin = EXACT
            .checked_add(power.checked_mul(PER_POWER).expect("invariant: at most 50 × 2^12"))
            .and_then(|b| b.checked_add(mantissa))
            .expect("invariant: below 2^18");
        u32::try_from(bin).expect("invariant: below 2^18")
    }
    if v >= 0 {
        ONE_SIGN.checked_add(magnitude(v.unsigned_abs())).expect("invariant: below 2^19")
    } else {
        // Larger magnitudes of a negative value come first.
        ONE_SIGN
            .checked_sub(1)
            .and_then(|b| b.checked_sub(magnitude(v.unsigned_abs())))
            .expect("invariant: a magnitude bin is below 2^18 − 1")
    }
}

/// The bin of `v` in [`LINEAR_BINS`] equal bins of `lo ..= hi` (`v` inside).
pub(crate) fn linear_bin(v: i64, lo: i64, hi: i64) -> usize {
    debug_assert!(lo <= v && v <= hi, "invariant: a refined value lies in its interval");
    let span = i128::from(hi).checked_sub(i128::from(lo)).and_then(|s| s.checked_add(1));
    let offset = i128::from(v).checked_sub(i128::from(lo));
    // span ≤ 2^64 and offset < span: the product stays far inside i128.
    let bins = i128::try_from(LINEAR_BINS).expect("invariant: 4096 fits i128");
    let bin = offset
        .zip(span)
        .and_then(|(o, s)| o.checked_mul(bins)?.checked_div(s))
        .expect("invariant: an interval of i64 values, a positive span");
    usize::try_from(bin).expect("invariant: 0 ≤ bin < LINEAR_BINS")
}

/// First-pass counts of one statistic of one cell, by [`scale_bin`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScaleCounts {
    chunks: Vec<Option<Box<[Bin]>>>,
}

impl ScaleCounts {
    pub(crate) fn add(&mut self, v: i64) {
        if self.chunks.is_empty() {
            self.chunks.resize(CHUNKS, None);
        }
        let bin = usize::try_from(scale_bin(v)).expect("invariant: a bin fits usize");
        let chunk = self
            .chunks
            .get_mut(bin >> CHUNK_BITS)
            .expect("invariant: scale bins are below CHUNKS × CHUNK")
            .get_or_insert_with(|| vec![Bin::EMPTY; CHUNK].into_boxed_slice());
        chunk.get_mut(bin & (CHUNK - 1)).expect("invariant: masked below CHUNK").add(v);
    }

    /// The bins holding values, ascending: (bin, counts).
    pub(crate) fn bins(&self) -> impl Iterator<Item = (u32, Bin)> + '_ {
        self.chunks.iter().enumerate().filter_map(|(c, chunk)| Some((c, chunk.as_ref()?))).flat_map(|(c, chunk)| {
            chunk.iter().enumerate().filter(|(_, b)| b.count > 0).map(move |(i, b)| {
                let bin = c.checked_mul(CHUNK).and_then(|b| b.checked_add(i)).expect("invariant: below 2^19");
                (u32::try_from(bin).expect("invariant: below 2^19"), *b)
            })
        })
    }

    /// Adds one bin's counts (from another range of trials).
    pub(crate) fn merge_bin(&mut self, bin: u32, counts: &Bin) -> Option<()> {
        if self.chunks.is_empty() {
            self.chunks.resize(CHUNKS, None);
        }
        let bin = usize::try_from(bin).ok()?;
        let chunk =
            self.chunks.get_mut(bin >> CHUNK_BITS)?.get_or_insert_with(|| vec![Bin::EMPTY; CHUNK].into_boxed_slice());
        chunk.get_mut(bin & (CHUNK - 1))?.merge(counts);
        Some(())
    }
}

/// Counts of one refining pass: [`LINEAR_BINS`] equal bins of `lo ..= hi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinearCounts {
    pub(crate) bins: Vec<Bin>,
}

impl LinearCounts {
    pub(crate) fn new() -> LinearCounts {
        LinearCounts { bins: vec![Bin::EMPTY; LINEAR_BINS] }
    }

    pub(crate) fn add(&mut self, v: i64, lo: i64, hi: i64) {
        self.bins.get_mut(linear_bin(v, lo, hi)).expect("invariant: linear_bin is below LINEAR_BINS").add(v);
    }

    pub(crate) fn merge(&mut self, other: &LinearCounts) {
        for (a, b) in self.bins.iter_mut().zip(&other.bins) {
            a.merge(b);
        }
    }
}

/// Where rank `rank` (1-based, counted from the first bin) falls among
/// `bins` (ascending): the values below that bin and the bin's counts.
pub(crate) fn locate(bins: impl Iterator<Item = Bin>, rank: u64) -> Option<(u64, Bin)> {
    let mut below = 0_u64;
    for bin in bins {
        let through = below.checked_add(bin.count)?;
        if rank <= through && bin.count > 0 {
            return Some((below, bin));
        }
        below = through;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bins_keep_the_order_of_values() {
        let mut values: Vec<i64> = vec![i64::MIN, i64::MIN + 1, -1 << 40, -8193, -8192, -8191, -2, -1, 0, 1, 2];
        values.extend([8191, 8192, 8193, 8194, 1 << 20, (1 << 20) + 255, (1 << 20) + 256, 1 << 40, i64::MAX]);
        for w in values.windows(2) {
            assert!(
                scale_bin(w[0]) <= scale_bin(w[1]),
                "{} → {}, {} → {}",
                w[0],
                scale_bin(w[0]),
                w[1],
                scale_bin(w[1])
            );
        }
        assert_ne!(scale_bin(-1), scale_bin(0));
        assert_ne!(scale_bin(8191), scale_bin(8192));
        // 2^20 .. 2^21 in 4096 bins of 256.
        assert_eq!(scale_bin(1 << 20), scale_bin((1 << 20) + 255));
        assert_ne!(scale_bin(1 << 20), scale_bin((1 << 20) + 256));
        assert!(scale_bin(i64::MAX) < 2 * ONE_SIGN);
    }

    #[test]
    fn linear_bins_cover_the_interval_in_order() {
        assert_eq!(linear_bin(-5, -5, 5), 0);
        assert!(linear_bin(4, -5, 5) < linear_bin(5, -5, 5) && linear_bin(5, -5, 5) < LINEAR_BINS);
        assert_eq!(linear_bin(i64::MAX, i64::MIN, i64::MAX), LINEAR_BINS - 1);
        assert_eq!(linear_bin(i64::MIN, i64::MIN, i64::MAX), 0);
        let bins: Vec<usize> = (0..10_000).map(|v| linear_bin(v, 0, 9_999)).collect();
        assert!(bins.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn locate_finds_the_bin_of_a_rank() {
        let bin = |count, min, max| Bin { count, min, max };
        let bins = [bin(2, 1, 2), Bin::EMPTY, bin(3, 5, 9)];
        assert_eq!(locate(bins.into_iter(), 1), Some((0, bins[0])));
        assert_eq!(locate(bins.into_iter(), 3), Some((2, bins[2])));
        assert_eq!(locate(bins.into_iter(), 5), Some((2, bins[2])));
        assert_eq!(locate(bins.into_iter(), 6), None);
    }
}
