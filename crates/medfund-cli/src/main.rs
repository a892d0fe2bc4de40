//! `medfund`: runs medical-insurance fund scenario files and prints reports.
//!
//! The scenario format and the JSON report are a public contract
//! (`docs/scenario-format.md` in the repository); see `medfund --help`.

use std::process::ExitCode;

use clap::Parser;
use medfund_scenario::{DEMO, EXIT_OTHER, ScenarioError, ScenarioFormat, ScenarioResult};

mod args;
mod clash;
mod output;
mod shard;

use args::{Cli, Command, ErrorFormat, ReportArgs};
use output::{
    SweepTo, check_args, emit, emit_projection, emit_value, policies, progress_bar, say, say_json, sweep, write_stdout,
};

/// The errors of a failed command, at least one.
struct Failure(Vec<ScenarioError>);

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Failure {
        Failure(vec![e])
    }
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Demo { report, print } => {
            check_args(&report)?;
            if print {
                return Ok(write_stdout(DEMO.as_bytes())?);
            }
            let scenario = medfund_scenario::parse_scenario(DEMO, ScenarioFormat::Toml, "demo")?;
            let result = medfund_scenario::run_scenario(&scenario, "demo", report.explain)?;
            Ok(emit(&result, &report)?)
        }
        Command::Run { file, input, report, claims } => {
            check_args(&report)?;
            let limits = input.limits();
            let (scenario, base) = medfund_scenario::load_scenario(&file, input.format(), &limits)?;
            clash::Files::default()
                .input("scenario", &file)
                .lists(&scenario, &base)
                .output("--claims-out", claims.claims_out.as_deref())
                .output("--person-years-out", claims.person_years_out.as_deref())
                .check()?;
            let result =
                medfund_scenario::run_scenario_with(&scenario, &file, base, report.explain, &limits, &claims.run())
                    .map_err(Failure)?;
            Ok(emit(&result, &report)?)
        }
        Command::Check { file, input } => {
            let limits = input.limits();
            let (scenario, base) = medfund_scenario::load_scenario(&file, input.format(), &limits)?;
            // The same computation as `run`, so that every error `run` would
            // report (a year outside a policy's validity, duplicate ids…) is found.
            medfund_scenario::run_scenario_all(&scenario, &file, base, false, &limits).map_err(Failure)?;
            let sections = scenario.sections();
            let listed = if sections.is_empty() { "no sections".to_owned() } else { sections.join(", ") };
            Ok(write_stdout(format!("{file}: valid ({listed})\n").as_bytes())?)
        }
        Command::Policies { output } => Ok(policies(output.format, output.lang.into())?),
        Command::Compare { base, variant, input, output } => {
            let c = medfund_scenario::compare_files(&base, &variant, input.format(), &input.limits())?;
            Ok(emit_value(&c, "compare", &[medfund_scenario::comparison_table(&c)], output.format, output.lang.into())?)
        }
        Command::Sweep { file, input, set, link, max_combinations, threads, out, output } => {
            let mut settings =
                set.iter().map(|s| s.parse()).collect::<ScenarioResult<Vec<medfund_scenario::Setting>>>()?;
            let links: Vec<Vec<String>> =
                link.iter().map(|l| l.split(',').map(|p| p.trim().to_owned()).collect()).collect();
            medfund_scenario::link_settings(&mut settings, &links)?;
            let mut limits = input.limits();
            if let Some(n) = max_combinations {
                limits.sweep_combinations = n;
            }
            let threads = threads.map(|n| limits.check_threads(n)).transpose()?;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads.unwrap_or(0))
                .build()
                .map_err(|e| ScenarioError::other(format!("cannot start worker threads: {e}")))?;
            let to = SweepTo { format: output.format, lang: output.lang.into(), out: out.as_deref() };
            Ok(pool.install(|| sweep(&file, &settings, input.format(), &limits, &to))?)
        }
        Command::Serve(args) => Ok(serve(&args)?),
        Command::Simulate {
            file,
            input,
            output,
            quantiles,
            per_unit,
            paths,
            paths_money,
            svg,
            png,
            font,
            same_scale,
            against,
            shards,
            threads,
            out,
            pretty,
        } => {
            let args = ReportArgs { format: output.format, explain: false, lang: output.lang, out, pretty };
            check_args(&args)?;
            let limits = input.limits();
            let threads = threads.map(|n| limits.check_threads(n)).transpose()?;
            let (mut scenario, base) = medfund_scenario::load_scenario(&file, input.format(), &limits)?;
            let mut files = clash::Files::default();
            files.input("scenario", &file).lists(&scenario, &base);
            for (flag, path) in against
                .iter()
                .map(|a| ("--against", a.as_ref()))
                .chain(shards.plan.iter().map(|p| ("--plan", p.as_path())))
            {
                files.input(flag, path);
            }
            for path in &shards.merge {
                files.input("--merge", path);
            }
            for path in &font {
                files.input("--font", path);
            }
            files
                .output("--paths", paths.as_deref())
                .output("--svg", svg.as_deref())
                .output("--png", png.as_deref())
                .output("--pass-out", shards.pass_out.as_deref())
                .output("--plan-out", shards.plan_out.as_deref())
                .check()?;
            let mut q = quantiles.unwrap_or_else(|| scenario.projection_quantiles());
            if svg.is_some() || png.is_some() {
                q = medfund_chart::with_band_quantiles(q);
            }
            let chart = Chart { svg: svg.as_deref(), png: png.as_deref(), fonts: &font, against: against.as_deref() };
            // Without a [projection], simulate itself says what is missing.
            if !q.is_empty() && scenario.projection_trials().is_some() {
                scenario.set_projection_quantiles(q)?;
            }
            if per_unit {
                scenario.set_projection_per_unit(true)?;
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads.unwrap_or(0))
                .build()
                .map_err(|e| ScenarioError::other(format!("cannot start worker threads: {e}")))?;
            let trials = scenario.projection_trials().unwrap_or(0);
            let bar = if trials < 1_000 { None } else { progress_bar(trials, "simulating {pos}/{len} trial runs") };
            let tick = |n: u64| {
                if let Some(b) = &bar {
                    // The two-pass method runs every trial once per pass: one more length of trials a pass.
                    if n > b.length().unwrap_or(0) {
                        b.set_length(n.div_ceil(trials).saturating_mul(trials));
                    }
                    b.set_position(n);
                }
            };
            if shards.trials_from.is_some() || !shards.merge.is_empty() {
                let Some(projection) = pool.install(|| shard::run(&shards, &scenario, &file, base, &limits, &tick))?
                else {
                    return Ok(());
                };
                if let Some(b) = &bar {
                    b.finish_and_clear();
                }
                let mut options = medfund_chart::ChartOptions::new(output.lang.into());
                options.same_scale = same_scale;
                pool.install(|| draw(&projection, &chart, &options, &input))?;
                return Ok(emit_projection(&projection, &args)?);
            }
            let projection = match &paths {
                None => pool.install(|| medfund_scenario::simulate_scenario(&scenario, &file, base, &limits, &tick))?,
                Some(out) => {
                    let unit = paths_money.unit();
                    pool.install(|| {
                        medfund_scenario::simulate_scenario_with_paths(
                            &scenario, &file, base, &limits, &tick, out, unit,
                        )
                    })?
                    .0
                }
            };
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            let mut options = medfund_chart::ChartOptions::new(output.lang.into());
            options.same_scale = same_scale;
            pool.install(|| draw(&projection, &chart, &options, &input))?;
            Ok(emit_projection(&projection, &args)?)
        }
    }
}

