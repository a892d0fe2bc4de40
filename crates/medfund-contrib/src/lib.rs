//! # medfund-contrib
//!
//! The **revenue side** of medical-insurance funds on exact
//! [`medfund_core::Money`]: what residents and employees contribute, how it
//! is split between the person, the employer and each level of government,
//! how it is booked to individual accounts and the pooling fund, when it
//! falls due and what lateness costs. Sources: the county and city
//! implementation templates of 城镇居民/职工基本医疗保险 (C1–C9 of
//! `shared/policy-sources/contribution-standards.md`), 社会保险法 第八十六条,
//! and the Qingdao essay of the seed collection.
//!
//! | rule | where |
//! |---|---|
//! | C1 resident financing per category: person + subsidies by level | [`finance_residents`], [`county_template_financing`], [`qingdao_2012`] |
//! | C2 personal 2 % of last year's wage; retirees pay none | [`contribute`], [`EmployeePolicy`] |
//! | C3 base clamped to [60 %, 300 %] of last year's average wage W | [`contribute`], [`contribute_register`] |
//! | C7 average-wage base by employer type (第八条); re-employment centres 60 % W (第九条) | [`BaseRule`] |
//! | C5, C8 individual account vs pooling fund (第二十一条, 第二十二条) | [`EmployeeContribution::to_account`], [`EmployeeContribution::to_pool`] |
//! | C9 due by the 10th; the first payment covers 3 months (第十五条) | [`schedule`] |
//! | C4 late fee per day (第十六条; 社会保险法 第八十六条 from 2011-07-01) | [`late_fees`], [`late_fee_history`] |
//! | C6 suspension of pooled benefits, the unit's costs, the 3,000 limit after back-payment (第十七条) | [`settle_suspended`], [`SuspensionPolicy`] |
//! | Xiamen categories: bases, rates, waiting periods (section 一) | [`xiamen_contributions`], [`XiamenContributionPolicy`] |
//! | Xiamen minimum contribution years at retirement (section 三) | [`missing_years`] |
//!
//! ## Readings of the open questions (each a named parameter)
//!
//! - **Blank percentages** (the employer rate, the employer's share to the
//!   account per age band, the retirees' account rate): `None` in the
//!   template policy; asking for a figure that needs one is
//!   [`ContribError::MissingParameter`]. medfund invents no number.
//! - **Day counting of the late fee**: [`DayCount`], by default from the
//!   first day after the due date to the payment date, both included. The
//!   fee is `arrears × Σ (daily rate × days)` over the versions in force on
//!   each day, rounded once.
//! - **The 3,000-yuan limit** after a back-payment: [`OneOffBasis`], per
//!   claim by default (or per person and day); a suspension runs from the
//!   first day of the month after the missed due date to the day before the
//!   back-payment; "the same year" is the fund year of [`SuspensionPolicy::year_start`].
//! - **Retirees** have no wage and no contribution base: personal and
//!   employer parts are 0 ("retirees pay none", C2, read for the employer's
//!   part too, which the template levies on wages). Their account credit is
//!   `retiree_account_rate × max(pension, retiree_base_floor × W)`, booked as
//!   an inflow to the accounts ledger from the pension, not from the pool
//!   (the template says "from their pension").
//! - **Rounding**: every rate × amount is rounded once, per person, by the
//!   policy's [`Rounding`](medfund_core::Rounding) (四舍五入 by default).
//! - **Undated templates**: their presets have no validity bound; a caller
//!   who knows the period says so with `PolicyVersion::with_validity`.
//!
//! ## Example
//!
//! ```
//! use medfund_contrib::{county_template_financing, finance_residents, Headcount};
//! use medfund_core::Trace;
//! let table = county_template_financing()?;
//! let heads = [
//!     Headcount { category: "students-children".into(), persons: 12_000 },
//!     Headcount { category: "other-residents".into(), persons: 30_000 },
//! ];
//! let t = finance_residents(&table, &heads, &mut Trace::off())?;
//! assert_eq!(t.total.to_string(), "5520000.00");
//! assert_eq!(t.paid_by_persons.to_string(), "3840000.00");
//! # Ok::<(), medfund_contrib::ContribError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod employee;
pub mod error;
pub mod financing;
pub mod late;
pub mod register;
pub mod suspension;
pub mod xiamen;

pub use employee::{
    AgeBand, BaseRule, CITY_TEMPLATE, CITY_TEMPLATE_EMPLOYEES, Employee, EmployeeContribution, EmployeePolicy, Figures,
    city_template_employees, contribute,
};
pub use error::{ContribError, Result};
pub use financing::{
    COUNTY_TEMPLATE, COUNTY_TEMPLATE_FINANCING, Category, CategoryTotal, FinancingTable, FinancingTotals, Headcount,
    Level, QINGDAO_2012, Subsidy, county_template_financing, finance_residents, qingdao_2012,
};
pub use late::{
    Arrear, DayCount, Due, Frequency, LAW_LATE_FEE, LateFee, LateFeePolicy, TEMPLATE_LATE_FEE, VersionDays,
    late_fee_history, late_fees, schedule,
};
pub use register::{Register, RegisterColumns, contribute_register, contribute_register_into};
pub use suspension::{
    ClaimOutcome, MemberClaim, OneOffBasis, Suspension, SuspensionPolicy, UnitPayment, settle_suspended, suspensions,
};
pub use xiamen::{
    CategoryRates, MissingYears, Retirement, Sex, XiamenCategory, XiamenContribution, XiamenContributionPolicy,
    XiamenMember, missing_years, xiamen_contributions,
};

/// Every rule this crate implements, as its trace steps cite them.
pub const CITATIONS: &[medfund_core::Citation] = &[
    financing::FINANCING_RULE,
    financing::QINGDAO_RULE,
    employee::PERSONAL_RULE,
    employee::BASE_RULE,
    employee::EMPLOYER_TYPE_RULE,
    employee::REEMPLOYMENT_RULE,
    employee::ACCOUNT_RULE,
    employee::POOLING_RULE,
    late::DEADLINE_RULE,
    late::TEMPLATE_LATE_FEE_RULE,
    late::LAW_LATE_FEE_RULE,
    suspension::SUSPENSION_RULE,
    xiamen::XIAMEN_CATEGORY_RULE,
    xiamen::XIAMEN_RETIREMENT_RULE,
];
