//! A projection run in shards of trials by separate processes (`medfund
//! simulate --trials-from/--trials-to`, then `--merge`): the two-pass method
//! of §8 "Many trials", its plans and pass outcomes carried in files.
//!
//! A file is one header line — its kind, the fingerprint of the
//! projection it belongs to and the checksum of what follows — then the
//! bytes of [`Plan::to_bytes`] or [`Gathered::to_bytes`]. The fingerprint covers everything the trials
//! depend on (the resolved policies, units, growth laws, shocks, years,
//! trials, seed, quantiles) and the medfund version, so a shard of another
//! scenario, another seed or another release is refused instead of being
//! mixed into a plausible wrong figure.

use std::ops::Range;

use medfund_riskpool::stream::{Gathered, Plan};

use crate::error::{ScenarioError, ScenarioResult};
use crate::scenario::Source;
use crate::simulate::{Prepared, Projection, ProjectionStep};

// Version 2: the header carries the body's checksum (version 1 files,
// without one, are refused as another kind).
const PLAN_FILE: &str = "medfund-projection-plan-file/2";
const PASS_FILE: &str = "medfund-projection-pass-file/2";

/// FNV-1a (64 bits) of a file's body. Any change of one byte changes it
/// (each step is a bijection of the state); a hand edit of a count or a sum
/// is refused instead of being merged into other figures.
fn checksum(body: &[u8]) -> u64 {
    let mut h = medfund_core::Fnv1a::new();
    h.write(body);
    h.finish()
}

/// What merging the outcomes of a pass gives.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum ShardMerge {
    /// Another pass is needed: the bytes of its plan file, to give every
    /// shard of that pass (`--plan`) and the merge after it.
    Next(Vec<u8>),
    /// The projection, exactly as one process running every trial gives it.
    Done(Projection),
}

fn seal(kind: &str, fingerprint: u64, body: &[u8]) -> Vec<u8> {
    let mut out = format!("{kind} {fingerprint:016x} {:016x}\n", checksum(body)).into_bytes();
    out.extend_from_slice(body);
    out
}

/// The body of a file of `kind` for the projection `fingerprint`; `what`
/// names the file in errors.
fn open<'a>(kind: &str, fingerprint: u64, bytes: &'a [u8], what: &str) -> ScenarioResult<&'a [u8]> {
    let newline = bytes.iter().position(|&b| b == b'\n');
    let (header, body) = match newline.and_then(|i| bytes.split_at_checked(i)) {
        // A header that is not text is no header of ours: the "not a file" error below.
        Some((header, rest)) => (
            std::str::from_utf8(header).unwrap_or(""),
            rest.get(1..).expect("invariant: `rest` starts with the newline found"),
        ),
        None => ("", bytes),
    };
    let Some((found_kind, found)) = header.split_once(' ') else {
        return Err(ScenarioError::input(format!(
            "{what}: not a file of medfund simulate; expected a {kind} file (written by medfund simulate {})",
            if kind == PLAN_FILE { "--merge … --plan-out" } else { "--trials-from … --pass-out" }
        )));
    };
    if found_kind != kind {
        return Err(ScenarioError::input(format!("{what}: a {found_kind} file; expected a {kind} file")));
    }
    let (found, sum) = found.split_once(' ').unwrap_or((found, ""));
    if found != format!("{fingerprint:016x}") {
        return Err(ScenarioError::input(format!(
            "{what}: belongs to another projection (fingerprint {found}, this one {fingerprint:016x}): the scenario, its inputs, the seed, trials, quantiles or the medfund version differ; expected files of this scenario's shards"
        )));
    }
    if sum != format!("{:016x}", checksum(body)) {
        return Err(ScenarioError::input(format!(
            "{what}: its contents do not match the checksum of its header (edited or damaged since it was written); expected the {kind} file as medfund simulate wrote it"
        )));
    }
    Ok(body)
}

impl Prepared {
    /// The plan of the pass: `plan` (a plan file), or the first pass.
    fn plan_of(&self, source: &Source, plan: Option<(&str, &[u8])>) -> ScenarioResult<Plan> {
        match plan {
            None => self.plan(source),
            Some((what, bytes)) => {
                let body = open(PLAN_FILE, self.fingerprint(), bytes, what)?;
                Plan::from_bytes(body).map_err(|e| ScenarioError::input(format!("{what}: {e}")))
            }
        }
    }

    /// One shard: the outcome (a pass file) of the pass of `plan` over `trials`.
    pub(crate) fn shard(
        &self,
        source: &Source,
        plan: Option<(&str, &[u8])>,
        trials: Range<u32>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> ScenarioResult<Vec<u8>> {
        let plan = self.plan_of(source, plan)?;
        if trials.start >= trials.end || trials.end > self.spec().trials {
            return Err(ScenarioError::input(format!(
                "--trials-from {} --trials-to {}: expected 0 ≤ from < to ≤ {} (the projection's trials, numbered from 0; `to` excluded)",
                trials.start,
                trials.end,
                self.spec().trials
            )));
        }
        let gathered = self.gather_with(source, &plan, trials, progress)?;
        Ok(seal(PASS_FILE, self.fingerprint(), &gathered.to_bytes()))
    }

    /// Merges the outcomes of `plan`'s pass over every trial.
    pub(crate) fn merge_shards(
        &self,
        source: &Source,
        plan: Option<(&str, &[u8])>,
        passes: &[(&str, &[u8])],
    ) -> ScenarioResult<ShardMerge> {
        let plan = self.plan_of(source, plan)?;
        let fingerprint = self.fingerprint();
        let gathered = passes
            .iter()
            .map(|&(what, bytes)| {
                let body = open(PASS_FILE, fingerprint, bytes, what)?;
                Gathered::from_bytes(body).map_err(|e| ScenarioError::input(format!("{what}: {e}")))
            })
            .collect::<ScenarioResult<Vec<Gathered>>>()?;
        Ok(match self.next(source, plan, gathered)? {
            ProjectionStep::Next(plan) => ShardMerge::Next(seal(PLAN_FILE, fingerprint, &plan.to_bytes())),
            ProjectionStep::Done(projection) => ShardMerge::Done(projection),
        })
    }
}
