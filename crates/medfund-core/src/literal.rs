//! Number literals read from their text, never through binary floating point.
//!
//! A JSON or TOML number such as `1000000.2999999999` is not a binary float
//! to us but a decimal written by someone: it means exactly the digits
//! written. [`parse_number_literal`] reads the literal grammar shared by JSON
//! and TOML (`-12`, `1234.56`, `4e-2`, `1.0E7`) into an exact [`Decimal`],
//! and [`json_number_text`] recovers that text from `serde_json` when it is
//! built with its `arbitrary_precision` feature (which hands numbers that
//! are not integers to a visitor as a one-entry map holding their text).

use rust_decimal::Decimal;
use serde::de::{self, MapAccess};

/// The key under which `serde_json` (feature `arbitrary_precision`) passes
/// the text of a number to `visit_map`.
const JSON_NUMBER_KEY: &str = "$serde_json::private::Number";

/// Why a number literal could not be read exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralError {
    /// Not of the form `[+-]digits[.digits][(e|E)[+-]digits]`.
    Syntax,
    /// Finer than the 28 decimal places a [`Decimal`] holds, or larger
    /// than about 7.9 × 10²⁸: the value cannot be held exactly.
    OutOfRange,
    /// Thousands separators that do not group the integer part in threes.
    Grouping,
}

impl LiteralError {
    /// The reason as words, for messages.
    pub fn reason(self) -> &'static str {
        match self {
            LiteralError::Syntax => "expected digits, an optional decimal part and an optional exponent",
            LiteralError::OutOfRange => {
                "more than 28 decimal places or a magnitude above 7.9 × 10^28: more than can be held exactly"
            }
            LiteralError::Grouping => "thousands separators must group the integer part in threes",
        }
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a number literal exactly: `[+-]digits[.digits][(e|E)[+-]digits]`.
///
/// The value is the one written, with no rounding: `0.1` is one tenth,
/// `1.0E7` is ten million, `4e-2` is four hundredths. A literal that a
/// [`Decimal`] cannot hold exactly is an error, never a nearby value.
///
/// ```
/// use medfund_core::literal::parse_number_literal;
/// assert_eq!(parse_number_literal("1000000.2999999999").unwrap().to_string(), "1000000.2999999999");
/// assert_eq!(parse_number_literal("1.0E7").unwrap().normalize().to_string(), "10000000");
/// assert!(parse_number_literal("+-5").is_err());
/// assert!(parse_number_literal("1e-40").is_err()); // not representable: an error, not zero
/// ```
pub fn parse_number_literal(text: &str) -> Result<Decimal, LiteralError> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (text.get(..i).unwrap_or_default(), Some(text.get(i.saturating_add(1)..).unwrap_or_default())),
        None => (text, None),
    };
    let body = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let (int_part, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if !all_digits(int_part) || frac.is_some_and(|f| !all_digits(f)) {
        return Err(LiteralError::Syntax);
    }
    let value = Decimal::from_str_exact(mantissa).map_err(|_| LiteralError::OutOfRange)?;
    let Some(exponent) = exponent else { return Ok(value) };
    let digits = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
    if !all_digits(digits) {
        return Err(LiteralError::Syntax);
    }
    // Decimal holds at most 28 decimal places and 10^28 in magnitude: any
    // larger exponent is out of range (a zero mantissa with one is still zero).
    let magnitude: u32 = digits.parse().map_err(|_| LiteralError::OutOfRange)?;
    if value.is_zero() {
        return Ok(Decimal::ZERO);
    }
    if exponent.starts_with('-') {
        let mut scaled = value;
        let scale = value.scale().checked_add(magnitude).ok_or(LiteralError::OutOfRange)?;
        scaled.set_scale(scale).map_err(|_| LiteralError::OutOfRange)?;
        Ok(scaled)
    } else {
        let factor = 10_i128.checked_pow(magnitude).ok_or(LiteralError::OutOfRange)?;
        let factor = Decimal::try_from_i128_with_scale(factor, 0).map_err(|_| LiteralError::OutOfRange)?;
        value.checked_mul(factor).ok_or(LiteralError::OutOfRange)
    }
}

