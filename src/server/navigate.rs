//! Hover, go to definition and find references: what is under the cursor, looked up in the
//! model and the resolution.

use std::fmt::Write;

use lsp_types as lsp;

use super::Server;
use super::convert;
use crate::kql::references::{EntityKind, Reference};
use crate::model::{Cluster, Database, Location, Model, UpdatePolicyEntry, same_database};
use crate::resolve::{Access, AccessKind, Resolution};
use crate::rules::{Identity, PolicyView};
use crate::source::FileId;
use crate::span::Span;
use crate::unit::Unit;
use crate::workspace::Workspace;

/// What the cursor is on.
pub enum Target<'a> {
    /// A table, function or view named in KQL.
    Reference { unit: &'a Unit, reference: &'a Reference },
    /// The name in a `.create function` command.
    FunctionName { cluster: Option<&'a str>, database: &'a Database, name: &'a str },
    /// The name in a `.create table` command.
    TableName { cluster: Option<&'a str>, database: &'a Database, name: &'a str },
    /// An update policy entry (its `Query`, `Source`, `ManagedIdentity`...).
    PolicyEntry { cluster: &'a Cluster, database: &'a Database, table: &'a str, entry: &'a UpdatePolicyEntry },
}

/// A name that can be defined and referenced: cluster (`None`: the default), database, name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub cluster: Option<String>,
    pub database: String,
    pub name: String,
}

fn contains(span: Span, offset: usize) -> bool {
    span.start as usize <= offset && offset <= span.end as usize
}

/// What is at byte `offset` of `file`: a reference in KQL first, then a definition's name, then
/// a policy entry.
pub fn target_at(workspace: &Workspace, file: FileId, offset: usize) -> Option<Target<'_>> {
    for unit in workspace.script_units(file) {
        for reference in unit.query.analysis.references() {
            if contains(unit.file_span(reference.span), offset) {
                return Some(Target::Reference { unit, reference });
            }
        }
    }
    for cluster in workspace.model.clusters.values() {
        for database in cluster.databases.values() {
            let c = cluster.name.as_deref();
            for (name, function) in &database.functions {
                if function.definitions.iter().any(|d| d.location.file == file && contains(d.name_span, offset)) {
                    return Some(Target::FunctionName { cluster: c, database, name });
                }
            }
            for (name, table) in &database.tables {
                if table.definitions.iter().any(|d| d.location.file == file && contains(d.name_span, offset)) {
                    return Some(Target::TableName { cluster: c, database, name });
                }
            }
        }
    }
    policy_entry_at(workspace, file, Span::empty(offset))
}

/// The update policy entry whose text holds `span` of `file`.
pub fn policy_entry_at(workspace: &Workspace, file: FileId, span: Span) -> Option<Target<'_>> {
    for cluster in workspace.model.clusters.values() {
        for database in cluster.databases.values() {
            for (table, t) in &database.tables {
                for entry in &t.update_policy.entries {
                    let at = entry.location;
                    if at.file == file && at.span.start <= span.start && span.end <= at.span.end {
                        return Some(Target::PolicyEntry { cluster, database, table, entry });
                    }
                }
            }
        }
    }
    None
}

impl Target<'_> {
    /// The name the target designates, as the model would look it up.
    pub fn name(&self) -> Option<Name> {
        match self {
            Target::Reference { unit, reference } => {
                let entity = &reference.entity;
                if entity.kind == EntityKind::TablePattern {
                    return None;
                }
                Some(Name {
                    cluster: entity.cluster().or(unit.cluster()).map(str::to_string),
                    database: entity.database().or(unit.database())?.to_string(),
                    name: entity.name().to_string(),
                })
            }
            Target::FunctionName { cluster, database, name } | Target::TableName { cluster, database, name } => {
                Some(Name {
                    cluster: cluster.map(str::to_string),
                    database: database.name.clone(),
                    name: name.to_string(),
                })
            }
            Target::PolicyEntry { .. } => None,
        }
    }
}

