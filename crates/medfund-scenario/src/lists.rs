//! Where the list files a scenario names (`units_csv = "units.csv"`) are
//! read from: a folder on disk for the command line, lists held in memory
//! for an embedder (a Python caller's data frames, a service's request), or
//! a source of the caller's own ([`ListSource`]). Whatever the source, the
//! bytes are CSV read by the same reader, with the same limits and messages.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{ScenarioError, ScenarioResult, codes, excerpt};
use crate::limits::Limits;

/// Opens the lists a scenario names by their name.
///
/// ```
/// use medfund_scenario::{ListsInMemory, parse_scenario, run_scenario_in, render_json, Limits, ScenarioFormat};
/// let text = r#"
/// [surplus]
/// total = "100万"
/// institutions_csv = "institutions.csv"
/// "#;
/// let scenario = parse_scenario(text, ScenarioFormat::Toml, "example.toml")?;
/// let mut lists = ListsInMemory::new();
/// lists.insert("institutions.csv", "id,level,chronic_care_score,workload\ntown-a,primary,80,100\n");
/// let report = run_scenario_in(&scenario, "example.toml", lists, false, &Limits::default())?;
/// assert!(render_json(&report, false)?.contains(r#""id":"town-a""#));
/// # Ok::<(), medfund_scenario::ScenarioError>(())
/// ```
pub trait ListSource: std::fmt::Debug + Send + Sync {
    /// Opens the list `file` that the scenario key `field` names (`field`
    /// is the key's path, as `riskpool.units_csv`, for messages). `limits`
    /// are the run's: a source that reaches the filesystem keeps to them.
    fn open(&self, field: &str, file: &str, limits: &Limits) -> ScenarioResult<ListFile>;
}

/// An opened list: the name messages show for it and its CSV bytes.
pub struct ListFile {
    pub(crate) shown: String,
    pub(crate) reader: Box<dyn Read + Send>,
    /// The file itself when the list is one on disk: Parquet is read by
    /// seeking, not from the start (no copy of a large file in memory).
    pub(crate) file: Option<std::fs::File>,
}

impl ListFile {
    /// A list read from `reader`; `shown` names it in messages (with the
    /// line of the row at fault).
    pub fn new(shown: impl Into<String>, reader: impl Read + Send + 'static) -> ListFile {
        ListFile { shown: shown.into(), reader: Box::new(reader), file: None }
    }

    /// A list that is a file on disk (read by seeking where the format needs it).
    pub fn from_file(shown: impl Into<String>, file: std::fs::File) -> std::io::Result<ListFile> {
        Ok(ListFile { shown: shown.into(), reader: Box::new(file.try_clone()?), file: Some(file) })
    }
}

impl std::fmt::Debug for ListFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListFile").field("shown", &self.shown).finish_non_exhaustive()
    }
}

/// List files on disk, relative to a folder (the scenario's): what the
/// command line reads. Only regular files; a path leading outside the
/// folder, or any file when [`Limits::list_files`] is off, is refused.
#[derive(Debug, Clone)]
pub struct ListFolder {
    base: PathBuf,
}

impl ListFolder {
    /// Lists relative to `base`.
    pub fn new(base: impl Into<PathBuf>) -> ListFolder {
        ListFolder { base: base.into() }
    }

    /// The folder.
    pub fn base(&self) -> &Path {
        &self.base
    }
}

impl ListSource for ListFolder {
    fn open(&self, field: &str, file: &str, limits: &Limits) -> ScenarioResult<ListFile> {
        let path = limits.list_path(&self.base, field, file)?;
        let shown = path.display().to_string();
        let (handle, _) = crate::limits::open_regular(&path).map_err(|e| {
            ScenarioError::input(format!("{field}: cannot open {shown}: {e}")).with_code(codes::UNREADABLE)
        })?;
        ListFile::from_file(shown.clone(), handle).map_err(|e| {
            ScenarioError::input(format!("{field}: cannot open {shown}: {e}")).with_code(codes::UNREADABLE)
        })
    }
}

