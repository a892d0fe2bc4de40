//! C4, C9: when contributions fall due and the late fee on arrears — a
//! dated policy with two versions: the template's 2‰ per day and, from
//! 2011-07-01, 社会保险法 第八十六条's 0.05 % per day.

use chrono::{Datelike, Months};
use medfund_core::{
    Citation, Decimal, Money, NaiveDate, PolicyHistory, PolicyVersion, Rate, Rounding, Step, Trace, Validity,
};
use serde::{Deserialize, Serialize};

use crate::employee::CITY_TEMPLATE;
use crate::error::{ContribError, Result};

/// 第十五条: due by the 10th of the month (or of a period's first month); the first payment covers 3 months.
pub const DEADLINE_RULE: Citation = Citation::new(CITY_TEMPLATE, "第十五条");
/// 第十六条: a late fee of 2‰ per day on the arrears.
pub const TEMPLATE_LATE_FEE_RULE: Citation = Citation::new(CITY_TEMPLATE, "第十六条");
/// 社会保险法 第八十六条: 0.05 % (万分之五) per day from the day of arrears.
pub const LAW_LATE_FEE_RULE: Citation = Citation::new("中华人民共和国社会保险法", "第八十六条");

/// How often contributions are paid after the first payment (第十五条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Frequency {
    /// Every month.
    #[default]
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every six months.
    HalfYearly,
    /// Every twelve months.
    Yearly,
}

impl Frequency {
    fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::HalfYearly => 6,
            Frequency::Yearly => 12,
        }
    }
}

/// One payment period and its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Due {
    /// First day of the period's first month.
    pub from: NaiveDate,
    /// Months covered.
    pub months: u32,
    /// The due date: the 10th of the period's first month.
    pub due: NaiveDate,
}

/// The payment periods of an enrolment from `first_month` (any day of it)
/// for `months` months: the first payment covers `first_months` months
/// (第十五条: 3), then one period per `frequency`; each is due by the
/// `due_day` (10) of its first month. A last period shorter than the
/// frequency covers the months left.
///
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第十五条
///
/// ```
/// use medfund_contrib::{schedule, Frequency};
/// use medfund_core::{NaiveDate, Trace};
/// let s = schedule(NaiveDate::from_ymd_opt(2024, 3, 15).unwrap(), 12, 3, Frequency::Quarterly, 10, &mut Trace::off())?;
/// assert_eq!(s.len(), 4);
/// assert_eq!(s[0].due.to_string(), "2024-03-10");
/// assert_eq!((s[1].from.to_string(), s[1].months), ("2024-06-01".to_string(), 3));
/// # Ok::<(), medfund_contrib::ContribError>(())
/// ```
pub fn schedule(
    first_month: NaiveDate,
    months: u32,
    first_months: u32,
    frequency: Frequency,
    due_day: u32,
    trace: &mut Trace,
) -> Result<Vec<Due>> {
    let invalid = |field, value: String, expected| ContribError::InvalidPolicy { field, value, expected };
    if !(1..=28).contains(&due_day) {
        return Err(invalid("due_day", due_day.to_string(), "a day of the month from 1 to 28"));
    }
    if first_months == 0 {
        return Err(invalid("first_months", "0".into(), "at least one month"));
    }
    let start = first_month.with_day(1).expect("invariant: every month has a first day");
    let mut out = Vec::new();
    let mut done = 0_u32;
    while done < months {
        let length = if out.is_empty() { first_months } else { frequency.months() };
        let length = length.min(months.saturating_sub(done));
        let from = start.checked_add_months(Months::new(done)).ok_or_else(|| out_of_range(start, done))?;
        let due = from.with_day(due_day).expect("invariant: days 1–28 exist in every month");
        trace.record(|| {
            Step::new(
                format!("/contributions/schedule/{}/due", out.len()),
                DEADLINE_RULE,
                "due by the due day of the period's first month; the first payment covers first_months months, later ones one period each",
            )
            .zh("每期首月的缴费日前缴纳；首次缴纳覆盖首期月数，此后按缴费周期")
            .input("period_from", from)
            .input("months", length)
            .input("due_day", due_day)
            .result(due)
        });
        out.push(Due { from, months: length, due });
        done = done.checked_add(length).ok_or_else(|| out_of_range(start, done))?;
    }
    Ok(out)
}

