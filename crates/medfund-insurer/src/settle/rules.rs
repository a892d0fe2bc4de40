//! The rules of the chain for one claim: the hardship category of a
//! person-year, fund and insurer then the subsidies (X2–X4, X7, X8, X6),
//! and the migrant scheme (X9).

use medfund_core::{Money, Step};

use super::{Running, Settler};
use crate::banded::{BandSplit, BandedSchedule};
use crate::error::{InsurerError, Result};
use crate::onestop::{
    CIVIL_SERVANT_RULE, DeductiblePer, HARDSHIP_RULE, Hardship, MIGRANT_RULE, Person, Status, SubsidyOrder,
    YearSchedules,
};
use crate::settled::SettledClaim;
use crate::supplementary::XIAMEN_RULE;

/// What in a listed person's entry contradicts the rest of it or the
/// policy, whether or not the person has claims: a hardship category for a
/// migrant worker (X9 has no subsidy), a low pension for a person not
/// retired or without a monthly pension, a migrant's contribution months
/// below the first row of `migrant_limits`. The field, the problem and what
/// was expected.
///
/// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
/// Rule: 厦门市基本医疗保险实践（2007） 外来从业人员住院医疗
pub(super) fn contradiction(
    person: &Person,
    subsidies: &crate::onestop::SubsidyPolicy,
) -> Result<Option<(&'static str, String, &'static str)>> {
    if person.hardship.is_some() && person.status == Status::Migrant {
        return Ok(Some((
            "hardship",
            "is given for a migrant worker".into(),
            "no hardship category (X9 has no subsidy)",
        )));
    }
    if person.hardship == Some(Hardship::LowPension) {
        if !person.status.is_retired() {
            return Ok(Some(("hardship", "is low-pension for a person not retired".into(), "a retired status")));
        }
        if person.monthly_pension.is_none() {
            return Ok(Some(("monthly_pension", "is missing".into(), "the monthly pension of a low-pension retiree")));
        }
    }
    if let (Status::Migrant, Some(months), true) =
        (person.status, person.contribution_months, subsidies.migrant_limits.is_some())
    {
        if subsidies.migrant_limit(months)?.is_none() {
            return Ok(Some((
                "contribution_months",
                format!("{months} is below the first row of migrant_limits"),
                "the months of continuous contribution that select a row of migrant_limits",
            )));
        }
    }
    Ok(None)
}

