//! The yearly summaries of a split of claims that ran in parts (claims
//! partitioned by person across processes or machines).

use std::collections::BTreeMap;

use medfund_core::Money;

use crate::error::{InsurerError, Result};
use crate::supplementary::{ClaimSplit, SupplementaryPolicy, YearSummary, YearTotals};

/// The medical-year summaries of one split of claims from the summaries of
/// its parts, each part holding every claim of its persons: claims paid add
/// up, the premiums (one figure per year, `premium_per_person × insured`)
/// are the same in every part that has the year, and the insurer's result is
/// premiums − claims paid again. Equals the summary of the split in one
/// piece, since the claims of one person never straddle two parts.
///
/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险 (X5, the insurer's account of a medical year)
///
/// ```
/// use medfund_insurer::{Claim, merge_year_summaries, split_claims, xiamen_2007};
/// let policy = xiamen_2007()?.params().clone();
/// let claim = |p: &'static str, cost: &str| Claim { person: p, date: "2024-03-01".parse().unwrap(), eligible_cost: cost.parse().unwrap() };
/// let whole = split_claims(&policy, 100, &[claim("a", "90000"), claim("b", "70000")])?;
/// let a = split_claims(&policy, 100, &[claim("a", "90000")])?;
/// let b = split_claims(&policy, 100, &[claim("b", "70000")])?;
/// assert_eq!(merge_year_summaries(&[a.years, b.years])?, whole.years);
/// # Ok::<(), medfund_insurer::InsurerError>(())
/// ```
pub fn merge_year_summaries(parts: &[Vec<YearSummary>]) -> Result<Vec<YearSummary>> {
    let mut years: BTreeMap<i32, (Money, Money)> = BTreeMap::new();
    for part in parts {
        for y in part {
            match years.get_mut(&y.medical_year) {
                Some((premiums, paid)) => {
                    if *premiums != y.premiums {
                        return Err(InsurerError::PartsDisagree {
                            medical_year: y.medical_year,
                            first: *premiums,
                            other: y.premiums,
                        });
                    }
                    *paid = paid.checked_add(y.claims_paid)?;
                }
                None => {
                    years.insert(y.medical_year, (y.premiums, y.claims_paid));
                }
            }
        }
    }
    years
        .into_iter()
        .map(|(medical_year, (premiums, claims_paid))| {
            Ok(YearSummary { medical_year, premiums, claims_paid, insurer_result: premiums.checked_sub(claims_paid)? })
        })
        .collect()
}

/// The medical-year summaries of claim splits (all of a split, or a part
/// of it holding every claim of its persons): claims paid are Σ insurer per
/// medical year, premiums `premium_per_person × insured_persons`, as
/// [`split_claims`](crate::split_claims) gives them. Parts summarised apart
/// and merged with [`merge_year_summaries`] give the whole.
///
/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险 (X5, the insurer's account of a medical year)
///
/// ```
/// use medfund_insurer::{Claim, split_claims, xiamen_2007, year_summaries};
/// let policy = xiamen_2007()?.params().clone();
/// let claim = |p: &'static str, cost: &str| Claim { person: p, date: "2024-03-01".parse().unwrap(), eligible_cost: cost.parse().unwrap() };
/// let whole = split_claims(&policy, 100, &[claim("a", "90000"), claim("b", "70000")])?;
/// assert_eq!(year_summaries(&policy, 100, &whole.claims)?, whole.years);
/// # Ok::<(), medfund_insurer::InsurerError>(())
/// ```
pub fn year_summaries(
    policy: &SupplementaryPolicy,
    insured_persons: u64,
    splits: &[ClaimSplit],
) -> Result<Vec<YearSummary>> {
    let mut paid = YearTotals::default();
    splits.iter().try_for_each(|s| paid.add(s.medical_year, s.insurer))?;
    paid.into_summaries(policy, insured_persons)
}