/// Where `name` is defined: the function in effect, else the materialized view, else every
/// definition of the table, else the external table.
pub fn definitions(model: &Model, name: &Name) -> Vec<Location> {
    let Some(database) = model.database(name.cluster.as_deref(), &name.database) else { return Vec::new() };
    if let Some(function) = database.functions.get(name.name.as_str()) {
        if let Some(definition) = function.effective() {
            return vec![Location { file: definition.location.file, span: definition.name_span }];
        }
    }
    if let Some(view) = database.materialized_views.get(name.name.as_str()) {
        return view.definitions.iter().map(|d| d.location).collect();
    }
    if let Some(table) = database.tables.get(name.name.as_str()) {
        let found: Vec<Location> =
            table.definitions.iter().map(|d| Location { file: d.location.file, span: d.name_span }).collect();
        if !found.is_empty() {
            return found;
        }
    }
    if let Some(external) = database.external_tables.get(name.name.as_str()) {
        return external.definitions.iter().map(|d| d.location).collect();
    }
    Vec::new()
}

/// Every place KQL names `name` (in queries, function bodies, policies, views).
pub fn references(workspace: &Workspace, name: &Name) -> Vec<Location> {
    let same_cluster = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    };
    let mut found = Vec::new();
    for unit in &workspace.units {
        for reference in unit.query.analysis.references() {
            let entity = &reference.entity;
            if entity.name() != name.name || entity.kind == EntityKind::TablePattern {
                continue;
            }
            let cluster = entity.cluster().or(unit.cluster()).map(str::to_string);
            let Some(database) = entity.database().or(unit.database()) else { continue };
            if same_database(database, &name.database) && same_cluster(&cluster, &name.cluster) {
                found.push(Location { file: unit.file, span: unit.file_span(reference.span) });
            }
        }
    }
    found
}

fn place(workspace: &Workspace, location: Location) -> String {
    let file = workspace.sources.get(location.file);
    // Shown in the editor: its line numbers.
    let (line, _) = file.editor_line(location.span.start as usize);
    format!("{}:{}", file.display, line + 1)
}

fn kind_name(kind: AccessKind) -> &'static str {
    match kind {
        AccessKind::Table => "table",
        AccessKind::MaterializedView => "materialized view",
        AccessKind::ExternalTable => "external table",
        AccessKind::TablePattern => "tables matching",
        AccessKind::UnknownFunction => "unknown function",
    }
}

/// One read with the chain that explains it: `` `Db.T` (table) via `F` (file:line) → ... ``.
fn describe_access(workspace: &Workspace, access: &Access) -> String {
    let mut line = format!("`{}.{}` ({})", access.database, access.name, kind_name(access.kind));
    if let Some(cluster) = &access.cluster {
        let _ = write!(line, " on cluster `{cluster}`");
    }
    let steps: Vec<String> = access
        .chain
        .iter()
        .map(|step| match &step.calls {
            Some(function) => format!("calls `{function}` ({})", place(workspace, step.location)),
            None => format!("reads it at {}", place(workspace, step.location)),
        })
        .collect();
    let _ = write!(line, ": {}", steps.join(" → "));
    line
}

/// The hover text of `target`, in Markdown.
pub fn hover_text(
    workspace: &Workspace,
    resolution: &Resolution,
    settings: &crate::rules::Settings,
    target: &Target<'_>,
) -> Option<String> {
    match target {
        Target::PolicyEntry { cluster, database, table, entry } => {
            Some(policy_hover(workspace, settings, &PolicyView::new(cluster, database, table, entry, resolution)))
        }
        Target::FunctionName { .. } | Target::TableName { .. } | Target::Reference { .. } => {
            let name = target.name()?;
            let database = workspace.model.database(name.cluster.as_deref(), &name.database)?;
            match database.functions.get(name.name.as_str()).and_then(|f| f.effective()) {
                Some(definition) => Some(function_hover(workspace, resolution, &name, definition)),
                None => table_hover(workspace, database, &name),
            }
        }
    }
}

