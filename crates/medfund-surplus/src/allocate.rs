//! The allocation pipeline: earmarks → primary pool → performance pool.

use std::collections::HashMap;

use medfund_core::{Decimal, Money, Quantity, Splitter, Step, Trace};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SurplusError};
use crate::policy::{
    ART_PERFORMANCE, ART_SHARES, ART_USES, CategoryStatus, EarmarkBase, FloorSplit, SurplusPolicy, Weights, check_score,
};

/// An institution's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 基层 (township health centres, community centres).
    Primary,
    /// 二级.
    Secondary,
    /// 三级.
    Tertiary,
}

/// An institution taking part in the allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Institution {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its level.
    pub level: Level,
    /// Chronic-disease-management score, 0–100.
    pub chronic_care_score: Quantity,
    /// Non-negative workload (e.g. weighted visits).
    pub workload: Quantity,
}

/// A line of spending to check against the allowed uses (S5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Spending {
    /// The institution that spent.
    pub institution: String,
    /// The use category.
    pub category: String,
    /// The amount.
    pub amount: Money,
}

/// One earmark's amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct EarmarkAmount {
    /// The project.
    pub name: String,
    /// Its amount.
    pub amount: Money,
}

/// One institution's allocation: `total = floor_share + performance_share`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct InstitutionShare {
    /// The institution.
    pub id: String,
    /// Its part of the primary pool.
    pub floor_share: Money,
    /// Its part of the performance pool.
    pub performance_share: Money,
    /// Both together.
    pub total: Money,
}

/// The rule a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ViolationRule {
    /// Spending in a category outside the allowed ones.
    CategoryNotAllowed,
    /// An institution spent more than it was allocated.
    OverAllocation,
}

/// A breach of the earmarked-use rule (专款专用, S5). Violations are reported;
/// they never stop the allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Violation {
    /// The institution.
    pub institution: String,
    /// The rule broken.
    pub rule: ViolationRule,
    /// What happened, in words.
    pub detail: String,
    /// What happened, in Chinese (for Chinese tables; not in the JSON report).
    #[serde(skip)]
    #[cfg_attr(feature = "schemars", schemars(skip))]
    pub detail_zh: String,
}

/// The whole allocation. `Σ earmarks + Σ totals + unallocated = total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Allocation {
    /// The surplus distributed.
    pub total: Money,
    /// Each earmark, in policy order.
    pub earmarks: Vec<EarmarkAmount>,
    /// The primary-level pool.
    pub primary_pool: Money,
    /// The performance pool.
    pub performance_pool: Money,
    /// Pools that nobody could receive.
    pub unallocated: Money,
    /// Per institution, in input order.
    pub institutions: Vec<InstitutionShare>,
    /// Σ totals of primary institutions ÷ total, to 4 places (`None` if the total is zero).
    #[cfg_attr(feature = "schemars", schemars(with = "Option<String>"))]
    pub primary_share_of_total: Option<Decimal>,
    /// Spending violations: category violations in line order, then
    /// over-allocations in institution order.
    pub violations: Vec<Violation>,
}

/// Scales exact decimals to integers on their common scale (`0.5, 12` → `5, 120`).
fn integer_weights(values: impl Iterator<Item = Decimal> + Clone) -> Result<Vec<u128>> {
    let scale = values.clone().map(|v| v.scale()).max().unwrap_or(0);
    let overflow = || medfund_core::CoreError::Overflow { operation: "integer weights" };
    values
        .map(|v| {
            let factor = 10_u128.checked_pow(scale.saturating_sub(v.scale())).ok_or_else(overflow)?;
            let mantissa = u128::try_from(v.mantissa()).map_err(|_| overflow())?;
            mantissa.checked_mul(factor).ok_or_else(|| overflow().into())
        })
        .collect()
}

