//! Built-in functions and aggregates as data: signatures, return-type rules and result names,
//! generated from Kusto.Language's function table into [`super::builtin_table`].

use super::builtin_table::{AGGREGATES, FUNCTIONS};
use super::scalar::ScalarType;

/// How a signature's return type follows from its arguments (Kusto.Language's `ReturnTypeKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Return {
    /// Always this type.
    Declared(ScalarType),
    /// The type of the argument of the parameter at this index.
    Parameter(u8),
    /// The type of the last argument.
    LastParameter,
    /// The first argument's type, `int` promoted to `long` (`sum`).
    Promoted,
    /// The common type of the arguments of `Common*` parameters (`iff`, `case`, `coalesce`).
    Common,
    /// As [`Return::Common`], never `dynamic`.
    CommonNonDynamic,
    /// The widest numeric type of the arguments (`max_of`).
    Widest,
    /// Computed by Kusto.Language in code; the type it gave representative arguments.
    Probed(ScalarType),
    /// Not a scalar, or not known (several columns, a type that depends on values).
    Unknown,
    /// A table, a database or a cluster.
    Tabular,
}

/// The kind of argument a parameter takes (Kusto.Language's `ParameterTypeKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    Any,
    Declared,
    Scalar,
    Tabular,
    Database,
    Cluster,
    Integer,
    RealOrDecimal,
    StringOrDynamic,
    StringOrArray,
    IntegerOrArray,
    DynamicArray,
    DynamicBag,
    Number,
    NumberOrBool,
    Summable,
    Orderable,
    NotRealOrBool,
    NotDynamic,
    NotBool,
    Parameter0,
    Parameter1,
    Parameter2,
    CommonScalar,
    CommonNumber,
    CommonSummable,
    CommonOrderable,
    CommonScalarOrDynamic,
}

impl ParamKind {
    fn is_common(self) -> bool {
        matches!(
            self,
            ParamKind::CommonScalar
                | ParamKind::CommonNumber
                | ParamKind::CommonSummable
                | ParamKind::CommonOrderable
                | ParamKind::CommonScalarOrDynamic
        )
    }
}

/// How Kusto names the column of an unnamed call (Kusto.Language's `ResultNameKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// `Column1`, `Column2`...
    None,
    Default,
    NameAndFirstArgument,
    NameAndOnlyArgument,
    PrefixAndFirstArgument,
    PrefixAndOnlyArgument,
    FirstArgumentValueIfColumn,
    PrefixOnly,
    FirstArgument,
    OnlyArgument,
}

#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    /// The declared types, for [`ParamKind::Declared`].
    pub types: &'static [ScalarType],
    pub min: u16,
    pub max: u16,
    /// Only a literal is accepted.
    pub literal: bool,
    /// `*` is accepted.
    pub star: bool,
}

#[derive(Debug)]
pub struct Signature {
    pub ret: Return,
    pub params: &'static [Param],
}

#[derive(Debug)]
pub struct Builtin {
    pub name: &'static str,
    pub naming: Naming,
    pub prefix: Option<&'static str>,
    pub signatures: &'static [Signature],
}

/// The built-in scalar function `name` (case-sensitive, as Kusto).
pub fn function(name: &str) -> Option<&'static Builtin> {
    FUNCTIONS.binary_search_by(|f| f.name.cmp(name)).ok().map(|i| &FUNCTIONS[i])
}

/// The aggregate function `name`.
pub fn aggregate(name: &str) -> Option<&'static Builtin> {
    AGGREGATES.binary_search_by(|f| f.name.cmp(name)).ok().map(|i| &AGGREGATES[i])
}

impl Signature {
    /// Which parameter each of `count` arguments binds to, or `None` when the count does not fit.
    fn bind(&self, count: usize) -> Option<Vec<usize>> {
        let mut bound = Vec::with_capacity(count);
        let mut remaining = count;
        for (index, param) in self.params.iter().enumerate() {
            let later_min: usize = self.params[index + 1..].iter().map(|p| p.min as usize).sum();
            let available = remaining.saturating_sub(later_min);
            let take = available.min(param.max as usize);
            if take < param.min as usize {
                return None;
            }
            bound.extend(std::iter::repeat_n(index, take));
            remaining -= take;
        }
        (remaining == 0).then_some(bound)
    }

