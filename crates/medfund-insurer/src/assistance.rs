//! Insurer-run medical assistance: service fees, prepayments, annual
//! settlement and fee true-up (惠医保发〔2021〕96号, rules H1–H7).

use std::collections::BTreeMap;

use medfund_core::{
    Citation, Money, NaiveDate, PolicyHistory, PolicyVersion, Rounding, Share, Step, Trace, Validity, add_days,
    last_day_of_month,
};
use serde::{Deserialize, Serialize};

use crate::error::{InsurerError, Result};

const DOC: &str = "惠医保发〔2021〕96号";
/// H1: fee = 4 % of the county's spend, at most 400,000 yuan.
pub const FEE_RULE: Citation = Citation::new(DOC, "（四）资金管理 第2点");
/// H2/H3: March and September prepayments, annual settlement by June 30.
pub const PREPAY_RULE: Citation = Citation::new(DOC, "（四）资金管理 第3点");
/// H4/H5: June fee advance of 80 %, fee settlement within 20 days.
pub const ADVANCE_RULE: Citation = Citation::new(DOC, "（四）资金管理 第4点");
/// H6: in force from 2022-01-01 for five years.
pub const VALIDITY_RULE: Citation = Citation::new(DOC, "四、施行日期");

/// What the 4 % fee of service year S is computed on. The source says
/// "上年度实际支出" — the year before the one in which the fee is settled —
/// which can be read either way (an open question of the source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FeeBasis {
    /// fee(S) = rate × spend(S): the service year's own spend, settled in S+1 (default).
    #[default]
    ServiceYear,
    /// fee(S) = rate × spend(S−1): the alternative reading.
    PriorYear,
}

/// The date of the June fee advance in the payment calendar. The source
/// says only "each June" (每年6月…先行预拨), while the fee settlement that
/// nets the advance falls 20 days after the annual settlement, which may
/// itself come before June 30 (an open question of the source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FeeAdvanceDate {
    /// June 30 of S+1, or the fee settlement's date when that is earlier:
    /// the settlement computes fee(S) − advance, so the advance cannot come
    /// after it (default; every fee settlement is on or after its advance).
    #[default]
    JuneEndOrFeeSettlement,
    /// Always June 30 of S+1, the last day the text allows. A fee settlement
    /// dated earlier is then listed before the advance it nets.
    JuneEnd,
}

/// Parameters of an insurer-run assistance contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AssistancePolicy {
    /// Fee as a share of the spend (H1: 4 %).
    pub fee_rate: Share,
    /// Fee cap per county per year (H1: 400,000 yuan).
    pub fee_cap: Money,
    /// March prepayment as a share of spend(S−1) (H2: 50 %).
    pub prepay_march: Share,
    /// September prepayment as a share of spend(S−1) (H2: 40 %).
    pub prepay_september: Share,
    /// June advance as a share of fee(S−1) (H4: 80 %).
    pub advance_rate: Share,
    /// Days after the annual settlement for the fee settlement (H5: 20).
    pub fee_settlement_days: u32,
    /// What the fee is computed on.
    #[serde(default)]
    pub fee_basis: FeeBasis,
    /// How the June fee advance is dated in the payment calendar.
    #[serde(default)]
    pub fee_advance_date: FeeAdvanceDate,
    /// Rounding of money × rate (四舍五入).
    #[serde(default)]
    pub rounding: Rounding,
}

impl AssistancePolicy {
    /// Checks what the types cannot: the fee cap is not negative.
    pub fn validate(&self) -> Result<()> {
        if self.fee_cap.is_negative() {
            return Err(InsurerError::InvalidPolicy {
                field: "fee_cap",
                value: self.fee_cap.to_string(),
                expected: "a cap of zero or more",
            });
        }
        Ok(())
    }
}

/// The id of the Huizhou preset.
pub const HUIZHOU_2021: &str = "huizhou-2021";

