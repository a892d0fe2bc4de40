//! # medfund-insurer
//!
//! Settlement of contracts between medical-security bureaus and commercial
//! insurers, on exact [`medfund_core::Money`]:
//!
//! - **Insurer-run medical assistance** (惠医保发〔2021〕96号, H1–H7): the
//!   service fee (4 % of spend, capped at 400,000 per county and year), March
//!   and September prepayments, the annual settlement by June 30, the June
//!   fee advance and the fee true-up, with lateness flags and a dated payment
//!   calendar split by ledger (assistance fund vs county budget). See
//!   [`settle`] and [`FeeBasis`] for the source's ambiguous fee basis.
//! - **Supplementary large-amount insurance** (Xiamen practice, X1–X5): a
//!   [`BandedSchedule`] over the person's running total in the medical year
//!   (July 1 reset), the batch [`split_claims`] over claims in any order, and
//!   the insurer's yearly result.
//! - **One-stop settlement** (Xiamen practice, X6–X9): [`settle_one_stop`]
//!   chains the fund and the insurer with the civil-servant and hardship
//!   subsidies (each a [`BandedSchedule`] of [`Payer::Subsidy`] bands over a
//!   running total, [`SubsidyOrder`] naming which applies first) and settles
//!   migrant workers by their own scheme; [`civil_servant_levy`] finances it.
//!
//! The settlement types are plain data (per-year records, payments with a
//! payer, payee and flow), so that later contracts — critical-illness
//! insurance with profit and loss corridors — fit as new settlement functions
//! over the same [`Payment`] and summary types.
//!
//! ## Worked example: assistance
//!
//! ```
//! use std::collections::BTreeMap;
//! use medfund_core::{Money, NaiveDate, PolicyHistory, Trace};
//! use medfund_insurer::{huizhou_2021, settle, County};
//!
//! let y = |n| Money::from_yuan(n).unwrap();
//! let d = |yr, m, day| NaiveDate::from_ymd_opt(yr, m, day).unwrap();
//! let county = County {
//!     id: "huicheng".into(),
//!     spend: BTreeMap::from([(2021, y(9_000_000)), (2022, y(12_000_000)), (2023, y(8_000_000))]),
//!     prior_plan_fee: BTreeMap::from([(2021, y(350_000))]),
//!     settled_on: BTreeMap::from([(2022, d(2023, 6, 20)), (2023, d(2024, 6, 25))]),
//!     ..County::default()
//! };
//! let history = PolicyHistory::new("assistance", vec![huizhou_2021()?])?;
//! let s = settle(&history, &[county], &mut Trace::off())?;
//! let y2022 = &s.counties[0].years[0];
//! assert_eq!((y2022.fee, y2022.fee_capped), (y(400_000), true));      // 4 % of 12,000,000 = 480,000 → cap
//! assert_eq!(y2022.prepay_march, y(4_500_000));                       // 50 % of spend(2021)
//! assert_eq!(y2022.annual_balance, y(3_900_000));                     // 12,000,000 − 4,500,000 − 3,600,000
//! assert_eq!(y2022.fee_advance, Some(y(280_000)));                    // 80 % of the previous plan's fee
//! assert_eq!(y2022.fee_due, Some(y(120_000)));
//! assert_eq!(y2022.fee_settlement_deadline, d(2023, 7, 10));          // settled 06-20 + 20 days
//! let y2023 = &s.counties[0].years[1];
//! assert_eq!((y2023.fee, y2023.fee_capped), (y(320_000), false));
//! assert_eq!(y2023.fee_advance, Some(y(320_000)));                    // 80 % of fee(2022) = 400,000
//! assert_eq!(y2023.fee_due, Some(y(0)));
//! assert_eq!(s.schedule.first().map(|p| p.date), Some(d(2022, 3, 31)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

pub mod assistance;
pub mod banded;
mod column;
pub mod error;
mod explain;
mod merge;
pub mod onestop;
mod settle;
mod settled;
pub mod supplementary;

pub use assistance::{
    AssistancePolicy, AssistanceSettlement, County, CountySettlement, FeeAdvanceDate, FeeBasis, Flow, HUIZHOU_2021,
    Party, Payment, PaymentKind, ServiceYearSettlement, huizhou_2021, settle, settle_year,
};
pub use banded::{Band, BandSplit, BandedSchedule, Payer, RunningTotals};
pub use error::{InsurerError, Result};
pub use explain::{record_year_steps, split_claims_explained};
pub use merge::{merge_year_summaries, year_summaries};
pub use onestop::{
    AverageWage, DeductiblePer, Hardship, Levy, MigrantLimit, Person, Status, SubsidyOrder, SubsidyPolicy,
    XIAMEN_2007_SUBSIDIES, civil_servant_levy, xiamen_2007_subsidies,
};
pub use settle::{settle_one_stop, settle_one_stop_into};
pub use settled::{OneStopResult, PersonYear, SettledClaim, SettlementTotals, merge_settlement_years};
pub use supplementary::{
    Claim, ClaimSplit, SupplementaryPolicy, SupplementaryResult, XIAMEN_2007, YearSummary, YearTotals, check_in_force,
    split_claims, split_claims_in_force, xiamen_2007,
};

/// Every rule this crate implements, as its trace steps cite them.
pub const CITATIONS: &[medfund_core::Citation] = &[
    assistance::FEE_RULE,
    assistance::PREPAY_RULE,
    assistance::ADVANCE_RULE,
    assistance::VALIDITY_RULE,
    supplementary::XIAMEN_RULE,
    onestop::CIVIL_SERVANT_RULE,
    onestop::HARDSHIP_RULE,
    onestop::MIGRANT_RULE,
];
