//! Table tests of the 2025 framework (S1–S6).
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

fn y(n: i64) -> Money {
    Money::from_yuan(n).unwrap()
}
fn inst(id: &str, level: Level, score: i64, workload: i64) -> Institution {
    Institution { id: id.into(), name: None, level, chronic_care_score: score.into(), workload: workload.into() }
}
fn policy() -> SurplusPolicy {
    framework_2025().unwrap().params().clone()
}
fn run(p: &SurplusPolicy, total: Money, insts: &[Institution]) -> Allocation {
    allocate(p, total, insts, &[], &mut Trace::off()).unwrap()
}
fn conserved(a: &Allocation) -> bool {
    let mut sum = a.unallocated;
    for e in &a.earmarks {
        sum = sum.checked_add(e.amount).unwrap();
    }
    for i in &a.institutions {
        sum = sum.checked_add(i.total).unwrap();
    }
    sum == a.total
}

/// Rule: 医保结余留用资金分配方案（2025） 2. 分配比例
#[test]
fn s1_s3_pipeline_amounts() {
    let a = run(&policy(), y(10_000_000), &[inst("a", Level::Primary, 80, 100), inst("b", Level::Tertiary, 90, 900)]);
    assert_eq!((a.earmarks.len(), a.earmarks[0].name.as_str(), a.earmarks[0].amount), (1, "医康养结合", y(200_000)));
    assert_eq!(a.primary_pool, y(3_000_000));
    assert_eq!(a.performance_pool, y(6_800_000));
    assert_eq!(a.institutions[0].floor_share, y(3_000_000));
    assert_eq!(a.institutions[1].floor_share, Money::ZERO);
    assert!(conserved(&a));
}

#[test]
fn all_primary() {
    let a = run(&policy(), y(1_000), &[inst("a", Level::Primary, 50, 1), inst("b", Level::Primary, 50, 1)]);
    assert_eq!(a.unallocated, Money::ZERO);
    assert_eq!(a.primary_share_of_total.unwrap().to_string(), "0.9800");
    assert_eq!(a.institutions[0].total, y(490));
}

#[test]
fn none_primary_leaves_the_floor_unallocated() {
    let a = run(&policy(), y(1_000), &[inst("h", Level::Secondary, 50, 1)]);
    assert_eq!(a.unallocated, y(300));
    assert_eq!(a.institutions[0].total, y(680));
    assert_eq!(a.primary_share_of_total.unwrap().to_string(), "0.0000");
    assert!(conserved(&a));
}

#[test]
fn one_institution_takes_everything_but_earmarks() {
    let a = run(&policy(), Money::from_fen(12_345), &[inst("a", Level::Primary, 1, 0)]);
    assert_eq!(a.institutions[0].total, Money::from_fen(12_345 - 247));
    assert!(conserved(&a));
}

/// Rule: 医保结余留用资金分配方案（2025） 4. 绩效考核
#[test]
fn zero_workloads_split_by_score_alone() {
    let a = run(&policy(), y(1_000), &[inst("a", Level::Primary, 30, 0), inst("b", Level::Primary, 10, 0)]);
    assert_eq!(a.institutions[0].floor_share, y(225));
    assert_eq!(a.institutions[1].floor_share, y(75));
    assert_eq!(a.institutions[0].performance_share, y(510));
}

#[test]
fn zero_scores_split_by_workload_alone() {
    let a = run(&policy(), y(1_000), &[inst("a", Level::Primary, 0, 3), inst("b", Level::Secondary, 0, 1)]);
    assert_eq!(a.institutions[0].performance_share, y(510));
    assert_eq!(a.institutions[1].performance_share, y(170));
}

#[test]
fn all_weights_zero_is_unallocated_not_lost() {
    let a = run(&policy(), y(1_000), &[inst("a", Level::Primary, 0, 0)]);
    assert_eq!(a.unallocated, y(980));
    assert!(conserved(&a));
}

