//! `medfund simulate --trials-from A --trials-to B --pass-out F` and
//! `--merge F… --plan-out P`: a projection run in shards, pass by pass.

use std::path::{Path, PathBuf};

use medfund_scenario::{Limits, Projection, Scenario, ScenarioError, ScenarioResult, ShardMerge};

use crate::args::ShardArgs;
use crate::output::{say, write_atomically};

fn read(flag: &str, path: &Path) -> ScenarioResult<(String, Vec<u8>)> {
    let name = format!("{flag} {}", path.display());
    let bytes = std::fs::read(path).map_err(|e| ScenarioError::io(format!("{name}: cannot read it: {e}")))?;
    Ok((name, bytes))
}

fn write(flag: &str, path: &Path, bytes: &[u8]) -> ScenarioResult<()> {
    write_atomically(flag, path, |w| {
        std::io::Write::write_all(w, bytes)
            .map_err(|e| ScenarioError::io(format!("{flag} {}: cannot write it: {e}", path.display())))
    })
}

/// Runs a shard (writes its pass file, returns `None`) or a merge (the
/// projection, or `None` after writing the next pass's plan).
pub(crate) fn run(
    args: &ShardArgs,
    scenario: &Scenario,
    file: &str,
    base: PathBuf,
    limits: &Limits,
    progress: &(dyn Fn(u64) + Sync),
) -> ScenarioResult<Option<Projection>> {
    let plan = args.plan.as_deref().map(|p| read("--plan", p)).transpose()?;
    let plan = plan.as_ref().map(|(name, bytes)| (name.as_str(), bytes.as_slice()));
    if let (Some(from), Some(to), Some(out)) = (args.trials_from, args.trials_to, &args.pass_out) {
        let bytes = medfund_scenario::projection_shard(scenario, file, base, limits, plan, from..to, progress)?;
        write("--pass-out", out, &bytes)?;
        return Ok(None);
    }
    let passes = args.merge.iter().map(|p| read("--merge", p)).collect::<ScenarioResult<Vec<_>>>()?;
    let passes: Vec<(&str, &[u8])> = passes.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    match medfund_scenario::projection_merge_shards(scenario, file, base, limits, plan, &passes)? {
        ShardMerge::Done(projection) => Ok(Some(projection)),
        ShardMerge::Next(next) => {
            let out = args.plan_out.as_deref().expect("invariant: clap requires --plan-out with --merge");
            write("--plan-out", out, &next)?;
            say(&format!(
                "medfund: another pass is needed: run every shard again with --plan {}, then --merge their files with --plan {}",
                out.display(),
                out.display()
            ));
            Ok(None)
        }
    }
}