/// 惠医保发〔2021〕96号: in force 2022-01-01 for five years (service years
/// 2022–2026), fee 4 % capped at 400,000, prepayments 50 %/40 %, advance 80 %,
/// fee settlement 20 days after the annual settlement.
///
/// ```
/// let p = medfund_insurer::huizhou_2021()?;
/// assert_eq!(p.params().fee_cap.to_string(), "400000.00");
/// assert_eq!(p.validity().to().map(|d| d.to_string()), Some("2026-12-31".into()));
/// # Ok::<(), medfund_insurer::InsurerError>(())
/// ```
pub fn huizhou_2021() -> Result<PolicyVersion<AssistancePolicy>> {
    let date = |y, m, d| {
        NaiveDate::from_ymd_opt(y, m, d).ok_or(medfund_core::CoreError::InvalidDate { reason: format!("{y}-{m}-{d}") })
    };
    Ok(PolicyVersion::new(
        HUIZHOU_2021,
        "惠州市商业保险机构承办医疗救助服务工作方案",
        DOC,
        Validity::new(date(2022, 1, 1)?, Some(date(2026, 12, 31)?))?,
        AssistancePolicy {
            fee_rate: Share::percent(4)?,
            fee_cap: Money::from_yuan(400_000)?,
            prepay_march: Share::percent(50)?,
            prepay_september: Share::percent(40)?,
            advance_rate: Share::percent(80)?,
            fee_settlement_days: 20,
            fee_basis: FeeBasis::ServiceYear,
            fee_advance_date: FeeAdvanceDate::JuneEndOrFeeSettlement,
            rounding: Rounding::HalfAwayFromZero,
        },
    ))
}

/// One county's inputs. Maps are keyed by service year.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct County {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Actual assistance spend by service year.
    pub spend: BTreeMap<i32, Money>,
    /// Fee paid under the previous plan, by service year (for the first advance).
    #[serde(default)]
    pub prior_plan_fee: BTreeMap<i32, Money>,
    /// Date of each service year's annual settlement.
    #[serde(default)]
    pub settled_on: BTreeMap<i32, NaiveDate>,
    /// Actual date of each service year's fee settlement.
    #[serde(default)]
    pub fee_settled_on: BTreeMap<i32, NaiveDate>,
}

/// The settlement of one county's service year. Unknowable values are `None`
/// (reported as `null`), never invented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ServiceYearSettlement {
    /// The service year S.
    pub service_year: i32,
    /// min(fee_rate × basis spend, fee_cap).
    pub fee: Money,
    /// True if the cap bit.
    pub fee_capped: bool,
    /// March prepayment (share of spend(S−1)).
    pub prepay_march: Money,
    /// September prepayment (share of spend(S−1)).
    pub prepay_september: Money,
    /// spend(S) − prepayments: positive paid to the insurer, negative refunded.
    pub annual_balance: Money,
    /// S+1-06-30.
    pub annual_settlement_deadline: NaiveDate,
    /// settled_on(S) after the deadline; `None` without settled_on.
    pub settled_late: Option<bool>,
    /// advance_rate × fee(S−1); `None` if fee(S−1) is unknown.
    pub fee_advance: Option<Money>,
    /// fee − fee_advance (negative: refund); `None` if the advance is unknown.
    pub fee_due: Option<Money>,
    /// settled_on(S) (or the annual deadline) + fee_settlement_days.
    pub fee_settlement_deadline: NaiveDate,
    /// fee_settled_on(S) after its deadline; `None` without fee_settled_on.
    pub fee_settled_late: Option<bool>,
}

/// A county's settled service years, in year order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CountySettlement {
    /// The county id.
    pub id: String,
    /// One entry per reported service year.
    pub years: Vec<ServiceYearSettlement>,
}

/// Which ledger a payment belongs to (H7: two separate flows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    /// The medical-assistance fund (prepayments, annual settlement).
    Assistance,
    /// The county budget (service fee advance and settlement).
    CountyBudget,
}

/// What a payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum PaymentKind {
    /// March or September prepayment of assistance money.
    Prepayment,
    /// The annual balance of assistance money (true-up).
    AnnualSettlement,
    /// The June advance of the service fee.
    FeeAdvance,
    /// The service-fee settlement (多退少补).
    FeeSettlement,
}

