//! One-stop settlement (一站式) of a person's medical year, Xiamen practice:
//! the pooling fund and the supplementary insurer (X2–X4), then the
//! civil-servant subsidy (X7, X8) and the hardship subsidy (X6); migrant
//! workers' inpatient scheme (X9) apart. Parameters, persons and the levy
//! here; the settlement itself in `settle`.

use medfund_core::{Citation, Money, NaiveDate, PolicyVersion, Rounding, Share, Splitter, Validity};
use serde::{Deserialize, Serialize};

use crate::banded::{Band, BandedSchedule, Payer};
use crate::error::{InsurerError, Result};

const DOC: &str = "厦门市基本医疗保险实践（2007）";

/// X7, X8: the civil-servant medical subsidy (国家公务员医疗补助) and its levy.
pub const CIVIL_SERVANT_RULE: Citation = Citation::new(DOC, "二、国家公务员医疗补助");
/// X6: the hardship subsidy of out-of-pocket costs (自付医疗费困难补助).
pub const HARDSHIP_RULE: Citation = Citation::new(DOC, "二、自付医疗费困难补助");
/// X9: migrant workers' inpatient costs (外来从业人员住院医疗).
pub const MIGRANT_RULE: Citation = Citation::new(DOC, "外来从业人员住院医疗");

/// A person's status in the scheme; a person not listed is an `employee`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Status {
    /// An active employee: fund and insurer (X2–X4) only.
    #[default]
    Employee,
    /// A retired employee: fund and insurer only.
    Retired,
    /// An active civil servant: the civil-servant subsidy above `civil_servant_threshold` × W.
    CivilServant,
    /// A retired civil servant: above `retired_civil_servant_threshold` × W.
    RetiredCivilServant,
    /// A migrant worker (外来从业人员): the migrant inpatient scheme (X9)
    /// instead of fund, insurer and subsidies.
    Migrant,
}

impl Status {
    pub(crate) fn is_retired(self) -> bool {
        matches!(self, Status::Retired | Status::RetiredCivilServant)
    }
}

/// A hardship category (X6), besides the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Hardship {
    /// Receives the city's subsistence allowance (最低生活保障).
    SubsistenceAllowance,
    /// A retiree whose monthly pension is below `low_pension_threshold` × W ÷ 12
    /// (tested each medical year against its W; needs `monthly_pension`).
    LowPension,
}

/// What the settlement knows of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Person {
    /// Status.
    pub status: Status,
    /// Hardship category, if any.
    pub hardship: Option<Hardship>,
    /// Monthly pension (for [`Hardship::LowPension`]).
    pub monthly_pension: Option<Money>,
    /// Months of continuous contribution (migrants: selects the fund's limit).
    pub contribution_months: Option<u32>,
}

impl Person {
    /// A person of `status`, nothing else known.
    pub fn new(status: Status) -> Person {
        Person { status, ..Person::default() }
    }

    /// The same person in a hardship category.
    #[must_use]
    pub fn with_hardship(mut self, hardship: Hardship) -> Person {
        self.hardship = Some(hardship);
        self
    }

    /// The same person with a monthly pension.
    #[must_use]
    pub fn with_monthly_pension(mut self, pension: Money) -> Person {
        self.monthly_pension = Some(pension);
        self
    }

    /// The same person with months of continuous contribution.
    #[must_use]
    pub fn with_contribution_months(mut self, months: u32) -> Person {
        self.contribution_months = Some(months);
        self
    }
}

/// Which subsidy applies first to a person who qualifies for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SubsidyOrder {
    /// The civil-servant subsidy first; the hardship subsidy counts what is
    /// left. The reading: the source gives no order; assistance to the
    /// needy is the last payer of a one-stop settlement (basic insurance,
    /// then major-illness insurance, then 医疗救助).
    #[default]
    CivilServantFirst,
    /// The hardship subsidy first, on the whole out-of-pocket; each claim's
    /// hardship part is attributed to that claim's co-payments and excess
    /// pro rata (largest remainder) and the civil-servant subsidy counts what
    /// is left of each. The attribution is per claim, so unlike the default
    /// the split of a year then depends on how its costs fall into claims.
    HardshipFirst,
}

/// Whether the migrant deductible is paid once a medical year or per admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DeductiblePer {
    /// Once per medical year (the default reading: the text's 先由本人…支付 is
    /// read on the year's costs, like every other band of the chain).
    #[default]
    MedicalYear,
    /// At each admission (each claim is an admission).
    Admission,
}

/// W for one medical year: last year's city average wage, as used by the
/// thresholds of the medical year labelled `medical_year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AverageWage {
    /// The medical year (labelled by the year in which it starts).
    pub medical_year: i32,
    /// W.
    pub wage: Money,
}

