//! Helpers shared by the end-to-end tests of the `medfund` binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::arithmetic_side_effects)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;

/// The binary under test.
pub(crate) fn medfund() -> Command {
    Command::cargo_bin("medfund").unwrap()
}

/// A fresh temporary folder.
pub(crate) fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "medfund-cli-test-{}-{}-{}",
        module_path!().replace("::", "-"),
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The outcome of one run: exit status, stdout and stderr as text.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Exit status (-1 if killed).
    pub(crate) code: i32,
    /// Standard output.
    pub(crate) stdout: String,
    /// Standard error.
    pub(crate) stderr: String,
}

impl Outcome {
    /// The stdout as JSON, asserting success.
    pub(crate) fn json(&self) -> serde_json::Value {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap()
    }

    /// Asserts exit 2 with every `needle` in stderr.
    pub(crate) fn input_error(&self, needles: &[&str]) {
        assert_eq!(self.code, 2, "expected exit 2; stdout: {}; stderr: {}", self.stdout, self.stderr);
        for n in needles {
            assert!(self.stderr.contains(n), "stderr lacks {n:?}: {}", self.stderr);
        }
    }
}

/// Runs the binary with `args` and `stdin`.
pub(crate) fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Outcome {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("medfund"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the binary with `args` (no stdin).
pub(crate) fn run(args: &[&str]) -> Outcome {
    let out = medfund().args(args).output().unwrap();
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes `files` (name, bytes) into a fresh folder and returns the path of the first.
pub(crate) fn write_files(files: &[(&str, &[u8])]) -> PathBuf {
    let dir = tempdir();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    dir.join(files.first().map_or("", |f| f.0))
}

/// `medfund run FILE --format json` on a scenario written to a file named `name`.
pub(crate) fn run_scenario(name: &str, text: &str) -> Outcome {
    let path = write_files(&[(name, text.as_bytes())]);
    run_path(&path, &["run", "--format", "json"])
}

/// `medfund ARGS[0] PATH ARGS[1..]`.
pub(crate) fn run_path(path: &Path, args: &[&str]) -> Outcome {
    let p = path.to_str().unwrap();
    let mut all = vec![args.first().copied().unwrap_or("run"), p];
    all.extend(args.iter().skip(1));
    run(&all)
}

/// Money as integer fen from a report's two-decimal string.
pub(crate) fn fen(v: &serde_json::Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("money must be a string: {v}"));
    let (int, frac) = s.split_once('.').unwrap();
    assert_eq!(frac.len(), 2, "two decimals: {s}");
    let neg = int.starts_with('-');
    let magnitude = int.trim_start_matches('-').parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap();
    if neg { -magnitude } else { magnitude }
}
