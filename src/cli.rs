//! The command line: arguments to a library call to an exit status. `main.rs` only calls
//! [`main`]; tests call [`run`] with their own arguments and output buffers.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream, WriteColor};

use crate::diagnostic::Severity;
use crate::render;
use crate::rules::{self, Settings};
use crate::workspace::{self, LoadOptions};

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
    Check(CheckArgs),
    /// Print the documentation of a rule or any code uplint prints, or list them with `--all`.
    Rule(RuleArgs),
    /// Print what each query references and reads.
    Refs(RefsArgs),
    /// Print the model the scripts describe: databases, tables, functions, policies, grants.
    Model(ModelArgs),
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    inputs: Inputs,
    #[command(flatten)]
    output: Output,
    /// A principal that holds the AllDatabasesViewer or AllDatabasesAdmin cluster role
    /// (`aadapp=<object id>[;tenant]` or an object id); repeatable.
    #[arg(long = "all-databases-viewer", value_name = "PRINCIPAL")]
    all_databases_viewers: Vec<String>,
    /// The object id of the cluster's system-assigned identity, to check its grants.
    #[arg(long, value_name = "OBJECT_ID")]
    system_identity: Option<String>,
    /// The database of commands that name none and follow no `#connect`.
    #[arg(long, value_name = "NAME", default_value = "default")]
    default_database: String,
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

/// What to read.
#[derive(clap::Args, Debug)]
struct Inputs {
    /// Files and directories to read (directories are searched for .kql, .csl and .kusto files).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
}

impl Inputs {
    /// The paths, made absolute against `cwd`.
    fn absolute(&self, cwd: &Path) -> Vec<PathBuf> {
        self.paths.iter().map(|p| if p.is_absolute() { p.clone() } else { cwd.join(p) }).collect()
    }
}

/// How to write.
#[derive(clap::Args, Debug)]
struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to use colours in human output (`NO_COLOR` turns them off in `auto`).
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Runs uplint as the `uplint` binary does, on the process's arguments and terminal.
pub fn main() -> std::process::ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let parsed = Cli::try_parse_from(std::env::args_os());
    let color = color_choice(parsed.as_ref().ok());
    let mut stdout = StandardStream::stdout(color);
    let mut stderr = StandardStream::stderr(color);
    let status = match parsed {
        Ok(cli) => execute(cli, &cwd, &mut stdout, &mut stderr),
        Err(error) => usage_error(error, &mut stdout, &mut stderr),
    };
    std::process::ExitCode::from(status as u8)
}

/// The colour choice for the process's own terminal: `--color`, else `NO_COLOR`, else whether
/// standard output is a terminal.
fn color_choice(cli: Option<&Cli>) -> ColorChoice {
    let when = cli.and_then(|cli| match &cli.command {
        Command::Check(args) => Some(args.output.color),
        Command::Refs(args) => Some(args.output.color),
        Command::Rule(_) | Command::Model(_) => None,
    });
    match when {
        Some(ColorWhen::Always) => ColorChoice::Always,
        Some(ColorWhen::Never) => ColorChoice::Never,
        _ if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => ColorChoice::Never,
        _ if std::io::stdout().is_terminal() => ColorChoice::Auto,
        _ => ColorChoice::Never,
    }
}

/// Runs uplint with `args` (the first is the program name), paths relative to `cwd`.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    cwd: &Path,
    stdout: &mut dyn WriteColor,
    stderr: &mut dyn WriteColor,
) -> Status {
    match Cli::try_parse_from(args) {
        Ok(cli) => execute(cli, cwd, stdout, stderr),
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

fn execute(cli: Cli, cwd: &Path, stdout: &mut dyn WriteColor, stderr: &mut dyn WriteColor) -> Status {
    let result = match cli.command {
        Command::Check(args) => check(&args, cwd, stdout),
        Command::Rule(args) => rule(&args, stdout),
        Command::Refs(args) => refs(&args, cwd, stdout),
        Command::Model(args) => model(&args, cwd, stdout),
    };
    match result {
        Ok(status) => status,
        Err(message) => {
            let _ = writeln!(stderr, "uplint: error: {message}");
            Status::Error
        }
    }
}

fn refs(args: &RefsArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, String> {
    let workspace =
        workspace::load(&args.inputs.absolute(cwd), cwd, &LoadOptions::default()).map_err(|e| e.to_string())?;
    let written = match args.output.format {
        Format::Json => render::refs::write_json(stdout, &workspace),
        Format::Human => render::refs::write_human(stdout, &workspace),
    };
    written.map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(Status::Success)
}

fn model(args: &ModelArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, String> {
    let workspace =
        workspace::load(&args.inputs.absolute(cwd), cwd, &LoadOptions::default()).map_err(|e| e.to_string())?;
    match args.format {
        ModelFormat::Json => render::model::write_json(stdout, &workspace),
    }
    .map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(Status::Success)
}

fn check(args: &CheckArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, String> {
    let options = LoadOptions {
        model: crate::model::BuildOptions { default_database: args.default_database.clone() },
        ..LoadOptions::default()
    };
    let workspace = workspace::load(&args.inputs.absolute(cwd), cwd, &options).map_err(|e| e.to_string())?;
    let settings = Settings {
        all_databases_viewers: args.all_databases_viewers.iter().map(|p| Settings::parse_principal(p)).collect(),
        system_identity: args.system_identity.clone(),
    };
    let diagnostics = crate::check::check(&workspace, &settings);
    match args.output.format {
        Format::Json => render::check::write_json(stdout, &workspace, &diagnostics),
        Format::Human => render::check::write_human(stdout, &workspace, &diagnostics),
    }
    .map_err(|e| format!("cannot write the output: {e}"))?;
    let failed = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Ok(if failed { Status::Failure } else { Status::Success })
}

fn rule(args: &RuleArgs, stdout: &mut dyn WriteColor) -> Result<Status, String> {
    let written = if args.all {
        rules::all_codes().try_for_each(|meta| {
            writeln!(stdout, "{}  {:<8} {:<38} {}", meta.code, meta.severity.as_str(), meta.name, meta.summary)
        })
    } else {
        let wanted = args.rule.as_deref().unwrap_or_default();
        let meta = rules::find_code(wanted).ok_or_else(|| format!("no rule `{wanted}` (see `uplint rule --all`)"))?;
        write!(stdout, "{}", meta.doc)
    };
    written.map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(Status::Success)
}
