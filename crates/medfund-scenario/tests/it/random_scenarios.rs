//! Random valid scenarios through the real parser and engine, checked against
//! an independent reading of the contract (§3, §5, §6) written here in plain
//! integer arithmetic.
#![allow(
    clippy::float_arithmetic,
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
use std::fmt::Write as _;

use medfund_scenario::{ScenarioFormat, parse_scenario, render_json, run_scenario};
use proptest::prelude::*;
use serde_json::Value;

fn fen(v: &Value) -> i64 {
    let s = v.as_str().unwrap();
    let neg = s.starts_with('-');
    let (i, f) = s.trim_start_matches('-').split_once('.').unwrap();
    let m = i.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap();
    if neg { -m } else { m }
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Half away from zero, for non-negative numerators.
fn round_div(n: i128, d: i128) -> i128 {
    (2 * n + d) / (2 * d)
}

/// Largest remainder, ties to the earlier entry.
fn largest_remainder(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|&w| i128::from(w)).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<i64> = weights.iter().map(|&w| (i128::from(amount) * i128::from(w) / total) as i64).collect();
    let rems: Vec<i128> = weights.iter().map(|&w| i128::from(amount) * i128::from(w) % total).collect();
    let left = amount - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| rems[b].cmp(&rems[a]).then(a.cmp(&b)));
    for &i in order.iter().take(left as usize) {
        shares[i] += 1;
    }
    shares
}

#[derive(Debug, Clone)]
struct RUnit {
    id: String,
    employee: bool,
    revenue: i64,
    expenditure: i64,
    surplus: i64,
    share: Option<u8>,
}

