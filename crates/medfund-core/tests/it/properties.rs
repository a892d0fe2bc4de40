//! Property tests of medfund-core's invariants.
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

use chrono::NaiveDate;
use medfund_core::{Money, Rate, Rounding, Splitter, YearStart, split_by_weights};
use proptest::prelude::*;

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![-1_000_000_000_000_i64..1_000_000_000_000, -1_000_i64..1_000]
}

fn weights() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(prop_oneof![0_u64..10, 0_u64..1_000_000_000], 1..60)
        .prop_filter("some positive weight", |w| w.iter().any(|&x| x > 0))
}

proptest! {
    #[test]
    fn prop_split_conserves_amount(a in amount(), w in weights()) {
        let shares = split_by_weights(Money::from_fen(a), &w).unwrap();
        prop_assert_eq!(shares.iter().map(|m| m.fen()).sum::<i64>(), a);
    }

    #[test]
    fn prop_split_share_within_one_fen_of_exact(a in amount(), w in weights()) {
        let shares = split_by_weights(Money::from_fen(a), &w).unwrap();
        let total: i128 = w.iter().map(|&x| i128::from(x)).sum();
        for (s, &wi) in shares.iter().zip(&w) {
            // |share·total − a·w| < total  ⇔  |share − exact| < 1 fen
            let diff = (i128::from(s.fen()) * total - i128::from(a) * i128::from(wi)).abs();
            prop_assert!(diff < total, "share {} weight {} of {}", s, wi, a);
        }
    }

    #[test]
    fn prop_split_zero_weight_gets_nothing(a in amount(), w in weights()) {
        let shares = split_by_weights(Money::from_fen(a), &w).unwrap();
        for (s, &wi) in shares.iter().zip(&w) {
            if wi == 0 { prop_assert!(s.is_zero()); }
        }
    }

    #[test]
    fn prop_split_ties_go_to_earlier_entry(a in 0_i64..1_000, n in 2_usize..20) {
        let w = vec![1_u64; n];
        let shares = split_by_weights(Money::from_fen(a), &w).unwrap();
        for pair in shares.windows(2) {
            prop_assert!(pair[0] >= pair[1]);
        }
    }

    #[test]
    fn prop_split_mirrors_negative_amount(a in amount(), w in weights()) {
        let pos = split_by_weights(Money::from_fen(a), &w).unwrap();
        let neg = split_by_weights(Money::from_fen(-a), &w).unwrap();
        for (p, n) in pos.iter().zip(&neg) {
            prop_assert_eq!(p.fen(), -n.fen());
        }
    }

    #[test]
    fn prop_capped_split_never_exceeds_caps_and_loses_nothing(
        a in 0_i64..100_000_000,
        wc in prop::collection::vec((0_u64..1_000, 0_i64..50_000_000), 1..40),
    ) {
        let w: Vec<u64> = wc.iter().map(|p| p.0).collect();
        let caps: Vec<Money> = wc.iter().map(|p| Money::from_fen(p.1)).collect();
        let split = Splitter::new().split_capped(Money::from_fen(a), &w, &caps).unwrap();
        let placed: i64 = split.shares.iter().map(|m| m.fen()).sum();
        prop_assert_eq!(placed + split.leftover.fen(), a);
        prop_assert!(!split.leftover.is_negative());
        for ((s, c), wi) in split.shares.iter().zip(&caps).zip(&w) {
            prop_assert!(s <= c);
            prop_assert!(!s.is_negative());
            if *wi == 0 { prop_assert!(s.is_zero()); }
        }
        if split.leftover.is_positive() {
            // Leftover only when every share with a positive weight is full.
            for ((s, c), wi) in split.shares.iter().zip(&caps).zip(&w) {
                if *wi > 0 { prop_assert_eq!(s, c); }
            }
        }
    }

    #[test]
    fn prop_money_display_parse_round_trip(fen in any::<i64>()) {
        let m = Money::from_fen(fen);
        prop_assert_eq!(m.to_string().parse::<Money>().unwrap(), m);
        prop_assert_eq!(m.to_grouped_string().parse::<Money>().unwrap(), m);
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn prop_money_from_f64_matches_shortest_form(cents in -10_000_000_000_i64..10_000_000_000) {
        // Every two-decimal value read as an f64 comes back to the same fen.
        let text = Money::from_fen(cents).to_string();
        let f: f64 = text.parse().unwrap();
        prop_assert_eq!(Money::from_f64(f).unwrap(), Money::from_fen(cents));
    }

    #[test]
    fn prop_rounding_negative_mirrors_positive(fen in -1_000_000_000_000_i64..1_000_000_000_000, bp in 0_i64..100_000) {
        let rate = Rate::from_decimal(rust_decimal::Decimal::new(bp, 4));
        for mode in [Rounding::HalfAwayFromZero, Rounding::HalfEven, Rounding::TowardZero, Rounding::AwayFromZero] {
            let pos = Money::from_fen(fen).mul_rate(rate, mode).unwrap();
            let neg = Money::from_fen(-fen).mul_rate(rate, mode).unwrap();
            prop_assert_eq!(pos.fen(), -neg.fen(), "{:?}", mode);
        }
    }

    #[test]
    fn prop_mul_rate_is_exact_rounding(fen in -1_000_000_000_000_i64..1_000_000_000_000, bp in 0_i64..1_000_000) {
        let rate = Rate::from_decimal(rust_decimal::Decimal::new(bp, 5));
        let got = Money::from_fen(fen).mul_rate(rate, Rounding::HalfAwayFromZero).unwrap();
        let exact = rust_decimal::Decimal::from(fen) * rate.to_decimal();
        let want = exact.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        prop_assert_eq!(rust_decimal::Decimal::from(got.fen()), want);
    }

    #[test]
    fn prop_fiscal_year_of_date_contains_it(days in 0_i64..60_000, month in 1_u32..=12, day in 1_u32..=28) {
        let date = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Days::new(days as u64);
        let start = YearStart::new(month, day).unwrap();
        let year = start.year_of(date);
        prop_assert!(year.first_day().unwrap() <= date);
        prop_assert!(date <= year.last_day().unwrap());
        prop_assert!(year.contains(date));
    }
}
