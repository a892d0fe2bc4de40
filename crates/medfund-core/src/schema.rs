//! JSON Schemas of the value types with hand-written serde (feature
//! `schemars`): what a scenario may write and what a report contains.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::{Money, Quantity, Rate, Share, YearStart};

/// The number grammar of `literal::parse_decimal_text`, as text.
const NUMBER_TEXT: &str = r"^\s*[+-]?[0-9]{1,3}(,?[0-9]{3})*(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*$";

impl JsonSchema for Money {
    fn schema_name() -> Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Yuan, exact to the fen: a string (\"1234.56\", \"1,234.56\", \"40万\", \"1.2亿\", \"1e5\") or a number, at most two decimals. Reports write a string with exactly two decimals.",
            "type": ["string", "number"],
            "pattern": r"^\s*[+-]?[0-9][0-9,]*(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*(万|亿)?\s*$"
        })
    }
}

impl JsonSchema for Rate {
    fn schema_name() -> Cow<'static, str> {
        "Rate".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A rate: \"4%\", \"2‰\", \"0.04\" or a number; exact to 28 decimal places. Reports write a percentage string.",
            "type": ["string", "number"],
            "pattern": r"^\s*[+-]?[0-9][0-9,]*(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*(%|‰)?\s*$"
        })
    }
}

impl JsonSchema for Share {
    fn schema_name() -> Cow<'static, str> {
        "Share".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = Rate::json_schema(generator);
        schema.insert("description".into(), "A rate that is part of a whole, in [0, 1] (0% to 100%).".into());
        schema
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An exact decimal number (a score, a workload): a number or a string.",
            "type": ["string", "number"],
            "pattern": NUMBER_TEXT
        })
    }
}

impl JsonSchema for YearStart {
    fn schema_name() -> Cow<'static, str> {
        "YearStart".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The first day of a fund or medical year as \"MM-DD\" (\"07-01\").",
            "type": "string",
            "pattern": r"^[0-9]{2}-[0-9]{2}$"
        })
    }
}
