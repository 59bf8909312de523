//! The command line: arguments to a library call to an exit status. `main.rs` only calls
//! [`main`]; tests call [`run`] with their own arguments and output buffers.

use std::ffi::OsString;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{BufferedStandardStream, ColorChoice, NoColor, StandardStream, WriteColor};

use crate::baseline::Baseline;
use crate::config::{self, Config, Overrides};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Scope;
use crate::render::{self, Format, Report};
use crate::rules;
use crate::suppress;
use crate::typecheck;
use crate::workspace;

/// Exit status: success, problems found, or uplint could not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success = 0,
    Failure = 1,
    Error = 2,
}

#[derive(Parser, Debug)]
#[command(name = "uplint", version, about = "Static analysis of Azure Data Explorer (Kusto) update policies")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check the update policies of a project; exit 1 when an error is found.
    Check(Box<CheckArgs>),
    /// Print the documentation of a rule or any code uplint prints, or list them with `--all`.
    Rule(RuleArgs),
    /// Print what each query references and reads.
    Refs(RefsArgs),
    /// Print the model the scripts describe: databases, tables, functions, policies, grants.
    Model(ModelArgs),
    /// Print the configuration in effect, with where each value comes from.
    Config(ConfigArgs),
    /// Run the language server on standard input and output (for editors).
    Server,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the output schema uplint infers for the update policy entry or the stored function
    /// at `PATH:LINE`, or for a stored function named `FUNCTION`.
    Schema(SchemaArgs),
}

#[derive(clap::Args, Debug)]
struct SchemaArgs {
    /// `PATH:LINE` of an update policy entry or a function definition, or a function's name.
    #[arg(value_name = "PATH:LINE|FUNCTION")]
    target: String,
    #[command(flatten)]
    inputs: Inputs,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Files and directories to read; `-` reads standard input. When files are named, the whole
    /// project they belong to is loaded and the diagnostics that touch them are reported.
    #[command(flatten)]
    inputs: Inputs,
    /// Output format; repeatable, each optionally followed by `--output-file PATH`
    /// (default: `human`, or `github` and `human` when GITHUB_ACTIONS=true).
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    formats: Vec<Format>,
    /// Write the report of the `--format` before this option to PATH instead of standard
    /// output (written on a clean run too); repeatable.
    #[arg(long = "output-file", value_name = "PATH")]
    output_files: Vec<PathBuf>,
    /// When to use colours in human output (`auto` follows NO_COLOR, FORCE_COLOR and
    /// CLICOLOR_FORCE, then whether the output is a terminal).
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// The lowest severity that makes the exit status 1 (overrides `fail-on`; default `error`).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,
    /// Report only these rules: codes, names or code prefixes (`UP0`, `ALL`), comma-separated
    /// or repeated (overrides `select` of `[rules]`).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    select: Option<Vec<String>>,
    /// Also report these rules (added to `select` of `[rules]`, or to `--select`).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    extend_select: Vec<String>,
    /// Do not report these rules (added to `ignore` of `[rules]`).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Exit with 0 even when diagnostics are found (2 still means uplint could not run).
    #[arg(long)]
    exit_zero: bool,
    /// Print how many diagnostics each code has instead of the diagnostics (human output).
    #[arg(long)]
    statistics: bool,
    /// Only the files named: do not load the rest of their project.
    #[arg(long)]
    no_project: bool,
    /// Lint standard input (`-`) as the contents of PATH, in PATH's project.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Hide the findings recorded in FILE (see --write-baseline); report only new ones.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    baseline: Option<PathBuf>,
    /// Record the current findings in FILE and exit with 0.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Make the safe fixes of the diagnostics found in the files (a string boolean written as
    /// the boolean, a runbook's Kusto block labelled), then check again and report what remains.
    #[arg(long)]
    fix: bool,
    /// Print the safe fixes as a unified diff instead of making them or reporting; exit with 1
    /// when there is one.
    #[arg(long)]
    diff: bool,
    /// A principal that holds the AllDatabasesViewer or AllDatabasesAdmin cluster role
    /// (`aadapp=<object id>[;tenant]` or an object id); repeatable.
    #[arg(long = "all-databases-viewer", value_name = "PRINCIPAL")]
    all_databases_viewers: Vec<String>,
    /// The object id of the cluster's system-assigned identity, to check its grants (every
    /// cluster; overrides `system-identity` of `[[clusters]]`).
    #[arg(long, value_name = "OBJECT_ID")]
    system_identity: Option<String>,
    /// Where each report goes, paired from `--format` and `--output-file` (set after parsing).
    #[arg(skip)]
    targets: Vec<(Format, Option<PathBuf>)>,
}

