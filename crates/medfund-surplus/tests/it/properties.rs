//! Property tests of the allocation's invariants.
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

use medfund_core::{Money, Quantity, Share, Trace};
use medfund_surplus::*;
use proptest::prelude::*;

fn institutions() -> impl Strategy<Value = Vec<Institution>> {
    institutions_in(0..25)
}

fn institutions_in(count: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Institution>> {
    prop::collection::vec((0_u8..3, 0_i64..=100, 0_i64..50_000, any::<bool>()), count).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (level, score, workload, half))| Institution {
                id: format!("i{i}"),
                name: None,
                level: [Level::Primary, Level::Secondary, Level::Tertiary][level as usize],
                chronic_care_score: if half && score < 100 { "0.5".parse::<Quantity>().unwrap() } else { score.into() },
                workload: workload.into(),
            })
            .collect()
    })
}

fn policies() -> impl Strategy<Value = SurplusPolicy> {
    (0_i64..=10, 0_i64..=60, 0_u8..3, 0_i64..=100, 0_i64..=100, 0_i64..=80).prop_map(
        |(earmark, floor, split, wc, ww, min)| {
            let mut p = framework_2025().unwrap().params().clone();
            p.earmarks[0].rate = Share::percent(earmark).unwrap();
            p.primary_floor = Share::percent(floor).unwrap();
            p.floor_split = [FloorSplit::Composite, FloorSplit::Workload, FloorSplit::Equal][split as usize];
            p.weights =
                Weights { chronic_care: medfund_core::Rate::percent(wc), workload: medfund_core::Rate::percent(ww) };
            p.min_score = min.into();
            p
        },
    )
}

fn total() -> impl Strategy<Value = Money> {
    prop_oneof![0_i64..1_000, 0_i64..10_000_000_000].prop_map(Money::from_fen)
}

fn run(p: &SurplusPolicy, t: Money, i: &[Institution]) -> Allocation {
    allocate(p, t, i, &[], &mut Trace::off()).unwrap()
}

proptest! {
    #[test]
    fn prop_earmarks_totals_and_unallocated_sum_to_surplus(p in policies(), t in total(), i in institutions()) {
        let a = run(&p, t, &i);
        let sum: i64 = a.earmarks.iter().map(|e| e.amount.fen()).sum::<i64>()
            + a.institutions.iter().map(|s| s.total.fen()).sum::<i64>()
            + a.unallocated.fen();
        prop_assert_eq!(sum, t.fen());
    }

    #[test]
    fn prop_primary_institutions_receive_at_least_the_floor(p in policies(), t in total(), i in institutions()) {
        let a = run(&p, t, &i);
        let primary_weight_exists = match p.floor_split {
            FloorSplit::Equal => i.iter().any(|x| x.level == Level::Primary),
            FloorSplit::Workload => i.iter().any(|x| x.level == Level::Primary && x.workload > Quantity::ZERO),
            // Both composite weights zero: every composite weight is zero (§6 rule 4).
            _ => (!p.weights.chronic_care.is_zero() || !p.weights.workload.is_zero())
                && i.iter().any(|x| x.level == Level::Primary && (x.workload > Quantity::ZERO || x.chronic_care_score > Quantity::ZERO)),
        };
        if primary_weight_exists {
            let primary: i64 = a.institutions.iter().zip(&i).filter(|(_, x)| x.level == Level::Primary).map(|(s, _)| s.total.fen()).sum();
            prop_assert!(primary >= a.primary_pool.fen());
            let floor = t.mul_rate(p.primary_floor.rate(), p.rounding).unwrap();
            prop_assert_eq!(a.primary_pool, floor);
        }
    }

    #[test]
    fn prop_no_share_negative_and_below_min_score_gets_no_performance_share(p in policies(), t in total(), i in institutions()) {
        let a = run(&p, t, &i);
        prop_assert!(!a.unallocated.is_negative());
        for (s, x) in a.institutions.iter().zip(&i) {
            prop_assert!(!s.floor_share.is_negative() && !s.performance_share.is_negative());
            prop_assert_eq!(s.total, s.floor_share.checked_add(s.performance_share).unwrap());
            if x.chronic_care_score < p.min_score {
                prop_assert!(s.performance_share.is_zero());
            }
            if x.level != Level::Primary {
                prop_assert!(s.floor_share.is_zero());
            }
        }
    }

    #[test]
    fn prop_raising_score_or_workload_never_lowers_performance_share(
        p in policies(), t in total(), i in institutions_in(1..25), idx in any::<prop::sample::Index>(), more_score in 0_i64..50, more_load in 0_i64..10_000,
    ) {
        let k = idx.index(i.len());
        let before = run(&p, t, &i);
        let mut better = i.clone();
        let raised = better[k].chronic_care_score.value() + rust_decimal::Decimal::from(more_score);
        better[k].chronic_care_score = Quantity::new(raised.min(rust_decimal::Decimal::ONE_HUNDRED));
        let after_score = run(&p, t, &better);
        prop_assert!(after_score.institutions[k].performance_share >= before.institutions[k].performance_share);
        let mut busier = i;
        busier[k].workload = Quantity::new(busier[k].workload.value() + rust_decimal::Decimal::from(more_load));
        let after_load = run(&p, t, &busier);
        prop_assert!(after_load.institutions[k].performance_share >= before.institutions[k].performance_share);
    }

    #[test]
    fn prop_input_order_changes_nothing_but_tie_breaks_within_one_fen(p in policies(), t in total(), i in institutions(), seed in any::<u64>()) {
        let a = run(&p, t, &i);
        let mut shuffled: Vec<Institution> = i.clone();
        shuffled.sort_by_key(|x| (x.id.len() as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left((seed % 64) as u32) ^ x.id.bytes().map(u64::from).sum::<u64>());
        let b = run(&p, t, &shuffled);
        prop_assert_eq!(a.unallocated, b.unallocated);
        for s in &a.institutions {
            let other = b.institutions.iter().find(|o| o.id == s.id).unwrap();
            prop_assert!((s.floor_share.fen() - other.floor_share.fen()).abs() <= 1);
            prop_assert!((s.performance_share.fen() - other.performance_share.fen()).abs() <= 1);
        }
    }
}
