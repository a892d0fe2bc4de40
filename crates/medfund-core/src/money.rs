//! [`Money`]: yuan held as an exact integer number of fen.

use core::fmt;
use core::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{CoreError, Result};
use crate::rate::Rate;
use crate::rounding::Rounding;

/// An amount of money in yuan, stored as an exact integer number of fen
/// (1 yuan = 100 fen) in an `i64`.
///
/// Integer fen make every sum exact and every comparison cheap; products with
/// rates are computed in `i128` and rounded once, by a [`Rounding`] the caller
/// names. `rust_decimal` is used only at the edges (parsing, interop).
///
/// Arithmetic is checked and returns [`Result`]: there is no silent overflow
/// and no panic.
///
/// ```
/// use medfund_core::{Money, Rate, Rounding};
///
/// let spend: Money = "1,200万".parse()?;              // 12,000,000 yuan
/// let fee = spend.mul_rate(Rate::percent(4), Rounding::HalfAwayFromZero)?;
/// assert_eq!(fee.to_string(), "480000.00");
/// assert_eq!(fee.min(Money::from_yuan(400_000)?).to_string(), "400000.00");
/// # Ok::<(), medfund_core::CoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(0);
    /// The largest representable amount.
    pub const MAX: Money = Money(i64::MAX);

    /// An amount of whole fen.
    #[inline]
    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    /// An amount of whole yuan; errors if it does not fit.
    pub fn from_yuan(yuan: i64) -> Result<Money> {
        yuan.checked_mul(100).map(Money).ok_or(CoreError::Overflow { operation: "yuan to fen" })
    }

    /// The amount in fen.
    #[inline]
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// True if the amount is zero.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// True if the amount is below zero.
    #[inline]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// True if the amount is above zero.
    #[inline]
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// `self + other`, or an overflow error.
    #[inline]
    pub fn checked_add(self, other: Money) -> Result<Money> {
        self.0.checked_add(other.0).map(Money).ok_or(CoreError::Overflow { operation: "money addition" })
    }

    /// `self − other`, or an overflow error.
    #[inline]
    pub fn checked_sub(self, other: Money) -> Result<Money> {
        self.0.checked_sub(other.0).map(Money).ok_or(CoreError::Overflow { operation: "money subtraction" })
    }

    /// `−self`, or an overflow error (only for the most negative amount).
    #[inline]
    pub fn checked_neg(self) -> Result<Money> {
        self.0.checked_neg().map(Money).ok_or(CoreError::Overflow { operation: "money negation" })
    }

    /// `|self|`, or an overflow error (only for the most negative amount).
    #[inline]
    pub fn checked_abs(self) -> Result<Money> {
        self.0.checked_abs().map(Money).ok_or(CoreError::Overflow { operation: "money absolute value" })
    }

    /// `self × n` for an integer count (e.g. premium × persons).
    pub fn checked_mul_int(self, n: i64) -> Result<Money> {
        self.0.checked_mul(n).map(Money).ok_or(CoreError::Overflow { operation: "money times count" })
    }

    /// `max(self, 0)`.
    #[inline]
    pub fn positive_part(self) -> Money {
        Money(self.0.max(0))
    }

    /// The exact sum of amounts, or an overflow error.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(amounts: I) -> Result<Money> {
        amounts.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    /// `self × rate`, computed exactly in `i128` and rounded once to the fen
    /// by `rounding`.
    ///
    /// ```
    /// use medfund_core::{Money, Rate, Rounding};
    /// let m = Money::from_fen(-5);                 // −0.05 yuan
    /// let r: Rate = "10%".parse()?;
    /// assert_eq!(m.mul_rate(r, Rounding::HalfAwayFromZero)?, Money::from_fen(-1)); // −0.005 → −0.01
    /// # Ok::<(), medfund_core::CoreError>(())
    /// ```
    #[inline]
    pub fn mul_rate(self, rate: Rate, rounding: Rounding) -> Result<Money> {
        let overflow = CoreError::Overflow { operation: "money times rate" };
        if let Some((num, scale)) = rate.as_i64_scaled() {
            if let Some(product) = self.0.checked_mul(num) {
                return rounding.div_pow10_i64(product, scale).map(Money).ok_or(overflow);
            }
        }
        let (num, den) = rate.as_i128_ratio().ok_or(CoreError::Overflow { operation: "rate scale" })?;
        let product =
            i128::from(self.0).checked_mul(num).ok_or(CoreError::Overflow { operation: "money times rate" })?;
        let fen = rounding.div_i128(product, den).ok_or(CoreError::Overflow { operation: "money times rate" })?;
        i64::try_from(fen).map(Money).map_err(|_| overflow)
    }

    /// `self × numerator ÷ denominator`, exact in `i128`, rounded once.
    /// Errors on a non-positive denominator or overflow.
    pub fn mul_ratio(self, numerator: i128, denominator: i128, rounding: Rounding) -> Result<Money> {
        let overflow = CoreError::Overflow { operation: "money times ratio" };
        let product = i128::from(self.0).checked_mul(numerator).ok_or(overflow.clone())?;
        let fen = rounding.div_i128(product, denominator).ok_or(overflow.clone())?;
        i64::try_from(fen).map(Money).map_err(|_| overflow)
    }

    /// Reads an `f64` through its shortest decimal form, so `1234.56_f64`
    /// means exactly 1234.56 yuan. More than two decimals is an error.
    pub fn from_f64(value: f64) -> Result<Money> {
        if !value.is_finite() {
            return Err(CoreError::InvalidMoney { input: value.to_string(), reason: "not a finite number".into() });
        }
        // Rust's `Display` for f64 prints the shortest string that reads back
        // to the same f64, without an exponent.
        Money::from_number_literal(&value.to_string())
    }

    /// Reads the text of a JSON or TOML number literal (`1234.56`,
    /// `1.0E7`) exactly, as written: the literal is never rounded through a
    /// binary float. More than two decimals (after the exponent) is an
    /// error, and so is an amount beyond the `i64` fen range.
    ///
    /// ```
    /// use medfund_core::Money;
    /// assert_eq!(Money::from_number_literal("93819532283654.81")?.to_string(), "93819532283654.81");
    /// assert!(Money::from_number_literal("1000000.2999999999").is_err()); // sub-fen: never rounded
    /// # Ok::<(), medfund_core::CoreError>(())
    /// ```
    pub fn from_number_literal(text: &str) -> Result<Money> {
        match crate::literal::parse_number_literal(text) {
            Ok(decimal) => decimal_to_money(decimal, text),
            // Too many digits for a Decimal: if some are below the fen, say that.
            Err(crate::literal::LiteralError::OutOfRange) if has_sub_fen_digit(text) => {
                Err(CoreError::SubFenPrecision { input: text.to_owned() })
            }
            Err(e) => Err(invalid(text, e.reason())),
        }
    }

    /// The amount as text with thousands separators: `1,234,567.80`.
    pub fn to_grouped_string(self) -> String {
        let plain = self.to_string();
        let (sign, rest) = match plain.strip_prefix('-') {
            Some(r) => ("-", r),
            None => ("", plain.as_str()),
        };
        let (int_part, frac) = rest.split_once('.').unwrap_or((rest, "00"));
        let mut out = String::with_capacity(plain.len().saturating_add(int_part.len() / 3));
        out.push_str(sign);
        let len = int_part.len();
        for (i, ch) in int_part.chars().enumerate() {
            let from_end = len.saturating_sub(i);
            if i > 0 && from_end % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        out.push('.');
        out.push_str(frac);
        out
    }
}

