//! End-to-end tests of every operation over loopback: the answers are
//! what `medfund-scenario` (and so `medfund`) gives for the same input, and
//! conform to the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use crate::common;

use common::{Server, config, demo_json, start};
use serde_json::{Value, json};

fn server() -> Server {
    start(config())
}

/// Validates `value` against the component schema `name` of the OpenAPI document.
fn conforms(name: &str, value: &Value) {
    let doc = medfund_server::openapi();
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": doc["components"],
    });
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
}

#[test]
fn run_answers_the_report_medfund_scenario_writes_byte_for_byte() {
    let s = server();
    let scenario =
        medfund_scenario::parse_scenario(medfund_scenario::DEMO, medfund_scenario::ScenarioFormat::Toml, "demo")
            .unwrap();
    for explain in [false, true] {
        let report = medfund_scenario::run_scenario(&scenario, "demo", explain).unwrap();
        let mut expected = Vec::new();
        medfund_scenario::write_json(&report, false, &mut expected).unwrap();
        let path = if explain { "/v1/run?explain=true" } else { "/v1/run" };
        let json = s.post_json(path, &demo_json());
        assert_eq!(json.status, 200, "{}", json.text());
        assert_eq!(json.header("content-type"), Some("application/json"));
        assert_eq!(json.body, expected, "JSON body, explain={explain}");
        let toml = s.call("POST", path, Some("application/toml; charset=utf-8"), medfund_scenario::DEMO.as_bytes());
        assert_eq!(toml.body, expected, "TOML body, explain={explain}");
        conforms("Report", &json.json());
    }
}

#[test]
fn run_renders_the_text_report_in_either_language() {
    let s = server();
    let scenario =
        medfund_scenario::parse_scenario(medfund_scenario::DEMO, medfund_scenario::ScenarioFormat::Toml, "demo")
            .unwrap();
    let report = medfund_scenario::run_scenario(&scenario, "demo", false).unwrap();
    let en = s.post_json("/v1/run?format=table&lang=en", &demo_json());
    assert_eq!(en.text(), medfund_scenario::render_table(&report, medfund_scenario::Lang::En));
    assert_eq!(en.header("content-type"), Some("text/plain; charset=utf-8"));
    let zh = s.post_json("/v1/run?format=markdown", &demo_json());
    assert_eq!(zh.text(), medfund_scenario::render_markdown(&report, medfund_scenario::Lang::Zh));
    let csv = s.post_json("/v1/run?format=csv", &demo_json());
    assert_eq!(csv.body, medfund_scenario::render_csv(&report).unwrap());
}

#[test]
fn check_answers_the_sections_of_a_valid_scenario() {
    let s = server();
    let a = s.post_json("/v1/check", &demo_json());
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json(), json!({"valid": true, "sections": ["riskpool", "assistance", "supplementary", "surplus"]}));
    conforms("Checked", &a.json());
}

#[test]
fn check_answers_every_error_of_every_section_with_path_line_and_column() {
    let s = server();
    // Two sections, each wrong in its own way: both errors come back.
    let body = r#"{"surplus": {"total": "100", "institutions": [{"id": "a", "level": "primary", "chronic_care_score": 80, "workload": 1}], "spending": [{"institution": "a", "category": "yachts", "amount": "1"}]},
 "supplementary": {"insured_persons": 0}}"#;
    let a = s.post_json("/v1/check", body);
    let p = a.problem(422, "invalid-input");
    let errors = p["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{p}");
    conforms("Problem", &p);
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(paths.iter().any(|p| p.starts_with("surplus")), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with("supplementary")), "{paths:?}");
    // A parse error has its line and column in the body.
    let a = s.post_json("/v1/run", "{\n  \"riskpool\": {\"year\": 2023, \"bogus\": 1}\n}");
    let p = a.problem(422, "unknown-field");
    assert_eq!(p["errors"][0]["line"], 2, "{p}");
    assert!(p["errors"][0]["column"].as_u64().is_some(), "{p}");
    assert_eq!(p["errors"][0]["file"], "request");
}

