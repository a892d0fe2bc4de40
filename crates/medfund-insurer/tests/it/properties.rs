//! Property tests of the insurer settlements' invariants.
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

use std::collections::BTreeMap;

use medfund_core::{Money, NaiveDate, PolicyHistory, Trace};
use medfund_insurer::*;
use proptest::prelude::*;

fn money(max_yuan: i64) -> impl Strategy<Value = Money> {
    (0..=max_yuan * 100).prop_map(Money::from_fen)
}

fn date() -> impl Strategy<Value = NaiveDate> {
    let base = NaiveDate::from_ymd_opt(2022, 1, 1).unwrap().num_days_from_ce_compat();
    (0_i32..1_500).prop_map(move |d| NaiveDate::from_num_days_from_ce_opt(base + d).unwrap())
}

trait CeDays {
    fn num_days_from_ce_compat(&self) -> i32;
}
impl CeDays for NaiveDate {
    fn num_days_from_ce_compat(&self) -> i32 {
        // Days from 0001-01-01 (day 1), without importing chrono's Datelike.
        (*self - NaiveDate::from_ymd_opt(1, 1, 1).unwrap()).num_days() as i32 + 1
    }
}

fn history() -> PolicyHistory<AssistancePolicy> {
    PolicyHistory::new("assistance", vec![huizhou_2021().unwrap()]).unwrap()
}

/// Counties with spend for 2021 and 1–5 following years (every year serves a
/// reported service year), and for each service year perhaps an annual
/// settlement on any day from January 1 to the end of July of S+1 and a fee
/// settlement up to 40 days after it.
fn counties() -> impl Strategy<Value = Vec<County>> {
    let year = (money(20_000_000), prop::option::of((1_u32..=212, prop::option::of(0_u32..=40))));
    prop::collection::vec((prop::collection::vec(year, 2..7), prop::option::of(money(500_000))), 1..5).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (years, prior_fee))| {
                let mut c = County {
                    id: format!("c{i}"),
                    prior_plan_fee: prior_fee.map(|f| BTreeMap::from([(2021, f)])).unwrap_or_default(),
                    ..County::default()
                };
                for (k, (spend, dates)) in years.into_iter().enumerate() {
                    let service_year = 2021 + k as i32;
                    c.spend.insert(service_year, spend);
                    if let (true, Some((day, fee_after))) = (k > 0, dates) {
                        let settled = NaiveDate::from_ymd_opt(service_year + 1, 1, 1).unwrap()
                            + chrono::Days::new(u64::from(day - 1));
                        c.settled_on.insert(service_year, settled);
                        if let Some(after) = fee_after {
                            c.fee_settled_on.insert(service_year, settled + chrono::Days::new(u64::from(after)));
                        }
                    }
                }
                c
            })
            .collect()
    })
}

fn claims() -> impl Strategy<Value = Vec<Claim<u8>>> {
    prop::collection::vec((0_u8..6, date(), money(120_000)), 0..80).prop_map(|v| {
        v.into_iter().map(|(person, date, eligible_cost)| Claim { person, date, eligible_cost }).collect()
    })
}

fn xiamen() -> SupplementaryPolicy {
    xiamen_2007().unwrap().params().clone()
}

