//! The `[section.policy]` tables, generic over the rule crate's parameter
//! struct: a parameter is declared once, in its rule crate (name, type,
//! doc, serde form), and every field of that struct may be overridden.
//!
//! How a table is read keeps errors at their line and column: the table's
//! keys and values are handed, as they are read from the document, to the
//! parameter struct's own `Deserialize` (with `deny_unknown_fields`), and
//! the fields the table does not give are filled from the section's
//! default preset. So a bad value or an unknown key is refused by the
//! parser where it is written, with the types of the rule crate. What the
//! table gives is kept (as the values it was read to) and set on the preset
//! the section names once that is resolved ([`PolicyTable::apply`]); the
//! rule crate's `validate` then checks the combination.

use std::borrow::Cow;
use std::marker::PhantomData;

use medfund_insurer::{AssistancePolicy, SupplementaryPolicy};
use medfund_riskpool::RiskPoolPolicy;
use medfund_surplus::SurplusPolicy;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{ScenarioError, ScenarioResult};
use crate::values::DateOrYear;

/// A rule crate's parameter struct, as a `[section.policy]` table reads it.
pub trait PolicyParams: Serialize + DeserializeOwned + schemars::JsonSchema {
    /// The section (`riskpool`), for messages and the schema.
    const SECTION: &'static str;
    /// The table's path (`riskpool.policy`; `supplementary.subsidies`).
    const TABLE: &'static str;
    /// Whether the table may also move the preset's validity
    /// (`valid_from`, `valid_to`: not parameters, read by the section).
    const VALIDITY: bool;
    /// The parameters a table's values are read against: the section's
    /// default preset.
    fn template() -> ScenarioResult<Self>;
    /// The rule crate's check of the parameters together: the field at
    /// fault (as `weights.workload`) and the message.
    fn check(&self) -> Result<(), (&'static str, String)>;
}

macro_rules! policy_params {
    ($($params:ty => $section:literal $(in $table:literal)?, validity: $validity:literal, $registry:ident, $fault:expr;)*) => {$(
        impl PolicyParams for $params {
            const SECTION: &'static str = $section;
            const TABLE: &'static str = policy_params!(@table $section $(, $table)?);
            const VALIDITY: bool = $validity;
            fn template() -> ScenarioResult<Self> {
                Ok(crate::presets::Registry::built_in()?.$registry(None)?.params().clone())
            }
            fn check(&self) -> Result<(), (&'static str, String)> {
                self.validate().map_err(|e| (($fault)(&e), e.to_string()))
            }
        }
    )*};
    (@table $section:literal) => { concat!($section, ".policy") };
    (@table $section:literal, $table:literal) => { $table };
}

policy_params! {
    RiskPoolPolicy => "riskpool", validity: false, riskpool, |e: &medfund_riskpool::RiskPoolError| match e {
        medfund_riskpool::RiskPoolError::InvalidPolicy { field, .. } => *field,
        _ => "",
    };
    AssistancePolicy => "assistance", validity: true, assistance, insurer_field;
    SupplementaryPolicy => "supplementary", validity: true, supplementary, insurer_field;
    medfund_insurer::SubsidyPolicy => "supplementary" in "supplementary.subsidies", validity: false, subsidies, insurer_field;
    medfund_contrib::EmployeePolicy => "contributions", validity: false, contributions, |e: &medfund_contrib::ContribError| match e {
        medfund_contrib::ContribError::InvalidPolicy { field, .. } => *field,
        _ => "",
    };
    SurplusPolicy => "surplus", validity: false, surplus, |e: &medfund_surplus::SurplusError| match e {
        medfund_surplus::SurplusError::OutOfRange { field, .. } => *field,
        medfund_surplus::SurplusError::OverCommitted { .. } => "primary_floor",
        _ => "",
    };
}

fn insurer_field(e: &medfund_insurer::InsurerError) -> &'static str {
    match e {
        medfund_insurer::InsurerError::InvalidPolicy { field, .. } => field,
        _ => "",
    }
}

/// A `[section.policy]` table: the parameters it gives (checked by the
/// parameter struct's own types) and, where the section allows it, the
/// bounds of validity.
#[derive(Debug, Clone)]
pub struct PolicyTable<P> {
    /// The parameters given, by name, as their type writes them.
    given: Map<String, Value>,
    /// First day (or year) of validity, where the section allows it.
    pub valid_from: Option<DateOrYear>,
    /// Last day (or year) of validity, where the section allows it.
    pub valid_to: Option<DateOrYear>,
    params: PhantomData<fn() -> P>,
}

impl<P> PolicyTable<P> {
    /// The parameters the table gives, by name, as their type writes them
    /// (`{"levy_rate": "8%"}`).
    pub fn given(&self) -> &Map<String, Value> {
        &self.given
    }
}

impl<P: PolicyParams> PolicyTable<P> {
    /// Sets every parameter the table gives on `params`, then has the rule
    /// crate check them together (an error names `section.policy.field`).
    pub(crate) fn apply(&self, params: &mut P) -> ScenarioResult<()> {
        self.apply_as(params, P::TABLE)
    }