fn riskpool_units() -> impl Strategy<Value = Vec<RUnit>> {
    prop::collection::vec(
        (
            0_u8..5,
            any::<bool>(),
            0_i64..5_000_000_000,
            0_i64..6_000_000_000,
            0_i64..300_000_000,
            prop::option::of(0_u8..=100),
        ),
        0..9,
    )
    .prop_map(|v| {
        let mut seen = std::collections::HashSet::new();
        v.into_iter()
            .filter(|(id, emp, ..)| seen.insert((*id, *emp)))
            .map(|(id, employee, revenue, expenditure, surplus, share)| RUnit {
                id: format!("u{id}"),
                employee,
                revenue,
                expenditure,
                surplus,
                share,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn prop_riskpool_report_follows_the_contract(
        units in riskpool_units(), emp_open in 0_i64..3_000_000_000, res_open in prop::option::of(0_i64..3_000_000_000),
        levy_pct in 0_u8..=30, cap_pct in 0_u16..=200, in_order in any::<bool>(), default_share in prop::option::of(0_u8..=100),
    ) {
        let mut t = String::new();
        writeln!(t, "[riskpool]\nyear = 2022\n[riskpool.policy]\nlevy_rate = \"{levy_pct}%\"\ncap_multiple = \"{cap_pct}%\"\nrationing = \"{}\"", if in_order { "in-order" } else { "pro-rata" }).unwrap();
        if let Some(s) = default_share { writeln!(t, "default_league_fiscal_share = \"{s}%\"").unwrap(); }
        writeln!(t, "[riskpool.employee]\nopening_balance = \"{}\"", yuan(emp_open)).unwrap();
        if let Some(o) = res_open { writeln!(t, "[riskpool.resident]\nopening_balance = {}", yuan(o)).unwrap(); }
        for u in &units {
            writeln!(t, "[[riskpool.units]]\nid = \"{}\"\nscheme = \"{}\"\nrevenue = \"{}\"\nexpenditure = {}\nrolling_surplus = \"{}\"", u.id, if u.employee { "employee" } else { "resident" }, yuan(u.revenue), yuan(u.expenditure), yuan(u.surplus)).unwrap();
            if let Some(s) = u.share { writeln!(t, "league_fiscal_share = {}", f64::from(s) / 100.0).unwrap(); }
        }
        let scenario = parse_scenario(&t, ScenarioFormat::Toml, "r.toml").unwrap();
        let report: Value = serde_json::from_str(&render_json(&run_scenario(&scenario, "r.toml", false).unwrap(), false).unwrap()).unwrap();
        let schemes = report["riskpool"]["schemes"].as_object().unwrap();
        prop_assert!(schemes.contains_key("employee"));
        prop_assert_eq!(schemes.contains_key("resident"), res_open.is_some() || units.iter().any(|u| !u.employee));
        for (key, opening) in [("employee", emp_open), ("resident", res_open.unwrap_or(0))] {
            let Some(s) = schemes.get(key) else { continue };
            let members: Vec<&RUnit> = units.iter().filter(|u| u.employee == (key == "employee")).collect();
            let base: i64 = members.iter().map(|u| u.revenue).sum();
            let cap = round_div(i128::from(base) * i128::from(cap_pct), 100) as i64;
            let levy = (round_div(i128::from(base) * i128::from(levy_pct), 100) as i64).min((cap - opening).max(0));
            prop_assert_eq!(fen(&s["revenue_base"]), base);
            prop_assert_eq!(fen(&s["cap"]), cap);
            prop_assert_eq!(fen(&s["levy"]), levy);
            let charges = largest_remainder(levy, &members.iter().map(|u| u.revenue).collect::<Vec<_>>());
            let mut remaining = Vec::new();
            for (k, u) in members.iter().enumerate() {
                let r = &s["units"][k];
                prop_assert_eq!(r["id"].as_str().unwrap(), u.id.as_str());
                prop_assert_eq!(fen(&r["levy_charge"]), charges[k]);
                let result = u.revenue - charges[k] - u.expenditure;
                prop_assert_eq!(fen(&r["result"]), result);
                let gap = (-result).max(0);
                let own = gap.min(u.surplus);
                prop_assert_eq!(fen(&r["from_own_surplus"]), own);
                prop_assert_eq!(fen(&r["closing_rolling_surplus"]), u.surplus - own + result.max(0));
                remaining.push(gap - own);
            }
            let fund = opening + levy;
            let need: i64 = remaining.iter().sum();
            let from_fund: Vec<i64> = if need <= fund {
                remaining.clone()
            } else if in_order {
                let mut left = fund;
                remaining.iter().map(|&r| { let x = r.min(left); left -= x; x }).collect()
            } else {
                largest_remainder(fund, &remaining)
            };
            for (k, u) in members.iter().enumerate() {
                let r = &s["units"][k];
                prop_assert_eq!(fen(&r["from_risk_fund"]), from_fund[k]);
                let unresolved = remaining[k] - from_fund[k];
                prop_assert_eq!(fen(&r["unresolved"]), unresolved);
                match u.share.or(default_share) {
                    Some(p) => {
                        let league = round_div(i128::from(unresolved) * i128::from(p), 100) as i64;
                        prop_assert_eq!(fen(&r["fiscal_subsidy_league"]), league);
                        prop_assert_eq!(fen(&r["fiscal_subsidy_unit"]), unresolved - league);
                    }
                    None => prop_assert!(r["fiscal_subsidy_league"].is_null() && r["fiscal_subsidy_unit"].is_null()),
                }
            }
            let draws: i64 = from_fund.iter().sum();
            prop_assert_eq!(fen(&s["draws"]), draws);
            prop_assert_eq!(fen(&s["closing_balance"]), fund - draws);
            prop_assert_eq!(s["actuarial_review"].as_bool().unwrap(), remaining.iter().zip(&from_fund).any(|(r, f)| r > f));
        }
    }

    #[test]
    fn prop_supplementary_report_follows_the_contract(
        claims in prop::collection::vec((0_u8..6, 0_i64..800, 0_i64..9_000_000), 0..40), persons in 1_u64..10_000_000,
    ) {
        let base = chrono::NaiveDate::from_ymd_opt(2022, 9, 1).unwrap();
        let dated: Vec<(String, chrono::NaiveDate, i64)> = claims.iter().map(|&(p, d, c)| (format!("p{p}"), base + chrono::Days::new(d as u64), c)).collect();
        let mut t = format!("[supplementary]\ninsured_persons = {persons}\n");
        for (p, d, c) in &dated {
            writeln!(t, "[[supplementary.claims]]\nperson = \"{p}\"\ndate = \"{d}\"\neligible_cost = \"{}\"", yuan(*c)).unwrap();
        }
        let scenario = parse_scenario(&t, ScenarioFormat::Toml, "s.toml").unwrap();
        let report: Value = serde_json::from_str(&render_json(&run_scenario(&scenario, "s.toml", false).unwrap(), false).unwrap()).unwrap();
        // Reference: per person and medical year (July 1), in date order then input order.
        let year_of = |d: chrono::NaiveDate| { use chrono::Datelike; if d.month() >= 7 { d.year() } else { d.year() - 1 } };
        let mut order: Vec<usize> = (0..dated.len()).collect();
        order.sort_by_key(|&i| (dated[i].1, i));
        let mut state: BTreeMap<(String, i32), (i64, i64)> = BTreeMap::new();
        let mut want = vec![(0, 0, 0, 0); dated.len()];
        for i in order {
            let (p, d, cost) = &dated[i];
            let y = year_of(*d);
            let (total, paid) = state.entry((p.clone(), y)).or_insert((0, 0));
            let fund = (5_300_000 - *total).clamp(0, *cost);
            let above = cost - fund;
            let insurer = (round_div(i128::from(above) * 9, 10) as i64).min(15_000_000 - *paid);
            *total += cost;
            *paid += insurer;
            want[i] = (y, fund, insurer, cost - fund - insurer);
        }
        let got = report["supplementary"]["claims"].as_array().unwrap();
        prop_assert_eq!(got.len(), dated.len());
        let mut paid_by_year: BTreeMap<i32, i64> = BTreeMap::new();
        for (g, w) in got.iter().zip(&want) {
            prop_assert_eq!((g["medical_year"].as_i64().unwrap() as i32, fen(&g["fund"]), fen(&g["insurer"]), fen(&g["person_pays"])), *w);
            *paid_by_year.entry(w.0).or_default() += w.2;
        }
        let years = report["supplementary"]["years"].as_array().unwrap();
        prop_assert_eq!(years.len(), paid_by_year.len());
        for (y, (year, paid)) in years.iter().zip(paid_by_year) {
            prop_assert_eq!(y["medical_year"].as_i64().unwrap() as i32, year);
            prop_assert_eq!(fen(&y["premiums"]), 5_280 * persons as i64);
            prop_assert_eq!(fen(&y["claims_paid"]), paid);
            prop_assert_eq!(fen(&y["insurer_result"]), 5_280 * persons as i64 - paid);
        }
    }

    #[test]
    fn prop_surplus_report_conserves_the_total(
        total in 0_i64..100_000_000_000, insts in prop::collection::vec((0_u8..3, 0_u8..=100, 0_u32..100_000), 0..15),
    ) {
        let mut t = format!("[surplus]\ntotal = \"{}\"\n", yuan(total));
        for (i, (level, score, load)) in insts.iter().enumerate() {
            writeln!(t, "[[surplus.institutions]]\nid = \"i{i}\"\nlevel = \"{}\"\nchronic_care_score = {score}\nworkload = {load}", ["primary", "secondary", "tertiary"][*level as usize]).unwrap();
        }
        let scenario = parse_scenario(&t, ScenarioFormat::Toml, "p.toml").unwrap();
        let report: Value = serde_json::from_str(&render_json(&run_scenario(&scenario, "p.toml", false).unwrap(), false).unwrap()).unwrap();
        let s = &report["surplus"];
        let earmarks: i64 = s["earmarks"].as_array().unwrap().iter().map(|e| fen(&e["amount"])).sum();
        prop_assert_eq!(earmarks, round_div(i128::from(total) * 2, 100) as i64);
        prop_assert_eq!(fen(&s["primary_pool"]), round_div(i128::from(total) * 30, 100) as i64);
        let totals: i64 = s["institutions"].as_array().unwrap().iter().map(|i| fen(&i["total"])).sum();
        prop_assert_eq!(earmarks + totals + fen(&s["unallocated"]), total);
        prop_assert_eq!(fen(&s["performance_pool"]), total - earmarks - fen(&s["primary_pool"]));
    }
}