fn function_hover(
    workspace: &Workspace,
    resolution: &Resolution,
    name: &Name,
    definition: &crate::model::FunctionDefinition,
) -> String {
    let unit = workspace.unit(definition.unit);
    let parameters: Vec<String> =
        unit.query.parameters().iter().map(|p| format!("{}:{}", p.name, p.type_text.trim())).collect();
    let mut text = format!(
        "```kusto\n{}.{}({})\n```\nfunction defined at {}\n",
        name.database,
        name.name,
        parameters.join(", "),
        place(workspace, definition.location)
    );
    // The policies whose resolution calls the function.
    let mut policies = Vec::new();
    for (unit_id, reads) in &resolution.policies {
        let calls = reads
            .iter()
            .any(|access| access.chain.iter().any(|step| step.calls.as_deref() == Some(name.name.as_str())));
        if calls {
            let policy = workspace.unit(*unit_id);
            let database = policy.database().unwrap_or_default();
            let label = format!("`{database}.{}`", workspace.unit_name(*unit_id).unwrap_or_default());
            policies.push(format!(
                "- {label} ({})",
                place(workspace, Location { file: policy.file, span: policy.file_span(Span::empty(0)) })
            ));
        }
    }
    if policies.is_empty() {
        text.push_str("\nNo update policy reaches it.\n");
    } else {
        let _ = write!(text, "\nReached by the update policies:\n{}\n", policies.join("\n"));
    }
    text
}

fn table_hover(workspace: &Workspace, database: &Database, name: &Name) -> Option<String> {
    let table = database.tables.get(name.name.as_str())?;
    let definition = table.definitions.last()?;
    let columns: Vec<String> = definition.columns.iter().map(|c| format!("{}:{}", c.name, c.type_name)).collect();
    let mut text = format!(
        "```kusto\n{}.{} ({})\n```\ntable defined at {}\n",
        database.name,
        name.name,
        columns.join(", "),
        place(workspace, definition.location)
    );
    if !table.update_policy.entries.is_empty() {
        let _ = writeln!(text, "\n{} update policy entries", table.update_policy.entries.len());
    }
    if table.row_level_security.as_ref().is_some_and(|r| r.enabled) {
        text.push_str("\nrow level security is enabled\n");
    }
    Some(text)
}

fn policy_hover(workspace: &Workspace, settings: &crate::rules::Settings, view: &PolicyView<'_>) -> String {
    let entry = view.entry;
    let mut text = format!("**update policy of `{}`**\n\n", view.target());
    if let Some(source) = entry.json.member("Source").and_then(|m| m.value.as_str()) {
        let _ = writeln!(text, "Source: `{source}`  ");
    }
    if view.is_disabled() {
        text.push_str("disabled (`IsEnabled` is false): it never runs  \n");
    }
    // The identity, and what allows it.
    match &view.identity {
        Identity::Absent => text.push_str("Identity: none (`ManagedIdentity` is not set)\n"),
        Identity::Invalid { written, .. } => {
            let _ = writeln!(text, "Identity: `{written}` is neither `system` nor an object id");
        }
        identity => {
            let written = identity.text().unwrap_or_default();
            let _ = writeln!(text, "Identity: `{written}`");
            let allowing: Vec<String> = view
                .identity_entries()
                .filter(|e| identity.matches(e))
                .map(|e| {
                    let usages: Vec<&str> = e.usages.iter().map(|(u, _)| u.as_str()).collect();
                    format!(
                        "- allowed `{}` by the managed_identity policy at {}",
                        usages.join(", "),
                        place(workspace, e.location)
                    )
                })
                .collect();
            if allowing.is_empty() {
                text.push_str("- no managed_identity policy in the project names it\n");
            } else {
                text.push_str(&allowing.join("\n"));
                text.push('\n');
            }
        }
    }
    if view.reads.is_empty() {
        text.push_str("\nReads nothing the project defines.\n");
    } else {
        text.push_str("\n**Reads**\n");
        for access in view.reads {
            let _ = writeln!(text, "- {}", describe_access(workspace, access));
        }
    }
    // The grants on each database read.
    let mut databases: Vec<(Option<String>, String)> = Vec::new();
    for access in view.reads {
        if access.kind == AccessKind::UnknownFunction {
            continue;
        }
        let cluster = access.cluster.as_deref().map(str::to_string).or_else(|| view.cluster.name.clone());
        if !databases.iter().any(|(c, d)| *c == cluster && same_database(d, &access.database)) {
            databases.push((cluster, access.database.to_string()));
        }
    }
    if !databases.is_empty() {
        text.push_str("\n**Grants**\n");
        let object_id = match &view.identity {
            Identity::ObjectId { id, .. } => Some(id.clone()),
            Identity::System { .. } => settings.system_identity.clone(),
            _ => None,
        };
        for (cluster, name) in databases {
            let Some(database) = workspace.model.database(cluster.as_deref(), &name) else {
                let _ = writeln!(text, "- `{name}`: not described by the project");
                continue;
            };
            let mut grants = Vec::new();
            for (role, principals) in &database.roles {
                for grant in principals {
                    let mark = match &object_id {
                        Some(id) if grant.principal.id.eq_ignore_ascii_case(id) => " (this identity)",
                        _ => "",
                    };
                    grants.push(format!("{role}: `{}`{mark}", grant.principal.text));
                }
            }
            if grants.is_empty() {
                let _ = writeln!(text, "- `{}`: no role granted in the project", database.name);
            } else {
                let _ = writeln!(text, "- `{}`: {}", database.name, grants.join("; "));
            }
        }
    }
    text
}

