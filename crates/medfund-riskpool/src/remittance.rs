//! R10: monthly remittance of collected premiums by the 10th of the following month.

use medfund_core::{Citation, NaiveDate, Step, Trace, tenth_of_following_month};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RiskPoolError};

/// 阿署办发〔2020〕30号 第六条: 每月10日前上划上月征缴的费用.
pub const ART06: Citation = Citation::new("阿署办发〔2020〕30号", "第六条");

/// One month's collection of a unit, and when (if ever) it was remitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Collection {
    /// The unit that collected.
    pub unit: String,
    /// Year of the collection month.
    pub year: i32,
    /// The collection month (1–12).
    pub month: u32,
    /// Date of the remittance to the league account, if made.
    #[serde(default)]
    pub remitted_on: Option<NaiveDate>,
}

/// Whether a remittance was on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum RemittanceStatus {
    /// Remitted on or before the due date.
    OnTime,
    /// Remitted after the due date.
    Late {
        /// Calendar days after the due date.
        days_late: i64,
    },
    /// Not remitted, and the due date has passed as of the check date.
    Overdue {
        /// Calendar days past the due date.
        days_overdue: i64,
    },
    /// Not remitted, and not yet due.
    NotYetDue,
}

/// The check of one collection month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct RemittanceCheck {
    /// The unit.
    pub unit: String,
    /// Year of the collection month.
    pub year: i32,
    /// The collection month.
    pub month: u32,
    /// The 10th of the following month.
    pub due: NaiveDate,
    /// When it was remitted, if it was.
    pub remitted_on: Option<NaiveDate>,
    /// The verdict.
    #[serde(flatten)]
    pub status: RemittanceStatus,
}

impl RemittanceCheck {
    /// True if the remittance is late or overdue.
    pub fn is_flagged(&self) -> bool {
        matches!(self.status, RemittanceStatus::Late { .. } | RemittanceStatus::Overdue { .. })
    }
}

/// Lists, for each collection month, the remittance due date (the 10th of the
/// following month) and flags late or overdue remittances as of `as_of`; each
/// check is a trace step.
///
/// Rule: 阿署办发〔2020〕30号 第六条
///
/// ```
/// use medfund_core::{NaiveDate, Trace};
/// use medfund_riskpool::{check_remittances, Collection, RemittanceStatus};
/// let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
/// let checks = check_remittances(
///     &[Collection { unit: "left-banner".into(), year: 2023, month: 12, remitted_on: Some(d(2024, 1, 12)) }],
///     d(2024, 2, 1),
///     &mut Trace::off(),
/// )?;
/// assert_eq!(checks[0].due, d(2024, 1, 10));
/// assert_eq!(checks[0].status, RemittanceStatus::Late { days_late: 2 });
/// # Ok::<(), medfund_riskpool::RiskPoolError>(())
/// ```
pub fn check_remittances(
    collections: &[Collection],
    as_of: NaiveDate,
    trace: &mut Trace,
) -> Result<Vec<RemittanceCheck>> {
    collections
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let first = NaiveDate::from_ymd_opt(c.year, c.month, 1).ok_or_else(|| RiskPoolError::InvalidMonth {
                unit: c.unit.clone(),
                year: c.year,
                month: c.month,
            })?;
            let due = tenth_of_following_month(first)?;
            let status = match c.remitted_on {
                Some(day) if day <= due => RemittanceStatus::OnTime,
                Some(day) => RemittanceStatus::Late { days_late: day.signed_duration_since(due).num_days() },
                None if as_of > due => {
                    RemittanceStatus::Overdue { days_overdue: as_of.signed_duration_since(due).num_days() }
                }
                None => RemittanceStatus::NotYetDue,
            };
            trace.record(|| {
                Step::new(
                    format!("/remittances/{i}/due"),
                    ART06,
                    "the 10th of the month after the collection month; remitted after it: late; not remitted by the date checked: overdue",
                ).zh("征收月次月10日前上解；逾期上解为迟缴，截至核查日未上解为欠缴")
                .input("unit", &c.unit)
                .input("collection_month", format!("{}-{:02}", c.year, c.month))
                .input("remitted_on", c.remitted_on.map_or_else(|| "null".to_owned(), |d| d.to_string()))
                .input("as_of", as_of)
                .result(format!("{due} ({status:?})"))
            });
            Ok(RemittanceCheck {
                unit: c.unit.clone(),
                year: c.year,
                month: c.month,
                due,
                remitted_on: c.remitted_on,
                status,
            })
        })
        .collect()
}