/// A party to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    /// The assistance fund (via the municipal agency).
    AssistanceFund,
    /// The county's medical-security administration (county budget).
    County,
    /// The commercial insurer running assistance.
    Insurer,
}

/// One dated payment. `amount` is signed as in the county table (negative:
/// a refund); `payer` and `payee` give the actual direction of the money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Payment {
    /// The date: the last day of the month for prepayments and the advance,
    /// else the settlement date (or its deadline if unknown).
    pub date: NaiveDate,
    /// The ledger.
    pub flow: Flow,
    /// What it is.
    pub kind: PaymentKind,
    /// The county.
    pub county: String,
    /// The service year it belongs to.
    pub service_year: i32,
    /// The amount (negative: refund to the payer of record).
    pub amount: Money,
    /// Who pays.
    pub payer: Party,
    /// Who receives.
    pub payee: Party,
}

/// The whole settlement: per county and a dated payment calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct AssistanceSettlement {
    /// The policy id applied.
    pub policy: String,
    /// Counties in input order.
    pub counties: Vec<CountySettlement>,
    /// Every payment, in date order (ties: county input order, service year, kind).
    pub schedule: Vec<Payment>,
}

fn fee_of(p: &AssistancePolicy, basis_spend: Money) -> Result<(Money, bool)> {
    let raw = basis_spend.mul_rate(p.fee_rate.rate(), p.rounding)?;
    Ok(if raw > p.fee_cap { (p.fee_cap, true) } else { (raw, false) })
}

/// The spend a fee of `year` is computed on, by the fee basis.
fn fee_basis_spend(p: &AssistancePolicy, county: &County, year: i32) -> Option<Money> {
    match p.fee_basis {
        FeeBasis::ServiceYear => county.spend.get(&year).copied(),
        FeeBasis::PriorYear => county.spend.get(&year.checked_sub(1)?).copied(),
    }
}

fn validate_county(c: &County) -> Result<()> {
    let neg = |field: String, value: Money| InsurerError::NegativeAmount {
        subject: format!("county {:?}", c.id),
        field,
        value: value.to_string(),
    };
    for (y, &v) in &c.spend {
        if v.is_negative() {
            return Err(neg(format!("spend[{y}]"), v));
        }
    }
    for (y, &v) in &c.prior_plan_fee {
        if v.is_negative() {
            return Err(neg(format!("prior_plan_fee[{y}]"), v));
        }
    }
    for (field, map) in [("settled_on", &c.settled_on), ("fee_settled_on", &c.fee_settled_on)] {
        for (&year, &date) in map {
            let year_end =
                NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| medfund_core::CoreError::InvalidDate {
                    reason: format!("service year {year} is outside the supported calendar"),
                })?;
            if date <= year_end {
                return Err(InsurerError::SettlementBeforeYearEnd { county: c.id.clone(), field, year, date });
            }
        }
    }
    Ok(())
}

/// Settles one service year `year` of `county` under the version of
/// `history` that governs it. Strict: a missing spend(S) or spend(S−1) is an
/// error (use [`settle`] to settle every year that can be). Its trace steps
/// point into a report of this county and year alone
/// (`/assistance/counties/0/years/0/…`).
pub fn settle_year(
    history: &PolicyHistory<AssistancePolicy>,
    county: &County,
    year: i32,
    trace: &mut Trace,
) -> Result<ServiceYearSettlement> {
    validate_county(county)?;
    settle_year_checked(history, county, year, (0, 0), trace).map(|(s, _)| s)
}

