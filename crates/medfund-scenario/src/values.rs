//! Value types of the scenario format that carry their own checks, so that a
//! bad value is reported by the parser with its field path and position.

use std::fmt;

use medfund_core::{Money, NaiveDate, Quantity, Rate};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::excerpt;

/// Money that must not be negative (a revenue, spend, cost, balance or total).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amount(pub(crate) Money);

impl Amount {
    /// The amount.
    pub fn get(self) -> Money {
        self.0
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let m = Money::deserialize(d)?;
        if m.is_negative() {
            return Err(de::Error::custom(format!("negative money {m}; expected an amount of zero or more")));
        }
        Ok(Amount(m))
    }
}

/// An identifier (unit, county, person, institution): not empty, not only
/// white space — an empty id can match nothing and would merge records.
pub(crate) fn non_empty_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let id = String::deserialize(d)?;
    if id.trim().is_empty() {
        return Err(de::Error::custom(format!("empty id {id:?}; expected a non-empty identifier")));
    }
    Ok(id)
}

/// An optional identifier: absent, or as [`non_empty_id`].
pub(crate) fn optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|id| {
            if id.trim().is_empty() {
                return Err(de::Error::custom(format!("empty id {id:?}; expected a non-empty identifier")));
            }
            Ok(id)
        })
        .transpose()
}

/// A whole number of a field (`trials`, `years`, `insured_persons`…), with
/// messages in words: a decimal, a negative number or text is refused
/// naming what was written and the range expected.
macro_rules! whole_number {
    ($(#[$meta:meta])* $name:ident, $int:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub(crate) $int);

        impl $name {
            /// The number.
            pub fn get(self) -> $int {
                self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "a whole number from 0 to {}", <$int>::MAX)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$name, E> {
                        <$int>::try_from(v).map($name).map_err(|_| E::custom(whole_error(&v.to_string(), <$int>::MAX)))
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$name, E> {
                        <$int>::try_from(v).map($name).map_err(|_| E::custom(whole_error(&v.to_string(), <$int>::MAX)))
                    }
                    /// Digits only (a CSV cell is text): no sign, point, exponent or unit.
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                            return Err(E::custom(whole_error(v, <$int>::MAX)));
                        }
                        v.parse::<$int>().map($name).map_err(|_| E::custom(whole_error(v, <$int>::MAX)))
                    }
                    fn visit_i128<E: de::Error>(self, v: i128) -> Result<$name, E> {
                        <$int>::try_from(v).map($name).map_err(|_| E::custom(whole_error(&v.to_string(), <$int>::MAX)))
                    }
                    fn visit_u128<E: de::Error>(self, v: u128) -> Result<$name, E> {
                        <$int>::try_from(v).map($name).map_err(|_| E::custom(whole_error(&v.to_string(), <$int>::MAX)))
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$name, E> {
                        Err(E::custom(whole_error(&v.to_string(), <$int>::MAX)))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$name, A::Error> {
                        let text = medfund_core::literal::json_number_text(map, &self)?;
                        Err(de::Error::custom(whole_error(&text, <$int>::MAX)))
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

fn whole_error(written: &str, max: impl fmt::Display) -> String {
    format!("invalid whole number {}; expected a whole number from 0 to {max}", excerpt(written))
}

whole_number!(
    /// A whole number from 0 to 4,294,967,295 (`trials`, `years`, days).
    Whole32,
    u32
);
whole_number!(
    /// A whole number from 0 to 2⁶⁴ − 1 (`insured_persons`, `seed`).
    Whole64,
    u64
);

/// A rate that must not be negative (a multiple such as `cap_multiple`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonNegativeRate(pub(crate) Rate);

impl NonNegativeRate {
    /// The rate.
    pub fn get(self) -> Rate {
        self.0
    }
}

impl<'de> Deserialize<'de> for NonNegativeRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NonNegativeRate, D::Error> {
        let r = Rate::deserialize(d)?;
        if r.is_negative() {
            return Err(de::Error::custom(format!("negative rate {r}; expected zero or more")));
        }
        Ok(NonNegativeRate(r))
    }
}

/// A score from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score(pub(crate) Quantity);

impl Score {
    /// The score.
    pub fn get(self) -> Quantity {
        self.0
    }
}

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Score, D::Error> {
        let q = Quantity::deserialize(d)?;
        if q.is_negative() || q.value() > rust_decimal::Decimal::ONE_HUNDRED {
            return Err(de::Error::custom(format!("score {q} is outside 0–100; expected a score from 0 to 100")));
        }
        Ok(Score(q))
    }
}

/// A non-negative quantity (a workload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonNegativeQuantity(pub(crate) Quantity);

impl NonNegativeQuantity {
    /// The quantity.
    pub fn get(self) -> Quantity {
        self.0
    }
}

impl<'de> Deserialize<'de> for NonNegativeQuantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NonNegativeQuantity, D::Error> {
        let q = Quantity::deserialize(d)?;
        if q.is_negative() {
            return Err(de::Error::custom(format!("negative value {q}; expected zero or more")));
        }
        Ok(NonNegativeQuantity(q))
    }
}

/// The years a scenario may name, in dates and as years: every date a
/// report derives from them (a deadline in S+1, a projected year) then
/// still reads back as `YYYY-MM-DD`.
pub(crate) const YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

fn out_of_calendar(what: &str) -> String {
    format!("{what} is outside the supported calendar; expected a year from {} to {}", YEARS.start(), YEARS.end())
}

/// An ISO `YYYY-MM-DD` date, written as a string (or a TOML date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IsoDate(pub(crate) NaiveDate);

impl IsoDate {
    /// The date.
    pub fn get(self) -> NaiveDate {
        self.0
    }
}

fn parse_date<E: de::Error>(v: &str) -> Result<IsoDate, E> {
    // Exactly `DDDD-DD-DD`: chrono alone would also take `2064- 6-30` or `+202-06-30`.
    let ok_shape = v.len() == 10
        && v.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if ok_shape && YEARS.contains(&chrono::Datelike::year(&d)) => Ok(IsoDate(d)),
        Ok(_) if ok_shape => Err(E::custom(out_of_calendar(&format!("date {}", excerpt(v))))),
        _ => Err(E::custom(format!("invalid date {}; expected an ISO date YYYY-MM-DD", excerpt(v)))),
    }
}

impl IsoDate {
    /// Parses `YYYY-MM-DD`; the error says what was expected.
    pub(crate) fn parse(text: &str) -> Result<IsoDate, String> {
        parse_date::<serde::de::value::Error>(text).map_err(|e| e.to_string())
    }
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = IsoDate;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO date YYYY-MM-DD")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<IsoDate, E> {
        parse_date(v)
    }
    /// TOML dates arrive as a one-entry map holding their text.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IsoDate, A::Error> {
        let entry: Option<(String, String)> = map.next_entry()?;
        match entry {
            Some((_, text)) => parse_date(&text),
            None => Err(de::Error::custom("empty date; expected an ISO date YYYY-MM-DD")),
        }
    }
}

