//! Division-free arithmetic for column kernels: a fixed divisor as a
//! multiplication ([`Reciprocal`]), a rounded division by it
//! ([`RoundedDivision`]) and a rate applied to non-negative fen
//! ([`ColumnRate`]). Kernels over whole populations (every claim of a
//! province, every employee of a register) divide each figure by the same
//! `10^scale`; a hardware division per figure costs more than the rest of
//! the arithmetic. Every operation here takes non-negative operands within
//! a bound the caller checks once per column (`limit`), so nothing wraps.

use crate::{Rate, Rounding};

/// Exact division of a non-negative dividend below 2^63 by a fixed divisor
/// `d ≥ 2`, as a multiplication and shifts.
///
/// With `l = ⌈log2 d⌉` and `m = ⌈2^(63+l) / d⌉`, Granlund & Montgomery
/// ("Division by invariant integers using multiplication", PLDI 1994,
/// theorem 4.2, with N = 63) give `⌊n / d⌋ = ⌊m·n / 2^(63+l)⌋` for every
/// `0 ≤ n < 2^63`, because `0 ≤ m·d − 2^(63+l) < d ≤ 2^l`. Since
/// `2^(l−1) < d ≤ 2^l`, `m < 2^64`: the multiplier fits a `u64` and the
/// product a `u128`.
///
/// ```
/// let r = medfund_core::column::Reciprocal::new(100).unwrap();
/// assert_eq!(r.quotient(12_345), 123);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reciprocal {
    multiplier: u64,
    /// `l − 1`: the shift applied after taking the high 64 bits.
    shift: u32,
}

impl Reciprocal {
    /// The reciprocal of `divisor`; `None` below 2 (1 needs no division).
    pub fn new(divisor: u64) -> Option<Reciprocal> {
        if divisor < 2 {
            return None;
        }
        // ⌈log2 d⌉ = bits of (d − 1), for d ≥ 2; at most 64.
        let l = u64::BITS.checked_sub(divisor.checked_sub(1)?.leading_zeros())?;
        let shift = l.checked_add(63)?;
        let multiplier = 1_u128.checked_shl(shift)?.div_ceil(u128::from(divisor));
        Some(Reciprocal { multiplier: u64::try_from(multiplier).ok()?, shift: l.checked_sub(1)? })
    }

    /// `⌊n / d⌋` for `n < 2^63` (callers guarantee the bound).
    #[inline(always)]
    pub fn quotient(self, n: u64) -> u64 {
        let high = u128::from(n).wrapping_mul(u128::from(self.multiplier)).wrapping_shr(64);
        u64::try_from(high).expect("invariant: a u128 shifted right by 64 fits a u64").wrapping_shr(self.shift)
    }
}

/// A non-negative product divided by a fixed `den ≥ 2` and rounded by a
/// [`Rounding`] mode (for non-negative values `Floor` rounds like
/// `TowardZero`, `Ceiling` like `AwayFromZero`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundedDivision {
    den: u64,
    /// Added before the division: 0 truncates, `den − 1` rounds up, `den / 2` rounds halves up.
    bias: u64,
    /// Banker's rounding with an even divisor: an exact tie is pulled back to the even quotient.
    ties_to_even: bool,
    reciprocal: Reciprocal,
}

impl RoundedDivision {
    /// Division by `den` under `rounding`; `None` for `den < 2`.
    pub fn new(den: u64, rounding: Rounding) -> Option<RoundedDivision> {
        let bias = match rounding {
            Rounding::TowardZero | Rounding::Floor => 0,
            Rounding::AwayFromZero | Rounding::Ceiling => den.checked_sub(1)?,
            Rounding::HalfAwayFromZero | Rounding::HalfEven => den.checked_div(2)?,
        };
        let ties_to_even = rounding == Rounding::HalfEven && den.checked_rem(2)? == 0;
        Some(RoundedDivision { den, bias, ties_to_even, reciprocal: Reciprocal::new(den)? })
    }

    /// What is added to a product before the division (the headroom a caller's limit must leave).
    pub fn bias(self) -> u64 {
        self.bias
    }

    /// Whether an exact tie needs the banker's correction.
    pub fn ties_to_even(self) -> bool {
        self.ties_to_even
    }

    /// `product / den` rounded, for `product + bias < 2^63`.
    #[inline(always)]
    pub fn round(self, product: u64) -> u64 {
        let n = product.wrapping_add(self.bias);
        let q = self.reciprocal.quotient(n);
        // Exact tie: n − bias was an odd multiple of den/2, so n is a multiple of den.
        if self.ties_to_even && n == q.wrapping_mul(self.den) && q & 1 == 1 { q.wrapping_sub(1) } else { q }
    }

