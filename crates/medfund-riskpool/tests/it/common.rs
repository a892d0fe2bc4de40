//! What the projection tests share: two schemes of the same units.
#![allow(dead_code, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use medfund_core::{Money, PolicyHistory, Rate};
use medfund_riskpool::stream::{Gathered, Plan, Step, gather};
use medfund_riskpool::*;

/// Employee and resident schemes of `units` (first-year revenue and
/// expenditure in fen, mean revenue and expenditure growth in ‰), every
/// growth with standard deviation `sd` ‰.
pub(crate) fn schemes(units: &[(i64, i64, i64, i64)], sd: i64) -> Vec<ProjectedScheme> {
    [Scheme::Employee, Scheme::Resident]
        .into_iter()
        .map(|scheme| ProjectedScheme {
            scheme,
            opening_balance: Money::from_fen(50_000_000),
            units: units
                .iter()
                .enumerate()
                .map(|(i, &(rev, exp, rg, eg))| ProjectedUnit {
                    first_year: UnitFigures {
                        revenue: Money::from_fen(rev),
                        expenditure: Money::from_fen(exp),
                        rolling_surplus: Money::ZERO,
                        league_fiscal_share: None,
                    },
                    revenue_growth: Growth::normal(Rate::per_mille(rg), Rate::per_mille(sd)),
                    expenditure_growth: Growth::normal(Rate::per_mille(eg), Rate::per_mille(sd)),
                    stream_key: medfund_riskpool::stream_key(scheme, &format!("unit-{i}")),
                })
                .collect(),
        })
        .collect()
}

/// Runs every pass of `plan` with the trials split at `cuts`, each piece
/// gathered apart (plan and outcome through bytes) and the pieces merged in
/// reverse order.
pub(crate) fn sharded(
    history: &PolicyHistory<RiskPoolPolicy>,
    spec: ProjectionSpec,
    schemes: &[ProjectedScheme],
    mut plan: Plan,
    cuts: &[u32],
) -> (Vec<SchemeProjection>, u32) {
    let mut bounds: Vec<u32> = cuts.iter().map(|c| c % (spec.trials + 1)).collect();
    bounds.extend([0, spec.trials]);
    bounds.sort_unstable();
    loop {
        // Each piece as another process would: the plan and its outcome carried as bytes.
        let mut pieces: Vec<Gathered> = bounds
            .windows(2)
            .map(|w| {
                let plan = Plan::from_bytes(&plan.to_bytes()).unwrap();
                let g = gather(history, spec, &Shocks::default(), schemes, &plan, w[0]..w[1], &|_| {}).unwrap();
                Gathered::from_bytes(&g.to_bytes()).unwrap()
            })
            .collect();
        let mut whole = pieces.pop().unwrap();
        while let Some(p) = pieces.pop() {
            whole.merge(p).unwrap();
        }
        let pass = plan.pass();
        match plan.next(whole).unwrap() {
            Step::Next(p) => plan = p,
            Step::Done(stats) => return (stats, pass),
        }
    }
}
