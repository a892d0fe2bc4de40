//! Property tests of the risk fund's invariants.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    missing_docs
)]

use medfund_core::{Money, Share, Trace};
use medfund_riskpool::*;
use proptest::prelude::*;

/// Test-only arithmetic (Money has no panicking operators).
trait Arith {
    fn add(self, o: Money) -> Money;
    fn sub(self, o: Money) -> Money;
}
impl Arith for Money {
    fn add(self, o: Money) -> Money {
        self.checked_add(o).unwrap()
    }
    fn sub(self, o: Money) -> Money {
        self.checked_sub(o).unwrap()
    }
}

fn money(max_yuan: i64) -> impl Strategy<Value = Money> {
    (0..=max_yuan * 100).prop_map(Money::from_fen)
}

fn units() -> impl Strategy<Value = Vec<Unit>> {
    units_in(0..12)
}

fn units_in(count: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Unit>> {
    prop::collection::vec(
        (money(10_000_000), money(12_000_000), money(2_000_000), prop::option::of(0_i64..=100)),
        count,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (revenue, expenditure, rolling_surplus, share))| Unit {
                id: format!("u{i}"),
                name: None,
                revenue,
                expenditure,
                rolling_surplus,
                league_fiscal_share: share.map(|p| Share::percent(p).unwrap()),
            })
            .collect()
    })
}

fn policies() -> impl Strategy<Value = RiskPoolPolicy> {
    policies_with_cap_percent(0..=300)
}

/// Generated directly in range rather than filtered, so that long runs
/// (`PROPTEST_CASES=20000`) do not abort on too many rejects.
fn policies_with_cap_percent(cap_percent: std::ops::RangeInclusive<i64>) -> impl Strategy<Value = RiskPoolPolicy> {
    (0_i64..=30, cap_percent, any::<bool>(), prop::option::of(0_i64..=100)).prop_map(|(levy, cap, in_order, share)| {
        let mut p = alxa_2020().unwrap().params().clone();
        p.levy_rate = Share::percent(levy).unwrap();
        p.cap_multiple = medfund_core::Rate::percent(cap);
        p.rationing = if in_order { Rationing::InOrder } else { Rationing::ProRata };
        p.default_league_fiscal_share = share.map(|s| Share::percent(s).unwrap());
        p
    })
}

fn run(policy: &RiskPoolPolicy, opening: Money, units: Vec<Unit>) -> SchemeYear {
    compute_scheme(
        policy,
        &SchemeInput { scheme: Scheme::Employee, opening_balance: opening, units },
        &mut Trace::off(),
    )
    .unwrap()
}