    /// [`PolicyTable::apply`] for a table written under another key
    /// (`projection.reforms[0].policy`), which errors name.
    pub(crate) fn apply_as(&self, params: &mut P, table: &str) -> ScenarioResult<()> {
        let internal =
            |e: serde_json::Error| ScenarioError::other(format!("{}: cannot set the parameters given: {e}", P::TABLE));
        let Value::Object(mut fields) = serde_json::to_value(&*params).map_err(internal)? else {
            return Err(ScenarioError::other(format!("{}: the parameters are not a table", P::TABLE)));
        };
        fields.extend(self.given.iter().map(|(k, v)| (k.clone(), v.clone())));
        *params = serde_json::from_value(Value::Object(fields)).map_err(internal)?;
        params.check().map_err(|(field, message)| {
            let at = if field.is_empty() { String::new() } else { format!(".{field}") };
            ScenarioError::input(format!("{table}{at}: {message}"))
        })
    }
}

impl<'de, P: PolicyParams> Deserialize<'de> for PolicyTable<P> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PolicyTable<P>, D::Error> {
        d.deserialize_map(TableVisitor(PhantomData))
    }
}

struct TableVisitor<P>(PhantomData<fn() -> P>);

impl<'de, P: PolicyParams> Visitor<'de> for TableVisitor<P> {
    type Value = PolicyTable<P>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a table of {} parameters", P::TABLE)
    }

    fn visit_map<A: MapAccess<'de>>(self, doc: A) -> Result<PolicyTable<P>, A::Error> {
        let template = P::template().map_err(de::Error::custom)?;
        let Value::Object(rest) = serde_json::to_value(&template).map_err(de::Error::custom)? else {
            return Err(de::Error::custom("invariant: policy parameters serialize to a table"));
        };
        let mut merged = Merged {
            doc,
            rest,
            doc_done: false,
            validity: P::VALIDITY,
            given: Vec::new(),
            valid_from: None,
            valid_to: None,
            pending: None,
        };
        let params = P::deserialize(de::value::MapAccessDeserializer::new(&mut merged))?;
        let Value::Object(mut all) = serde_json::to_value(&params).map_err(de::Error::custom)? else {
            return Err(de::Error::custom("invariant: policy parameters serialize to a table"));
        };
        let given = merged.given.iter().filter_map(|k| all.remove_entry(k)).collect();
        Ok(PolicyTable { given, valid_from: merged.valid_from, valid_to: merged.valid_to, params: PhantomData })
    }
}

/// The document's entries first (so that what it says is read, and refused,
/// where it is written), then the template's for the fields it leaves out.
struct Merged<A> {
    doc: A,
    rest: Map<String, Value>,
    doc_done: bool,
    /// Whether `valid_from` / `valid_to` may be given.
    validity: bool,
    given: Vec<String>,
    valid_from: Option<DateOrYear>,
    valid_to: Option<DateOrYear>,
    /// The template value of the key last handed out.
    pending: Option<Value>,
}

/// What a document key turned out to be.
enum Key<K> {
    /// A parameter: the seed's output.
    Field(K),
    /// `valid_from` or `valid_to`.
    Validity(bool),
}

/// Reads a document key as text and hands it to the parameter struct's
/// field seed inside the document's own key deserializer, so that an
/// unknown key is reported at its position.
struct KeySeed<'a, K> {
    seed: &'a mut Option<K>,
    validity: bool,
    name: &'a mut String,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, K> {
    type Value = Key<K::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<K::Value>, D::Error> {
        let name = String::deserialize(d)?;
        if self.validity && (name == "valid_from" || name == "valid_to") {
            return Ok(Key::Validity(name == "valid_from"));
        }
        let seed = self.seed.take().ok_or_else(|| de::Error::custom("invariant: one key per call"))?;
        let key = seed.deserialize(IntoDeserializer::<D::Error>::into_deserializer(name.as_str()))?;
        *self.name = name;
        Ok(Key::Field(key))
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for &mut Merged<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let mut seed = Some(seed);
        while !self.doc_done {
            let mut name = String::new();
            let validity = self.validity;
            match self.doc.next_key_seed(KeySeed { seed: &mut seed, validity, name: &mut name })? {
                Some(Key::Field(key)) => {
                    self.rest.remove(&name);
                    self.given.push(name);
                    return Ok(Some(key));
                }
                Some(Key::Validity(from)) => {
                    let which = if from { &mut self.valid_from } else { &mut self.valid_to };
                    if which.is_some() {
                        let name = if from { "valid_from" } else { "valid_to" };
                        return Err(de::Error::custom(format!("duplicate field `{name}`")));
                    }
                    *which = Some(self.doc.next_value()?);
                }
                None => self.doc_done = true,
            }
        }
        let seed = seed.ok_or_else(|| de::Error::custom("invariant: the seed is used once"))?;
        let Some(name) = self.rest.keys().next().cloned() else { return Ok(None) };
        self.pending = self.rest.remove(&name);
        seed.deserialize(IntoDeserializer::<A::Error>::into_deserializer(name.as_str())).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        if !self.doc_done {
            return self.doc.next_value_seed(seed);
        }
        let value = self.pending.take().ok_or_else(|| de::Error::custom("invariant: a value follows its key"))?;
        seed.deserialize(value).map_err(de::Error::custom)
    }
}

