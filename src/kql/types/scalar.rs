//! Kusto's scalar types and their aliases (§2.7 of `spec/adx-semantics.md`).

use std::fmt;

/// A scalar type, by its canonical name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScalarType {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    TimeSpan,
    Guid,
    Dynamic,
}

impl ScalarType {
    /// The canonical name (`long`, `datetime`...), as ADX and Kusto.Language print it.
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::Bool => "bool",
            ScalarType::Int => "int",
            ScalarType::Long => "long",
            ScalarType::Real => "real",
            ScalarType::Decimal => "decimal",
            ScalarType::String => "string",
            ScalarType::DateTime => "datetime",
            ScalarType::TimeSpan => "timespan",
            ScalarType::Guid => "guid",
            ScalarType::Dynamic => "dynamic",
        }
    }

    /// A type name as written in a schema or a `to typeof(...)`, aliases included
    /// (`int32`, `int64`, `double`, `boolean`, `uuid`, `date`, `time`, the `uint*` and .NET names
    /// ADX and Kusto.Language accept), case-insensitively. `None` for anything else.
    pub fn parse(name: &str) -> Option<ScalarType> {
        let name = name.trim();
        let lower = name.to_ascii_lowercase();
        Some(match lower.as_str() {
            "bool" | "boolean" | "system.boolean" | "system.sbyte" => ScalarType::Bool,
            "int" | "int32" | "int8" | "int16" | "uint" | "uint8" | "uint16" | "uint32" | "system.int32" => {
                ScalarType::Int
            }
            "long" | "int64" | "uint64" | "system.int64" => ScalarType::Long,
            "real" | "double" | "float" | "system.double" | "system.single" => ScalarType::Real,
            "decimal" | "system.data.sqltypes.sqldecimal" | "system.decimal" => ScalarType::Decimal,
            "string" | "system.string" => ScalarType::String,
            "datetime" | "date" | "system.datetime" => ScalarType::DateTime,
            "timespan" | "time" | "system.timespan" => ScalarType::TimeSpan,
            "guid" | "uuid" | "uniqueid" | "system.guid" => ScalarType::Guid,
            "dynamic" | "system.object" => ScalarType::Dynamic,
            _ => return None,
        })
    }

    /// Integer, real or decimal.
    pub fn is_numeric(self) -> bool {
        matches!(self, ScalarType::Int | ScalarType::Long | ScalarType::Real | ScalarType::Decimal)
    }

    /// The wider of two numeric types (`int` < `long` < `real` < `decimal`).
    pub fn wider(self, other: ScalarType) -> ScalarType {
        fn rank(t: ScalarType) -> u8 {
            match t {
                ScalarType::Int => 1,
                ScalarType::Long => 2,
                ScalarType::Real => 3,
                ScalarType::Decimal => 4,
                _ => 0,
            }
        }
        if rank(other) > rank(self) { other } else { self }
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::ScalarType::{self, *};

    #[test]
    fn aliases_name_their_canonical_type() {
        let cases = [
            ("int", Int),
            ("Int32", Int),
            ("long", Long),
            ("int64", Long),
            ("real", Real),
            ("double", Real),
            ("bool", Bool),
            ("boolean", Bool),
            ("guid", Guid),
            ("uuid", Guid),
            ("uniqueid", Guid),
            ("date", DateTime),
            ("datetime", DateTime),
            ("time", TimeSpan),
            ("timespan", TimeSpan),
            ("System.String", String),
            ("System.Object", Dynamic),
            ("decimal", Decimal),
        ];
        for (alias, canonical) in cases {
            assert_eq!(ScalarType::parse(alias), Some(canonical), "{alias}");
        }
        assert_eq!(ScalarType::parse("table"), None);
    }

    #[test]
    fn numeric_promotion_takes_the_wider_type() {
        assert_eq!(Int.wider(Long), Long);
        assert_eq!(Real.wider(Long), Real);
        assert_eq!(Decimal.wider(Real), Decimal);
    }
}
