//! The command line: subcommands, flags and their help (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use medfund_scenario::{ClaimsRun, Inline, Lang, Limits, MoneyUnit, ScenarioFormat};

/// The version and the commit the binary was built from (`build.rs`).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("MEDFUND_COMMIT"), ")");

/// medfund — exact, explainable rules for Chinese medical-insurance funds (医保基金).
///
/// Runs scenario files (TOML or JSON) through the policy libraries: the risk-sharing
/// fund of 阿署办发〔2020〕30号, insurer contracts of 惠医保发〔2021〕96号, Xiamen
/// supplementary insurance, and the retained-surplus framework. Money is exact to the fen.
///
/// Exit status: 0 success; 2 invalid input or policy not in force; 1 any other failure.
#[derive(Debug, Parser)]
#[command(name = "medfund", version = VERSION, propagate_version = true)]
pub(crate) struct Cli {
    /// How errors are written on standard error: one line of text (the first
    /// error), or a JSON array of every input error found (up to 100).
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Text)]
    pub(crate) error_format: ErrorFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How errors are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ErrorFormat {
    /// `medfund: error: FILE:LINE:COLUMN: PATH: message` (the first error).
    Text,
    /// A JSON array of error objects (kind, code, path, file, line, column, value, expected, message).
    Json,
}

/// Language of labels (tables, markdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LangArg {
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
pub(crate) enum OutputFormat {
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
pub(crate) enum InputFormat {
    /// TOML.
    Toml,
    /// JSON.
    Json,
}

pub(crate) fn size(text: &str) -> Result<u64, String> {
    medfund_scenario::parse_size(text)
}

#[derive(Debug, clap::Args)]
pub(crate) struct InputArgs {
    /// Scenario format, overriding the file's extension; for - (standard input) the
    /// default is JSON if the text starts with {, else TOML.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) input_format: Option<InputFormat>,
    /// Largest scenario file or standard input [default: 64MiB].
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) max_scenario_size: Option<u64>,
    /// Largest scenario written in TOML [default: 2MiB]; JSON is read as a
    /// stream and bounded by --max-scenario-size only.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) max_toml_size: Option<u64>,
    /// Longest line of a CSV list file [default: 1MiB].
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) max_record_size: Option<u64>,
    /// Largest estimated memory of a `[projection]` [default: 2GiB].
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) max_projection_memory: Option<u64>,
    /// Let *_csv paths lead outside the scenario's folder (absolute paths, '..').
    #[arg(long)]
    pub(crate) allow_outside_paths: bool,
}

/// Claims at scale (docs/scenario-format.md §5.3).
#[derive(Debug, Args)]
pub(crate) struct ClaimsArgs {
    /// Write the per-claim results of the supplementary section to FILE (.parquet, .arrow or .csv; input
    /// order, the claim_id column passed through), under a temporary name until complete.
    #[arg(long, value_name = "FILE")]
    pub(crate) claims_out: Option<std::path::PathBuf>,
    /// Write the person-years of a one-stop settlement (§5.2) to FILE (.parquet, .arrow or .csv; in
    /// the input order of each person-year's first claim), under a temporary name until complete.
    #[arg(long, value_name = "FILE")]
    pub(crate) person_years_out: Option<std::path::PathBuf>,
    /// Money in --claims-out and --person-years-out: yuan as decimal128(18, 2), or fen as int64.
    #[arg(long, value_enum, value_name = "UNIT", default_value = "yuan")]
    pub(crate) claims_money: ClaimsMoney,
    /// When the report lists every claim (and a one-stop settlement's person-years): auto (up to
    /// 100000 claims, and no --claims-out or --person-years-out), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = inline)]
    pub(crate) inline_claims: Inline,
    /// Memory the claims may take; beyond it they are partitioned by person to temporary files
    /// [default: 2GiB].
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) memory_budget: Option<u64>,
    /// Folder for the temporary files of partitioned claims [default: the system's].
    #[arg(long, value_name = "DIR")]
    pub(crate) temp_dir: Option<std::path::PathBuf>,
    /// Number of partitions instead of the one the memory budget gives (tuning).
    #[arg(long, value_name = "N")]
    pub(crate) partitions: Option<u32>,
}

