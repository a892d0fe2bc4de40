//! Effective-dated policy versions.

use core::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// The days on which a policy version is in force, both ends inclusive;
/// `to = None` means "until replaced".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Validity {
    from: NaiveDate,
    to: Option<NaiveDate>,
}

impl Validity {
    /// In force from `from` to `to` inclusive (`None`: no end).
    pub fn new(from: NaiveDate, to: Option<NaiveDate>) -> Result<Validity> {
        if let Some(to) = to {
            if to < from {
                return Err(CoreError::EmptyWindow { id: String::new(), from, to });
            }
        }
        Ok(Validity { from, to })
    }

    /// First day in force.
    pub fn from(self) -> NaiveDate {
        self.from
    }

    /// Last day in force, if any.
    pub fn to(self) -> Option<NaiveDate> {
        self.to
    }

    /// True if the version is in force on `date`.
    pub fn contains(self, date: NaiveDate) -> bool {
        date >= self.from && self.to.is_none_or(|to| date <= to)
    }

    fn overlaps(self, other: Validity) -> bool {
        let self_before = self.to.is_some_and(|to| to < other.from);
        let other_before = other.to.is_some_and(|to| to < self.from);
        !self_before && !other_before
    }
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            Some(to) => write!(f, "{} to {}", self.from, to),
            None => write!(f, "from {} (no end)", self.from),
        }
    }
}

/// One version of a policy: its parameters and where they come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PolicyVersion<P> {
    id: String,
    title: String,
    document: String,
    validity: Validity,
    params: P,
}

impl<P> PolicyVersion<P> {
    /// A version with an id (`"alxa-2020"`), a title, its source document
    /// number (文号, `"阿署办发〔2020〕30号"`), its validity and its parameters.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        document: impl Into<String>,
        validity: Validity,
        params: P,
    ) -> PolicyVersion<P> {
        PolicyVersion { id: id.into(), title: title.into(), document: document.into(), validity, params }
    }

    /// The version id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The source document number (文号).
    pub fn document(&self) -> &str {
        &self.document
    }

    /// When it is in force.
    pub fn validity(&self) -> Validity {
        self.validity
    }

    /// Its parameters.
    pub fn params(&self) -> &P {
        &self.params
    }

    /// Its parameters, for overriding.
    pub fn params_mut(&mut self) -> &mut P {
        &mut self.params
    }

    /// The same version with other parameters (e.g. overridden fields).
    pub fn with_params<Q>(self, params: Q) -> PolicyVersion<Q> {
        PolicyVersion { id: self.id, title: self.title, document: self.document, validity: self.validity, params }
    }

    /// The same version with another validity (a researcher's override).
    pub fn with_validity(mut self, validity: Validity) -> PolicyVersion<P> {
        self.validity = validity;
        self
    }
}

/// Successive versions of one policy, none overlapping another.
///
/// ```
/// use chrono::NaiveDate;
/// use medfund_core::{PolicyHistory, PolicyVersion, Validity};
/// let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
/// let history = PolicyHistory::new("levy", vec![
///     PolicyVersion::new("v1", "first", "某文〔2020〕1号", Validity::new(d(2020, 1, 1), Some(d(2021, 12, 31)))?, 10_u32),
///     PolicyVersion::new("v2", "second", "某文〔2022〕2号", Validity::new(d(2022, 1, 1), None)?, 8_u32),
/// ])?;
/// assert_eq!(*history.at(d(2021, 6, 1))?.params(), 10);
/// assert_eq!(history.for_year(2030)?.id(), "v2");
/// assert!(history.at(d(2019, 1, 1)).is_err());
/// # Ok::<(), medfund_core::CoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyHistory<P> {
    family: String,
    versions: Vec<PolicyVersion<P>>,
}

impl<P> PolicyHistory<P> {
    /// Orders the versions by start date; overlapping windows are an error.
    pub fn new(family: impl Into<String>, mut versions: Vec<PolicyVersion<P>>) -> Result<PolicyHistory<P>> {
        versions.sort_by_key(|v| v.validity.from);
        for pair in versions.windows(2) {
            if let [a, b] = pair {
                if a.validity.overlaps(b.validity) {
                    return Err(CoreError::OverlappingVersions {
                        first: a.id.clone(),
                        first_window: a.validity.to_string(),
                        second: b.id.clone(),
                        second_window: b.validity.to_string(),
                    });
                }
            }
        }
        Ok(PolicyHistory { family: family.into(), versions })
    }

    /// The policy family's name.
    pub fn family(&self) -> &str {
        &self.family
    }

    /// All versions, oldest first.
    pub fn versions(&self) -> &[PolicyVersion<P>] {
        &self.versions
    }

    /// The version in force on `date`, or an error naming the date and the
    /// windows available.
    pub fn at(&self, date: NaiveDate) -> Result<&PolicyVersion<P>> {
        self.versions.iter().find(|v| v.validity.contains(date)).ok_or_else(|| CoreError::PolicyNotInForce {
            policy: self.family.clone(),
            date,
            windows: self.windows_text(),
        })
    }

    /// The version that governs calendar year `year`: the one in force on its
    /// last day (December 31), because annual figures are fixed at year end
    /// (决算). A version adopted mid-year therefore governs that whole year.
    pub fn for_year(&self, year: i32) -> Result<&PolicyVersion<P>> {
        let year_end = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| CoreError::InvalidDate {
            reason: format!("year {year} is outside the supported calendar"),
        })?;
        self.at(year_end)
    }

    fn windows_text(&self) -> String {
        if self.versions.is_empty() {
            return "none".into();
        }
        self.versions.iter().map(|v| format!("{} ({})", v.id, v.validity)).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn overlap_is_an_error() {
        let a = PolicyVersion::new("a", "A", "doc", Validity::new(d(2020, 1, 1), None).unwrap(), ());
        let b = PolicyVersion::new("b", "B", "doc", Validity::new(d(2022, 1, 1), None).unwrap(), ());
        let err = PolicyHistory::new("p", vec![b, a]).unwrap_err();
        assert!(matches!(err, CoreError::OverlappingVersions { .. }), "{err}");
        assert!(err.to_string().contains("\"a\""));
    }

    #[test]
    fn not_in_force_names_date_and_windows() {
        let a = PolicyVersion::new(
            "huizhou-2021",
            "H",
            "惠医保发〔2021〕96号",
            Validity::new(d(2022, 1, 1), Some(d(2026, 12, 31))).unwrap(),
            (),
        );
        let h = PolicyHistory::new("assistance", vec![a]).unwrap();
        let msg = h.for_year(2027).unwrap_err().to_string();
        assert!(msg.contains("2027-12-31") && msg.contains("2022-01-01 to 2026-12-31"), "{msg}");
        assert!(h.for_year(2026).is_ok());
        assert!(Validity::new(d(2022, 1, 2), Some(d(2022, 1, 1))).is_err());
        assert!(
            PolicyHistory::<()>::new("empty", vec![])
                .unwrap()
                .at(d(2020, 1, 1))
                .unwrap_err()
                .to_string()
                .contains("none")
        );
    }
}