/// Found by `prop_primary_institutions_receive_at_least_the_floor` in CI:
/// with `w_c = w_w = 0` the composite weight is zero for everyone — also when
/// one of the sums is zero and its term is dropped — so both pools go to
/// `unallocated` (scenario-format §6 rules 4 and 6).
#[test]
fn zero_composite_weights_leave_both_pools_unallocated() {
    let mut p = policy();
    p.weights = Weights { chronic_care: medfund_core::Rate::percent(0), workload: medfund_core::Rate::percent(0) };
    for insts in [
        vec![inst("a", Level::Primary, 50, 1)],
        vec![inst("a", Level::Primary, 50, 0), inst("b", Level::Tertiary, 20, 0)],
        vec![inst("a", Level::Primary, 0, 7)],
    ] {
        let a = run(&p, y(1_000), &insts);
        assert_eq!(a.primary_pool, y(300));
        assert_eq!(a.unallocated, y(980), "{insts:?}");
        assert!(a.institutions.iter().all(|i| i.total.is_zero()));
        assert!(conserved(&a));
    }
    // Workload-only floor split still pays the primary pool.
    p.floor_split = FloorSplit::Workload;
    let a = run(&p, y(1_000), &[inst("a", Level::Primary, 50, 1)]);
    assert_eq!(a.institutions[0].floor_share, y(300));
    assert_eq!(a.unallocated, y(680));
}

#[test]
fn earmarks_summing_to_one_hundred_percent() {
    let mut p = policy();
    p.primary_floor = Share::ZERO;
    p.earmarks = vec![
        Earmark { name: "x".into(), rate: Share::percent(50).unwrap() },
        Earmark { name: "y".into(), rate: Share::percent(50).unwrap() },
    ];
    // 50 % of 0.01 rounds up twice: the second earmark is capped so no fen is created.
    let a = run(&p, Money::from_fen(1), &[inst("a", Level::Primary, 1, 1)]);
    assert_eq!((a.earmarks[0].amount, a.earmarks[1].amount), (Money::from_fen(1), Money::ZERO));
    assert_eq!(a.performance_pool, Money::ZERO);
    assert!(conserved(&a));
}

#[test]
fn floor_split_modes() {
    let insts = [inst("a", Level::Primary, 90, 1), inst("b", Level::Primary, 10, 3)];
    let mut p = policy();
    p.floor_split = FloorSplit::Equal;
    assert_eq!(run(&p, y(1_000), &insts).institutions[0].floor_share, y(150));
    p.floor_split = FloorSplit::Workload;
    assert_eq!(run(&p, y(1_000), &insts).institutions[0].floor_share, y(75));
}

/// Rule: 医保结余留用资金分配方案（2025） 4. 绩效考核
#[test]
fn min_score_and_primary_exclusion() {
    let mut p = policy();
    p.min_score = 60.into();
    let a = run(&p, y(1_000), &[inst("a", Level::Primary, 59, 1), inst("b", Level::Tertiary, 60, 1)]);
    assert_eq!(a.institutions[0].performance_share, Money::ZERO);
    assert_eq!(a.institutions[1].performance_share, y(680));
    p.min_score = Quantity::ZERO;
    p.performance_includes_primary = false;
    let a = run(&p, y(1_000), &[inst("a", Level::Primary, 59, 1), inst("b", Level::Tertiary, 60, 1)]);
    assert_eq!(a.institutions[0].performance_share, Money::ZERO);
}

#[test]
fn earmark_base_after_floor() {
    let mut p = policy();
    p.earmark_base = EarmarkBase::AfterPrimaryFloor;
    let a = run(&p, y(1_000), &[inst("a", Level::Primary, 1, 1)]);
    assert_eq!(a.earmarks[0].amount, y(14));
}

/// Rule: 医保结余留用资金分配方案（2025） 3. 使用范围
#[test]
fn s5_violations_are_listed_and_do_not_stop_the_allocation() {
    let spending = vec![
        Spending { institution: "a".into(), category: "equipment".into(), amount: y(100) },
        Spending { institution: "a".into(), category: "banquets".into(), amount: y(5_000) },
        Spending { institution: "b".into(), category: "training".into(), amount: y(1) },
    ];
    let insts = [inst("a", Level::Primary, 50, 1), inst("b", Level::Secondary, 50, 1)];
    // "banquets" is a use the bureau knows and forbids: declared, so a violation.
    let mut p = policy();
    p.other_categories = vec!["banquets".into()];
    let a = allocate(&p, y(1_000), &insts, &spending, &mut Trace::off()).unwrap();
    let rules: Vec<_> = a.violations.iter().map(|v| (v.institution.as_str(), v.rule)).collect();
    assert_eq!(rules, vec![("a", ViolationRule::CategoryNotAllowed), ("a", ViolationRule::OverAllocation)]);
    assert!(a.violations[0].detail.contains("banquets"));
    assert!(conserved(&a));
}

