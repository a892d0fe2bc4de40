//! C2, C3, C7, C8: employees' contributions — the base (the wage clamped to
//! [60 %, 300 %] of the city's average wage, or a rule of the employer
//! type), the personal and employer parts, and how they are booked to the
//! individual account and the pooling fund.

use medfund_core::{Citation, Money, Rate, Rounding, Share, Step, Trace};
use serde::{Deserialize, Serialize};

use crate::error::{ContribError, Result};

/// The city template of 城镇职工 contributions.
pub const CITY_TEMPLATE: &str = "市级城镇职工基本医疗保险实施方案（模板）";
/// C2: the personal contribution, 2 % of last year's wage; retirees pay none.
pub const PERSONAL_RULE: Citation = Citation::new(CITY_TEMPLATE, "C2 个人缴费");
/// C3: the base clamped to [60 %, 300 %] of last year's city average wage.
pub const BASE_RULE: Citation = Citation::new(CITY_TEMPLATE, "C3 缴费基数");
/// 第八条 second paragraph: employer types that contribute on the average wage.
pub const EMPLOYER_TYPE_RULE: Citation = Citation::new(CITY_TEMPLATE, "第八条");
/// 第九条: laid-off workers in re-employment centres.
pub const REEMPLOYMENT_RULE: Citation = Citation::new(CITY_TEMPLATE, "第九条");
/// 第二十一条: the individual account.
pub const ACCOUNT_RULE: Citation = Citation::new(CITY_TEMPLATE, "第二十一条");
/// 第二十二条: the pooling fund takes the rest.
pub const POOLING_RULE: Citation = Citation::new(CITY_TEMPLATE, "第二十二条");

/// How an employee's contribution base is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
#[repr(u8)]
pub enum BaseRule {
    /// The employee's wage of last year, clamped to [floor, ceiling] × W (C3).
    #[default]
    Wage,
    /// The average wage W itself: newly founded units, private firms,
    /// private non-enterprise units, Chinese staff of foreign-invested firms
    /// (第八条 second paragraph).
    AverageWage,
    /// Laid-off workers in re-employment centres: `reemployment_base` × W,
    /// at the sum of both rates (第九条).
    Reemployment,
    /// Retired: no contribution (C2); the account is credited from the
    /// pension (C8).
    Retired,
}

/// One band of age for the employer's share to the individual account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AgeBand {
    /// The band holds ages up to this one (inclusive); `None`: and above.
    pub up_to_age: Option<u32>,
    /// Share of the employer's contribution credited to the account; `None`:
    /// blank in the source, required for account figures.
    pub employer_share: Option<Share>,
}

/// The parameters of employees' contributions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EmployeePolicy {
    /// Personal rate on the base (C2: 2 %).
    pub personal_rate: Share,
    /// Employer rate on the base: the template leaves it to the 'national
    /// rule' (`None`); required for employer, account and pooling figures.
    #[serde(default)]
    pub employer_rate: Option<Share>,
    /// Lowest base as a share of W (C3: 60 %).
    pub base_floor: Share,
    /// Highest base as a multiple of W (C3: 300 %).
    pub base_ceiling: Rate,
    /// The base of re-employment centres as a share of W (第九条: 60 %).
    pub reemployment_base: Share,
    /// Age bands for the employer's share to accounts, ascending (第二十一条:
    /// ≤ 30, 31–45, ≥ 46; the shares are blank).
    pub account_bands: Vec<AgeBand>,
    /// Rate of a retiree's account credit on the pension (blank: required
    /// for retirees' account figures).
    #[serde(default)]
    pub retiree_account_rate: Option<Share>,
    /// The floor of a retiree's account base as a share of W (第二十一条:
    /// "the average wage as floor": 100 %).
    pub retiree_base_floor: Share,
    /// Rounding of every rate × amount (四舍五入).
    #[serde(default)]
    pub rounding: Rounding,
}

/// The id of the city template preset of employees' contributions.
pub const CITY_TEMPLATE_EMPLOYEES: &str = "city-template-employees";

/// [`EmployeePolicy::city_template`] as a preset. The template is undated:
/// the version has no validity bound.
pub fn city_template_employees() -> Result<medfund_core::PolicyVersion<EmployeePolicy>> {
    Ok(medfund_core::PolicyVersion::new(
        CITY_TEMPLATE_EMPLOYEES,
        "城镇职工基本医疗保险缴费（市级模板）",
        CITY_TEMPLATE,
        medfund_core::Validity::new(medfund_core::NaiveDate::MIN, None)?,
        EmployeePolicy::city_template(),
    ))
}