impl<P: PolicyParams> schemars::JsonSchema for PolicyTable<P> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}Overrides", P::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = P::json_schema(generator);
        schema.remove("required");
        schema.insert(
            "description".into(),
            format!("`[{}]`: any parameter of the preset, each optional (the preset's value otherwise).", P::TABLE)
                .into(),
        );
        let bound = generator.subschema_for::<DateOrYear>();
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            // A parameter left out keeps the preset's value, not the struct's serde default.
            for property in properties.values_mut() {
                if let Value::Object(p) = property {
                    p.remove("default");
                }
            }
            if P::VALIDITY {
                properties.insert("valid_from".into(), bound.clone().into());
                properties.insert("valid_to".into(), bound.into());
            }
        }
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Format, Source, parse};

    fn scenario(text: &str) -> ScenarioResult<crate::scenario::Scenario> {
        let source = Source {
            name: "t.toml".into(),
            lists: std::path::PathBuf::from(".").into(),
            limits: crate::Limits::default(),
            claims: crate::ClaimsRun::default(),
        };
        parse(text, Format::Toml, &source)
    }

    /// Every field of a parameter struct is a key of its table: a table that
    /// gives every field of the preset leaves the preset as it is.
    fn every_field_round_trips<P: PolicyParams + PartialEq + std::fmt::Debug + Clone>() {
        let preset = P::template().unwrap();
        let Value::Object(fields) = serde_json::to_value(&preset).unwrap() else { panic!("not a table") };
        let table: PolicyTable<P> = serde_json::from_value(Value::Object(fields.clone())).unwrap();
        assert_eq!(table.given.len(), fields.len(), "{}", P::TABLE);
        let mut applied = preset.clone();
        table.apply(&mut applied).unwrap();
        assert_eq!(applied, preset, "{}", P::TABLE);
    }

    #[test]
    fn every_parameter_of_every_rule_crate_can_be_overridden() {
        every_field_round_trips::<RiskPoolPolicy>();
        every_field_round_trips::<AssistancePolicy>();
        every_field_round_trips::<SupplementaryPolicy>();
        every_field_round_trips::<SurplusPolicy>();
        every_field_round_trips::<medfund_contrib::EmployeePolicy>();
        every_field_round_trips::<medfund_insurer::SubsidyPolicy>();
    }

    #[test]
    fn a_table_sets_only_what_it_gives_on_the_preset_it_is_applied_to() {
        let table: PolicyTable<RiskPoolPolicy> =
            serde_json::from_value(serde_json::json!({"levy_rate": "8%"})).unwrap();
        let mut params = RiskPoolPolicy::template().unwrap();
        let before = params.clone();
        table.apply(&mut params).unwrap();
        assert_eq!(params.levy_rate.to_string(), "8%");
        assert_eq!(params.cap_multiple, before.cap_multiple);
        assert_eq!(params.rationing, before.rationing);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_where_they_are_written() {
        let e = scenario("[riskpool]\nyear = 2023\n[riskpool.policy]\nlevy_rate = \"8%\"\nbogus = 1\n").unwrap_err();
        assert_eq!((e.path.as_deref(), e.line, e.column), (Some("riskpool.policy.bogus"), Some(5), Some(1)));
        let e = scenario("[riskpool]\nyear = 2023\n[riskpool.policy]\nlevy_rate = \"x\"\n").unwrap_err();
        assert_eq!((e.path.as_deref(), e.line, e.column), (Some("riskpool.policy.levy_rate"), Some(4), Some(13)));
        // Validity belongs to the sections whose presets are dated by a contract.
        let e = scenario("[riskpool]\nyear = 2023\n[riskpool.policy]\nvalid_from = 2020\n").unwrap_err();
        assert_eq!(e.path.as_deref(), Some("riskpool.policy.valid_from"));
        let ok = scenario("[supplementary]\ninsured_persons = 1\n[supplementary.policy]\nvalid_to = 2030\n").unwrap();
        let table = ok.supplementary.unwrap().policy.unwrap();
        assert_eq!(table.valid_to, Some(DateOrYear::Year(2030)));
        assert!(table.given.is_empty());
    }

    #[test]
    fn the_rule_crate_checks_the_parameters_together_and_the_error_names_the_field() {
        let table: PolicyTable<SupplementaryPolicy> =
            serde_json::from_value(serde_json::json!({"insurer_cap": "-1"})).unwrap();
        let mut params = SupplementaryPolicy::template().unwrap();
        let e = table.apply(&mut params).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("supplementary.policy.insurer_cap"));
    }
}