/// Money in a results file (claims, trial paths).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ClaimsMoney {
    /// Yuan, decimal128(18, 2).
    Yuan,
    /// Fen, int64.
    Fen,
}

impl ClaimsMoney {
    pub(crate) fn unit(self) -> MoneyUnit {
        match self {
            ClaimsMoney::Yuan => MoneyUnit::Yuan,
            ClaimsMoney::Fen => MoneyUnit::Fen,
        }
    }
}

fn inline(text: &str) -> Result<Inline, String> {
    text.parse()
}

impl ClaimsArgs {
    pub(crate) fn run(&self) -> ClaimsRun {
        let mut run = ClaimsRun::default().with_inline(self.inline_claims);
        if let Some(out) = &self.claims_out {
            run = run.with_out(out);
        }
        if let Some(out) = &self.person_years_out {
            run = run.with_person_years_out(out);
        }
        run = run.with_unit(self.claims_money.unit());
        if let Some(b) = self.memory_budget {
            run = run.with_memory_budget(b);
        }
        if let Some(d) = &self.temp_dir {
            run = run.with_temp_dir(d);
        }
        if let Some(p) = self.partitions {
            run = run.with_partitions(p);
        }
        run
    }
}

impl InputArgs {
    pub(crate) fn format(&self) -> Option<ScenarioFormat> {
        self.input_format.map(|f| match f {
            InputFormat::Toml => ScenarioFormat::Toml,
            InputFormat::Json => ScenarioFormat::Json,
        })
    }

