//! Xiamen practice (2007 essay, sections 一 and 三): contribution bases and
//! rates by category of insured person, the date from which pooled benefits
//! apply, and the one-off payment of missing contribution years at
//! retirement.

use chrono::Months;
use medfund_core::{Citation, Money, NaiveDate, Rounding, Share, Step, Trace};
use serde::{Deserialize, Serialize};

use crate::error::{ContribError, Result};

/// The essay.
pub const XIAMEN_PRACTICE: &str = "厦门市基本医疗保险实践（2007）";
/// Section 一: categories, bases, rates and waiting periods.
pub const XIAMEN_CATEGORY_RULE: Citation = Citation::new(XIAMEN_PRACTICE, "一");
/// Section 三: minimum contribution years at retirement.
pub const XIAMEN_RETIREMENT_RULE: Citation = Citation::new(XIAMEN_PRACTICE, "三");

/// A category of insured person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum XiamenCategory {
    /// Local employees: base W, 8 % employer + 2 % personal.
    LocalEmployee,
    /// Migrant workers (外来从业人员): base 60 % W, 4 % + 2 %; cover stops when payment stops.
    MigrantWorker,
    /// Urban self-employed: base W, 10 %; pooled benefits after the waiting period.
    SelfEmployed,
    /// Unemployed: base W (60 % W while drawing unemployment benefit), 10 %;
    /// a waiting period after first enrolment or a break longer than `break_months`.
    Unemployed,
}

/// Base and rates of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryRates {
    /// The base as a share of W.
    pub base: Share,
    /// Employer rate (0 where the person pays all).
    pub employer: Share,
    /// Personal rate.
    pub personal: Share,
    /// Months of contribution before pooled benefits apply (0: at once).
    pub waiting_months: u32,
}

/// The parameters of section 一 and 三.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct XiamenContributionPolicy {
    /// Local employees.
    pub local_employee: CategoryRates,
    /// Migrant workers.
    pub migrant_worker: CategoryRates,
    /// Urban self-employed.
    pub self_employed: CategoryRates,
    /// Unemployed.
    pub unemployed: CategoryRates,
    /// The unemployed's base while drawing unemployment benefit (60 % of W).
    pub unemployed_on_benefit_base: Share,
    /// A break longer than this restarts the unemployed's waiting period (3 months).
    pub break_months: u32,
    /// Retirements on or after this date need the minimum years (1998-07-01).
    pub minimum_years_from: NaiveDate,
    /// Minimum contribution years, men (30).
    pub minimum_years_men: u32,
    /// Minimum contribution years, women (25).
    pub minimum_years_women: u32,
    /// Rounding (四舍五入).
    #[serde(default)]
    pub rounding: Rounding,
}

impl XiamenContributionPolicy {
    /// The essay's numbers.
    pub fn xiamen_2007() -> XiamenContributionPolicy {
        let s = |n| Share::percent(n).expect("invariant: a percentage within 0–100");
        let rates = |base, employer, personal, waiting_months| CategoryRates {
            base: s(base),
            employer: s(employer),
            personal: s(personal),
            waiting_months,
        };
        XiamenContributionPolicy {
            local_employee: rates(100, 8, 2, 0),
            migrant_worker: rates(60, 4, 2, 0),
            self_employed: rates(100, 0, 10, 6),
            unemployed: rates(100, 0, 10, 6),
            unemployed_on_benefit_base: s(60),
            break_months: 3,
            minimum_years_from: NaiveDate::from_ymd_opt(1998, 7, 1).expect("invariant: a valid date"),
            minimum_years_men: 30,
            minimum_years_women: 25,
            rounding: Rounding::HalfAwayFromZero,
        }
    }

    fn rates(&self, category: XiamenCategory) -> CategoryRates {
        match category {
            XiamenCategory::LocalEmployee => self.local_employee,
            XiamenCategory::MigrantWorker => self.migrant_worker,
            XiamenCategory::SelfEmployed => self.self_employed,
            XiamenCategory::Unemployed => self.unemployed,
        }
    }
}

/// An insured person of section 一.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct XiamenMember {
    /// Id.
    pub id: String,
    /// Category.
    pub category: XiamenCategory,
    /// Drawing unemployment benefit (the unemployed only).
    #[serde(default)]
    pub on_unemployment_benefit: bool,
    /// First enrolment.
    pub first_enrolled: NaiveDate,
    /// The last break in contributions: the day payment stopped and the day
    /// it resumed (`None`: no break).
    #[serde(default)]
    pub last_break: Option<(NaiveDate, NaiveDate)>,
}

