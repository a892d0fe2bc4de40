//! What the projection tests share: two schemes of the same units.
#![allow(dead_code)]

use medfund_core::{Money, Rate};
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