/// Rule: 医保结余留用资金分配方案（2025） 3. 使用范围 — a typo is not a use.
#[test]
fn s5_unknown_category_is_an_input_error_not_a_violation() {
    let insts = [inst("a", Level::Primary, 50, 1)];
    for typo in ["equipmnet", "banquets", ""] {
        let spending = [Spending { institution: "a".into(), category: typo.into(), amount: y(1) }];
        match allocate(&policy(), y(1_000), &insts, &spending, &mut Trace::off()) {
            Err(SurplusError::UnknownCategory { line, category, known }) => {
                assert_eq!((line, category.as_str()), (0, typo));
                assert_eq!(known, ALLOWED_CATEGORIES.map(String::from).to_vec());
            }
            other => panic!("{typo:?}: expected an unknown-category error, got {other:?}"),
        }
    }
}

/// Rule: 医保结余留用资金分配方案（2025） 3. 使用范围 — the source's own names.
#[test]
fn s5_chinese_category_names_are_aliases_of_the_six() {
    let insts = [inst("a", Level::Primary, 50, 1)];
    for (id, zh) in CATEGORY_NAMES {
        let spending = [Spending { institution: "a".into(), category: zh.into(), amount: y(1) }];
        let a = allocate(&policy(), y(1_000), &insts, &spending, &mut Trace::off()).unwrap();
        assert!(a.violations.is_empty(), "{zh} is {id}: {:?}", a.violations);
    }
    // A framework category the policy does not allow is a known use: a violation.
    let mut p = policy();
    p.allowed_categories = vec!["培训".into(), "training".into()];
    let spending = [Spending { institution: "a".into(), category: "医疗设备添置".into(), amount: y(1) }];
    let a = allocate(&p, y(1_000), &insts, &spending, &mut Trace::off()).unwrap();
    assert_eq!(a.violations.len(), 1);
    assert!(a.violations[0].detail.contains("\"equipment\""), "{}", a.violations[0].detail);
}

#[test]
fn bad_input_is_an_error() {
    let mut p = policy();
    p.primary_floor = Share::percent(99).unwrap();
    let err = allocate(&p, y(1), &[], &[], &mut Trace::off()).unwrap_err();
    assert!(matches!(err, SurplusError::OverCommitted { .. }), "{err}");
    assert!(err.to_string().contains("101%"), "{err}");
    let bad_score = [inst("a", Level::Primary, 101, 1)];
    assert!(matches!(
        allocate(&policy(), y(1), &bad_score, &[], &mut Trace::off()),
        Err(SurplusError::OutOfRange { field: "chronic_care_score", .. })
    ));
    let bad_load = [inst("a", Level::Primary, 1, -1)];
    assert!(matches!(
        allocate(&policy(), y(1), &bad_load, &[], &mut Trace::off()),
        Err(SurplusError::OutOfRange { field: "workload", .. })
    ));
    let dup = [inst("a", Level::Primary, 1, 1), inst("a", Level::Primary, 1, 1)];
    assert!(matches!(
        allocate(&policy(), y(1), &dup, &[], &mut Trace::off()),
        Err(SurplusError::DuplicateInstitution { .. })
    ));
    let unknown = [Spending { institution: "zz".into(), category: "training".into(), amount: y(1) }];
    assert!(matches!(
        allocate(&policy(), y(1), &bad_score[..0], &unknown, &mut Trace::off()),
        Err(SurplusError::UnknownInstitution { .. })
    ));
    assert!(allocate(&policy(), y(-1), &[], &[], &mut Trace::off()).is_err());
    let unknown_level =
        serde_json::from_str::<Institution>(r#"{"id":"a","level":"quaternary","chronic_care_score":1,"workload":1}"#);
    assert!(unknown_level.is_err());
}

#[test]
fn trace_cites_the_framework() {
    let mut trace = Trace::on();
    allocate(&policy(), y(1_000), &[inst("a", Level::Primary, 1, 1)], &[], &mut trace).unwrap();
    assert!(
        trace
            .steps()
            .iter()
            .any(|s| s.figure == "/surplus/primary_pool" && s.rule.article == "2. 分配比例" && s.result == "300.00")
    );
    assert!(trace.steps().iter().any(|s| s.rule.article == "4. 绩效考核"));
}