/// The chart files `simulate` was asked for.
struct Chart<'a> {
    svg: Option<&'a std::path::Path>,
    png: Option<&'a std::path::Path>,
    fonts: &'a [std::path::PathBuf],
    /// A base scenario file to draw in grey.
    against: Option<&'a str>,
}

/// Draws `projection` to the chart files asked for (each under a temporary
/// name until complete), with the projection of the scenario file
/// `chart.against` (read with the same input options) in grey.
fn draw(
    projection: &medfund_scenario::Projection,
    chart: &Chart<'_>,
    options: &medfund_chart::ChartOptions,
    input: &args::InputArgs,
) -> ScenarioResult<()> {
    if chart.svg.is_none() && chart.png.is_none() {
        return Ok(());
    }
    let base = match chart.against {
        None => None,
        Some(file) => {
            let limits = input.limits();
            let (scenario, folder) = medfund_scenario::load_scenario(file, input.format(), &limits)?;
            Some((medfund_scenario::simulate_scenario(&scenario, file, folder, &limits, &|_| {})?, file))
        }
    };
    let against = base.as_ref().map(|(projection, name)| medfund_chart::Against { projection, name });
    let flag = if chart.svg.is_some() { "--svg" } else { "--png" };
    let svg = medfund_chart::fan_svg(projection, against.as_ref(), options)
        .map_err(|e| ScenarioError::other(format!("{flag}: {e}")))?;
    let write = |flag: &str, path: &std::path::Path, bytes: &[u8]| {
        output::write_atomically(flag, path, |w| {
            std::io::Write::write_all(w, bytes)
                .map_err(|e| ScenarioError::io(format!("{flag} {}: cannot write it: {e}", path.display())))
        })
    };
    if let Some(path) = chart.svg {
        write("--svg", path, svg.as_bytes())?;
    }
    if let Some(path) = chart.png {
        let mut png_options = medfund_chart::PngOptions::default();
        png_options.fonts = chart.fonts.to_vec();
        let png = medfund_chart::svg_to_png(&svg, &png_options)
            .map_err(|e| ScenarioError::input(format!("--png {}: {e}", path.display())))?;
        if !png.missing.is_empty() {
            let shown: String = png.missing.iter().take(20).collect();
            eprintln!(
                "medfund: warning: --png {}: no installed font has {shown}{}; they are not drawn. Install a CJK font (Debian: fonts-noto-cjk) or give one with --font FILE",
                path.display(),
                if png.missing.len() > 20 { "…" } else { "" }
            );
        }
        write("--png", path, &png.bytes)?;
    }
    Ok(())
}

