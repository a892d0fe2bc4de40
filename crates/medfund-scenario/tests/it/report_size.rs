//! `Scenario::report_bytes_bound`: an upper bound of a report's size in
//! every form, known before the report is built (#36 item 15). Checked on
//! every example with each inline list scaled thirty-fold, so that a
//! change that makes an item's report larger fails here.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use medfund_scenario::{Lang, ScenarioFormat, parse_scenario, render_csv, render_json, render_markdown, render_table};
use serde_json::Value;

/// The examples whose lists scale on their own (in revenue-to-riskpool.toml
/// units are named by contributions rows).
const EXAMPLES: [(&str, &str); 3] = [
    ("demo", medfund_scenario::DEMO),
    ("contributions", include_str!("../../../../examples/contributions.toml")),
    ("one-stop", include_str!("../../../../examples/one-stop.toml")),
];

/// The lists of items (with their ids made unique) that a report shows
/// item by item: each one `times` over.
const LISTS: [&str; 8] = [
    "riskpool.units",
    "assistance.counties",
    "supplementary.claims",
    "surplus.institutions",
    "contributions.employees",
    "contributions.residents.headcounts",
    "contributions.late_fees.arrears",
    "supplementary.persons",
];

fn scaled(doc: &Value, times: usize) -> Value {
    let mut doc = doc.clone();
    for path in LISTS {
        let Some(list) = path.split('.').try_fold(&mut doc, |v, k| v.get_mut(k)).and_then(Value::as_array_mut) else {
            continue;
        };
        let items = list.clone();
        for copy in 1..times {
            for item in &items {
                let mut item = item.clone();
                for key in ["id", "claim_id"] {
                    if let Some(Value::String(id)) = item.get_mut(key) {
                        id.push_str(&format!("-{copy}"));
                    }
                }
                list.push(item);
            }
        }
        // An institution's spending lines come with it.
        if path == "surplus.institutions" {
            let spending = doc["surplus"]["spending"].as_array_mut().unwrap();
            let lines = spending.clone();
            for copy in 1..times {
                for line in &lines {
                    let mut line = line.clone();
                    let id = line["institution"].as_str().unwrap().to_owned();
                    line["institution"] = Value::String(format!("{id}-{copy}"));
                    spending.push(line);
                }
            }
        }
    }
    doc
}

#[test]
fn the_bound_holds_for_every_form_of_every_example_scaled() {
    for (name, text) in EXAMPLES {
        let doc: Value = serde_json::to_value(toml::from_str::<toml::Value>(text).unwrap()).unwrap();
        for times in [1, 30] {
            let json = scaled(&doc, times).to_string();
            let s = parse_scenario(&json, ScenarioFormat::Json, name).unwrap();
            for explain in [false, true] {
                let bound = s.report_bytes_bound(explain);
                let r = medfund_scenario::run_scenario(&s, name, explain).unwrap();
                let sizes = [
                    ("json", render_json(&r, false).unwrap().len()),
                    ("pretty json", render_json(&r, true).unwrap().len()),
                    ("table zh", render_table(&r, Lang::Zh).len()),
                    ("table en", render_table(&r, Lang::En).len()),
                    ("markdown", render_markdown(&r, Lang::En).len()),
                    ("csv", render_csv(&r).unwrap().len()),
                ];
                for (form, size) in sizes {
                    assert!(
                        size as u64 <= bound,
                        "{name} ×{times} explain={explain}: {form} of {size} bytes > {bound}"
                    );
                }
                if times == 30 {
                    // Not so loose that it refuses reports several times below the limit.
                    let json = sizes[0].1 as u64;
                    assert!(bound <= 4 * json + (256 << 10), "{name} ×30 explain={explain}: {bound} for {json}");
                }
            }
        }
    }
}