/// Lists held in memory by name: a scenario's `units_csv = "units.csv"`
/// reads the list inserted as `units.csv`. Nothing is read from disk, so
/// these serve where [`Limits::list_files`] is off.
#[derive(Debug, Clone, Default)]
pub struct ListsInMemory {
    lists: BTreeMap<String, Arc<[u8]>>,
}

impl ListsInMemory {
    /// No lists.
    pub fn new() -> ListsInMemory {
        ListsInMemory::default()
    }

    /// Adds (or replaces) the list `name` with its CSV text.
    pub fn insert(&mut self, name: impl Into<String>, csv: impl Into<Vec<u8>>) -> &mut ListsInMemory {
        self.lists.insert(name.into(), Arc::from(csv.into()));
        self
    }

    /// The names of the lists held.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.lists.keys().map(String::as_str)
    }
}

impl ListSource for ListsInMemory {
    fn open(&self, field: &str, file: &str, _limits: &Limits) -> ScenarioResult<ListFile> {
        let Some(bytes) = self.lists.get(file) else {
            let names: Vec<String> = self.lists.keys().map(|n| excerpt(n)).collect();
            let expected = if names.is_empty() {
                "the list given with the scenario (none were given)".to_owned()
            } else {
                format!("one of the lists given: {}", names.join(", "))
            };
            return Err(ScenarioError::input(format!("{field}: no list named {}; expected {expected}", excerpt(file)))
                .with_code(codes::UNREADABLE));
        };
        Ok(ListFile::new(file, std::io::Cursor::new(Arc::clone(bytes))))
    }
}

/// The list source of a run, shared: what the functions of this crate take
/// (a folder path converts into one, so `PathBuf::from(".")` still does).
#[derive(Debug, Clone)]
pub struct Lists(Arc<dyn ListSource>);

impl Lists {
    /// A source of the caller's own.
    pub fn new(source: impl ListSource + 'static) -> Lists {
        Lists(Arc::new(source))
    }

    pub(crate) fn open(&self, field: &str, file: &str, limits: &Limits) -> ScenarioResult<ListFile> {
        self.0.open(field, file, limits)
    }
}

impl From<PathBuf> for Lists {
    fn from(base: PathBuf) -> Lists {
        Lists::new(ListFolder::new(base))
    }
}

impl From<&Path> for Lists {
    fn from(base: &Path) -> Lists {
        Lists::new(ListFolder::new(base))
    }
}

impl From<&str> for Lists {
    /// Files relative to the folder `base`.
    fn from(base: &str) -> Lists {
        Lists::new(ListFolder::new(base))
    }
}

impl From<ListFolder> for Lists {
    fn from(folder: ListFolder) -> Lists {
        Lists::new(folder)
    }
}

impl From<ListsInMemory> for Lists {
    fn from(lists: ListsInMemory) -> Lists {
        Lists::new(lists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_in_memory_is_found_by_its_exact_name_and_a_missing_one_names_those_given() {
        let mut lists = ListsInMemory::new();
        lists.insert("units.csv", "id\n");
        let mut text = String::new();
        lists
            .open("riskpool.units_csv", "units.csv", &Limits::default())
            .unwrap()
            .reader
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "id\n");
        let e = lists.open("riskpool.units_csv", "./units.csv", &Limits::default()).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("riskpool.units_csv"));
        assert_eq!(e.expected.as_deref(), Some("one of the lists given: \"units.csv\""));
        let e = ListsInMemory::new().open("a_csv", "x.csv", &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("none were given"), "{e}");
    }

    #[test]
    fn lists_in_memory_are_read_where_list_files_are_off() {
        let closed = Limits { list_files: false, ..Limits::default() };
        let mut lists = ListsInMemory::new();
        lists.insert("units.csv", "id\n");
        assert!(lists.open("riskpool.units_csv", "units.csv", &closed).is_ok());
        assert!(ListFolder::new(".").open("riskpool.units_csv", "units.csv", &closed).is_err());
    }
}
