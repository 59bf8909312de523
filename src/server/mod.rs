//! `uplint server`: a language server over standard input and output (`lsp-server`,
//! `lsp-types`).
//!
//! The server owns warm projects (one per opened folder: its sources, workspace and last check)
//! and runs the library's stages again after an edit; it holds no rule or parsing logic of its
//! own. An edit replaces the file's text in the workspace ([`crate::workspace::Workspace::set_texts`]
//! parses only that file and the KQL whose text changed), the model is rebuilt, resolution and
//! rules run again, and diagnostics are published for every file whose diagnostics changed,
//! including files not edited. Changes are debounced ([`DEBOUNCE`]); saves and requests check
//! at once.
//!
//! * [`convert`]: offsets and positions, paths and URIs, diagnostics.
//! * [`project`]: one project: files, workspace, check.
//! * [`navigate`]: hover, go to definition, find references.
//! * [`actions`]: code actions and the fix command.

pub mod actions;
pub mod convert;
pub mod navigate;
pub mod project;

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{self as lsp, Uri};
use rustc_hash::{FxHashMap, FxHashSet};

use convert::Encoding;
use project::Project;

/// How long the server waits after a change before checking (saves check at once).
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// The name of the configuration file, whose change reloads its project.
const CONFIGURATION_FILE: &str = "uplint.toml";

/// The command that shows a diagnostic's fix command (an argument) so it can be copied.
pub const COPY_FIX_COMMAND: &str = "uplint.copyFixCommand";

/// Runs the server on standard input and output until the client exits.
pub fn run_stdio() -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    run(&connection)?;
    // The writer thread ends once every sender is gone.
    drop(connection);
    io_threads.join().map_err(|e| format!("the connection failed: {e}"))
}

