//! Hostile and broken clients: oversized, slow, cut-off and malformed
//! bodies, and more work than the service takes at once. Every answer is
//! a 4xx or a 503, never a 5xx of ours, and the service keeps answering.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use crate::common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Server, config, demo_json, heavy, read_answer, start};

fn healthy(s: &Server) {
    assert_eq!(s.get("/v1/health").status, 200, "the service stopped answering");
}

#[test]
fn a_body_over_the_limit_is_413_whether_declared_or_sent() {
    let mut c = config();
    c.max_body = 1_000;
    let s = start(c);
    s.post_json("/v1/run", &" ".repeat(1_001)).problem(413, "body-too-large");
    // Declared larger than the limit: refused before a byte of it is read.
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream
        .write_all(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n")
        .unwrap();
    read_answer(&mut stream).problem(413, "body-too-large");
    // Chunked, with no length declared: cut off when it passes the limit.
    let mut stream = TcpStream::connect(s.addr).unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 600, " ".repeat(600));
    let mut raw = b"POST /v1/run HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    raw.extend_from_slice(chunk.as_bytes());
    raw.extend_from_slice(chunk.as_bytes());
    raw.extend_from_slice(b"0\r\n\r\n");
    stream.write_all(&raw).unwrap();
    read_answer(&mut stream).problem(413, "body-too-large");
    healthy(&s);
}

/// #36 (20): a gzip body was read as text ("not UTF-8"), and `gzip, chunked`
/// as plain chunks.
#[test]
fn compressed_bodies_are_415_whatever_header_says_so() {
    let s = start(config());
    let body = demo_json();
    for headers in [
        format!("Content-Length: {}\r\nContent-Encoding: gzip\r\n", body.len()),
        format!("Content-Length: {}\r\nContent-Encoding: identity, br\r\n", body.len()),
        "Transfer-Encoding: gzip, chunked\r\n".to_owned(),
    ] {
        let mut stream = TcpStream::connect(s.addr).unwrap();
        let mut raw = format!(
            "POST /v1/run HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n{headers}\r\n"
        )
        .into_bytes();
        if headers.starts_with("Transfer-Encoding") {
            raw.extend_from_slice(format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len()).as_bytes());
        } else {
            raw.extend_from_slice(body.as_bytes());
        }
        stream.write_all(&raw).unwrap();
        let p = read_answer(&mut stream).problem(415, "unsupported-media-type");
        assert!(p["detail"].as_str().unwrap().contains("expected"), "{headers}: {p}");
    }
    // Identity, said or not, is the body as it is.
    let mut stream = TcpStream::connect(s.addr).unwrap();
    let raw = format!(
        "POST /v1/run HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Encoding: identity\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(raw.as_bytes()).unwrap();
    assert_eq!(read_answer(&mut stream).status, 200);
    healthy(&s);
}

