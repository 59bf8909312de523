//! `uplint model`: the project model as JSON, for debugging and for other tools.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use crate::context::Reason;
use crate::kql::types::{ScalarType, TableType};
use crate::model::*;
use crate::script::command::{Principal, PrincipalKind, Property};
use crate::source::SourceMap;
use crate::typecheck::Outputs;
use crate::workspace::Workspace;

/// The version of the JSON format; bumped only on incompatible changes.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct Place<'a> {
    path: &'a str,
    line: usize,
}

fn place<'a>(sources: &'a SourceMap, location: &Location) -> Place<'a> {
    let file = sources.get(location.file);
    Place { path: &file.display, line: file.position(location.span.start as usize).line }
}

#[derive(Serialize)]
struct ModelJson<'a> {
    version: u32,
    /// Every file read, with the database and cluster it starts in and why.
    files: Vec<FileJson<'a>>,
    clusters: Vec<ClusterJson<'a>>,
}

#[derive(Serialize)]
struct FileJson<'a> {
    path: &'a str,
    database: &'a str,
    database_reason: Reason,
    cluster: Option<&'a str>,
    cluster_reason: Reason,
}

#[derive(Serialize)]
struct ClusterJson<'a> {
    name: Option<&'a str>,
    managed_identity: IdentityPolicyJson<'a>,
    databases: Vec<DatabaseJson<'a>>,
}

#[derive(Serialize)]
struct IdentityPolicyJson<'a> {
    entries: Vec<IdentityEntryJson<'a>>,
    commands: Vec<Place<'a>>,
}

#[derive(Serialize)]
struct IdentityEntryJson<'a> {
    object_id: &'a str,
    allowed_usages: Vec<&'a str>,
    #[serde(flatten)]
    place: Place<'a>,
}

#[derive(Serialize)]
struct DatabaseJson<'a> {
    name: &'a str,
    tables: Vec<TableJson<'a>>,
    functions: Vec<FunctionJson<'a>>,
    materialized_views: Vec<MaterializedViewJson<'a>>,
    external_tables: Vec<ExternalTableJson<'a>>,
    managed_identity: IdentityPolicyJson<'a>,
    roles: Vec<RoleJson<'a>>,
    retention: Option<RetentionJson<'a>>,
    /// Every table a command creates, fills or maps, even if dropped later (its first command).
    known_tables: Vec<KnownTableJson<'a>>,
}

#[derive(Serialize)]
struct KnownTableJson<'a> {
    name: &'a str,
    #[serde(flatten)]
    place: Place<'a>,
}

#[derive(Serialize)]
struct TableJson<'a> {
    name: &'a str,
    definitions: Vec<TableDefinitionJson<'a>>,
    /// The columns in effect after every command, as the type checker sees them (a table made
    /// by `.set T <| query` has its query's); `null` when they are not known.
    schema: Option<OutputJson>,
    update_policy: Option<UpdatePolicyJson<'a>>,
    row_level_security: Option<RowLevelSecurityJson<'a>>,
    restricted_view_access: Option<RestrictedViewAccessJson<'a>>,
    retention: Option<RetentionJson<'a>>,
}

#[derive(Serialize)]
struct TableDefinitionJson<'a> {
    #[serde(flatten)]
    place: Place<'a>,
    columns: Vec<ColumnJson<'a>>,
}

#[derive(Serialize)]
struct ColumnJson<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    type_name: &'a str,
}

#[derive(Serialize)]
struct UpdatePolicyJson<'a> {
    entries: Vec<UpdatePolicyEntryJson<'a>>,
    commands: Vec<Place<'a>>,
}

#[derive(Serialize)]
struct UpdatePolicyEntryJson<'a> {
    #[serde(flatten)]
    place: Place<'a>,
    /// The entry as written (every property, whatever its type).
    json: Value,
    properties: Value,
    /// The schema its `Query` outputs (`null` when nothing of it is known).
    output: Option<OutputJson>,
}

#[derive(Serialize)]
struct OutputJson {
    columns: Vec<OutputColumnJson>,
    /// More columns may follow (an `evaluate` plugin, a table of unknown columns).
    open: bool,
}

#[derive(Serialize)]
struct OutputColumnJson {
    name: String,
    /// The canonical type name, `unknown` when not known.
    #[serde(rename = "type")]
    type_name: &'static str,
}

fn output_json(output: &TableType) -> OutputJson {
    OutputJson {
        columns: output
            .columns
            .iter()
            .map(|c| OutputColumnJson { name: c.name.clone(), type_name: c.ty.map_or("unknown", ScalarType::name) })
            .collect(),
        open: output.open,
    }
}