/// `--fail-on`: the lowest severity that fails the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

/// True when a diagnostic of `severity` fails a run whose failing level is `fail_on`.
fn fails(fail_on: Severity, severity: Severity) -> bool {
    severity <= fail_on
}

#[derive(clap::Args, Debug)]
struct ConfigArgs {
    #[command(flatten)]
    inputs: Inputs,
}

#[derive(clap::Args, Debug)]
struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
struct RuleArgs {
    /// A code (`UP001`, `UP901`) or name (`cross-database-without-identity`).
    #[arg(required_unless_present = "all")]
    rule: Option<String>,
    /// List every code: the rules, then the codes uplint raises itself.
    #[arg(long, conflicts_with = "rule")]
    all: bool,
}

#[derive(clap::Args, Debug)]
struct ModelArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ModelFormat::Json)]
    format: ModelFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModelFormat {
    Json,
}

#[derive(clap::Args, Debug)]
struct RefsArgs {
    #[command(flatten)]
    inputs: Inputs,
    #[command(flatten)]
    output: Output,
}

/// What to read, and the configuration.
#[derive(clap::Args, Debug)]
struct Inputs {
    /// Files and directories to read (directories are searched for .kql, .csl and .kusto files).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// The configuration file (default: the nearest `uplint.toml` above the first path, else
    /// above the working directory).
    #[arg(long, value_name = "PATH", conflicts_with = "isolated")]
    config: Option<PathBuf>,
    /// Read no configuration file.
    #[arg(long)]
    isolated: bool,
    /// Apply `exclude` to files and folders named on the command line too.
    #[arg(long)]
    force_exclude: bool,
    /// The database of files that nothing else maps (overrides `default-database`).
    #[arg(long, value_name = "NAME")]
    default_database: Option<String>,
    /// Files larger than this many bytes are reported, not read (overrides `max-file-size`).
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
    /// How many threads read and parse files (overrides `threads`; default: one per available
    /// core; 1 runs everything on one thread). The output does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

impl Inputs {
    /// The paths, made absolute against `cwd`.
    fn absolute(&self, cwd: &Path) -> Vec<PathBuf> {
        self.paths.iter().map(|p| if p.is_absolute() { p.clone() } else { cwd.join(p) }).collect()
    }

    /// The configuration in effect for these inputs, with `overrides` and the flags applied.
    fn config(&self, cwd: &Path, overrides: Overrides) -> Result<Config, String> {
        self.config_for(&self.absolute(cwd), cwd, overrides)
    }

    /// As [`Inputs::config`], searching from `paths` (already absolute) instead of the inputs.
    fn config_for(&self, paths: &[PathBuf], cwd: &Path, mut overrides: Overrides) -> Result<Config, String> {
        let source = match (&self.config, self.isolated) {
            (_, true) => config::Source::Isolated,
            (Some(path), _) => config::Source::Path(path.clone()),
            (None, false) => config::Source::Search,
        };
        overrides.default_database = self.default_database.clone();
        overrides.max_file_size = self.max_file_size;
        overrides.threads = self.threads;
        config::load(&source, paths, cwd, &overrides).map_err(|e| e.to_string())
    }

    /// Reads the workspace these inputs name under `config`.
    fn load(&self, cwd: &Path, config: &Config) -> Result<workspace::Workspace, String> {
        let (paths, mut options) = (self.absolute(cwd), config.load_options(self.force_exclude));
        // Checked once: the model takes what it holds of the scripts' commands.
        options.one_shot = true;
        in_pool(config.threads, || workspace::load(&paths, cwd, &options)).map_err(|e| e.to_string())
    }
}

/// How to write.
#[derive(clap::Args, Debug)]
struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RefsFormat::Human)]
    format: RefsFormat,
    /// When to use colours in human output (`auto` follows NO_COLOR, FORCE_COLOR and
    /// CLICOLOR_FORCE, then whether the output is a terminal).
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum RefsFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// What a run reads from its process besides arguments: environment variables and standard
/// input. Tests give their own.
pub struct Env<'a> {
    /// An environment variable's value.
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// Standard input, read only for `-`.
    pub stdin: &'a mut dyn Read,
}

