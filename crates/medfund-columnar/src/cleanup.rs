//! The temporary files and folders of a run, known to the process so that
//! a signal that ends it (Ctrl-C, `kill`) can remove them: destructors do
//! not run then, and a spilled run of 10⁸ claims leaves hundreds of MB.
//!
//! [`Registered`] adds a path for as long as it lives; a program's signal
//! handler calls [`remove_all`] before it exits (the `medfund` command does).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The paths registered now, by registration number.
static PATHS: Mutex<BTreeMap<u64, PathBuf>> = Mutex::new(BTreeMap::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A temporary path of this process, registered until dropped.
#[derive(Debug)]
pub struct Registered(u64);

impl Registered {
    /// Registers `path` (a file or a folder) to be removed by [`remove_all`].
    pub fn new(path: &Path) -> Registered {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        PATHS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(n, path.to_owned());
        Registered(n)
    }

    /// Makes a temporary file or folder with `make` and registers the path
    /// it gives, as one step: a signal's [`remove_all`] runs before or after
    /// both, never between (a folder made but not yet registered would be
    /// left behind).
    ///
    /// # Errors
    ///
    /// `make`'s.
    pub fn make<T, E>(make: impl FnOnce() -> Result<T, E>, path: impl Fn(&T) -> &Path) -> Result<(T, Registered), E> {
        let mut paths = PATHS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let made = make()?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        paths.insert(n, path(&made).to_owned());
        Ok((made, Registered(n)))
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        PATHS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.0);
    }
}

/// Removes every registered path (folders with their contents), best
/// effort, and returns how many were registered. For a signal handler,
/// just before the process exits.
pub fn remove_all() -> usize {
    let mut registry = PATHS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let paths: Vec<PathBuf> = std::mem::take(&mut *registry).into_values().collect();
    for path in &paths {
        if path.is_dir() {
            // The run goes on writing while this thread removes: a folder is
            // first renamed, so that no file can appear in it any more
            // (files are made by their paths under the old name), then
            // removed with what it holds.
            let mut doomed = path.clone().into_os_string();
            doomed.push(".removing");
            let doomed = PathBuf::from(doomed);
            let gone = if std::fs::rename(path, &doomed).is_ok() { &doomed } else { path };
            let _ = std::fs::remove_dir_all(gone);
        } else {
            // A results file being written.
            let _ = std::fs::remove_file(path);
        }
    }
    drop(registry);
    paths.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn registered_paths_are_removed_by_remove_all_and_forgotten_when_dropped() {
        let dir = std::env::temp_dir().join(format!("medfund-cleanup-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("inner")).unwrap();
        std::fs::write(dir.join("inner/f"), b"x").unwrap();
        let file = std::env::temp_dir().join(format!("medfund-cleanup-test-{}.part", std::process::id()));
        std::fs::write(&file, b"x").unwrap();
        let dropped = Registered::new(Path::new("/nonexistent/forgotten"));
        drop(dropped);
        let (_a, _b) = (Registered::new(&dir), Registered::new(&file));
        assert!(remove_all() >= 2);
        assert!(!dir.exists() && !file.exists());
    }
}
