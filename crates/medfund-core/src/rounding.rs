//! Rounding modes, and exact integer division that rounds by one of them.

use serde::{Deserialize, Serialize};

/// How a result finer than one fen is brought to whole fen.
///
/// The default is [`Rounding::HalfAwayFromZero`] (四舍五入): every rule of the
/// policy sources that multiplies money by a rate rounds this way unless it is
/// configured otherwise. Negative amounts mirror positive ones
/// (`round(-x) == -round(x)`) in every symmetric mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Rounding {
    /// 四舍五入: to the nearest fen, halves away from zero (0.005 → 0.01, −0.005 → −0.01).
    #[default]
    HalfAwayFromZero,
    /// Banker's rounding: to the nearest fen, halves to the even fen.
    HalfEven,
    /// Truncate toward zero (舍去).
    TowardZero,
    /// Away from zero whenever there is any remainder (进位).
    AwayFromZero,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
}

impl Rounding {
    /// Divides `numerator` by a positive `denominator` and rounds the quotient
    /// to an integer by this mode. Returns `None` if `denominator` is not
    /// positive.
    #[inline]
    pub fn div_i128(self, numerator: i128, denominator: i128) -> Option<i128> {
        if denominator <= 0 {
            return None;
        }
        // Truncating division is exact for i128 once the denominator is positive
        // and the numerator is not i128::MIN with denominator -1 (excluded above).
        let quotient = numerator.checked_div(denominator)?;
        let remainder = numerator.checked_rem(denominator)?;
        if remainder == 0 {
            return Some(quotient);
        }
        let negative = numerator < 0;
        let away = if negative { quotient.checked_sub(1)? } else { quotient.checked_add(1)? };
        // Compare 2·|r| with d without overflow: |r| < d ≤ i128::MAX.
        let twice_remainder = remainder.unsigned_abs().checked_mul(2);
        let half_cmp = match twice_remainder {
            Some(t) => t.cmp(&denominator.unsigned_abs()),
            None => core::cmp::Ordering::Greater,
        };
        let rounded = match self {
            Rounding::TowardZero => quotient,
            Rounding::AwayFromZero => away,
            Rounding::Floor => {
                if negative {
                    away
                } else {
                    quotient
                }
            }
            Rounding::Ceiling => {
                if negative {
                    quotient
                } else {
                    away
                }
            }
            Rounding::HalfAwayFromZero => match half_cmp {
                core::cmp::Ordering::Less => quotient,
                _ => away,
            },
            Rounding::HalfEven => match half_cmp {
                core::cmp::Ordering::Less => quotient,
                core::cmp::Ordering::Greater => away,
                core::cmp::Ordering::Equal => {
                    if quotient % 2 == 0 {
                        quotient
                    } else {
                        away
                    }
                }
            },
        };
        Some(rounded)
    }

    /// Divides by a positive `denominator` in `i64`, the fast path used by
    /// column operations. Same semantics as [`Rounding::div_i128`].
    #[inline]
    pub fn div_i64(self, numerator: i64, denominator: i64) -> Option<i64> {
        if denominator <= 0 {
            return None;
        }
        let quotient = numerator.checked_div(denominator)?;
        let remainder = numerator.checked_rem(denominator)?;
        if remainder == 0 {
            return Some(quotient);
        }
        let negative = numerator < 0;
        let away = if negative { quotient.checked_sub(1)? } else { quotient.checked_add(1)? };
        let twice = remainder.unsigned_abs().checked_mul(2);
        let half_cmp = match twice {
            Some(t) => t.cmp(&denominator.unsigned_abs()),
            None => core::cmp::Ordering::Greater,
        };
        Some(match self {
            Rounding::TowardZero => quotient,
            Rounding::AwayFromZero => away,
            Rounding::Floor => {
                if negative {
                    away
                } else {
                    quotient
                }
            }
            Rounding::Ceiling => {
                if negative {
                    quotient
                } else {
                    away
                }
            }
            Rounding::HalfAwayFromZero => match half_cmp {
                core::cmp::Ordering::Less => quotient,
                _ => away,
            },
            Rounding::HalfEven => match half_cmp {
                core::cmp::Ordering::Less => quotient,
                core::cmp::Ordering::Greater => away,
                core::cmp::Ordering::Equal => {
                    if quotient % 2 == 0 {
                        quotient
                    } else {
                        away
                    }
                }
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Rounding::{self, *};

    #[test]
    fn table_of_modes() {
        // (numerator, denominator, mode, expected)
        let cases: &[(i128, i128, Rounding, i128)] = &[
            (5, 10, HalfAwayFromZero, 1),
            (-5, 10, HalfAwayFromZero, -1),
            (4, 10, HalfAwayFromZero, 0),
            (15, 10, HalfEven, 2),
            (25, 10, HalfEven, 2),
            (-25, 10, HalfEven, -2),
            (19, 10, TowardZero, 1),
            (-19, 10, TowardZero, -1),
            (11, 10, AwayFromZero, 2),
            (-11, 10, AwayFromZero, -2),
            (-11, 10, Floor, -2),
            (11, 10, Floor, 1),
            (-11, 10, Ceiling, -1),
            (11, 10, Ceiling, 2),
            (20, 10, HalfAwayFromZero, 2),
        ];
        for &(n, d, mode, want) in cases {
            assert_eq!(mode.div_i128(n, d), Some(want), "{n}/{d} {mode:?}");
            let n64 = i64::try_from(n).unwrap();
            let d64 = i64::try_from(d).unwrap();
            assert_eq!(mode.div_i64(n64, d64), Some(i64::try_from(want).unwrap()), "{n}/{d} {mode:?} i64");
        }
        assert_eq!(HalfAwayFromZero.div_i128(1, 0), None);
        assert_eq!(HalfAwayFromZero.div_i64(1, -3), None);
    }
}