/// Set by [`main`]: the process ends right after the command, so the command leaves its large
/// structures (files, scripts, model, units, diagnostics) to the operating system instead of
/// freeing them piece by piece. [`run`] (tests, other callers) frees them as usual.
static PROCESS_ENDS_AFTER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Drops `value`, or leaks it when the process ends after the command (see [`main`]).
fn dispose<T>(value: T) {
    if PROCESS_ENDS_AFTER.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
    }
}

/// Runs uplint as the `uplint` binary does, on the process's arguments and terminal. The
/// memory of the loaded project is not freed: the process ends right after.
pub fn main() -> std::process::ExitCode {
    PROCESS_ENDS_AFTER.store(true, std::sync::atomic::Ordering::Relaxed);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let var = |name: &str| std::env::var(name).ok();
    let parsed = parse(std::env::args_os(), &var);
    let color = color_choice(parsed.as_ref().ok(), &var, std::io::stdout().is_terminal());
    // One buffer over standard output: a report is many small writes, and a system call for
    // each made large outputs slow.
    let mut stdout = BufferedStandardStream::stdout(color);
    let mut stderr = StandardStream::stderr(color);
    let mut stdin = std::io::stdin();
    let mut env = Env { var: &var, stdin: &mut stdin };
    let mut status = match parsed {
        Ok(cli) => execute(cli, &cwd, &mut env, &mut stdout, &mut stderr),
        Err(error) => usage_error(error, &mut stdout, &mut stderr),
    };
    if let Err(e) = std::io::Write::flush(&mut stdout) {
        // A closed pipe (`uplint check | head`) ends quietly, as it does while writing.
        // (A run that already failed to write has said so.)
        if e.kind() != std::io::ErrorKind::BrokenPipe && status != Status::Error {
            let _ =
                std::io::Write::write_fmt(&mut stderr, format_args!("uplint: error: cannot write the output: {e}\n"));
            status = Status::Error;
        }
    }
    std::process::ExitCode::from(status as u8)
}

/// Builds the pool of a check's `threads` threads, each thread's heap of the C allocator
/// (glibc) set up in one step: 48 MiB of address space made usable at once (`M_TOP_PAD` while
/// the threads start and make their heaps, then glibc's default again). By default the heap of
/// a thread other than the main one grows a few pages at a time with an `mprotect` call each: a
/// corpus check of 11.6 MB made about 9,000 of them, 5% of its processor time. Only address
/// space is reserved: pages become memory when they are written, and the heaps give memory
/// back as before (with the pad left at 64 MiB they kept up to that much: 500,000 tiny queries
/// took 48 MB instead of 44). The pad stays below the 64 MiB a thread's heap can hold at most:
/// with a pad of 64 MiB, 1,000,000 tiny queries took 94 MB instead of 81 (over the 3 x input +
/// 50 MiB goal), while 48 MiB still makes the corpus check's 11 `mprotect` calls (24 MiB: 245).
fn check_pool(threads: usize) -> Option<rayon::ThreadPool> {
    let build = || rayon::ThreadPoolBuilder::new().num_threads(threads).build().ok();
    if PROCESS_ENDS_AFTER.load(std::sync::atomic::Ordering::Relaxed) {
        crate::heap::keep_freed_blocks();
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if PROCESS_ENDS_AFTER.load(std::sync::atomic::Ordering::Relaxed) {
        const SETUP_PAD: libc::c_int = 48 << 20;
        /// glibc's default (`man mallopt`).
        const DEFAULT_PAD: libc::c_int = 128 << 10;
        // SAFETY: `mallopt` only changes a setting of glibc's allocator, under its lock.
        unsafe { libc::mallopt(libc::M_TOP_PAD, SETUP_PAD) };
        let pool = build();
        // A thread's first allocation makes its heap.
        if let Some(pool) = &pool {
            pool.broadcast(|_| drop(std::hint::black_box(vec![0u8; 1])));
        }
        // SAFETY: as above.
        unsafe { libc::mallopt(libc::M_TOP_PAD, DEFAULT_PAD) };
        return pool;
    }
    build()
}

/// Runs `work` on a pool of `threads` threads (0: one per available core), where the
/// library's parallel stages run; with 1, everything runs on one thread.
fn in_pool<R: Send>(threads: usize, work: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(work),
        // No thread could be started: the current thread does the work.
        Err(_) => work(),
    }
}