/// The migrant scheme's yearly fund limit from a number of months of
/// continuous contribution on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MigrantLimit {
    /// From this many months of continuous contribution.
    pub from_months: u32,
    /// The fund pays at most this per medical year.
    pub limit: Money,
}

/// Parameters of the subsidies and the migrant scheme (X6–X9). Shares of W
/// become amounts rounded to the fen by `rounding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SubsidyPolicy {
    /// W per medical year (the source gives none: required for every
    /// medical year in which a civil servant, a hardship case or a migrant
    /// has a claim).
    pub average_wages: Vec<AverageWage>,
    /// Which subsidy applies first to a person who has both.
    #[serde(default)]
    pub order: SubsidyOrder,
    /// X7: active civil servants, the subsidy starts above this share of W (12 %).
    pub civil_servant_threshold: Share,
    /// X7: retired civil servants (8 %).
    pub retired_civil_servant_threshold: Share,
    /// X7: share of the co-payments above the threshold (80 %).
    pub civil_servant_rate: Share,
    /// X8: share of the costs beyond the insurer's maximum (70 %).
    pub above_max_rate: Share,
    /// X8: at most this per person and medical year (100,000).
    pub above_max_cap: Money,
    /// X8: the levy financing the subsidy, on the contribution wage base (3.5 %).
    pub levy_rate: Share,
    /// X6: subsistence-allowance recipients, the lower band starts above this share of W (7 %).
    pub subsistence_lower: Share,
    /// X6: … and the upper band at (20 %).
    pub subsistence_upper: Share,
    /// X6: low-pension retirees, lower band from (20 %).
    pub low_pension_lower: Share,
    /// X6: … upper band from (30 %).
    pub low_pension_upper: Share,
    /// X6: share of the lower band (50 %).
    pub hardship_lower_rate: Share,
    /// X6: share of the upper band (70 %).
    pub hardship_upper_rate: Share,
    /// X6: a pension below this share of the monthly W (W ÷ 12) is low (60 %).
    pub low_pension_threshold: Share,
    /// X6: at most this per person and medical year (8,000).
    pub hardship_cap: Money,
    /// X9: the migrant's own part first, as a share of W (5 %).
    pub migrant_deductible: Share,
    /// X9: once a medical year or per admission (open question).
    #[serde(default)]
    pub migrant_deductible_per: DeductiblePer,
    /// X9: the fund's share above the deductible (85 %).
    pub migrant_fund_rate: Share,
    /// X9: the fund's yearly limit by months of continuous contribution (the
    /// source gives no figures: required when a migrant has a claim).
    pub migrant_limits: Option<Vec<MigrantLimit>>,
    /// Rounding of every share (四舍五入).
    #[serde(default)]
    pub rounding: Rounding,
}

impl SubsidyPolicy {
    /// Checks what the types cannot: caps, wages and limits not negative, one
    /// W per medical year, bands in order, migrant limits in increasing months.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field, value: String, expected| Err(InsurerError::InvalidPolicy { field, value, expected });
        for (field, value) in [("above_max_cap", self.above_max_cap), ("hardship_cap", self.hardship_cap)] {
            if value.is_negative() {
                return invalid(field, value.to_string(), "an amount of zero or more");
            }
        }
        for (i, w) in self.average_wages.iter().enumerate() {
            if !w.wage.is_positive() {
                return invalid("average_wages", w.wage.to_string(), "a positive W for every medical year");
            }
            if self.average_wages.iter().take(i).any(|o| o.medical_year == w.medical_year) {
                return invalid("average_wages", w.medical_year.to_string(), "one W per medical year");
            }
        }
        if self.subsistence_upper.rate() <= self.subsistence_lower.rate() {
            return invalid("subsistence_upper", self.subsistence_upper.to_string(), "above subsistence_lower");
        }
        if self.low_pension_upper.rate() <= self.low_pension_lower.rate() {
            return invalid("low_pension_upper", self.low_pension_upper.to_string(), "above low_pension_lower");
        }
        if let Some(limits) = &self.migrant_limits {
            if limits.is_empty() {
                return invalid("migrant_limits", "[]".into(), "at least one limit (or none at all: blank)");
            }
            for (i, l) in limits.iter().enumerate() {
                if l.limit.is_negative() {
                    return invalid("migrant_limits", l.limit.to_string(), "limits of zero or more");
                }
                if i > 0 && limits.get(i.wrapping_sub(1)).is_some_and(|p| p.from_months >= l.from_months) {
                    return invalid("migrant_limits", l.from_months.to_string(), "strictly increasing from_months");
                }
            }
        }
        Ok(())
    }

    /// W of `medical_year`, if given.
    pub fn average_wage(&self, medical_year: i32) -> Option<Money> {
        self.average_wages.iter().find(|w| w.medical_year == medical_year).map(|w| w.wage)
    }

    /// X9: the migrant fund's limit for `months` of continuous contribution:
    /// the row with the most `from_months` not above `months`.
    pub(crate) fn migrant_limit(&self, months: u32) -> Result<Option<Money>> {
        let limits = self.migrant_limits.as_ref().ok_or(InsurerError::MissingParameter {
            field: "migrant_limits",
            medical_year: None,
            needed_for: "the fund's limit of a migrant worker's claims",
        })?;
        Ok(limits.iter().rev().find(|l| l.from_months <= months).map(|l| l.limit))
    }
}

