//! #36 (14, 16): slow, idle and non-reading clients hold nothing for long,
//! uploads wait for room before they are read, and a client that sends its
//! whole body before reading reads the refusal, not a broken pipe.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::{self, config, demo_json, read_answer, start};

/// `GET /v1/health` on a fresh connection, answered within `within`.
fn health_within(addr: std::net::SocketAddr, within: Duration) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(within)).unwrap();
    stream.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("no answer within the time");
    common::parse_answer(&raw).status
}

/// Whether the server closed `stream` (or reset it) within `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0_u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// 1,030 half-sent requests used to stay open forever and stop `/v1/health`.
#[test]
fn half_sent_requests_are_closed_after_the_header_timeout_and_others_are_served() {
    let mut c = config();
    c.max_connections = 8;
    c.header_timeout = Duration::from_secs(1);
    let s = start(c);
    let mut slow: Vec<TcpStream> = (0..16)
        .map(|_| {
            let mut t = TcpStream::connect(s.addr).unwrap();
            t.write_all(b"POST /v1/run HTTP/1.1\r\nHost: x\r\n").unwrap();
            t
        })
        .collect();
    let started = Instant::now();
    assert_eq!(health_within(s.addr, Duration::from_secs(20)), 200);
    assert!(started.elapsed() < Duration::from_secs(10), "health waited {:?}", started.elapsed());
    assert!(closed_within(&mut slow[0], Duration::from_secs(10)), "a half-sent request is still open");
}

/// An idle keep-alive connection closes after the header timeout, and
/// does not hold up a graceful stop.
#[test]
fn idle_connections_close_and_do_not_delay_a_graceful_stop() {
    let mut c = config();
    c.header_timeout = Duration::from_secs(1);
    let s = start(c);
    let mut idle = TcpStream::connect(s.addr).unwrap();
    idle.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(10)), "an idle keep-alive connection is still open");

    let mut c = config();
    c.header_timeout = Duration::from_secs(600);
    let s = start(c);
    let _idle: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(s.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    s.stop().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "the stop waited {:?}", started.elapsed());
}

/// Ten clients that did not read their answers held 1.4 GB; a client that
/// reads nothing is disconnected after the write timeout.
#[test]
fn an_answer_the_client_does_not_read_is_dropped_after_the_write_timeout() {
    let mut c = config();
    c.max_connections = 1;
    c.write_timeout = Duration::from_secs(1);
    let s = start(c);
    // An answer larger than the sockets' buffers: trial paths as CSV.
    let body = serde_json::json!({
        "riskpool": {"year": 2023, "units": [{"id": "u", "scheme": "employee", "revenue": "1000000", "expenditure": "990000"}]},
        "projection": {"years": 20, "trials": 20_000, "seed": 1, "default": {
            "revenue_growth": {"mean": "3%", "sd": "2%"}, "expenditure_growth": {"mean": "4%", "sd": "2%"}}}
    })
    .to_string();
    let mut stuck = TcpStream::connect(s.addr).unwrap();
    stuck
        .write_all(&common::request_bytes(
            "POST",
            "/v1/simulate/paths?format=csv",
            Some("application/json"),
            body.as_bytes(),
        ))
        .unwrap();
    // The only connection slot is the stuck client's until its answer stalls.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(health_within(s.addr, Duration::from_secs(60)), 200);
    let mut received = Vec::new();
    stuck.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stuck.read_to_end(&mut received);
    let answer = String::from_utf8_lossy(&received);
    assert!(answer.starts_with("HTTP/1.1 200"), "{}", &answer[..answer.len().min(200)]);
    assert!(received.len() > 1 << 20, "the answer must outgrow the buffers to test anything: {}", received.len());
    let declared: usize = answer
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap()))
        .unwrap_or(usize::MAX);
    assert!(received.len() < declared, "the whole answer was kept for a client that read nothing");
}

/// 24 uploads of 60 MiB peaked at 2.3 GB: a body waits for room before it is read.
#[test]
fn a_body_is_admitted_before_it_is_read() {
    let mut c = config();
    c.max_body = 1 << 20;
    c.body_memory = Some(1 << 20);
    c.queue = 0;
    let s = start(c);
    // A body of 1 MiB declared and half sent holds all the room.
    let mut holding = TcpStream::connect(s.addr).unwrap();
    let head = format!(
        "POST /v1/run HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        1 << 20
    );
    holding.write_all(head.as_bytes()).unwrap();
    holding.write_all(&vec![b' '; 1 << 19]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // With no queue, another body is refused before a byte of it is read.
    let refused = s.post_json("/v1/run", &demo_json());
    let p = refused.problem(503, "overloaded");
    assert!(p["detail"].as_str().unwrap().contains("requests are waiting"), "{p}");
    // Once the first is done, room is free again.
    holding.write_all(&vec![b' '; 1 << 19]).unwrap();
    assert_eq!(read_answer(&mut holding).status, 400, "a body of spaces is not a scenario");
    assert_eq!(s.post_json("/v1/run", &demo_json()).status, 200);
}

/// A client that sends the whole body before reading (Python's urllib,
/// Java's HttpURLConnection) got a broken pipe instead of the 413.
#[test]
fn a_body_refused_early_is_read_and_discarded_so_the_client_reads_the_refusal() {
    let mut c = config();
    c.max_body = 1 << 20;
    let s = start(c);
    let body = vec![b' '; 8 << 20];
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    let request = common::request_bytes("POST", "/v1/run", Some("application/json"), &body);
    stream.write_all(&request).expect("the body was not taken: the client sees a broken pipe");
    read_answer(&mut stream).problem(413, "body-too-large");
    // The same for a refusal of its media type.
    let mut stream = TcpStream::connect(s.addr).unwrap();
    let request = common::request_bytes("POST", "/v1/run", Some("text/plain"), &body);
    stream.write_all(&request).expect("the body was not taken: the client sees a broken pipe");
    read_answer(&mut stream).problem(415, "unsupported-media-type");
}
