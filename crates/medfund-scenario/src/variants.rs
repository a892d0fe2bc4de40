//! Policy variants (§9): `compare` two scenarios figure by figure (the
//! sweep over field values is in `sweep`).

use medfund_core::Money;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ScenarioError, ScenarioResult};
use crate::render::{Cell, Table, columns};
use crate::report::{Report, SupplementaryReport};

/// One figure that differs.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Difference {
    /// The figure's path in the report (`riskpool.schemes.employee.levy`).
    pub path: String,
    /// In the base report (`null` if absent).
    pub base: Value,
    /// In the variant report (`null` if absent).
    pub variant: Value,
    /// variant − base for money (a two-decimal string) and numbers; `null` otherwise.
    pub difference: Value,
}

/// The comparison of two reports.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    /// The base scenario.
    pub base: String,
    /// The variant scenario.
    pub variant: String,
    /// Figures equal in both.
    pub identical: usize,
    /// Figures that differ, in report order.
    pub differences: Vec<Difference>,
}

pub(crate) fn as_money(v: &Value) -> Option<Money> {
    let s = v.as_str()?;
    let (int, frac) = s.split_once('.')?;
    (frac.len() == 2 && !int.is_empty() && int.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Yuan with two decimals from a number of fen that may exceed the `Money` range.
pub(crate) fn yuan_of_fen(fen: i128) -> String {
    let abs = fen.unsigned_abs();
    format!("{}{}.{:02}", if fen < 0 { "-" } else { "" }, abs / 100, abs % 100)
}

/// variant − base, exactly: money in `i128` fen (a difference of two
/// amounts always fits), integers in `i128`; `null` for other leaves.
fn difference(path: &str, base: &Value, variant: &Value) -> ScenarioResult<Value> {
    if let (Some(a), Some(b)) = (as_money(base), as_money(variant)) {
        let d = i128::from(b.fen()).checked_sub(i128::from(a.fen()));
        return Ok(Value::String(yuan_of_fen(d.expect("invariant: the difference of two i64 fits an i128"))));
    }
    if let (Some(a), Some(b)) = (as_integer(base), as_integer(variant)) {
        let d = b.checked_sub(a).expect("invariant: the difference of two integers of 64 bits fits an i128");
        return Ok(i64::try_from(d).map_or_else(|_| Value::String(d.to_string()), Value::from));
    }
    if let (Some(a), Some(b)) = (base.as_f64(), variant.as_f64()) {
        #[allow(clippy::float_arithmetic)]
        let d = b - a;
        return serde_json::Number::from_f64(d).map(Value::Number).ok_or_else(|| {
            ScenarioError::other(format!(
                "compare: {path}: the difference of {base} and {variant} is not a finite number"
            ))
        });
    }
    Ok(Value::Null)
}

/// A JSON integer of 64 bits, signed or not.
fn as_integer(v: &Value) -> Option<i128> {
    v.as_i64().map(i128::from).or_else(|| v.as_u64().map(i128::from))
}

/// Which report a leaf found in only one of them belongs to.
#[derive(Clone, Copy)]
enum Side {
    Base,
    Variant,
}

/// A leaf-by-leaf walk of two reports in step: nothing is flattened or
/// indexed, so memory stays with the two reports and the differences.
struct Walk {
    identical: usize,
    differences: Vec<Difference>,
}

impl Walk {
    fn push(&mut self, path: &str, base: Value, variant: Value, difference: Value) {
        self.differences.push(Difference { path: path.to_owned(), base, variant, difference });
    }

    /// Every leaf under `v`, present in one report only.
    fn one_side(&mut self, path: &mut String, v: &Value, side: Side) {
        match v {
            Value::Object(map) => {
                for (k, item) in map {
                    let len = enter_key(path, k);
                    self.one_side(path, item, side);
                    path.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = enter_index(path, i);
                    self.one_side(path, item, side);
                    path.truncate(len);
                }
            }
            leaf => match side {
                Side::Base => self.push(path, leaf.clone(), Value::Null, Value::Null),
                Side::Variant => self.push(path, Value::Null, leaf.clone(), Value::Null),
            },
        }
    }

    /// Compares `a` and `b` at `path`: tables by key (base order, then keys
    /// only the variant has), lists by position, leaves by value.
    fn walk(&mut self, path: &mut String, a: Option<&Value>, b: Option<&Value>) -> ScenarioResult<()> {
        match (a, b) {
            (Some(Value::Object(ma)), Some(Value::Object(mb))) => {
                for (k, va) in ma {
                    let len = enter_key(path, k);
                    self.walk(path, Some(va), mb.get(k))?;
                    path.truncate(len);
                }
                for (k, vb) in mb.iter().filter(|(k, _)| !ma.contains_key(*k)) {
                    let len = enter_key(path, k);
                    self.one_side(path, vb, Side::Variant);
                    path.truncate(len);
                }
            }
            (Some(Value::Array(la)), Some(Value::Array(lb))) => {
                for i in 0..la.len().max(lb.len()) {
                    let len = enter_index(path, i);
                    self.walk(path, la.get(i), lb.get(i))?;
                    path.truncate(len);
                }
            }
            (Some(va), Some(vb)) if !is_container(va) && !is_container(vb) => {
                if va == vb {
                    self.identical = self.identical.checked_add(1).expect("invariant: fewer than usize::MAX figures");
                } else {
                    let d = difference(path, va, vb)?;
                    self.push(path, va.clone(), vb.clone(), d);
                }
            }
            (a, b) => {
                if let Some(va) = a {
                    self.one_side(path, va, Side::Base);
                }
                if let Some(vb) = b {
                    self.one_side(path, vb, Side::Variant);
                }
            }
        }
        Ok(())
    }
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Object(_) | Value::Array(_))
}

fn enter_key(path: &mut String, key: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    len
}

fn enter_index(path: &mut String, i: usize) -> usize {
    let len = path.len();
    path.push_str(&format!("[{i}]"));
    len
}

fn json<T: Serialize>(value: &T) -> ScenarioResult<Value> {
    serde_json::to_value(value).map_err(|e| ScenarioError::other(format!("cannot read the report as JSON: {e}")))
}

/// Compares two reports figure by figure in report order (lists by
/// position). Each section is turned into JSON on its own, and the claims
/// of `[supplementary]` one by one, so that two reports of a million claims
/// are compared without a JSON copy of either.
pub(crate) fn compare(
    base_name: &str,
    base: &Report,
    variant_name: &str,
    variant: &Report,
) -> ScenarioResult<Comparison> {
    let mut walk = Walk { identical: 0, differences: Vec::new() };
    let mut path = String::new();
    let section = |r: &Report, key: &str| -> ScenarioResult<Option<Value>> {
        match key {
            "riskpool" => r.riskpool.as_ref().map(json).transpose(),
            "assistance" => r.assistance.as_ref().map(json).transpose(),
            "surplus" => r.surplus.as_ref().map(json).transpose(),
            _ => Ok(None),
        }
    };
    for key in ["riskpool", "assistance", "supplementary", "surplus"] {
        let len = enter_key(&mut path, key);
        if key == "supplementary" {
            compare_supplementary(&mut walk, &mut path, base.supplementary.as_ref(), variant.supplementary.as_ref())?;
        } else {
            walk.walk(&mut path, section(base, key)?.as_ref(), section(variant, key)?.as_ref())?;
        }
        path.truncate(len);
    }
    Ok(Comparison {
        base: base_name.into(),
        variant: variant_name.into(),
        identical: walk.identical,
        differences: walk.differences,
    })
}

/// `[supplementary]`: the policy, each claim on its own, then the years.
fn compare_supplementary(
    walk: &mut Walk,
    path: &mut String,
    a: Option<&SupplementaryReport>,
    b: Option<&SupplementaryReport>,
) -> ScenarioResult<()> {
    let (Some(a), Some(b)) = (a, b) else {
        return walk.walk(path, a.map(json).transpose()?.as_ref(), b.map(json).transpose()?.as_ref());
    };
    let len = enter_key(path, "policy");
    walk.walk(path, Some(&Value::String(a.policy.clone())), Some(&Value::String(b.policy.clone())))?;
    path.truncate(len);
    let len = enter_key(path, "claims");
    match (&a.claims, &b.claims) {
        (Some(ca), Some(cb)) => {
            for i in 0..ca.len().max(cb.len()) {
                let item = enter_index(path, i);
                let x = ca.get(i).map(json).transpose()?;
                let y = cb.get(i).map(json).transpose()?;
                walk.walk(path, x.as_ref(), y.as_ref())?;
                path.truncate(item);
            }
        }
        // Not inlined on one side (§5.3): the claims are compared as present or not.
        (x, y) => {
            walk.walk(path, x.as_ref().map(json).transpose()?.as_ref(), y.as_ref().map(json).transpose()?.as_ref())?
        }
    }
    path.truncate(len);
    let len = enter_key(path, "years");
    walk.walk(path, Some(&json(&a.years)?), Some(&json(&b.years)?))?;
    path.truncate(len);
    Ok(())
}

pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// The comparison as a table.
pub(crate) fn comparison_table(c: &Comparison) -> Table {
    Table {
        name: "compare".into(),
        title: (
            format!("方案对比：{} → {}（{} 项相同，{} 项不同）", c.base, c.variant, c.identical, c.differences.len()),
            format!(
                "Comparison: {} → {} ({} identical, {} differ)",
                c.base,
                c.variant,
                c.identical,
                c.differences.len()
            ),
        ),
        columns: columns([
            ("path", "数据项", "figure"),
            ("base", "基准", "base"),
            ("variant", "变体", "variant"),
            ("difference", "差额", "difference"),
        ]),
        rows: c
            .differences
            .iter()
            .map(|d| {
                let cell = |v: &Value| match as_money(v) {
                    Some(m) => Cell::Money(Some(m)),
                    None => Cell::Text(text(v)),
                };
                vec![Cell::Text(d.path.clone()), cell(&d.base), cell(&d.variant), cell(&d.difference)]
            })
            .collect(),
    }
}
