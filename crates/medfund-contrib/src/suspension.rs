//! C6 (第十七条): a unit that does not pay has its members' pooled benefits
//! suspended from the next month; the costs of the suspension are the
//! unit's; after the back-payment, in the same fund year, the part of a
//! one-off cost above 3,000 yuan is not paid by the pool.

use chrono::{Datelike, Months};
use medfund_core::{Citation, Money, NaiveDate, Step, Trace, YearStart};
use serde::{Deserialize, Serialize};

use crate::employee::CITY_TEMPLATE;
use crate::error::{ContribError, Result};

/// 第十七条: suspension of pooled benefits for a unit in arrears.
pub const SUSPENSION_RULE: Citation = Citation::new(CITY_TEMPLATE, "第十七条");

/// What the 3,000-yuan limit applies to (the source says "一次性医疗费用";
/// open question: per claim or per day of care).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OneOffBasis {
    /// Each claim is one cost (default, the literal reading).
    #[default]
    PerClaim,
    /// A person's claims of one day together are one cost; the limit is
    /// used up in claim order.
    PerDay,
}

/// The parameters of C6.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SuspensionPolicy {
    /// Above this a one-off cost after back-payment is not paid by the pool (3,000).
    pub one_off_limit: Money,
    /// What the limit applies to.
    #[serde(default)]
    pub basis: OneOffBasis,
    /// First day of the fund year ("the same year"; January 1).
    pub year_start: YearStart,
}

impl Default for SuspensionPolicy {
    fn default() -> SuspensionPolicy {
        SuspensionPolicy {
            one_off_limit: Money::from_fen(300_000),
            basis: OneOffBasis::PerClaim,
            year_start: YearStart::JANUARY_1,
        }
    }
}

/// A contribution of the unit: when it was due, when it was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UnitPayment {
    /// The due date.
    pub due: NaiveDate,
    /// When it was paid; `None`: not paid.
    pub paid_on: Option<NaiveDate>,
}

/// A member's cost the pool would pay without a suspension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MemberClaim {
    /// The member.
    pub person: String,
    /// Date of the cost.
    pub date: NaiveDate,
    /// What the pool would pay.
    pub pool_share: Money,
}

/// Who pays a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ClaimOutcome {
    /// Paid by the pooling fund.
    pub pool_pays: Money,
    /// Borne by the unit (a cost during a suspension).
    pub unit_bears: Money,
    /// Not paid by the pool after a back-payment (above the one-off limit).
    pub refused: Money,
}

/// A window of suspension: from the first day of the month after the due
/// month to the day before the back-payment (open while unpaid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Suspension {
    /// First day suspended.
    pub from: NaiveDate,
    /// The back-payment date (benefits resume that day); `None`: still unpaid.
    pub back_paid_on: Option<NaiveDate>,
}

/// The suspensions a payment history causes: each payment made after its
/// due date (or not made) suspends benefits from the first day of the
/// month after the due month until its back-payment. A payment made late
/// but within its due month suspends nothing.
pub fn suspensions(payments: &[UnitPayment]) -> Result<Vec<Suspension>> {
    let mut out = Vec::new();
    for p in payments {
        let from = p.due.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).ok_or(ContribError::Core(
            medfund_core::CoreError::InvalidDate { reason: format!("the month after {}", p.due) },
        ))?;
        let late = p.paid_on.is_none_or(|paid| paid >= from);
        if late {
            out.push(Suspension { from, back_paid_on: p.paid_on });
        }
    }
    Ok(out)
}

