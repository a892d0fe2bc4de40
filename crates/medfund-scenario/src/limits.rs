//! Resource limits: what one run may read, hold and start, so that no input
//! makes `medfund` exhaust memory, block, or read outside its scenario.
//! Every limit has a documented default and a command-line flag to raise it.

use std::path::{Component, Path, PathBuf};

use crate::error::{ScenarioError, ScenarioResult, codes};

/// The limits of one run. `Limits::default()` is what the command line
/// uses unless a flag says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest scenario (file or standard input), in bytes (64 MiB).
    pub scenario_bytes: u64,
    /// Largest scenario written in TOML, in bytes (2 MiB): reading TOML holds
    /// its whole document, up to about 175 bytes of memory per byte of text
    /// (dotted keys), where JSON is read as a stream.
    pub toml_bytes: u64,
    /// Longest physical line of a CSV list file, in bytes (1 MiB).
    pub record_bytes: u64,
    /// Largest estimated memory of a `[projection]`, in bytes (2 GiB).
    pub projection_bytes: u64,
    /// Most combinations one `sweep` may run (10,000).
    pub sweep_combinations: u64,
    /// Most unit-years one projection may simulate: trials × projected
    /// years × riskpool units (no limit by default; the service sets one, so
    /// that a request's computing time is bounded before it starts).
    pub projection_work: u64,
    /// Most units a `[projection.shocks.unit_correlation]` matrix may
    /// correlate (no limit by default; the service sets one): checking the
    /// matrix decomposes it (units³ operations; 3,000 units took 8.6 s and
    /// 697 MB), and each trial-year of a projection combines units² draws.
    pub correlated_units: u64,
    /// Most rows of trial paths one projection may write (trials × years
    /// × schemes; no limit by default: the memory limit bounds them; the
    /// service sets one, so that an answer's size is bounded before it
    /// starts).
    pub path_rows: u64,
    /// Most worker threads (256).
    pub threads: usize,
    /// Whether a `*_csv` path may lead outside the scenario's folder (no).
    pub paths_outside: bool,
    /// Whether `*_csv` keys may name files at all (yes). A service that takes
    /// scenarios from the network sets it to `false`: no path from a request
    /// ever reaches the filesystem, and lists come inline.
    pub list_files: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            scenario_bytes: 64 << 20,
            toml_bytes: 2 << 20,
            record_bytes: 1 << 20,
            projection_bytes: 2 << 30,
            sweep_combinations: 10_000,
            projection_work: u64::MAX,
            correlated_units: u64::MAX,
            path_rows: u64::MAX,
            threads: 256,
            paths_outside: false,
            list_files: true,
        }
    }
}

/// A byte size as people write it: `1048576`, `64KiB`, `64MiB`, `2GiB`
/// (binary), `64KB`, `64MB`, `2GB` (decimal), `B` optional.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = t.split_at(digits);
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(format!("invalid size {text:?}; expected a number of bytes such as 1048576, 64MiB or 2GiB")),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("invalid size {text:?}; expected a number of bytes such as 1048576, 64MiB or 2GiB"))?;
    n.checked_mul(factor).ok_or_else(|| format!("size {text:?} is too large; expected at most {} bytes", u64::MAX))
}

/// A byte size for messages: `64 MiB`, `2 GiB`, `1536 bytes`.
pub(crate) fn show_size(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        let one: u64 = 1 << shift;
        if bytes >= one && bytes.trailing_zeros() >= shift {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// A byte size rounded for messages: `687.2 GiB`, `3.4 MiB`.
pub(crate) fn show_size_approx(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >> shift > 0 {
            // Tenths of the unit, without overflow: (bytes × 10) >> shift.
            let tenths = u128::from(bytes).checked_mul(10).expect("invariant: a u64 times 10 fits a u128") >> shift;
            return format!("{}.{} {unit}", tenths.div_euclid(10), tenths.rem_euclid(10));
        }
    }
    format!("{bytes} bytes")
}

impl Limits {
    /// The path of a list file named in a scenario whose folder is `base`:
    /// relative paths only, with no `..`, unless `paths_outside` allows any
    /// path. `field` names the scenario key in the message.
    pub(crate) fn list_path(&self, base: &Path, field: &str, file: &str) -> ScenarioResult<PathBuf> {
        if !self.list_files {
            return Err(ScenarioError::input(format!(
                "{field}: list files are not read here; expected the list inline (`{}` as an array)",
                ["_csv", "_parquet", "_arrow"].iter().find_map(|x| field.strip_suffix(x)).unwrap_or(field)
            ))
            .with_code(codes::LIMIT));
        }
        let relative = Path::new(file);
        let escapes = relative.is_absolute()
            || relative
                .components()
                .any(|c| matches!(c, Component::ParentDir | Component::RootDir | Component::Prefix(_)));
        if escapes && !self.paths_outside {
            return Err(ScenarioError::input(format!(
                "{field}: the path {} leads outside the scenario's folder; expected a path relative to it without '..' (or --allow-outside-paths)",
                crate::error::excerpt(file)
            ))
            .with_code(codes::LIMIT));
        }
        Ok(base.join(relative))
    }

    /// The number of worker threads asked for, or an input error past `threads`.
    pub fn check_threads(&self, asked: usize) -> ScenarioResult<usize> {
        if asked > self.threads {
            return Err(ScenarioError::input(format!(
                "--threads {asked}: more than {} worker threads; expected at most {} (the result does not depend on it)",
                self.threads, self.threads
            ))
            .with_code(codes::LIMIT));
        }
        Ok(asked)
    }
}

/// Opens `path` for reading if it is a regular file (not a FIFO, a device
/// or a folder, which could block or never end), with its length.
pub(crate) fn open_regular(path: &Path) -> std::io::Result<(std::fs::File, u64)> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, device or folder); expected a regular file",
        ));
    }
    let file = std::fs::File::open(path)?;
    Ok((file, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_size("2gb"), Ok(2_000_000_000));
        assert!(parse_size("2.5GiB").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999TiB").is_err());
        assert_eq!(show_size(64 << 20), "64 MiB");
        assert_eq!(show_size(1536), "1536 bytes");
    }

    #[test]
    fn list_paths_stay_in_the_scenario_folder() {
        let l = Limits::default();
        assert!(l.list_path(Path::new("dir"), "x_csv", "claims.csv").is_ok());
        assert!(l.list_path(Path::new("dir"), "x_csv", "sub/claims.csv").is_ok());
        for bad in ["/etc/passwd", "../x.csv", "sub/../../x.csv"] {
            assert!(l.list_path(Path::new("dir"), "x_csv", bad).is_err(), "{bad}");
        }
        let open = Limits { paths_outside: true, ..Limits::default() };
        assert!(open.list_path(Path::new("dir"), "x_csv", "/etc/passwd").is_ok());
        // Where list files are off, no path is accepted, however harmless.
        let closed = Limits { list_files: false, ..Limits::default() };
        let err = closed.list_path(Path::new("dir"), "supplementary.claims_csv", "claims.csv").unwrap_err();
        assert_eq!(err.path.as_deref(), Some("supplementary.claims_csv"));
        assert!(err.message.contains("`supplementary.claims` as an array"), "{err}");
    }
}
