//! The keyword table of the KQL lexer.
//!
//! Facts from Kusto.Language's `SyntaxFacts` (see `spec/kql-grammar.md` §1.5 and Appendix A):
//! keywords are case-sensitive and matched by their exact, longest spelling, including the
//! ones that contain `-`, `.`, `!`, `~` or a space (`mv-expand`, `hint.strategy`, `!in~`,
//! `matches regex`). Each keyword has a class that says where it may also be used as a name.

use rustc_hash::FxHashMap;
use std::sync::LazyLock;

/// Where a keyword may stand for a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeywordClass {
    /// Usable as a plain name everywhere (`count`, `database`, `on`, `range`...).
    Name,
    /// Usable as a name in reference positions (`kind`, `withsource`, `with_source`).
    Special,
    /// Usable as a name only where a name is declared (`extend title = 1`).
    Extended,
    /// Must be bracketed (`['to']`) to be used as a name.
    Reserved,
}

macro_rules! keywords {
    ($($variant:ident = $text:literal, $class:ident;)*) => {
        /// Every fixed-text keyword of KQL.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kw { $($variant,)* }

        impl Kw {
            /// The exact spelling of the keyword.
            pub fn text(self) -> &'static str {
                match self { $(Kw::$variant => $text,)* }
            }

            /// Where the keyword may also be a name.
            pub fn class(self) -> KeywordClass {
                match self { $(Kw::$variant => KeywordClass::$class,)* }
            }
        }

        const ALL: &[Kw] = &[$(Kw::$variant,)*];
    };
}

