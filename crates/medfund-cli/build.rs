//! Stamps the binary with the git commit it was built from, for
//! `medfund --version`: `MEDFUND_COMMIT` if set (a release script, or a
//! build from a source tarball that knows its commit), else `git rev-parse`,
//! else `unknown` (a build outside a checkout says so rather than guess).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=MEDFUND_COMMIT");
    let from_env = std::env::var("MEDFUND_COMMIT").ok().filter(|c| !c.trim().is_empty());
    let commit = from_env.or_else(git_commit).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=MEDFUND_COMMIT={commit}");
}

/// The checkout's commit (12 hex digits, `-dirty` with uncommitted changes
/// to tracked files), rebuilt when HEAD or its branch moves.
fn git_commit() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let git = root.join(".git");
    if !git.exists() {
        return None;
    }
    println!("cargo:rerun-if-changed={}", git.join("HEAD").display());
    println!("cargo:rerun-if-changed={}", git.join("index").display());
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
        if let Some(branch) = head.trim().strip_prefix("ref: ") {
            println!("cargo:rerun-if-changed={}", git.join(branch).display());
        }
    }
    println!("cargo:rerun-if-changed={}", git.join("packed-refs").display());
    let run = |args: &[&str]| Command::new("git").arg("-C").arg(&root).args(args).output().ok();
    let out = run(&["rev-parse", "--short=12", "HEAD"]).filter(|o| o.status.success())?;
    let mut commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    let dirty = run(&["diff", "--quiet", "HEAD", "--"]).is_some_and(|o| o.status.code() == Some(1));
    if dirty {
        commit.push_str("-dirty");
    }
    Some(commit)
}
