//! The crate's error type.

use medfund_core::{CoreError, NaiveDate};
use thiserror::Error;

/// Everything that can go wrong settling an insurer contract.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InsurerError {
    /// An error of the core arithmetic or calendar.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A spend, fee, cost or premium is negative.
    #[error("{field} of {subject} is negative ({value}); expected an amount of zero or more")]
    NegativeAmount {
        /// Whose amount (county id, claim number…).
        subject: String,
        /// The field.
        field: String,
        /// The value.
        value: String,
    },
    /// A service year lies outside the policy's validity window.
    #[error(
        "service year {year} of county {county:?} is outside the validity of policy {policy:?} ({window}); expected a service year inside it, or an overridden validity"
    )]
    YearOutsideValidity {
        /// The county.
        county: String,
        /// The service year.
        year: i32,
        /// The policy id.
        policy: String,
        /// The validity window as text.
        window: String,
    },
    /// A claim is dated outside the validity of the policy it would be split under.
    #[error(
        "claim {index} is dated {date}, outside the validity of policy {policy:?} ({window}); expected a date inside it, or an overridden validity"
    )]
    ClaimOutsideValidity {
        /// The claim's index in the input (0-based).
        index: usize,
        /// Its date.
        date: NaiveDate,
        /// The policy id.
        policy: String,
        /// The validity window as text.
        window: String,
    },
    /// A claim's running totals (the person's year, or the insurer's year)
    /// leave the money range.
    #[error(
        "claim {index}: arithmetic overflow in {operation}; expected claim costs whose sums per person and medical year stay within ±92,233,720,368,547,758.07 yuan"
    )]
    ClaimOverflow {
        /// The claim's index in the input (0-based).
        index: usize,
        /// The sum that overflowed.
        operation: &'static str,
    },
    /// premium_per_person × insured_persons leaves the money range.
    #[error(
        "premiums of {premium_per_person} yuan for {insured_persons} insured persons exceed ±92,233,720,368,547,758.07 yuan; expected fewer insured persons or a lower premium"
    )]
    PremiumOverflow {
        /// The insured persons given.
        insured_persons: u64,
        /// The premium per person.
        premium_per_person: medfund_core::Money,
    },
    /// The spend of the year before a service year is missing.
    #[error(
        "county {county:?} has no spend for {missing}, needed for the prepayments of service year {year}; expected spend of the prior year"
    )]
    MissingPriorSpend {
        /// The county.
        county: String,
        /// The service year.
        year: i32,
        /// The year whose spend is missing.
        missing: i32,
    },
    /// A settlement date falls before its service year has ended.
    #[error(
        "{field} for service year {year} of county {county:?} is {date}, before the service year ends; expected a date after {year}-12-31"
    )]
    SettlementBeforeYearEnd {
        /// The county.
        county: String,
        /// The field (`settled_on`, `fee_settled_on`).
        field: &'static str,
        /// The service year.
        year: i32,
        /// The date given.
        date: NaiveDate,
    },
    /// A year given for a county serves no reported service year (a typo
    /// in a year key, or a missing base year), so its figures would be lost.
    #[error(
        "{field} for {year} of county {county:?} is used by no reported service year: {reason}; expected every year given to serve a service year (check the year and the spend of the years around it)"
    )]
    UnusedYear {
        /// The county.
        county: String,
        /// The field (`spend`, `settled_on`, `fee_settled_on`, `prior_plan_fee`).
        field: &'static str,
        /// The year key.
        year: i32,
        /// Why it is not used.
        reason: &'static str,
    },
    /// Two counties share an id.
    #[error("county id {id:?} appears twice; expected unique county ids")]
    DuplicateCounty {
        /// The id.
        id: String,
    },
    /// A banded schedule is malformed.
    #[error("invalid banded schedule: {reason}")]
    InvalidSchedule {
        /// What is wrong.
        reason: String,
    },
    /// Parts of one split of claims disagree on a medical year's premiums
    /// (they were split under different policies or numbers of insured).
    #[error(
        "the parts give premiums of {first} and {other} yuan for medical year {medical_year}; expected parts of one split, under one policy and one number of insured persons"
    )]
    PartsDisagree {
        /// The medical year.
        medical_year: i32,
        /// The premiums of the first part that has the year.
        first: medfund_core::Money,
        /// The premiums of a later part.
        other: medfund_core::Money,
    },
    /// A parameter the source leaves blank (or a yearly one not given for a
    /// year) is needed by the figures asked for.
    #[error("policy parameter {field} is not set{}; it is needed for {needed_for}; expected a value (the source gives none, medfund invents none)", medical_year.map(|y| format!(" for medical year {y}")).unwrap_or_default())]
    MissingParameter {
        /// The field.
        field: &'static str,
        /// The medical year it is missing for, for a yearly parameter.
        medical_year: Option<i32>,
        /// What needs it.
        needed_for: &'static str,
    },
    /// A person of the one-stop settlement is invalid.
    #[error("person {index} ({id}): {field} {problem}; expected {expected}")]
    InvalidPerson {
        /// The person's index in the persons given (0-based).
        index: usize,
        /// The person's id.
        id: String,
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        problem: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A policy parameter is outside its allowed range.
    #[error("policy parameter {field} = {value} is invalid; expected {expected}")]
    InvalidPolicy {
        /// The field.
        field: &'static str,
        /// The value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = InsurerError> = std::result::Result<T, E>;
