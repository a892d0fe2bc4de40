//! What a one-stop settlement gives: each claim's parts, each person-year's
//! and each medical year's totals.

use medfund_core::Money;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::onestop::{Hardship, Status};
use crate::supplementary::YearSummary;

/// One claim settled: `fund + insurer + civil_servant + civil_servant_above_max
/// + hardship + person_pays = eligible_cost` exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SettledClaim {
    /// The medical year (labelled by the year in which it starts).
    pub medical_year: i32,
    /// The pooling fund (X2; a migrant's: X9).
    pub fund: Money,
    /// The supplementary insurer (X3, X4).
    pub insurer: Money,
    /// The civil-servant subsidy on co-payments (X7).
    pub civil_servant: Money,
    /// The civil-servant subsidy on costs beyond the insurer's maximum (X8).
    pub civil_servant_above_max: Money,
    /// The hardship subsidy (X6).
    pub hardship: Money,
    /// What the person pays in the end.
    pub person_pays: Money,
}

impl SettledClaim {
    /// A claim of no cost in medical year 0 (a placeholder for buffers).
    pub const ZERO: SettledClaim = SettledClaim {
        medical_year: 0,
        fund: Money::ZERO,
        insurer: Money::ZERO,
        civil_servant: Money::ZERO,
        civil_servant_above_max: Money::ZERO,
        hardship: Money::ZERO,
        person_pays: Money::ZERO,
    };
}

/// The parts of many claims added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SettlementTotals {
    /// Claims.
    pub claims: u64,
    /// Σ eligible cost.
    pub eligible_cost: Money,
    /// Σ fund.
    pub fund: Money,
    /// Σ insurer.
    pub insurer: Money,
    /// Σ civil-servant subsidy (X7).
    pub civil_servant: Money,
    /// Σ civil-servant subsidy beyond the insurer's maximum (X8).
    pub civil_servant_above_max: Money,
    /// Σ hardship subsidy (X6).
    pub hardship: Money,
    /// Σ paid by persons.
    pub person_pays: Money,
}

impl SettlementTotals {
    /// Adds the claim `c` of cost `cost` (its parts sum to it).
    ///
    /// # Errors
    /// [`InsurerError::Core`](crate::InsurerError::Core) when a total overflows.
    #[inline]
    pub fn add(&mut self, cost: Money, c: &SettledClaim) -> Result<()> {
        debug_assert_eq!(
            [c.fund, c.insurer, c.civil_servant, c.civil_servant_above_max, c.hardship, c.person_pays]
                .iter()
                .try_fold(Money::ZERO, |a, &b| a.checked_add(b))
                .ok(),
            Some(cost),
            "invariant: the parts of a claim sum to its cost"
        );
        let sum = |a: Money, b: Money| a.checked_add(b);
        self.claims = self.claims.checked_add(1).expect("invariant: fewer than 2^64 claims");
        self.eligible_cost = sum(self.eligible_cost, cost)?;
        self.fund = sum(self.fund, c.fund)?;
        self.insurer = sum(self.insurer, c.insurer)?;
        self.civil_servant = sum(self.civil_servant, c.civil_servant)?;
        self.civil_servant_above_max = sum(self.civil_servant_above_max, c.civil_servant_above_max)?;
        self.hardship = sum(self.hardship, c.hardship)?;
        self.person_pays = sum(self.person_pays, c.person_pays)?;
        Ok(())
    }

    pub(crate) fn merge(&mut self, o: &SettlementTotals) -> Result<()> {
        self.claims = self.claims.checked_add(o.claims).expect("invariant: fewer than 2^64 claims");
        for (a, b) in [
            (&mut self.eligible_cost, o.eligible_cost),
            (&mut self.fund, o.fund),
            (&mut self.insurer, o.insurer),
            (&mut self.civil_servant, o.civil_servant),
            (&mut self.civil_servant_above_max, o.civil_servant_above_max),
            (&mut self.hardship, o.hardship),
            (&mut self.person_pays, o.person_pays),
        ] {
            *a = a.checked_add(b)?;
        }
        Ok(())
    }
}

/// One person's medical year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct PersonYear<P> {
    /// The person.
    pub person: P,
    /// The status applied.
    pub status: Status,
    /// The hardship category applied (a low pension only when below the year's threshold).
    pub hardship_category: Option<Hardship>,
    /// The medical year.
    pub medical_year: i32,
    /// The year's totals.
    #[serde(flatten)]
    pub totals: SettlementTotals,
}

impl<P> PersonYear<P> {
    /// A person-year from its parts (for totals carried between processes).
    pub fn new(
        person: P,
        status: Status,
        hardship_category: Option<Hardship>,
        medical_year: i32,
        totals: SettlementTotals,
    ) -> PersonYear<P> {
        PersonYear { person, status, hardship_category, medical_year, totals }
    }
}

/// The result of a one-stop settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct OneStopResult<P> {
    /// One per claim, in input order.
    pub claims: Vec<SettledClaim>,
    /// One per person and medical year, persons in order of first claim, years in order.
    pub person_years: Vec<PersonYear<P>>,
    /// Per medical year, every person: (year, totals), in year order.
    pub years: Vec<(i32, SettlementTotals)>,
    /// The insurer's account per medical year (X5), as [`crate::split_claims`] gives it.
    pub insurer_years: Vec<YearSummary>,
}

/// Merges the yearly totals of settlements run apart (e.g. on partitions of
/// persons), in year order.
pub fn merge_settlement_years(parts: &[Vec<(i32, SettlementTotals)>]) -> Result<Vec<(i32, SettlementTotals)>> {
    let mut merged: Vec<(i32, SettlementTotals)> = Vec::new();
    for (year, t) in parts.iter().flatten() {
        match merged.binary_search_by_key(year, |(y, _)| *y) {
            Ok(at) => merged.get_mut(at).expect("invariant: found").1.merge(t)?,
            Err(at) => merged.insert(at, (*year, *t)),
        }
    }
    Ok(merged)
}
