//! `medfund serve` end to end: the real binary on a loopback port answers
//! what `medfund run/simulate/sweep/policies --format json` print for the
//! same input, byte for byte, and stops cleanly on SIGTERM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::medfund;

struct Service {
    child: Child,
    addr: String,
}

impl Service {
    fn start() -> Service {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("medfund"))
            .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("medfund: listening on http://").expect(&line).to_owned();
        Service { child, addr }
    }

    /// Body of a 200 answer to `POST path`.
    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        answer(stream)
    }

    fn get(&self, path: &str) -> Vec<u8> {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
        answer(stream)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn answer(mut stream: TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{}", String::from_utf8_lossy(&raw[split..]));
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{head}");
    raw[split + 4..].to_vec()
}

fn example(name: &str) -> String {
    format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn cli(args: &[&str]) -> Vec<u8> {
    let out = medfund().args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn serve_answers_what_the_cli_prints_and_stops_on_sigterm() {
    let service = Service::start();
    let demo = example("demo.toml");
    let demo_text = std::fs::read(&demo).unwrap();
    let json_dir = common::tempdir();
    // The same scenario as JSON, run by the CLI from a .json file too.
    let doc: serde_json::Value = toml::from_str(std::str::from_utf8(&demo_text).unwrap()).unwrap();
    let demo_json = json_dir.join("demo.json");
    std::fs::write(&demo_json, serde_json::to_vec(&doc).unwrap()).unwrap();
    let demo_json = demo_json.to_str().unwrap();

    assert_eq!(service.post("/v1/run", "application/toml", &demo_text), cli(&["run", &demo, "--format", "json"]));
    assert_eq!(
        service.post("/v1/run?explain=true", "application/json", &std::fs::read(demo_json).unwrap()),
        cli(&["run", demo_json, "--format", "json", "--explain"])
    );
    assert_eq!(
        service.post("/v1/run?format=table&lang=en", "application/toml", &demo_text),
        cli(&["run", &demo, "--format", "table", "--lang", "en"])
    );
    let projection = example("projection.toml");
    assert_eq!(
        service.post("/v1/simulate", "application/toml", &std::fs::read(&projection).unwrap()),
        cli(&["simulate", &projection, "--format", "json"])
    );
    assert_eq!(service.get("/v1/policies"), cli(&["policies", "--format", "json"]));
    let sweep_body = serde_json::json!({"scenario": doc, "set": {"riskpool.policy.levy_rate": ["5%", "10%"]}});
    assert_eq!(
        service.post("/v1/sweep", "application/json", sweep_body.to_string().as_bytes()),
        cli(&["sweep", &demo, "--set", "riskpool.policy.levy_rate=5%,10%", "--format", "json"])
    );

    // SIGTERM: the service stops, exit 0, and its log lines were JSON.
    let mut service = service;
    let pid = service.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = service.child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    service.child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    assert!(lines.iter().filter(|l| l["fields"]["message"] == "request").count() >= 6, "{log}");
    assert!(lines.iter().all(|l| !l.to_string().contains("26830000")), "no scenario content in the log: {log}");
}

#[test]
fn serve_refuses_at_start_a_font_it_cannot_read() {
    let out = medfund()
        .args(["serve", "--addr", "127.0.0.1:0", "--font", "no-such-font.ttf"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an input error, before listening");
    assert!(out.stdout.is_empty(), "nothing listened: {}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--font") && err.contains("no-such-font.ttf"), "{err}");
}

/// #36 (15): memory used by large requests is returned: `serve` runs with
/// glibc's allocator settings that unmap large blocks (112 MB were kept
/// after five 29 MB requests, 57 MB with them), unless the environment
/// sets its own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn serve_runs_with_allocator_settings_that_return_memory() {
    let environ = |s: &Service| std::fs::read(format!("/proc/{}/environ", s.child.id())).unwrap();
    let has = |env: &[u8], var: &str| env.split(|&b| b == 0).any(|v| v == var.as_bytes());
    let s = Service::start();
    let env = environ(&s);
    for var in ["MALLOC_MMAP_THRESHOLD_=1048576", "MALLOC_TRIM_THRESHOLD_=1048576", "MALLOC_ARENA_MAX=2"] {
        assert!(has(&env, var), "{var}");
    }
    assert!(s.get("/v1/health").starts_with(b"{"), "the service started again answers");
}