impl fmt::Display for Money {
    /// Always two decimals: `400000.00`, `-0.05`. Width and alignment flags are honoured.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let text = format!("{}{}.{:02}", if self.0 < 0 { "-" } else { "" }, abs / 100, abs % 100);
        f.pad(&text)
    }
}

/// True for a literal without exponent with a non-zero digit after the second decimal.
fn has_sub_fen_digit(text: &str) -> bool {
    !text.contains(['e', 'E'])
        && text.split_once('.').is_some_and(|(_, f)| f.bytes().skip(2).any(|b| b.is_ascii_digit() && b != b'0'))
}

fn invalid(original: &str, reason: &str) -> CoreError {
    CoreError::InvalidMoney { input: original.to_owned(), reason: reason.to_owned() }
}

fn decimal_to_money(decimal: Decimal, original: &str) -> Result<Money> {
    let fen = decimal.checked_mul(Decimal::ONE_HUNDRED).ok_or(CoreError::Overflow { operation: "parsing money" })?;
    if !fen.fract().is_zero() {
        return Err(CoreError::SubFenPrecision { input: original.to_owned() });
    }
    fen.to_i64().map(Money).ok_or(CoreError::Overflow { operation: "parsing money" })
}

impl FromStr for Money {
    type Err = CoreError;

    /// Parses yuan: `"1234.56"`, `"1,234.56"`, `"-12"`, `"1.2e3"`, `"40万"`
    /// (×10⁴), `"1.2亿"` (×10⁸): the number grammar of
    /// [`crate::literal::parse_decimal_text`], then an optional unit.
    /// Surrounding white space is ignored. More than two decimal places of a
    /// yuan (after the unit is applied) is an error; trailing zeros are not
    /// (`"1.500"` is 1.50 yuan: nothing is rounded).
    fn from_str(input: &str) -> Result<Money> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(invalid(input, "empty text"));
        }
        let (number, unit) = if let Some(n) = trimmed.strip_suffix('万') {
            (n.trim_end(), 10_000_u32)
        } else if let Some(n) = trimmed.strip_suffix('亿') {
            (n.trim_end(), 100_000_000)
        } else {
            (trimmed, 1)
        };
        let decimal = match crate::literal::parse_decimal_text(number) {
            Ok(d) => d,
            Err(crate::literal::LiteralError::OutOfRange) if unit == 1 && has_sub_fen_digit(number) => {
                return Err(CoreError::SubFenPrecision { input: input.to_owned() });
            }
            Err(e) => return Err(invalid(input, e.reason())),
        };
        let decimal =
            decimal.checked_mul(Decimal::from(unit)).ok_or(CoreError::Overflow { operation: "parsing money" })?;
        decimal_to_money(decimal, input)
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Decimal {
        Decimal::new(m.0, 2)
    }
}

