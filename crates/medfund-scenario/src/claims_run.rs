//! How a run treats claims at scale (§5.3): where the per-claim results go,
//! when the report inlines them, and the memory the claims may take.

use std::path::PathBuf;

pub use medfund_columnar::{Format as ClaimsFormat, Unit as MoneyUnit};

/// The most claims the JSON report (and the tables) inline by default: above
/// it they go only to `--claims-out` (§5.3).
pub const INLINE_CLAIMS_LIMIT: u64 = 100_000;

/// When the report carries one row per claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Inline {
    /// Inline when there is no claims file to write and at most
    /// [`INLINE_CLAIMS_LIMIT`] claims.
    #[default]
    Auto,
    /// Always (memory grows with the claims).
    Always,
    /// Never: summaries only.
    Never,
}

impl std::str::FromStr for Inline {
    type Err = String;
    fn from_str(s: &str) -> Result<Inline, String> {
        match s {
            "auto" => Ok(Inline::Auto),
            "always" => Ok(Inline::Always),
            "never" => Ok(Inline::Never),
            other => Err(format!("{other:?}; expected auto, always or never")),
        }
    }
}

/// The claims options of a run. `ClaimsRun::default()` is the command
/// line's without flags: no claims file, inline up to the limit, 2 GiB.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClaimsRun {
    /// Where the per-claim results are written (format by extension:
    /// `.parquet`, `.arrow`, `.csv`), under a temporary name until complete.
    pub out: Option<PathBuf>,
    /// Where a one-stop settlement's (§5.2) person-years are written when its
    /// claims are not inlined (format by extension, as `out`).
    pub person_years_out: Option<PathBuf>,
    /// Money in the results files: yuan as `decimal128(18, 2)` (default) or fen as `int64`.
    pub unit: MoneyUnit,
    /// When the report inlines per-claim rows.
    pub inline: Inline,
    /// Bytes the claims may take in memory; beyond, they are partitioned to
    /// temporary files (2 GiB).
    pub memory_budget: u64,
    /// Where temporary files go (default: the system's temporary folder).
    pub temp_dir: Option<PathBuf>,
    /// A number of partitions instead of the budget's (tuning, tests).
    pub partitions: Option<u32>,
}

impl Default for ClaimsRun {
    fn default() -> ClaimsRun {
        ClaimsRun {
            out: None,
            person_years_out: None,
            unit: MoneyUnit::Yuan,
            inline: Inline::Auto,
            memory_budget: medfund_columnar::DEFAULT_BUDGET,
            temp_dir: None,
            partitions: None,
        }
    }
}

impl ClaimsRun {
    /// Options with the per-claim results written to `out`.
    pub fn with_out(mut self, out: impl Into<PathBuf>) -> ClaimsRun {
        self.out = Some(out.into());
        self
    }

    /// Options with a one-stop settlement's person-years written to `out`.
    pub fn with_person_years_out(mut self, out: impl Into<PathBuf>) -> ClaimsRun {
        self.person_years_out = Some(out.into());
        self
    }

    /// Options with `inline`.
    pub fn with_inline(mut self, inline: Inline) -> ClaimsRun {
        self.inline = inline;
        self
    }

    /// Options with a memory budget of `bytes`.
    pub fn with_memory_budget(mut self, bytes: u64) -> ClaimsRun {
        self.memory_budget = bytes;
        self
    }

    /// Options with `partitions` partitions.
    pub fn with_partitions(mut self, partitions: u32) -> ClaimsRun {
        self.partitions = Some(partitions);
        self
    }

    /// Options with temporary files in `dir`.
    pub fn with_temp_dir(mut self, dir: impl Into<PathBuf>) -> ClaimsRun {
        self.temp_dir = Some(dir.into());
        self
    }

    /// Options with money in fen in the claims file.
    pub fn with_unit(mut self, unit: MoneyUnit) -> ClaimsRun {
        self.unit = unit;
        self
    }
}