impl Server {
    /// The project, file and byte offset of a position in a document.
    pub(super) fn locate(&self, document: &lsp::TextDocumentPositionParams) -> Option<(usize, FileId, usize)> {
        let path = convert::path(&document.text_document.uri)?;
        let index = self.project_of(&path)?;
        let id = *self.projects[index].ids.get(&path)?;
        let text = &self.projects[index].workspace.sources.get(id).text;
        Some((index, id, convert::offset(text, document.position, self.encoding)))
    }

    pub(super) fn lsp_location(&self, project: usize, location: Location) -> lsp::Location {
        let file = self.projects[project].workspace.sources.get(location.file);
        lsp::Location { uri: convert::uri(&file.path), range: convert::range(file, location.span, self.encoding) }
    }

    pub(super) fn hover(&mut self, params: lsp::HoverParams) -> Option<lsp::Hover> {
        let (index, file, offset) = self.locate(&params.text_document_position_params)?;
        let (workspace, resolution, settings) = self.projects[index].resolved();
        let target = target_at(workspace, file, offset)?;
        let text = hover_text(workspace, resolution, settings, &target)?;
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: text }),
            range: None,
        })
    }

    pub(super) fn definition(&mut self, params: lsp::GotoDefinitionParams) -> Option<lsp::GotoDefinitionResponse> {
        let (index, file, offset) = self.locate(&params.text_document_position_params)?;
        let workspace = &self.projects[index].workspace;
        let name = target_at(workspace, file, offset)?.name()?;
        let locations: Vec<lsp::Location> =
            definitions(&workspace.model, &name).into_iter().map(|l| self.lsp_location(index, l)).collect();
        if locations.is_empty() { None } else { Some(lsp::GotoDefinitionResponse::Array(locations)) }
    }

    pub(super) fn references(&mut self, params: lsp::ReferenceParams) -> Option<Vec<lsp::Location>> {
        let (index, file, offset) = self.locate(&params.text_document_position)?;
        let workspace = &self.projects[index].workspace;
        let name = target_at(workspace, file, offset)?.name()?;
        let mut found = Vec::new();
        if params.context.include_declaration {
            found.extend(definitions(&workspace.model, &name));
        }
        found.extend(references(workspace, &name));
        Some(found.into_iter().map(|l| self.lsp_location(index, l)).collect())
    }
}
