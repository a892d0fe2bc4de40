//! Outputs that would overwrite an input of the run, or another output of
//! it, refused before anything is read: `--claims-out claims.parquet` on
//! the claims file itself would replace the claims with their splits.

use std::path::{Path, PathBuf};

use medfund_scenario::{ScenarioError, ScenarioResult};

/// What identifies a file: its device and inode when it exists (so that a
/// second name, a link or `./` finds it), else its folder's real path and
/// its name.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    File(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    if let Ok(meta) = std::fs::metadata(path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            return Some(Identity::File(meta.dev(), meta.ino()));
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            return std::fs::canonicalize(path).ok().map(Identity::Path);
        }
    }
    let name = path.file_name()?;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(Identity::Path(std::fs::canonicalize(folder).ok()?.join(name)))
}

/// The inputs and outputs of one run, each with the flag or key that names it.
#[derive(Debug, Default)]
pub(crate) struct Files<'a> {
    inputs: Vec<(String, PathBuf)>,
    outputs: Vec<(&'a str, &'a Path)>,
}

impl<'a> Files<'a> {
    /// An input named by `what` (a flag, a scenario key).
    pub(crate) fn input(&mut self, what: impl Into<String>, path: impl Into<PathBuf>) -> &mut Self {
        self.inputs.push((what.into(), path.into()));
        self
    }

    /// The list files `scenario` names, relative to `base`.
    pub(crate) fn lists(&mut self, scenario: &medfund_scenario::Scenario, base: &Path) -> &mut Self {
        for (key, file) in scenario.list_files() {
            self.input(key, base.join(file));
        }
        self
    }

    /// An output given by `flag`, if given.
    pub(crate) fn output(&mut self, flag: &'a str, path: Option<&'a Path>) -> &mut Self {
        if let Some(path) = path {
            self.outputs.push((flag, path));
        }
        self
    }

    /// Refuses the first output that is an input or another output.
    pub(crate) fn check(&self) -> ScenarioResult<()> {
        let inputs: Vec<(&str, &Path, Identity)> =
            self.inputs.iter().filter_map(|(w, p)| Some((w.as_str(), p.as_path(), identity(p)?))).collect();
        let mut seen: Vec<(&str, &Path, Identity)> = Vec::new();
        for &(flag, path) in &self.outputs {
            let Some(id) = identity(path) else { continue };
            if let Some((what, input, _)) = inputs.iter().find(|(_, _, i)| *i == id) {
                return Err(clash(flag, path, &format!("the same file as the input {what} ({})", input.display())));
            }
            if let Some((other, _, _)) = seen.iter().find(|(_, _, i)| *i == id) {
                return Err(clash(flag, path, &format!("the same file as {other}")));
            }
            seen.push((flag, path, id));
        }
        Ok(())
    }
}

fn clash(flag: &str, path: &Path, what: &str) -> ScenarioError {
    ScenarioError::input(format!(
        "{flag} {}: {what}; expected a file of its own, which the run does not read",
        path.display()
    ))
}
