//! A projection run in shards of trials by separate processes (`medfund
//! simulate --trials-from/--trials-to`, then `--merge`): the two-pass method
//! of §8 "Many trials", its plans and pass outcomes carried in files.
//!
//! A file is one header line — its kind and the fingerprint of the
//! projection it belongs to — then the bytes of [`Plan::to_bytes`] or
//! [`Gathered::to_bytes`]. The fingerprint covers everything the trials
//! depend on (the resolved policies, units, growth laws, shocks, years,
//! trials, seed, quantiles) and the medfund version, so a shard of another
//! scenario, another seed or another release is refused instead of being
//! mixed into a plausible wrong figure.

use std::ops::Range;

use medfund_riskpool::stream::{Gathered, Plan};

use crate::error::{ScenarioError, ScenarioResult};
use crate::scenario::Source;
use crate::simulate::{Prepared, Projection, ProjectionStep};

const PLAN_FILE: &str = "medfund-projection-plan-file/1";
const PASS_FILE: &str = "medfund-projection-pass-file/1";

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
    let mut out = format!("{kind} {fingerprint:016x}\n").into_bytes();
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
    if found != format!("{fingerprint:016x}") {
        return Err(ScenarioError::input(format!(
            "{what}: belongs to another projection (fingerprint {found}, this one {fingerprint:016x}): the scenario, its inputs, the seed, trials, quantiles or the medfund version differ; expected files of this scenario's shards"
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