/// Whether a colour variable is set: non-empty (no-color.org), and for the forcing ones not `0`.
fn flag_var(var: &dyn Fn(&str) -> Option<String>, name: &str, forcing: bool) -> bool {
    var(name).is_some_and(|v| !v.is_empty() && !(forcing && (v == "0" || v.eq_ignore_ascii_case("false"))))
}

/// The colour choice for the process's own terminal: `--color`, else `NO_COLOR` (when not
/// empty), else `FORCE_COLOR`/`CLICOLOR_FORCE`, else whether standard output is a terminal.
fn color_choice(cli: Option<&Cli>, var: &dyn Fn(&str) -> Option<String>, terminal: bool) -> ColorChoice {
    let when = cli.and_then(|cli| match &cli.command {
        Command::Check(args) => Some(args.color),
        Command::Refs(args) => Some(args.output.color),
        Command::Rule(_)
        | Command::Model(_)
        | Command::Config(_)
        | Command::Server
        | Command::Schema(_)
        | Command::Completions(_) => None,
    });
    match when {
        Some(ColorWhen::Always) => ColorChoice::Always,
        Some(ColorWhen::Never) => ColorChoice::Never,
        _ if flag_var(var, "NO_COLOR", false) => ColorChoice::Never,
        _ if flag_var(var, "FORCE_COLOR", true) || flag_var(var, "CLICOLOR_FORCE", true) => ColorChoice::Always,
        _ if terminal => ColorChoice::Auto,
        _ => ColorChoice::Never,
    }
}

/// Parses the arguments, and pairs `check`'s `--format`s with their `--output-file`s (a file
/// belongs to the format given before it).
fn parse(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Cli, clap::Error> {
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let (Command::Check(args), Some(("check", sub))) = (&mut cli.command, matches.subcommand()) {
        let formats: Vec<usize> = sub.indices_of("formats").map(Iterator::collect).unwrap_or_default();
        let files: Vec<usize> = sub.indices_of("output_files").map(Iterator::collect).unwrap_or_default();
        let mut targets: Vec<(usize, Format, Option<PathBuf>)> =
            formats.iter().zip(&args.formats).map(|(&i, &f)| (i, f, None)).collect();
        for (&at, file) in files.iter().zip(&args.output_files) {
            let owner = targets.iter_mut().rev().find(|(i, _, _)| *i < at);
            match owner {
                Some((_, _, slot @ None)) => *slot = Some(file.clone()),
                Some((_, format, Some(_))) => {
                    return Err(Cli::command().error(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!("`--format {}` has two output files", format_name(*format)),
                    ));
                }
                None => {
                    return Err(Cli::command().error(
                        clap::error::ErrorKind::MissingRequiredArgument,
                        format!("`--output-file {}` needs a `--format` before it", file.display()),
                    ));
                }
            }
        }
        args.targets = targets.into_iter().map(|(_, f, p)| (f, p)).collect();
        if args.targets.is_empty() {
            args.targets = if var("GITHUB_ACTIONS").as_deref() == Some("true") {
                vec![(Format::Github, None), (Format::Human, None)]
            } else {
                vec![(Format::Human, None)]
            };
        }
    }
    Ok(cli)
}

fn format_name(format: Format) -> String {
    format.to_possible_value().map_or_else(String::new, |v| v.get_name().to_string())
}

/// Runs uplint with `args` (the first is the program name), paths relative to `cwd`, with no
/// environment variables and an empty standard input.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    cwd: &Path,
    stdout: &mut dyn WriteColor,
    stderr: &mut dyn WriteColor,
) -> Status {
    let mut stdin = std::io::empty();
    run_in(args, cwd, &mut Env { var: &|_| None, stdin: &mut stdin }, stdout, stderr)
}

