//! The claims batch at sizes that take the parallel path, against a naive
//! reference (group with a `BTreeMap`, sort, apply the schedule claim by
//! claim) and against itself on one thread.
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

use medfund_core::{Money, NaiveDate, Rounding};
use medfund_insurer::*;

/// SplitMix64, so the batch is the same on every run.
struct Gen(u64);
impl Gen {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound
    }
}

/// `count` claims of `persons` persons over three medical years, in random
/// order, with many same-date claims and a few costs above every cap.
fn batch(count: usize, persons: u64, seed: u64) -> Vec<Claim<String>> {
    let mut g = Gen(seed);
    let base = NaiveDate::from_ymd_opt(2022, 6, 1).unwrap();
    (0..count)
        .map(|_| Claim {
            person: format!("p{}", g.below(persons)),
            date: base.checked_add_days(chrono::Days::new(g.below(1_100))).unwrap(),
            eligible_cost: Money::from_fen(if g.below(50) == 0 {
                g.below(40_000_000) as i64
            } else {
                g.below(3_000_000) as i64
            }),
        })
        .collect()
}

fn reference(policy: &SupplementaryPolicy, claims: &[Claim<String>]) -> Vec<ClaimSplit> {
    let schedule = policy.schedule().unwrap();
    let mut by_person: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in claims.iter().enumerate() {
        by_person.entry(&c.person).or_default().push(i);
    }
    let mut out = vec![ClaimSplit::default(); claims.len()];
    for (_, mut idx) in by_person {
        idx.sort_by_key(|&i| (claims[i].date, i));
        let (mut state, mut year) = (RunningTotals::default(), None);
        for i in idx {
            let y = policy.year_start.year_of(claims[i].date).label();
            if year != Some(y) {
                (state, year) = (RunningTotals::default(), Some(y));
            }
            let s = schedule.apply(&mut state, claims[i].eligible_cost).unwrap();
            let split = &mut out[i];
            (split.medical_year, split.fund, split.insurer, split.person_pays) = (y, s.fund, s.insurer, s.person);
        }
    }
    out
}

fn on_threads(threads: usize, policy: &SupplementaryPolicy, claims: &[Claim<String>]) -> SupplementaryResult {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| split_claims(policy, 250_000, claims).unwrap())
}

#[test]
fn parallel_and_single_thread_batches_equal_the_naive_reference() {
    let claims = batch(150_000, 30_000, 1);
    for rounding in [Rounding::HalfAwayFromZero, Rounding::HalfEven, Rounding::TowardZero] {
        let mut policy = xiamen_2007().unwrap().params().clone();
        policy.rounding = rounding;
        policy.insurer_rate = medfund_core::Share::new("0.875".parse().unwrap()).unwrap();
        let want = reference(&policy, &claims);
        let one = on_threads(1, &policy, &claims);
        assert_eq!(one.claims, want, "{rounding:?}, one thread");
        // 2 and 3 threads keep the one-thread path; 4 and 8 split the batch.
        for threads in [2, 4, 8] {
            assert_eq!(on_threads(threads, &policy, &claims), one, "{rounding:?}, {threads} threads");
        }
        let mut paid: BTreeMap<i32, i64> = BTreeMap::new();
        for s in &want {
            *paid.entry(s.medical_year).or_default() += s.insurer.fen();
        }
        let got: Vec<(i32, i64)> = one.years.iter().map(|y| (y.medical_year, y.claims_paid.fen())).collect();
        assert_eq!(got, paid.into_iter().collect::<Vec<_>>());
    }
}

#[test]
fn one_person_with_every_claim_takes_the_parallel_path_unsplit() {
    let mut claims = batch(70_000, 1, 2);
    claims.iter_mut().for_each(|c| c.eligible_cost = Money::from_fen(c.eligible_cost.fen() % 5_000));
    let policy = xiamen_2007().unwrap().params().clone();
    let want = reference(&policy, &claims);
    assert_eq!(on_threads(4, &policy, &claims).claims, want);
}

/// Costs summing beyond the division-free kernel's exact range (about
/// 1.8 × 10^18 fen at a 50 % rate) are split on the checked path: equal
/// results while each person's arithmetic fits, an overflow error — never a
/// wrapped amount — when it does not.
#[test]
fn batches_beyond_the_kernel_range_take_the_checked_path() {
    let mut policy = xiamen_2007().unwrap().params().clone();
    policy.insurer_rate = medfund_core::Share::percent(50).unwrap();
    policy.insurer_cap = Money::from_fen(i64::MAX / 2);
    let day = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    let claim = |p: &str, fen: i64| Claim { person: p.to_owned(), date: day, eligible_cost: Money::from_fen(fen) };
    let huge = 1_000_000_000_000_000_000;
    let claims = vec![claim("a", huge), claim("b", huge), claim("a", 0)];
    let r = split_claims(&policy, 1, &claims).unwrap();
    assert_eq!(r.claims, reference(&policy, &claims));
    assert_eq!(r.claims[0].insurer, Money::from_fen((huge - 5_300_000) / 2));

    // Two claims of 10^18 for one person still fit: 10^18 × 5 < 2^63.
    let two = vec![claim("a", huge), claim("a", huge)];
    assert_eq!(split_claims(&policy, 1, &two).unwrap().claims, reference(&policy, &two));
    // Four times that does not: 4 × 10^18 × 5 ≥ 2^63.
    let overflowing = vec![claim("a", 4 * huge), claim("b", 1)];
    let err = split_claims(&policy, 1, &overflowing).unwrap_err();
    assert!(matches!(err, InsurerError::ClaimOverflow { index: 0, .. }), "{err}");
}

/// Rule: 厦门市基本医疗保险实践（2007） 四、完善大额医疗费用补充保险 (X5): claims
/// partitioned by person, split in parts and merged, give the split of the
/// whole batch, claim by claim and year by year.
#[test]
fn x5_parts_partitioned_by_person_merge_to_the_whole_split() {
    let policy = xiamen_2007().unwrap().params().clone();
    let claims = batch(40_000, 3_000, 11);
    let whole = split_claims(&policy, 5_000, &claims).unwrap();
    for parts in [1_usize, 2, 7] {
        let bucket = |c: &Claim<String>| c.person[1..].parse::<usize>().unwrap() % parts;
        let mut splits = vec![None; claims.len()];
        let mut summaries = Vec::new();
        for k in 0..parts {
            let index: Vec<usize> = (0..claims.len()).filter(|&i| bucket(&claims[i]) == k).collect();
            let part: Vec<Claim<String>> = index.iter().map(|&i| claims[i].clone()).collect();
            let result = split_claims(&policy, 5_000, &part).unwrap();
            for (&i, s) in index.iter().zip(result.claims) {
                splits[i] = Some(s);
            }
            summaries.push(result.years);
        }
        let splits: Vec<ClaimSplit> = splits.into_iter().map(Option::unwrap).collect();
        assert_eq!(splits, whole.claims, "{parts} parts");
        assert_eq!(merge_year_summaries(&summaries).unwrap(), whole.years, "{parts} parts");
    }
    // Parts of different splits are refused, not added up.
    let a = split_claims(&policy, 5_000, &claims[..10]).unwrap();
    let b = split_claims(&policy, 6_000, &claims[..10]).unwrap();
    assert!(matches!(merge_year_summaries(&[a.years, b.years]), Err(InsurerError::PartsDisagree { .. })));
}
