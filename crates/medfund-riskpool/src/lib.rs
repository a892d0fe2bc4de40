//! # medfund-riskpool
//!
//! The league/county **risk-sharing fund** (风险共济金) of
//! 阿署办发〔2020〕30号 阿拉善盟医疗保险基金盟级统筹管理办法, on exact
//! [`medfund_core::Money`].
//!
//! | rule | where |
//! |---|---|
//! | R1/R2 separate books per unit, separate ledgers per scheme (第七条, 第十四条) | [`SchemeInput`], one per [`Scheme`] |
//! | R3–R6 levy 10 % of current-year revenue, stop at the cap (第十五条, 第十六条) | [`SchemeEngine::run`] |
//! | R7 balance rolls over (第十四条) | [`roll_forward`] |
//! | R8 cover order: own surplus → fund → actuarial review → fiscal subsidy (第十七条) | [`SchemeEngine::run`], [`Rationing`] |
//! | R10 remittance by the 10th of the following month (第六条) | [`check_remittances`] |
//! | many years under uncertain growth (scenario contract §8) | [`simulate`] |
//!
//! ## Semantics of one scheme-year
//!
//! 1. `revenue_base` = Σ revenue; `cap` = cap_multiple × revenue_base (to the fen).
//! 2. `levy` = min(levy_rate × revenue_base, max(0, cap − opening_balance)),
//!    rounded 四舍五入. The levy is computed on the opening balance, before the
//!    year's draws, and cut to reach the cap exactly (the source's open
//!    questions; these are the documented defaults).
//! 3. `levy_charge`: the levy split pro rata to revenue, largest remainder.
//! 4. `result` = revenue − levy_charge − expenditure; a negative result is a `gap`.
//! 5. The gap is covered by the unit's own rolling surplus, then by the fund
//!    (opening balance + levy). If the fund cannot cover every remaining gap it
//!    is rationed by [`Rationing`] (`pro-rata` by default, or `in-order`: the
//!    source is silent). What is left is `unresolved`: it flags an actuarial
//!    review, and the fiscal subsidy that covers it is split by the unit's
//!    league fiscal share (its own, else the policy default; `None` if neither).
//! 6. `draws` = Σ from_risk_fund; `closing_balance` = opening + levy − draws.
//! 7. `closing_rolling_surplus` = rolling_surplus − from_own_surplus + max(result, 0).
//!
//! ## A property of the rule worth knowing
//!
//! With `cap_multiple` ≤ 1 (the Alxa rule) more revenue never means a larger
//! gap for a unit. Above 1, when the cap binds, one more yuan of revenue raises
//! the levy by `cap_multiple` yuan, so a unit's levy charge can grow faster than
//! its revenue and its gap can grow. The library computes the rule as written
//! and does not smooth this over.
//!
//! ## Worked example
//!
//! ```
//! use medfund_core::{Money, Trace};
//! use medfund_riskpool::{alxa_2020, compute_year, history_of, Scheme, SchemeInput, Unit};
//!
//! let m = |s: &str| s.parse::<Money>().unwrap();
//! let unit = |id: &str, revenue, expenditure, surplus| Unit {
//!     id: id.into(),
//!     name: None,
//!     revenue: m(revenue),
//!     expenditure: m(expenditure),
//!     rolling_surplus: m(surplus),
//!     league_fiscal_share: Some("50%".parse().unwrap()),
//! };
//! let employee = SchemeInput {
//!     scheme: Scheme::Employee,
//!     opening_balance: m("500万"),
//!     units: vec![
//!         unit("league", "4000万", "3600万", "0"),
//!         unit("left-banner", "3000万", "3500万", "80万"),
//!         unit("right-banner", "1000万", "900万", "0"),
//!     ],
//! };
//! let history = history_of(alxa_2020()?)?;
//! let mut trace = Trace::on();
//! let year = compute_year(&history, 2021, &[employee], &mut trace)?;
//! let s = &year.schemes[0];
//!
//! assert_eq!(s.totals.revenue_base, m("8000万"));
//! assert_eq!(s.totals.levy, m("800万"));                 // 10 %, cap (8,000万) far away
//! assert_eq!(s.outcomes[1].levy_charge, m("300万"));     // pro rata to revenue
//! assert_eq!(s.outcomes[1].gap, m("800万"));             // 3,000 − 300 − 3,500
//! assert_eq!(s.outcomes[1].from_own_surplus, m("80万"));
//! assert_eq!(s.outcomes[1].from_risk_fund, m("720万"));  // the fund holds 500 + 800 万
//! assert_eq!(s.totals.closing_balance, m("580万"));
//! assert!(!s.totals.actuarial_review);
//! assert!(trace.steps().iter().any(|step| step.rule.article == "第十五条"));
//! # Ok::<(), medfund_riskpool::RiskPoolError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

mod correlation;
mod draws;
pub mod error;
pub mod policy;
pub mod projection;
pub mod remittance;
pub mod rollforward;
mod select;
mod shocks;
pub mod stream;
mod summary;
mod trials;
pub mod units;
pub mod year;

pub use error::{Result, RiskPoolError};
pub use policy::{ALXA_2020, LevyBasis, Rationing, RiskPoolPolicy, Scheme, alxa_2020, history_of, preset, presets};
pub use projection::{
    Growth, GrowthMean, Percentiles, ProjectedScheme, ProjectedUnit, ProjectionSpec, Quantile, SchemeProjection,
    ShockDistribution, Shocks, Streams, SummaryOptions, TrialBlock, YearStats, simulate, simulate_trials,
    simulate_trials_with, simulate_with, stream_key, summarize, summarize_with,
};
pub use remittance::{Collection, RemittanceCheck, RemittanceStatus, check_remittances};
pub use rollforward::{SchemeSeries, UnitSeries, roll_forward};
pub use units::{UnitProjection, UnitTally, UnitYearStats};
pub use year::{
    FundYear, SchemeEngine, SchemeInput, SchemeTotals, SchemeYear, Unit, UnitFigures, UnitOutcome, compute_scheme,
    compute_year,
};

/// Every article of 阿署办发〔2020〕30号 this crate implements, as its trace steps cite them.
pub const CITATIONS: &[medfund_core::Citation] = &[
    remittance::ART06,
    year::ART07,
    year::ART14,
    year::ART15,
    year::ART16,
    year::ART17,
    year::ART17_1,
    year::ART17_2,
    year::ART17_3,
    year::ART17_4,
];