keywords! {
    NotBetween = "!between", Reserved;
    NotContains = "!contains", Reserved;
    NotContainsCs = "!contains_cs", Reserved;
    NotEndswith = "!endswith", Reserved;
    NotEndswithCs = "!endswith_cs", Reserved;
    NotHas = "!has", Reserved;
    NotHasCs = "!has_cs", Reserved;
    NotHasprefix = "!hasprefix", Reserved;
    NotHasprefixCs = "!hasprefix_cs", Reserved;
    NotHassuffix = "!hassuffix", Reserved;
    NotHassuffixCs = "!hassuffix_cs", Reserved;
    NotIn = "!in", Reserved;
    NotInCi = "!in~", Reserved;
    NotStartswith = "!startswith", Reserved;
    NotStartswithCs = "!startswith_cs", Reserved;
    ThreeDChart = "3Dchart", Reserved;
    UnderContextualDatatable = "__contextual_datatable", Reserved;
    UnderCrossCluster = "__crossCluster", Reserved;
    UnderCrossDB = "__crossDB", Reserved;
    UnderExecuteAndCache = "__executeAndCache", Reserved;
    UnderId = "__id", Reserved;
    UnderIsFuzzy = "__isFuzzy", Reserved;
    UnderNoWithSource = "__noWithSource", Reserved;
    UnderPackedColumn = "__packedColumn", Reserved;
    UnderPartitionby = "__partitionby", Name;
    UnderProjectAway = "__projectAway", Reserved;
    UnderSourceColumnIndex = "__sourceColumnIndex", Reserved;
    Access = "access", Name;
    Accumulate = "accumulate", Extended;
    Alias = "alias", Name;
    And = "and", Reserved;
    Anomalychart = "anomalychart", Reserved;
    Areachart = "areachart", Reserved;
    As = "as", Extended;
    Asc = "asc", Reserved;
    AssertSchema = "assert-schema", Reserved;
    Bagexpansion = "bagexpansion", Reserved;
    Barchart = "barchart", Reserved;
    BestEffort = "best_effort", Name;
    Between = "between", Reserved;
    Bin = "bin", Name;
    BinLegacy = "bin_legacy", Reserved;
    Bool = "bool", Name;
    Boolean = "boolean", Reserved;
    By = "by", Extended;
    Byte = "byte", Reserved;
    Cachingpolicy = "cachingpolicy", Reserved;
    Callout = "callout", Reserved;
    Cancel = "cancel", Reserved;
    Card = "card", Reserved;
    Char = "char", Reserved;
    Columnchart = "columnchart", Reserved;
    CommandsAndQueries = "commands-and-queries", Reserved;
    Consume = "consume", Name;
    Contains = "contains", Extended;
    ContainsCs = "contains_cs", Reserved;
    Containscs = "containscs", Reserved;
    Count = "count", Name;
    Cycles = "cycles", Reserved;
    Database = "database", Name;
    Dataexport = "dataexport", Reserved;
    Dataformat = "dataformat", Name;
    Datascope = "datascope", Reserved;
    Datatable = "datatable", Extended;
    Date = "date", Reserved;
    Datetime = "datetime", Reserved;
    DatetimePattern = "datetime_pattern", Name;
    Decimal = "decimal", Reserved;
    Declare = "declare", Name;
    Decodeblocks = "decodeblocks", Reserved;
    Default = "default", Name;
    Desc = "desc", Reserved;
    Distinct = "distinct", Name;
    Double = "double", Reserved;
    Dynamic = "dynamic", Reserved;
    Earliest = "earliest", Extended;
    Edges = "edges", Name;
    Encodingpolicy = "encodingpolicy", Reserved;
    Endswith = "endswith", Reserved;
    EndswithCs = "endswith_cs", Reserved;
    EntityGroup = "entity_group", Name;
    Evaluate = "evaluate", Name;
    Expandoutput = "expandoutput", Reserved;
    Extend = "extend", Name;
    ExtentTagsRetention = "extent_tags_retention", Reserved;
    ExternalData = "external_data", Reserved;
    Externaldata = "externaldata", Extended;
    Facet = "facet", Name;
    Filter = "filter", Name;
    Find = "find", Extended;
    First = "first", Reserved;
    Flags = "flags", Reserved;
    Float = "float", Reserved;
    ForceRemote = "force_remote", Reserved;
    Fork = "fork", Name;
    From = "from", Name;
    Getschema = "getschema", Name;
    GrannyAsc = "granny-asc", Reserved;
    GrannyDesc = "granny-desc", Reserved;
    Graph = "graph", Name;
    GraphMarkComponents = "graph-mark-components", Reserved;
    GraphMatch = "graph-match", Reserved;
    GraphShortestPaths = "graph-shortest-paths", Reserved;
    GraphToTable = "graph-to-table", Reserved;
    GraphWhereEdges = "graph-where-edges", Reserved;
    GraphWhereNodes = "graph-where-nodes", Reserved;
    Guid = "guid", Name;
    Harddelete = "harddelete", Reserved;
    Hardretention = "hardretention", Reserved;
    Has = "has", Extended;
    HasAll = "has_all", Reserved;
    HasAny = "has_any", Reserved;
    HasCs = "has_cs", Reserved;
    Hasprefix = "hasprefix", Reserved;
    HasprefixCs = "hasprefix_cs", Reserved;
    Hassuffix = "hassuffix", Reserved;
    HassuffixCs = "hassuffix_cs", Reserved;
    HintConcurrency = "hint.concurrency", Reserved;
    HintDistribution = "hint.distribution", Reserved;
    HintMaterialized = "hint.materialized", Reserved;
    HintNumPartitions = "hint.num_partitions", Reserved;
    HintProgressiveTop = "hint.progressive_top", Reserved;
    HintRemote = "hint.remote", Reserved;
    HintShufflekey = "hint.shufflekey", Reserved;
    HintSpread = "hint.spread", Reserved;
    HintStrategy = "hint.strategy", Reserved;
    Hotcache = "hotcache", Reserved;
    Id = "id", Name;
    In = "in", Extended;
    InlineExternalTable = "inline_external_table", Name;
    Int = "int", Reserved;
    Int16 = "int16", Reserved;
    Int32 = "int32", Reserved;
    Int64 = "int64", Reserved;
    Int8 = "int8", Reserved;
    Invoke = "invoke", Extended;
    InCi = "in~", Reserved;
    Isfuzzy = "isfuzzy", Reserved;
    Join = "join", Name;
    Journal = "journal", Reserved;
    Kind = "kind", Special;
    Ladderchart = "ladderchart", Reserved;
    Last = "last", Reserved;
    Latest = "latest", Extended;
    Let = "let", Name;
    Like = "like", Reserved;
    Likecs = "likecs", Reserved;
    Limit = "limit", Name;
    Linechart = "linechart", Reserved;
    Long = "long", Reserved;
    Lookup = "lookup", Name;
    MacroExpand = "macro-expand", Reserved;
    MakeGraph = "make-graph", Reserved;
    MakeSeries = "make-series", Reserved;
    MatchesRegex = "matches regex", Reserved;
    Materialize = "materialize", Extended;
    MaterializedViewCombine = "materialized-view-combine", Reserved;
    MaterializedViews = "materialized-views", Reserved;
    Mdm = "mdm", Extended;
    Missing = "missing", Reserved;
    MvApply = "mv-apply", Reserved;
    MvExpand = "mv-expand", Reserved;
    Mvapply = "mvapply", Name;
    Mvexpand = "mvexpand", Name;
    Nodes = "nodes", Name;
    Nooptimization = "nooptimization", Reserved;
    Notcontains = "notcontains", Reserved;
    Notcontainscs = "notcontainscs", Reserved;
    Notlike = "notlike", Reserved;
    Notlikecs = "notlikecs", Reserved;
    Null = "null", Name;
    Nulls = "nulls", Name;
    Of = "of", Extended;
    On = "on", Name;
    Optional = "optional", Name;
    Or = "or", Reserved;
    Order = "order", Name;
    Others = "others", Reserved;
    Output = "output", Name;
    Pack = "pack", Name;
    Parse = "parse", Name;
    ParseKv = "parse-kv", Reserved;
    ParseWhere = "parse-where", Reserved;
    Partition = "partition", Name;
    PartitionedBy = "partitioned-by", Reserved;
    Pathformat = "pathformat", Reserved;
    Pattern = "pattern", Name;
    Piechart = "piechart", Reserved;
    Pivotchart = "pivotchart", Reserved;
    Plotly = "plotly", Name;
    Print = "print", Extended;
    Project = "project", Reserved;
    ProjectAway = "project-away", Reserved;
    ProjectByNames = "project-by-names", Reserved;
    ProjectKeep = "project-keep", Reserved;
    ProjectRename = "project-rename", Reserved;
    ProjectReorder = "project-reorder", Reserved;
    ProjectSmart = "project-smart", Reserved;
    Queries = "queries", Reserved;
    QueryParameters = "query_parameters", Name;
    QueryResults = "query_results", Reserved;
    Range = "range", Name;
    Real = "real", Reserved;
    Reduce = "reduce", Name;
    Regex = "regex", Name;
    Relaxed = "relaxed", Reserved;
    Render = "render", Name;
    Restrict = "restrict", Name;
    RestrictedViewAccess = "restricted_view_access", Reserved;
    RowLevelSecurity = "row_level_security", Reserved;
    Rowstore = "rowstore", Reserved;
    RowstoreReferences = "rowstore_references", Reserved;
    RowstoreSealinfo = "rowstore_sealinfo", Reserved;
    Rowstorepolicy = "rowstorepolicy", Reserved;
    Rowstores = "rowstores", Reserved;
    Sample = "sample", Extended;
    SampleDistinct = "sample-distinct", Extended;
    Scan = "scan", Name;
    Scatterchart = "scatterchart", Reserved;
    Seal = "seal", Reserved;
    Seals = "seals", Reserved;
    Search = "search", Extended;
    Serialize = "serialize", Name;
    Set = "set", Extended;
    SetOrAppend = "set-or-append", Reserved;
    SetOrReplace = "set-or-replace", Reserved;
    Shards = "shards", Reserved;
    Simple = "simple", Reserved;
    Softdelete = "softdelete", Reserved;
    Softretention = "softretention", Reserved;
    Sort = "sort", Name;
    Sql = "sql", Extended;
    Stackedareachart = "stackedareachart", Reserved;
    Startswith = "startswith", Reserved;
    StartswithCs = "startswith_cs", Reserved;
    Statistics = "statistics", Reserved;
    Step = "step", Name;
    Storedqueryresultcontainers = "storedqueryresultcontainers", Reserved;
    String = "string", Reserved;
    Summarize = "summarize", Name;
    Tablepurge = "tablepurge", Reserved;
    Take = "take", Name;
    Time = "time", Reserved;
    Timechart = "timechart", Reserved;
    Timeline = "timeline", Reserved;
    Timepivot = "timepivot", Reserved;
    Timespan = "timespan", Reserved;
    Title = "title", Extended;
    To = "to", Extended;
    Top = "top", Name;
    TopHitters = "top-hitters", Extended;
    TopNested = "top-nested", Extended;
    Toscalar = "toscalar", Extended;
    Totable = "totable", Extended;
    Treemap = "treemap", Reserved;
    Typeof = "typeof", Name;
    Uint = "uint", Reserved;
    Uint16 = "uint16", Reserved;
    Uint32 = "uint32", Reserved;
    Uint64 = "uint64", Reserved;
    Uint8 = "uint8", Reserved;
    Ulong = "ulong", Reserved;
    Union = "union", Reserved;
    Uniqueid = "uniqueid", Reserved;
    Unrestrictedviewers = "unrestrictedviewers", Reserved;
    Uuid = "uuid", Name;
    Verbose = "verbose", Extended;
    View = "view", Name;
    Viewers = "viewers", Extended;
    Views = "views", Reserved;
    Where = "where", Extended;
    With = "with", Name;
    WithItemindex = "with_itemindex", Reserved;
    WithMatchId = "with_match_id", Reserved;
    WithNodeId = "with_node_id", Name;
    WithSource = "with_source", Special;
    WithStepName = "with_step_name", Reserved;
    Withsource = "withsource", Special;
    Writeaheadlog = "writeaheadlog", Reserved;
}