/// The id of the Xiamen subsidies preset.
pub const XIAMEN_2007_SUBSIDIES: &str = "xiamen-2007-subsidies";

/// Xiamen practice as described in 2007 (X6–X9): civil servants 80 % above
/// 12 % W (retired 8 % W), 70 % beyond the insurer's maximum up to 100,000 a
/// year, levy 3.5 %; subsistence-allowance 50 % in (7 %, 20 %] W and 70 %
/// above, low-pension retirees 50 % in (20 %, 30 %] W and 70 % above, at most
/// 8,000 a year; migrants 5 % W first, then the fund 85 %. W per year and the
/// migrant limits are not in the source: blank, required when needed.
/// Validity from 2007-01-01, as [`crate::xiamen_2007`].
pub fn xiamen_2007_subsidies() -> Result<PolicyVersion<SubsidyPolicy>> {
    let from = NaiveDate::from_ymd_opt(2007, 1, 1)
        .ok_or(medfund_core::CoreError::InvalidDate { reason: "2007-01-01".into() })?;
    let pct = |n: i64| Share::percent(n);
    Ok(PolicyVersion::new(
        XIAMEN_2007_SUBSIDIES,
        "厦门市国家公务员医疗补助、自付医疗费困难补助与外来从业人员住院医疗（2007年实践）",
        DOC,
        Validity::new(from, None)?,
        SubsidyPolicy {
            average_wages: Vec::new(),
            order: SubsidyOrder::CivilServantFirst,
            civil_servant_threshold: pct(12)?,
            retired_civil_servant_threshold: pct(8)?,
            civil_servant_rate: pct(80)?,
            above_max_rate: pct(70)?,
            above_max_cap: Money::from_yuan(100_000)?,
            levy_rate: "3.5%".parse()?,
            subsistence_lower: pct(7)?,
            subsistence_upper: pct(20)?,
            low_pension_lower: pct(20)?,
            low_pension_upper: pct(30)?,
            hardship_lower_rate: pct(50)?,
            hardship_upper_rate: pct(70)?,
            low_pension_threshold: pct(60)?,
            hardship_cap: Money::from_yuan(8_000)?,
            migrant_deductible: pct(5)?,
            migrant_deductible_per: DeductiblePer::MedicalYear,
            migrant_fund_rate: pct(85)?,
            migrant_limits: None,
            rounding: Rounding::HalfAwayFromZero,
        },
    ))
}

/// The subsidy schedules of one medical year (its W), each a
/// [`BandedSchedule`] with [`Payer::Subsidy`] bands over a running total.
#[derive(Debug, Clone)]
pub(crate) struct YearSchedules {
    pub(crate) wage: Money,
    /// X7 on the co-payments: active, retired.
    pub(crate) civil_servant: [BandedSchedule; 2],
    /// X8 on the excess beyond the insurer's maximum.
    pub(crate) above_max: BandedSchedule,
    /// X6 on the out-of-pocket: subsistence allowance, low pension.
    pub(crate) hardship: [BandedSchedule; 2],
    /// The monthly pension below which a retiree's pension is low.
    pub(crate) low_pension_below: Money,
    /// X9: the deductible as an amount.
    pub(crate) migrant_deductible: Money,
}