impl EmployeePolicy {
    /// The city template: 2 % personal, base in [60 %, 300 %] of W,
    /// re-employment base 60 % of W, bands ≤ 30, 31–45, ≥ 46 with blank
    /// shares, blank employer and retiree rates.
    pub fn city_template() -> EmployeePolicy {
        let share = |n| Share::percent(n).expect("invariant: a percentage within 0–100");
        EmployeePolicy {
            personal_rate: share(2),
            employer_rate: None,
            base_floor: share(60),
            base_ceiling: Rate::percent(300),
            reemployment_base: share(60),
            account_bands: vec![
                AgeBand { up_to_age: Some(30), employer_share: None },
                AgeBand { up_to_age: Some(45), employer_share: None },
                AgeBand { up_to_age: None, employer_share: None },
            ],
            retiree_account_rate: None,
            retiree_base_floor: share(100),
            rounding: Rounding::HalfAwayFromZero,
        }
    }

    /// Checks what the types cannot: a ceiling at or above the floor, bands
    /// ascending and ending open.
    pub fn validate(&self) -> Result<()> {
        if self.base_ceiling < self.base_floor.rate() {
            return Err(ContribError::InvalidPolicy {
                field: "base_ceiling",
                value: self.base_ceiling.to_string(),
                expected: "a multiple of W at or above base_floor",
            });
        }
        let ascending = self.account_bands.windows(2).all(
            |w| matches!(w, [a, b] if a.up_to_age.zip(b.up_to_age).is_none_or(|(x, y)| x < y) && a.up_to_age.is_some()),
        );
        if self.account_bands.last().is_none_or(|b| b.up_to_age.is_some()) || !ascending {
            return Err(ContribError::InvalidPolicy {
                field: "account_bands",
                value: format!("{} bands", self.account_bands.len()),
                expected: "bands in ascending order of up_to_age, the last open (up_to_age absent)",
            });
        }
        Ok(())
    }
}

/// One employee of a register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Employee {
    /// Id.
    pub id: String,
    /// How the base is set.
    #[serde(default)]
    pub base_rule: BaseRule,
    /// Last year's wage total (ignored by the average-wage, re-employment and retired rules).
    #[serde(default)]
    pub wage: Money,
    /// Year of birth: the age is taken on December 31 before the contribution year (第二十一条).
    pub birth_year: i32,
    /// A retiree's yearly pension.
    #[serde(default)]
    pub pension: Money,
}

/// One employee's year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct EmployeeContribution {
    /// The contribution base.
    pub base: Money,
    /// personal_rate × base (0 for retirees).
    pub personal: Money,
    /// employer_rate × base.
    pub employer: Money,
    /// The individual account's credit: the personal part + the employer's
    /// share of the age band (a retiree: retiree_account_rate × max(pension, floor × W)).
    pub to_account: Money,
    /// The pooling fund's: employer − its share to the account.
    pub to_pool: Money,
}

impl EmployeeContribution {
    /// The figures of many employees added up, field by field (overflow is an error).
    pub fn checked_sum<'a>(rows: impl IntoIterator<Item = &'a EmployeeContribution>) -> Result<EmployeeContribution> {
        rows.into_iter().try_fold(EmployeeContribution::default(), |t, r| {
            Ok(EmployeeContribution {
                base: t.base.checked_add(r.base)?,
                personal: t.personal.checked_add(r.personal)?,
                employer: t.employer.checked_add(r.employer)?,
                to_account: t.to_account.checked_add(r.to_account)?,
                to_pool: t.to_pool.checked_add(r.to_pool)?,
            })
        })
    }
}

/// Which figures a computation is asked for, so that a blank parameter is
/// an error only when a figure needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Figures {
    /// Bases and personal parts only (employer, account and pool figures are 0).
    Personal,
    /// Everything: needs `employer_rate`, every band's share and (with
    /// retirees) `retiree_account_rate`.
    #[default]
    All,
}

/// The policy with its amounts for one year's W, ready for the scalar and
/// the column paths alike.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) floor: Money,
    pub(crate) ceiling: Money,
    pub(crate) average: Money,
    pub(crate) reemployment: Money,
    pub(crate) retiree_floor: Money,
    pub(crate) personal_rate: Rate,
    pub(crate) employer_rate: Rate,
    /// `(up_to_age, share)` per band; the last band's `up_to_age` is `u32::MAX`.
    pub(crate) bands: Vec<(u32, Rate)>,
    /// `None`: blank; an error when a retiree's account figure is needed.
    pub(crate) retiree_rate: Option<Rate>,
    pub(crate) figures: Figures,
    pub(crate) rounding: Rounding,
    pub(crate) year: i32,
}