#[test]
fn text_that_is_not_json_is_a_bad_request_with_its_position() {
    let s = server();
    let p = s.post_json("/v1/run", "{\"riskpool\": ").problem(400, "syntax");
    assert_eq!(p["errors"][0]["line"], 1, "{p}");
    let p = s.call("POST", "/v1/run", Some("application/json"), &[0xff, 0xfe, b'{']).problem(400, "syntax");
    assert!(p["detail"].as_str().unwrap().contains("UTF-8"), "{p}");
}

#[test]
fn list_files_named_in_a_request_are_refused_and_never_read() {
    let s = server();
    for (section, body) in [
        ("riskpool.units_csv", json!({"riskpool": {"year": 2023, "units_csv": "/etc/passwd"}})),
        ("supplementary.claims_csv", json!({"supplementary": {"insured_persons": 1, "claims_csv": "claims.csv"}})),
        (
            "supplementary.claims_parquet",
            json!({"supplementary": {"insured_persons": 1, "claims_parquet": "/etc/claims.parquet"}}),
        ),
        ("supplementary.claims_arrow", json!({"supplementary": {"insured_persons": 1, "claims_arrow": "c.arrow"}})),
        ("riskpool.units_parquet", json!({"riskpool": {"year": 2023, "units_parquet": "/etc/u.parquet"}})),
        (
            "contributions.employees_arrow",
            json!({"contributions": {"average_wage": "1", "employees_arrow": "e.arrow"}}),
        ),
    ] {
        let p = s.post_json("/v1/run", &body.to_string()).problem(422, "limit");
        assert_eq!(p["errors"][0]["path"], section, "{p}");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains("expected the list inline"), "{p}");
        // The inline key it names is the list's own, without the file's suffix.
        let list = section.rsplit_once('_').unwrap().0;
        assert!(detail.contains(&format!("`{list}` as an array")), "{p}");
    }
}

#[test]
fn simulate_answers_the_projection_as_medfund_simulate_does() {
    let s = server();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/projection.toml")).unwrap();
    // Per-unit statistics too (§8 "Per unit"), so their schema is checked as well.
    let text = text.replace("trials = 10000", "trials = 2000\nper_unit = true");
    let scenario = medfund_scenario::parse_scenario(&text, medfund_scenario::ScenarioFormat::Toml, "p").unwrap();
    let projection = medfund_scenario::simulate_scenario(
        &scenario,
        "p",
        std::path::PathBuf::from("."),
        &medfund_scenario::Limits::default(),
        &|_| {},
    )
    .unwrap();
    let mut expected = Vec::new();
    medfund_scenario::write_projection_json(&projection, false, &mut expected).unwrap();
    let a = s.call("POST", "/v1/simulate", Some("application/toml"), text.as_bytes());
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.body, expected);
    assert_eq!(a.json()["projection"]["units"].as_array().map(Vec::len), Some(8));
    conforms("ProjectionAnswer", &a.json());
}

