//! [`Rate`] and [`Share`]: exact decimal rates.

use core::fmt;
use core::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{CoreError, Result};

/// Powers of ten that fit an `i64`, indexed by exponent.
const POW10_I64: [i64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// An exact decimal rate such as 4 % (0.04) or 2 ‰ (0.002). It may be negative
/// (a growth rate) or above one (a multiple); use [`Share`] where the rules
/// require a part of a whole.
///
/// The rate is kept as a normalised [`Decimal`] together with its integer ratio,
/// so that [`Money::mul_rate`](crate::Money::mul_rate) runs on integers.
///
/// ```
/// use medfund_core::Rate;
/// let r: Rate = "4%".parse()?;
/// assert_eq!(r, "0.04".parse()?);
/// assert_eq!(r, "40‰".parse()?);
/// assert_eq!(r.to_string(), "4%");
/// # Ok::<(), medfund_core::CoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rate {
    value: Decimal,
    /// `value = numerator / 10^scale`, cached for the integer fast path.
    numerator: i64,
    scale: u32,
    fits_i64: bool,
}

impl PartialOrd for Rate {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rate {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl Rate {
    /// Zero.
    pub const ZERO: Rate = Rate { value: Decimal::ZERO, numerator: 0, scale: 0, fits_i64: true };
    /// One (100 %).
    pub const ONE: Rate = Rate { value: Decimal::ONE, numerator: 1, scale: 0, fits_i64: true };

    /// A rate from an exact decimal fraction (`0.04` for 4 %).
    pub fn from_decimal(value: Decimal) -> Rate {
        let value = value.normalize();
        let scale = value.scale();
        let mantissa = value.mantissa();
        let (numerator, fits_i64) = match i64::try_from(mantissa) {
            Ok(n) if (scale as usize) < POW10_I64.len() => (n, true),
            _ => (0, false),
        };
        Rate { value, numerator, scale, fits_i64 }
    }

    /// `n` percent.
    pub fn percent(n: i64) -> Rate {
        Rate::from_decimal(Decimal::new(n, 2))
    }

    /// `n` per mille (‰).
    pub fn per_mille(n: i64) -> Rate {
        Rate::from_decimal(Decimal::new(n, 3))
    }

    /// The rate as a decimal fraction.
    pub fn to_decimal(self) -> Decimal {
        self.value
    }

    /// True if the rate is zero.
    pub fn is_zero(self) -> bool {
        self.value.is_zero()
    }

    /// True if the rate is below zero.
    pub fn is_negative(self) -> bool {
        self.value.is_sign_negative() && !self.value.is_zero()
    }

    /// `(numerator, denominator)` with `rate = numerator / denominator`,
    /// when both fit an `i64`.
    #[inline]
    pub fn as_i64_ratio(self) -> Option<(i64, i64)> {
        if self.fits_i64 { POW10_I64.get(self.scale as usize).map(|&d| (self.numerator, d)) } else { None }
    }

    /// `(numerator, scale)` with `rate = numerator / 10^scale`, when the
    /// numerator fits an `i64` (the integer fast path).
    #[inline]
    pub fn as_i64_scaled(self) -> Option<(i64, u32)> {
        self.fits_i64.then_some((self.numerator, self.scale))
    }

    /// `(numerator, denominator)` in `i128`; `None` only if the scale is too large for `i128`.
    pub fn as_i128_ratio(self) -> Option<(i128, i128)> {
        let den = 10_i128.checked_pow(self.scale)?;
        Some((self.value.mantissa(), den))
    }

    /// Reads the text of a JSON or TOML number literal (`0.04`, `4e-2`)
    /// exactly, as written.
    pub fn from_number_literal(text: &str) -> Result<Rate> {
        crate::literal::parse_number_literal(text)
            .map(Rate::from_decimal)
            .map_err(|e| CoreError::InvalidRate { input: text.to_owned(), reason: e.reason().to_owned() })
    }

    /// Reads an `f64` through its shortest decimal form (`0.04` is exactly 4 %).
    pub fn from_f64(value: f64) -> Result<Rate> {
        if !value.is_finite() {
            return Err(CoreError::InvalidRate { input: value.to_string(), reason: "not a finite number".into() });
        }
        Rate::from_number_literal(&value.to_string())
    }
}

impl FromStr for Rate {
    type Err = CoreError;

    /// `"4%"`, `"4 %"`, `"2‰"`, `"0.04"`, `"-1.5%"`, `"1e-9"`: the number
    /// grammar of [`crate::literal::parse_decimal_text`], then an optional
    /// `%` or `‰`. The value is exact; a rate finer than 28 decimal places
    /// is an error, never zero.
    fn from_str(input: &str) -> Result<Rate> {
        let trimmed = input.trim();
        let (number, places) = if let Some(n) = trimmed.strip_suffix('%') {
            (n.trim_end(), 2)
        } else if let Some(n) = trimmed.strip_suffix('‰') {
            (n.trim_end(), 3)
        } else {
            (trimmed, 0)
        };
        let bad = |reason: &str| CoreError::InvalidRate { input: input.to_owned(), reason: reason.to_owned() };
        let mut value = crate::literal::parse_decimal_text(number).map_err(|e| bad(e.reason()))?;
        // Percent and per mille shift the decimal point: exact, or refused.
        let scale = value.scale().saturating_add(places);
        value.set_scale(scale).map_err(|_| bad("finer than the 28 decimal places a rate holds"))?;
        Ok(Rate::from_decimal(value))
    }
}

impl fmt::Display for Rate {
    /// As a percentage: `4%`, `2.5%`, `0.2%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value.checked_mul(Decimal::ONE_HUNDRED) {
            Some(p) => f.pad(&format!("{}%", p.normalize())),
            None => f.pad(&self.value.to_string()),
        }
    }
}