/// Composite weights `w_c × score_i / Σ score + w_w × workload_i / Σ workload`
/// of `members`, as exact integers on a common denominator. A term whose Σ is
/// zero is dropped and the other term alone decides (its weight takes the
/// dropped one's place, so the split is by that term). When both weights are
/// zero every composite weight is zero, whatever the sums: the dropped term
/// hands the other a weight of `w_c + w_w = 0`, so the pool goes to
/// `unallocated` (scenario-format §6 rules 4 and 6).
fn composite_weights(weights: Weights, members: &[&Institution]) -> Result<Vec<u128>> {
    let overflow = || SurplusError::from(medfund_core::CoreError::Overflow { operation: "composite weights" });
    let scores = integer_weights(members.iter().map(|i| i.chronic_care_score.value()))?;
    let loads = integer_weights(members.iter().map(|i| i.workload.value()))?;
    let sum = |v: &[u128]| v.iter().try_fold(0_u128, |a, &x| a.checked_add(x)).ok_or_else(overflow);
    let (sum_scores, sum_loads) = (sum(&scores)?, sum(&loads)?);
    let wk = integer_weights([weights.chronic_care.to_decimal(), weights.workload.to_decimal()].into_iter())?;
    let [wc, ww] = <[u128; 2]>::try_from(wk.as_slice()).expect("invariant: two weights in, two out");
    if wc == 0 && ww == 0 {
        return Ok(vec![0; members.len()]);
    }
    match (sum_scores, sum_loads) {
        (0, 0) => Ok(vec![0; members.len()]),
        (0, _) => Ok(loads),
        (_, 0) => Ok(scores),
        _ => scores
            .iter()
            .zip(&loads)
            .map(|(&s, &l)| {
                let a = wc.checked_mul(s).and_then(|x| x.checked_mul(sum_loads)).ok_or_else(overflow)?;
                let b = ww.checked_mul(l).and_then(|x| x.checked_mul(sum_scores)).ok_or_else(overflow)?;
                a.checked_add(b).ok_or_else(overflow)
            })
            .collect(),
    }
}

/// Splits `pool` by `weights` into `out` (indexed like `members`). Returns
/// the pool if nobody can receive it (no member, or every weight zero).
fn split_pool(splitter: &mut Splitter, pool: Money, weights: &[u128], out: &mut [Money]) -> Result<Money> {
    if weights.iter().all(|&w| w == 0) || pool.is_zero() {
        return Ok(pool);
    }
    splitter.split_into(pool, weights, out)?;
    Ok(Money::ZERO)
}

fn validate<'a>(
    total: Money,
    institutions: &'a [Institution],
    spending: &[Spending],
) -> Result<HashMap<&'a str, usize>> {
    if total.is_negative() {
        return Err(SurplusError::OutOfRange {
            subject: "surplus".into(),
            field: "total",
            value: total.to_string(),
            expected: "an amount of zero or more",
        });
    }
    let mut index = HashMap::with_capacity(institutions.len());
    for (i, inst) in institutions.iter().enumerate() {
        if index.insert(inst.id.as_str(), i).is_some() {
            return Err(SurplusError::DuplicateInstitution { id: inst.id.clone() });
        }
        check_score(&format!("institution {:?}", inst.id), "chronic_care_score", inst.chronic_care_score)?;
        if inst.workload.is_negative() {
            return Err(SurplusError::OutOfRange {
                subject: format!("institution {:?}", inst.id),
                field: "workload",
                value: inst.workload.to_string(),
                expected: "a workload of zero or more",
            });
        }
    }
    for (line, s) in spending.iter().enumerate() {
        if !index.contains_key(s.institution.as_str()) {
            return Err(SurplusError::UnknownInstitution { line, id: s.institution.clone() });
        }
        if s.amount.is_negative() {
            return Err(SurplusError::OutOfRange {
                subject: format!("spending line {line}"),
                field: "amount",
                value: s.amount.to_string(),
                expected: "an amount of zero or more",
            });
        }
    }
    Ok(index)
}