/// The settings of glibc's allocator that `serve` runs with unless the
/// environment sets its own: blocks of 1 MiB and more are mapped apart and
/// unmapped when freed (glibc otherwise raises that threshold after each
/// large block, and keeps what large requests used: 112 MB after five
/// 29 MB requests instead of 57 MB), the heap is trimmed past 1 MiB free,
/// and two arenas serve every thread (each worker's arena would keep its
/// own peak). The legacy variables, read by glibc 2.17 and later alike.
const MALLOC_SETTINGS: [(&str, &str); 3] =
    [("MALLOC_MMAP_THRESHOLD_", "1048576"), ("MALLOC_TRIM_THRESHOLD_", "1048576"), ("MALLOC_ARENA_MAX", "2")];

/// Starts the command again with [`MALLOC_SETTINGS`] (they are read when a
/// process starts), unless one of them is set already; the same process
/// (`exec` keeps its id). Returns only if that cannot be done, to serve as
/// it is.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn with_malloc_settings() {
    use std::os::unix::process::CommandExt;
    if MALLOC_SETTINGS.iter().any(|(name, _)| std::env::var_os(name).is_some()) {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let failed = std::process::Command::new(exe).args(std::env::args_os().skip(1)).envs(MALLOC_SETTINGS).exec();
    say(&format!("medfund: serving with glibc's default allocator settings ({failed})"));
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn with_malloc_settings() {}

/// `medfund serve`: binds, says where on standard output, serves until
/// SIGTERM or Ctrl-C.
fn serve(args: &args::ServeArgs) -> ScenarioResult<()> {
    with_malloc_settings();
    let failed = |what: &str, e: std::io::Error| ScenarioError::other(format!("{what}: {e}"));
    medfund_server::init_logging(match args.log_format {
        args::LogFormatArg::Text => medfund_server::LogFormat::Text,
        args::LogFormatArg::Json => medfund_server::LogFormat::Json,
    });
    let config = args.config();
    if !config.chart.fonts.is_empty() {
        // A font that cannot be read is found now, not by the first PNG asked for.
        let mut files_only = config.chart.clone();
        (files_only.system_fonts, files_only.bundled_font) = (false, false);
        medfund_chart::Fonts::load(&files_only).map_err(|e| ScenarioError::input(format!("--font: {e}")))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(config.workers.checked_add(4).expect("invariant: --workers is a u16"))
        .build()
        .map_err(|e| failed("cannot start the runtime", e))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| failed(&format!("cannot listen on {}", args.addr), e))?;
        let bound = listener.local_addr().map_err(|e| failed("cannot read the bound address", e))?;
        write_stdout(format!("medfund: listening on http://{bound}\n").as_bytes())?;
        medfund_server::serve(listener, config, medfund_server::shutdown_signal())
            .await
            .map_err(|e| failed("the service stopped", e))
    })
}