impl<'de> Deserialize<'de> for IsoDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IsoDate, D::Error> {
        d.deserialize_any(DateVisitor)
    }
}

/// A year: an integer, or a string of digits (a TOML table key is a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Year(pub(crate) i32);

impl Year {
    /// The year.
    pub fn get(self) -> i32 {
        self.0
    }
}

struct YearVisitor;

impl<'de> Visitor<'de> for YearVisitor {
    type Value = Year;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a year such as 2023")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Year, E> {
        let t = v.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom(format!("invalid year {}; expected a year such as 2023", excerpt(v))));
        }
        match t.parse::<i64>() {
            Ok(year) => self.visit_i64(year),
            Err(_) => Err(E::custom(out_of_calendar(&format!("year {t}")))),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Year, E> {
        match i32::try_from(v) {
            Ok(year) if YEARS.contains(&year) => Ok(Year(year)),
            _ => Err(E::custom(out_of_calendar(&format!("year {v}")))),
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Year, E> {
        match i32::try_from(v) {
            Ok(year) if YEARS.contains(&year) => Ok(Year(year)),
            _ => Err(E::custom(out_of_calendar(&format!("year {v}")))),
        }
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Year, E> {
        Err(E::custom(out_of_calendar(&format!("year {v}"))))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Year, E> {
        Err(E::custom(out_of_calendar(&format!("year {v}"))))
    }
    /// A JSON number that is not an integer (serde_json `arbitrary_precision`).
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Year, A::Error> {
        let text = medfund_core::literal::json_number_text(map, &self)?;
        Err(de::Error::custom(format!("invalid year {text}; expected a year such as 2023")))
    }
}

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Year, D::Error> {
        d.deserialize_any(YearVisitor)
    }
}

/// A map keyed by year (`spend = { 2022 = "…" }`) that refuses a year given
/// twice: JSON keeps the last of two equal keys and TOML takes `2022` and
/// `"02022"` as different keys, so either would drop a figure silently.
pub(crate) fn unique_years<'de, D, T>(d: D) -> Result<std::collections::BTreeMap<Year, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct YearMap<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for YearMap<T> {
        type Value = std::collections::BTreeMap<Year, T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of values by year, such as { 2022 = \"1000.00\" }")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = std::collections::BTreeMap::new();
            while let Some(year) = map.next_key::<Year>()? {
                if out.contains_key(&year) {
                    return Err(de::Error::custom(format!("year {} is given twice; expected each year once", year.0)));
                }
                let value = map.next_value()?;
                out.insert(year, value);
            }
            Ok(out)
        }
    }
    d.deserialize_map(YearMap(std::marker::PhantomData))
}