impl<P: std::fmt::Display> Settler<'_, P> {
    /// The hardship category that applies to `person` in `medical_year`:
    /// a low pension is tested against the year's W.
    ///
    /// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
    pub(super) fn hardship_of(
        &mut self,
        index: Option<usize>,
        id: &P,
        person: &Person,
        medical_year: i32,
    ) -> Result<Option<Hardship>> {
        let invalid = |field, problem: &str, expected| InsurerError::InvalidPerson {
            index: index.expect("invariant: a person with a hardship category is listed"),
            id: id.to_string(),
            field,
            problem: problem.into(),
            expected,
        };
        match person.hardship {
            None => Ok(None),
            Some(_) if person.status == Status::Migrant => {
                Err(invalid("hardship", "is given for a migrant worker", "no hardship category (X9 has no subsidy)"))
            }
            Some(Hardship::SubsistenceAllowance) => Ok(Some(Hardship::SubsistenceAllowance)),
            Some(Hardship::LowPension) => {
                if !person.status.is_retired() {
                    return Err(invalid("hardship", "is low-pension for a person not retired", "a retired status"));
                }
                let pension = person.monthly_pension.ok_or_else(|| {
                    invalid("monthly_pension", "is missing", "the monthly pension of a low-pension retiree")
                })?;
                let below = self.year(medical_year, "the low-pension test (X6)")?.low_pension_below;
                Ok((pension < below).then_some(Hardship::LowPension))
            }
        }
    }

    /// X2–X4, then X7/X8 and X6 in the policy's order, for one claim.
    pub(super) fn chain(
        &mut self,
        person: &Person,
        hardship: Option<Hardship>,
        medical_year: i32,
        running: &mut Running,
        entry: &crate::supplementary::Entry,
    ) -> Result<SettledClaim> {
        let cost = entry.cost;
        let before = running.supplementary.cost();
        let (split, excess) = match (self.column, running.column.as_mut()) {
            (Some(column), Some(state)) => {
                let ([fund, insurer, _], excess) = column.apply_with_excess(state, cost.fen().unsigned_abs());
                // Each part is at most the cost, an i64.
                let fen = |v: u64| Money::from_fen(i64::try_from(v).expect("invariant: a part is at most the cost"));
                let (fund, insurer) = (fen(fund), fen(insurer));
                let person = cost.checked_sub(fund)?.checked_sub(insurer)?;
                (BandSplit::new(fund, insurer, Money::ZERO, person), fen(excess))
            }
            _ => self.schedule.apply_with_excess(&mut running.supplementary, cost)?,
        };
        let mut claim = SettledClaim {
            medical_year,
            fund: split.fund,
            insurer: split.insurer,
            person_pays: split.person,
            ..SettledClaim::default()
        };
        // The claim's step, its result the claim's figures as the report has
        // them: the person's after any subsidy, which the step then names.
        let split_step = |person_pays: Money| {
            let subsidised = person_pays != split.person;
            let step = Step::new(
                format!("/supplementary/claims/{}", entry.index),
                XIAMEN_RULE,
                if subsidised {
                    "by the person's running eligible total in the medical year: the fund pays up to fund_cap; above it the insurer pays insurer_rate (rounded per claim) until insurer_cap; the person pays the rest (person_before_subsidies), less the subsidies of the steps that follow"
                } else {
                    "by the person's running eligible total in the medical year: the fund pays up to fund_cap; above it the insurer pays insurer_rate (rounded per claim) until insurer_cap; the person pays the rest"
                },
            )
            .zh(if subsidised {
                "按参保人医保年度内累计合规费用：统筹基金支付至统筹封顶线；超出部分由保险公司按赔付比例支付（逐笔四舍五入）至保险公司封顶线；其余（补助前个人自付）减去其后各步的补助为个人自付"
            } else {
                "按参保人医保年度内累计合规费用：统筹基金支付至统筹封顶线；超出部分由保险公司按赔付比例支付（逐笔四舍五入）至保险公司封顶线；其余个人自付"
            })
            .input("medical_year", medical_year)
            .input("running_total_before", before)
            .input("eligible_cost", cost);
            let step = if subsidised { step.input("person_before_subsidies", split.person) } else { step };
            step.result(format!("fund {}; insurer {}; person {}", split.fund, split.insurer, person_pays))
        };
        let civil = matches!(person.status, Status::CivilServant | Status::RetiredCivilServant);
        if !civil && hardship.is_none() {
            if self.tracing {
                self.steps.push((entry.index, split_step(claim.person_pays)));
            }
            return Ok(claim);
        }
        let copay = split.person.checked_sub(excess)?;
        let order = self.subsidies.order;
        let retired = usize::from(person.status == Status::RetiredCivilServant);
        let tracing = self.tracing;
        // The division-free subsidy paths: as for the supplementary schedule.
        let (fast, cost_sum) = (self.column.is_some(), self.cost_sum);
        let mut steps: Vec<Step> = Vec::new();
        let needed = if civil { "the civil-servant subsidy (X7, X8)" } else { "the hardship subsidy (X6)" };
        let ys = self.year(medical_year, needed)?;
        let wage = ys.wage;
        let mut hardship_part = Money::ZERO;
        if let (Some(kind), SubsidyOrder::HardshipFirst) = (hardship, order) {
            hardship_part =
                hardship_subsidy(ys, kind, running, split.person, wage, tracing, (fast, cost_sum), &mut steps, entry)?;
        }
        if civil {
            // Hardship-first: the hardship part is taken off the co-payments and the excess pro rata.
            let (mut base_copay, mut base_excess) = (copay, excess);
            if hardship_part.is_positive() {
                let mut shares = [Money::ZERO; 2];
                self.splitter.split_into(
                    hardship_part,
                    &[copay.fen().unsigned_abs(), excess.fen().unsigned_abs()],
                    &mut shares,
                )?;
                let [on_copay, on_excess] = shares;
                base_copay = copay.checked_sub(on_copay)?;
                base_excess = excess.checked_sub(on_excess)?;
            }
            let ys = self.year(medical_year, needed)?;
            let cs_schedule = ys.civil_servant.get(retired).expect("invariant: active and retired schedules");
            let cs_before = running.civil_servant.before();
            let fast = |s: &BandedSchedule| fast && s.column().is_some_and(|c| c.limit() >= cost_sum);
            claim.civil_servant = running.civil_servant.apply(cs_schedule, base_copay, fast(cs_schedule))?;
            let am_before = running.above_max.before();
            claim.civil_servant_above_max = running.above_max.apply(&ys.above_max, base_excess, fast(&ys.above_max))?;
            if tracing {
                let threshold =
                    if retired == 1 { "retired_civil_servant_threshold" } else { "civil_servant_threshold" };
                steps.push(
                    Step::new(
                        format!("/supplementary/claims/{}/civil_servant", entry.index),
                        CIVIL_SERVANT_RULE,
                        "civil_servant_rate × the part of the year's co-payments (the person's share within the insurer's band) above the threshold × W",
                    )
                    .zh("医保年度内个人自付（补充保险个人承担部分）累计超过上年度社平工资×起付比例的部分 × 补助比例")
                    .input("status", if retired == 1 { "retired-civil-servant" } else { "civil-servant" })
                    .input("W", wage)
                    .input("threshold", threshold)
                    .input("copayments_before", cs_before)
                    .input("copayment", base_copay)
                    .result(claim.civil_servant),
                );
                steps.push(
                    Step::new(
                        format!("/supplementary/claims/{}/civil_servant_above_max", entry.index),
                        CIVIL_SERVANT_RULE,
                        "above_max_rate × the cost beyond the insurer's maximum, until above_max_cap in the medical year",
                    )
                    .zh("超过补充保险最高支付限额的费用 × 70%，医保年度内至补助限额")
                    .input("excess_before", am_before)
                    .input("excess", base_excess)
                    .input("above_max_cap", self.subsidies.above_max_cap)
                    .result(claim.civil_servant_above_max),
                );
            }
        }
        if let (Some(kind), SubsidyOrder::CivilServantFirst) = (hardship, order) {
            let left = split.person.checked_sub(claim.civil_servant)?.checked_sub(claim.civil_servant_above_max)?;
            let ys = self.year(medical_year, needed)?;
            hardship_part =
                hardship_subsidy(ys, kind, running, left, wage, tracing, (fast, cost_sum), &mut steps, entry)?;
        }
        claim.hardship = hardship_part;
        claim.person_pays = split
            .person
            .checked_sub(claim.civil_servant)?
            .checked_sub(claim.civil_servant_above_max)?
            .checked_sub(claim.hardship)?;
        if tracing {
            self.steps.push((entry.index, split_step(claim.person_pays)));
        }
        self.steps.extend(steps.into_iter().map(|s| (entry.index, s)));
        Ok(claim)
    }

    /// X9 for one claim of a migrant worker.
    ///
    /// Rule: 厦门市基本医疗保险实践（2007） 外来从业人员住院医疗
    #[allow(clippy::too_many_arguments)]
    pub(super) fn migrant(
        &mut self,
        index: Option<usize>,
        id: &P,
        person: &Person,
        medical_year: i32,
        schedule: &mut Option<usize>,
        running: &mut Running,
        entry: &crate::supplementary::Entry,
    ) -> Result<SettledClaim> {
        let invalid = |problem: String| InsurerError::InvalidPerson {
            index: index.expect("invariant: a migrant is a listed person"),
            id: id.to_string(),
            field: "contribution_months",
            problem,
            expected: "the months of continuous contribution that select a row of migrant_limits",
        };
        let months = person.contribution_months.ok_or_else(|| invalid("is missing".into()))?;
        let limit = self
            .subsidies
            .migrant_limit(months)?
            .ok_or_else(|| invalid(format!("{months} is below the first row of migrant_limits")))?;
        if schedule.is_none() {
            // One schedule per medical year and limit, built once for every migrant.
            let found = self.migrant_schedules.iter().position(|(y, l, _)| *y == medical_year && *l == limit);
            *schedule = Some(match found {
                Some(at) => at,
                None => {
                    let subsidies = self.subsidies;
                    let built = self.year(medical_year, "the migrant deductible (X9)")?.migrant(subsidies, limit)?;
                    self.migrant_schedules.push((medical_year, limit, built));
                    self.migrant_schedules.len().wrapping_sub(1)
                }
            });
        }
        let at = schedule.expect("invariant: set above");
        let (_, _, s) = self.migrant_schedules.get(at).expect("invariant: an index of a built schedule");
        if self.subsidies.migrant_deductible_per == DeductiblePer::Admission {
            running.migrant.restart_cost();
        }
        let before = running.migrant.cost();
        let paid_before = running.migrant.paid_by(crate::Payer::Fund);
        let split = s.apply(&mut running.migrant, entry.cost)?;
        if self.tracing {
            let deductible = self.year(medical_year, "the migrant deductible (X9)")?.migrant_deductible;
            self.steps.push((
                entry.index,
                Step::new(
                    format!("/supplementary/claims/{}", entry.index),
                    MIGRANT_RULE,
                    "the person first pays migrant_deductible × W (per medical year or admission), then the fund pays migrant_fund_rate until the limit of the person's contribution months; the person pays the rest",
                )
                .zh("先由本人支付上年度社平工资的5%，其余部分由统筹基金支付85%（至按连续缴费时间确定的限额），个人自付其余")
                .input("medical_year", medical_year)
                .input("running_total_before", before)
                .input("fund_paid_before", paid_before)
                .input("deductible", deductible)
                .input("contribution_months", months)
                .input("limit", limit)
                .input("eligible_cost", entry.cost)
                .result(format!("fund {}; person {}", split.fund, split.person)),
            ));
        }
        Ok(SettledClaim { medical_year, fund: split.fund, person_pays: split.person, ..SettledClaim::default() })
    }
}

