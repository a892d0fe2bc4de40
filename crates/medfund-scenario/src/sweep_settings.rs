//! The settings of a sweep (`--set PATH=V1,V2,…`, `--link a,b`) and the
//! combination each index of the cartesian order stands for.

use serde_json::Value;

use crate::error::{ScenarioError, ScenarioResult, codes};

/// One `--set PATH=V1,V2,…`.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The field path (`riskpool.policy.levy_rate`, `riskpool.units[0].revenue`).
    pub path: String,
    /// The values to try: the JSON value each sets (text from the command
    /// line reads as an integer or boolean where it is one, else as text;
    /// every money, rate and number field of the format also reads text).
    pub values: Vec<Value>,
    /// The settings of one link group take their values together, the
    /// *i*-th with the *i*-th ([`link_settings`]); `None` varies on its own.
    group: Option<usize>,
}

impl Setting {
    /// A setting of `path` to each of `values` in turn, as the service and
    /// the Python package give it (`{"riskpool.policy.levy_rate": ["8%", "10%"]}`).
    pub fn new(path: impl Into<String>, values: Vec<Value>) -> Setting {
        Setting { path: path.into(), values, group: None }
    }
}

/// Links the settings named by each of `links` (`--link a,b`, the
/// service's and Python's `link`): they vary
/// together — the first value of each, then the second of each, … — as one
/// dimension of the cartesian product, at the place of the first of them.
/// Every path must be a setting's, in one link at most, and the settings of
/// a link must have as many values each.
pub fn link_settings(settings: &mut [Setting], links: &[Vec<String>]) -> ScenarioResult<()> {
    for (g, paths) in links.iter().enumerate() {
        if paths.len() < 2 {
            return Err(ScenarioError::input(format!(
                "link {}: one path; expected two or more swept paths that vary together",
                paths.join(",")
            )));
        }
        let mut count = None;
        for path in paths {
            let s = settings.iter_mut().find(|s| &s.path == path).ok_or_else(|| {
                ScenarioError::input(format!(
                    "link {}: {path} is not swept; expected paths given values to sweep (--set, \"set\")",
                    paths.join(",")
                ))
            })?;
            if s.group.is_some() {
                return Err(ScenarioError::input(format!(
                    "link {}: {path} is linked twice; expected each path in one link at most",
                    paths.join(",")
                ))
                .with_code(codes::DUPLICATE));
            }
            match count {
                Some((first, n)) if n != s.values.len() => {
                    return Err(ScenarioError::input(format!(
                        "link {}: {path} has {} values and {first} has {n}; expected as many values for every linked path",
                        paths.join(","),
                        s.values.len()
                    )));
                }
                Some(_) => {}
                None => count = Some((path.as_str(), s.values.len())),
            }
            s.group = Some(g);
        }
    }
    Ok(())
}

/// True when `next`, the piece after `previous` in a comma-separated list,
/// reads as a group of thousands of it (`100,000`): three digits, then
/// nothing but a decimal part or a unit.
fn looks_like_thousands(previous: &str, next: &str) -> bool {
    let digits = next.bytes().take_while(u8::is_ascii_digit).count();
    previous.ends_with(|c: char| c.is_ascii_digit()) && digits == 3
}

impl std::str::FromStr for Setting {
    type Err = ScenarioError;
    /// `PATH=V1,V2,…`, or `PATH=V1;V2;…` / `PATH=V1|V2|…` for values that
    /// contain commas (`1,000,000.00`). A comma list whose pieces read as
    /// thousands groups (`100,000,000.00`) is refused as ambiguous.
    fn from_str(s: &str) -> ScenarioResult<Setting> {
        let (path, list) =
            s.split_once('=').ok_or_else(|| ScenarioError::input(format!("--set {s:?}: expected PATH=V1,V2,…")))?;
        let path = path.trim();
        let separator = match (list.contains(';'), list.contains('|')) {
            (true, true) => {
                return Err(ScenarioError::input(format!(
                    "--set {s:?}: the values mix ';' and '|'; expected one separator between values"
                )));
            }
            (true, false) => ';',
            (false, true) => '|',
            (false, false) => ',',
        };
        let values: Vec<String> = list.split(separator).map(|v| v.trim().to_owned()).collect();
        if path.is_empty() || values.iter().any(String::is_empty) {
            return Err(ScenarioError::input(format!(
                "--set {s:?}: expected PATH=V1,V2,… with a path and non-empty values"
            )));
        }
        if separator == ',' && values.windows(2).any(|w| matches!(w, [a, b] if looks_like_thousands(a, b))) {
            return Err(ScenarioError::input(format!(
                "--set {s:?}: ambiguous: the values {} read as one number with thousands separators; expected values separated by ';' or '|' when they contain commas (--set \"{path}={};…\"), or numbers without separators",
                values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", "),
                list.trim()
            )));
        }
        Ok(Setting::new(path, values.iter().map(|v| value_of(v)).collect()))
    }
}

