//! `medfund`: runs medical-insurance fund scenario files and prints reports.
//!
//! The scenario format and the JSON report are a public contract
//! (`docs/scenario-format.md` in the repository); see `medfund --help`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod chart;

use medfund_scenario::tables as render;
use medfund_scenario::{DEMO, EXIT_OTHER, Lang, Limits, Report, ScenarioError, ScenarioFormat, ScenarioResult};

/// medfund — exact, explainable rules for Chinese medical-insurance funds (医保基金).
///
/// Runs scenario files (TOML or JSON) through the policy libraries: the risk-sharing
/// fund of 阿署办发〔2020〕30号, insurer contracts of 惠医保发〔2021〕96号, Xiamen
/// supplementary insurance, and the retained-surplus framework. Money is exact to the fen.
///
/// Exit status: 0 success; 2 invalid input or policy not in force; 1 any other failure.
#[derive(Debug, Parser)]
#[command(name = "medfund", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Language of labels (tables, markdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LangArg {
    /// Chinese (default).
    Zh,
    /// English.
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// Aligned tables for the terminal (money with thousands separators).
    Table,
    /// The JSON report of the contract, for programs.
    Json,
    /// One CSV table per part of each section.
    Csv,
    /// Markdown tables for pasting into reports.
    Markdown,
}

/// The text format of a scenario read from standard input (or a file whose extension is not .toml or .json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InputFormat {
    /// TOML.
    Toml,
    /// JSON.
    Json,
}

fn size(text: &str) -> Result<u64, String> {
    medfund_scenario::parse_size(text)
}

#[derive(Debug, clap::Args)]
struct InputArgs {
    /// Scenario format, overriding the file's extension; for - (standard input) the
    /// default is JSON if the text starts with {, else TOML.
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormat>,
    /// Largest scenario file or standard input [default: 64MiB].
    #[arg(long, value_name = "SIZE", value_parser = size)]
    max_scenario_size: Option<u64>,
    /// Longest line of a CSV list file [default: 1MiB].
    #[arg(long, value_name = "SIZE", value_parser = size)]
    max_record_size: Option<u64>,
    /// Largest estimated memory of a `[projection]` [default: 2GiB].
    #[arg(long, value_name = "SIZE", value_parser = size)]
    max_projection_memory: Option<u64>,
    /// Let *_csv paths lead outside the scenario's folder (absolute paths, '..').
    #[arg(long)]
    allow_outside_paths: bool,
}

impl InputArgs {
    fn format(&self) -> Option<ScenarioFormat> {
        self.input_format.map(|f| match f {
            InputFormat::Toml => ScenarioFormat::Toml,
            InputFormat::Json => ScenarioFormat::Json,
        })
    }

    fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        if let Some(v) = self.max_scenario_size {
            limits.scenario_bytes = v;
        }
        if let Some(v) = self.max_record_size {
            limits.record_bytes = v;
        }
        if let Some(v) = self.max_projection_memory {
            limits.projection_bytes = v;
        }
        limits.paths_outside = self.allow_outside_paths;
        limits
    }
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Add the audit trail: every figure with its rule (document and article), inputs and formula.
    #[arg(long)]
    explain: bool,
    /// Language of table and markdown labels.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
    /// With --format csv: write one CSV file per table into this directory instead of stdout.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// With --format json: indent the JSON.
    #[arg(long)]
    pretty: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bundled demo scenario and print its report.
    ///
    /// Example: medfund demo --lang en
    Demo {
        #[command(flatten)]
        report: ReportArgs,
        /// Print the demo scenario itself (TOML) instead of running it.
        #[arg(long)]
        print: bool,
    },
    /// Compute every section of a scenario file and print the report.
    ///
    /// FILE is a .toml or .json scenario, or - for standard input (JSON or TOML; see --input-format).
    /// Example: medfund run examples/demo.toml --format json --explain
    Run {
        /// The scenario file (.toml, .json, or - for standard input).
        file: String,
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Validate a scenario file without printing a report (exit 0 if valid, 2 if not).
    ///
    /// Example: medfund check my-scenario.toml
    Check {
        /// The scenario file (.toml, .json, or - for standard input).
        file: String,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Project the risk-sharing fund over several years by Monte Carlo (the `[projection]` section, §8).
    ///
    /// Prints per scheme and year the p5/p50/p95 of the closing balance, the share of
    /// trials needing an actuarial review and the mean unresolved gap. The same seed gives
    /// byte-identical output with any number of threads.
    /// Example: medfund simulate examples/projection.toml --svg fan.svg
    Simulate {
        /// The scenario file (.toml, .json, or - for standard input).
        file: String,
        #[command(flatten)]
        input: InputArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Language of table and markdown labels.
        #[arg(long, value_enum, default_value_t = LangArg::Zh)]
        lang: LangArg,
        /// Also draw a fan chart of the closing balance (p5–p95 band, p50 line) to this SVG file.
        #[arg(long, value_name = "CHART.svg")]
        svg: Option<PathBuf>,
        /// Worker threads (default: one per core). The result does not depend on it.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// With --format csv: write one CSV file per table into this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// With --format json: indent the JSON.
        #[arg(long)]
        pretty: bool,
    },
    /// Compare two scenarios: every figure of the report that differs, with both values and
    /// the difference; identical figures are counted.
    ///
    /// Example: medfund compare examples/demo.toml my-variant.toml --format markdown
    Compare {
        /// The base scenario.
        base: String,
        /// The variant scenario.
        variant: String,
        #[command(flatten)]
        input: InputArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Language of table and markdown labels.
        #[arg(long, value_enum, default_value_t = LangArg::Zh)]
        lang: LangArg,
    },
    /// Run a scenario once per combination of field values and report each run's headline figures.
    ///
    /// Repeat --set for a cartesian product; runs are parallel. Values that are whole numbers
    /// or true/false are read as such, others as text (money, rates: "8%", "40万").
    /// Example: medfund sweep examples/demo.toml --set riskpool.policy.levy_rate=5%,8%,10%,15% --format csv
    Sweep {
        /// The scenario file.
        file: String,
        #[command(flatten)]
        input: InputArgs,
        /// PATH=V1,V2,… (e.g. `riskpool.policy.levy_rate=5%,10%` or `riskpool.units[0].revenue=1亿,1.2亿`);
        /// separate values with ; or | when they contain commas (`x=1,000.00;2,000.00`).
        #[arg(long = "set", value_name = "PATH=V1,V2,…", required = true)]
        set: Vec<String>,
        /// Most combinations to run [default: 10000].
        #[arg(long, value_name = "N")]
        max_combinations: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Language of table and markdown labels.
        #[arg(long, value_enum, default_value_t = LangArg::Zh)]
        lang: LangArg,
    },
    /// List the built-in policy presets: id, title, source document, effective dates.
    ///
    /// Example: medfund policies --format json
    Policies {
        /// Output format (table or json).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Language of table labels.
        #[arg(long, value_enum, default_value_t = LangArg::Zh)]
        lang: LangArg,
    },
}

/// A failure to write the report: exit 1, since a report cut short (a
/// closed pipe, a full disk) must never look like success.
fn write_error(e: &std::io::Error) -> ScenarioError {
    ScenarioError::other(format!("cannot write the report to standard output: {e}"))
}

fn write_stdout(bytes: &[u8]) -> ScenarioResult<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| write_error(&e))
}

/// The longest message printed, in characters: a message quotes inputs only
/// in short excerpts, and this bounds any that slips through (a parser's
/// quotation of a huge unknown key, say).
const MAX_MESSAGE_CHARS: usize = 4_000;