/// Runs the server on `connection`: initialisation, then requests until `shutdown` and `exit`.
pub fn run(connection: &Connection) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let raw = params.clone();
    let params: lsp::InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("bad initialize parameters: {e}"))?;
    let mut server = Server::new(connection.sender.clone(), &params, &raw);
    let result = lsp::InitializeResult {
        capabilities: server.capabilities(),
        server_info: Some(lsp::ServerInfo {
            name: "uplint".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    connection.initialize_finish(id, result).map_err(|e| e.to_string())?;
    server.start(&params);
    server.serve(connection)
}

/// The client's abilities that change what the server does.
#[derive(Clone, Copy, Debug, Default)]
struct ClientAbilities {
    /// The client asks for diagnostics (`textDocument/diagnostic`) instead of being sent them.
    pull_diagnostics: bool,
    /// The client can be told to ask again (`workspace/diagnostic/refresh`).
    diagnostic_refresh: bool,
    watch_files: bool,
    show_document: bool,
}

pub struct Server {
    sender: Sender<Message>,
    encoding: Encoding,
    client: ClientAbilities,
    projects: Vec<Project>,
    /// The text of every open buffer.
    open: FxHashMap<PathBuf, String>,
    /// Buffers changed since the last check, and when to check them.
    pending: BTreeSet<PathBuf>,
    deadline: Option<Instant>,
    /// The diagnostics of each file as last computed (and, unless the client pulls, published).
    current: FxHashMap<PathBuf, Vec<lsp::Diagnostic>>,
    /// Rule pages written to disk, for the diagnostics' code descriptions.
    pages: FxHashMap<&'static str, Uri>,
    next_request: i32,
}

impl Server {
    fn new(sender: Sender<Message>, params: &lsp::InitializeParams, raw: &serde_json::Value) -> Server {
        let capabilities = &params.capabilities;
        let utf8 = capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|e| e.contains(&lsp::PositionEncodingKind::UTF8));
        let client = ClientAbilities {
            pull_diagnostics: capabilities.text_document.as_ref().is_some_and(|t| t.diagnostic.is_some()),
            // Read from the JSON: `lsp-types` 0.97 looks for `diagnostic`, the protocol says
            // `diagnostics`.
            diagnostic_refresh: raw["capabilities"]["workspace"]["diagnostics"]["refreshSupport"] == true,
            watch_files: capabilities
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
            show_document: capabilities
                .window
                .as_ref()
                .and_then(|w| w.show_document.as_ref())
                .is_some_and(|s| s.support),
        };
        Server {
            sender,
            encoding: if utf8 { Encoding::Utf8 } else { Encoding::Utf16 },
            client,
            projects: Vec::new(),
            open: FxHashMap::default(),
            pending: BTreeSet::new(),
            deadline: None,
            current: FxHashMap::default(),
            pages: FxHashMap::default(),
            next_request: 0,
        }
    }

    fn capabilities(&self) -> lsp::ServerCapabilities {
        lsp::ServerCapabilities {
            position_encoding: Some(match self.encoding {
                Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
                Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            })),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            definition_provider: Some(lsp::OneOf::Left(true)),
            references_provider: Some(lsp::OneOf::Left(true)),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Options(lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            })),
            execute_command_provider: Some(lsp::ExecuteCommandOptions {
                commands: vec![COPY_FIX_COMMAND.to_string()],
                ..Default::default()
            }),
            diagnostic_provider: Some(lsp::DiagnosticServerCapabilities::Options(lsp::DiagnosticOptions {
                identifier: Some("uplint".to_string()),
                inter_file_dependencies: true,
                workspace_diagnostics: false,
                ..Default::default()
            })),
            workspace: Some(lsp::WorkspaceServerCapabilities {
                workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(lsp::OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..Default::default()
        }
    }

    /// After initialisation: write the rule pages, watch files, load and check every folder.
    #[allow(deprecated)] // `root_uri` is still what many clients send.
    fn start(&mut self, params: &lsp::InitializeParams) {
        self.write_pages();
        if self.client.watch_files {
            self.watch_files();
        }
        let mut roots: Vec<PathBuf> = match &params.workspace_folders {
            Some(folders) => folders.iter().filter_map(|f| convert::path(&f.uri)).collect(),
            None => params.root_uri.iter().filter_map(convert::path).collect(),
        };
        roots.sort();
        roots.dedup();
        for root in roots {
            self.add_folder(root);
        }
    }

    fn add_folder(&mut self, root: PathBuf) {
        let started = Instant::now();
        let project = Project::folder(root.clone(), &self.open);
        self.log(
            lsp::MessageType::INFO,
            format!(
                "uplint: checked {} ({} files) in {} ms",
                root.display(),
                project.workspace.sources.len(),
                started.elapsed().as_millis()
            ),
        );
        self.projects.push(project);
        self.publish(self.projects.len() - 1);
    }

    /// Asks the client to report Kusto scripts and configuration files created, changed or
    /// deleted outside the editor.
    fn watch_files(&mut self) {
        let watchers = ["**/*.{kql,csl,kusto,KQL,CSL,KUSTO}", "**/uplint.toml"]
            .iter()
            .map(|glob| lsp::FileSystemWatcher { glob_pattern: lsp::GlobPattern::String(glob.to_string()), kind: None })
            .collect();
        let options = lsp::DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = lsp::Registration {
            id: "uplint-watch".to_string(),
            method: lsp::notification::DidChangeWatchedFiles::METHOD.to_string(),
            register_options: serde_json::to_value(options).ok(),
        };
        self.send_request::<lsp::request::RegisterCapability>(lsp::RegistrationParams {
            registrations: vec![registration],
        });
    }

    /// Serves messages until `shutdown` and `exit`.
    fn serve(&mut self, connection: &Connection) -> Result<(), String> {
        loop {
            let message = match self.deadline {
                Some(deadline) => {
                    match connection.receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                        Ok(message) => message,
                        Err(e) if e.is_timeout() => {
                            if self.guarded("checking", |server| server.flush()).is_err() {
                                self.guarded("reloading", |server| server.reload_all()).ok();
                            }
                            continue;
                        }
                        Err(_) => return Ok(()),
                    }
                }
                None => match connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(()),
                },
            };
            match message {
                Message::Request(request) => {
                    if connection.handle_shutdown(&request).map_err(|e| e.to_string())? {
                        return Ok(());
                    }
                    let id = request.id.clone();
                    let method = request.method.clone();
                    let response = self
                        .guarded(&method, |server| server.request(request))
                        .unwrap_or_else(|message| Response::new_err(id, ErrorCode::InternalError as i32, message));
                    self.send(Message::Response(response));
                }
                Message::Notification(notification) => {
                    let method = notification.method.clone();
                    if self.guarded(&method, |server| server.notification(notification)).is_err() {
                        // The state may be half-updated: start again from the files.
                        self.guarded("reloading", |server| server.reload_all()).ok();
                    }
                }
                Message::Response(_) => {}
            }
        }
    }

    /// Runs `f`; a panic is caught, logged to the client, and returned as an error message.
    fn guarded<T>(&mut self, what: &str, f: impl FnOnce(&mut Server) -> T) -> Result<T, String> {
        match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(value) => Ok(value),
            Err(payload) => {
                let reason = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown reason".to_string());
                let message = format!("uplint: internal error in {what}: {reason} (please report it)");
                self.log(lsp::MessageType::ERROR, message.clone());
                Err(message)
            }
        }
    }

    fn request(&mut self, request: Request) -> Response {
        // Answers are about the text the client has now.
        self.flush();
        let id = request.id.clone();
        let result = match request.method.as_str() {
            lsp::request::HoverRequest::METHOD => {
                parse::<lsp::request::HoverRequest>(request).map(|p| json(self.hover(p)))
            }
            lsp::request::GotoDefinition::METHOD => {
                parse::<lsp::request::GotoDefinition>(request).map(|p| json(self.definition(p)))
            }
            lsp::request::References::METHOD => {
                parse::<lsp::request::References>(request).map(|p| json(self.references(p)))
            }
            lsp::request::CodeActionRequest::METHOD => {
                parse::<lsp::request::CodeActionRequest>(request).map(|p| json(self.code_actions(p)))
            }
            lsp::request::ExecuteCommand::METHOD => {
                parse::<lsp::request::ExecuteCommand>(request).map(|p| json(self.execute_command(p)))
            }
            lsp::request::DocumentDiagnosticRequest::METHOD => {
                parse::<lsp::request::DocumentDiagnosticRequest>(request).map(|p| json(self.pull(p)))
            }
            // A request that fails on purpose, so tests can see a panic caught (debug builds).
            #[cfg(debug_assertions)]
            "uplint/debugPanic" => panic!("debug panic requested"),
            method => Err((ErrorCode::MethodNotFound, format!("uplint does not handle `{method}`"))),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn notification(&mut self, notification: Notification) {
        use lsp::notification as n;
        match notification.method.as_str() {
            n::DidOpenTextDocument::METHOD => {
                if let Ok(p) = notification.extract::<lsp::DidOpenTextDocumentParams>(n::DidOpenTextDocument::METHOD) {
                    self.did_open(p.text_document.uri, p.text_document.text);
                }
            }
            n::DidChangeTextDocument::METHOD => {
                if let Ok(p) =
                    notification.extract::<lsp::DidChangeTextDocumentParams>(n::DidChangeTextDocument::METHOD)
                {
                    // Full text sync: the last change holds the whole text.
                    if let (Some(path), Some(change)) = (convert::path(&p.text_document.uri), p.content_changes.last())
                    {
                        self.open.insert(path.clone(), change.text.clone());
                        self.pending.insert(path);
                        self.deadline = Some(Instant::now() + DEBOUNCE);
                    }
                }
            }
            n::DidSaveTextDocument::METHOD => {
                if let Ok(p) = notification.extract::<lsp::DidSaveTextDocumentParams>(n::DidSaveTextDocument::METHOD) {
                    if let Some(path) = convert::path(&p.text_document.uri) {
                        if is_configuration(&path) {
                            self.reload_all();
                        } else {
                            self.flush();
                        }
                    }
                }
            }
            n::DidCloseTextDocument::METHOD => {
                if let Ok(p) = notification.extract::<lsp::DidCloseTextDocumentParams>(n::DidCloseTextDocument::METHOD)
                {
                    self.did_close(p.text_document.uri);
                }
            }
            n::DidChangeWatchedFiles::METHOD => {
                if let Ok(p) =
                    notification.extract::<lsp::DidChangeWatchedFilesParams>(n::DidChangeWatchedFiles::METHOD)
                {
                    self.watched_files_changed(p.changes);
                }
            }
            n::DidChangeWorkspaceFolders::METHOD => {
                if let Ok(p) =
                    notification.extract::<lsp::DidChangeWorkspaceFoldersParams>(n::DidChangeWorkspaceFolders::METHOD)
                {
                    for removed in p.event.removed.iter().filter_map(|f| convert::path(&f.uri)) {
                        if let Some(index) = self.projects.iter().position(|p| p.root.as_ref() == Some(&removed)) {
                            let project = self.projects.remove(index);
                            self.clear(&project);
                        }
                    }
                    for added in p.event.added.iter().filter_map(|f| convert::path(&f.uri)) {
                        self.add_folder(added);
                    }
                }
            }
            _ => {}
        }
    }

    fn did_open(&mut self, uri: Uri, text: String) {
        let Some(path) = convert::path(&uri) else { return };
        self.open.insert(path.clone(), text);
        if is_configuration(&path) {
            return;
        }
        match self.project_of(&path) {
            Some(index) if self.projects[index].ids.contains_key(&path) => {
                self.pending.insert(path);
                self.flush();
            }
            // A Kusto script of a folder that discovery did not find (new, or not yet saved).
            Some(index) if self.projects[index].accepts(&path) => {
                self.reload(index);
            }
            Some(_) => {}
            None => {
                self.projects.push(Project::loose(vec![path], &self.open));
                self.publish(self.projects.len() - 1);
            }
        }
    }

    fn did_close(&mut self, uri: Uri) {
        let Some(path) = convert::path(&uri) else { return };
        self.open.remove(&path);
        self.pending.remove(&path);
        let Some(index) = self.project_of(&path) else { return };
        if self.projects[index].root.is_none() {
            // A loose file is checked only while it is open.
            let project = self.projects.remove(index);
            self.clear(&project);
            return;
        }
        match std::fs::read_to_string(&path) {
            // The buffer gives way to the file on disk.
            Ok(text) => {
                if let Some(&id) = self.projects[index].ids.get(&path) {
                    self.projects[index].set_texts(vec![(id, text)]);
                    self.publish(index);
                }
            }
            // Never saved: the file leaves the project.
            Err(_) => {
                self.reload(index);
            }
        }
    }

    fn watched_files_changed(&mut self, changes: Vec<lsp::FileEvent>) {
        let mut reload = BTreeSet::new();
        let mut changed: FxHashMap<usize, Vec<PathBuf>> = FxHashMap::default();
        for change in changes {
            let Some(path) = convert::path(&change.uri) else { continue };
            if is_configuration(&path) {
                reload.extend(0..self.projects.len());
                continue;
            }
            let Some(index) = self.project_of(&path) else { continue };
            if change.typ != lsp::FileChangeType::CHANGED {
                reload.insert(index);
            } else if !self.open.contains_key(&path) {
                changed.entry(index).or_default().push(path);
            }
        }
        for (index, paths) in changed {
            if reload.contains(&index) {
                continue;
            }
            let project = &self.projects[index];
            let mut texts = Vec::new();
            for path in paths {
                match (project.ids.get(&path), std::fs::read_to_string(&path)) {
                    (Some(&id), Ok(text)) => texts.push((id, text)),
                    _ => {
                        reload.insert(index);
                    }
                }
            }
            if !reload.contains(&index) {
                self.projects[index].set_texts(texts);
                self.publish(index);
            }
        }
        for index in reload {
            self.reload(index);
        }
    }

    /// Reads every project again (a configuration file changed; configuration is found by
    /// walking up from the folder, so any `uplint.toml` may be one of them).
    fn reload_all(&mut self) {
        for index in 0..self.projects.len() {
            self.reload(index);
        }
    }

    fn reload(&mut self, index: usize) {
        self.projects[index].reload(&self.open);
        self.publish(index);
    }

    /// The project that holds `path`: the innermost folder, else the loose files.
    fn project_of(&self, path: &Path) -> Option<usize> {
        self.projects
            .iter()
            .enumerate()
            .filter(|(_, p)| p.covers(path))
            .max_by_key(|(_, p)| p.root.as_ref().map_or(usize::MAX, |r| r.components().count()))
            .map(|(i, _)| i)
    }

    /// Checks the buffers changed since the last check and publishes what changed.
    fn flush(&mut self) {
        self.deadline = None;
        if self.pending.is_empty() {
            return;
        }
        let started = Instant::now();
        let mut changes: FxHashMap<usize, Vec<_>> = FxHashMap::default();
        let mut reload = BTreeSet::new();
        for path in std::mem::take(&mut self.pending) {
            let (Some(text), Some(index)) = (self.open.get(&path), self.project_of(&path)) else { continue };
            match self.projects[index].ids.get(&path) {
                Some(&id) => changes.entry(index).or_default().push((id, text.clone())),
                None if self.projects[index].accepts(&path) => {
                    reload.insert(index);
                }
                None => {}
            }
        }
        for (index, texts) in changes {
            if !reload.contains(&index) {
                self.projects[index].set_texts(texts);
                self.publish(index);
            }
        }
        for index in reload {
            self.reload(index);
        }
        self.log(lsp::MessageType::LOG, format!("uplint: checked in {} ms", started.elapsed().as_millis()));
    }

    /// Computes the diagnostics of every file of project `index` and sends those that changed
    /// (or, when the client pulls them, asks it to pull again).
    fn publish(&mut self, index: usize) {
        if let Some(error) = self.projects[index].config_error.take() {
            let message = format!("uplint: the configuration cannot be read, the defaults are used: {error}");
            self.log(lsp::MessageType::ERROR, message.clone());
            self.notify::<lsp::notification::ShowMessage>(lsp::ShowMessageParams {
                typ: lsp::MessageType::ERROR,
                message,
            });
        }
        let project = &mut self.projects[index];
        let sources = &project.workspace.sources;
        let mut found: FxHashMap<crate::source::FileId, Vec<&std::sync::Arc<crate::diagnostic::Diagnostic>>> =
            FxHashMap::default();
        for diagnostic in &project.diagnostics {
            found.entry(diagnostic.primary.file).or_default().push(diagnostic);
        }
        // Converting positions is most of publishing: only files whose diagnostics changed, or
        // point into a file whose text changed, are converted and compared again.
        let mut previous = project.published.take();
        let mut published = project::Published::default();
        let mut with_diagnostics: FxHashSet<PathBuf> = FxHashSet::default();
        let mut by_file: FxHashMap<PathBuf, Vec<lsp::Diagnostic>> = FxHashMap::default();
        for (file, diagnostics) in found {
            let path = &sources.get(file).path;
            with_diagnostics.insert(path.clone());
            let kept = previous.as_mut().and_then(|previous| {
                let moved = |l: &crate::diagnostic::Label| previous.changed.contains(&l.file);
                if diagnostics.iter().any(|d| moved(&d.primary) || d.labels.iter().any(moved)) {
                    return None;
                }
                let before = previous.diagnostics.remove(&file)?;
                // A finding kept from the check before is the same one (its address first).
                let same = before.len() == diagnostics.len()
                    && before.iter().zip(&diagnostics).all(|(a, b)| std::sync::Arc::ptr_eq(a, b) || a == *b);
                same.then_some(before)
            });
            let kept = match kept {
                Some(kept) => kept,
                None => {
                    let converted = diagnostics.iter().map(|diagnostic| {
                        let page = self.pages.get(diagnostic.code.code).cloned();
                        convert::diagnostic(sources, diagnostic, page, self.encoding)
                    });
                    by_file.insert(path.clone(), converted.collect());
                    diagnostics.into_iter().cloned().collect()
                }
            };
            published.diagnostics.insert(file, kept);
        }
        project.published = Some(published);
        let project = &self.projects[index];
        // Files of the project that had diagnostics and have none now.
        let cleared: Vec<PathBuf> = self
            .current
            .keys()
            .filter(|path| project.covers(path) && !with_diagnostics.contains(*path))
            .cloned()
            .collect();
        let mut changed = Vec::new();
        for path in cleared {
            self.current.remove(&path);
            changed.push((path, Vec::new()));
        }
        for (path, diagnostics) in by_file {
            if self.current.get(&path) != Some(&diagnostics) {
                self.current.insert(path.clone(), diagnostics.clone());
                changed.push((path, diagnostics));
            }
        }
        if changed.is_empty() {
            return;
        }
        if self.client.pull_diagnostics {
            if self.client.diagnostic_refresh {
                self.send_request::<lsp::request::WorkspaceDiagnosticRefresh>(());
            }
            return;
        }
        changed.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, diagnostics) in changed {
            self.notify::<lsp::notification::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
                uri: convert::uri(&path),
                diagnostics,
                version: None,
            });
        }
    }

    /// Clears the diagnostics of a project that is gone.
    fn clear(&mut self, project: &Project) {
        let gone: Vec<PathBuf> = self.current.keys().filter(|p| project.covers(p)).cloned().collect();
        for path in gone {
            self.current.remove(&path);
            if !self.client.pull_diagnostics {
                self.notify::<lsp::notification::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
                    uri: convert::uri(&path),
                    diagnostics: Vec::new(),
                    version: None,
                });
            }
        }
    }

    /// `textDocument/diagnostic`: the file's diagnostics as last computed.
    fn pull(&mut self, params: lsp::DocumentDiagnosticParams) -> lsp::DocumentDiagnosticReportResult {
        let items = convert::path(&params.text_document.uri)
            .and_then(|path| self.current.get(&path).cloned())
            .unwrap_or_default();
        lsp::DocumentDiagnosticReportResult::Report(lsp::DocumentDiagnosticReport::Full(
            lsp::RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport { result_id: None, items },
            },
        ))
    }

    /// Writes every rule's page to a directory of the system's temporary directory, so that a
    /// diagnostic's code can link to it (`file://`).
    fn write_pages(&mut self) {
        let dir = std::env::temp_dir().join(format!("uplint-{}-rules", env!("CARGO_PKG_VERSION")));
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        for meta in crate::rules::all_codes() {
            let path = dir.join(format!("{}-{}.md", meta.code, meta.name));
            let fresh = std::fs::read_to_string(&path).is_ok_and(|text| text == meta.doc);
            if fresh || std::fs::write(&path, meta.doc).is_ok() {
                self.pages.insert(meta.code, convert::uri(&path));
            }
        }
    }

    fn log(&self, typ: lsp::MessageType, message: String) {
        self.notify::<lsp::notification::LogMessage>(lsp::LogMessageParams { typ, message });
    }

    fn notify<N: lsp::notification::Notification>(&self, params: N::Params) {
        self.send(Message::Notification(Notification::new(N::METHOD.to_string(), params)));
    }

    fn send_request<R: lsp::request::Request>(&mut self, params: R::Params) {
        self.next_request += 1;
        let id = RequestId::from(format!("uplint-{}", self.next_request));
        self.send(Message::Request(Request::new(id, R::METHOD.to_string(), params)));
    }

    fn send(&self, message: Message) {
        // The client is gone when this fails; the receiving loop ends on its own.
        let _ = self.sender.send(message);
    }
}

fn is_configuration(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == CONFIGURATION_FILE)
}

type RequestError = (ErrorCode, String);

fn parse<R: lsp::request::Request>(request: Request) -> Result<R::Params, RequestError> {
    serde_json::from_value(request.params).map_err(|e| (ErrorCode::InvalidParams, format!("bad parameters: {e}")))
}

fn json(value: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