/// `at`: the county's and the year's positions in the report, for the trace.
fn settle_year_checked(
    history: &PolicyHistory<AssistancePolicy>,
    county: &County,
    year: i32,
    at: (usize, usize),
    trace: &mut Trace,
) -> Result<(ServiceYearSettlement, FeeAdvanceDate)> {
    let version = history.for_year(year).map_err(|_| InsurerError::YearOutsideValidity {
        county: county.id.clone(),
        year,
        policy: history.versions().first().expect("invariant: a policy history has a version").id().to_owned(),
        window: history.versions().iter().map(|v| v.validity().to_string()).collect::<Vec<_>>().join(", "),
    })?;
    let p = version.params();
    p.validate()?;
    let prior = year.checked_sub(1).ok_or(medfund_core::CoreError::Overflow { operation: "service year" })?;
    let next = year.checked_add(1).ok_or(medfund_core::CoreError::Overflow { operation: "service year" })?;
    let spend = *county.spend.get(&year).ok_or(InsurerError::MissingPriorSpend {
        county: county.id.clone(),
        year,
        missing: year,
    })?;
    let spend_prior = *county.spend.get(&prior).ok_or(InsurerError::MissingPriorSpend {
        county: county.id.clone(),
        year,
        missing: prior,
    })?;

    // H1: fee(S) = min(rate × basis spend, cap), the product rounded first.
    let basis = fee_basis_spend(p, county, year).unwrap_or(spend);
    let (fee, fee_capped) = fee_of(p, basis)?;

    // H2/H3: prepayments on spend(S−1); balance at the annual settlement.
    let prepay_march = spend_prior.mul_rate(p.prepay_march.rate(), p.rounding)?;
    let prepay_september = spend_prior.mul_rate(p.prepay_september.rate(), p.rounding)?;
    let annual_balance = spend.checked_sub(prepay_march)?.checked_sub(prepay_september)?;
    let annual_settlement_deadline = last_day_of_month(next, 6)?;
    let settled_on = county.settled_on.get(&year).copied();
    let settled_late = settled_on.map(|d| d > annual_settlement_deadline);

    // H4: the June advance is 80 % of fee(S−1): under this plan if S−1 is in
    // force, else the fee paid under the previous plan; else unknown.
    let prior_version = history.for_year(prior).ok();
    let prior_fee = match prior_version {
        Some(v) => match fee_basis_spend(v.params(), county, prior) {
            Some(s) => Some(fee_of(v.params(), s)?.0),
            None => None,
        },
        None => county.prior_plan_fee.get(&prior).copied(),
    };
    let fee_advance = match prior_fee {
        Some(f) => Some(f.mul_rate(p.advance_rate.rate(), p.rounding)?),
        None => None,
    };
    // H5: fee settlement (多退少补) within N days after the annual settlement.
    let fee_due = match fee_advance {
        Some(a) => Some(fee.checked_sub(a)?),
        None => None,
    };
    let fee_settlement_deadline =
        add_days(settled_on.unwrap_or(annual_settlement_deadline), i64::from(p.fee_settlement_days))?;
    let fee_settled_late = county.fee_settled_on.get(&year).map(|&d| d > fee_settlement_deadline);

    if trace.is_on() {
        let (ci, yi) = at;
        let path = |f: &str| format!("/assistance/counties/{ci}/years/{yi}/{f}");
        trace.record(|| {
            Step::new(
                "/assistance/policy",
                VALIDITY_RULE,
                "the service year lies within the validity of the plan applied (its version on December 31 of the year)",
            ).zh("服务年度在所适用方案的有效期内（以该年12月31日的版本为准）")
            .input("service_year", year)
            .input("validity", version.validity())
            .result(version.id())
        });
        trace.record(|| {
            Step::new(path("fee"), FEE_RULE, "min(fee_rate × spend, fee_cap), the product rounded to the fen first")
                .zh("min(服务费率 × 支出, 服务费上限)，乘积先四舍五入到分")
                .input("fee_rate", p.fee_rate)
                .input("spend", basis)
                .input("fee_cap", p.fee_cap)
                .result(fee)
        });
        trace.record(|| {
            Step::new(path("prepay_march"), PREPAY_RULE, "prepay_march × spend(S−1), paid in March of S")
                .zh("3月预拨比例 × 上年(S−1)支出，于S年3月拨付")
                .input("rate", p.prepay_march)
                .input("spend_prior_year", spend_prior)
                .result(prepay_march)
        });
        trace.record(|| {
            Step::new(path("prepay_september"), PREPAY_RULE, "prepay_september × spend(S−1), paid in September of S")
                .zh("9月预拨比例 × 上年(S−1)支出，于S年9月拨付")
                .input("rate", p.prepay_september)
                .input("spend_prior_year", spend_prior)
                .result(prepay_september)
        });
        trace.record(|| {
            Step::new(path("annual_balance"), PREPAY_RULE, "spend(S) − both prepayments, settled by June 30 of S+1")
                .zh("S年支出 − 两次预拨，于S+1年6月30日前清算")
                .input("spend", spend)
                .input("prepayments", prepay_march.checked_add(prepay_september).unwrap_or(prepay_march))
                .result(annual_balance)
        });
        trace.record(|| {
            let (source, source_zh) = match prior_fee {
                Some(_) if prior_version.is_some() => ("fee(S−1) under this plan", "本方案下的上年服务费"),
                Some(_) => ("fee paid under the previous plan", "原方案下支付的服务费"),
                None => ("unknown: no fee(S−1) and no prior_plan_fee", "未知：无上年服务费，也无原方案服务费"),
            };
            Step::new(
                path("fee_advance"),
                ADVANCE_RULE,
                format!("advance_rate × fee(S−1), paid in June of S+1 ({source})"),
            )
            .zh(format!("预拨比例 × 上年(S−1)服务费，于S+1年6月拨付（{}）", source_zh))
            .input("advance_rate", p.advance_rate)
            .input("fee_prior_year", prior_fee.map_or_else(|| "null".to_owned(), |f| f.to_string()))
            .result(fee_advance.map_or_else(|| "null".to_owned(), |f| f.to_string()))
        });
        trace.record(|| {
            Step::new(
                path("fee_due"),
                ADVANCE_RULE,
                format!(
                    "fee − fee_advance (negative: refund), within {} days after the annual settlement",
                    p.fee_settlement_days
                ),
            )
            .zh(format!("服务费 − 服务费预拨（负数为退还），于年度清算后{}日内结算", p.fee_settlement_days))
            .input("fee", fee)
            .input("fee_advance", fee_advance.map_or_else(|| "null".to_owned(), |f| f.to_string()))
            .result(fee_due.map_or_else(|| "null".to_owned(), |f| f.to_string()))
        });
    }

    let settlement = ServiceYearSettlement {
        service_year: year,
        fee,
        fee_capped,
        prepay_march,
        prepay_september,
        annual_balance,
        annual_settlement_deadline,
        settled_late,
        fee_advance,
        fee_due,
        fee_settlement_deadline,
        fee_settled_late,
    };
    Ok((settlement, p.fee_advance_date))
}