impl TryFrom<Decimal> for Money {
    type Error = CoreError;

    /// Exact conversion; more than two decimals (after normalisation) is an error.
    fn try_from(d: Decimal) -> Result<Money> {
        decimal_to_money(d, &d.to_string())
    }
}

impl Serialize for Money {
    /// Serialised as a string with exactly two decimals, so no reader loses a fen to floating point.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct MoneyVisitor;

impl<'de> Visitor<'de> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "yuan as a string (\"1234.56\", \"1,234.56\", \"40万\", \"1.2亿\") or a number with at most two decimals",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Money, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Money, E> {
        Money::from_yuan(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Money, E> {
        let v = i64::try_from(v).map_err(|_| E::custom(CoreError::Overflow { operation: "reading money" }))?;
        Money::from_yuan(v).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Money, E> {
        Money::from_f64(v).map_err(E::custom)
    }

    crate::literal::literal_visits!(Money, Money::from_number_literal);
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Money, D::Error> {
        deserializer.deserialize_any(MoneyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_forms() {
        let cases: &[(&str, i64)] = &[
            ("1234.56", 123_456),
            ("1,234.56", 123_456),
            ("1,234,567", 123_456_700),
            ("40万", 40_000_000),
            ("1.2亿", 12_000_000_000),
            ("0.5万", 500_000),
            ("1.23456万", 1_234_560),
            ("-12", -1_200),
            ("+7.1", 710),
            (" 3.00 ", 300),
            ("1.500", 150),
            ("0", 0),
            ("400000.00", 40_000_000),
            ("1e5", 10_000_000),
            ("1.5E-1", 15),
            ("1,234.5e1", 1_234_500),
        ];
        for &(text, fen) in cases {
            assert_eq!(text.parse::<Money>(), Ok(Money::from_fen(fen)), "{text}");
        }
    }

    #[test]
    fn parsing_errors() {
        for text in [
            "",
            "abc",
            "1.234",
            "1,23.00",
            "12,3456",
            "1.2.3",
            "1e",
            "+-5",
            "-+5",
            ".5",
            "5.",
            "--1",
            "1 234",
            "1.23456789万",
            "万",
            "NaN",
        ] {
            assert!(text.parse::<Money>().is_err(), "{text:?} should fail");
        }
        assert!(matches!("1.234".parse::<Money>(), Err(CoreError::SubFenPrecision { .. })));
        assert!(matches!("99999999999999999999".parse::<Money>(), Err(CoreError::Overflow { .. })));
    }

    #[test]
    fn floats_read_through_shortest_form() {
        assert_eq!(Money::from_f64(1234.56), Ok(Money::from_fen(123_456)));
        assert_eq!(Money::from_f64(0.1), Ok(Money::from_fen(10)));
        assert_eq!(Money::from_f64(52.8), Ok(Money::from_fen(5_280)));
        assert!(matches!(Money::from_f64(0.125), Err(CoreError::SubFenPrecision { .. })));
        assert!(Money::from_f64(f64::NAN).is_err());
        assert!(Money::from_f64(f64::INFINITY).is_err());
        assert!(Money::from_f64(1e300).is_err());
    }

    #[test]
    fn display_and_grouping() {
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(Money::from_fen(123_456_780).to_grouped_string(), "1,234,567.80");
        assert_eq!(Money::from_fen(-100_000).to_grouped_string(), "-1,000.00");
        assert_eq!(Money::from_fen(99).to_grouped_string(), "0.99");
        assert_eq!(format!("{:>8}", Money::from_fen(100)), "    1.00");
        assert_eq!(Money::from_fen(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn serde_as_string_accepts_numbers() {
        let m: Money = serde_json::from_str("\"1,234.50\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"1234.50\"");
        let n: Money = serde_json::from_str("1234.5").unwrap();
        assert_eq!(n, m);
        let i: Money = serde_json::from_str("12").unwrap();
        assert_eq!(i, Money::from_fen(1_200));
        assert!(serde_json::from_str::<Money>("1.234").is_err());
        assert!(serde_json::from_str::<Money>("true").is_err());
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert!(Money::MAX.checked_add(Money::from_fen(1)).is_err());
        assert!(Money::from_fen(i64::MIN).checked_neg().is_err());
        assert!(Money::from_fen(i64::MIN).checked_sub(Money::from_fen(1)).is_err());
        assert!(Money::MAX.mul_rate(Rate::percent(200), Rounding::HalfAwayFromZero).is_err());
        assert_eq!(Money::checked_sum([Money::from_fen(1), Money::from_fen(2)]), Ok(Money::from_fen(3)));
    }

    #[test]
    fn decimal_interop() {
        let d = Decimal::from(Money::from_fen(12_345));
        assert_eq!(d.to_string(), "123.45");
        assert_eq!(Money::try_from(Decimal::new(12_345, 2)), Ok(Money::from_fen(12_345)));
        assert!(Money::try_from(Decimal::new(12_345, 3)).is_err());
    }
}