fn out_of_range(start: NaiveDate, months: u32) -> ContribError {
    ContribError::Core(medfund_core::CoreError::InvalidDate { reason: format!("{start} + {months} months") })
}

/// One version of the late-fee rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LateFeePolicy {
    /// The fee per day of arrears, on the arrears.
    pub daily_rate: Rate,
}

/// Which days of an arrear count (the source does not say whether the due
/// date or the payment date is counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DayCount {
    /// From the first day after the due date to the payment date, both
    /// included: `payment − due` days (the default, the literal reading of
    /// "from the day of arrears": arrears begin the day after the due date).
    #[default]
    AfterDueThroughPayment,
    /// The due date and the payment date both counted: one day more.
    DueThroughPayment,
    /// Neither counted: one day less.
    AfterDueBeforePayment,
}

/// The id of the template's version.
pub const TEMPLATE_LATE_FEE: &str = "template-late-fee";
/// The id of the law's version.
pub const LAW_LATE_FEE: &str = "social-insurance-law-86";

/// The late-fee family: the template's 2‰ per day until 2011-06-30 (the
/// template is undated: no start), then 社会保险法 第八十六条's 0.05 % per
/// day from 2011-07-01 with no end.
///
/// ```
/// let h = medfund_contrib::late_fee_history()?;
/// let on = |s: &str| h.at(s.parse().unwrap()).unwrap().params().daily_rate.to_string();
/// assert_eq!((on("2010-01-01"), on("2011-07-01")), ("0.2%".to_string(), "0.05%".to_string()));
/// # Ok::<(), medfund_contrib::ContribError>(())
/// ```
pub fn late_fee_history() -> Result<PolicyHistory<LateFeePolicy>> {
    let law_from = NaiveDate::from_ymd_opt(2011, 7, 1).expect("invariant: a valid date");
    let template_to = NaiveDate::from_ymd_opt(2011, 6, 30).expect("invariant: a valid date");
    Ok(PolicyHistory::new(
        "late-fee",
        vec![
            PolicyVersion::new(
                TEMPLATE_LATE_FEE,
                "滞纳金（实施方案模板）",
                CITY_TEMPLATE,
                Validity::new(NaiveDate::MIN, Some(template_to))?,
                LateFeePolicy { daily_rate: Rate::per_mille(2) },
            ),
            PolicyVersion::new(
                LAW_LATE_FEE,
                "滞纳金（社会保险法第八十六条）",
                "中华人民共和国社会保险法",
                Validity::new(law_from, None)?,
                LateFeePolicy { daily_rate: Rate::from_decimal(Decimal::new(5, 4)) },
            ),
        ],
    )?)
}

/// Contributions not paid by their due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Arrear {
    /// The amount due.
    pub amount: Money,
    /// The due date.
    pub due: NaiveDate,
    /// When it was paid; `None`: not yet (the fee runs to the date of the computation).
    pub paid_on: Option<NaiveDate>,
}

/// The days of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct VersionDays {
    /// The version's id.
    pub policy: String,
    /// Its daily rate.
    pub daily_rate: Rate,
    /// Days counted under it.
    pub days: i64,
}

/// The late fee of one arrear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct LateFee {
    /// Days counted.
    pub days: i64,
    /// amount × Σ (daily rate × days), rounded once.
    pub fee: Money,
    /// The days under each version in force (oldest first; versions with no day left out).
    pub versions: Vec<VersionDays>,
}

/// The late fee of each arrear: `amount × Σ (daily rate × days)` over the
/// days counted by `day_count` (each day under the version in force that
/// day), computed exactly and rounded once by `rounding`. An arrear paid on
/// or before its due date has no fee; one not paid runs to `as_of`. A
/// counted day with no version in force is an error.
///
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第十六条
/// Rule: 中华人民共和国社会保险法 第八十六条
///
/// ```
/// use medfund_contrib::{late_fee_history, late_fees, Arrear, DayCount};
/// use medfund_core::{NaiveDate, Rounding, Trace};
/// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
/// let arrear = Arrear { amount: "10000".parse()?, due: d("2011-06-10"), paid_on: Some(d("2011-07-10")) };
/// let fees = late_fees(&late_fee_history()?, &[arrear], d("2011-12-31"), DayCount::default(), Rounding::default(), &mut Trace::off())?;
/// // 20 days at 2‰ (June 11–30) and 10 at 0.05 % (July 1–10): 10,000 × (0.04 + 0.005)
/// assert_eq!((fees[0].days, fees[0].fee.to_string()), (30, "450.00".to_string()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn late_fees(
    history: &PolicyHistory<LateFeePolicy>,
    arrears: &[Arrear],
    as_of: NaiveDate,
    day_count: DayCount,
    rounding: Rounding,
    trace: &mut Trace,
) -> Result<Vec<LateFee>> {
    arrears.iter().enumerate().map(|(i, a)| late_fee(history, i, a, as_of, day_count, rounding, trace)).collect()
}