#[derive(Serialize)]
struct RowLevelSecurityJson<'a> {
    enabled: bool,
    query: Option<&'a str>,
    #[serde(flatten)]
    place: Place<'a>,
}

#[derive(Serialize)]
struct RestrictedViewAccessJson<'a> {
    enabled: bool,
    #[serde(flatten)]
    place: Place<'a>,
}

#[derive(Serialize)]
struct RetentionJson<'a> {
    soft_delete_seconds: f64,
    #[serde(flatten)]
    place: Place<'a>,
}

#[derive(Serialize)]
struct FunctionJson<'a> {
    name: &'a str,
    definitions: Vec<FunctionDefinitionJson<'a>>,
}

#[derive(Serialize)]
struct FunctionDefinitionJson<'a> {
    #[serde(flatten)]
    place: Place<'a>,
    parameters: Vec<ParameterJson<'a>>,
    properties: Value,
    if_not_exists: bool,
}

#[derive(Serialize)]
struct ParameterJson<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    type_text: &'a str,
    tabular: bool,
    has_default: bool,
}

#[derive(Serialize)]
struct MaterializedViewJson<'a> {
    name: &'a str,
    definitions: Vec<MaterializedViewDefinitionJson<'a>>,
    row_level_security: Option<RowLevelSecurityJson<'a>>,
}

#[derive(Serialize)]
struct MaterializedViewDefinitionJson<'a> {
    #[serde(flatten)]
    place: Place<'a>,
    source: &'a str,
}

#[derive(Serialize)]
struct ExternalTableJson<'a> {
    name: &'a str,
    definitions: Vec<ExternalTableDefinitionJson<'a>>,
    query_acceleration: Option<QueryAccelerationJson<'a>>,
}

#[derive(Serialize)]
struct ExternalTableDefinitionJson<'a> {
    #[serde(flatten)]
    place: Place<'a>,
    kind: Option<&'a str>,
    /// `null` when the command gives no schema (a delta table's comes from its files).
    columns: Option<Vec<ColumnJson<'a>>>,
    impersonation: bool,
}

#[derive(Serialize)]
struct QueryAccelerationJson<'a> {
    enabled: Option<bool>,
    hot_seconds: Option<f64>,
    #[serde(flatten)]
    place: Place<'a>,
}

#[derive(Serialize)]
struct RoleJson<'a> {
    role: &'a str,
    principals: Vec<PrincipalJson<'a>>,
}

#[derive(Serialize)]
struct PrincipalJson<'a> {
    principal: &'a str,
    kind: PrincipalKind,
    id: &'a str,
    tenant: Option<&'a str>,
    #[serde(flatten)]
    place: Place<'a>,
}

fn properties_json(properties: &[Property]) -> Value {
    Value::Object(properties.iter().map(|p| (p.key.text.to_string(), Value::String(p.value.clone()))).collect())
}

fn identity_policy<'a>(sources: &'a SourceMap, policy: &'a IdentityPolicy) -> IdentityPolicyJson<'a> {
    IdentityPolicyJson {
        entries: policy
            .entries
            .iter()
            .map(|e| IdentityEntryJson {
                object_id: &e.object_id,
                allowed_usages: e.usages.iter().map(|(u, _)| u.as_str()).collect(),
                place: place(sources, &e.location),
            })
            .collect(),
        commands: policy.commands.iter().map(|c| place(sources, c)).collect(),
    }
}

fn principal<'a>(sources: &'a SourceMap, principal: &'a Principal, location: &Location) -> PrincipalJson<'a> {
    PrincipalJson {
        principal: &principal.text,
        kind: principal.kind,
        id: &principal.id,
        tenant: principal.tenant.as_deref(),
        place: place(sources, location),
    }
}

fn row_level_security<'a>(w: &'a Workspace, rls: &'a Option<RowLevelSecurity>) -> Option<RowLevelSecurityJson<'a>> {
    rls.as_ref().map(|r| RowLevelSecurityJson {
        enabled: r.enabled,
        query: r.query.map(|u| w.unit(u).text.as_str()),
        place: place(&w.sources, &r.location),
    })
}

fn retention<'a>(sources: &'a SourceMap, retention: &Option<Retention>) -> Option<RetentionJson<'a>> {
    retention
        .as_ref()
        .map(|r| RetentionJson { soft_delete_seconds: r.soft_delete_seconds, place: place(sources, &r.location) })
}