#[test]
fn simulate_past_the_work_limit_is_refused_before_it_starts() {
    let mut c = config();
    c.limits.projection_work = 1_000;
    let s = start(c);
    let body = json!({
        "riskpool": {"year": 2023, "units": [{"id": "a", "scheme": "employee", "revenue": "100", "expenditure": "90"}]},
        "projection": {"years": 10, "trials": 101, "seed": 1, "default": {"revenue_growth": {"mean": "3%", "sd": "1%"}, "expenditure_growth": {"mean": "4%", "sd": "1%"}}}
    });
    let p = s.post_json("/v1/simulate", &body.to_string()).problem(422, "limit");
    assert!(p["detail"].as_str().unwrap().contains("1010 unit-years"), "{p}");
    // A sweep of projections is bounded by the sum of its combinations' work.
    let sweep = json!({"scenario": {
        "riskpool": {"year": 2023, "units": [{"id": "a", "scheme": "employee", "revenue": "100", "expenditure": "90"}]},
        "projection": {"years": 10, "trials": 60, "seed": 1, "default": {"revenue_growth": {"mean": "3%", "sd": "1%"}, "expenditure_growth": {"mean": "4%", "sd": "1%"}}}},
        "set": {"projection.seed": [1, 2]}});
    let p = s.post_json("/v1/sweep", &sweep.to_string()).problem(422, "limit");
    assert!(p["detail"].as_str().unwrap().contains("first 2 of 2 combinations"), "{p}");
    // #36 (13): counted from the typed scenario: trials written as text are
    // trials (the raw JSON's `as_u64` counted them as none).
    let mut text = sweep.clone();
    text["scenario"]["projection"]["trials"] = json!("60");
    let p = s.post_json("/v1/sweep", &text.to_string()).problem(422, "limit");
    assert!(p["detail"].as_str().unwrap().contains("first 2 of 2 combinations"), "{p}");
    let mut half = sweep.clone();
    half["scenario"]["projection"]["trials"] = json!(50);
    assert_eq!(s.post_json("/v1/sweep", &half.to_string()).status, 200);
    // At the limit exactly, it runs.
    let body = json!({
        "riskpool": {"year": 2023, "units": [{"id": "a", "scheme": "employee", "revenue": "100", "expenditure": "90"}]},
        "projection": {"years": 10, "trials": 100, "seed": 1, "default": {"revenue_growth": {"mean": "3%", "sd": "1%"}, "expenditure_growth": {"mean": "4%", "sd": "1%"}}}
    });
    assert_eq!(s.post_json("/v1/simulate", &body.to_string()).status, 200);
}

#[test]
fn compare_names_each_scenario_and_finds_the_differences() {
    let s = server();
    let base: Value = serde_json::from_str(&demo_json()).unwrap();
    let mut variant = base.clone();
    variant["riskpool"]["policy"] = json!({"levy_rate": "12%"});
    let a = s.post_json("/v1/compare", &json!({"base": base, "variant": variant}).to_string());
    assert_eq!(a.status, 200, "{}", a.text());
    let c = a.json();
    conforms("CompareAnswer", &c);
    assert_eq!(c["compare"]["base"], "base");
    let levy = c["compare"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "riskpool.schemes.employee.levy")
        .expect("the levy differs");
    assert_eq!(levy["base"], "26830000.00");
    assert_eq!(levy["variant"], "32196000.00");
    // An error inside one scenario names it.
    let mut broken = base.clone();
    broken["riskpool"]["year"] = json!(20);
    let p =
        s.post_json("/v1/compare", &json!({"base": base, "variant": broken}).to_string()).problem(422, "invalid-value");
    assert_eq!(p["errors"][0]["path"], "variant.riskpool.year", "{p}");
    let p = s.post_json("/v1/compare", &json!({"base": base}).to_string()).problem(422, "missing-field");
    assert_eq!(p["errors"][0]["path"], "variant", "{p}");
    let p = s
        .post_json("/v1/compare", &json!({"base": base, "variant": base, "extra": 1}).to_string())
        .problem(422, "unknown-field");
    assert_eq!(p["errors"][0]["path"], "extra", "{p}");
}

