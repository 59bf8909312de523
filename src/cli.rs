//! The command line: arguments to a library call to an exit status. `main.rs` only calls
//! [`main`]; tests call [`run`] with their own arguments and output buffers.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream, WriteColor};

use crate::config::{self, Config, Overrides};
use crate::diagnostic::Severity;
use crate::render;
use crate::rules;
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
    Check(CheckArgs),
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
    #[command(flatten)]
    inputs: Inputs,
    #[command(flatten)]
    output: Output,
    /// A principal that holds the AllDatabasesViewer or AllDatabasesAdmin cluster role
    /// (`aadapp=<object id>[;tenant]` or an object id); repeatable.
    #[arg(long = "all-databases-viewer", value_name = "PRINCIPAL")]
    all_databases_viewers: Vec<String>,
    /// The object id of the cluster's system-assigned identity, to check its grants (every
    /// cluster; overrides `system-identity` of `[[clusters]]`).
    #[arg(long, value_name = "OBJECT_ID")]
    system_identity: Option<String>,
}

#[derive(clap::Args, Debug)]
struct ConfigArgs {
    #[command(flatten)]
    inputs: Inputs,
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
}

impl Inputs {
    /// The paths, made absolute against `cwd`.
    fn absolute(&self, cwd: &Path) -> Vec<PathBuf> {
        self.paths.iter().map(|p| if p.is_absolute() { p.clone() } else { cwd.join(p) }).collect()
    }

    /// The configuration in effect for these inputs, with `overrides` and the flags applied.
    fn config(&self, cwd: &Path, mut overrides: Overrides) -> Result<Config, String> {
        let source = match (&self.config, self.isolated) {
            (_, true) => config::Source::Isolated,
            (Some(path), _) => config::Source::Path(path.clone()),
            (None, false) => config::Source::Search,
        };
        overrides.default_database = self.default_database.clone();
        overrides.max_file_size = self.max_file_size;
        config::load(&source, &self.absolute(cwd), cwd, &overrides).map_err(|e| e.to_string())
    }

    /// Reads the workspace these inputs name under `config`.
    fn load(&self, cwd: &Path, config: &Config) -> Result<workspace::Workspace, String> {
        workspace::load(&self.absolute(cwd), cwd, &config.load_options(self.force_exclude)).map_err(|e| e.to_string())
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
        Command::Rule(_) | Command::Model(_) | Command::Config(_) | Command::Schema(_) | Command::Server => None,
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
        Command::Config(args) => show_config(&args, cwd, stdout),
        Command::Server => crate::server::run_stdio().map(|()| Status::Success),
        Command::Schema(args) => schema(&args, cwd, stdout),
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
    let config = args.inputs.config(cwd, Overrides::default())?;
    let workspace = args.inputs.load(cwd, &config)?;
    let written = match args.output.format {
        Format::Json => render::refs::write_json(stdout, &workspace),
        Format::Human => render::refs::write_human(stdout, &workspace),
    };
    written.map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(Status::Success)
}

fn model(args: &ModelArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, String> {
    let config = args.inputs.config(cwd, Overrides::default())?;
    let workspace = args.inputs.load(cwd, &config)?;
    match args.format {
        ModelFormat::Json => render::model::write_json(stdout, &workspace, &typecheck::check(&workspace)),
    }
    .map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(Status::Success)
}

fn schema(args: &SchemaArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, String> {
    let config = args.inputs.config(cwd, Overrides::default())?;
    let workspace = args.inputs.load(cwd, &config)?;
    let found = typecheck::locate(&workspace, &args.target)
        .ok_or_else(|| format!("no update policy entry or function at `{}`", args.target))?;
    let output = typecheck::unit_output(&workspace, found.unit);
    render::schema::write_human(stdout, &workspace, &found, output.as_ref())
        .map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(Status::Success)
}

fn show_config(args: &ConfigArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, String> {
    let config = args.inputs.config(cwd, Overrides::default())?;
    write!(stdout, "{}", config.describe()).map_err(|e| format!("cannot write the output: {e}"))?;
    Ok(Status::Success)
}

fn check(args: &CheckArgs, cwd: &Path, stdout: &mut dyn WriteColor) -> Result<Status, String> {
    let overrides = Overrides {
        system_identity: args.system_identity.clone(),
        all_databases_viewers: args.all_databases_viewers.clone(),
        ..Overrides::default()
    };
    let config = args.inputs.config(cwd, overrides)?;
    let workspace = args.inputs.load(cwd, &config)?;
    let mut checked = crate::check::run(&workspace, &config.settings);
    checked.diagnostics = crate::filter::apply(&config.rules, &workspace.sources, checked.diagnostics);
    match args.output.format {
        Format::Json => render::check::write_json(stdout, &workspace, &checked),
        Format::Human => render::check::write_human(stdout, &workspace, &checked),
    }
    .map_err(|e| format!("cannot write the output: {e}"))?;
    let failed = checked.diagnostics.iter().any(|d| d.severity == Severity::Error);
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
