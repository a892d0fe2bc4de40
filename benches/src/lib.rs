//! Deterministic data generators shared by the medfund benchmarks.
#![forbid(unsafe_code)]

mod claims_file;
pub use claims_file::write_claims;

/// A small deterministic generator (SplitMix64), so benches need no `rand`.
#[derive(Debug, Clone)]
pub struct Gen(u64);

impl Gen {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Gen {
        Gen(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (bound > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64().checked_rem(bound).unwrap_or(0)
    }

    /// A non-negative `i64` below `bound`.
    pub fn below_i64(&mut self, bound: u64) -> i64 {
        i64::try_from(self.below(bound)).unwrap_or(0)
    }
}