/// A member's year under section 一.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct XiamenContribution {
    /// The base (a share of W).
    pub base: Money,
    /// Employer part.
    pub employer: Money,
    /// Personal part.
    pub personal: Money,
    /// The first day pooled benefits apply.
    pub pooled_benefits_from: NaiveDate,
}

/// Each member's yearly contribution and the first day of pooled benefits,
/// W being last year's average wage: base = the category's share of W (the
/// unemployed's on-benefit share while drawing benefit), employer and
/// personal parts at the category's rates, each rounded once; pooled
/// benefits from first enrolment, plus the category's waiting months (the
/// self-employed and the unemployed), and for the unemployed restarted by a
/// break longer than `break_months` (from the resumption plus the waiting
/// months). **Reading:** "after N months" is N calendar months after the
/// date (same day of the month, or the month's last day).
///
/// Rule: 厦门市基本医疗保险实践（2007） 一
///
/// ```
/// use medfund_contrib::{xiamen_contributions, XiamenCategory, XiamenContributionPolicy, XiamenMember};
/// use medfund_core::{NaiveDate, Trace};
/// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
/// let member = XiamenMember {
///     id: "m".into(),
///     category: XiamenCategory::MigrantWorker,
///     on_unemployment_benefit: false,
///     first_enrolled: d("2007-03-01"),
///     last_break: None,
/// };
/// let c = xiamen_contributions(&XiamenContributionPolicy::xiamen_2007(), "24000".parse()?, &[member], &mut Trace::off())?;
/// assert_eq!((c[0].base.to_string(), c[0].employer.to_string(), c[0].personal.to_string()),
///            ("14400.00".into(), "576.00".into(), "288.00".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn xiamen_contributions(
    policy: &XiamenContributionPolicy,
    average_wage: Money,
    members: &[XiamenMember],
    trace: &mut Trace,
) -> Result<Vec<XiamenContribution>> {
    if average_wage.is_negative() {
        return Err(ContribError::InvalidPolicy {
            field: "average_wage",
            value: average_wage.to_string(),
            expected: "last year's city average wage, zero or more",
        });
    }
    let r = policy.rounding;
    members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let rates = policy.rates(m.category);
            let share = if m.category == XiamenCategory::Unemployed && m.on_unemployment_benefit {
                policy.unemployed_on_benefit_base
            } else {
                rates.base
            };
            let base = average_wage.mul_rate(share.rate(), r)?;
            let after = |date: NaiveDate| {
                date.checked_add_months(Months::new(rates.waiting_months)).ok_or_else(|| bad_date(i, date))
            };
            let mut from = after(m.first_enrolled)?;
            if m.category == XiamenCategory::Unemployed {
                if let Some((stopped, resumed)) = m.last_break {
                    if resumed < stopped {
                        return Err(ContribError::InvalidInput {
                            subject: "member",
                            index: i,
                            field: "last_break",
                            value: format!("{stopped} to {resumed}"),
                            expected: "a break that resumes after it stops",
                        });
                    }
                    let limit = stopped.checked_add_months(Months::new(policy.break_months)).ok_or_else(|| bad_date(i, stopped))?;
                    if resumed > limit {
                        from = from.max(after(resumed)?);
                    }
                }
            }
            let c = XiamenContribution {
                base,
                employer: base.mul_rate(rates.employer.rate(), r)?,
                personal: base.mul_rate(rates.personal.rate(), r)?,
                pooled_benefits_from: from,
            };
            trace.record(|| {
                Step::new(
                    format!("/contributions/xiamen/{i}"),
                    XIAMEN_CATEGORY_RULE,
                    "base = the category's share of W; employer and personal parts at its rates; pooled benefits after its waiting months (restarted by a break longer than break_months for the unemployed)",
                )
                .zh("缴费基数 = 上年度平均工资 × 该类人员基数比例；单位、个人按其费率缴纳；统筹待遇自等待期满起（失业人员中断超过规定月数重新计算）")
                .input("id", &m.id)
                .input("average_wage", average_wage)
                .input("base_share", share)
                .result(format!("base {}; employer {}; personal {}; pooled from {}", c.base, c.employer, c.personal, c.pooled_benefits_from))
            });
            Ok(c)
        })
        .collect()
}