#[test]
fn a_slow_body_is_408_after_the_body_time_limit() {
    let mut c = config();
    c.body_timeout = Duration::from_millis(500);
    let s = start(c);
    let started = Instant::now();
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream
        .write_all(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ri")
        .unwrap();
    // One byte now and then, never the whole body.
    for b in b"skpool" {
        std::thread::sleep(Duration::from_millis(150));
        if stream.write_all(&[*b]).is_err() {
            break;
        }
    }
    read_answer(&mut stream).problem(408, "body-timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
    healthy(&s);
}

#[test]
fn a_client_that_disconnects_mid_body_leaves_the_service_answering() {
    let s = start(config());
    for _ in 0..50 {
        let mut stream = TcpStream::connect(s.addr).unwrap();
        stream
            .write_all(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"riskpool\":")
            .unwrap();
        drop(stream);
    }
    healthy(&s);
    assert_eq!(s.post_json("/v1/run", &demo_json()).status, 200);
}

/// One worker and no queue: a second computation is refused at once.
fn one_worker() -> medfund_server::Config {
    let mut c = config();
    c.workers = 1;
    c.queue = 0;
    c
}

/// A long computation on its own thread. With no queue it is itself
/// refused while a short request holds the worker: it tries again until
/// it has the worker, and returns its answer.
fn long_request(addr: std::net::SocketAddr) -> std::thread::JoinHandle<common::Answer> {
    std::thread::spawn(move || {
        loop {
            let a = common::call(addr, "POST", "/v1/simulate", Some("application/json"), heavy(5_000).as_bytes());
            if a.status != 503 {
                return a;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    })
}

/// Posts the demo to `path` until it is refused (503) because the one
/// worker is taken, leaving the worker free between tries; the refusal.
fn wait_until_busy(s: &Server, path: &str) -> common::Answer {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let a = s.post_json(path, &demo_json());
        if a.status == 503 {
            return a;
        }
        assert_eq!(a.status, 200, "{}", a.text());
        assert!(Instant::now() < deadline, "the worker never got busy");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn past_the_queue_requests_are_503_with_retry_after() {
    let s = start(one_worker());
    let busy = long_request(s.addr);
    let refused = wait_until_busy(&s, "/v1/run");
    refused.problem(503, "overloaded");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(busy.join().unwrap().status, 200, "the computation in flight finishes");
    healthy(&s);
    assert_eq!(s.post_json("/v1/run", &demo_json()).status, 200, "a freed worker takes work again");
}

#[test]
fn a_computation_past_the_time_limit_is_503_and_the_service_goes_on() {
    let mut c = config();
    c.request_timeout = Duration::from_millis(100);
    let s = start(c);
    // Long enough for the limit, short for the suite (the computation is
    // cancelled after its 503: work_limits.rs).
    s.post_json("/v1/simulate", &heavy(common::size(5_000, 20_000))).problem(503, "timeout");
    healthy(&s);
}

#[test]
fn requests_in_flight_finish_on_shutdown() {
    let s = start(one_worker());
    let addr = s.addr;
    let in_flight = long_request(addr);
    // Stop only once the computation holds the one worker.
    wait_until_busy(&s, "/v1/check");
    s.stop().unwrap();
    let a = in_flight.join().unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(TcpStream::connect(addr).is_err(), "the service still accepts connections");
}

/// A small deterministic generator, so that a failure names its case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The demo's JSON with one random mutation: a byte deleted, replaced or
/// inserted, the text cut, a value swapped for another type, or a
/// structural character doubled.
fn mutate(base: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = base.to_vec();
    let at = rng.below(b.len());
    const PIECES: [&[u8]; 12] =
        [b"{", b"}", b"[", b"]", b",", b":", b"\"", b"null", b"-1", b"1e999", b"\"\xff\"", b"\"\\u0000\""];
    match rng.below(6) {
        0 => {
            b.remove(at);
        }
        1 => b[at] = (rng.next() % 256) as u8,
        2 => {
            let piece = PIECES[rng.below(PIECES.len())];
            b.splice(at..at, piece.iter().copied());
        }
        3 => b.truncate(at),
        4 => {
            // Replace the value after a colon with another piece.
            if let Some(colon) = b[at..].iter().position(|&c| c == b':') {
                let start = at + colon + 1;
                let end = b[start..].iter().position(|&c| c == b',' || c == b'}').map_or(b.len(), |e| start + e);
                let piece = PIECES[rng.below(PIECES.len())];
                b.splice(start..end, piece.iter().copied());
            }
        }
        _ => {
            let c = b[at];
            b.insert(at, c);
        }
    }
    b
}

#[test]
fn malformed_bodies_are_answered_4xx_and_never_break_the_service() {
    let cases: usize = match std::env::var("MEDFUND_FAULT_CASES") {
        Ok(v) => v.parse().expect("MEDFUND_FAULT_CASES is a count"),
        Err(_) => common::size(2_000, 10_000),
    };
    let s = start(config());
    let base = demo_json().into_bytes();
    let threads = 4;
    let addr = s.addr;
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let base = base.clone();
            std::thread::spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1));
                let (mut refused, mut accepted) = (0_usize, 0_usize);
                for case in 0..cases / threads {
                    let body = mutate(&base, &mut rng);
                    let path = ["/v1/run", "/v1/check", "/v1/run?explain=true"][case % 3];
                    let a = common::call(addr, "POST", path, Some("application/json"), &body);
                    match a.status {
                        200 => accepted += 1,
                        400..=499 => {
                            assert_eq!(a.header("content-type"), Some("application/problem+json"));
                            refused += 1;
                        }
                        other => panic!(
                            "thread {t} case {case}: status {other} for {:?}: {}",
                            String::from_utf8_lossy(&body),
                            a.text()
                        ),
                    }
                }
                (refused, accepted)
            })
        })
        .collect();
    let (mut refused, mut accepted) = (0, 0);
    for w in workers {
        let (r, a) = w.join().unwrap();
        refused += r;
        accepted += a;
    }
    // Most mutations break the document; a few leave it valid (a doubled
    // digit, a space): those are answered 200.
    assert!(refused > accepted, "refused {refused}, accepted {accepted}");
    healthy(&s);
}