/// A validity bound: an ISO date, or a year (the first or last day of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DateOrYear {
    /// A date.
    Date(NaiveDate),
    /// A whole year.
    Year(i32),
}

struct DateOrYearVisitor;

impl<'de> Visitor<'de> for DateOrYearVisitor {
    type Value = DateOrYear;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO date YYYY-MM-DD or a year")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<DateOrYear, E> {
        if v.len() == 4 {
            YearVisitor.visit_str(v).map(|y| DateOrYear::Year(y.0))
        } else {
            parse_date(v).map(|d| DateOrYear::Date(d.0))
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<DateOrYear, E> {
        YearVisitor.visit_i64(v).map(|y| DateOrYear::Year(y.0))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<DateOrYear, E> {
        YearVisitor.visit_u64(v).map(|y| DateOrYear::Year(y.0))
    }
    /// A TOML date, or a JSON number that is not an integer.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DateOrYear, A::Error> {
        let entry: Option<(String, String)> = map.next_entry()?;
        match entry {
            Some((key, text)) if key.starts_with("$serde_json") => {
                Err(de::Error::custom(format!("invalid year {text}; expected an ISO date YYYY-MM-DD or a year")))
            }
            Some((_, text)) => parse_date(&text).map(|d| DateOrYear::Date(d.0)),
            None => Err(de::Error::custom("empty date; expected an ISO date YYYY-MM-DD or a year")),
        }
    }
}

impl<'de> Deserialize<'de> for DateOrYear {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DateOrYear, D::Error> {
        d.deserialize_any(DateOrYearVisitor)
    }
}

/// JSON Schemas of the value types, for `docs/schema/scenario.schema.json`.
mod schema {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::{Amount, DateOrYear, IsoDate, NonNegativeQuantity, NonNegativeRate, Score, Whole32, Whole64, Year};

    /// A schema that is another type's, described anew.
    fn described<T: JsonSchema>(generator: &mut SchemaGenerator, description: &str) -> Schema {
        let mut schema = T::json_schema(generator);
        schema.insert("description".into(), description.into());
        schema
    }

    macro_rules! schema {
        ($ty:ty, $name:literal, |$generator:ident| $body:expr) => {
            impl JsonSchema for $ty {
                fn schema_name() -> Cow<'static, str> {
                    $name.into()
                }
                fn json_schema($generator: &mut SchemaGenerator) -> Schema {
                    $body
                }
            }
        };
    }

    schema!(Amount, "Amount", |g| described::<medfund_core::Money>(
        g,
        "Money that is not negative (a revenue, spend, cost, balance or total): a string (\"1234.56\", \"40万\") or a number, at most two decimals."
    ));
    schema!(NonNegativeRate, "NonNegativeRate", |g| described::<medfund_core::Rate>(
        g,
        "A rate of zero or more (\"1\", \"150%\")."
    ));
    schema!(Score, "Score", |g| described::<medfund_core::Quantity>(g, "A score from 0 to 100."));
    schema!(NonNegativeQuantity, "NonNegativeQuantity", |g| described::<medfund_core::Quantity>(
        g,
        "A quantity of zero or more (a workload)."
    ));
    schema!(IsoDate, "IsoDate", |_g| json_schema!({
        "description": "An ISO date YYYY-MM-DD, years 1900 to 2999.",
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    }));
    schema!(Year, "Year", |_g| json_schema!({
        "description": "A year from 1900 to 2999: an integer or a string of digits.",
        "type": ["integer", "string"],
        "minimum": 1900,
        "maximum": 2999,
        "pattern": "^[0-9]+$"
    }));
    schema!(DateOrYear, "DateOrYear", |_g| json_schema!({
        "description": "A date YYYY-MM-DD or a year (its first or last day).",
        "type": ["integer", "string"],
        "minimum": 1900,
        "maximum": 2999,
        "pattern": "^([0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2})$"
    }));
    schema!(Whole32, "Whole32", |_g| json_schema!({
        "description": "A whole number from 0 to 4294967295.",
        "type": "integer",
        "minimum": 0,
        "maximum": 4294967295_u64
    }));
    schema!(Whole64, "Whole64", |_g| json_schema!({
        "description": "A whole number from 0 to 18446744073709551615.",
        "type": "integer",
        "minimum": 0
    }));
}