static BY_TEXT: LazyLock<FxHashMap<&'static str, Kw>> =
    LazyLock::new(|| ALL.iter().map(|&kw| (kw.text(), kw)).collect());

/// The longest keyword spelling (`materialized-view-combine`, `graph-mark-components`...).
const MAX_KEYWORD_LEN: usize = 32;

/// The keyword spelled exactly `text`, if any.
#[inline]
pub fn lookup(text: &str) -> Option<Kw> {
    // No keyword starts with an upper-case letter or is longer than the longest: most names
    // (`StormEvents`, `TimeGenerated`) are rejected without hashing.
    match text.as_bytes().first() {
        Some(b'A'..=b'Z') | None => None,
        _ if text.len() > MAX_KEYWORD_LEN => None,
        _ => BY_TEXT.get(text).copied(),
    }
}

/// Every keyword.
pub fn all() -> &'static [Kw] {
    ALL
}

impl Kw {
    /// True when the keyword may stand for a name in a reference position
    /// (`Name` and `Special` classes).
    pub fn is_name_capable(self) -> bool {
        matches!(self.class(), KeywordClass::Name | KeywordClass::Special)
    }

    /// True for the keywords that, immediately followed by `(`, start a typed literal
    /// token such as `datetime(2020-01-01)` (§1.8).
    pub fn starts_typed_literal(self) -> bool {
        matches!(
            self,
            Kw::Datetime
                | Kw::Date
                | Kw::Timespan
                | Kw::Time
                | Kw::Long
                | Kw::Int64
                | Kw::Int
                | Kw::Int32
                | Kw::Real
                | Kw::Double
                | Kw::Decimal
                | Kw::Bool
                | Kw::Guid
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_maps_back_to_its_keyword() {
        for &kw in ALL {
            assert_eq!(lookup(kw.text()), Some(kw));
        }
        assert_eq!(ALL.len(), 279);
        assert!(ALL.iter().all(|kw| kw.text().len() <= MAX_KEYWORD_LEN));
        assert!(ALL.iter().all(|kw| !kw.text().starts_with(|c: char| c.is_ascii_uppercase())));
    }

    #[test]
    fn keywords_are_case_sensitive() {
        assert_eq!(lookup("where"), Some(Kw::Where));
        assert_eq!(lookup("WHERE"), None);
        assert_eq!(lookup("Where"), None);
    }

    #[test]
    fn classes_follow_the_grammar() {
        assert_eq!(Kw::Count.class(), KeywordClass::Name);
        assert_eq!(Kw::Kind.class(), KeywordClass::Special);
        assert_eq!(Kw::Title.class(), KeywordClass::Extended);
        assert_eq!(Kw::Where.class(), KeywordClass::Extended);
        assert_eq!(Kw::Asc.class(), KeywordClass::Reserved);
        assert_eq!(lookup("mv-expand"), Some(Kw::MvExpand));
        assert_eq!(lookup("matches regex"), Some(Kw::MatchesRegex));
        assert_eq!(lookup("!in~"), Some(Kw::NotInCi));
        assert_eq!(lookup("hint.strategy"), Some(Kw::HintStrategy));
    }
}