proptest! {
    #[test]
    fn prop_closing_balance_is_opening_plus_levy_minus_draws_and_never_negative(p in policies(), opening in money(20_000_000), u in units()) {
        let y = run(&p, opening, u);
        let t = y.totals;
        prop_assert_eq!(t.closing_balance, t.opening_balance.add(t.levy).sub(t.draws));
        prop_assert!(!t.closing_balance.is_negative());
    }

    #[test]
    fn prop_levy_never_exceeds_rate_times_revenue_nor_lifts_balance_above_cap(p in policies(), opening in money(20_000_000), u in units()) {
        let y = run(&p, opening, u);
        let t = y.totals;
        let full = t.revenue_base.mul_rate(p.levy_rate.rate(), p.rounding).unwrap();
        prop_assert!(t.levy <= full);
        prop_assert!(!t.levy.is_negative());
        if t.opening_balance <= t.cap {
            prop_assert!(t.opening_balance.add(t.levy) <= t.cap);
        } else {
            prop_assert!(t.levy.is_zero());
        }
    }

    #[test]
    fn prop_levy_charges_sum_to_levy_and_draws_sum_to_from_risk_fund(p in policies(), opening in money(20_000_000), u in units()) {
        let y = run(&p, opening, u);
        let charges: i64 = y.outcomes.iter().map(|o| o.levy_charge.fen()).sum();
        let drawn: i64 = y.outcomes.iter().map(|o| o.from_risk_fund.fen()).sum();
        prop_assert_eq!(charges, y.totals.levy.fen());
        prop_assert_eq!(drawn, y.totals.draws.fen());
    }

    #[test]
    fn prop_gap_is_covered_by_surplus_fund_and_unresolved(p in policies(), opening in money(20_000_000), u in units()) {
        let y = run(&p, opening, u.clone());
        let mut any_unresolved = false;
        for (o, unit) in y.outcomes.iter().zip(&u) {
            prop_assert_eq!(o.gap, o.from_own_surplus.add(o.from_risk_fund).add(o.unresolved));
            prop_assert!(!o.from_own_surplus.is_negative() && !o.from_risk_fund.is_negative() && !o.unresolved.is_negative());
            prop_assert!(o.from_own_surplus <= unit.rolling_surplus);
            prop_assert_eq!(o.closing_rolling_surplus, unit.rolling_surplus.sub(o.from_own_surplus).add(o.result.positive_part()));
            match (o.fiscal_subsidy_league, o.fiscal_subsidy_unit) {
                (Some(l), Some(s)) => prop_assert_eq!(l.add(s), o.unresolved),
                (None, None) => prop_assert!(unit.league_fiscal_share.is_none() && p.default_league_fiscal_share.is_none()),
                _ => prop_assert!(false, "one subsidy half set"),
            }
            if o.gap.is_zero() {
                prop_assert!(o.from_risk_fund.is_zero() && o.from_own_surplus.is_zero() && o.unresolved.is_zero());
            }
            any_unresolved |= o.unresolved.is_positive();
        }
        prop_assert_eq!(any_unresolved, y.totals.actuarial_review);
        // Unresolved gaps only when the fund is exhausted.
        if y.totals.actuarial_review {
            prop_assert!(y.totals.closing_balance.is_zero());
        }
    }

    /// Holds for cap multiples up to 1 (the Alxa rule). Above 1, with the cap
    /// binding, an extra yuan of revenue raises the levy by `cap_multiple`
    /// yuan and a unit's charge can outgrow its revenue (see the crate docs).
    #[test]
    fn prop_more_revenue_never_means_a_larger_gap(p in policies_with_cap_percent(0..=100), opening in money(20_000_000), u in units_in(1..12), idx in any::<prop::sample::Index>(), extra in money(1_000_000)) {
        let i = idx.index(u.len());
        let before = run(&p, opening, u.clone());
        let mut richer = u;
        richer[i].revenue = richer[i].revenue.add(extra);
        let after = run(&p, opening, richer);
        prop_assert!(after.outcomes[i].gap <= before.outcomes[i].gap);
    }

    #[test]
    fn prop_multi_year_closing_state_is_next_opening_state(
        opening in money(5_000_000),
        rows in prop::collection::vec((money(1_000_000), prop::collection::vec((money(10_000_000), money(12_000_000)), 4)), 1..6),
    ) {
        let series = vec![SchemeSeries {
            scheme: Scheme::Resident,
            opening_balance: opening,
            units: rows.iter().enumerate().map(|(i, (surplus, years))| UnitSeries {
                id: format!("u{i}"),
                rolling_surplus: *surplus,
                league_fiscal_share: None,
                revenue: years.iter().map(|y| y.0).collect(),
                expenditure: years.iter().map(|y| y.1).collect(),
            }).collect(),
        }];
        let history = history_of(alxa_2020().unwrap()).unwrap();
        let years = roll_forward(&history, 2021, 4, &series, &mut Trace::off()).unwrap();
        for pair in years.windows(2) {
            let (a, b) = (&pair[0].schemes[0], &pair[1].schemes[0]);
            prop_assert_eq!(a.totals.closing_balance, b.totals.opening_balance);
            prop_assert_eq!(pair[0].year + 1, pair[1].year);
            for (i, oa) in a.outcomes.iter().enumerate() {
                // Next year's cover uses the carried-over surplus.
                let next_surplus_used = b.outcomes[i].from_own_surplus;
                prop_assert!(next_surplus_used <= oa.closing_rolling_surplus);
            }
        }
    }
}
