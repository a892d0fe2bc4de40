//! A service on a loopback port for one test, and a plain HTTP/1.1 client
//! that sends exactly the bytes a test gives (no client library in between).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use medfund_server::Config;

/// `quick` in the everyday suite (sized for a debug build), `full` when
/// `MEDFUND_FULL_TESTS` is set to anything but `0`, as CI's full check runs
/// it (docs/install.md, "Tests").
pub(crate) fn size<T>(quick: T, full: T) -> T {
    match std::env::var("MEDFUND_FULL_TESTS") {
        Ok(v) if !v.is_empty() && v != "0" => full,
        _ => quick,
    }
}

/// A running service; stopped (gracefully) when dropped.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

/// Starts the service with `config` on a free loopback port.
pub(crate) fn start(config: Config) -> Server {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            medfund_server::serve(listener, config, async {
                let _ = stopped.await;
            })
            .await
        })
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("the service did not start");
    Server { addr, stop: Some(stop), thread: Some(thread) }
}

impl Server {
    /// Asks for a graceful shutdown and waits until the service has stopped.
    pub(crate) fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().expect("the service thread panicked"),
            None => Ok(()),
        }
    }

    /// Sends one request (`Connection: close`) and reads the whole answer.
    pub(crate) fn call(&self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Answer {
        call(self.addr, method, path, content_type, body)
    }

    /// `POST path` with a JSON body.
    pub(crate) fn post_json(&self, path: &str, body: &str) -> Answer {
        self.call("POST", path, Some("application/json"), body.as_bytes())
    }

    /// `GET path`.
    pub(crate) fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None, b"")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// One answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts a problem answer with `status` and `code`, and returns it.
    pub(crate) fn problem(&self, status: u16, code: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{}", self.text());
        let p = self.json();
        assert_eq!(p["status"], status);
        assert_eq!(p["code"], code, "{p}");
        assert_eq!(p["type"], format!("urn:medfund:problem:{code}"));
        p
    }
}

/// Raw request bytes for `method path` with a body.
pub(crate) fn request_bytes(method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    if method == "POST" || !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

pub(crate) fn call(addr: SocketAddr, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    stream.write_all(&request_bytes(method, path, content_type, body)).unwrap();
    read_answer(&mut stream)
}

/// Reads an answer to its end (the server closes after `Connection: close`).
pub(crate) fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_answer(&raw)
}

pub(crate) fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("no end of headers");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Answer { status, headers, body }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 4 + size..];
    }
}

/// The demo scenario as JSON text.
pub(crate) fn demo_json() -> String {
    let doc: serde_json::Value = toml::from_str(medfund_scenario::DEMO).unwrap();
    serde_json::to_string(&doc).unwrap()
}

/// A projection of 20 units × 20 years × `trials` that keeps a worker busy
/// for a while (about a second at 5,000 trials in a debug build, less in
/// release).
pub(crate) fn heavy(trials: u32) -> String {
    let units: Vec<_> = (0..20)
        .map(|i| serde_json::json!({"id": format!("u{i}"), "scheme": "employee", "revenue": "1000000", "expenditure": "990000"}))
        .collect();
    serde_json::json!({
        "riskpool": {"year": 2023, "units": units},
        "projection": {"years": 20, "trials": trials, "seed": 1, "default": {
            "revenue_growth": {"mean": "3%", "sd": "2%"}, "expenditure_growth": {"mean": "4%", "sd": "2%"}}}
    })
    .to_string()
}

/// A config for tests: small, fast limits where a test needs them.
pub(crate) fn config() -> Config {
    Config::default()
}