/// As [`run`], with the environment variables and standard input of `env`.
pub fn run_in(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    cwd: &Path,
    env: &mut Env<'_>,
    stdout: &mut dyn WriteColor,
    stderr: &mut dyn WriteColor,
) -> Status {
    match parse(args, env.var) {
        Ok(cli) => execute(cli, cwd, env, stdout, stderr),
        Err(error) => usage_error(error, stdout, stderr),
    }
}

/// Prints clap's message: help and version on standard output, errors on standard error.
fn usage_error(error: clap::Error, stdout: &mut dyn WriteColor, stderr: &mut dyn WriteColor) -> Status {
    let is_error = error.use_stderr();
    let out: &mut dyn WriteColor = if is_error { stderr } else { stdout };
    let _ = write!(out, "{}", error.render());
    if is_error { Status::Error } else { Status::Success }
}

/// Why a command stopped early.
enum Stop {
    /// Standard output was closed (`uplint check | head`): end quietly with this status.
    Closed(Status),
    /// uplint could not run.
    Error(String),
}

/// An output error: a closed pipe ends the run quietly, anything else is an error.
fn output_error(status: Status) -> impl Fn(std::io::Error) -> Stop {
    move |e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Stop::Closed(status)
        } else {
            Stop::Error(format!("cannot write the output: {e}"))
        }
    }
}

impl From<String> for Stop {
    fn from(message: String) -> Stop {
        Stop::Error(message)
    }
}

fn execute(
    cli: Cli,
    cwd: &Path,
    env: &mut Env<'_>,
    stdout: &mut dyn WriteColor,
    stderr: &mut dyn WriteColor,
) -> Status {
    let result = match cli.command {
        Command::Check(args) => check(&args, cwd, env, stdout, stderr),
        Command::Rule(args) => rule(&args, stdout),
        Command::Refs(args) => refs(&args, cwd, stdout),
        Command::Model(args) => model(&args, cwd, stdout),
        Command::Config(args) => show_config(&args, cwd, stdout),
        Command::Server => crate::server::run_stdio().map(|()| Status::Success).map_err(Stop::Error),
        Command::Completions(args) => {
            clap_complete::generate(args.shell, &mut Cli::command(), "uplint", stdout);
            Ok(Status::Success)
        }
        Command::Schema(args) => schema(&args, cwd, stdout),
    };
    match result {
        Ok(status) | Err(Stop::Closed(status)) => status,
        Err(Stop::Error(message)) => {
            let _ = writeln!(stderr, "uplint: error: {message}");
            Status::Error
        }
    }
}

