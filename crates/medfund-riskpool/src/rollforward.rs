//! Several fund years in a row: balances and rolling surpluses carry over.

use medfund_core::{Money, PolicyHistory, Share, Trace};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RiskPoolError};
use crate::policy::{RiskPoolPolicy, Scheme};
use crate::year::{FundYear, SchemeInput, Unit, compute_year};

/// A unit's yearly figures over the projected years.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct UnitSeries {
    /// Unique id within the scheme.
    pub id: String,
    /// Own rolling surplus at the start of the first year.
    pub rolling_surplus: Money,
    /// League finance's share of a fiscal subsidy, if set.
    #[serde(default)]
    pub league_fiscal_share: Option<Share>,
    /// Revenue per year, first year first.
    pub revenue: Vec<Money>,
    /// Expenditure per year, first year first.
    pub expenditure: Vec<Money>,
}

/// A scheme's opening balance and its units' series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SchemeSeries {
    /// The scheme.
    pub scheme: Scheme,
    /// Risk-fund balance at the start of the first year.
    pub opening_balance: Money,
    /// The units.
    pub units: Vec<UnitSeries>,
}

/// Rolls the fund forward over `years` years from `first_year`: each scheme's
/// opening balance is the previous closing balance and each unit's rolling
/// surplus its previous closing rolling surplus (阿署办发〔2020〕30号 第十四条,
/// 滚存结余留用). The cap follows each year's own revenue. Each year is
/// computed under the policy version that governs it, so a rule change
/// mid-projection is honoured.
///
/// ```
/// use medfund_core::{Money, Trace};
/// use medfund_riskpool::{alxa_2020, history_of, roll_forward, Scheme, SchemeSeries, UnitSeries};
/// let m = |y: i64| Money::from_yuan(y).unwrap();
/// let series = vec![SchemeSeries {
///     scheme: Scheme::Employee,
///     opening_balance: m(0),
///     units: vec![UnitSeries {
///         id: "league".into(),
///         rolling_surplus: m(0),
///         league_fiscal_share: None,
///         revenue: vec![m(1_000), m(1_000)],
///         expenditure: vec![m(800), m(800)],
///     }],
/// }];
/// let years = roll_forward(&history_of(alxa_2020()?)?, 2021, 2, &series, &mut Trace::off())?;
/// assert_eq!(years[0].schemes[0].totals.closing_balance, m(100));
/// assert_eq!(years[1].schemes[0].totals.opening_balance, m(100));
/// # Ok::<(), medfund_riskpool::RiskPoolError>(())
/// ```
pub fn roll_forward(
    history: &PolicyHistory<RiskPoolPolicy>,
    first_year: i32,
    years: usize,
    schemes: &[SchemeSeries],
    trace: &mut Trace,
) -> Result<Vec<FundYear>> {
    for s in schemes {
        for u in &s.units {
            for found in [u.revenue.len(), u.expenditure.len()] {
                if found != years {
                    return Err(RiskPoolError::SeriesLength { id: u.id.clone(), found, expected: years });
                }
            }
        }
    }
    let mut inputs: Vec<SchemeInput> = schemes
        .iter()
        .map(|s| SchemeInput {
            scheme: s.scheme,
            opening_balance: s.opening_balance,
            units: s
                .units
                .iter()
                .map(|u| Unit {
                    id: u.id.clone(),
                    name: None,
                    revenue: Money::ZERO,
                    expenditure: Money::ZERO,
                    rolling_surplus: u.rolling_surplus,
                    league_fiscal_share: u.league_fiscal_share,
                })
                .collect(),
        })
        .collect();
    let mut out = Vec::with_capacity(years);
    let mut year = first_year;
    for index in 0..years {
        for (input, series) in inputs.iter_mut().zip(schemes) {
            for (unit, s) in input.units.iter_mut().zip(&series.units) {
                // Every series was checked to hold one figure per year (SeriesLength).
                unit.revenue = *s.revenue.get(index).expect("invariant: series lengths were checked");
                unit.expenditure = *s.expenditure.get(index).expect("invariant: series lengths were checked");
            }
        }
        let fund_year = compute_year(history, year, &inputs, trace)?;
        for (input, result) in inputs.iter_mut().zip(&fund_year.schemes) {
            input.opening_balance = result.totals.closing_balance;
            for (unit, outcome) in input.units.iter_mut().zip(&result.outcomes) {
                unit.rolling_surplus = outcome.closing_rolling_surplus;
            }
        }
        out.push(fund_year);
        year = year.checked_add(1).ok_or(medfund_core::CoreError::Overflow { operation: "fund year" })?;
    }
    Ok(out)
}