/// #36 (17): a variant with two `total` members was compared as its second.
#[test]
fn compare_and_sweep_refuse_a_key_given_twice() {
    let s = server();
    let twice = r#"{"surplus": {"total": "100万", "total": "1.00", "institutions": [{"id": "a", "level": "primary", "chronic_care_score": 80, "workload": 100}]}}"#;
    let once = twice.replace(r#""total": "100万", "#, "");
    for (path, body) in [
        ("/v1/compare", format!(r#"{{"base": {once}, "variant": {twice}}}"#)),
        ("/v1/compare/chart", format!(r#"{{"base": {once}, "variant": {once}, "base": {once}}}"#)),
        ("/v1/sweep", format!(r#"{{"scenario": {twice}, "set": {{"surplus.total": ["1", "2"]}}}}"#)),
    ] {
        let p = s.post_json(path, &body).problem(400, "syntax");
        assert!(p["detail"].as_str().unwrap().contains("appears twice in one object"), "{path}: {p}");
    }
}

/// The rows the library gives for sweeping `scenario` over `settings`, as JSON.
fn library_rows(scenario: &Value, settings: &[medfund_scenario::Setting]) -> Vec<Value> {
    let mut rows = Vec::new();
    medfund_scenario::sweep_value_each(
        scenario.clone(),
        "request",
        std::path::PathBuf::from("."),
        settings,
        &medfund_server::Config::default().limits,
        &|_, _| {},
        &mut |r| {
            rows.push(serde_json::to_value(r).unwrap());
            Ok(())
        },
    )
    .unwrap();
    rows
}

#[test]
fn sweep_runs_every_combination_in_cartesian_order() {
    let s = server();
    let scenario: Value = serde_json::from_str(&demo_json()).unwrap();
    let body = json!({"scenario": scenario, "set": {"riskpool.policy.levy_rate": ["8%", "10%"], "riskpool.policy.cap_multiple": [1, "1.5"]}});
    let a = s.post_json("/v1/sweep", &body.to_string());
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    conforms("SweepAnswer", &v);
    let rows = v["sweep"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1]["values"], json!({"riskpool.policy.levy_rate": "8%", "riskpool.policy.cap_multiple": "1.5"}));
    assert_eq!(rows[2]["figures"]["riskpool.employee.levy"], "26830000.00");
    // The same rows as the library gives for the same settings.
    let settings = vec![
        medfund_scenario::Setting::new("riskpool.policy.levy_rate", vec![json!("8%"), json!("10%")]),
        medfund_scenario::Setting::new("riskpool.policy.cap_multiple", vec![json!(1), json!("1.5")]),
    ];
    assert_eq!(rows, &library_rows(&scenario, &settings));
    for bad in [json!({}), json!({"x": []}), json!({"x": [[1]]}), json!([1])] {
        let p = s
            .post_json("/v1/sweep", &json!({"scenario": scenario, "set": bad}).to_string())
            .problem(422, "invalid-value");
        assert_eq!(p["errors"][0]["path"], "set", "{p}");
    }
    let mut c = config();
    c.limits.sweep_combinations = 3;
    let small = start(c);
    small.post_json("/v1/sweep", &body.to_string()).problem(422, "limit");
}

/// Rule: scenario contract §9, linked settings (`--link` of `medfund sweep`).
#[test]
fn sweep_links_settings_that_vary_together() {
    let s = server();
    let scenario: Value = serde_json::from_str(&demo_json()).unwrap();
    let set = json!({"riskpool.policy.levy_rate": ["8%", "10%"], "riskpool.policy.cap_multiple": [1, "1.5"]});
    let link = json!([["riskpool.policy.levy_rate", "riskpool.policy.cap_multiple"]]);
    let a = s.post_json("/v1/sweep", &json!({"scenario": scenario, "set": set, "link": link}).to_string());
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    conforms("SweepAnswer", &v);
    let rows = v["sweep"]["rows"].as_array().unwrap();
    // Two rows (8 % with 1, 10 % with 1.5), not four; the same as the library's.
    let values: Vec<&Value> = rows.iter().map(|r| &r["values"]).collect();
    assert_eq!(
        values,
        [
            &json!({"riskpool.policy.levy_rate": "8%", "riskpool.policy.cap_multiple": 1}),
            &json!({"riskpool.policy.levy_rate": "10%", "riskpool.policy.cap_multiple": "1.5"})
        ]
    );
    let mut settings = vec![
        medfund_scenario::Setting::new("riskpool.policy.levy_rate", vec![json!("8%"), json!("10%")]),
        medfund_scenario::Setting::new("riskpool.policy.cap_multiple", vec![json!(1), json!("1.5")]),
    ];
    medfund_scenario::link_settings(
        &mut settings,
        &[vec!["riskpool.policy.levy_rate".to_owned(), "riskpool.policy.cap_multiple".to_owned()]],
    )
    .unwrap();
    assert_eq!(rows, &library_rows(&scenario, &settings));
    for (link, code, expected) in [
        (json!("riskpool.policy.levy_rate"), "invalid-value", "expected a list of lists of field paths"),
        (json!([["riskpool.policy.levy_rate", 3]]), "invalid-value", "expected a list of lists of field paths"),
        (json!([["riskpool.policy.levy_rate"]]), "invalid-input", "one path"),
        (
            json!([["riskpool.policy.levy_rate", "riskpool.policy.x"]]),
            "invalid-input",
            "riskpool.policy.x is not swept",
        ),
    ] {
        let body = json!({"scenario": scenario, "set": set, "link": link});
        let p = s.post_json("/v1/sweep", &body.to_string()).problem(422, code);
        assert!(p["errors"][0]["message"].as_str().unwrap().contains(expected), "{p}");
    }
    let uneven = json!({"riskpool.policy.levy_rate": ["8%", "10%"], "riskpool.policy.cap_multiple": [1]});
    let body = json!({"scenario": scenario, "set": uneven, "link": link});
    let p = s.post_json("/v1/sweep", &body.to_string()).problem(422, "invalid-input");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("as many values for every linked path"), "{p}");
}

#[test]
fn policies_health_version_and_the_document_answer() {
    let s = server();
    let a = s.get("/v1/policies");
    assert_eq!(a.status, 200);
    conforms("Policies", &a.json());
    let mut expected = serde_json::to_vec(&medfund_scenario::policies().unwrap()).unwrap();
    expected.push(b'\n');
    assert_eq!(a.body, expected);
    assert_eq!(s.get("/v1/health").json(), json!({"status": "ok"}));
    let v = s.get("/v1/version").json();
    assert_eq!(v["report_format"], "medfund-report/1");
    conforms("Version", &v);
    assert_eq!(s.get("/openapi.json").json(), medfund_server::openapi());
}

#[test]
fn unknown_paths_methods_parameters_and_media_types_are_problems() {
    let s = server();
    s.get("/v2/run").problem(404, "not-found");
    let a = s.get("/v1/run");
    a.problem(405, "method-not-allowed");
    assert_eq!(a.header("allow"), Some("POST"));
    s.get("/v1/health?verbose=1").problem(400, "invalid-parameter");
    s.post_json("/v1/run?explain=yes", &demo_json()).problem(400, "invalid-parameter");
    s.post_json("/v1/run?explain=true&explain=false", &demo_json()).problem(400, "invalid-parameter");
    s.post_json("/v1/run?format=pdf", &demo_json()).problem(400, "invalid-parameter");
    s.call("POST", "/v1/run", Some("text/plain"), demo_json().as_bytes()).problem(415, "unsupported-media-type");
    s.call("POST", "/v1/run", None, demo_json().as_bytes()).problem(415, "unsupported-media-type");
    s.call("POST", "/v1/compare", Some("application/toml"), b"").problem(415, "unsupported-media-type");
}

#[test]
fn every_answer_carries_a_request_id_and_keeps_a_clients_own() {
    let s = server();
    let a = s.get("/v1/health");
    assert!(a.header("x-request-id").is_some_and(|id| id.starts_with("mf-")));
    let raw = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: vendor-42\r\n\r\n";
    let mut stream = std::net::TcpStream::connect(s.addr).unwrap();
    std::io::Write::write_all(&mut stream, raw).unwrap();
    assert_eq!(common::read_answer(&mut stream).header("x-request-id"), Some("vendor-42"));
}

#[test]
fn run_answers_the_extensions_as_medfund_does_and_they_conform() {
    // §5.2 the one-stop settlement, §10 and §10.6 the revenue side linked into the fund.
    let s = server();
    for (name, text) in [
        ("one-stop", include_str!("../../../../examples/one-stop.toml")),
        ("revenue-to-riskpool", include_str!("../../../../examples/revenue-to-riskpool.toml")),
        ("contributions", include_str!("../../../../examples/contributions.toml")),
    ] {
        let scenario = medfund_scenario::parse_scenario(text, medfund_scenario::ScenarioFormat::Toml, name).unwrap();
        let report = medfund_scenario::run_scenario(&scenario, name, true).unwrap();
        let mut expected = Vec::new();
        medfund_scenario::write_json(&report, false, &mut expected).unwrap();
        let answer = s.call("POST", "/v1/run?explain=true", Some("application/toml"), text.as_bytes());
        assert_eq!(answer.status, 200, "{name}: {}", answer.text());
        assert_eq!(answer.body, expected, "{name}");
        conforms("Report", &answer.json());
    }
}
