//! JSON documents that wrap scenarios (`compare`, `sweep`) read with each
//! key at most once per object.
//!
//! serde_json keeps the last of two equal keys, so a variant with two
//! `total` members was compared as its second; a scenario read into its
//! structs refuses a field given twice, and a document around scenarios must
//! too.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::excerpt;

/// `text` as a JSON document, refusing an object that has a key twice (the
/// error names the key, with the line and column of the second).
///
/// # Errors
///
/// serde_json's error for text that is not one JSON value, or for a key
/// that appears twice in one object.
pub fn json_document(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    UniqueKeys.deserialize(&mut de)?;
    de.end()?;
    serde_json::from_str(text)
}

/// Walks a value, keeping nothing but the keys of the object it is in.
struct UniqueKeys;

impl<'de> DeserializeSeed<'de> for UniqueKeys {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(UniqueKeys)?.is_some() {}
        Ok(())
    }

    // With `arbitrary_precision` a number arrives as a map of one private
    // key: one key, never twice.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(A::Error::custom(format!(
                    "key {} appears twice in one object; expected each key once",
                    excerpt(&key)
                )));
            }
            map.next_value_seed(UniqueKeys)?;
            seen.insert(key);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// #36 (17): `{"total": "1", "total": "2"}` was read as its second total.
    #[test]
    fn a_key_given_twice_in_one_object_is_refused_at_any_depth() {
        for text in [
            r#"{"base": {"surplus": {"total": "100", "total": "1.00"}}}"#,
            r#"{"a": 1, "a": 1}"#,
            r#"[{"x": [{"y": 1, "y": 2}]}]"#,
        ] {
            let e = json_document(text).unwrap_err().to_string();
            assert!(e.contains("appears twice in one object"), "{text}: {e}");
            assert!(e.contains("line 1 column"), "{e}");
        }
        let e = json_document(r#"{"base": {"surplus": {"total": "100", "total": "1.00"}}}"#).unwrap_err();
        assert!(e.to_string().starts_with("key \"total\" appears twice"), "{e}");
    }

    #[test]
    fn documents_with_each_key_once_read_as_serde_json_reads_them() {
        for text in [
            r#"{"a": {"b": [1, 2.50, 1e400, "x", null, true]}, "b": {"a": 1}}"#,
            r#"[]"#,
            r#"72344990687247.04"#,
            r#"{"same": {"k": 1}, "other": {"k": 2}}"#,
        ] {
            assert_eq!(json_document(text).unwrap(), serde_json::from_str::<Value>(text).unwrap(), "{text}");
        }
        assert!(json_document(r#"{"a": 1} x"#).is_err());
    }
}