impl Prepared {
    pub(crate) fn new(policy: &EmployeePolicy, average_wage: Money, year: i32, figures: Figures) -> Result<Prepared> {
        policy.validate()?;
        if average_wage.is_negative() {
            return Err(ContribError::InvalidPolicy {
                field: "average_wage",
                value: average_wage.to_string(),
                expected: "last year's city average wage, zero or more",
            });
        }
        let all = figures == Figures::All;
        let need = |rate: Option<Share>, field, needed_for| match (rate, all) {
            (Some(r), _) => Ok(r.rate()),
            (None, false) => Ok(Rate::ZERO),
            (None, true) => Err(ContribError::MissingParameter { field, needed_for }),
        };
        let employer_rate = need(policy.employer_rate, "employer_rate", "employer, account and pooling figures")?;
        let bands = policy
            .account_bands
            .iter()
            .map(|b| {
                let share = need(b.employer_share, "account_bands.employer_share", "account and pooling figures")?;
                Ok((b.up_to_age.unwrap_or(u32::MAX), share))
            })
            .collect::<Result<Vec<_>>>()?;
        let r = policy.rounding;
        Ok(Prepared {
            floor: average_wage.mul_rate(policy.base_floor.rate(), r)?,
            ceiling: average_wage.mul_rate(policy.base_ceiling, r)?,
            average: average_wage,
            reemployment: average_wage.mul_rate(policy.reemployment_base.rate(), r)?,
            retiree_floor: average_wage.mul_rate(policy.retiree_base_floor.rate(), r)?,
            personal_rate: policy.personal_rate.rate(),
            employer_rate,
            bands,
            retiree_rate: policy.retiree_account_rate.map(Share::rate),
            figures,
            rounding: r,
            year,
        })
    }

    /// The age on December 31 before the year, checked: 0 to 150.
    pub(crate) fn age(&self, index: usize, birth_year: i32) -> Result<u32> {
        let age = self.year.checked_sub(1).and_then(|y| y.checked_sub(birth_year));
        age.and_then(|a| u32::try_from(a).ok()).filter(|&a| a <= 150).ok_or_else(|| ContribError::InvalidInput {
            subject: "employee",
            index,
            field: "birth_year",
            value: birth_year.to_string(),
            expected: "a year of birth before the contribution year, at most 150 years before it",
        })
    }

    /// The band of an age: the first whose `up_to_age` holds it.
    pub(crate) fn band(&self, age: u32) -> Rate {
        self.bands
            .iter()
            .find(|(up_to, _)| age <= *up_to)
            .map(|(_, share)| *share)
            .expect("invariant: the last band is open")
    }

    /// The base of one employee (C3, 第八条, 第九条); retirees have none.
    pub(crate) fn base(&self, index: usize, rule: BaseRule, wage: Money) -> Result<Money> {
        Ok(match rule {
            BaseRule::Wage => {
                if wage.is_negative() {
                    return Err(negative(index, "wage", wage));
                }
                wage.clamp(self.floor, self.ceiling)
            }
            BaseRule::AverageWage => self.average,
            BaseRule::Reemployment => self.reemployment,
            BaseRule::Retired => Money::ZERO,
        })
    }

    /// One employee's year, checked at every step.
    pub(crate) fn one(
        &self,
        index: usize,
        rule: BaseRule,
        wage: Money,
        birth_year: i32,
        pension: Money,
    ) -> Result<EmployeeContribution> {
        let r = self.rounding;
        let base = self.base(index, rule, wage)?;
        let all = self.figures == Figures::All;
        if rule == BaseRule::Retired {
            if pension.is_negative() {
                return Err(negative(index, "pension", pension));
            }
            if !all {
                return Ok(EmployeeContribution::default());
            }
            let rate = self.retiree_rate.ok_or(ContribError::MissingParameter {
                field: "retiree_account_rate",
                needed_for: "retirees' account figures",
            })?;
            let to_account = pension.max(self.retiree_floor).mul_rate(rate, r)?;
            return Ok(EmployeeContribution { to_account, ..EmployeeContribution::default() });
        }
        let personal = base.mul_rate(self.personal_rate, r)?;
        if !all {
            return Ok(EmployeeContribution { base, personal, ..EmployeeContribution::default() });
        }
        let employer = base.mul_rate(self.employer_rate, r)?;
        let share = self.band(self.age(index, birth_year)?);
        let employer_to_account = employer.mul_rate(share, r)?;
        Ok(EmployeeContribution {
            base,
            personal,
            employer,
            to_account: personal.checked_add(employer_to_account)?,
            to_pool: employer.checked_sub(employer_to_account)?,
        })
    }
}

fn negative(index: usize, field: &'static str, value: Money) -> ContribError {
    ContribError::InvalidInput {
        subject: "employee",
        index,
        field,
        value: value.to_string(),
        expected: "an amount of zero or more",
    }
}