    /// How well the arguments fit: `None` when one known argument cannot fit its parameter,
    /// else the number of exact matches.
    fn fit(&self, bound: &[usize], arguments: &[Option<ScalarType>]) -> Option<usize> {
        let mut exact = 0;
        for (&param, argument) in bound.iter().zip(arguments) {
            let Some(ty) = argument else { continue };
            let param = &self.params[param];
            let fits = match param.kind {
                ParamKind::Declared => {
                    if param.types.contains(ty) {
                        exact += 1;
                        true
                    } else {
                        // Kusto converts int to long, and numbers to real, implicitly.
                        param.types.iter().any(|t| t.is_numeric() && ty.is_numeric() && t.wider(*ty) == *t)
                    }
                }
                ParamKind::Integer => matches!(ty, ScalarType::Int | ScalarType::Long | ScalarType::Dynamic),
                ParamKind::RealOrDecimal => matches!(ty, ScalarType::Real | ScalarType::Decimal | ScalarType::Dynamic),
                ParamKind::Number | ParamKind::CommonNumber => ty.is_numeric() || *ty == ScalarType::Dynamic,
                ParamKind::StringOrDynamic => matches!(ty, ScalarType::String | ScalarType::Dynamic),
                ParamKind::DynamicArray | ParamKind::DynamicBag => *ty == ScalarType::Dynamic,
                ParamKind::NotDynamic => *ty != ScalarType::Dynamic,
                ParamKind::NotBool => *ty != ScalarType::Bool,
                _ => true,
            };
            if !fits {
                return None;
            }
        }
        Some(exact)
    }

    /// The return type for arguments of these types (`None` where a type is unknown).
    pub fn return_type(&self, arguments: &[Option<ScalarType>]) -> Option<ScalarType> {
        let bound = self.bind(arguments.len()).unwrap_or_default();
        let argument_of = |param: usize| bound.iter().position(|&p| p == param).and_then(|i| arguments[i]);
        match self.ret {
            Return::Declared(ty) | Return::Probed(ty) => Some(ty),
            Return::Parameter(index) => argument_of(index as usize),
            Return::LastParameter => arguments.last().copied().flatten(),
            Return::Promoted => match argument_of(0)? {
                ScalarType::Int | ScalarType::Bool => Some(ScalarType::Long),
                ty => Some(ty),
            },
            Return::Common | Return::CommonNonDynamic | Return::Widest => {
                let mut common: Option<ScalarType> = None;
                for (i, &param) in bound.iter().enumerate() {
                    let kind = self.params[param].kind;
                    if self.ret != Return::Widest && !kind.is_common() {
                        continue;
                    }
                    let ty = arguments[i]?;
                    common = Some(match common {
                        None => ty,
                        Some(c) if c == ty => c,
                        Some(c) if c.is_numeric() && ty.is_numeric() => c.wider(ty),
                        Some(_) if ty == ScalarType::Dynamic => ScalarType::Dynamic,
                        Some(c) => c,
                    });
                }
                common.or_else(|| arguments.first().copied().flatten())
            }
            Return::Unknown | Return::Tabular => None,
        }
    }
}

impl Builtin {
    /// The signature that fits these arguments best (the first of the best), if any fits their
    /// count.
    pub fn signature(&self, arguments: &[Option<ScalarType>]) -> Option<&'static Signature> {
        let mut best: Option<(&'static Signature, usize)> = None;
        let mut fallback = None;
        let mut candidates = 0;
        for signature in self.signatures {
            let Some(bound) = signature.bind(arguments.len()) else { continue };
            candidates += 1;
            fallback.get_or_insert(signature);
            if let Some(score) = signature.fit(&bound, arguments) {
                if best.is_none_or(|(_, s)| score > s) {
                    best = Some((signature, score));
                }
            }
        }
        // As Kusto.Language: the only signature of that many arguments is taken whatever the
        // types; among several, the known argument types must fit one, else the type is unknown
        // (`avg` of a string).
        match best {
            Some((signature, _)) => Some(signature),
            None if candidates == 1 || arguments.iter().all(Option::is_none) => fallback,
            None => None,
        }
    }

    /// The type a call with arguments of these types returns.
    pub fn return_type(&self, arguments: &[Option<ScalarType>]) -> Option<ScalarType> {
        self.signature(arguments)?.return_type(arguments)
    }