    pub(crate) fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        if let Some(v) = self.max_scenario_size {
            limits.scenario_bytes = v;
        }
        if let Some(v) = self.max_toml_size {
            limits.toml_bytes = v;
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

/// `--format` and `--lang`, shared by the commands that print a result.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) format: OutputFormat,
    /// Language of table and markdown labels.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    pub(crate) lang: LangArg,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) format: OutputFormat,
    /// Add the audit trail: every figure with its rule (document and article), inputs and formula.
    #[arg(long)]
    pub(crate) explain: bool,
    /// Language of table and markdown labels.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    pub(crate) lang: LangArg,
    /// With --format csv: write one CSV file per table into this directory instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// With --format json: indent the JSON.
    #[arg(long)]
    pub(crate) pretty: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
        #[command(flatten)]
        claims: ClaimsArgs,
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
    /// Prints per scheme and year the p5/p50/p95 and mean of the closing balance, the
    /// probability of an actuarial review that year and by that year (cumulative), of a
    /// first review that year, the mean unresolved gap, and the Monte Carlo standard error
    /// of every probability and mean. The same seed gives byte-identical output with any
    /// number of threads.
    /// Example: medfund simulate examples/projection.toml --quantiles 5,25,50,75,95 --svg fan.svg
    #[command(group(clap::ArgGroup::new("chart").args(["svg", "png"]).multiple(true)))]
    Simulate {
        /// The scenario file (.toml, .json, or - for standard input).
        file: String,
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        output: OutputArgs,
        /// Also report these nearest-rank percentiles (1–100) of the closing balance and of
        /// the unresolved gap per year (replaces the scenario's `[projection] quantiles`).
        #[arg(long, value_name = "P,P,…", value_delimiter = ',')]
        quantiles: Option<Vec<u32>>,
        /// Also report statistics per unit and year (`projection.units`; table
        /// projection_units): the share of trials with a gap, with an unresolved gap that
        /// year, by that year and first that year, the mean draw on the fund and the mean
        /// unresolved amount (as `[projection] per_unit = true`).
        #[arg(long)]
        per_unit: bool,
        /// Also write every trial's path (trial, scheme, year, closing balance, unresolved,
        /// review) to this file: .csv, .parquet or .arrow.
        #[arg(long, value_name = "FILE")]
        paths: Option<PathBuf>,
        /// Money in the paths file: yuan (decimal(18,2); CSV 1234.56) or fen (int64).
        #[arg(long, value_enum, value_name = "UNIT", default_value = "yuan", requires = "paths")]
        paths_money: ClaimsMoney,
        /// Also draw a chart to this SVG file: per scheme the closing balance (p5–p95 and
        /// p25–p75 bands, p50 line) and the review risk that year and by that year, titled in
        /// --lang. Adds the quantiles 25 and 75 to the report.
        #[arg(long, value_name = "CHART.svg")]
        svg: Option<PathBuf>,
        /// Also draw the chart to this PNG file: the SVG chart rasterised at twice its size,
        /// its text in the system's fonts, any --font and a bundled font that has every character
        /// of the chart's words and 万/亿 labels (characters no font has are reported).
        #[arg(long, value_name = "CHART.png")]
        png: Option<PathBuf>,
        /// With --png: a font file (TTF, OTF or TTC) to draw the text with, besides the
        /// system's; repeat for more.
        #[arg(long, value_name = "FILE", requires = "png")]
        font: Vec<PathBuf>,
        /// With --svg or --png: one scale for the closing balance of every scheme.
        #[arg(long, requires = "chart")]
        same_scale: bool,
        /// With --svg or --png: also simulate this base scenario and draw it in grey on the same
        /// axes (its p5–p95 outline, p50 and cumulative review risk). The report stays FILE's.
        #[arg(long, value_name = "BASE", requires = "chart")]
        against: Option<String>,
        #[command(flatten)]
        shards: ShardArgs,
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
        #[command(flatten)]
        output: OutputArgs,
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
        /// PATH,PATH,…: these --set paths vary together (their first values, then their
        /// second values, …) as one dimension of the product, instead of crossing.
        #[arg(long = "link", value_name = "PATH,PATH,…")]
        link: Vec<String>,
        /// Most combinations to run [default: 10000].
        #[arg(long, value_name = "N")]
        max_combinations: Option<u64>,
        /// Worker threads (default: one per core). The rows do not depend on it.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Write the rows to this file (as they finish, under a temporary name until the
        /// sweep is complete) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List the built-in policy presets: id, title, source document, effective dates.
    ///
    /// Example: medfund policies --format json
    Policies {
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Serve the scenario contract over HTTP: JSON in, the same JSON reports out, OpenAPI at /openapi.json.
    ///
    /// Runs until SIGTERM or Ctrl-C, then finishes the requests in flight. Logs one line per
    /// request on standard error (level from MEDFUND_LOG). See docs/service.md.
    /// Example: medfund serve --addr 127.0.0.1:8080
    Serve(ServeArgs),
}

/// `medfund serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub(crate) addr: std::net::SocketAddr,
    /// Largest request body [default: 64MiB]; larger is answered 413.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) max_body: Option<u64>,
    /// Computations at once [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) workers: Option<u16>,
    /// Requests that may wait for a worker [default: 256]; past it, 503.
    #[arg(long, value_name = "N")]
    pub(crate) queue: Option<usize>,
    /// Longest wait plus computation of one request, in seconds [default: 60]; past it, 503.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) request_timeout: Option<u64>,
    /// Longest time a request body may take to arrive, in seconds [default: 30]; past it, 408.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) body_timeout: Option<u64>,
    /// Largest answer of /v1/run [default: 256MiB]: a scenario whose report could be larger (its
    /// inline lists, more with explain=true) is answered 422 before it is computed.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) max_answer: Option<u64>,
    /// Bytes of request bodies held at once [default: --max-body × (workers + 1)]; a request waits
    /// for room for its body, in the queue, before the body is read.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) body_memory: Option<u64>,
    /// Connections open at once [default: 1024]; past it, further connections wait to be accepted.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_connections: Option<u32>,
    /// Longest time a connection may take to send a request's headers, in seconds [default: 10];
    /// also how long an idle keep-alive connection stays open.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) header_timeout: Option<u64>,
    /// Longest time the writing of an answer may make no progress, in seconds [default: 30]; past
    /// it, the client is disconnected.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) write_timeout: Option<u64>,
    /// Most unit-years one simulate request may compute (trials × years × units) [default: 20000000].
    #[arg(long, value_name = "N")]
    pub(crate) max_projection_work: Option<u64>,
    /// Largest estimated memory of one projection [default: 2GiB].
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub(crate) max_projection_memory: Option<u64>,
    /// Most units one unit correlation matrix may correlate (checking it costs units³) [default:
    /// 500].
    #[arg(long, value_name = "N")]
    pub(crate) max_correlated_units: Option<u64>,
    /// Most rows of trial paths one simulate/paths request may answer (trials × years × schemes)
    /// [default: 1000000].
    #[arg(long, value_name = "N")]
    pub(crate) max_path_rows: Option<u64>,
    /// Most combinations one sweep request may run [default: 1000].
    #[arg(long, value_name = "N")]
    pub(crate) max_combinations: Option<u64>,
    /// A font file (TTF, OTF or TTC) for the text of PNG charts, besides the machine's fonts and
    /// the bundled one (which has every character of the chart's words); repeatable. Read at
    /// start: a file that cannot be read stops the service.
    #[arg(long, value_name = "FILE")]
    pub(crate) font: Vec<PathBuf>,
    /// Log lines as text or JSON.
    #[arg(long, value_enum, default_value_t = LogFormatArg::Text)]
    pub(crate) log_format: LogFormatArg,
}

/// How the service writes its log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormatArg {
    /// key=value text.
    Text,
    /// One JSON object per line.
    Json,
}

impl ServeArgs {
    pub(crate) fn config(&self) -> medfund_server::Config {
        let mut c = medfund_server::Config::default();
        if let Some(v) = self.max_body {
            c.max_body = v;
        }
        if let Some(v) = self.workers {
            c.workers = usize::from(v);
        }
        if let Some(v) = self.queue {
            c.queue = v;
        }
        if let Some(v) = self.request_timeout {
            c.request_timeout = std::time::Duration::from_secs(v);
        }
        if let Some(v) = self.body_timeout {
            c.body_timeout = std::time::Duration::from_secs(v);
        }
        if let Some(v) = self.max_answer {
            c.max_answer = v;
        }
        c.body_memory = self.body_memory;
        if let Some(v) = self.max_connections {
            c.max_connections = usize::try_from(v).expect("invariant: u32 fits usize");
        }
        if let Some(v) = self.header_timeout {
            c.header_timeout = std::time::Duration::from_secs(v);
        }
        if let Some(v) = self.write_timeout {
            c.write_timeout = std::time::Duration::from_secs(v);
        }
        if let Some(v) = self.max_projection_work {
            c.limits.projection_work = v;
        }
        if let Some(v) = self.max_projection_memory {
            c.limits.projection_bytes = v;
        }
        if let Some(v) = self.max_correlated_units {
            c.limits.correlated_units = v;
        }
        if let Some(v) = self.max_path_rows {
            c.limits.path_rows = v;
        }
        if let Some(v) = self.max_combinations {
            c.limits.sweep_combinations = v;
        }
        c.chart.fonts.clone_from(&self.font);
        c
    }
}

/// `simulate` in shards of trials run apart (processes, machines), then
/// merged: the two-pass method of §8 "Many trials", pass by pass.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("shard_or_merge").args(["trials_from", "merge"]).multiple(false))]
pub(crate) struct ShardArgs {
    /// Run one shard: the trials from this one (trials are numbered from 0) of the pass
    /// (--plan, default the first), writing its outcome to --pass-out instead of a report.
    #[arg(long, value_name = "N", requires_all = ["trials_to", "pass_out"], conflicts_with_all = ["paths", "svg"])]
    pub(crate) trials_from: Option<u32>,
    /// With --trials-from: the end of the shard's trials, excluded.
    #[arg(long, value_name = "N", requires = "trials_from")]
    pub(crate) trials_to: Option<u32>,
    /// With --trials-from: the file the shard's outcome of the pass is written to.
    #[arg(long, value_name = "FILE", requires = "trials_from")]
    pub(crate) pass_out: Option<PathBuf>,
    /// The pass a shard runs or a merge completes: a plan file written by --merge … --plan-out
    /// (default: the first pass).
    #[arg(long, value_name = "FILE", requires = "shard_or_merge")]
    pub(crate) plan: Option<PathBuf>,
    /// Merge the --pass-out files of every shard of a pass (together every trial once): prints
    /// the projection like a whole run, or, when another pass is needed, writes its plan to
    /// --plan-out and prints nothing.
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "plan_out", conflicts_with = "paths")]
    pub(crate) merge: Vec<PathBuf>,
    /// With --merge: where the next pass's plan is written if another pass is needed.
    #[arg(long, value_name = "FILE", requires = "merge")]
    pub(crate) plan_out: Option<PathBuf>,
}