/// Settles every service year S of every county for which spend(S) and
/// spend(S−1) are both given, and builds the dated payment calendar.
///
/// A reported service year outside the validity of `history` is an error
/// naming the year and the window. A service year is governed by the version
/// in force on its December 31 ([`PolicyHistory::for_year`]).
pub fn settle(
    history: &PolicyHistory<AssistancePolicy>,
    counties: &[County],
    trace: &mut Trace,
) -> Result<AssistanceSettlement> {
    let mut seen = std::collections::HashSet::with_capacity(counties.len());
    for c in counties {
        if !seen.insert(c.id.as_str()) {
            return Err(InsurerError::DuplicateCounty { id: c.id.clone() });
        }
        validate_county(c)?;
    }
    let mut out = Vec::with_capacity(counties.len());
    let mut schedule = Vec::new();
    for (ci, c) in counties.iter().enumerate() {
        let reported = reported_years(c);
        check_every_year_is_used(history, c, &reported)?;
        let mut years = Vec::with_capacity(reported.len());
        for (yi, &year) in reported.iter().enumerate() {
            let (s, dating) = settle_year_checked(history, c, year, (ci, yi), trace)?;
            push_payments(dating, &mut schedule, c, &s)?;
            years.push(s);
        }
        out.push(CountySettlement { id: c.id.clone(), years });
    }
    // Stable: equal dates keep county order, then year, then kind.
    schedule.sort_by_key(|p| p.date);
    let policy = history.versions().first().expect("invariant: a policy history has a version").id().to_owned();
    Ok(AssistanceSettlement { policy, counties: out, schedule })
}