impl YearSchedules {
    /// The schedules of `medical_year` under `policy`, or `None` without its W.
    pub(crate) fn new(policy: &SubsidyPolicy, medical_year: i32) -> Result<Option<YearSchedules>> {
        let Some(wage) = policy.average_wage(medical_year) else { return Ok(None) };
        let r = policy.rounding;
        let of_w = |share: Share| wage.mul_rate(share.rate(), r);
        let zero = Share::ZERO;
        let subsidy = |from: Money, rate: Share| Band { from, payer: Payer::Subsidy, rate };
        let above = |threshold: Share| -> Result<BandedSchedule> {
            let t = of_w(threshold)?;
            let bands = if t.is_positive() {
                vec![subsidy(Money::ZERO, zero), subsidy(t, policy.civil_servant_rate)]
            } else {
                vec![subsidy(Money::ZERO, policy.civil_servant_rate)]
            };
            BandedSchedule::new(bands, &[], r)
        };
        let banded = |lower: Share, upper: Share| -> Result<BandedSchedule> {
            let (lo, hi) = (of_w(lower)?, of_w(upper)?);
            let mut bands = vec![subsidy(Money::ZERO, zero)];
            if lo.is_positive() {
                bands.push(subsidy(lo, policy.hardship_lower_rate));
            } else {
                bands = vec![subsidy(Money::ZERO, policy.hardship_lower_rate)];
            }
            if hi > lo {
                bands.push(subsidy(hi, policy.hardship_upper_rate));
            }
            BandedSchedule::new(bands, &[(Payer::Subsidy, policy.hardship_cap)], r)
        };
        // W ÷ 12 × share, rounded once: the monthly threshold of a low pension.
        let monthly = wage.mul_rate(policy.low_pension_threshold.rate(), Rounding::TowardZero)?;
        let low_pension_below = Money::from_fen(
            r.div_i64(monthly.fen(), 12).ok_or(medfund_core::CoreError::Overflow { operation: "W ÷ 12" })?,
        );
        Ok(Some(YearSchedules {
            wage,
            civil_servant: [above(policy.civil_servant_threshold)?, above(policy.retired_civil_servant_threshold)?],
            above_max: BandedSchedule::new(
                vec![subsidy(Money::ZERO, policy.above_max_rate)],
                &[(Payer::Subsidy, policy.above_max_cap)],
                r,
            )?,
            hardship: [
                banded(policy.subsistence_lower, policy.subsistence_upper)?,
                banded(policy.low_pension_lower, policy.low_pension_upper)?,
            ],
            low_pension_below,
            migrant_deductible: of_w(policy.migrant_deductible)?,
        }))
    }

    /// X9: the migrant schedule under a fund limit: the person first, then
    /// the fund `migrant_fund_rate`, the fund capped at `limit` a year.
    pub(crate) fn migrant(&self, policy: &SubsidyPolicy, limit: Money) -> Result<BandedSchedule> {
        let d = self.migrant_deductible;
        let mut bands = Vec::with_capacity(2);
        if d.is_positive() {
            bands.push(Band { from: Money::ZERO, payer: Payer::Fund, rate: Share::ZERO });
        }
        bands.push(Band { from: d, payer: Payer::Fund, rate: policy.migrant_fund_rate });
        BandedSchedule::new(bands, &[(Payer::Fund, limit)], policy.rounding)
    }
}

/// The civil-servant levy of a year (X8): `levy_rate` × the year's
/// contribution wage base, rounded once, collected in twelve monthly parts
/// that sum to it exactly (equal parts, the odd fen to the first months).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Levy {
    /// The year's contribution wage base.
    pub wage_base: Money,
    /// The rate.
    pub rate: Share,
    /// rate × wage_base.
    pub yearly: Money,
    /// January to December.
    pub monthly: [Money; 12],
}

/// The civil-servant levy on a year's contribution wage base (X8).
///
/// Rule: 厦门市基本医疗保险实践（2007） 二、国家公务员医疗补助
///
/// ```
/// use medfund_core::Money;
/// use medfund_insurer::{civil_servant_levy, xiamen_2007_subsidies};
/// let levy = civil_servant_levy(xiamen_2007_subsidies()?.params(), Money::from_yuan(1_000_000)?)?;
/// assert_eq!(levy.yearly, Money::from_yuan(35_000)?);
/// assert_eq!(levy.monthly[0].to_string(), "2916.67"); // 35,000 ÷ 12, the odd fen first
/// assert_eq!(levy.monthly[11].to_string(), "2916.66");
/// # Ok::<(), medfund_insurer::InsurerError>(())
/// ```
pub fn civil_servant_levy(policy: &SubsidyPolicy, wage_base: Money) -> Result<Levy> {
    if wage_base.is_negative() {
        return Err(InsurerError::NegativeAmount {
            subject: "the civil-servant levy".into(),
            field: "wage_base".into(),
            value: wage_base.to_string(),
        });
    }
    let yearly = wage_base.mul_rate(policy.levy_rate.rate(), policy.rounding)?;
    let mut monthly = [Money::ZERO; 12];
    Splitter::new().split_into(yearly, &[1_u8; 12], &mut monthly)?;
    Ok(Levy { wage_base, rate: policy.levy_rate, yearly, monthly })
}