    /// The name Kusto gives an unnamed call, from the names of its arguments (`None` for an
    /// argument that has none); `None` means `ColumnN`.
    pub fn result_name(&self, arguments: &[Option<String>]) -> Option<String> {
        let first = arguments.first().cloned().flatten();
        let stem = self.prefix.unwrap_or(self.name);
        match self.naming {
            Naming::None => None,
            Naming::Default
            | Naming::NameAndFirstArgument
            | Naming::NameAndOnlyArgument
            | Naming::PrefixAndFirstArgument
            | Naming::PrefixAndOnlyArgument => Some(format!("{stem}_{}", first.unwrap_or_default())),
            Naming::PrefixOnly => self.prefix.map(str::to_string).or(first),
            Naming::FirstArgument | Naming::OnlyArgument => first,
            Naming::FirstArgumentValueIfColumn => first.or(self.prefix.map(str::to_string)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScalarType::*;

    #[test]
    fn the_table_is_sorted_and_complete() {
        assert!(FUNCTIONS.windows(2).all(|w| w[0].name < w[1].name));
        assert!(AGGREGATES.windows(2).all(|w| w[0].name < w[1].name));
        assert!(FUNCTIONS.len() > 400, "{}", FUNCTIONS.len());
        assert!(function("strlen").is_some() && aggregate("arg_max").is_some() && function("nope").is_none());
    }

    #[test]
    fn return_types_follow_the_rules() {
        let f = |name: &str, args: &[Option<ScalarType>]| function(name).and_then(|f| f.return_type(args));
        assert_eq!(f("strlen", &[Some(String)]), Some(Long));
        assert_eq!(f("tostring", &[Some(Dynamic)]), Some(String));
        assert_eq!(f("todatetime", &[Some(String)]), Some(DateTime));
        assert_eq!(f("bin", &[Some(DateTime), Some(TimeSpan)]), Some(DateTime));
        assert_eq!(f("bin", &[Some(Long), Some(Long)]), Some(Long));
        assert_eq!(f("iff", &[Some(Bool), Some(Long), Some(Real)]), Some(Real));
        assert_eq!(f("iff", &[Some(Bool), Some(String), Some(String)]), Some(String));
        assert_eq!(f("coalesce", &[Some(Long), Some(Long)]), Some(Long));
        assert_eq!(f("bag_pack", &[Some(String), Some(Long)]), Some(Dynamic));
        assert_eq!(f("parse_json", &[Some(String)]), Some(Dynamic));
        assert_eq!(f("now", &[]), Some(DateTime));
        let a = |name: &str, args: &[Option<ScalarType>]| aggregate(name).and_then(|f| f.return_type(args));
        assert_eq!(a("count", &[]), Some(Long));
        assert_eq!(a("sum", &[Some(Int)]), Some(Long));
        assert_eq!(a("sum", &[Some(Real)]), Some(Real));
        assert_eq!(a("avg", &[Some(Long)]), Some(Real));
        assert_eq!(a("max", &[Some(DateTime)]), Some(DateTime));
        assert_eq!(a("dcount", &[Some(String)]), Some(Long));
        assert_eq!(a("make_list", &[Some(String)]), Some(Dynamic));
    }

    #[test]
    fn result_names_follow_kusto() {
        let name = |b: &Builtin, args: &[Option<&str>]| {
            b.result_name(&args.iter().map(|a| a.map(str::to_string)).collect::<Vec<_>>())
        };
        assert_eq!(name(aggregate("count").unwrap(), &[]).as_deref(), Some("count_"));
        assert_eq!(name(aggregate("sum").unwrap(), &[Some("x")]).as_deref(), Some("sum_x"));
        assert_eq!(name(aggregate("make_list").unwrap(), &[Some("x")]).as_deref(), Some("list_x"));
        assert_eq!(name(function("tostring").unwrap(), &[Some("d_x")]).as_deref(), Some("d_x"));
        assert_eq!(name(function("tostring").unwrap(), &[None]), None);
        assert_eq!(name(function("strlen").unwrap(), &[Some("b")]).as_deref(), Some("strlen_b"));
        assert_eq!(name(function("strcat").unwrap(), &[Some("b")]), None);
    }
}