/// On SIGINT or SIGTERM, removes the run's temporary files and folders
/// (spilled partitions, results not yet renamed: no destructor runs when a
/// signal ends a process) and exits as the signal would have (130, 143).
/// Returns once the handlers are in place; without them (no thread could be
/// started) a signal ends the run as it always did.
/// Set by the signal thread before it removes the temporaries: the run's
/// own failures from then on (its files vanishing under it) are not its
/// outcome, the signal is.
static SIGNALLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// After a signal, waits for the signal thread to end the process (with the
/// signal's status) instead of reporting what the removal did to the run.
fn yield_to_a_signal() {
    while SIGNALLED.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::park();
    }
}

fn remove_temporaries_on_signals() {
    let (ready, installed) = std::sync::mpsc::sync_channel::<()>(1);
    let spawned = std::thread::Builder::new().name("medfund-signals".into()).spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        runtime.block_on(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut interrupt), Ok(mut terminate)) =
                (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
            else {
                return;
            };
            let _ = ready.send(());
            let status = tokio::select! {
                _ = interrupt.recv() => 130,
                _ = terminate.recv() => 143,
            };
            SIGNALLED.store(true, std::sync::atomic::Ordering::SeqCst);
            medfund_columnar::cleanup::remove_all();
            std::process::exit(status);
        });
    });
    if spawned.is_ok() {
        // Dropped without a word if the handlers could not be made: go on.
        let _ = installed.recv();
    }
}

fn main() -> ExitCode {
    // No input may make medfund panic; should a bug do so, say so in one line,
    // not a stack trace, and without the source paths of the machine that
    // built the binary. A panic of a Parquet or Arrow decoder on its read-ahead thread
    // is caught there and ends the run as an error of the file: no word here.
    std::panic::set_hook(Box::new(|info| {
        if std::thread::current().name() == Some(medfund_columnar::READ_AHEAD_THREAD) {
            return;
        }
        let message = medfund_columnar::panic_text(info.payload());
        say(&format!("medfund: internal error: {message}; please report this with the input that caused it"));
    }));
    let cli = Cli::parse();
    // `serve` stops gracefully on these signals itself.
    if !matches!(cli.command, Command::Serve(_)) {
        remove_temporaries_on_signals();
    }
    let error_format = cli.error_format;
    let outcome = std::panic::catch_unwind(|| dispatch(cli));
    yield_to_a_signal();
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(Failure(errors))) => {
            let status = errors.first().map_or(EXIT_OTHER, ScenarioError::exit_status);
            match error_format {
                ErrorFormat::Text => {
                    if let Some(e) = errors.first() {
                        say(&format!("medfund: error: {e}"));
                    }
                }
                ErrorFormat::Json => say_json(&errors),
            }
            ExitCode::from(status)
        }
        Err(_) => ExitCode::from(EXIT_OTHER),
    }
}
