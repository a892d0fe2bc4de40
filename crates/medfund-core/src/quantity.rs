//! [`Quantity`]: an exact non-money decimal (a score, a workload, a count),
//! read from a number through its shortest decimal form or from a string.

use core::fmt;
use core::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{CoreError, Result};

/// An exact decimal that is not money: a performance score, a workload.
///
/// ```
/// use medfund_core::Quantity;
/// let q: Quantity = "86.5".parse()?;
/// assert_eq!(q.to_string(), "86.5");
/// assert_eq!(Quantity::from_f64(0.1)?, "0.1".parse()?);
/// # Ok::<(), medfund_core::CoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(Decimal);

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity(Decimal::ZERO);

    /// From an exact decimal.
    pub fn new(value: Decimal) -> Quantity {
        Quantity(value.normalize())
    }

    /// The value.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// True if below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// Reads the text of a JSON or TOML number literal (`86.5`, `8.65e1`)
    /// exactly, as written.
    pub fn from_number_literal(text: &str) -> Result<Quantity> {
        crate::literal::parse_number_literal(text)
            .map(Quantity::new)
            .map_err(|e| CoreError::InvalidQuantity { input: text.to_owned(), reason: e.reason().to_owned() })
    }

    /// Reads an `f64` through its shortest decimal form.
    pub fn from_f64(value: f64) -> Result<Quantity> {
        if !value.is_finite() {
            return Err(CoreError::InvalidQuantity { input: value.to_string(), reason: "not a finite number".into() });
        }
        Quantity::from_number_literal(&value.to_string())
    }
}

impl From<i64> for Quantity {
    fn from(v: i64) -> Quantity {
        Quantity(Decimal::from(v))
    }
}

impl FromStr for Quantity {
    type Err = CoreError;
    /// `"86"`, `"86.5"`, `"12,000"`, `"8.65e1"`: the number grammar of
    /// [`crate::literal::parse_decimal_text`], exact.
    fn from_str(input: &str) -> Result<Quantity> {
        crate::literal::parse_decimal_text(input.trim())
            .map(Quantity::new)
            .map_err(|e| CoreError::InvalidQuantity { input: input.to_owned(), reason: e.reason().to_owned() })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Quantity {
    /// As a JSON number when it is a whole number that fits an `i64`, else a string.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use rust_decimal::prelude::ToPrimitive;
        match (self.0.fract().is_zero(), self.0.to_i64()) {
            (true, Some(i)) => serializer.serialize_i64(i),
            _ => serializer.collect_str(self),
        }
    }
}

struct QuantityVisitor;

impl<'de> Visitor<'de> for QuantityVisitor {
    type Value = Quantity;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number such as 86 or 86.5")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Quantity, E> {
        v.parse().map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Quantity, E> {
        Ok(Quantity::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Quantity, E> {
        Ok(Quantity(Decimal::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Quantity, E> {
        Quantity::from_f64(v).map_err(E::custom)
    }

    crate::literal::literal_visits!(Quantity, Quantity::from_number_literal);
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Quantity, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_serde() {
        assert_eq!("12000".parse::<Quantity>().unwrap(), Quantity::from(12_000));
        assert_eq!("1e3".parse::<Quantity>().unwrap(), Quantity::from(1_000));
        assert_eq!("12,000".parse::<Quantity>().unwrap(), Quantity::from(12_000));
        assert!("+-1".parse::<Quantity>().is_err());
        assert!("".parse::<Quantity>().is_err());
        assert!(Quantity::from_f64(f64::NAN).is_err());
        assert!("-1".parse::<Quantity>().unwrap().is_negative());
        let q: Quantity = serde_json::from_str("86.5").unwrap();
        assert_eq!(serde_json::to_string(&q).unwrap(), "\"86.5\"");
        assert_eq!(serde_json::to_string(&Quantity::from(7)).unwrap(), "7");
        assert!(serde_json::from_str::<Quantity>("true").is_err());
    }
}