fn database<'a>(w: &'a Workspace, outputs: &Outputs, db: &'a Database) -> DatabaseJson<'a> {
    let s = &w.sources;
    DatabaseJson {
        name: &db.name,
        tables: db
            .tables
            .iter()
            .map(|(name, t)| TableJson {
                name,
                definitions: t
                    .definitions
                    .iter()
                    .map(|d| TableDefinitionJson {
                        place: place(s, &d.location),
                        columns: d
                            .columns
                            .iter()
                            .map(|c| ColumnJson { name: &c.name, type_name: &c.type_name })
                            .collect(),
                    })
                    .collect(),
                schema: crate::typecheck::table_schema(w, t)
                    .filter(|t| !(t.open && t.columns.is_empty()))
                    .map(|t| output_json(&t)),
                update_policy: (!t.update_policy.commands.is_empty()).then(|| UpdatePolicyJson {
                    entries: t
                        .update_policy
                        .entries
                        .iter()
                        .map(|e| UpdatePolicyEntryJson {
                            place: place(s, &e.location),
                            json: e.json.to_plain(),
                            properties: properties_json(&e.properties),
                            output: e
                                .query
                                .and_then(|u| outputs.output(u))
                                .filter(|t| !(t.open && t.columns.is_empty()))
                                .map(output_json),
                        })
                        .collect(),
                    commands: t.update_policy.commands.iter().map(|c| place(s, c)).collect(),
                }),
                row_level_security: row_level_security(w, &t.row_level_security),
                restricted_view_access: t
                    .restricted_view_access
                    .as_ref()
                    .map(|r| RestrictedViewAccessJson { enabled: r.enabled, place: place(s, &r.location) }),
                retention: retention(s, &t.retention),
            })
            .collect(),
        functions: db
            .functions
            .iter()
            .map(|(name, f)| FunctionJson {
                name,
                definitions: f
                    .definitions
                    .iter()
                    .map(|d| FunctionDefinitionJson {
                        place: place(s, &d.location),
                        parameters: w
                            .unit(d.unit)
                            .query
                            .parameters()
                            .iter()
                            .map(|p| ParameterJson {
                                name: &p.name,
                                type_text: &p.type_text,
                                tabular: p.tabular,
                                has_default: p.has_default,
                            })
                            .collect(),
                        properties: properties_json(&d.properties),
                        if_not_exists: d.if_not_exists(),
                    })
                    .collect(),
            })
            .collect(),
        materialized_views: db
            .materialized_views
            .iter()
            .map(|(name, v)| MaterializedViewJson {
                name,
                definitions: v
                    .definitions
                    .iter()
                    .map(|d| MaterializedViewDefinitionJson { place: place(s, &d.location), source: &d.source })
                    .collect(),
                row_level_security: row_level_security(w, &v.row_level_security),
            })
            .collect(),
        external_tables: db
            .external_tables
            .iter()
            .map(|(name, e)| ExternalTableJson {
                name,
                definitions: e
                    .definitions
                    .iter()
                    .map(|d| ExternalTableDefinitionJson {
                        place: place(s, &d.location),
                        kind: d.kind.as_deref(),
                        columns: d
                            .columns
                            .as_ref()
                            .map(|c| c.iter().map(|(n, ty)| ColumnJson { name: n, type_name: ty }).collect()),
                        impersonation: d.impersonation,
                    })
                    .collect(),
                query_acceleration: e.query_acceleration.as_ref().map(|q| QueryAccelerationJson {
                    enabled: q.enabled,
                    hot_seconds: q.hot_seconds,
                    place: place(s, &q.location),
                }),
            })
            .collect(),
        managed_identity: identity_policy(s, &db.managed_identity),
        roles: db
            .roles
            .iter()
            .map(|(role, grants)| RoleJson {
                role,
                principals: grants.iter().map(|g| principal(s, &g.principal, &g.location)).collect(),
            })
            .collect(),
        retention: retention(s, &db.retention),
        known_tables: db
            .known_tables()
            .map(|(name, location)| KnownTableJson { name, place: place(s, &location) })
            .collect(),
    }
}

/// Writes the model as JSON (pretty-printed, ending with a newline).
/// Each update policy entry carries the output schema `outputs` gives its `Query`.
pub fn write_json(out: &mut dyn Write, workspace: &Workspace, outputs: &Outputs) -> std::io::Result<()> {
    let files = workspace
        .scripts
        .iter()
        .zip(&workspace.contexts)
        .map(|((file, _), context)| FileJson {
            path: &workspace.sources.get(*file).display,
            database: &context.database,
            database_reason: context.database_reason,
            cluster: context.cluster.as_deref(),
            cluster_reason: context.cluster_reason,
        })
        .collect();
    let document = ModelJson {
        version: JSON_VERSION,
        files,
        clusters: workspace
            .model
            .clusters
            .values()
            .map(|c| ClusterJson {
                name: c.name.as_deref(),
                managed_identity: identity_policy(&workspace.sources, &c.managed_identity),
                databases: c.databases.values().map(|d| database(workspace, outputs, d)).collect(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
