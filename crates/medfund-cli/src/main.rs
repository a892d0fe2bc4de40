//! `medfund`: runs medical-insurance fund scenario files and prints reports.
//!
//! The scenario format and the JSON report are a public contract
//! (`docs/scenario-format.md` in the repository); see `medfund --help`.

use std::process::ExitCode;

use clap::Parser;
use medfund_scenario::{DEMO, EXIT_OTHER, ScenarioError, ScenarioFormat, ScenarioResult};

mod args;
mod chart;
mod output;

use args::{Cli, Command, ReportArgs};
use output::{
    check_args, check_stdout_open, emit, emit_projection, emit_value, policies, progress_bar, say, sweep, write_stdout,
};

fn dispatch(cli: Cli) -> ScenarioResult<()> {
    match cli.command {
        Command::Demo { report, print } => {
            check_args(&report)?;
            if print {
                return write_stdout(DEMO.as_bytes());
            }
            let scenario = medfund_scenario::parse_scenario(DEMO, ScenarioFormat::Toml, "demo")?;
            let result = medfund_scenario::run_scenario(&scenario, "demo", report.explain)?;
            emit(&result, &report)
        }
        Command::Run { file, input, report } => {
            check_args(&report)?;
            let limits = input.limits();
            let (scenario, base) = medfund_scenario::load_scenario(&file, input.format(), &limits)?;
            let result = medfund_scenario::run_scenario_in(&scenario, &file, base, report.explain, &limits)?;
            emit(&result, &report)
        }
        Command::Check { file, input } => {
            let limits = input.limits();
            let (scenario, base) = medfund_scenario::load_scenario(&file, input.format(), &limits)?;
            // The same computation as `run`, so that every error `run` would
            // report (a year outside a policy's validity, duplicate ids…) is found.
            medfund_scenario::run_scenario_in(&scenario, &file, base, false, &limits)?;
            let sections = scenario.sections();
            let listed = if sections.is_empty() { "no sections".to_owned() } else { sections.join(", ") };
            write_stdout(format!("{file}: valid ({listed})\n").as_bytes())
        }
        Command::Policies { format, lang } => policies(format, lang.into()),
        Command::Compare { base, variant, input, format, lang } => {
            let c = medfund_scenario::compare_files(&base, &variant, input.format(), &input.limits())?;
            emit_value(&c, "compare", &[medfund_scenario::comparison_table(&c)], format, lang.into())
        }
        Command::Sweep { file, input, set, max_combinations, format, lang } => {
            let settings = set.iter().map(|s| s.parse()).collect::<ScenarioResult<Vec<medfund_scenario::Setting>>>()?;
            let mut limits = input.limits();
            if let Some(n) = max_combinations {
                limits.sweep_combinations = n;
            }
            sweep(&file, &settings, input.format(), &limits, format, lang.into())
        }
        Command::Simulate { file, input, format, lang, svg, threads, out, pretty } => {
            let args = ReportArgs { format, explain: false, lang, out, pretty };
            check_args(&args)?;
            let limits = input.limits();
            let threads = threads.map(|n| limits.check_threads(n)).transpose()?;
            let (scenario, base) = medfund_scenario::load_scenario(&file, input.format(), &limits)?;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads.unwrap_or(0))
                .build()
                .map_err(|e| ScenarioError::other(format!("cannot start worker threads: {e}")))?;
            let trials = scenario.projection_trials().unwrap_or(0);
            let bar = if trials < 1_000 { None } else { progress_bar(trials, "simulating {pos}/{len} trials") };
            let tick = |n: u64| {
                if let Some(b) = &bar {
                    b.set_position(n);
                }
            };
            let projection =
                pool.install(|| medfund_scenario::simulate_scenario(&scenario, &file, base, &limits, &tick))?;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            if let Some(path) = &svg {
                chart::fan_chart(&projection, path)?;
            }
            emit_projection(&projection, &args)
        }
    }
}

fn main() -> ExitCode {
    // No input may make medfund panic; should a bug do so, say so in one line, not a stack trace.
    std::panic::set_hook(Box::new(|info| {
        say(&format!("medfund: internal error: {info}; please report this with the input that caused it"));
    }));
    let cli = Cli::parse();
    match std::panic::catch_unwind(|| check_stdout_open().and_then(|()| dispatch(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            say(&format!("medfund: error: {e}"));
            ExitCode::from(e.code)
        }
        Err(_) => ExitCode::from(EXIT_OTHER),
    }
}