fn refs(args: &RefsArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, Stop> {
    let config = args.inputs.config(cwd, Overrides::default())?;
    let workspace = args.inputs.load(cwd, &config)?;
    match args.output.format {
        RefsFormat::Json => render::refs::write_json(stdout, &workspace),
        RefsFormat::Human => render::refs::write_human(stdout, &workspace),
    }
    .map_err(output_error(Status::Success))?;
    dispose(workspace);
    Ok(Status::Success)
}

fn model(args: &ModelArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, Stop> {
    let config = args.inputs.config(cwd, Overrides::default())?;
    let workspace = args.inputs.load(cwd, &config)?;
    match args.format {
        ModelFormat::Json => render::model::write_json(stdout, &workspace, &typecheck::check(&workspace)),
    }
    .map_err(output_error(Status::Success))?;
    dispose(workspace);
    Ok(Status::Success)
}

fn schema(args: &SchemaArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, Stop> {
    let config = args.inputs.config(cwd, Overrides::default())?;
    let workspace = args.inputs.load(cwd, &config)?;
    let found = typecheck::locate(&workspace, &args.target)
        .ok_or_else(|| format!("no update policy entry or function at `{}`", args.target))?;
    let output = typecheck::unit_output(&workspace, found.unit);
    render::schema::write_human(stdout, &workspace, &found, output.as_ref()).map_err(output_error(Status::Success))?;
    Ok(Status::Success)
}

fn show_config(args: &ConfigArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, Stop> {
    let config = args.inputs.config(cwd, Overrides::default())?;
    write!(stdout, "{}", config.describe()).map_err(output_error(Status::Success))?;
    Ok(Status::Success)
}

fn check(
    args: &CheckArgs,
    cwd: &Path,
    env: &mut Env<'_>,
    stdout: &mut dyn WriteColor,
    stderr: &mut dyn WriteColor,
) -> Result<Status, Stop> {
    if args.fix && !args.diff && args.inputs.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(Stop::Error("`--fix` writes files: it cannot fix standard input".to_string()));
    }
    let fixing = Fixing { fix: args.fix, ..Fixing::default() };
    check_fixing(args, fixing, cwd, env, stdout, stderr)
}

/// The rounds of `check --fix` at most: a fix can uncover another (a block labelled `kusto` is
/// read, and its string booleans found), so the files are checked and fixed again until nothing
/// is left to fix; a last check reports.
const FIX_ROUNDS: usize = 10;

/// What `check --fix` made so far.
#[derive(Default)]
struct Fixing {
    /// Whether this round makes the fixes it finds.
    fix: bool,
    fixes: usize,
    files: std::collections::BTreeSet<PathBuf>,
    rounds: usize,
}

/// [`check`], making the safe fixes found first while `fixing.fix` (then checking again).
fn check_fixing(
    args: &CheckArgs,
    mut fixing: Fixing,
    cwd: &Path,
    env: &mut Env<'_>,
    stdout: &mut dyn WriteColor,
    stderr: &mut dyn WriteColor,
) -> Result<Status, Stop> {
    let absolute = |p: &Path| crate::project::normalize(&if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) });
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut overrides: Vec<(PathBuf, String)> = Vec::new();
    for path in &args.inputs.paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            env.stdin.read_to_string(&mut text).map_err(|e| format!("cannot read standard input: {e}"))?;
            let name = args.stdin_filename.as_deref().map_or_else(|| cwd.join("-"), absolute);
            paths.push(name.clone());
            overrides.push((name, text));
        } else {
            paths.push(absolute(path));
        }
    }
    if args.stdin_filename.is_some() && overrides.is_empty() {
        return Err(Stop::Error("`--stdin-filename` needs `-` among the paths".to_string()));
    }
    let config_overrides = Overrides {
        system_identity: args.system_identity.clone(),
        all_databases_viewers: args.all_databases_viewers.clone(),
        fail_on: args.fail_on.map(FailOn::severity),
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
        ..Overrides::default()
    };
    if let Some((flag, unknown)) = config_overrides.unknown_rule() {
        return Err(Stop::Error(format!("`{flag}`: no rule `{unknown}` (see `uplint rule --all`)")));
    }
    let config = args.inputs.config_for(&paths, cwd, config_overrides)?;
    // Named files are checked in their whole project: the configuration's folder, else the
    // repository root, else their common folder.
    let scope =
        if args.no_project { None } else { Scope::of(&paths, config.path.as_ref().map(|_| config.root.as_path())) };
    let mut load_paths = paths.clone();
    if let Some(scope) = &scope {
        load_paths.insert(0, scope.root.clone());
    }
    let mut options = config.load_options(args.inputs.force_exclude);
    // Checked once: the model takes what it holds of the scripts' commands.
    options.one_shot = true;
    // One pool for the run: loading and checking, then rendering.
    let pool = check_pool(config.threads);
    let work = || {
        let workspace = workspace::load_with(&load_paths, &overrides, cwd, &options)?;
        let checked = crate::check::run(&workspace, &config.settings);
        Ok::<_, workspace::LoadError>((workspace, checked))
    };
    // No thread could be started: the current thread does the work.
    let (workspace, checked) = match &pool {
        Some(pool) => pool.install(work),
        None => work(),
    }
    .map_err(|e| e.to_string())?;
    let codes = rules::catalog();
    let all_policies = checked.policies();
    let found = checked.diagnostics;
    let found = suppress::apply(
        &workspace,
        found,
        &codes,
        suppress::Options { require_reason: config.require_suppression_reason },
    );
    let mut diagnostics = crate::filter::apply(&config.rules, &workspace.sources, found);
    let mut files = workspace.sources.len();
    let mut policies = all_policies;
    if let Some(scope) = &scope {
        diagnostics = scope.filter(&workspace.sources, diagnostics);
        files = workspace.sources.files().filter(|(_, f)| scope.contains(&f.path)).count();
        // The policies of the files named, as the files and diagnostics are.
        let named =
            checked.policies_by_file.iter().filter(|(file, _)| scope.contains(&workspace.sources.get(*file).path));
        policies = crate::check::PolicyCounts::sum(named.map(|(_, counts)| counts));
        if files == 0 {
            // Every file named was excluded (`--force-exclude`): as without the project.
            return Err(Stop::Error(workspace::LoadError::NoInput.to_string()));
        }
    }
    // Only the files named are changed (a pre-commit hook names the files it lets change).
    let named =
        |d: &&Diagnostic| scope.as_ref().is_none_or(|s| s.contains(&workspace.sources.get(d.primary.file).path));
    if args.diff {
        let diff = crate::fix::diff(&workspace.sources, diagnostics.iter().filter(named));
        let status = if diff.is_empty() { Status::Success } else { Status::Failure };
        stdout.write_all(diff.as_bytes()).and_then(|()| stdout.flush()).map_err(output_error(status))?;
        dispose((workspace, diagnostics));
        return Ok(status);
    }
    if fixing.fix {
        let applied = crate::fix::write(&workspace.sources, diagnostics.iter().filter(named));
        for (path, why) in &applied.skipped {
            let _ = writeln!(stderr, "uplint: {} was not fixed: {why}", path.display());
        }
        if applied.fixes > 0 {
            fixing.fixes += applied.fixes;
            fixing.files.extend(applied.files);
            fixing.rounds += 1;
            fixing.fix = fixing.rounds < FIX_ROUNDS;
            dispose((workspace, diagnostics));
            return check_fixing(args, fixing, cwd, env, stdout, stderr);
        }
    }
    if fixing.fixes > 0 {
        let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
        let (fixes, files) = (plural(fixing.fixes, "problem", "problems"), plural(fixing.files.len(), "file", "files"));
        let _ = writeln!(stderr, "uplint: fixed {fixes} in {files}");
    }
    if let Some(path) = &args.write_baseline {
        let baseline = Baseline::of(&workspace, &diagnostics);
        std::fs::write(absolute(path), baseline.to_json())
            .map_err(|e| format!("cannot write the baseline {}: {e}", path.display()))?;
        let _ = writeln!(
            stderr,
            "uplint: recorded {} findings in {}",
            baseline.entries.iter().map(|e| e.count).sum::<usize>(),
            path.display()
        );
    }
    if let Some(path) = &args.baseline {
        let text = std::fs::read_to_string(absolute(path))
            .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
        let baseline = Baseline::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let filtered = baseline.filter(&workspace, diagnostics);
        diagnostics = filtered.diagnostics;
        if filtered.hidden > 0 || filtered.gone > 0 {
            let _ = writeln!(
                stderr,
                "uplint: {} known findings hidden by the baseline; {} baseline entries no longer occur{}",
                filtered.hidden,
                filtered.gone,
                if filtered.gone > 0 { " (refresh it with --write-baseline)" } else { "" }
            );
        }
    }
    let failed = diagnostics.iter().any(|d| fails(config.fail_on, d.severity));
    let status =
        if failed && !args.exit_zero && args.write_baseline.is_none() { Status::Failure } else { Status::Success };
    let report = Report { sources: &workspace.sources, diagnostics: &diagnostics, codes: &codes, files, policies };
    let mut closed = false;
    for (format, file) in &args.targets {
        match file {
            Some(path) => {
                let mut buffer = NoColor::new(Vec::new());
                render::write_in(pool.as_ref(), *format, &mut buffer, &report).map_err(output_error(status))?;
                std::fs::write(absolute(path), buffer.into_inner())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            None if closed => {}
            None => {
                let written = if args.statistics && *format == Format::Human {
                    render::human::write_statistics(stdout, &report)
                } else {
                    render::write_in(pool.as_ref(), *format, stdout, &report)
                };
                match written.map_err(output_error(status)) {
                    Ok(()) => {}
                    Err(Stop::Closed(_)) => closed = true,
                    Err(error) => return Err(error),
                }
            }
        }
    }
    if !closed {
        stdout.flush().map_err(output_error(status))?;
    }
    dispose((workspace, diagnostics));
    Ok(status)
}

