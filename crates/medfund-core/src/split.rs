//! Fen-exact splitting of an amount by weights (largest-remainder method).

use crate::error::{CoreError, Result};
use crate::money::Money;

/// Splits amounts by weights with the largest-remainder (Hamilton) method, so
/// that the shares sum to the amount **exactly**, each share is within one fen
/// of its exact pro-rata value, and ties in the remainders go to the earlier
/// entry in input order.
///
/// A `Splitter` owns its scratch buffers: reuse one across many splits in a
/// batch and no allocation happens after the first.
///
/// ```
/// use medfund_core::{Money, Splitter};
/// let mut splitter = Splitter::new();
/// let shares = splitter.split(Money::from_fen(100), &[1_u64, 1, 1])?;
/// // 33.33… each; the one leftover fen goes to the earliest entry.
/// assert_eq!(shares, vec![Money::from_fen(34), Money::from_fen(33), Money::from_fen(33)]);
/// # Ok::<(), medfund_core::CoreError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct Splitter {
    remainders: Vec<u128>,
    order: Vec<u32>,
}

/// The result of [`Splitter::split_capped`]: shares no larger than their caps,
/// and what could not be placed under any cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CappedSplit {
    /// One share per weight, each ≤ its cap.
    pub shares: Vec<Money>,
    /// The part of the amount that no share could take (every share with a
    /// positive weight reached its cap). `Σ shares + leftover = amount`.
    pub leftover: Money,
}

impl Splitter {
    /// A splitter with empty scratch buffers.
    pub fn new() -> Splitter {
        Splitter::default()
    }

    /// Splits `amount` by `weights`; see [`Splitter::split_into`].
    pub fn split<W: Copy + Into<u128>>(&mut self, amount: Money, weights: &[W]) -> Result<Vec<Money>> {
        let mut out = vec![Money::ZERO; weights.len()];
        self.split_into(amount, weights, &mut out)?;
        Ok(out)
    }

    /// Splits `amount` by non-negative integer `weights` into `out`
    /// (`out.len() == weights.len()`).
    ///
    /// A negative amount is split as its absolute value and every share
    /// negated, so splitting mirrors around zero.
    ///
    /// Errors: the weights sum to zero; `out` has the wrong length; a product
    /// `|amount| × weight` does not fit in 128 bits; more than 2³² weights.
    pub fn split_into<W: Copy + Into<u128>>(&mut self, amount: Money, weights: &[W], out: &mut [Money]) -> Result<()> {
        if out.len() != weights.len() {
            return Err(CoreError::LengthMismatch {
                what: "output of split",
                found: out.len(),
                expected: weights.len(),
            });
        }
        let overflow = CoreError::Overflow { operation: "largest-remainder split" };
        if u32::try_from(weights.len()).is_err() {
            return Err(overflow);
        }
        let total = weights.iter().try_fold(0_u128, |acc, &w| acc.checked_add(w.into())).ok_or(overflow.clone())?;
        if total == 0 {
            return Err(CoreError::ZeroTotalWeight { amount: amount.to_string() });
        }
        let negative = amount.is_negative();
        let magnitude = u128::from(amount.fen().unsigned_abs());

        self.remainders.clear();
        self.remainders.reserve(weights.len());
        let mut assigned: u128 = 0;
        for (slot, &w) in out.iter_mut().zip(weights) {
            let product = magnitude.checked_mul(w.into()).ok_or(overflow.clone())?;
            // total > 0 was checked above, so the division cannot fail.
            let quotient = product.checked_div(total).ok_or(overflow.clone())?;
            let remainder = product.checked_rem(total).ok_or(overflow.clone())?;
            assigned = assigned.checked_add(quotient).ok_or(overflow.clone())?;
            *slot = Money::from_fen(to_signed_fen(quotient, negative)?);
            self.remainders.push(remainder);
        }
        // Each quotient is below its exact share by less than one fen, so the
        // leftover is smaller than the number of entries.
        let leftover = magnitude.checked_sub(assigned).ok_or(overflow.clone())?;
        let leftover = usize::try_from(leftover).map_err(|_| overflow.clone())?;
        if leftover == 0 {
            return Ok(());
        }
        self.order.clear();
        self.order.extend((0..weights.len()).filter_map(|i| u32::try_from(i).ok()));
        let remainders = &self.remainders;
        let key = |a: &u32, b: &u32| {
            let at = |i: &u32| *remainders.get(*i as usize).expect("invariant: the order indexes the remainders");
            let (ra, rb) = (at(a), at(b));
            rb.cmp(&ra).then(a.cmp(b))
        };
        if leftover < self.order.len() {
            self.order.select_nth_unstable_by(leftover, key);
        }
        let step = if negative { -1 } else { 1 };
        for &index in self.order.iter().take(leftover) {
            if let Some(slot) = out.get_mut(index as usize) {
                *slot = Money::from_fen(slot.fen().checked_add(step).ok_or(overflow.clone())?);
            }
        }
        Ok(())
    }

