//! A load generator for `medfund serve`, loopback only: `concurrency`
//! keep-alive HTTP/1.1 connections, each sending the same request in turn,
//! `requests` in all; prints throughput, latency percentiles, statuses and
//! (with `--pid`) the service's resident memory before and after.
//!
//! ```text
//! cargo run --release -p medfund-benches --bin load -- \
//!     --addr 127.0.0.1:8080 --concurrency 64 --requests 100000 [--path /v1/run] [--body FILE] [--pid PID]
//! ```
//! Without `--body`, the body is the demo scenario as JSON.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::float_arithmetic
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

struct Args {
    addr: String,
    concurrency: usize,
    requests: usize,
    path: String,
    body: Vec<u8>,
    pid: Option<u32>,
}

fn args() -> Args {
    let mut a = Args {
        addr: "127.0.0.1:8080".into(),
        concurrency: 16,
        requests: 10_000,
        path: "/v1/run".into(),
        body: Vec::new(),
        pid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => a.addr = value(),
            "--concurrency" => a.concurrency = value().parse().expect("--concurrency N"),
            "--requests" => a.requests = value().parse().expect("--requests N"),
            "--path" => a.path = value(),
            "--body" => a.body = std::fs::read(value()).expect("--body FILE"),
            "--pid" => a.pid = Some(value().parse().expect("--pid PID")),
            other => panic!("unknown flag {other}; see the comment at the top of benches/src/bin/load.rs"),
        }
    }
    if a.body.is_empty() {
        let doc: serde_json::Value = toml::from_str(medfund_scenario::DEMO).unwrap();
        a.body = serde_json::to_vec(&doc).unwrap();
    }
    a
}

/// The resident set of a process, in KiB, from /proc.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads one answer on a keep-alive connection: its status and body length.
fn read_answer(reader: &mut BufReader<TcpStream>, line: &mut String) -> (u16, usize) {
    line.clear();
    reader.read_line(line).expect("status line");
    let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    let mut length = 0_usize;
    loop {
        line.clear();
        reader.read_line(line).expect("header");
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().expect("content-length");
            }
        }
    }
    let mut body = vec![0_u8; length];
    reader.read_exact(&mut body).expect("body");
    (status, length)
}

fn main() {
    let a = args();
    let request = {
        let mut r = format!(
            "POST {} HTTP/1.1\r\nHost: load\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            a.path,
            a.body.len()
        )
        .into_bytes();
        r.extend_from_slice(&a.body);
        r
    };
    let before = a.pid.and_then(rss_kib);
    let per_connection = a.requests.div_ceil(a.concurrency);
    let started = Instant::now();
    let threads: Vec<_> = (0..a.concurrency)
        .map(|_| {
            let (addr, request) = (a.addr.clone(), request.clone());
            std::thread::spawn(move || {
                let stream = TcpStream::connect(&addr).expect("connect");
                stream.set_nodelay(true).unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                let mut latencies = Vec::with_capacity(per_connection);
                let mut errors = 0_usize;
                let mut bytes = 0_usize;
                for _ in 0..per_connection {
                    let t = Instant::now();
                    writer.write_all(&request).expect("send");
                    let (status, length) = read_answer(&mut reader, &mut line);
                    latencies.push(t.elapsed());
                    bytes += length;
                    if status != 200 {
                        errors += 1;
                    }
                }
                (latencies, errors, bytes)
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::with_capacity(a.requests);
    let (mut errors, mut bytes) = (0, 0);
    for t in threads {
        let (l, e, b) = t.join().expect("a connection failed");
        latencies.extend(l);
        errors += e;
        bytes += b;
    }
    let wall = started.elapsed();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    let after = a.pid.and_then(rss_kib);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{} requests, concurrency {}: {:.0} requests/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} non-200; {:.1} MB answered",
        latencies.len(),
        a.concurrency,
        latencies.len() as f64 / wall.as_secs_f64(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(*latencies.last().unwrap()),
        errors,
        bytes as f64 / 1e6
    );
    if let (Some(b), Some(a)) = (before, after) {
        println!("service RSS: {:.1} MiB before, {:.1} MiB after", b as f64 / 1024.0, a as f64 / 1024.0);
    }
    if errors > 0 {
        std::process::exit(1);
    }
}
