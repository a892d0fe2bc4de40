//! Risk-fund policy parameters and the built-in presets.

use core::fmt;

use medfund_core::{NaiveDate, PolicyHistory, PolicyVersion, Rate, Rounding, Share, Validity};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RiskPoolError};

/// The two insurance schemes, each with its own risk-fund ledger
/// (阿署办发〔2020〕30号 第十四条: 按城镇职工、城乡居民分别记账).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// 城镇职工基本医疗保险 (pooled fund of urban employees).
    Employee,
    /// 城乡居民基本医疗保险 (urban and rural residents).
    Resident,
}

impl Scheme {
    /// Both schemes, in report order.
    pub const ALL: [Scheme; 2] = [Scheme::Employee, Scheme::Resident];

    /// The key used in files and reports.
    pub fn key(self) -> &'static str {
        match self {
            Scheme::Employee => "employee",
            Scheme::Resident => "resident",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Scheme::Employee => "城镇职工",
            Scheme::Resident => "城乡居民",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Who is served first when the fund cannot cover every unit's remaining gap.
/// The source does not say (open question of 阿署办发〔2020〕30号 第十七条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Rationing {
    /// Pro rata to the remaining gaps, largest remainder to the fen (default).
    #[default]
    ProRata,
    /// In unit order: each unit's gap is covered in full before the next.
    InOrder,
}

/// What the levy rate is applied to. The Alxa rule (R3, R5) levies on the
/// **current** year's league-wide revenue; other regions' rules (e.g. Guangyuan,
/// Jining) levy on the prior year's collections. Only the Alxa basis is shipped;
/// the enum is the place where the others will go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LevyBasis {
    /// The current year's league-wide revenue of the scheme (第十五条, 第十六条).
    #[default]
    CurrentYearRevenue,
}

/// The parameters of a risk-sharing fund. Every field of a preset can be overridden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RiskPoolPolicy {
    /// Share of the revenue base levied each year (R3/R5: 10 %).
    pub levy_rate: Share,
    /// The cap as a multiple of the current-year revenue base (R4/R6: 1).
    pub cap_multiple: Rate,
    /// Rationing when the fund cannot cover every gap.
    #[serde(default)]
    pub rationing: Rationing,
    /// League finance's share of a step-4 fiscal subsidy for units that do not
    /// set their own (R8 (4): no value in the text, so none by default).
    #[serde(default)]
    pub default_league_fiscal_share: Option<Share>,
    /// What the levy rate applies to.
    #[serde(default)]
    pub levy_basis: LevyBasis,
    /// Rounding of every money × rate product (四舍五入 by default).
    #[serde(default)]
    pub rounding: Rounding,
}

impl RiskPoolPolicy {
    /// Checks the parameters that their types cannot.
    pub fn validate(&self) -> Result<()> {
        if self.cap_multiple.is_negative() {
            return Err(RiskPoolError::InvalidPolicy {
                field: "cap_multiple",
                value: self.cap_multiple.to_string(),
                expected: "a multiple of zero or more (1 = 100 % of the revenue base)",
            });
        }
        Ok(())
    }
}

/// The id of the Alxa preset.
pub const ALXA_2020: &str = "alxa-2020";

/// 阿署办发〔2020〕30号, in force from issuance on 2020-08-20 with no end date
/// (第三十三条): levy 10 % (第十五条, 第十六条), cap 1 × current-year revenue,
/// pro-rata rationing, no default fiscal share (第十七条（四） gives no number).
///
/// ```
/// let p = medfund_riskpool::alxa_2020()?;
/// assert_eq!(p.params().levy_rate.to_string(), "10%");
/// assert_eq!(p.document(), "阿署办发〔2020〕30号");
/// # Ok::<(), medfund_riskpool::RiskPoolError>(())
/// ```
pub fn alxa_2020() -> Result<PolicyVersion<RiskPoolPolicy>> {
    let from = NaiveDate::from_ymd_opt(2020, 8, 20)
        .ok_or(medfund_core::CoreError::InvalidDate { reason: "2020-08-20".into() })?;
    Ok(PolicyVersion::new(
        ALXA_2020,
        "阿拉善盟医疗保险基金盟级统筹管理办法（风险共济金）",
        "阿署办发〔2020〕30号",
        Validity::new(from, None)?,
        RiskPoolPolicy {
            levy_rate: Share::percent(10)?,
            cap_multiple: Rate::ONE,
            rationing: Rationing::ProRata,
            default_league_fiscal_share: None,
            levy_basis: LevyBasis::CurrentYearRevenue,
            rounding: Rounding::HalfAwayFromZero,
        },
    ))
}

/// Every built-in risk-fund preset.
pub fn presets() -> Result<Vec<PolicyVersion<RiskPoolPolicy>>> {
    Ok(vec![alxa_2020()?])
}

/// The preset with id `id`, if any.
pub fn preset(id: &str) -> Result<Option<PolicyVersion<RiskPoolPolicy>>> {
    Ok(presets()?.into_iter().find(|p| p.id() == id))
}

/// A version as a one-version history, so that `for_year` checks its validity.
pub fn history_of(version: PolicyVersion<RiskPoolPolicy>) -> Result<PolicyHistory<RiskPoolPolicy>> {
    Ok(PolicyHistory::new("riskpool", vec![version])?)
}
