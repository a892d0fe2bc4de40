//! C1: resident financing tables — a per-capita amount per category of
//! resident, split into the person's part and subsidies by level of
//! government — and the totals of a headcount.

use medfund_core::{Citation, Money, NaiveDate, PolicyVersion, Step, Trace, Validity};
use serde::{Deserialize, Serialize};

use crate::error::{ContribError, Result};

/// The county template of 城镇居民 financing.
pub const COUNTY_TEMPLATE: &str = "县级城镇居民基本医疗保险实施方案（模板）";
/// C1: per-capita financing by category (the template numbers no article).
pub const FINANCING_RULE: Citation = Citation::new(COUNTY_TEMPLATE, "C1 筹资标准");
/// Qingdao's resident financing (2012-era essay of the seed collection).
pub const QINGDAO_RULE: Citation = Citation::new("青岛市城镇居民基本医疗保险实践（2012）", "筹资标准");

/// A level of government that subsidises residents' contributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Level {
    /// 中央财政.
    Central,
    /// 省（自治区）财政.
    Provincial,
    /// 地市/县区财政.
    Local,
    /// 财政, the level not stated by the source (Qingdao's 600 and 180).
    Unspecified,
}

impl Level {
    /// Every level, in report order.
    pub const ALL: [Level; 4] = [Level::Central, Level::Provincial, Level::Local, Level::Unspecified];

    /// The key used in files and reports.
    pub fn key(self) -> &'static str {
        match self {
            Level::Central => "central",
            Level::Provincial => "provincial",
            Level::Local => "local",
            Level::Unspecified => "unspecified",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Level::Central => "中央财政",
            Level::Provincial => "省级财政",
            Level::Local => "市县财政",
            Level::Unspecified => "财政（未分级）",
        }
    }
}

/// One level's subsidy per person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Subsidy {
    /// The level paying.
    pub level: Level,
    /// Yuan per person per year.
    pub amount: Money,
}

/// One category of resident and its per-capita financing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Key (`students-children`).
    pub id: String,
    /// Yuan per person per year.
    pub per_capita: Money,
    /// The person's part.
    pub personal: Money,
    /// Subsidies by level; with the personal part they make the per-capita amount.
    pub subsidies: Vec<Subsidy>,
    /// A level that pays the personal part in the person's stead (Qingdao:
    /// families on subsistence allowance or in hardship); `None`: the person pays it.
    #[serde(default)]
    pub personal_paid_by: Option<Level>,
}

/// A financing table: the categories of residents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FinancingTable {
    /// The categories, in report order.
    pub categories: Vec<Category>,
}