    /// Splits a non-negative `amount` by `weights`, no share exceeding its cap
    /// (water-filling: shares that would pass their cap are fixed at it and the
    /// rest is split again among the others). Whatever no share can take is
    /// reported as `leftover`, never lost.
    ///
    /// ```
    /// use medfund_core::{Money, Splitter};
    /// let caps = [Money::from_fen(10), Money::from_fen(1_000)];
    /// let split = Splitter::new().split_capped(Money::from_fen(100), &[1_u64, 1], &caps)?;
    /// assert_eq!(split.shares, vec![Money::from_fen(10), Money::from_fen(90)]);
    /// assert_eq!(split.leftover, Money::ZERO);
    /// # Ok::<(), medfund_core::CoreError>(())
    /// ```
    pub fn split_capped<W: Copy + Into<u128>>(
        &mut self,
        amount: Money,
        weights: &[W],
        caps: &[Money],
    ) -> Result<CappedSplit> {
        if caps.len() != weights.len() {
            return Err(CoreError::LengthMismatch { what: "caps", found: caps.len(), expected: weights.len() });
        }
        if amount.is_negative() {
            return Err(CoreError::Negative { what: "amount of a capped split".into(), value: amount.to_string() });
        }
        if let Some((i, cap)) = caps.iter().enumerate().find(|(_, c)| c.is_negative()) {
            return Err(CoreError::Negative { what: format!("cap {i}"), value: cap.to_string() });
        }
        let mut shares = vec![Money::ZERO; weights.len()];
        let mut active: Vec<usize> = (0..weights.len())
            .filter(|&i| weights.get(i).is_some_and(|&w| w.into() > 0) && caps.get(i).is_some_and(|c| c.is_positive()))
            .collect();
        let mut remaining = amount;
        let mut active_weights: Vec<u128> = Vec::with_capacity(active.len());
        let mut tentative: Vec<Money> = Vec::with_capacity(active.len());
        while !active.is_empty() && remaining.is_positive() {
            active_weights.clear();
            active_weights.extend(active.iter().filter_map(|&i| weights.get(i).map(|&w| w.into())));
            tentative.clear();
            tentative.resize(active.len(), Money::ZERO);
            self.split_into(remaining, &active_weights, &mut tentative)?;
            let mut still_active = Vec::with_capacity(active.len());
            let mut any_capped = false;
            for (&i, &t) in active.iter().zip(&tentative) {
                let cap = caps.get(i).copied().unwrap_or(Money::ZERO);
                if t >= cap {
                    any_capped = true;
                    if let Some(s) = shares.get_mut(i) {
                        *s = cap;
                    }
                    remaining = remaining.checked_sub(cap)?;
                } else {
                    still_active.push(i);
                }
            }
            if !any_capped {
                for (&i, &t) in active.iter().zip(&tentative) {
                    if let Some(s) = shares.get_mut(i) {
                        *s = t;
                    }
                }
                remaining = Money::ZERO;
                break;
            }
            active = still_active;
        }
        Ok(CappedSplit { shares, leftover: remaining })
    }
}