/// What the pool pays, the unit bears and is refused for each claim of a
/// unit's members, given the unit's payment history: a claim dated in a
/// suspension is the unit's; one dated on or after a back-payment, in the
/// same fund year, has the part above `one_off_limit` refused (per claim, or
/// per person and day by [`OneOffBasis`]); any other is the pool's. The
/// parts of each claim sum to its `pool_share`, and the pool never pays more
/// than without the suspension.
///
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第十七条
///
/// ```
/// use medfund_contrib::{settle_suspended, MemberClaim, SuspensionPolicy, UnitPayment};
/// use medfund_core::{NaiveDate, Trace};
/// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
/// let payments = [UnitPayment { due: d("2024-03-10"), paid_on: Some(d("2024-05-20")) }];
/// let claim = |date: &str, amount: &str| MemberClaim { person: "p".into(), date: d(date), pool_share: amount.parse().unwrap() };
/// let claims = [claim("2024-03-15", "5000"), claim("2024-04-10", "5000"), claim("2024-06-01", "5000")];
/// let r = settle_suspended(&SuspensionPolicy::default(), &payments, &claims, &mut Trace::off())?;
/// assert_eq!(r[0].pool_pays.to_string(), "5000.00");  // before the suspension (from April 1)
/// assert_eq!(r[1].unit_bears.to_string(), "5000.00"); // suspended: the unit's
/// assert_eq!((r[2].pool_pays.to_string(), r[2].refused.to_string()), ("3000.00".into(), "2000.00".into()));
/// # Ok::<(), medfund_contrib::ContribError>(())
/// ```
pub fn settle_suspended(
    policy: &SuspensionPolicy,
    payments: &[UnitPayment],
    claims: &[MemberClaim],
    trace: &mut Trace,
) -> Result<Vec<ClaimOutcome>> {
    if policy.one_off_limit.is_negative() {
        return Err(ContribError::InvalidPolicy {
            field: "one_off_limit",
            value: policy.one_off_limit.to_string(),
            expected: "an amount of zero or more",
        });
    }
    let windows = suspensions(payments)?;
    // Room left under the limit per (person, day), for the per-day basis.
    let mut used: std::collections::HashMap<(&str, NaiveDate), Money> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(claims.len());
    for (i, c) in claims.iter().enumerate() {
        if c.pool_share.is_negative() {
            return Err(ContribError::InvalidInput {
                subject: "claim",
                index: i,
                field: "pool_share",
                value: c.pool_share.to_string(),
                expected: "an amount of zero or more",
            });
        }
        let suspended = windows.iter().any(|w| c.date >= w.from && w.back_paid_on.is_none_or(|b| c.date < b));
        let year = policy.year_start.year_of(c.date);
        let after_back_payment =
            windows.iter().any(|w| w.back_paid_on.is_some_and(|b| c.date >= b && year.contains(b)));
        let outcome = if suspended {
            ClaimOutcome { unit_bears: c.pool_share, ..ClaimOutcome::default() }
        } else if after_back_payment {
            let room = match policy.basis {
                OneOffBasis::PerClaim => policy.one_off_limit,
                OneOffBasis::PerDay => {
                    let spent = used.entry((c.person.as_str(), c.date)).or_insert(Money::ZERO);
                    let room = policy.one_off_limit.checked_sub(*spent)?.max(Money::ZERO);
                    *spent = spent.checked_add(c.pool_share.min(room))?;
                    room
                }
            };
            let pool_pays = c.pool_share.min(room);
            ClaimOutcome { pool_pays, refused: c.pool_share.checked_sub(pool_pays)?, ..ClaimOutcome::default() }
        } else {
            ClaimOutcome { pool_pays: c.pool_share, ..ClaimOutcome::default() }
        };
        trace.record(|| {
            let (formula, zh) = if suspended {
                ("dated in a suspension (from the month after a missed due date to the back-payment): the unit bears it", "处于暂停期（欠缴次月起至补缴之日）：由单位承担")
            } else if after_back_payment {
                ("after a back-payment in the same fund year: the pool pays up to one_off_limit, the rest is refused", "补缴后同一年度内：一次性费用超过限额部分统筹基金不予支付")
            } else {
                ("no suspension: the pool pays", "未暂停：统筹基金支付")
            };
            Step::new(format!("/contributions/suspension/claims/{i}"), SUSPENSION_RULE, formula)
                .zh(zh)
                .input("person", &c.person)
                .input("date", c.date)
                .input("pool_share", c.pool_share)
                .input("one_off_limit", policy.one_off_limit)
                .result(format!("pool {}; unit {}; refused {}", outcome.pool_pays, outcome.unit_bears, outcome.refused))
        });
        out.push(outcome);
    }
    Ok(out)
}