/// Allocates `total` among `institutions` by `policy`, and checks `spending`
/// against the allowed uses.
///
/// 1. Each earmark = rate × total (or × what the primary floor leaves, by
///    [`EarmarkBase`]), rounded 四舍五入 (S1).
/// 2. `primary_pool` = primary_floor × total, rounded, split among primary
///    institutions by [`FloorSplit`] (S2).
/// 3. `performance_pool` = total − earmarks − primary_pool, split among the
///    institutions whose score ≥ min_score by composite weight (S3, S4).
/// 4. Every split is largest remainder; a pool nobody can receive is
///    `unallocated`, never lost.
/// 5. Spending outside the allowed categories, and spending above an
///    institution's total, are violations (S5).
pub fn allocate(
    policy: &SurplusPolicy,
    total: Money,
    institutions: &[Institution],
    spending: &[Spending],
    trace: &mut Trace,
) -> Result<Allocation> {
    policy.validate()?;
    let index = validate(total, institutions, spending)?;
    check_categories(policy, spending)?;
    let rounding = policy.rounding;

    // Each pool is rounded on its own, then capped by what is still left, in
    // pipeline order: rates that sum to exactly 100 % can never round the
    // pools above the total (e.g. 50 % + 50 % of 0.01 yuan).
    let primary_raw = total.mul_rate(policy.primary_floor.rate(), rounding)?;
    let earmark_base = match policy.earmark_base {
        EarmarkBase::Total => total,
        EarmarkBase::AfterPrimaryFloor => total.checked_sub(primary_raw)?,
    };
    let mut earmarks = Vec::with_capacity(policy.earmarks.len());
    let mut remaining = total;
    for (k, e) in policy.earmarks.iter().enumerate() {
        let amount = earmark_base.mul_rate(e.rate.rate(), rounding)?.min(remaining);
        remaining = remaining.checked_sub(amount)?;
        trace.record(|| {
            Step::new(format!("/surplus/earmarks/{k}/amount"), ART_SHARES, "earmark rate × base, rounded to the fen")
                .zh("专项提取比例 × 提取基数，四舍五入到分")
                .input("rate", e.rate)
                .input("base", earmark_base)
                .result(amount)
        });
        earmarks.push(EarmarkAmount { name: e.name.clone(), amount });
    }
    let primary_pool = primary_raw.min(remaining);
    let performance_pool = remaining.checked_sub(primary_pool)?;
    let mut unallocated = Money::ZERO;
    let mut splitter = Splitter::new();

    // Primary pool among primary institutions (S2).
    let primary: Vec<&Institution> = institutions.iter().filter(|i| i.level == crate::Level::Primary).collect();
    let floor_weights: Vec<u128> = match policy.floor_split {
        FloorSplit::Composite => composite_weights(policy.weights, &primary)?,
        FloorSplit::Workload => integer_weights(primary.iter().map(|i| i.workload.value()))?,
        FloorSplit::Equal => vec![1; primary.len()],
    };
    let mut floor_shares = vec![Money::ZERO; primary.len()];
    let primary_left = split_pool(&mut splitter, primary_pool, &floor_weights, &mut floor_shares)?;
    unallocated = unallocated.checked_add(primary_left)?;

    // Performance pool among qualifying institutions (S3, S4).
    let qualifying: Vec<&Institution> = institutions
        .iter()
        .filter(|i| {
            i.chronic_care_score >= policy.min_score
                && (policy.performance_includes_primary || i.level != crate::Level::Primary)
        })
        .collect();
    let perf_weights = composite_weights(policy.weights, &qualifying)?;
    let mut perf_shares = vec![Money::ZERO; qualifying.len()];
    let perf_left = split_pool(&mut splitter, performance_pool, &perf_weights, &mut perf_shares)?;
    unallocated = unallocated.checked_add(perf_left)?;

    let mut shares: Vec<InstitutionShare> = institutions
        .iter()
        .map(|i| InstitutionShare {
            id: i.id.clone(),
            floor_share: Money::ZERO,
            performance_share: Money::ZERO,
            total: Money::ZERO,
        })
        .collect();
    let position = |inst: &Institution| index.get(inst.id.as_str()).copied();
    for (inst, &s) in primary.iter().zip(&floor_shares) {
        if let Some(slot) = position(inst).and_then(|p| shares.get_mut(p)) {
            slot.floor_share = s;
        }
    }
    for (inst, &s) in qualifying.iter().zip(&perf_shares) {
        if let Some(slot) = position(inst).and_then(|p| shares.get_mut(p)) {
            slot.performance_share = s;
        }
    }
    let mut primary_total = Money::ZERO;
    for (share, inst) in shares.iter_mut().zip(institutions) {
        share.total = share.floor_share.checked_add(share.performance_share)?;
        if inst.level == crate::Level::Primary {
            primary_total = primary_total.checked_add(share.total)?;
        }
    }
    let primary_share_of_total = if total.is_zero() {
        None
    } else {
        let ratio = Decimal::from(primary_total).checked_div(Decimal::from(total));
        ratio.map(|r| {
            let mut r = r.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            r.rescale(4);
            r
        })
    };

    if trace.is_on() {
        trace_allocation(policy, total, primary_pool, performance_pool, unallocated, institutions, &shares, trace);
    }
    let violations = check_spending(policy, spending, institutions, &shares, &index)?;
    if !spending.is_empty() {
        trace.record(|| {
            Step::new(
                "/surplus/violations",
                ART_USES,
                "each spending line in an allowed use category; each institution's spending within its allocation",
            )
            .zh("每笔支出须属允许的用途类别；各机构支出不得超过其分配额")
            .input("spending_lines", spending.len())
            .input("allowed_categories", policy.allowed_categories.join(", "))
            .result(format!("{} violations", violations.len()))
        });
    }
    Ok(Allocation {
        total,
        earmarks,
        primary_pool,
        performance_pool,
        unallocated,
        institutions: shares,
        primary_share_of_total,
        violations,
    })
}