fn late_fee(
    history: &PolicyHistory<LateFeePolicy>,
    index: usize,
    a: &Arrear,
    as_of: NaiveDate,
    day_count: DayCount,
    rounding: Rounding,
    trace: &mut Trace,
) -> Result<LateFee> {
    if a.amount.is_negative() {
        return Err(ContribError::InvalidInput {
            subject: "arrear",
            index,
            field: "amount",
            value: a.amount.to_string(),
            expected: "an amount of zero or more",
        });
    }
    let end = a.paid_on.unwrap_or(as_of);
    let day = chrono::Days::new(1);
    let (first, last) = match day_count {
        DayCount::AfterDueThroughPayment => (a.due.checked_add_days(day), Some(end)),
        DayCount::DueThroughPayment => (Some(a.due), Some(end)),
        DayCount::AfterDueBeforePayment => (a.due.checked_add_days(day), end.checked_sub_days(day)),
    };
    let mut versions = Vec::new();
    let mut sum = Decimal::ZERO;
    let mut days = 0_i64;
    // Paid on or before the due date: nothing is late.
    if let (true, Some(first), Some(last)) = (end > a.due, first, last) {
        for v in history.versions() {
            let from = first.max(v.validity().from());
            let to = v.validity().to().map_or(last, |t| t.min(last));
            if from > to {
                continue;
            }
            let n = to
                .signed_duration_since(from)
                .num_days()
                .checked_add(1)
                .expect("invariant: a span of dates in days fits i64");
            let rate = v.params().daily_rate;
            let part = rate.to_decimal().checked_mul(Decimal::from(n)).ok_or(overflow())?;
            sum = sum.checked_add(part).ok_or(overflow())?;
            days = days.checked_add(n).ok_or(overflow())?;
            versions.push(VersionDays { policy: v.id().to_owned(), daily_rate: rate, days: n });
        }
        let counted = last
            .signed_duration_since(first)
            .num_days()
            .checked_add(1)
            .expect("invariant: a span of dates in days fits i64")
            .max(0);
        if days != counted {
            // Some counted day falls under no version: name the first such day.
            let uncovered = first
                .iter_days()
                .take_while(|d| *d <= last)
                .find(|d| history.at(*d).is_err())
                .expect("invariant: versions do not overlap, so fewer days than counted leaves a day uncovered");
            return Err(ContribError::NotInForce {
                family: history.family().to_owned(),
                date: uncovered,
                window: history.versions().iter().map(|v| v.validity().to_string()).collect::<Vec<_>>().join(", "),
            });
        }
    }
    let fee = a.amount.mul_rate(Rate::from_decimal(sum), rounding)?;
    trace.record(|| {
        let rules: Vec<String> = versions.iter().map(|v| format!("{} × {} days", v.daily_rate, v.days)).collect();
        let rule =
            if versions.iter().any(|v| v.policy == LAW_LATE_FEE) { LAW_LATE_FEE_RULE } else { TEMPLATE_LATE_FEE_RULE };
        Step::new(
            format!("/contributions/late_fees/fees/{index}/fee"),
            rule,
            "arrears × Σ (daily rate × days counted under each version in force), rounded once",
        )
        .zh("欠缴金额 × Σ（各版本日滞纳金率 × 该版本下计算天数），一次四舍五入")
        .input("amount", a.amount)
        .input("due", a.due)
        .input("paid_on", a.paid_on.map_or_else(|| format!("unpaid as of {as_of}"), |d| d.to_string()))
        .input("days", rules.join(" + "))
        .result(fee)
    });
    Ok(LateFee { days, fee, versions })
}

fn overflow() -> ContribError {
    ContribError::Core(medfund_core::CoreError::Overflow { operation: "late-fee rate × days" })
}
