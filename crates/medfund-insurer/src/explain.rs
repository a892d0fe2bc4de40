//! The supplementary split with its audit trail recorded as each claim is
//! split: the running total of the person's medical year before the claim
//! is an input of the step, known only at that moment.

use std::cell::Cell;
use std::fmt::Display;
use std::hash::Hash;

use medfund_core::{Money, PolicyVersion, Step, Trace};

use crate::banded::RunningTotals;
use crate::error::Result;
use crate::supplementary::{
    Claim, ClaimSplit, SupplementaryPolicy, SupplementaryResult, XIAMEN_RULE, YearTotals, check_in_force,
    group_by_person, premiums, run, split_claims_in_force,
};

/// [`split_claims_in_force`], recording one step per claim
/// (`/supplementary/claims/i`: the running eligible total of the person's
/// medical year before the claim, the claim, the parameters and the split)
/// and one per medical year (`/supplementary/years/k/insurer_result`) when
/// `trace` is on. The splits are the same as without a trace (the checked
/// per-claim path computes them, claim by claim in the order of the rule);
/// with the trace off this is [`split_claims_in_force`] itself.
///
/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险
///
/// ```
/// use medfund_core::{Money, NaiveDate, Trace};
/// use medfund_insurer::{split_claims_explained, xiamen_2007, Claim};
/// let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
/// let y = |n| Money::from_yuan(n).unwrap();
/// let claims = vec![
///     Claim { person: "p-001", date: d(2023, 8, 1), eligible_cost: y(50_000) },
///     Claim { person: "p-001", date: d(2024, 3, 1), eligible_cost: y(20_000) },
/// ];
/// let mut trace = Trace::on();
/// let r = split_claims_explained(&xiamen_2007()?, 1_000, &claims, &mut trace)?;
/// let step = &trace.steps()[1];
/// assert_eq!(step.figure, "/supplementary/claims/1");
/// assert!(step.inputs.iter().any(|i| i.name == "running_total_before" && i.value == "50000.00"));
/// assert_eq!(r.claims[1].insurer, y(15_300));
/// # Ok::<(), medfund_insurer::InsurerError>(())
/// ```
pub fn split_claims_explained<P: Hash + Eq + Clone + Sync + Display>(
    version: &PolicyVersion<SupplementaryPolicy>,
    insured_persons: u64,
    claims: &[Claim<P>],
    trace: &mut Trace,
) -> Result<SupplementaryResult> {
    if !trace.is_on() {
        return split_claims_in_force(version, insured_persons, claims);
    }
    check_in_force(version, claims)?;
    let policy = version.params();
    let schedule = policy.schedule()?;
    let premiums = premiums(policy, insured_persons)?;
    let grouped = group_by_person(claims)?;
    let mut results = vec![ClaimSplit::default(); claims.len()];
    let mut before = vec![Money::ZERO; claims.len()];
    let (last, mut state, mut paid) = (Cell::new(Money::ZERO), RunningTotals::default(), YearTotals::default());
    let apply = |fresh: bool, cost: Money| {
        if fresh {
            state = RunningTotals::default();
        }
        last.set(state.cost());
        let s = schedule.apply(&mut state, cost)?;
        Ok((s.fund.fen(), s.insurer.fen()))
    };
    run(&grouped.entries, &grouped.ends, 0, policy.year_start, apply, &mut paid, |index, split| {
        let at = index as usize;
        *results.get_mut(at).expect("invariant: claim indices are below n") = split;
        *before.get_mut(at).expect("invariant: claim indices are below n") = last.get();
    })?;
    for (i, ((c, s), b)) in claims.iter().zip(&results).zip(&before).enumerate() {
        trace.record(|| {
            Step::new(
                format!("/supplementary/claims/{i}"),
                XIAMEN_RULE,
                "by the person's running eligible total in the medical year: the fund pays up to fund_cap; above it the insurer pays insurer_rate (rounded per claim) until insurer_cap; the person pays the rest",
            )
            .zh("按参保人医保年度内累计合规费用：统筹基金支付至统筹封顶线；超出部分由保险公司按赔付比例支付（逐笔四舍五入）至保险公司封顶线；其余个人自付")
            .input("person", &c.person)
            .input("date", c.date)
            .input("medical_year", s.medical_year)
            .input("running_total_before", b)
            .input("eligible_cost", c.eligible_cost)
            .input("fund_cap", policy.fund_cap)
            .input("insurer_rate", policy.insurer_rate)
            .input("insurer_cap", policy.insurer_cap)
            .result(format!("fund {}; insurer {}; person_pays {}", s.fund, s.insurer, s.person_pays))
        });
    }
    let years = paid.summaries(premiums)?;
    record_year_steps(policy, insured_persons, &years, trace);
    Ok(SupplementaryResult { claims: results, years })
}

/// Records the step of each medical year's account
/// (`/supplementary/years/k/insurer_result`), as [`split_claims_explained`]
/// does after its claims: for a split whose claims are too many to trace
/// one by one.
///
/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险
pub fn record_year_steps(
    policy: &SupplementaryPolicy,
    insured_persons: u64,
    years: &[crate::supplementary::YearSummary],
    trace: &mut Trace,
) {
    for (k, y) in years.iter().enumerate() {
        trace.record(|| {
            Step::new(
                format!("/supplementary/years/{k}/insurer_result"),
                XIAMEN_RULE,
                "premium_per_person × insured_persons − Σ insurer",
            )
            .zh("人均保费 × 参保人数 − 保险公司赔付合计")
            .input("premium_per_person", policy.premium_per_person)
            .input("insured_persons", insured_persons)
            .input("claims_paid", y.claims_paid)
            .result(y.insurer_result)
        });
    }
}