#[allow(clippy::too_many_arguments)]
fn trace_allocation(
    policy: &SurplusPolicy,
    total: Money,
    primary_pool: Money,
    performance_pool: Money,
    unallocated: Money,
    institutions: &[Institution],
    shares: &[InstitutionShare],
    trace: &mut Trace,
) {
    trace.record(|| {
        Step::new("/surplus/primary_pool", ART_SHARES, "primary_floor × total, rounded to the fen (基层留用比例)")
            .zh("基层留用比例 × 结余总额，四舍五入到分（基层留用）")
            .input("primary_floor", policy.primary_floor)
            .input("total", total)
            .result(primary_pool)
    });
    trace.record(|| {
        Step::new("/surplus/performance_pool", ART_SHARES, "total − earmarks − primary_pool (绩效奖励)")
            .zh("结余总额 − 专项提取 − 基层留用（绩效奖励）")
            .input("total", total)
            .result(performance_pool)
    });
    for (i, (inst, s)) in institutions.iter().zip(shares).enumerate() {
        if inst.level == crate::Level::Primary {
            trace.record(|| {
                let floor_split_zh = match policy.floor_split {
                    crate::FloorSplit::Composite => "得分与工作量的综合权重",
                    crate::FloorSplit::Workload => "工作量",
                    crate::FloorSplit::Equal => "平均",
                };
                Step::new(
                    format!("/surplus/institutions/{i}/floor_share"),
                    ART_SHARES,
                    format!(
                        "primary_pool split among primary institutions by {:?}, largest remainder",
                        policy.floor_split
                    ),
                )
                .zh(format!("基层留用资金在基层机构间按{}分配，最大余数法", floor_split_zh))
                .input("id", &inst.id)
                .input("chronic_care_score", inst.chronic_care_score)
                .input("workload", inst.workload)
                .result(s.floor_share)
            });
        }
        trace.record(|| {
            Step::new(
                format!("/surplus/institutions/{i}/performance_share"),
                ART_PERFORMANCE,
                "performance_pool × (w_c × score ÷ Σ score + w_w × workload ÷ Σ workload) among qualifying institutions, largest remainder",
            ).zh("绩效奖励资金 × (w_c × 得分 ÷ Σ得分 + w_w × 工作量 ÷ Σ工作量)，在达标机构间分配，最大余数法")
            .input("id", &inst.id)
            .input("w_c", policy.weights.chronic_care)
            .input("w_w", policy.weights.workload)
            .input("chronic_care_score", inst.chronic_care_score)
            .input("workload", inst.workload)
            .input("min_score", policy.min_score)
            .result(s.performance_share)
        });
    }
    trace.record(|| {
        Step::new("/surplus/unallocated", ART_SHARES, "pools no institution could receive")
            .zh("无机构可领取的资金")
            .result(unallocated)
    });
}

/// Every spending line names a known category: a typo is an input error,
/// never a violation charged to an institution.
fn check_categories(policy: &SurplusPolicy, spending: &[Spending]) -> Result<()> {
    for (line, s) in spending.iter().enumerate() {
        if policy.category_status(&s.category) == CategoryStatus::Unknown {
            return Err(SurplusError::UnknownCategory {
                line,
                category: s.category.clone(),
                known: policy.known_categories(),
            });
        }
    }
    Ok(())
}

/// Rule: 医保结余留用资金分配方案（2025） 3. 使用范围 (专款专用).
fn check_spending(
    policy: &SurplusPolicy,
    spending: &[Spending],
    institutions: &[Institution],
    shares: &[InstitutionShare],
    index: &HashMap<&str, usize>,
) -> Result<Vec<Violation>> {
    let mut violations = Vec::new();
    let mut spent = vec![Money::ZERO; institutions.len()];
    for (line, s) in spending.iter().enumerate() {
        if let CategoryStatus::NotAllowed(id) = policy.category_status(&s.category) {
            violations.push(Violation {
                institution: s.institution.clone(),
                rule: ViolationRule::CategoryNotAllowed,
                detail: format!(
                    "spending line {line}: {} yuan in category {id:?}, which is not an allowed use ({}; {})",
                    s.amount,
                    policy.allowed_categories.join(", "),
                    ART_USES
                ),
                detail_zh: format!(
                    "支出明细 [{line}]：{} 元，用途类别 {id:?} 不在允许范围内（{}；{}）",
                    s.amount,
                    policy.allowed_categories.join("、"),
                    ART_USES
                ),
            });
        }
        if let Some(slot) = index.get(s.institution.as_str()).and_then(|&i| spent.get_mut(i)) {
            *slot = slot.checked_add(s.amount)?;
        }
    }
    for ((inst, share), &amount) in institutions.iter().zip(shares).zip(&spent) {
        if amount > share.total {
            violations.push(Violation {
                institution: inst.id.clone(),
                rule: ViolationRule::OverAllocation,
                detail: format!("spent {amount} yuan, above its allocation of {} yuan ({})", share.total, ART_USES),
                detail_zh: format!("支出 {amount} 元，超过其分配额 {} 元（{}）", share.total, ART_USES),
            });
        }
    }
    Ok(violations)
}