/// A line on standard error, control characters escaped and its length
/// bounded. Writing it never panics: with stderr closed or full the message
/// is lost, and the exit status still tells.
fn say(message: &str) {
    let mut line = String::with_capacity(message.len().min(MAX_MESSAGE_CHARS));
    let mut chars = message.chars();
    for c in chars.by_ref().take(MAX_MESSAGE_CHARS) {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    if chars.next().is_some() {
        line.push_str(&format!(" … (message cut: {} characters)", message.chars().count()));
    }
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A report written nowhere must not end in exit 0. The Rust runtime
/// reopens a closed standard output (`>&-`) on `/dev/null` for reading and
/// writing, so every write would "succeed"; a shell's `> /dev/null` opens it
/// for writing only. On Linux `/proc` tells the two apart before any work is
/// done; elsewhere, and for a deliberate `> /dev/null`, nothing is refused.
fn check_stdout_open() -> ScenarioResult<()> {
    let target = std::fs::read_link("/proc/self/fd/1").ok();
    let flags = std::fs::read_to_string("/proc/self/fdinfo/1").ok().and_then(|info| {
        let octal = info.lines().find_map(|l| l.strip_prefix("flags:"))?.trim().to_owned();
        u32::from_str_radix(&octal, 8).ok()
    });
    // O_ACCMODE = 0o3, O_RDWR = 0o2.
    let on_null = target.is_some_and(|t| t == std::path::Path::new("/dev/null"));
    if on_null && flags.is_some_and(|f| f & 0o3 == 0o2) {
        return Err(ScenarioError::other(
            "standard output is closed; expected somewhere to write the report (a file, a pipe, or > /dev/null)",
        ));
    }
    Ok(())
}

fn emit(report: &Report, args: &ReportArgs) -> ScenarioResult<()> {
    match args.format {
        OutputFormat::Json => {
            medfund_scenario::write_json(report, args.pretty, std::io::stdout().lock()).map_err(|e| write_error(&e))
        }
        OutputFormat::Table => write_stdout(medfund_scenario::render_table(report, args.lang.into()).as_bytes()),
        OutputFormat::Markdown => write_stdout(medfund_scenario::render_markdown(report, args.lang.into()).as_bytes()),
        OutputFormat::Csv => match &args.out {
            Some(dir) => {
                let written = medfund_scenario::write_csv_dir(report, dir)?;
                let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
                say(&format!("medfund: wrote {} CSV files: {}", list.len(), list.join(", ")));
                Ok(())
            }
            None => write_stdout(&medfund_scenario::render_csv(report)?),
        },
    }
}

/// Prints `{key: value}` as JSON, or the tables in another format.
fn emit_value<T: serde::Serialize>(
    value: &T,
    key: &str,
    tables: &[render::Table],
    format: OutputFormat,
    lang: Lang,
) -> ScenarioResult<()> {
    match format {
        OutputFormat::Json => {
            let mut wrapper = serde_json::Map::new();
            wrapper
                .insert(key.to_owned(), serde_json::to_value(value).map_err(|e| ScenarioError::other(e.to_string()))?);
            let mut text = serde_json::to_string(&wrapper).map_err(|e| ScenarioError::other(e.to_string()))?;
            text.push('\n');
            write_stdout(text.as_bytes())
        }
        OutputFormat::Table => write_stdout(render::render_table(tables, lang).as_bytes()),
        OutputFormat::Markdown => write_stdout(render::render_markdown(tables, lang).as_bytes()),
        OutputFormat::Csv => write_stdout(&render::render_csv(tables)?),
    }
}

/// `medfund sweep`: JSON and CSV rows are written as they finish (in
/// cartesian order); a table or markdown report needs every row first.
fn sweep(
    file: &str,
    settings: &[medfund_scenario::Setting],
    input: Option<ScenarioFormat>,
    limits: &Limits,
    format: OutputFormat,
    lang: Lang,
) -> ScenarioResult<()> {
    let parameters: Vec<String> = settings.iter().map(|s| s.path.clone()).collect();
    let bar = std::sync::OnceLock::new();
    let progress = |done: u64, total: u64| {
        if let Some(b) = bar.get_or_init(|| progress_bar(total, "running {pos}/{len} combinations")) {
            b.set_position(done);
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut put = |bytes: &[u8]| out.write_all(bytes).map_err(|e| write_error(&e));
    match format {
        OutputFormat::Json => {
            let names = serde_json::to_string(&parameters).map_err(|e| ScenarioError::other(e.to_string()))?;
            put(format!("{{\"sweep\":{{\"parameters\":{names},\"rows\":[").as_bytes())?;
            let mut first = true;
            medfund_scenario::sweep_file_each(file, settings, input, limits, &progress, &mut |row| {
                let text = serde_json::to_string(&row).map_err(|e| ScenarioError::other(e.to_string()))?;
                put(if first { b"" } else { b"," })?;
                first = false;
                put(text.as_bytes())
            })?;
            put(b"]}}\n")?;
        }
        OutputFormat::Csv => {
            // The same stream as `render_csv` of the one table: its name, then its rows.
            put(b"# sweep\n")?;
            let mut figures: Option<Vec<String>> = None;
            medfund_scenario::sweep_file_each(file, settings, input, limits, &progress, &mut |row| {
                let names = match &figures {
                    Some(names) => names,
                    None => {
                        let names: Vec<String> = row.figures.keys().cloned().collect();
                        put(&render::csv_record(parameters.iter().chain(&names))?)?;
                        figures.insert(names)
                    }
                };
                let cells = medfund_scenario::sweep_row_cells(&parameters, names, &row);
                put(&render::csv_record(render::csv_cells(&cells))?)
            })?;
        }
        OutputFormat::Table | OutputFormat::Markdown => {
            let mut rows = Vec::new();
            medfund_scenario::sweep_file_each(file, settings, input, limits, &progress, &mut |row| {
                rows.push(row);
                Ok(())
            })?;
            let s = medfund_scenario::Sweep { parameters, rows };
            let text = match format {
                OutputFormat::Markdown => render::render_markdown(&[medfund_scenario::sweep_table(&s)], lang),
                _ => render::render_table(&[medfund_scenario::sweep_table(&s)], lang),
            };
            put(text.as_bytes())?;
        }
    }
    if let Some(Some(b)) = bar.get() {
        b.finish_and_clear();
    }
    out.flush().map_err(|e| write_error(&e))
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
fn progress_bar(total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || total < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!("{{spinner}} {what} [{{bar:40}}] {{eta}}")) {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}

fn emit_projection(projection: &medfund_scenario::Projection, args: &ReportArgs) -> ScenarioResult<()> {
    let tables = medfund_scenario::projection_tables(projection);
    match args.format {
        OutputFormat::Json => {
            medfund_scenario::write_projection_json(projection, args.pretty, std::io::stdout().lock())
                .map_err(|e| write_error(&e))
        }
        OutputFormat::Table => write_stdout(render::render_table(&tables, args.lang.into()).as_bytes()),
        OutputFormat::Markdown => write_stdout(render::render_markdown(&tables, args.lang.into()).as_bytes()),
        OutputFormat::Csv => match &args.out {
            Some(dir) => {
                let written = render::write_csv_dir(&tables, dir)?;
                say(&format!("medfund: wrote {} CSV files", written.len()));
                Ok(())
            }
            None => write_stdout(&render::render_csv(&tables)?),
        },
    }
}

fn check_args(args: &ReportArgs) -> ScenarioResult<()> {
    if args.out.is_some() && args.format != OutputFormat::Csv {
        return Err(ScenarioError::input("--out goes with --format csv; expected --format csv --out DIR"));
    }
    Ok(())
}

fn policies(format: OutputFormat, lang: Lang) -> ScenarioResult<()> {
    #[derive(serde::Serialize)]
    struct Row {
        id: String,
        section: &'static str,
        title: String,
        document: String,
        valid_from: medfund_core::NaiveDate,
        valid_to: Option<medfund_core::NaiveDate>,
    }
    fn row<P>(section: &'static str, v: &medfund_core::PolicyVersion<P>) -> Row {
        Row {
            id: v.id().into(),
            section,
            title: v.title().into(),
            document: v.document().into(),
            valid_from: v.validity().from(),
            valid_to: v.validity().to(),
        }
    }
    let internal = |e: &dyn std::fmt::Display| ScenarioError::other(e.to_string());
    let mut rows = Vec::new();
    for v in medfund_riskpool::presets().map_err(|e| internal(&e))? {
        rows.push(row("riskpool", &v));
    }
    rows.push(row("assistance", &medfund_insurer::huizhou_2021().map_err(|e| internal(&e))?));
    rows.push(row("supplementary", &medfund_insurer::xiamen_2007().map_err(|e| internal(&e))?));
    rows.push(row("surplus", &medfund_surplus::framework_2025().map_err(|e| internal(&e))?));
    match format {
        OutputFormat::Json => {
            let mut bytes = serde_json::to_vec(&rows).map_err(|e| internal(&e))?;
            bytes.push(b'\n');
            write_stdout(&bytes)
        }
        other => {
            let table = render::Table {
                name: "policies".into(),
                title: ("内置政策".into(), "Built-in policy presets".into()),
                columns: render::columns([
                    ("id", "编号", "id"),
                    ("section", "模块", "section"),
                    ("title", "名称", "title"),
                    ("document", "文号", "document"),
                    ("valid_from", "生效", "valid from"),
                    ("valid_to", "失效", "valid to"),
                ]),
                rows: rows
                    .iter()
                    .map(|r| {
                        vec![
                            render::Cell::Text(r.id.clone()),
                            render::Cell::Text(r.section.into()),
                            render::Cell::Text(r.title.clone()),
                            render::Cell::Text(r.document.clone()),
                            render::Cell::Text(r.valid_from.to_string()),
                            render::Cell::Text(r.valid_to.map_or_else(|| "—".into(), |d| d.to_string())),
                        ]
                    })
                    .collect(),
            };
            let text = match other {
                OutputFormat::Markdown => render::render_markdown(&[table], lang),
                OutputFormat::Csv => String::from_utf8_lossy(&render::render_csv(&[table])?).into_owned(),
                _ => render::render_table(&[table], lang),
            };
            write_stdout(text.as_bytes())
        }
    }
}

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