    /// [`Self::round`] without the tie test, for a caller that knows
    /// [`Self::ties_to_even`] is false.
    #[inline(always)]
    pub fn round_no_ties(self, product: u64) -> u64 {
        self.reciprocal.quotient(product.wrapping_add(self.bias))
    }
}

/// A non-negative rate applied to non-negative fen and rounded, exactly as
/// [`Money::mul_rate`](crate::Money::mul_rate) would, without a division:
/// for column kernels.
///
/// ```
/// use medfund_core::{column::ColumnRate, Money, Rate, Rounding};
/// let rate: Rate = "2%".parse()?;
/// let column = ColumnRate::new(rate, Rounding::HalfAwayFromZero).unwrap();
/// let base = Money::from_fen(1_234_567);
/// assert_eq!(column.apply(1_234_567) as i64, base.mul_rate(rate, Rounding::HalfAwayFromZero)?.fen());
/// # Ok::<(), medfund_core::CoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnRate {
    num: u64,
    /// `None`: a whole-number rate, a plain multiplication.
    divide: Option<RoundedDivision>,
    limit: u64,
}

impl ColumnRate {
    /// The column form of `rate` under `rounding`; `None` for a negative
    /// rate or one too fine for 64 bits.
    pub fn new(rate: Rate, rounding: Rounding) -> Option<ColumnRate> {
        let (num, scale) = rate.as_i64_scaled()?;
        let num = u64::try_from(num).ok()?;
        let den = 10_u64.checked_pow(scale)?;
        let (num, divide) = if num.checked_rem(den)? == 0 {
            (num.checked_div(den)?, None)
        } else {
            (num, Some(RoundedDivision::new(den, rounding)?))
        };
        let bias = divide.map_or(0, RoundedDivision::bias);
        // n × num + bias ≤ i64::MAX  ⇔  n ≤ (i64::MAX − bias) / num.
        let limit = match i64::MAX.unsigned_abs().checked_sub(bias)?.checked_div(num) {
            Some(l) => l.min(i64::MAX.unsigned_abs()),
            None => i64::MAX.unsigned_abs(),
        };
        Some(ColumnRate { num, divide, limit })
    }

    /// The largest fen amount [`Self::apply`] takes exactly.
    pub fn limit(self) -> u64 {
        self.limit
    }

    /// `fen × rate`, rounded; `fen ≤ self.limit()` (the caller checks the
    /// column once). Beyond the limit the result is garbage, never a panic.
    #[inline(always)]
    pub fn apply(self, fen: u64) -> u64 {
        match self.divide {
            None => fen.wrapping_mul(self.num),
            Some(d) => d.round(fen.wrapping_mul(self.num)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::arithmetic_side_effects, clippy::cast_possible_wrap)]
    use super::*;
    use crate::Money;
    use proptest::prelude::*;

    #[test]
    fn reciprocal_of_powers_of_ten_at_the_edges() {
        for scale in 1..=18 {
            let d = 10_u64.pow(scale);
            let r = Reciprocal::new(d).unwrap();
            for n in [0, 1, d - 1, d, d + 1, d / 2, 2 * d - 1, (1 << 63) - 1, (1 << 63) - d, i64::MAX as u64 / d * d] {
                assert_eq!(r.quotient(n), n / d, "{n} / {d}");
            }
        }
        assert_eq!(Reciprocal::new(1), None);
        assert_eq!(Reciprocal::new(0), None);
    }

    proptest! {
        #[test]
        fn prop_reciprocal_division_equals_integer_division(n in 0_u64..(1 << 63), d in 2_u64..=u64::MAX >> 1) {
            prop_assert_eq!(Reciprocal::new(d).unwrap().quotient(n), n / d);
        }

        #[test]
        fn prop_reciprocal_division_is_exact_for_small_divisors(n in 0_u64..(1 << 63), d in 2_u64..=1_000_000) {
            prop_assert_eq!(Reciprocal::new(d).unwrap().quotient(n), n / d);
        }

        #[test]
        fn prop_column_rate_equals_mul_rate(
            fen in 0_u64..(1 << 50),
            num in 0_i64..100_000,
            scale in 0_u32..6,
            mode in 0_usize..6,
        ) {
            let rounding = [
                Rounding::HalfAwayFromZero, Rounding::HalfEven, Rounding::TowardZero,
                Rounding::AwayFromZero, Rounding::Floor, Rounding::Ceiling,
            ][mode];
            let rate = Rate::from_decimal(crate::Decimal::new(num, scale));
            let column = ColumnRate::new(rate, rounding).unwrap();
            if fen <= column.limit() {
                let want = Money::from_fen(fen as i64).mul_rate(rate, rounding).unwrap();
                prop_assert_eq!(column.apply(fen) as i64, want.fen());
            }
        }
    }
}
