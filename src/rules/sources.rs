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