impl FinancingTable {
    /// Checks what the types cannot: amounts not negative, ids unique, and
    /// personal + Σ subsidies = per-capita amount in every category.
    pub fn validate(&self) -> Result<()> {
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.categories {
            if !seen.insert(c.id.as_str()) {
                return Err(ContribError::DuplicateCategory { category: c.id.clone() });
            }
            let amounts = std::iter::once(c.per_capita).chain(std::iter::once(c.personal));
            if let Some(bad) = amounts.chain(c.subsidies.iter().map(|s| s.amount)).find(|m| m.is_negative()) {
                return Err(ContribError::InvalidPolicy {
                    field: "categories",
                    value: format!("{}: {bad}", c.id),
                    expected: "amounts of zero or more",
                });
            }
            let subsidies = Money::checked_sum(c.subsidies.iter().map(|s| s.amount))?;
            if c.personal.checked_add(subsidies)? != c.per_capita {
                return Err(ContribError::PartsDoNotAddUp {
                    category: c.id.clone(),
                    per_capita: c.per_capita.to_string(),
                    personal: c.personal.to_string(),
                    subsidies: subsidies.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// The id of the county template preset.
pub const COUNTY_TEMPLATE_FINANCING: &str = "county-template-financing";
/// The id of the Qingdao preset.
pub const QINGDAO_2012: &str = "qingdao-2012";

fn yuan(n: i64) -> Money {
    Money::from_fen(n.checked_mul(100).expect("invariant: preset amounts are small"))
}

fn category(id: &str, per_capita: i64, personal: i64, subsidies: &[(Level, i64)], paid_by: Option<Level>) -> Category {
    Category {
        id: id.into(),
        per_capita: yuan(per_capita),
        personal: yuan(personal),
        subsidies: subsidies.iter().map(|&(level, amount)| Subsidy { level, amount: yuan(amount) }).collect(),
        personal_paid_by: paid_by,
    }
}

/// The county template (C1): students and children 60 = 20 + 40 (20
/// central, 20 provincial); other residents 160 = 120 + 40 (20 / 20);
/// hardship residents 160 = 60 + 100 (50 / 20 / 30 local); hardship students
/// and children 60 = 10 + 50 (25 / 20 / 5).
///
/// The template is undated: the version has no validity bound (a caller who
/// knows the period it applied in says so with [`PolicyVersion::with_validity`]).
///
/// ```
/// let t = medfund_contrib::county_template_financing()?;
/// assert_eq!(t.params().categories[2].per_capita.to_string(), "160.00");
/// # Ok::<(), medfund_contrib::ContribError>(())
/// ```
pub fn county_template_financing() -> Result<PolicyVersion<FinancingTable>> {
    use Level::{Central, Local, Provincial};
    let table = FinancingTable {
        categories: vec![
            category("students-children", 60, 20, &[(Central, 20), (Provincial, 20)], None),
            category("other-residents", 160, 120, &[(Central, 20), (Provincial, 20)], None),
            category("hardship-residents", 160, 60, &[(Central, 50), (Provincial, 20), (Local, 30)], None),
            category("hardship-students-children", 60, 10, &[(Central, 25), (Provincial, 20), (Local, 5)], None),
        ],
    };
    table.validate()?;
    Ok(PolicyVersion::new(
        COUNTY_TEMPLATE_FINANCING,
        "城镇居民基本医疗保险筹资标准（县级模板）",
        COUNTY_TEMPLATE,
        Validity::new(NaiveDate::MIN, None)?,
        table,
    ))
}

/// Qingdao (2012-era): elderly residents with urban hukou 900 = 300 personal
/// and 600 finance; other non-working residents 900 = 720 + 180; for families
/// on subsistence allowance or in hardship finance pays the personal part in
/// full (the `-hardship` categories). The essay does not say which level of
/// finance pays: [`Level::Unspecified`].
///
/// Dated 2012-01-01 (the essay's era) with no end; the numbers are the
/// essay's.
pub fn qingdao_2012() -> Result<PolicyVersion<FinancingTable>> {
    use Level::Unspecified;
    let table = FinancingTable {
        categories: vec![
            category("elderly-urban-hukou", 900, 300, &[(Unspecified, 600)], None),
            category("other-non-working", 900, 720, &[(Unspecified, 180)], None),
            category("elderly-urban-hukou-hardship", 900, 300, &[(Unspecified, 600)], Some(Unspecified)),
            category("other-non-working-hardship", 900, 720, &[(Unspecified, 180)], Some(Unspecified)),
        ],
    };
    table.validate()?;
    let from = NaiveDate::from_ymd_opt(2012, 1, 1).expect("invariant: a valid date");
    Ok(PolicyVersion::new(
        QINGDAO_2012,
        "青岛市城镇居民基本医疗保险筹资标准",
        "青岛市城镇居民基本医疗保险实践（2012）",
        Validity::new(from, None)?,
        table,
    ))
}

/// Persons of a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Headcount {
    /// The category's id.
    pub category: String,
    /// Persons.
    pub persons: u64,
}

/// What one category raises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CategoryTotal {
    /// The category.
    pub category: String,
    /// Persons.
    pub persons: u64,
    /// per_capita × persons.
    pub total: Money,
    /// What the persons pay themselves.
    pub paid_by_persons: Money,
    /// What each level pays (subsidies and, where it stands in, the personal part), levels in order.
    pub by_level: Vec<Subsidy>,
}

/// What a headcount raises: per category, per payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct FinancingTotals {
    /// Per category, in headcount order.
    pub categories: Vec<CategoryTotal>,
    /// Σ total.
    pub total: Money,
    /// Σ paid by persons.
    pub paid_by_persons: Money,
    /// Σ per level, levels in order (a level appears if it pays anything).
    pub by_level: Vec<Subsidy>,
}

/// The totals a headcount raises under a financing table: per category
/// `per_capita × persons`, what the persons pay and what each level pays;
/// exact (every amount is a whole number of fen times persons, summed with
/// overflow checks), so persons + levels = total in every category.
///
/// Rule: 县级城镇居民基本医疗保险实施方案（模板） C1 筹资标准
/// Rule: 青岛市城镇居民基本医疗保险实践（2012） 筹资标准
///
/// ```
/// use medfund_contrib::{county_template_financing, finance_residents, Headcount};
/// use medfund_core::Trace;
/// let table = county_template_financing()?;
/// let heads = [Headcount { category: "hardship-residents".into(), persons: 1_000 }];
/// let t = finance_residents(&table, &heads, &mut Trace::off())?;
/// assert_eq!(t.total.to_string(), "160000.00");
/// assert_eq!(t.paid_by_persons.to_string(), "60000.00");
/// assert_eq!(t.by_level[2].amount.to_string(), "30000.00"); // local
/// # Ok::<(), medfund_contrib::ContribError>(())
/// ```
pub fn finance_residents(
    version: &PolicyVersion<FinancingTable>,
    headcounts: &[Headcount],
    trace: &mut Trace,
) -> Result<FinancingTotals> {
    let table = version.params();
    table.validate()?;
    let rule = if version.id() == QINGDAO_2012 { QINGDAO_RULE } else { FINANCING_RULE };
    let mut sums = [Money::ZERO; Level::ALL.len()];
    let (mut total, mut paid_by_persons) = (Money::ZERO, Money::ZERO);
    let mut categories = Vec::with_capacity(headcounts.len());
    for (index, h) in headcounts.iter().enumerate() {
        let Some(c) = table.categories.iter().find(|c| c.id == h.category) else {
            let known: Vec<&str> = table.categories.iter().map(|c| c.id.as_str()).collect();
            return Err(ContribError::UnknownCategory { index, category: h.category.clone(), known: known.join(", ") });
        };
        let persons = i64::try_from(h.persons).map_err(|_| ContribError::InvalidInput {
            subject: "headcount",
            index,
            field: "persons",
            value: h.persons.to_string(),
            expected: "at most 9,223,372,036,854,775,807 persons",
        })?;
        let times = |m: Money| m.checked_mul_int(persons);
        let mut levels = [Money::ZERO; Level::ALL.len()];
        for s in &c.subsidies {
            add(&mut levels, s.level, times(s.amount)?)?;
        }
        let personal = times(c.personal)?;
        let persons_pay = match c.personal_paid_by {
            Some(level) => {
                add(&mut levels, level, personal)?;
                Money::ZERO
            }
            None => personal,
        };
        let category_total = times(c.per_capita)?;
        for (sum, part) in sums.iter_mut().zip(levels) {
            *sum = sum.checked_add(part)?;
        }
        total = total.checked_add(category_total)?;
        paid_by_persons = paid_by_persons.checked_add(persons_pay)?;
        trace.record(|| {
            Step::new(
                format!("/contributions/residents/categories/{index}/total"),
                rule.clone(),
                "per_capita × persons; the person's part and each level's subsidy likewise (the person's part to a level that pays it in the person's stead)",
            )
            .zh("人均筹资标准 × 人数；个人缴费与各级财政补助同样计算（由财政代缴的个人部分计入该级财政）")
            .input("category", &c.id)
            .input("persons", h.persons)
            .input("per_capita", c.per_capita)
            .input("personal", c.personal)
            .result(category_total)
        });
        categories.push(CategoryTotal {
            category: c.id.clone(),
            persons: h.persons,
            total: category_total,
            paid_by_persons: persons_pay,
            by_level: paying(levels),
        });
    }
    Ok(FinancingTotals { categories, total, paid_by_persons, by_level: paying(sums) })
}

fn add(levels: &mut [Money; Level::ALL.len()], level: Level, amount: Money) -> Result<()> {
    let at = Level::ALL.iter().position(|l| *l == level).expect("invariant: ALL lists every level");
    let slot = levels.get_mut(at).expect("invariant: one slot per level");
    *slot = slot.checked_add(amount)?;
    Ok(())
}

/// The levels that pay something, in order.
fn paying(levels: [Money; Level::ALL.len()]) -> Vec<Subsidy> {
    Level::ALL
        .iter()
        .zip(levels)
        .filter(|(_, m)| !m.is_zero())
        .map(|(&level, amount)| Subsidy { level, amount })
        .collect()
}
