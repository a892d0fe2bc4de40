//! Every rule the crates cite is cited where a figure is computed (a trace
//! step of the demo, or of the remittance check the scenario does not run)
//! and named by a test of its crate, spelled one way: `document article`.
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use medfund_core::{Citation, NaiveDate, Trace};
use medfund_scenario::{DEMO, ScenarioFormat, parse_scenario, render_json, run_scenario};

fn all() -> Vec<(&'static str, &'static Citation)> {
    let of = |name, list: &'static [Citation]| list.iter().map(move |c| (name, c));
    of("medfund-riskpool", medfund_riskpool::CITATIONS)
        .chain(of("medfund-insurer", medfund_insurer::CITATIONS))
        .chain(of("medfund-surplus", medfund_surplus::CITATIONS))
        .chain(of("medfund-contrib", medfund_contrib::CITATIONS))
        .collect()
}

#[test]
fn every_citation_is_cited_by_a_trace_step() {
    let scenario = parse_scenario(DEMO, ScenarioFormat::Toml, "demo").unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&render_json(&run_scenario(&scenario, "demo", true).unwrap(), false).unwrap()).unwrap();
    let mut cited: BTreeSet<String> = report["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s["rule"]["document"].as_str().unwrap(), s["rule"]["article"].as_str().unwrap()))
        .collect();
    let mut trace = Trace::on();
    let collection = medfund_riskpool::Collection { unit: "u".into(), year: 2023, month: 1, remitted_on: None };
    medfund_riskpool::check_remittances(&[collection], NaiveDate::from_ymd_opt(2023, 3, 1).unwrap(), &mut trace)
        .unwrap();
    // §10 and §5.2 through their examples; the library calls the scenario does not make, directly, below.
    for text in
        [include_str!("../../../../examples/contributions.toml"), include_str!("../../../../examples/one-stop.toml")]
    {
        let example = parse_scenario(text, ScenarioFormat::Toml, "c").unwrap();
        let report: serde_json::Value =
            serde_json::from_str(&render_json(&run_scenario(&example, "c", true).unwrap(), false).unwrap()).unwrap();
        cited.extend(report["trace"].as_array().unwrap().iter().map(|s| {
            format!("{} {}", s["rule"]["document"].as_str().unwrap(), s["rule"]["article"].as_str().unwrap())
        }));
    }
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    medfund_contrib::schedule(d("2024-01-01"), 3, 3, medfund_contrib::Frequency::Monthly, 10, &mut trace).unwrap();
    let qingdao = medfund_contrib::qingdao_2012().unwrap();
    let heads = [medfund_contrib::Headcount { category: "other-non-working".into(), persons: 1 }];
    medfund_contrib::finance_residents(&qingdao, &heads, &mut trace).unwrap();
    let claim =
        medfund_contrib::MemberClaim { person: "p".into(), date: d("2024-01-01"), pool_share: "1".parse().unwrap() };
    medfund_contrib::settle_suspended(&medfund_contrib::SuspensionPolicy::default(), &[], &[claim], &mut trace)
        .unwrap();
    let xiamen = medfund_contrib::XiamenContributionPolicy::xiamen_2007();
    let member = medfund_contrib::XiamenMember {
        id: "m".into(),
        category: medfund_contrib::XiamenCategory::LocalEmployee,
        on_unemployment_benefit: false,
        first_enrolled: d("2007-01-01"),
        last_break: None,
    };
    medfund_contrib::xiamen_contributions(&xiamen, "1".parse().unwrap(), &[member], &mut trace).unwrap();
    let retirement = medfund_contrib::Retirement {
        id: "r".into(),
        sex: medfund_contrib::Sex::Male,
        retired_on: d("2007-01-01"),
        contribution_months: 0,
    };
    medfund_contrib::missing_years(&xiamen, "1".parse().unwrap(), &[retirement], &mut trace).unwrap();
    // The template's late fee (before 2011-07-01).
    let arrear =
        medfund_contrib::Arrear { amount: "1".parse().unwrap(), due: d("2010-01-10"), paid_on: Some(d("2010-01-20")) };
    let history = medfund_contrib::late_fee_history().unwrap();
    medfund_contrib::late_fees(
        &history,
        &[arrear],
        d("2010-02-01"),
        Default::default(),
        Default::default(),
        &mut trace,
    )
    .unwrap();
    cited.extend(trace.steps().iter().map(|s| s.rule.to_string()));
    let missing: Vec<String> = all().iter().map(|(_, c)| c.to_string()).filter(|c| !cited.contains(c)).collect();
    assert!(missing.is_empty(), "cited by no trace step: {missing:?}");
}

#[test]
fn every_citation_is_named_by_a_test_of_its_crate() {
    for (krate, citation) in all() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(krate).join("tests").join("it");
        let named = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
            .any(|text| text.contains(&citation.to_string()));
        assert!(named, "no test of {krate} names {citation} (write `/// Rule: {citation}` on the test of that rule)");
    }
}