fn rule(args: &RuleArgs, stdout: &mut dyn WriteColor) -> Result<Status, Stop> {
    let written = if args.all {
        rules::all_codes().try_for_each(|meta| {
            writeln!(stdout, "{}  {:<8} {:<38} {}", meta.code, meta.severity.as_str(), meta.name, meta.summary)
        })
    } else {
        let wanted = args.rule.as_deref().unwrap_or_default();
        let meta = rules::find_code(wanted).ok_or_else(|| format!("no rule `{wanted}` (see `uplint rule --all`)"))?;
        write!(stdout, "{}", meta.doc)
    };
    written.map_err(output_error(Status::Success))?;
    Ok(Status::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn colour_follows_flags_then_no_color_then_force_then_terminal() {
        let auto = |pairs, terminal| color_choice(None, &env(pairs), terminal);
        assert_eq!(auto(&[], false), ColorChoice::Never);
        assert_eq!(auto(&[], true), ColorChoice::Auto);
        assert_eq!(auto(&[("NO_COLOR", "")], true), ColorChoice::Auto, "an empty NO_COLOR counts for nothing");
        assert_eq!(auto(&[("NO_COLOR", "1")], true), ColorChoice::Never);
        assert_eq!(auto(&[("FORCE_COLOR", "1")], false), ColorChoice::Always);
        assert_eq!(auto(&[("CLICOLOR_FORCE", "1")], false), ColorChoice::Always);
        assert_eq!(auto(&[("FORCE_COLOR", "0")], false), ColorChoice::Never);
        assert_eq!(auto(&[("FORCE_COLOR", "")], false), ColorChoice::Never);
        assert_eq!(auto(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")], false), ColorChoice::Never);
        let cli = parse(["uplint", "check", "--color", "always"], &env(&[])).unwrap();
        assert_eq!(color_choice(Some(&cli), &env(&[("NO_COLOR", "1")]), false), ColorChoice::Always);
    }

    #[test]
    fn formats_pair_with_the_output_file_after_them() {
        let targets = |args: &[&str], vars| match parse(args.iter().copied(), &env(vars)).map(|c| c.command) {
            Ok(Command::Check(check)) => Ok(check.targets),
            Ok(_) => unreachable!(),
            Err(e) => Err(e.kind()),
        };
        let none: &[(&str, &str)] = &[];
        assert_eq!(targets(&["uplint", "check"], none), Ok(vec![(Format::Human, None)]));
        assert_eq!(
            targets(&["uplint", "check"], &[("GITHUB_ACTIONS", "true")]),
            Ok(vec![(Format::Github, None), (Format::Human, None)])
        );
        assert_eq!(
            targets(&["uplint", "check", "--format", "json"], &[("GITHUB_ACTIONS", "true")]),
            Ok(vec![(Format::Json, None)])
        );
        assert_eq!(
            targets(&["uplint", "check", "--format", "human", "--format", "sarif", "--output-file", "u.sarif"], none),
            Ok(vec![(Format::Human, None), (Format::Sarif, Some(PathBuf::from("u.sarif")))])
        );
        assert_eq!(
            targets(&["uplint", "check", "--output-file", "x", "--format", "json"], none),
            Err(clap::error::ErrorKind::MissingRequiredArgument)
        );
        assert_eq!(
            targets(&["uplint", "check", "--format", "json", "--output-file", "a", "--output-file", "b"], none),
            Err(clap::error::ErrorKind::ArgumentConflict)
        );
    }

    #[test]
    fn fail_on_orders_severities() {
        let fails_on = |f: FailOn, s| fails(f.severity(), s);
        assert!(fails_on(FailOn::Error, Severity::Error));
        assert!(!fails_on(FailOn::Error, Severity::Warning));
        assert!(fails_on(FailOn::Warning, Severity::Warning));
        assert!(!fails_on(FailOn::Warning, Severity::Info));
        assert!(fails_on(FailOn::Info, Severity::Info));
    }
}
