//! # medfund-surplus
//!
//! Allocation of retained medical-insurance surplus (医保结余留用资金) by the
//! generic 2025 framework (rules S1–S6), on exact [`medfund_core::Money`]:
//! earmarks first, a primary-level floor, a performance pool by composite
//! weight of chronic-care score and workload, and earmarked-use checks.
//!
//! | rule | where |
//! |---|---|
//! | S1 earmark (医康养结合 2 %) | [`SurplusPolicy::earmarks`], [`EarmarkBase`] |
//! | S2 primary floor ≥ 30 % | [`SurplusPolicy::primary_floor`], [`FloorSplit`] |
//! | S3/S4 performance pool by composite weight | [`allocate()`], [`Weights`] |
//! | S5 allowed uses (专款专用) | [`Violation`] |
//! | S6 traceability | the [`medfund_core::Trace`] passed to [`allocate()`] |
//!
//! The source's open questions are named parameters with the literal reading
//! as default: [`EarmarkBase::Total`], [`FloorSplit::Composite`],
//! `performance_includes_primary = true`, `min_score = 0`. Spending lines
//! name one of the six use categories of S5 (by id or by the source's
//! Chinese name, [`CATEGORY_NAMES`]) or a use the policy declares in
//! `other_categories`; any other category is an input error
//! ([`SurplusError::UnknownCategory`]), so a typo never becomes a violation.
//!
//! ## Worked example
//!
//! ```
//! use medfund_core::{Money, Trace};
//! use medfund_surplus::{allocate, framework_2025, Institution, Level, Spending};
//!
//! let inst = |id: &str, level, score: i64, workload: i64| Institution {
//!     id: id.into(),
//!     name: None,
//!     level,
//!     chronic_care_score: score.into(),
//!     workload: workload.into(),
//! };
//! let institutions = vec![
//!     inst("town-a", Level::Primary, 80, 10_000),
//!     inst("town-b", Level::Primary, 60, 10_000),
//!     inst("county-hospital", Level::Secondary, 60, 30_000),
//! ];
//! let spending = vec![Spending { institution: "town-a".into(), category: "banquets".into(), amount: Money::from_yuan(1_000)? }];
//! // "banquets" is a use the bureau forbids: declared, so spending in it is a
//! // violation (an undeclared category such as a typo is an input error).
//! let mut policy = framework_2025()?.params().clone();
//! policy.other_categories = vec!["banquets".into()];
//! let a = allocate(&policy, Money::from_yuan(1_000_000)?, &institutions, &spending, &mut Trace::off())?;
//!
//! assert_eq!(a.earmarks[0].amount, Money::from_yuan(20_000)?);   // 2 %
//! assert_eq!(a.primary_pool, Money::from_yuan(300_000)?);        // 30 %
//! assert_eq!(a.performance_pool, Money::from_yuan(680_000)?);    // the rest
//! // Primary pool by composite weight: town-a ½·80/140 + ½·½ = 0.5357…
//! assert_eq!(a.institutions[0].floor_share.to_string(), "160714.29");
//! let sum = a.institutions.iter().try_fold(a.unallocated, |acc, i| acc.checked_add(i.total))?;
//! assert_eq!(sum.checked_add(a.earmarks[0].amount)?, a.total); // not a fen lost
//! assert_eq!(a.violations[0].rule, medfund_surplus::ViolationRule::CategoryNotAllowed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::panic
    )
)]

pub mod allocate;
pub mod error;
pub mod policy;

pub use allocate::{
    Allocation, EarmarkAmount, Institution, InstitutionShare, Level, Spending, Violation, ViolationRule, allocate,
};
pub use error::{Result, SurplusError};
pub use policy::{
    ALLOWED_CATEGORIES, CATEGORY_NAMES, CategoryStatus, Earmark, EarmarkBase, FRAMEWORK_2025, FloorSplit,
    SurplusPolicy, Weights, canonical_category, framework_2025,
};

/// Every rule of the framework this crate implements, as its trace steps cite them.
pub const CITATIONS: &[medfund_core::Citation] = &[policy::ART_SHARES, policy::ART_PERFORMANCE, policy::ART_USES];