/// Reads a number written as text: the literal grammar of
/// [`parse_number_literal`], whose integer part may also be grouped in
/// threes by commas (`1,234,567.8`). This is the one number grammar of
/// money, rates and quantities written as strings, so that `"1e-9"` and the
/// literal `1e-9` mean the same.
///
/// ```
/// use medfund_core::literal::parse_decimal_text;
/// assert_eq!(parse_decimal_text("1,234,567.80").unwrap().to_string(), "1234567.80");
/// assert!(parse_decimal_text("12,3456").is_err());
/// ```
pub fn parse_decimal_text(text: &str) -> Result<Decimal, LiteralError> {
    if !text.contains(',') {
        return parse_number_literal(text);
    }
    let end = text.find(['.', 'e', 'E']).unwrap_or(text.len());
    let (int_part, rest) = text.split_at(end);
    let (sign, digits) = match int_part.strip_prefix(['-', '+']) {
        Some(d) => int_part.split_at(int_part.len().saturating_sub(d.len())),
        None => ("", int_part),
    };
    let groups: Vec<&str> = digits.split(',').collect();
    let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
    if !first_ok || groups.iter().skip(1).any(|g| g.len() != 3) || rest.contains(',') {
        return Err(LiteralError::Grouping);
    }
    parse_number_literal(&format!("{sign}{}{rest}", groups.concat()))
}

/// In a `Visitor::visit_map`: the text of a JSON number passed by
/// `serde_json`'s `arbitrary_precision` feature, or an error naming what
/// the map is instead (`expecting` describes the value wanted).
///
/// With that feature, `serde_json` gives every number that is not an
/// integer in the `i64`/`u64` range as such a map, so that a visitor can
/// read its literal text instead of a rounded `f64`.
pub fn json_number_text<'de, A: MapAccess<'de>>(mut map: A, expecting: &dyn de::Expected) -> Result<String, A::Error> {
    match map.next_key::<String>()? {
        Some(key) if key == JSON_NUMBER_KEY => map.next_value::<String>(),
        _ => Err(de::Error::invalid_type(de::Unexpected::Map, expecting)),
    }
}

/// The visits of a number type's serde `Visitor` that read a literal's
/// text: a JSON number that is not a 64-bit integer (`visit_map`, serde_json
/// `arbitrary_precision`) and a TOML integer beyond 64 bits (`visit_i128`,
/// `visit_u128`), each through `$from(&text)`.
macro_rules! literal_visits {
    ($ty:ty, $from:path) => {
        /// A TOML integer beyond 64 bits.
        fn visit_i128<E: de::Error>(self, v: i128) -> std::result::Result<$ty, E> {
            $from(&v.to_string()).map_err(E::custom)
        }

        /// A TOML integer beyond 64 bits.
        fn visit_u128<E: de::Error>(self, v: u128) -> std::result::Result<$ty, E> {
            $from(&v.to_string()).map_err(E::custom)
        }

        /// A JSON number with its literal text (serde_json `arbitrary_precision`).
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> std::result::Result<$ty, A::Error> {
            let text = crate::literal::json_number_text(map, &self)?;
            $from(&text).map_err(de::Error::custom)
        }
    };
}

pub(crate) use literal_visits;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_mean_the_digits_written() {
        let cases = [
            ("0", "0"),
            ("-12", "-12"),
            ("+7.10", "7.10"),
            ("1000000.2999999999", "1000000.2999999999"),
            ("93819532283654.81", "93819532283654.81"),
            ("4e-2", "0.04"),
            ("4E+2", "400"),
            ("1.0E7", "10000000.0"),
            ("0e999", "0"),
            ("12.5e-3", "0.0125"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_number_literal(text).map(|d| d.to_string()).as_deref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn malformed_or_unrepresentable_literals_are_errors() {
        for text in ["", "-", "+-5", "--1", ".5", "5.", "1e", "1e+", "1.2.3", "0x10", "1_000", "inf", "NaN", " 1"] {
            assert_eq!(parse_number_literal(text), Err(LiteralError::Syntax), "{text:?}");
        }
        for text in ["1e-29", "1e29", "1e4294967296", "123456789012345678901234567890"] {
            assert_eq!(parse_number_literal(text), Err(LiteralError::OutOfRange), "{text:?}");
        }
    }
}