impl Serialize for Rate {
    /// As a percentage string (`"4%"`), which reads back to the same rate.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct RateVisitor;

impl<'de> Visitor<'de> for RateVisitor {
    type Value = Rate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rate such as \"4%\", \"2‰\", \"0.04\" or 0.04")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Rate, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Rate, E> {
        Ok(Rate::from_decimal(Decimal::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Rate, E> {
        Ok(Rate::from_decimal(Decimal::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Rate, E> {
        Rate::from_f64(v).map_err(E::custom)
    }

    crate::literal::literal_visits!(Rate, Rate::from_number_literal);
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Rate, D::Error> {
        deserializer.deserialize_any(RateVisitor)
    }
}

/// A rate that is a part of a whole and so must lie in [0, 1]: a levy rate,
/// a fiscal share, a prepayment percentage.
///
/// ```
/// use medfund_core::Share;
/// assert!("50%".parse::<Share>().is_ok());
/// assert!("120%".parse::<Share>().is_err());
/// assert!("-1%".parse::<Share>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Share(Rate);

impl Share {
    /// Zero.
    pub const ZERO: Share = Share(Rate::ZERO);
    /// The whole (100 %).
    pub const ONE: Share = Share(Rate::ONE);

    /// Checks that `rate` lies in [0, 1].
    pub fn new(rate: Rate) -> Result<Share> {
        if rate.is_negative() || rate.to_decimal() > Decimal::ONE {
            return Err(CoreError::ShareOutOfRange { value: rate.to_string() });
        }
        Ok(Share(rate))
    }

    /// `n` percent, checked.
    pub fn percent(n: i64) -> Result<Share> {
        Share::new(Rate::percent(n))
    }

    /// The share as a rate.
    #[inline]
    pub fn rate(self) -> Rate {
        self.0
    }

    /// `1 − self`, also a share.
    pub fn complement(self) -> Share {
        // Cannot fail: both operands lie in [0, 1].
        let rest = Decimal::ONE.checked_sub(self.0.value).unwrap_or(Decimal::ZERO);
        Share(Rate::from_decimal(rest))
    }
}

impl From<Share> for Rate {
    fn from(s: Share) -> Rate {
        s.0
    }
}

impl TryFrom<Rate> for Share {
    type Error = CoreError;
    fn try_from(r: Rate) -> Result<Share> {
        Share::new(r)
    }
}

impl FromStr for Share {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Share> {
        Share::new(s.parse()?)
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Share {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Share, D::Error> {
        let rate = Rate::deserialize(deserializer)?;
        Share::new(rate).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_forms() {
        let cases: &[(&str, &str)] = &[
            ("4%", "0.04"),
            ("4 %", "0.04"),
            ("2‰", "0.002"),
            ("0.04", "0.04"),
            ("-1.5%", "-0.015"),
            ("100%", "1"),
            ("0", "0"),
            ("52.5%", "0.525"),
            // One grammar with number literals: the string "1e-2" means what 1e-2 means.
            ("1e-2", "0.01"),
            ("1e-9", "0.000000001"),
            ("2.5e-1%", "0.0025"),
        ];
        for &(text, want) in cases {
            let r: Rate = text.parse().unwrap();
            assert_eq!(r.to_decimal(), want.parse::<Decimal>().unwrap(), "{text}");
        }
        for text in ["", "%", "abc", "4%%", "+-5%", ".5", "4 percent", "1e", "inf", "NaN"] {
            assert!(text.parse::<Rate>().is_err(), "{text:?}");
        }
        // Finer than 28 decimal places: an error, never a silent 0 %.
        for text in ["1e-29", "0.000000000000000000000000001%", "0.00000000000000000000000001‰"] {
            assert!(text.parse::<Rate>().is_err(), "{text:?}");
        }
        assert_eq!("0.0000000000000000000000001%".parse::<Rate>().unwrap().to_decimal().scale(), 27);
    }

    #[test]
    fn display_round_trips() {
        for text in ["4%", "0.2%", "2.5%", "-3%", "100%", "0%"] {
            let r: Rate = text.parse().unwrap();
            assert_eq!(r.to_string(), text);
            assert_eq!(r.to_string().parse::<Rate>().unwrap(), r);
        }
    }

    #[test]
    fn share_bounds() {
        assert!(Share::percent(0).is_ok());
        assert!(Share::percent(100).is_ok());
        assert!(matches!(Share::percent(101), Err(CoreError::ShareOutOfRange { .. })));
        assert!(matches!("-0.1%".parse::<Share>(), Err(CoreError::ShareOutOfRange { .. })));
        assert!(serde_json::from_str::<Share>("1.5").is_err());
        assert_eq!(serde_json::from_str::<Share>("0.5").unwrap(), Share::percent(50).unwrap());
        assert_eq!(Share::percent(30).unwrap().complement(), Share::percent(70).unwrap());
    }

    #[test]
    fn ratio_fast_path() {
        assert_eq!(Rate::percent(4).as_i64_ratio(), Some((4, 100)));
        assert_eq!(Rate::percent(90).as_i64_ratio(), Some((9, 10)));
        assert_eq!(Rate::ONE.as_i128_ratio(), Some((1, 1)));
    }
}
