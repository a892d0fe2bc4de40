//! #36 (13): work whose request timed out is cancelled (its worker freed
//! at once), and a unit correlation matrix larger than the service takes is
//! refused before it is decomposed.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{config, demo_json, heavy, start};

/// Two long sweeps held both cores for minutes after their 503: the one
/// worker is free again as soon as the request times out.
#[test]
fn a_computation_whose_request_timed_out_stops_and_frees_its_worker() {
    let mut c = config();
    c.workers = 1;
    c.request_timeout = Duration::from_millis(500);
    let s = start(c);
    let started = Instant::now();
    s.post_json("/v1/simulate", &heavy(40_000)).problem(503, "timeout");
    // 100 combinations of 200 trials: each short, together long.
    let sweep = json!({"scenario": serde_json::from_str::<serde_json::Value>(&heavy(200)).unwrap(),
        "set": {"projection.seed": (1..101).collect::<Vec<u32>>()}});
    s.post_json("/v1/sweep", &sweep.to_string()).problem(503, "timeout");
    // Were the computations still running, the demo would wait for the worker past its own limit.
    let answered = (0..40).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        s.post_json("/v1/run", &demo_json()).status == 200
    });
    assert!(answered, "the worker was not freed");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

#[test]
fn a_unit_correlation_over_more_units_than_the_service_takes_is_422() {
    let n = 501;
    let units: Vec<_> = (0..n)
        .map(|i| json!({"id": format!("u{i}"), "scheme": "employee", "revenue": "1000", "expenditure": "900"}))
        .collect();
    let names: Vec<String> = (0..n).map(|i| format!("employee/u{i}")).collect();
    let matrix: Vec<Vec<&str>> = (0..n).map(|i| (0..n).map(|j| if i == j { "1" } else { "0" }).collect()).collect();
    let body = json!({
        "riskpool": {"year": 2023, "units": units},
        "projection": {"years": 2, "trials": 10, "seed": 1,
            "default": {"revenue_growth": {"mean": "3%", "sd": "2%"}, "expenditure_growth": {"mean": "4%", "sd": "2%"}},
            "shocks": {"unit_correlation": {"units": names, "matrix": matrix}}}
    })
    .to_string();
    let s = start(config());
    for path in ["/v1/check", "/v1/simulate"] {
        let p = s.post_json(path, &body).problem(422, "limit");
        assert!(p["detail"].as_str().unwrap().contains("more than the limit of 500 correlated units"), "{p}");
    }
}

/// #36 (15): `?explain=true` on a 61 MiB body answered 988 MB (a 3.1 GB
/// peak). A report that could pass `max_answer` is refused before it is built.
#[test]
fn a_report_that_could_pass_the_answer_limit_is_422_before_it_is_computed() {
    let mut c = config();
    c.max_answer = 300 << 10;
    let s = start(c);
    let p = s.post_json("/v1/run?explain=true", &demo_json()).problem(422, "limit");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("more than the limit of 307200 bytes for an answer; expected explain=false"), "{detail}");
    let plain = s.post_json("/v1/run", &demo_json());
    assert_eq!(plain.status, 200);
    assert!(plain.body.len() < 300 << 10);
}
