//! Allocation policy parameters and the `framework-2025` preset.

use medfund_core::{Citation, NaiveDate, PolicyVersion, Quantity, Rate, Rounding, Share, Validity};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SurplusError};

const DOC: &str = "医保结余留用资金分配方案（2025）";
/// S1–S3: earmark, primary-level floor, performance remainder.
pub const ART_SHARES: Citation = Citation::new(DOC, "2. 分配比例");
/// S4: performance factors.
pub const ART_PERFORMANCE: Citation = Citation::new(DOC, "4. 绩效考核");
/// S5: allowed uses (专款专用).
pub const ART_USES: Citation = Citation::new(DOC, "3. 使用范围");

/// The six allowed use categories of S5.
pub const ALLOWED_CATEGORIES: [&str; 6] =
    ["weak-specialty", "external-experts", "training", "capability", "equipment", "chronic-care"];

/// The six use categories of S5 with their names in the source, which a
/// spending line may use instead of the id (`医疗设备添置` = `equipment`).
pub const CATEGORY_NAMES: [(&str, &str); 6] = [
    ("weak-specialty", "薄弱专科建设"),
    ("external-experts", "外请专家补助"),
    ("training", "政策宣传与培训"),
    ("capability", "医疗服务能力提升"),
    ("equipment", "医疗设备添置"),
    ("chronic-care", "慢病管理"),
];

/// The id of a category: the framework id for one of the source's Chinese
/// names, else the name itself.
pub fn canonical_category(name: &str) -> &str {
    CATEGORY_NAMES.iter().find(|(_, zh)| *zh == name).map_or(name, |(id, _)| id)
}

/// Where a spending line's category stands against a policy (S5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CategoryStatus<'a> {
    /// An allowed use, by its id.
    Allowed(&'a str),
    /// A known use that is not allowed (a framework category the policy
    /// does not allow, or one of its `other_categories`): a violation.
    NotAllowed(&'a str),
    /// Neither: a typo or an undeclared use, which is an input error.
    Unknown,
}

/// A fixed share of the surplus set aside for a named project (S1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Earmark {
    /// The project (医康养结合).
    pub name: String,
    /// Its share.
    pub rate: Share,
}

/// How the primary-level pool is split among primary institutions (the source
/// gives no rule: an open question).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FloorSplit {
    /// By composite weight of score and workload among primary institutions (default).
    #[default]
    Composite,
    /// By workload.
    Workload,
    /// In equal parts.
    Equal,
}

/// What an earmark's rate applies to (open question of the source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EarmarkBase {
    /// The whole surplus — the literal reading ("2%的资金") and the default.
    #[default]
    Total,
    /// The surplus left after the primary floor.
    AfterPrimaryFloor,
}

/// The weights of the composite performance measure (S4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Weight of the chronic-care score (`w_c`).
    #[serde(alias = "w_c")]
    pub chronic_care: Rate,
    /// Weight of the workload (`w_w`).
    #[serde(alias = "w_w")]
    pub workload: Rate,
}

/// The parameters of a surplus allocation. Every field of a preset can be overridden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SurplusPolicy {
    /// Earmarks taken before anything is split (S1).
    pub earmarks: Vec<Earmark>,
    /// Share of the surplus that goes to primary institutions (S2: ≥ 30 %).
    pub primary_floor: Share,
    /// How the primary pool is split.
    #[serde(default)]
    pub floor_split: FloorSplit,
    /// Composite weights.
    pub weights: Weights,
    /// Minimum chronic-care score to share in the performance pool (0–100; none by default).
    #[serde(default)]
    pub min_score: Quantity,
    /// What earmark rates apply to.
    #[serde(default)]
    pub earmark_base: EarmarkBase,
    /// Whether primary institutions also share in the performance pool (default: yes).
    #[serde(default = "yes")]
    pub performance_includes_primary: bool,
    /// The allowed use categories (S5).
    #[serde(default = "default_categories")]
    pub allowed_categories: Vec<String>,
    /// Other known uses, outside the allowed ones (e.g. `staff-bonus`):
    /// spending in them is reported as a `category-not-allowed` violation.
    /// A category that is in neither list nor among the framework's six is
    /// an input error, so that a typo never becomes a violation.
    #[serde(default)]
    pub other_categories: Vec<String>,
    /// Rounding of money × rate (四舍五入).
    #[serde(default)]
    pub rounding: Rounding,
}

fn yes() -> bool {
    true
}

fn default_categories() -> Vec<String> {
    ALLOWED_CATEGORIES.iter().map(|&c| c.to_owned()).collect()
}

