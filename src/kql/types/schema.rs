//! Tabular types: columns with scalar types, possibly open.

use super::scalar::ScalarType;
use crate::span::Span;

/// Where a column was made: a span of one of the texts an inference read (`source` is the
/// caller's number for that text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub source: u32,
    pub span: Span,
}

/// One column; `ty` is `None` when its type is not known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: Option<ScalarType>,
    pub origin: Option<Origin>,
}

impl Column {
    pub fn new(name: impl Into<String>, ty: Option<ScalarType>) -> Column {
        Column { name: name.into(), ty, origin: None }
    }
}

/// A table's schema. `open` means it may have columns beyond `columns` (an unknown table is
/// open with no columns).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableType {
    pub columns: Vec<Column>,
    pub open: bool,
}

impl TableType {
    /// Nothing known.
    pub fn unknown() -> TableType {
        TableType { columns: Vec::new(), open: true }
    }

    pub fn closed(columns: Vec<Column>) -> TableType {
        TableType { columns, open: false }
    }

    /// True when every column and its type are known.
    pub fn is_fully_known(&self) -> bool {
        !self.open && self.columns.iter().all(|c| c.ty.is_some())
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// `name`, or `name1`, `name2`... : the first that no column has (Kusto's way of keeping
    /// column names unique).
    pub fn unique_name(&self, name: &str) -> String {
        if self.column(name).is_none() {
            return name.to_string();
        }
        (1..).map(|n| format!("{name}{n}")).find(|candidate| self.column(candidate).is_none()).unwrap_or_default()
    }

    /// A schema as written in a command or a declaration: `(a:string, b:long)` or `a:string, b:long`;
    /// `(*)` is open. Unknown type names give columns of unknown type.
    pub fn parse(text: &str) -> TableType {
        let inner = text.trim();
        let inner = inner.strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or(inner).trim();
        if inner == "*" || inner.is_empty() {
            return TableType::unknown();
        }
        let columns = inner
            .split(',')
            .filter_map(|part| {
                let (name, ty) = part.split_once(':')?;
                Some(Column::new(unquote_name(name.trim()), ScalarType::parse(ty)))
            })
            .collect();
        TableType::closed(columns)
    }

    /// The schema as text: `(a:string, b:long)`, `?` for unknown types, `*` when open.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> =
            self.columns.iter().map(|c| format!("{}:{}", c.name, c.ty.map_or("?", ScalarType::name))).collect();
        if self.open {
            parts.push("*".to_string());
        }
        format!("({})", parts.join(", "))
    }
}

/// `['x']`, `["x"]` and `[x]` to `x`.
pub fn unquote_name(name: &str) -> String {
    let name = name.trim();
    if let Some(inner) = name.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let inner = inner.trim();
        for quote in ['\'', '"'] {
            if let Some(text) = inner.strip_prefix(quote).and_then(|s| s.strip_suffix(quote)) {
                return text.to_string();
            }
        }
        return inner.to_string();
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_parse_with_aliases_and_brackets() {
        let t = TableType::parse("(a:string, ['b c']:int64, d: System.DateTime)");
        assert_eq!(t.describe(), "(a:string, b c:long, d:datetime)");
        assert!(TableType::parse("(*)").open);
        assert_eq!(t.unique_name("a"), "a1");
        assert_eq!(t.unique_name("z"), "z");
    }
}
