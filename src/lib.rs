//! uplint: a static analyzer for Azure Data Explorer (Kusto) update policies.
//!
//! # Architecture
//!
//! Data flows one way; each stage is a module, and each arrow a function from one plain value
//! to the next:
//!
//! ```text
//! uplint.toml, flags ─config─▶ Config (checked once: the settings of every stage below)
//!
//! paths ─discover─▶ files ─source::load─▶ SourceMap ─script::parse_script─▶ Scripts
//!                                                                             │
//!                  model::units_of ─▶ Units (each file's pieces of KQL, analysed by kql)
//!                  context::assign ─▶ the database and cluster of every file
//!                     model::build ─▶ Model (clusters ▸ databases ▸ tables, functions,
//!                                     policies, identities, grants; units placed in it)
//!                                                     │
//!                            resolve ─▶ what each policy entry reads, through functions
//!                          typecheck ─▶ what each policy entry outputs (column types)
//!                                                     │
//!                 rules ─▶ Diagnostics ─▶ suppress ─▶ filter ─▶ project focus ─▶ baseline
//!                                                                                   │
//!     render ─▶ human | concise | json | json-lines | sarif | github | gitlab | junit | checkstyle
//! ```
//!
//! * [`config`]: `uplint.toml` found (walking up from the first path), parsed into typed
//!   structs (unknown keys rejected), checked (globs, rule codes) and merged with the flags;
//!   errors name the file and line. Later stages never read files or environment variables:
//!   they take the plain settings the configuration gives them.
//! * [`discover`]: which files to read: explicit files, and the scripts under directories
//!   walked like ruff (`.gitignore` and `.ignore` honoured, hidden folders read; the `ignore` crate) filtered by
//!   `include`, `exclude` and `extensions`; folders it could not read and links that loop back
//!   are kept as problems (`UP902`), never skipped in silence.
//! * [`markdown`]: the Kusto fenced blocks of a Markdown runbook as a script text, in place, with
//!   each block's stretch (parsed each on its own by [`script::parse_script_blocks`]), the
//!   opening fence of a block never closed, and those of the blocks without a language that start
//!   with a Kusto command (not read: `UP905`).
//! * [`context`]: the database and cluster every file runs against (a Fabric export's
//!   `<database>.KQLDatabase` folder names its database), and why (`connect`,
//!   `config`, `folder`, `default`).
//! * [`source`]: the files' text ([`source::SourceMap`], which codespan-reporting reads),
//!   loading with its failures (`UP902`; UTF-16 files with a byte order mark are decoded; only
//!   regular files are opened, never a FIFO or a device), and
//!   byte offsets to lines and columns.
//! * [`script`]: a file cut into `#connect` directives, management commands and query text;
//!   [`script::command`] types every modelled command with spans (56 bytes each, its words
//!   its item's index into the script's list), [`script::parse`] parses them (a large file a
//!   window of tokens at a time, keeping none of them), [`script::payload`] reads policy JSON as ADX does (single quotes, comments,
//!   trailing commas; `jsonc-parser`) with a map from every JSON value back to the file through
//!   both layers of escaping.
//! * [`model`]: the clusters and databases the scripts describe once run in path order, with
//!   every definition's location and the history of the policy commands (what each `.alter`
//!   replaced). It also makes each file's [`unit`](mod@unit)s, before contexts are decided (what
//!   a unit reads depends on its text alone; contexts depend on the databases queries name), and
//!   the build places them (cluster and database; the names of those that have one, kept apart
//!   from the units in [`unit::UnitNames`]), so the model is built once. Names of up
//!   to 15 bytes are held inline, longer ones and schema columns shared with the script
//!   ([`script::command::Name`], [`script::command::Columns`]); a table's or function's one
//!   definition is held in its map entry ([`model::Definitions`]), and the maps of many names
//!   are packed as they grow. A workspace checked once ([`workspace::LoadOptions::one_shot`],
//!   the command line) lets the build take the parts of the commands of a large script as it
//!   runs them, a few thousand at a time ([`model::build::build_taking`]: the memory they free
//!   together holds what the model makes next): the script keeps each one's place and words
//!   ([`script::Item::Taken`]), which suppressions and baselines read.
//! * [`unit`](mod@unit): the pieces of KQL to analyse (queries, function bodies, policy `Query`
//!   strings, RLS and materialized-view queries): a stretch of its file's shared text, or a
//!   decoded string with an offset map to its file; units of one kind and text share one
//!   analysis, the units of one context their cluster and database (memory stays near the
//!   input: a file of 500,000 small queries).
//! * [`kql`]: one query text in, references out. [`kql::lexer`] makes tokens with byte spans
//!   (identifiers and trivia scanned byte by byte, nom for the rarer literals); the parser reads
//!   them through [`kql::Tokens`], either the text's own stream or the run of its file's stream
//!   that covers it (a unit that is a slice of its file is parsed from the tokens the script
//!   parser made: each file is lexed once, except the few distinct queries of a file that repeats
//!   them many times, whose tokens are let go before its units are made, and the units of a file
//!   parsed in windows, which keeps no tokens), spans moved to the
//!   unit's text. [`kql::parser`]
//!   builds a compact [`kql::ast`] tree (rare variants boxed; node sizes pinned by a test) that
//!   keeps every place a table can be named and recovers from syntax errors; [`kql::analyze`]
//!   walks it with `let` scopes and returns references as written and what the query reads
//!   ([`kql::references`]), kept small for the whole run (a read that is also a reference is
//!   kept once, an analysis of one such read is that read alone; names up to 23 bytes inline (`smol_str`);
//!   rare lists and parts boxed apart; sizes pinned by `unit::tests::hot_structures_stay_small`).
//!   [`kql::strings`] decodes literals with a map back to source bytes. [`kql::types`] reads
//!   the tree for column types: scalar types and aliases, the built-in function table
//!   generated from Kusto.Language (`tools/gen_builtin_types.js`), and the output schema of a
//!   query (open or unknown where it cannot be known), asking an environment for tables and
//!   stored functions.
//! * [`workspace`]: the loading stages together (discover, load, scripts, units, contexts,
//!   model). After a change of some files' text ([`workspace::Workspace::set_texts`]) only those
//!   files are parsed and their units made again; contexts are decided again only when what the
//!   project names changed, else only the changed files' (counts of the names each spelling is
//!   stated, [`context::NameCounts`], tell most edits apart without going over every file). When one file changed and keeps its
//!   number of units (and contexts and clusters' identity policies are as they were), only the
//!   databases it touched or touches are built again, from every file that touches them
//!   ([`model::build::rebuild`]), and what changed is kept per database part
//!   ([`model::changes`]); otherwise the model is replayed from the kept scripts and units (no
//!   parsing). Files are read, decoded and cut into scripts, and their units made, in parallel
//!   (a file is parsed and its units made in one task, so its tokens, which the units are
//!   parsed from, live only that long); a file's units' KQL is analysed in parallel too
//!   ([`unit::AnalysisCache::deferring`]); all on the current `rayon` pool (the CLI's
//!   `--threads`), results collected in file order.
//! * [`resolve`]: what each update policy entry reads, and the plugins and external data it
//!   runs, resolved against the model through every stored function it calls (across databases
//!   and database patterns, memoised, cycle-safe), with the chain of locations that explains
//!   each one; what the project does not describe is kept and marked [`resolve::Unresolved`].
//! * [`typecheck`]: the output schema of each update policy entry's `Query`, typed by
//!   [`kql::types`] through the stored functions it calls, tabular or scalar (arguments bound, memoised per
//!   function and argument types), and its [`typecheck::Verdict`] against the target table's
//!   columns as the model replays them ([`model::Table::columns`]; a table that
//!   `.set T <| query` created has that query's output, [`typecheck::table_schema`]; a wildcard
//!   Source's `$source_table` is the one schema of the tables it matches, if they agree). It also
//!   collects the columns a query reads that its rows lack (UP303) and the names one operator
//!   declares twice (UP304). A full check types the entries on every thread of the pool, one
//!   run of consecutive entries per thread with its own memo, results put together in entry
//!   order.
//! * [`rules`]: one rule per file behind [`rules::Rule`], listed in [`rules::RULES`] with their
//!   metadata (code, name, severity, public sources from [`rules::sources`]) and documentation
//!   pages (`rules/*.md`); rules read the model and the resolution, never text. The codes
//!   uplint raises itself (`UP901`, `UP902`) have the same metadata and pages
//!   ([`rules::builtin`]); [`rules::all_codes`] is every code uplint can print. Each rule's
//!   findings per database, per block of entries and across databases are parallel jobs, put
//!   together in rule order.
//! * [`check`]: the whole check of a workspace: load problems, syntax errors, rule findings,
//!   in a stable order; a finding in a file mapped to no database says how to map it; and how
//!   many policies were fully checked ([`check::PolicyCounts`]). [`check::run_cached`] keeps
//!   each policy's resolution and typing with what they looked up in the model (database
//!   parts), and the rules' findings per database and per policy entry
//!   ([`rules::Rule::check_database`], [`rules::Rule::check_policy`]), in a
//!   [`check::Cache`]; the next check of the same workspace computes again only what an edit's
//!   [`model::changes::Changes`] reach, and gives what a fresh check gives (results cut short
//!   by a cycle, the depth limit or `$source_table` are memoised for one policy only). Kept
//!   findings are shared (`Arc`, [`diagnostic::Held`]): [`check::run_shared`] hands them out
//!   without copying them, and the server compares them by address; the kept ones are looked up
//!   on the calling thread, only the rest is found in parallel.
//! * [`filter`]: `[rules]` (select, ignore, severities) and `[per-file-ignores]` applied to
//!   the findings; renderers never know it ran.
//! * [`suppress`]: `// uplint: allow(...)` and `allow-file(...)` comments remove the
//!   diagnostics they cover and are themselves reported when unused (`UP903`) or invalid
//!   (`UP904`); this runs before [`filter`].
//! * [`project`]: when files are named, the project they belong to (the configuration's folder,
//!   else the repository root through `.git`, else their common folder) is loaded and only the
//!   diagnostics touching them are kept.
//! * [`baseline`]: recorded findings keyed without line numbers, hidden on later runs.
//! * [`fix`]: `check --fix` makes the safe fixes of the diagnostics reported
//!   ([`diagnostic::Fix`], which the server offers as quick fixes) in the files, each file
//!   only if it still holds the text that was checked.
//! * [`diagnostic`]: problems as plain data (code, severity, labels, notes, help, a safe fix), and
//!   [`diagnostic::CodeInfo`], the metadata of every code ([`rules::catalog`]) that renderers get.
//! * [`render`]: a [`render::Report`] (files, diagnostics, code metadata) to each output format,
//!   one file per format; renderers never know rules or how diagnostics were found. The human
//!   format shows long lines in windows ([`render::snippet`]) and file text with its terminal
//!   control characters made visible ([`render::terminal`]); its diagnostics are rendered on
//!   the run's threads in batches and written in order ([`render::write_in`]).
//! * [`server`]: `uplint server`, a language server (`lsp-server`, `lsp-types`) that keeps each
//!   opened folder's workspace warm and runs the stages above again after an edit
//!   ([`workspace::Workspace::set_texts`] parses only what changed); it holds no rule or parsing
//!   logic of its own, only conversions to and from the protocol.
//! * [`cli`]: arguments to a library call to an exit status; `main.rs` only calls it (and
//!   installs [`heap::ThreadCache`], the binary's allocator: a small cache of freed blocks per
//!   thread in front of the system allocator, on during a check).
//!
//! # Invariants
//!
//! * A span is a byte range in one text; lines and columns exist only when rendering.
//! * Parsing never fails as a whole: it returns what it understood and its syntax errors, and
//!   nests no deeper than [`kql::parser::MAX_DEPTH`], so no input exhausts the stack.
//! * Text inside a string literal is decoded once, with a map back to source bytes.
//! * Output is deterministic: units, references and reads come out in a fixed order, whatever
//!   the number of threads (parallel stages collect their results in input order).
//! * Nothing reaches back up the chain: the KQL front end knows nothing of files or policies,
//!   the model knows nothing of rendering, renderers know nothing of how diagnostics were found.
//! * Database names compare case-insensitively, every other name case-sensitively.

pub mod baseline;
pub mod check;
pub mod cli;
pub mod config;
pub mod context;
pub mod diagnostic;
pub mod discover;
pub mod filter;
pub mod fix;
pub mod heap;
pub mod kql;
pub mod markdown;
pub mod model;
pub mod project;
pub mod render;
pub mod resolve;
pub mod rules;
pub mod script;
pub mod server;
pub mod source;
pub mod span;
pub mod suppress;
pub mod typecheck;
pub mod unit;
pub mod workspace;