/// A value from the command line: integers and booleans as such, the rest as text
/// (every money, rate and number field of the format also reads text).
fn value_of(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(text.to_owned()),
    }
}

/// One dimension of the cartesian product: a setting, or the settings of a
/// link group (which have `len` values each).
pub(crate) struct Dimension<'a> {
    settings: Vec<&'a Setting>,
    pub(crate) len: usize,
}

/// The dimensions of `settings`, in order: a link group at its first member.
pub(crate) fn dimensions(settings: &[Setting]) -> Vec<Dimension<'_>> {
    let mut out: Vec<Dimension<'_>> = Vec::new();
    for (k, s) in settings.iter().enumerate() {
        let joined = s.group.and_then(|g| settings.iter().take(k).position(|o| o.group == Some(g)));
        match joined {
            Some(first) => {
                let at = dimensions_before(settings, first);
                out.get_mut(at).expect("invariant: the group's first member made a dimension").settings.push(s);
            }
            None => out.push(Dimension { settings: vec![s], len: s.values.len() }),
        }
    }
    out
}

/// The number of dimensions made by the settings before `k` (the index of
/// the dimension setting `k` opens).
fn dimensions_before(settings: &[Setting], k: usize) -> usize {
    settings
        .iter()
        .take(k)
        .enumerate()
        .filter(|(j, s)| s.group.is_none_or(|g| !settings.iter().take(*j).any(|o| o.group == Some(g))))
        .count()
}

/// The values of combination `index`: mixed radix over the dimensions, the
/// last fastest; the settings of a link take the same position.
pub(crate) fn combination(settings: &[Setting], index: u64) -> Vec<(&str, &Value)> {
    let dims = dimensions(settings);
    let mut digits = vec![0_usize; dims.len()];
    let mut rest = index;
    for (d, digit) in dims.iter().zip(digits.iter_mut()).rev() {
        let len = u64::try_from(d.len).expect("invariant: a value list fits u64");
        *digit = usize::try_from(rest.checked_rem(len).expect("invariant: a setting has at least one value"))
            .expect("invariant: a digit below the list length fits usize");
        rest = rest.checked_div(len).expect("invariant: a setting has at least one value");
    }
    // In the settings' own order, so that rows list the values as --set gave them.
    let mut picked = Vec::with_capacity(settings.len());
    for s in settings {
        let (d, digit) = dims
            .iter()
            .zip(&digits)
            .find(|(d, _)| d.settings.iter().any(|m| std::ptr::eq(*m, s)))
            .expect("invariant: every setting is in one dimension");
        debug_assert_eq!(d.len, s.values.len(), "invariant: linked settings have as many values");
        let value = s.values.get(*digit).expect("invariant: linked settings have as many values (checked by link)");
        picked.push((s.path.as_str(), value));
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Vec<Setting> {
        let s = |p: &str, n: i64| Setting::new(p, (0..n).map(Value::from).collect());
        vec![s("a", 2), s("b", 3), s("c", 2), s("d", 3)]
    }

    #[test]
    fn linked_settings_take_the_same_position_as_one_dimension() {
        let mut s = settings();
        link_settings(&mut s, &[vec!["b".into(), "d".into()]]).unwrap();
        let dims = dimensions(&s);
        assert_eq!(dims.iter().map(|d| d.len).collect::<Vec<_>>(), [2, 3, 2]);
        // 2 × 3 × 2 combinations; b and d always equal, c fastest, a slowest.
        let all: Vec<Vec<i64>> =
            (0..12).map(|i| combination(&s, i).iter().map(|(_, v)| v.as_i64().unwrap()).collect()).collect();
        assert_eq!(all[0], [0, 0, 0, 0]);
        assert_eq!(all[1], [0, 0, 1, 0]);
        assert_eq!(all[2], [0, 1, 0, 1]);
        assert_eq!(all[11], [1, 2, 1, 2]);
        assert!(all.iter().all(|v| v[1] == v[3]));
        let mut distinct = all.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 12);
    }

    #[test]
    fn links_of_unknown_paths_unequal_lengths_or_twice_are_errors() {
        let mut s = settings();
        assert!(link_settings(&mut s, &[vec!["a".into(), "x".into()]]).is_err());
        assert!(link_settings(&mut settings(), &[vec!["a".into(), "b".into()]]).is_err());
        assert!(link_settings(&mut settings(), &[vec!["a".into()]]).is_err());
        let twice = [vec!["a".into(), "c".into()], vec!["c".into(), "a".into()]];
        assert!(link_settings(&mut settings(), &twice).is_err());
    }
}