fn to_signed_fen(quotient: u128, negative: bool) -> Result<i64> {
    let magnitude =
        i64::try_from(quotient).map_err(|_| CoreError::Overflow { operation: "largest-remainder split" })?;
    if negative {
        magnitude.checked_neg().ok_or(CoreError::Overflow { operation: "largest-remainder split" })
    } else {
        Ok(magnitude)
    }
}

/// Splits `amount` by `weights` with a fresh [`Splitter`].
///
/// ```
/// use medfund_core::{split_by_weights, Money};
/// let shares = split_by_weights(Money::from_fen(1_000), &[3_u64, 3, 1])?;
/// assert_eq!(shares.iter().map(|m| m.fen()).sum::<i64>(), 1_000);
/// # Ok::<(), medfund_core::CoreError>(())
/// ```
pub fn split_by_weights<W: Copy + Into<u128>>(amount: Money, weights: &[W]) -> Result<Vec<Money>> {
    Splitter::new().split(amount, weights)
}

/// Splits `amount` pro rata to non-negative amounts of money (e.g. a levy
/// charged in proportion to revenue). Negative weights are an error.
pub fn split_by_money(amount: Money, weights: &[Money]) -> Result<Vec<Money>> {
    let mut integer_weights = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let fen = u64::try_from(w.fen())
            .map_err(|_| CoreError::Negative { what: format!("weight {i}"), value: w.to_string() })?;
        integer_weights.push(fen);
    }
    split_by_weights(amount, &integer_weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fen(v: &[i64]) -> Vec<Money> {
        v.iter().copied().map(Money::from_fen).collect()
    }

    #[test]
    fn table() {
        let cases: &[(i64, &[u64], &[i64])] = &[
            (100, &[1, 1, 1], &[34, 33, 33]),
            (-100, &[1, 1, 1], &[-34, -33, -33]),
            (2, &[1, 1, 1], &[1, 1, 0]),
            (10, &[0, 1, 0], &[0, 10, 0]),
            (7, &[5], &[7]),
            (0, &[3, 4], &[0, 0]),
            (101, &[1, 2, 2], &[20, 41, 40]),
            (5, &[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], &[1, 1, 1, 1, 1, 0, 0, 0, 0, 0]),
        ];
        for &(amount, weights, want) in cases {
            assert_eq!(
                split_by_weights(Money::from_fen(amount), weights).unwrap(),
                fen(want),
                "{amount} by {weights:?}"
            );
        }
    }

    #[test]
    fn errors() {
        assert!(matches!(split_by_weights::<u64>(Money::from_fen(1), &[0, 0]), Err(CoreError::ZeroTotalWeight { .. })));
        assert!(matches!(split_by_weights::<u64>(Money::from_fen(1), &[]), Err(CoreError::ZeroTotalWeight { .. })));
        assert!(matches!(split_by_money(Money::from_fen(1), &fen(&[1, -1])), Err(CoreError::Negative { .. })));
        let mut out = vec![Money::ZERO; 1];
        assert!(matches!(
            Splitter::new().split_into(Money::from_fen(1), &[1_u64, 2], &mut out),
            Err(CoreError::LengthMismatch { .. })
        ));
        assert!(Splitter::new().split_capped(Money::from_fen(-1), &[1_u64], &fen(&[5])).is_err());
        assert!(Splitter::new().split_capped(Money::from_fen(1), &[1_u64], &fen(&[-5])).is_err());
    }

    #[test]
    fn capped_reports_leftover() {
        let s = Splitter::new().split_capped(Money::from_fen(100), &[1_u64, 1, 0], &fen(&[20, 30, 1_000])).unwrap();
        assert_eq!(s.shares, fen(&[20, 30, 0]));
        assert_eq!(s.leftover, Money::from_fen(50));
        let s = Splitter::new().split_capped(Money::from_fen(100), &[1_u64, 1, 2], &fen(&[10, 1_000, 1_000])).unwrap();
        assert_eq!(s.shares, fen(&[10, 30, 60]));
        assert_eq!(s.leftover, Money::ZERO);
    }
}
