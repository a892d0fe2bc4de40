//! # medfund-core
//!
//! The exact arithmetic and calendars that every medfund policy library is
//! built on:
//!
//! - [`Money`]: yuan as an exact integer number of fen, parsed from
//!   `"1,234.56"`, `"40万"`, `"1.2亿"`, checked arithmetic, serialised as a
//!   two-decimal string;
//! - [`Rate`] and [`Share`]: exact decimal rates (`"4%"`, `"2‰"`, `"0.04"`),
//!   a share being checked to lie in [0, 1];
//! - [`Quantity`]: exact non-money decimals (scores, workloads);
//! - [`Rounding`]: one documented rounding enum, 四舍五入 (half away from zero)
//!   by default; `money × rate` is exact in `i128` and rounds once;
//! - [`Splitter`]: largest-remainder splits that never lose or create a fen,
//!   plus a capped variant that reports its leftover;
//! - [`YearStart`] / [`FiscalYear`] and deadline helpers
//!   ([`last_day_of_month`], [`add_days`], [`tenth_of_following_month`]);
//! - [`PolicyHistory`] / [`PolicyVersion`]: effective-dated parameter sets;
//! - [`Trace`]: the audit trail, free when switched off.
//!
//! ## Worked example
//!
//! A levy of 10 % on three units' revenue, capped, charged back to the units
//! pro rata, each figure traced to its article:
//!
//! ```
//! use medfund_core::{split_by_money, Citation, Money, Rate, Rounding, Step, Trace};
//!
//! const ART15: Citation = Citation::new("阿署办发〔2020〕30号", "第十五条");
//!
//! let revenue: Vec<Money> = ["3,000万", "1,250万", "333.33"]
//!     .iter()
//!     .map(|s| s.parse())
//!     .collect::<Result<_, _>>()?;
//! let base = Money::checked_sum(revenue.iter().copied())?;
//! let rate: Rate = "10%".parse()?;
//! let cap_room = base.checked_sub("4,000万".parse()?)?.positive_part();
//! let levy = base.mul_rate(rate, Rounding::HalfAwayFromZero)?.min(cap_room);
//!
//! let mut trace = Trace::on();
//! trace.record(|| {
//!     Step::new("/riskpool/schemes/employee/levy", ART15, "min(10% × revenue_base, cap − opening_balance)")
//!         .input("revenue_base", base)
//!         .result(levy)
//! });
//!
//! let charges = split_by_money(levy, &revenue)?;
//! assert_eq!(levy.to_string(), "2500333.33");
//! assert_eq!(Money::checked_sum(charges.iter().copied())?, levy); // not a fen lost
//! assert_eq!(trace.steps()[0].rule.to_string(), "阿署办发〔2020〕30号 第十五条");
//! # Ok::<(), medfund_core::CoreError>(())
//! ```
//!
//! ## Guarantees
//!
//! - No `unsafe`, no panics on any input: every fallible function returns
//!   [`Result`] with [`CoreError`].
//! - No floating point in money paths; an `f64` is accepted only through its
//!   shortest decimal form ([`Money::from_f64`]).
//! - Splits conserve the amount to the fen and put each share within one fen
//!   of its exact value.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

pub mod calendar;
pub mod column;
pub mod error;
mod fnv;
pub mod literal;
pub mod money;
pub mod policy;
pub mod quantity;
pub mod rate;
pub mod rounding;
#[cfg(feature = "schemars")]
mod schema;
pub mod split;
pub mod trace;

pub use calendar::{
    FiscalYear, YearStart, add_days, day_of_following_month, last_day_of_month, tenth_of_following_month,
};
pub use error::{CoreError, Result};
pub use fnv::{Fnv1a, fnv1a};
pub use money::Money;
pub use policy::{PolicyHistory, PolicyVersion, Validity};
pub use quantity::Quantity;
pub use rate::{Rate, Share};
pub use rounding::Rounding;
pub use split::{CappedSplit, Splitter, split_by_money, split_by_weights};
pub use trace::{Citation, Input, Step, Trace};

/// Rust's `chrono::NaiveDate`, re-exported so that users of the calendar API
/// need not depend on chrono themselves.
pub use chrono::NaiveDate;
/// `rust_decimal::Decimal`, re-exported for interop.
pub use rust_decimal::Decimal;
