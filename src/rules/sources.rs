//! The public pages behind the rules' facts (learn.microsoft.com), each named once. A rule lists
//! the ones it stands on in [`RuleMeta::sources`](super::RuleMeta::sources); its page lists them
//! too, and its notes cite them.

/// The update policy: its properties, the query's limitations.
pub const UPDATE_POLICY: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/management/update-policy";
/// When an update policy needs a managed identity, and how to set one up.
pub const UPDATE_POLICY_WITH_MANAGED_IDENTITY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/update-policy-with-managed-identity";
/// `.alter table ... policy update` and the forms of its payload.
pub const ALTER_TABLE_UPDATE_POLICY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/alter-table-update-policy-command";
/// The managed identity policy: `ObjectId`, `AllowedUsages`, cluster and database levels.
pub const MANAGED_IDENTITY_POLICY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/managed-identity-policy";
/// `.alter-merge ... policy managed_identity`: usages merged per `ObjectId`.
pub const ALTER_MERGE_MANAGED_IDENTITY_POLICY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/alter-merge-managed-identity-policy-command";
/// Row level security and its limitations.
pub const ROW_LEVEL_SECURITY_POLICY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/row-level-security-policy";
/// Database security roles and the commands that grant them.
pub const MANAGE_DATABASE_SECURITY_ROLES: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/manage-database-security-roles";
/// Security roles, including the cluster-level AllDatabasesViewer and AllDatabasesAdmin.
pub const SECURITY_ROLES: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/management/security-roles";
/// Principal strings (`aadapp=<object id>;<tenant>`).
pub const SECURITY_PRINCIPALS: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/reference-security-principals";
/// `database()`, `cluster()` and the names they qualify.
pub const CROSS_DATABASE_QUERIES: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/query/cross-cluster-or-database-queries";
/// `table()`: a table (or a function) named by a string.
pub const TABLE_FUNCTION: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/query/table-function";
/// `.create function`, which fails when the function exists.
pub const CREATE_FUNCTION: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/management/create-function";
/// `.create-or-alter function`.
pub const CREATE_OR_ALTER_FUNCTION: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/create-alter-function";
/// Stored functions and how their names resolve.
pub const USER_DEFINED_FUNCTIONS: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/query/functions/user-defined-functions";
/// String literals: quoting, escapes, verbatim and multi-line forms.
pub const STRING_LITERALS: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/query/scalar-data-types/string";
/// The Kusto Query Language overview (syntax).
pub const KQL_OVERVIEW: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/query/";
/// `.execute database script`: scripts of several commands.
pub const EXECUTE_DATABASE_SCRIPT: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/execute-database-script";
/// ADX error codes (`BadRequest_InvalidManagedIdentity`...).
pub const ERROR_CODES: &str = "https://learn.microsoft.com/azure/data-explorer/error-codes";
/// Ingestion with a managed identity; its policy example writes JSON with single quotes.
pub const INGEST_WITH_MANAGED_IDENTITY: &str =
    "https://learn.microsoft.com/azure/data-explorer/ingest-data-managed-identity";
/// `.create-merge table`: new columns are appended at the end of the schema.
pub const CREATE_MERGE_TABLE: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/create-merge-table-command";
/// `.alter-merge table`: adds columns at the end, never changes an existing column's type.
pub const ALTER_MERGE_TABLE: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/alter-merge-table-command";
/// `.create table`: column names are unique within a table.
pub const CREATE_TABLE: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/management/create-table-command";
/// Scalar data types and their aliases.
pub const SCALAR_DATA_TYPES: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/query/scalar-data-types/";
/// `cluster()`: a reference to another cluster.
pub const CLUSTER_FUNCTION: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/query/cluster-function";
/// The callout policy: the kinds of callouts (sql, webapi, sandbox artifacts...).
pub const CALLOUT_POLICY: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/management/callout-policy";
/// The `sql_request` plugin, a callout.
pub const SQL_REQUEST_PLUGIN: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/query/sql-request-plugin";
/// The `python` plugin, which runs in the sandbox.
pub const PYTHON_PLUGIN: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/query/python-plugin";
/// Streaming ingestion and its limits on update policies (no python plugin).
pub const STREAMING_INGESTION: &str = "https://learn.microsoft.com/azure/data-explorer/ingest-data-streaming";
/// `external_table()`, and its use in update policy queries.
pub const EXTERNAL_TABLE_FUNCTION: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/query/external-table-function";
/// The query acceleration policy of external tables, and its use with update policies.
pub const QUERY_ACCELERATION_POLICY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/query-acceleration-policy";
/// Update policies over external tables that fail, and why.
pub const QUERY_ACCELERATION_TROUBLESHOOTING: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/query-acceleration-troubleshooting-guide";
/// The `externaldata` operator.
pub const EXTERNALDATA_OPERATOR: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/query/externaldata-operator";
/// The restricted view access policy.
pub const RESTRICTED_VIEW_ACCESS_POLICY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/restricted-view-access-policy";
/// Entity names: case-sensitive, except database names.
pub const ENTITY_NAMES: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/query/schema-entities/entity-names";
/// `.alter-merge table ... policy update`: appends entries, without de-duplicating.
pub const ALTER_MERGE_TABLE_UPDATE_POLICY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/alter-merge-table-update-policy-command";
/// The retention policy (soft-delete period).
pub const RETENTION_POLICY: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/management/retention-policy";
/// Materialized views.
pub const MATERIALIZED_VIEWS: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/materialized-views/materialized-view-overview";
/// `.alter ... policy managed_identity`: replaces the whole policy.
pub const ALTER_MANAGED_IDENTITY_POLICY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/alter-managed-identity-policy-command";

/// `.set`, `.append`, `.set-or-append`, `.set-or-replace`: which create the table.
pub const INGEST_FROM_QUERY: &str =
    "https://learn.microsoft.com/azure/data-explorer/kusto/management/data-ingestion/ingest-from-query";

/// `project`: the columns of the output, each name once.
pub const PROJECT_OPERATOR: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/query/project-operator";

/// `bag_unpack`: without an output schema, its output columns depend on the data.
pub const BAG_UNPACK_PLUGIN: &str = "https://learn.microsoft.com/azure/data-explorer/kusto/query/bag-unpack-plugin";