impl SurplusPolicy {
    /// Where `category` (an id, or one of the source's Chinese names) stands:
    /// allowed, known but not allowed, or unknown.
    ///
    /// Rule: 医保结余留用资金分配方案（2025） 3. 使用范围
    pub fn category_status<'a>(&'a self, category: &'a str) -> CategoryStatus<'a> {
        let id = canonical_category(category);
        let declared = |list: &'a [String]| list.iter().map(|c| canonical_category(c)).find(|c| *c == id);
        if let Some(id) = declared(&self.allowed_categories) {
            CategoryStatus::Allowed(id)
        } else if let Some(id) = declared(&self.other_categories) {
            CategoryStatus::NotAllowed(id)
        } else if CATEGORY_NAMES.iter().any(|(known, _)| *known == id) {
            CategoryStatus::NotAllowed(id)
        } else {
            CategoryStatus::Unknown
        }
    }

    /// Every category a spending line may name: the framework's six, the
    /// allowed and the other categories, in that order, without repeats.
    pub fn known_categories(&self) -> Vec<String> {
        let mut known: Vec<String> = Vec::new();
        let all = CATEGORY_NAMES
            .iter()
            .map(|(id, _)| *id)
            .chain(self.allowed_categories.iter().chain(&self.other_categories).map(|c| canonical_category(c)));
        for id in all {
            if !known.iter().any(|k| k == id) {
                known.push(id.to_owned());
            }
        }
        known
    }

    /// Checks what the types cannot: earmarks + floor ≤ 100 %, weights not
    /// negative, minimum score within 0–100.
    pub fn validate(&self) -> Result<()> {
        let earmarks = self
            .earmarks
            .iter()
            .try_fold(rust_decimal::Decimal::ZERO, |acc, e| acc.checked_add(e.rate.rate().to_decimal()));
        let floor = self.primary_floor.rate().to_decimal();
        let sum = earmarks.and_then(|e| e.checked_add(floor));
        if sum.is_none_or(|s| s > rust_decimal::Decimal::ONE) {
            let text = |d: Option<rust_decimal::Decimal>| {
                d.map_or_else(|| "overflow".into(), |d| Rate::from_decimal(d).to_string())
            };
            return Err(SurplusError::OverCommitted {
                earmarks: text(earmarks),
                floor: self.primary_floor.to_string(),
                sum: text(sum),
            });
        }
        for (field, w) in
            [("weights.chronic_care", self.weights.chronic_care), ("weights.workload", self.weights.workload)]
        {
            if w.is_negative() {
                return Err(SurplusError::OutOfRange {
                    subject: "policy".into(),
                    field,
                    value: w.to_string(),
                    expected: "a weight of zero or more",
                });
            }
        }
        check_score("policy", "min_score", self.min_score)?;
        Ok(())
    }
}

pub(crate) fn check_score(subject: &str, field: &'static str, score: Quantity) -> Result<()> {
    if score.is_negative() || score.value() > rust_decimal::Decimal::ONE_HUNDRED {
        return Err(SurplusError::OutOfRange {
            subject: subject.into(),
            field,
            value: score.to_string(),
            expected: "a score from 0 to 100",
        });
    }
    Ok(())
}

/// The id of the framework preset.
pub const FRAMEWORK_2025: &str = "framework-2025";

/// The 2025 generic framework: earmark 医康养结合 2 % of the whole surplus,
/// primary floor 30 % split by composite weight, performance pool by composite
/// weight (chronic-care score 0.5, workload 0.5) among all institutions, no
/// minimum score.
///
/// ```
/// let p = medfund_surplus::framework_2025()?;
/// assert_eq!(p.params().primary_floor.to_string(), "30%");
/// assert_eq!(p.params().earmarks[0].name, "医康养结合");
/// # Ok::<(), medfund_surplus::SurplusError>(())
/// ```
pub fn framework_2025() -> Result<PolicyVersion<SurplusPolicy>> {
    let from = NaiveDate::from_ymd_opt(2025, 1, 1)
        .ok_or(medfund_core::CoreError::InvalidDate { reason: "2025-01-01".into() })?;
    Ok(PolicyVersion::new(
        FRAMEWORK_2025,
        "医保结余留用资金分配方案（通用框架）",
        DOC,
        Validity::new(from, None)?,
        SurplusPolicy {
            earmarks: vec![Earmark { name: "医康养结合".into(), rate: Share::percent(2)? }],
            primary_floor: Share::percent(30)?,
            floor_split: FloorSplit::Composite,
            weights: Weights { chronic_care: Rate::percent(50), workload: Rate::percent(50) },
            min_score: Quantity::ZERO,
            earmark_base: EarmarkBase::Total,
            performance_includes_primary: true,
            allowed_categories: default_categories(),
            other_categories: Vec::new(),
            rounding: Rounding::HalfAwayFromZero,
        },
    ))
}