/// X6 on `base` (this claim's out-of-pocket left), the running total of the year's.
///
/// Rule: 厦门市基本医疗保险实践（2007） 二、自付医疗费困难补助
#[allow(clippy::too_many_arguments)]
fn hardship_subsidy(
    ys: &YearSchedules,
    kind: Hardship,
    running: &mut Running,
    base: Money,
    wage: Money,
    tracing: bool,
    (fast, cost_sum): (bool, u64),
    steps: &mut Vec<Step>,
    entry: &crate::supplementary::Entry,
) -> Result<Money> {
    let k = usize::from(kind == Hardship::LowPension);
    let before = running.hardship.before();
    let schedule = ys.hardship.get(k).expect("invariant: two hardship schedules");
    let fast = fast && schedule.column().is_some_and(|c| c.limit() >= cost_sum);
    let part = running.hardship.apply(schedule, base, fast)?;
    if tracing {
        steps.push(
            Step::new(
                format!("/supplementary/claims/{}/hardship", entry.index),
                HARDSHIP_RULE,
                "hardship_lower_rate × the year's out-of-pocket between the lower and upper shares of W, hardship_upper_rate above the upper, until hardship_cap in the medical year",
            )
            .zh("医保年度内个人自付费用：高于社平工资下限比例且低于上限比例的部分补助50%，达到上限比例以上的部分补助70%，年度最高补助限额")
            .input("category", if k == 1 { "low-pension" } else { "subsistence-allowance" })
            .input("W", wage)
            .input("out_of_pocket_before", before)
            .input("out_of_pocket", base)
            .result(part),
        );
    }
    Ok(part)
}