proptest! {
    #[test]
    fn prop_fee_never_exceeds_cap_nor_rate_times_spend(cs in counties()) {
        let s = settle(&history(), &cs, &mut Trace::off()).unwrap();
        for (c, cs) in cs.iter().zip(&s.counties) {
            for y in &cs.years {
                let spend = c.spend[&y.service_year];
                let full = spend.mul_rate("4%".parse().unwrap(), Default::default()).unwrap();
                prop_assert!(y.fee <= Money::from_yuan(400_000).unwrap());
                prop_assert!(y.fee <= full);
                prop_assert_eq!(y.fee_capped, full > Money::from_yuan(400_000).unwrap());
            }
        }
    }

    #[test]
    fn prop_prepayments_plus_annual_balance_equal_spend(cs in counties()) {
        let s = settle(&history(), &cs, &mut Trace::off()).unwrap();
        for (c, cs) in cs.iter().zip(&s.counties) {
            for y in &cs.years {
                let sum = y.prepay_march.checked_add(y.prepay_september).unwrap().checked_add(y.annual_balance).unwrap();
                prop_assert_eq!(sum, c.spend[&y.service_year]);
            }
        }
    }

    #[test]
    fn prop_advance_plus_fee_due_equals_fee(cs in counties()) {
        let s = settle(&history(), &cs, &mut Trace::off()).unwrap();
        for y in s.counties.iter().flat_map(|c| &c.years) {
            match (y.fee_advance, y.fee_due) {
                (Some(a), Some(d)) => prop_assert_eq!(a.checked_add(d).unwrap(), y.fee),
                (None, None) => {}
                _ => prop_assert!(false, "advance and due must be known together"),
            }
        }
    }

    /// Rule: 惠医保发〔2021〕96号 （四）资金管理 第4点: the fee settlement nets the June advance.
    #[test]
    fn prop_fee_settlement_is_never_before_its_advance(cs in counties()) {
        let s = settle(&history(), &cs, &mut Trace::off()).unwrap();
        prop_assert!(s.schedule.windows(2).all(|w| w[0].date <= w[1].date));
        for p in s.schedule.iter().filter(|p| p.kind == PaymentKind::FeeSettlement) {
            let advance = s
                .schedule
                .iter()
                .find(|a| a.kind == PaymentKind::FeeAdvance && a.county == p.county && a.service_year == p.service_year)
                .unwrap();
            prop_assert!(advance.date <= p.date, "advance {} after its settlement {}", advance.date, p.date);
            let june_end = NaiveDate::from_ymd_opt(p.service_year + 1, 6, 30).unwrap();
            prop_assert_eq!(advance.date, june_end.min(p.date));
        }
    }

    #[test]
    fn prop_every_payment_appears_once_in_date_order(cs in counties()) {
        let s = settle(&history(), &cs, &mut Trace::off()).unwrap();
        prop_assert!(s.schedule.windows(2).all(|w| w[0].date <= w[1].date));
        let mut expected = 0;
        for y in s.counties.iter().flat_map(|c| &c.years) {
            expected += 3 + usize::from(y.fee_advance.is_some()) + usize::from(y.fee_due.is_some());
        }
        prop_assert_eq!(s.schedule.len(), expected);
        let mut keys: Vec<_> = s.schedule.iter().map(|p| (p.county.clone(), p.service_year, p.kind, p.date)).collect();
        keys.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        let before = keys.len();
        keys.dedup();
        // Two prepayments per year share a kind but not a date.
        prop_assert_eq!(keys.len(), before);
    }

    #[test]
    fn prop_column_kernel_equals_one_by_one(totals in prop::collection::vec(0_i64..100_000_000, 0..200), rate in 0_i64..=100, cap in 0_i64..20_000_000) {
        let bands = vec![
            Band { from: Money::ZERO, payer: Payer::Fund, rate: medfund_core::Share::ONE },
            Band { from: Money::from_fen(5_300_000), payer: Payer::Insurer, rate: medfund_core::Share::percent(rate).unwrap() },
        ];
        let schedule = BandedSchedule::new(bands, &[(Payer::Insurer, Money::from_fen(cap))], Default::default()).unwrap();
        let totals: Vec<Money> = totals.into_iter().map(Money::from_fen).collect();
        let mut column = Vec::new();
        schedule.split_totals_into(&totals, &mut column).unwrap();
        prop_assert_eq!(column.len(), totals.len());
        for (t, c) in totals.iter().zip(&column) {
            prop_assert_eq!(*c, schedule.split_total(*t).unwrap());
        }
        let sum = schedule.sum_totals(&totals).unwrap();
        let fen = |f: fn(&BandSplit) -> Money| column.iter().map(|c| f(c).fen()).sum::<i64>();
        prop_assert_eq!((sum.fund.fen(), sum.insurer.fen(), sum.person.fen()), (fen(|c| c.fund), fen(|c| c.insurer), fen(|c| c.person)));
    }

    /// The column kernel (reciprocal division, caps on sums) against the
    /// checked one-by-one path, over any schedule, every rounding mode, and
    /// totals up to and beyond the kernel's exact range.
    #[test]
    fn prop_column_kernel_equals_one_by_one_for_any_schedule(
        // Small scales often (ties to break in banker's rounding), up to 12 decimals.
        bands in prop::collection::vec((prop_oneof![1_i64..1_000, 1_i64..5_000_000], 0_usize..3, prop_oneof![3 => 1_u32..=2, 1 => 0_u32..=12], any::<u64>()), 1..7),
        caps in prop::collection::vec((0_usize..3, 0_i64..50_000_000), 0..3),
        mode in 0_usize..6,
        totals in prop::collection::vec(prop_oneof![
            4 => 0_i64..10_000,
            4 => 0_i64..100_000_000,
            1 => 0_i64..=i64::MAX,
            1 => (0_i64..1_000).prop_map(|d| i64::MAX / 10 - d),
        ], 0..60),
        negative_at in prop::option::weighted(0.1, any::<prop::sample::Index>()),
    ) {
        let rounding = [
            medfund_core::Rounding::HalfAwayFromZero, medfund_core::Rounding::HalfEven, medfund_core::Rounding::TowardZero,
            medfund_core::Rounding::AwayFromZero, medfund_core::Rounding::Floor, medfund_core::Rounding::Ceiling,
        ][mode];
        let payers = [Payer::Fund, Payer::Insurer, Payer::Subsidy];
        let mut from = 0_i64;
        let bands: Vec<Band> = bands.iter().enumerate().map(|(i, &(gap, payer, scale, bits))| {
            let den = 10_i64.pow(scale);
            let num = i64::try_from(bits % (den as u64 + 1)).unwrap();
            if i > 0 { from += gap; }
            let rate = medfund_core::Share::new(medfund_core::Rate::from_decimal(medfund_core::Decimal::new(num, scale))).unwrap();
            Band { from: Money::from_fen(from), payer: payers[payer], rate }
        }).collect();
        let mut seen = [false; 3];
        let caps: Vec<(Payer, Money)> = caps.into_iter().filter(|&(p, _)| !std::mem::replace(&mut seen[p], true)).map(|(p, c)| (payers[p], Money::from_fen(c))).collect();
        let schedule = BandedSchedule::new(bands, &caps, rounding).unwrap();
        let mut totals: Vec<Money> = totals.into_iter().map(Money::from_fen).collect();
        if let (Some(at), false) = (negative_at, totals.is_empty()) {
            let i = at.index(totals.len());
            totals[i] = Money::from_fen(-1 - totals[i].fen() % 1_000);
        }
        let one_by_one: Result<Vec<BandSplit>, _> = totals.iter().map(|&t| schedule.split_total(t)).collect();
        let mut column = Vec::new();
        let got = schedule.split_totals_into(&totals, &mut column);
        match one_by_one {
            Ok(expected) => {
                prop_assert!(got.is_ok(), "{got:?}");
                prop_assert_eq!(&column, &expected);
                let sum = |f: fn(&BandSplit) -> Money| expected.iter().map(|c| i128::from(f(c).fen())).sum::<i128>();
                let sums = [sum(|c| c.fund), sum(|c| c.insurer), sum(|c| c.subsidy), sum(|c| c.person)];
                match schedule.sum_totals(&totals) {
                    Ok(s) => prop_assert_eq!([s.fund, s.insurer, s.subsidy, s.person].map(|m| i128::from(m.fen())), sums),
                    Err(_) => prop_assert!(sums.iter().any(|&v| i64::try_from(v).is_err())),
                }
            }
            Err(_) => {
                prop_assert!(got.is_err());
                prop_assert!(schedule.sum_totals(&totals).is_err());
            }
        }
    }

    #[test]
    fn prop_claim_parts_sum_to_cost_and_caps_hold(cs in claims()) {
        let r = split_claims(&xiamen(), 100, &cs).unwrap();
        let mut per_person_year: BTreeMap<(u8, i32), (Money, Money)> = BTreeMap::new();
        for (c, s) in cs.iter().zip(&r.claims) {
            prop_assert_eq!(s.fund.checked_add(s.insurer).unwrap().checked_add(s.person_pays).unwrap(), c.eligible_cost);
            prop_assert!(!s.fund.is_negative() && !s.insurer.is_negative() && !s.person_pays.is_negative());
            let e = per_person_year.entry((c.person, s.medical_year)).or_insert((Money::ZERO, Money::ZERO));
            e.0 = e.0.checked_add(s.fund).unwrap();
            e.1 = e.1.checked_add(s.insurer).unwrap();
        }
        for (fund, insurer) in per_person_year.values() {
            prop_assert!(*fund <= Money::from_yuan(53_000).unwrap());
            prop_assert!(*insurer <= Money::from_yuan(150_000).unwrap());
        }
        let paid: i64 = r.claims.iter().map(|c| c.insurer.fen()).sum();
        prop_assert_eq!(paid, r.years.iter().map(|y| y.claims_paid.fen()).sum::<i64>());
    }

    #[test]
    fn prop_year_totals_in_any_parts_equal_the_splits_years(cs in claims(), cut in any::<prop::sample::Index>()) {
        // Source: 厦门市基本医疗保险实践（2007） 四 (X5): the insurer's account of a medical year.
        let r = split_claims(&xiamen(), 100, &cs).unwrap();
        let at = cut.index(r.claims.len() + 1);
        let (mut first, mut second) = (YearTotals::default(), YearTotals::default());
        for (k, s) in r.claims.iter().enumerate() {
            if k < at { first.add(s.medical_year, s.insurer).unwrap() } else { second.add(s.medical_year, s.insurer).unwrap() }
        }
        first.merge(second).unwrap();
        let years: Vec<i32> = first.iter().map(|(y, _)| y).collect();
        prop_assert!(years.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(first.into_summaries(&xiamen(), 100).unwrap(), r.years);
    }

    #[test]
    fn prop_claim_by_claim_equals_total_within_one_fen_per_claim(costs in prop::collection::vec(money(80_000), 1..30)) {
        let d = NaiveDate::from_ymd_opt(2023, 8, 1).unwrap();
        let claims: Vec<Claim<u8>> = costs.iter().map(|&c| Claim { person: 0, date: d, eligible_cost: c }).collect();
        let r = split_claims(&xiamen(), 0, &claims).unwrap();
        let total = Money::checked_sum(costs.iter().copied()).unwrap();
        let whole = xiamen().schedule().unwrap().split_total(total).unwrap();
        let fund: i64 = r.claims.iter().map(|c| c.fund.fen()).sum();
        let insurer: i64 = r.claims.iter().map(|c| c.insurer.fen()).sum();
        prop_assert_eq!(fund, whole.fund.fen());
        prop_assert!((insurer - whole.insurer.fen()).abs() <= costs.len() as i64);
    }

    #[test]
    fn prop_order_of_other_persons_claims_never_changes_a_result(cs in claims(), seed in any::<u64>()) {
        let r = split_claims(&xiamen(), 0, &cs).unwrap();
        // Reverse, then rotate: the relative order of each person's same-date claims must be kept,
        // so shuffle only across persons by a stable sort on a per-person random key.
        let mut indexed: Vec<(usize, &Claim<u8>)> = cs.iter().enumerate().collect();
        indexed.sort_by_key(|(_, c)| (u64::from(c.person) ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let shuffled: Vec<Claim<u8>> = indexed.iter().map(|(_, c)| (*c).clone()).collect();
        let r2 = split_claims(&xiamen(), 0, &shuffled).unwrap();
        for (k, (i, _)) in indexed.iter().enumerate() {
            prop_assert_eq!(r.claims[*i], r2.claims[k]);
        }
    }

}

proptest! {
    /// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险
    #[test]
    fn prop_explained_split_equals_the_split_and_records_each_claim_once(cs in claims()) {
        let version = xiamen_2007().unwrap();
        let fast = split_claims_in_force(&version, 10, &cs).unwrap();
        let mut trace = Trace::on();
        let explained = split_claims_explained(&version, 10, &cs, &mut trace).unwrap();
        prop_assert_eq!(&explained, &fast);
        let steps = trace.steps();
        prop_assert_eq!(steps.len(), cs.len() + fast.years.len());
        for (i, (step, split)) in steps.iter().zip(&fast.claims).enumerate() {
            prop_assert_eq!(&step.figure, &format!("/supplementary/claims/{i}"));
            let result = format!("fund {}; insurer {}; person_pays {}", split.fund, split.insurer, split.person_pays);
            prop_assert_eq!(&step.result, &result);
            prop_assert!(!step.formula_zh.is_empty());
        }
        // The running total before a claim is what the person's earlier claims of its medical year cost.
        for (i, (c, step)) in cs.iter().zip(steps).enumerate() {
            let year = fast.claims[i].medical_year;
            let earlier: i64 = cs.iter().enumerate()
                .filter(|&(j, o)| o.person == c.person && fast.claims[j].medical_year == year && (o.date, j) < (c.date, i))
                .map(|(_, o)| o.eligible_cost.fen())
                .sum();
            let before = step.inputs.iter().find(|x| x.name == "running_total_before").unwrap();
            prop_assert_eq!(&before.value, &Money::from_fen(earlier).to_string());
        }
        let mut off = Trace::off();
        prop_assert_eq!(split_claims_explained(&version, 10, &cs, &mut off).unwrap(), fast);
    }
}

proptest! {
    // Each case splits 66,000+ claims (above the parallel threshold): a few cases suffice to cover the parallel path.
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn prop_parallel_batch_equals_sequential(n in 66_000_usize..70_000) {
        // Above the parallel threshold: results must equal one-by-one application.
        let d = NaiveDate::from_ymd_opt(2023, 8, 1).unwrap();
        let claims: Vec<Claim<u32>> = (0..n).map(|i| Claim { person: (i % 997) as u32, date: d, eligible_cost: Money::from_fen(((i * 7_919) % 3_000_000) as i64) }).collect();
        let r = split_claims(&xiamen(), 0, &claims).unwrap();
        let schedule = xiamen().schedule().unwrap();
        let mut running = vec![RunningTotals::default(); 997];
        for (c, s) in claims.iter().zip(&r.claims) {
            let want = schedule.apply(&mut running[c.person as usize], c.eligible_cost).unwrap();
            prop_assert_eq!((s.fund, s.insurer, s.person_pays), (want.fund, want.insurer, want.person));
        }
    }
}
