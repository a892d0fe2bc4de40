//! Fiscal and medical years, and the deadlines the rules are written in.

use core::fmt;
use core::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{CoreError, Result};

/// The month and day on which a fiscal year starts: January 1 for the
/// calendar (budget) year, July 1 for the Xiamen medical year
/// (厦门 基本医疗费用计算年度, X1).
///
/// February 29 is not allowed: a year must start on a day every year has.
///
/// ```
/// use medfund_core::YearStart;
/// let start: YearStart = "07-01".parse()?;
/// assert_eq!(start, YearStart::JULY_1);
/// assert_eq!(start.to_string(), "07-01");
/// # Ok::<(), medfund_core::CoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct YearStart {
    month: u32,
    day: u32,
}

impl Default for YearStart {
    fn default() -> Self {
        YearStart::JANUARY_1
    }
}

impl YearStart {
    /// January 1: the calendar year.
    pub const JANUARY_1: YearStart = YearStart { month: 1, day: 1 };
    /// July 1: the medical year of the Xiamen rules (X1).
    pub const JULY_1: YearStart = YearStart { month: 7, day: 1 };

    /// A start on `month`-`day`; errors if no non-leap year has that day.
    pub fn new(month: u32, day: u32) -> Result<YearStart> {
        // 2001 is not a leap year: a valid start exists in every year.
        if NaiveDate::from_ymd_opt(2001, month, day).is_none() {
            return Err(CoreError::InvalidDate {
                reason: format!(
                    "year start {month:02}-{day:02} is not a day of every year; expected MM-DD such as 01-01 or 07-01"
                ),
            });
        }
        Ok(YearStart { month, day })
    }

    /// The month (1–12).
    pub fn month(self) -> u32 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u32 {
        self.day
    }

    /// The fiscal year that contains `date`, labelled by the calendar year in
    /// which it starts.
    pub fn year_of(self, date: NaiveDate) -> FiscalYear {
        let before_start = (date.month(), date.day()) < (self.month, self.day);
        let label = if before_start { date.year().saturating_sub(1) } else { date.year() };
        FiscalYear { label, start: self }
    }

    /// The fiscal year with the given label.
    pub fn year(self, label: i32) -> FiscalYear {
        FiscalYear { label, start: self }
    }
}

impl FromStr for YearStart {
    type Err = CoreError;
    /// `"MM-DD"`, e.g. `"07-01"`.
    fn from_str(s: &str) -> Result<YearStart> {
        let bad =
            || CoreError::InvalidDate { reason: format!("year start {s:?} is not MM-DD; expected e.g. \"07-01\"") };
        let (m, d) = s.trim().split_once('-').ok_or_else(bad)?;
        if m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        YearStart::new(m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?)
    }
}

impl fmt::Display for YearStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl Serialize for YearStart {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearStart {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<YearStart, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One fiscal year: a label (the calendar year in which it starts) and its start day.
///
/// ```
/// use chrono::NaiveDate;
/// use medfund_core::YearStart;
/// let d = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
/// let y = YearStart::JULY_1.year_of(d);
/// assert_eq!(y.label(), 2023);
/// assert_eq!(y.first_day()?, NaiveDate::from_ymd_opt(2023, 7, 1).unwrap());
/// assert_eq!(y.last_day()?, NaiveDate::from_ymd_opt(2024, 6, 30).unwrap());
/// # Ok::<(), medfund_core::CoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FiscalYear {
    label: i32,
    start: YearStart,
}

impl PartialOrd for YearStart {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for YearStart {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (self.month, self.day).cmp(&(other.month, other.day))
    }
}

impl FiscalYear {
    /// The calendar year in which this fiscal year starts.
    pub fn label(self) -> i32 {
        self.label
    }

    /// The start convention.
    pub fn start(self) -> YearStart {
        self.start
    }

    /// The first day of the year.
    pub fn first_day(self) -> Result<NaiveDate> {
        NaiveDate::from_ymd_opt(self.label, self.start.month, self.start.day).ok_or_else(|| CoreError::InvalidDate {
            reason: format!("fiscal year {} is outside the supported calendar", self.label),
        })
    }

    /// The last day of the year (the day before the next year's first day).
    pub fn last_day(self) -> Result<NaiveDate> {
        let next = self.next()?.first_day()?;
        next.pred_opt().ok_or_else(|| CoreError::InvalidDate {
            reason: format!("fiscal year {} is outside the supported calendar", self.label),
        })
    }

    /// The following fiscal year.
    pub fn next(self) -> Result<FiscalYear> {
        let label = self
            .label
            .checked_add(1)
            .ok_or_else(|| CoreError::InvalidDate { reason: "fiscal year out of range".into() })?;
        Ok(FiscalYear { label, start: self.start })
    }