fn bad_date(index: usize, date: NaiveDate) -> ContribError {
    ContribError::InvalidInput {
        subject: "member",
        index,
        field: "dates",
        value: date.to_string(),
        expected: "dates within the supported calendar",
    }
}

/// Sex, for the minimum contribution years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Sex {
    /// Men: 30 years.
    Male,
    /// Women: 25 years.
    Female,
}

/// A person retiring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// Id.
    pub id: String,
    /// Sex.
    pub sex: Sex,
    /// Date of retirement.
    pub retired_on: NaiveDate,
    /// Months of contribution at retirement.
    pub contribution_months: u32,
}

/// The one-off payment at retirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct MissingYears {
    /// Months missing to the minimum (0 when none).
    pub missing_months: u32,
    /// W × local base share × (employer + personal rate) × missing months ÷ 12, rounded once.
    pub payment: Money,
}

/// The one-off payment of the contribution years missing at retirement
/// (section 三): a person retiring on or after `minimum_years_from` with
/// fewer than the minimum years (30 men, 25 women) pays the missing months
/// at both rates of a local employee, on the local employee's base (W):
/// `W × base × (employer + personal) × months ÷ 12`, rounded once.
/// **Reading:** the missing time is counted in months; "after 1998-07-01"
/// includes that day (the day the rule took effect).
///
/// Rule: 厦门市基本医疗保险实践（2007） 三
///
/// ```
/// use medfund_contrib::{missing_years, Retirement, Sex, XiamenContributionPolicy};
/// use medfund_core::{NaiveDate, Trace};
/// let p = Retirement { id: "r".into(), sex: Sex::Female, retired_on: "2006-05-01".parse()?, contribution_months: 20 * 12 };
/// let m = missing_years(&XiamenContributionPolicy::xiamen_2007(), "24000".parse()?, &[p], &mut Trace::off())?;
/// assert_eq!((m[0].missing_months, m[0].payment.to_string()), (60, "12000.00".into())); // 5 years × 10 % of 24,000
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn missing_years(
    policy: &XiamenContributionPolicy,
    average_wage: Money,
    retirements: &[Retirement],
    trace: &mut Trace,
) -> Result<Vec<MissingYears>> {
    let local = policy.local_employee;
    let (bn, bd) = ratio(local.base)?;
    let (en, ed) = ratio(local.employer)?;
    let (pn, pd) = ratio(local.personal)?;
    retirements
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let years = match r.sex {
                Sex::Male => policy.minimum_years_men,
                Sex::Female => policy.minimum_years_women,
            };
            let required = years.checked_mul(12).ok_or(overflow())?;
            // Nothing is missing before the rule's date or at or above the minimum.
            let missing = match required.checked_sub(r.contribution_months) {
                Some(m) if r.retired_on >= policy.minimum_years_from => m,
                _ => 0,
            };
            // W × b × (e + p) × months / 12 as one ratio: (bn/bd) × (en·pd + pn·ed)/(ed·pd) × m/12.
            let rate_num = en.checked_mul(pd).and_then(|a| pn.checked_mul(ed).and_then(|b| a.checked_add(b))).ok_or(overflow())?;
            let num = bn.checked_mul(rate_num).and_then(|x| x.checked_mul(i128::from(missing))).ok_or(overflow())?;
            let den = bd.checked_mul(ed).and_then(|x| x.checked_mul(pd)).and_then(|x| x.checked_mul(12)).ok_or(overflow())?;
            let payment = average_wage.mul_ratio(num, den, policy.rounding)?;
            trace.record(|| {
                Step::new(
                    format!("/contributions/retirements/{i}/payment"),
                    XIAMEN_RETIREMENT_RULE,
                    "retiring on or after minimum_years_from with fewer than the minimum years: W × base × (employer + personal rate) × missing months ÷ 12, rounded once",
                )
                .zh("在规定日期后退休、缴费年限不足者：上年度平均工资 × 基数比例 × (单位 + 个人费率) × 不足月数 ÷ 12，一次性缴清")
                .input("id", &r.id)
                .input("retired_on", r.retired_on)
                .input("contribution_months", r.contribution_months)
                .input("required_months", required)
                .result(payment)
            });
            Ok(MissingYears { missing_months: missing, payment })
        })
        .collect()
}

fn ratio(share: Share) -> Result<(i128, i128)> {
    share.rate().as_i128_ratio().ok_or(overflow())
}

fn overflow() -> ContribError {
    ContribError::Core(medfund_core::CoreError::Overflow { operation: "missing years payment" })
}