/// Each employee's contributions in `year`, with last year's city average
/// wage `average_wage` (W): the base by the employee's rule (the wage
/// clamped to [floor, ceiling] × W; W; re-employment share × W; none for
/// retirees), the personal part (personal rate × base), the employer's
/// (employer rate × base), the individual account's credit (the personal
/// part + the employer's share of the employee's age band; a retiree's:
/// retiree rate × max(pension, floor × W)) and the pooling fund's (the rest
/// of the employer's part). Each figure is rounded once, per employee.
/// With [`Figures::Personal`] blank employer parameters are not needed.
///
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） C2 个人缴费
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） C3 缴费基数
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第八条
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第九条
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第二十一条
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） 第二十二条
///
/// ```
/// use medfund_contrib::{contribute, BaseRule, Employee, EmployeePolicy, Figures};
/// use medfund_core::{Money, Share, Trace};
/// let mut policy = EmployeePolicy::city_template();
/// policy.employer_rate = Some(Share::percent(6)?);
/// for band in &mut policy.account_bands {
///     band.employer_share = Some(Share::percent(30)?);
/// }
/// let w: Money = "60000".parse()?;
/// let rich = Employee { id: "a".into(), base_rule: BaseRule::Wage, wage: "250000".parse()?, birth_year: 1980, pension: Money::ZERO };
/// let c = contribute(&policy, w, 2024, &[rich], Figures::All, &mut Trace::off())?;
/// assert_eq!(c[0].base.to_string(), "180000.00"); // 300 % of W
/// assert_eq!(c[0].personal.to_string(), "3600.00");
/// assert_eq!(c[0].employer.to_string(), "10800.00");
/// assert_eq!(c[0].to_account.to_string(), "6840.00"); // 3,600 + 30 % of 10,800
/// assert_eq!(c[0].to_pool.to_string(), "7560.00");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn contribute(
    policy: &EmployeePolicy,
    average_wage: Money,
    year: i32,
    employees: &[Employee],
    figures: Figures,
    trace: &mut Trace,
) -> Result<Vec<EmployeeContribution>> {
    let prepared = Prepared::new(policy, average_wage, year, figures)?;
    employees
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let c = prepared.one(i, e.base_rule, e.wage, e.birth_year, e.pension)?;
            record(trace, &prepared, i, e, &c);
            Ok(c)
        })
        .collect()
}

fn record(trace: &mut Trace, p: &Prepared, i: usize, e: &Employee, c: &EmployeeContribution) {
    let path = |f: &str| format!("/contributions/employees/rows/{i}/{f}");
    let (rule, formula, zh) = match e.base_rule {
        BaseRule::Wage => (
            BASE_RULE,
            "last year's wage clamped to [floor × W, ceiling × W]",
            "上年工资总额，低于下限按下限、高于上限按上限",
        ),
        BaseRule::AverageWage => {
            (EMPLOYER_TYPE_RULE, "W, the city's average wage of last year", "上年度全市职工平均工资")
        }
        BaseRule::Reemployment => {
            (REEMPLOYMENT_RULE, "reemployment_base × W", "再就业服务中心：上年度平均工资 × 基数比例")
        }
        BaseRule::Retired => (PERSONAL_RULE, "retirees pay no contribution", "退休人员不缴费"),
    };
    trace.record(|| {
        Step::new(path("base"), rule, formula)
            .zh(zh)
            .input("id", &e.id)
            .input("wage", e.wage)
            .input("floor", p.floor)
            .input("ceiling", p.ceiling)
            .result(c.base)
    });
    trace.record(|| {
        Step::new(path("personal"), PERSONAL_RULE, "personal_rate × base, rounded to the fen")
            .zh("个人缴费比例 × 缴费基数，四舍五入到分")
            .input("personal_rate", p.personal_rate)
            .input("base", c.base)
            .result(c.personal)
    });
    if p.figures == Figures::All {
        trace.record(|| {
            Step::new(
                path("to_account"),
                ACCOUNT_RULE,
                "personal + the employer's part × the share of the age band (age on December 31 before the year); a retiree: retiree rate × max(pension, floor)",
            )
            .zh("个人缴费 + 单位缴费 × 年龄段划入比例（按上年12月31日年龄）；退休人员：划入比例 × max(养老金, 下限)")
            .input("birth_year", e.birth_year)
            .input("employer", c.employer)
            .input("personal", c.personal)
            .input("pension", e.pension)
            .result(c.to_account)
        });
        trace.record(|| {
            Step::new(path("to_pool"), POOLING_RULE, "employer − the employer's part credited to the account")
                .zh("单位缴费 − 划入个人账户部分")
                .input("employer", c.employer)
                .result(c.to_pool)
        });
    }
}