    /// True if `date` falls inside this year.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.start.year_of(date) == self
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == YearStart::JANUARY_1 {
            write!(f, "{}", self.label)
        } else {
            write!(f, "{}/{} (from {})", self.label, self.label.saturating_add(1), self.start)
        }
    }
}

fn out_of_calendar(what: &str) -> CoreError {
    CoreError::InvalidDate { reason: format!("{what} falls outside the supported calendar") }
}

/// The last day of `month` of `year` ("每年6月30日前" → `last_day_of_month(y, 6)`).
pub fn last_day_of_month(year: i32, month: u32) -> Result<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(|| CoreError::InvalidDate {
        reason: format!("{year}-{month:02} is not a month; expected a month 1–12"),
    })?;
    first.checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).ok_or_else(|| out_of_calendar("end of month"))
}

/// `date` plus `days` calendar days ("年度结算后20日内" → `add_days(settled, 20)`).
pub fn add_days(date: NaiveDate, days: i64) -> Result<NaiveDate> {
    let magnitude = Days::new(days.unsigned_abs());
    let moved = if days >= 0 { date.checked_add_days(magnitude) } else { date.checked_sub_days(magnitude) };
    moved.ok_or_else(|| out_of_calendar("date plus days"))
}

/// Day `day` of the month after `date`'s month, clamped to that month's last
/// day ("每月10日前上划上月征缴的费用", 阿署办发〔2020〕30号 第六条 →
/// `day_of_following_month(collected, 10)`).
pub fn day_of_following_month(date: NaiveDate, day: u32) -> Result<NaiveDate> {
    if day == 0 {
        return Err(CoreError::InvalidDate { reason: "day 0 of a month; expected 1–31".into() });
    }
    let first_next = date
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .ok_or_else(|| out_of_calendar("following month"))?;
    let last = last_day_of_month(first_next.year(), first_next.month())?;
    Ok(first_next.with_day(day.min(last.day())).unwrap_or(last))
}

/// The 10th of the month after `date` (R10 remittance deadline).
pub fn tenth_of_following_month(date: NaiveDate) -> Result<NaiveDate> {
    day_of_following_month(date, 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn calendar_and_medical_years() {
        assert_eq!(YearStart::JANUARY_1.year_of(d(2024, 12, 31)).label(), 2024);
        assert_eq!(YearStart::JULY_1.year_of(d(2024, 6, 30)).label(), 2023);
        assert_eq!(YearStart::JULY_1.year_of(d(2024, 7, 1)).label(), 2024);
        assert_eq!(YearStart::JANUARY_1.year(2024).last_day().unwrap(), d(2024, 12, 31));
        assert!(YearStart::JULY_1.year(2023).contains(d(2024, 2, 29)));
        assert_eq!(YearStart::JULY_1.year(2023).to_string(), "2023/2024 (from 07-01)");
    }

    #[test]
    fn year_of_agrees_with_month_and_day_around_every_start() {
        for (m, d) in [(1, 1), (2, 28), (3, 1), (7, 1), (12, 31)] {
            let start = YearStart::new(m, d).unwrap();
            for year in [2023, 2024] {
                let mut day = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
                while day.year() == year {
                    let want = if (day.month(), day.day()) < (m, d) { year - 1 } else { year };
                    assert_eq!(start.year_of(day).label(), want, "{day} with start {start}");
                    day = day.succ_opt().unwrap();
                }
            }
        }
    }

    #[test]
    fn year_start_validation() {
        assert!(YearStart::new(2, 29).is_err());
        assert!(YearStart::new(13, 1).is_err());
        assert!("7-1".parse::<YearStart>().is_err());
        assert!("ab-cd".parse::<YearStart>().is_err());
        assert_eq!("02-28".parse::<YearStart>().unwrap(), YearStart::new(2, 28).unwrap());
    }

    #[test]
    fn deadlines() {
        assert_eq!(last_day_of_month(2024, 2).unwrap(), d(2024, 2, 29));
        assert_eq!(last_day_of_month(2023, 6).unwrap(), d(2023, 6, 30));
        assert!(last_day_of_month(2023, 13).is_err());
        assert_eq!(add_days(d(2023, 6, 20), 20).unwrap(), d(2023, 7, 10));
        assert_eq!(add_days(d(2023, 1, 5), -10).unwrap(), d(2022, 12, 26));
        assert_eq!(tenth_of_following_month(d(2023, 12, 15)).unwrap(), d(2024, 1, 10));
        assert_eq!(day_of_following_month(d(2023, 1, 31), 31).unwrap(), d(2023, 2, 28));
        assert!(day_of_following_month(d(2023, 1, 31), 0).is_err());
        assert!(add_days(NaiveDate::MAX, 1).is_err());
    }
}