/// The service years S of a county that have both spend(S) and spend(S−1), in order.
fn reported_years(c: &County) -> Vec<i32> {
    c.spend.keys().copied().filter(|&y| y.checked_sub(1).is_some_and(|p| c.spend.contains_key(&p))).collect()
}

/// Every year a county gives must serve a reported service year: a typo in a
/// year key (`20222`) or a missing base year would otherwise drop figures
/// from the report without a word.
fn check_every_year_is_used(history: &PolicyHistory<AssistancePolicy>, c: &County, reported: &[i32]) -> Result<()> {
    let is_reported = |y: Option<i32>| y.is_some_and(|y| reported.binary_search(&y).is_ok());
    let unused = |field, year, reason| InsurerError::UnusedYear { county: c.id.clone(), field, year, reason };
    for &year in c.spend.keys() {
        if !is_reported(Some(year)) && !is_reported(year.checked_add(1)) {
            return Err(unused(
                "spend",
                year,
                "a service year S needs the spend of S and of S−1, and this year has neither neighbour",
            ));
        }
    }
    for (field, map) in [("settled_on", &c.settled_on), ("fee_settled_on", &c.fee_settled_on)] {
        if let Some(&year) = map.keys().find(|&&y| !is_reported(Some(y))) {
            return Err(unused(
                field,
                year,
                "it is not a reported service year (one with spend for it and the year before)",
            ));
        }
    }
    for &year in c.prior_plan_fee.keys() {
        if !is_reported(year.checked_add(1)) {
            return Err(unused("prior_plan_fee", year, "the year after it is not a reported service year"));
        }
        if history.for_year(year).is_ok() {
            return Err(unused("prior_plan_fee", year, "that year is under this plan, so its fee is computed"));
        }
    }
    Ok(())
}

/// Rule: 惠医保发〔2021〕96号 （四）资金管理 第3点 and 第4点: the dated payments of one service year.
fn push_payments(
    dating: FeeAdvanceDate,
    schedule: &mut Vec<Payment>,
    c: &County,
    s: &ServiceYearSettlement,
) -> Result<()> {
    let year = s.service_year;
    let next = year.checked_add(1).ok_or(medfund_core::CoreError::Overflow { operation: "service year" })?;
    let mut push = |date, flow, kind, amount: Money, payer, payee| {
        let (payer, payee) = if amount.is_negative() { (payee, payer) } else { (payer, payee) };
        schedule.push(Payment { date, flow, kind, county: c.id.clone(), service_year: year, amount, payer, payee });
    };
    use {Flow::*, Party::*, PaymentKind::*};
    push(last_day_of_month(year, 3)?, Assistance, Prepayment, s.prepay_march, AssistanceFund, Insurer);
    push(last_day_of_month(year, 9)?, Assistance, Prepayment, s.prepay_september, AssistanceFund, Insurer);
    let settled = c.settled_on.get(&year).copied().unwrap_or(s.annual_settlement_deadline);
    push(settled, Assistance, AnnualSettlement, s.annual_balance, AssistanceFund, Insurer);
    // The fee settlement: on its recorded date, else on its deadline.
    let fee_settled = c.fee_settled_on.get(&year).copied().unwrap_or(s.fee_settlement_deadline);
    if let Some(advance) = s.fee_advance {
        let june_end = last_day_of_month(next, 6)?;
        let date = match dating {
            FeeAdvanceDate::JuneEndOrFeeSettlement if s.fee_due.is_some() => june_end.min(fee_settled),
            FeeAdvanceDate::JuneEndOrFeeSettlement | FeeAdvanceDate::JuneEnd => june_end,
        };
        push(date, CountyBudget, FeeAdvance, advance, County, Insurer);
    }
    if let Some(due) = s.fee_due {
        push(fee_settled, CountyBudget, FeeSettlement, due, County, Insurer);
    }
    Ok(())
}
