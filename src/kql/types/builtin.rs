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

/// How well an argument fits a parameter, worst to best (Kusto.Language's order: a more
/// specific match is better).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    None,
    Unknown,
    Promoted,
    NotType,
    OneOfMany,
    Scalar,
    Summable,
    Orderable,
    Number,
    Integer,
    Exact,
}

fn is_summable(ty: ScalarType) -> bool {
    ty.is_numeric() || matches!(ty, ScalarType::DateTime | ScalarType::TimeSpan)
}

fn is_orderable(ty: ScalarType) -> bool {
    is_summable(ty) || ty == ScalarType::String
}

/// `wide` can hold every value of `narrow` (Kusto's promotions: int < long < real < decimal,
/// and dynamic to string).
fn is_wider(wide: ScalarType, narrow: ScalarType) -> bool {
    (wide != narrow && narrow.is_numeric() && wide.is_numeric() && wide.wider(narrow) == wide)
        || (wide == ScalarType::String && narrow == ScalarType::Dynamic)
}

/// The common type of two known types, if they have one: equal types, the wider of two
/// promotable ones, dynamic with anything when `to_dynamic` allows it or one side is dynamic.
fn common_pair(a: ScalarType, b: ScalarType, to_dynamic: bool) -> Option<ScalarType> {
    if a == b {
        Some(a)
    } else if a == ScalarType::Dynamic || b == ScalarType::Dynamic {
        Some(ScalarType::Dynamic)
    } else if is_wider(b, a) {
        Some(b)
    } else if is_wider(a, b) {
        Some(a)
    } else if to_dynamic {
        Some(ScalarType::Dynamic)
    } else {
        None
    }
}

/// The result of folding argument types into a common type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Common {
    /// No argument took part yet.
    Empty,
    /// An argument of unknown type took part: the common type is unknown.
    Unknown,
    Type(ScalarType),
    /// Two arguments have no common type.
    Conflict,
}

impl Common {
    fn add(self, ty: Option<ScalarType>, to_dynamic: bool) -> Common {
        match (self, ty) {
            (Common::Conflict, _) => Common::Conflict,
            (_, None) | (Common::Unknown, _) => Common::Unknown,
            (Common::Empty, Some(t)) => Common::Type(t),
            (Common::Type(c), Some(t)) => common_pair(c, t, to_dynamic).map_or(Common::Conflict, Common::Type),
        }
    }
}

impl Signature {
    /// The parameter each of `count` arguments binds to (positionally, repeated parameters taking
    /// as many as they may); `None` for arguments beyond the parameters.
    fn bind(&self, count: usize) -> Vec<Option<usize>> {
        let mut bound = Vec::with_capacity(count);
        let mut remaining = count;
        for (index, param) in self.params.iter().enumerate() {
            let later_min: usize = self.params[index + 1..].iter().map(|p| p.min as usize).sum();
            let available = remaining.saturating_sub(later_min);
            let take = available.min(param.max as usize).max((param.min as usize).min(remaining));
            bound.extend(std::iter::repeat_n(Some(index), take));
            remaining -= take;
        }
        bound.resize(count, None);
        bound
    }

    fn min_arguments(&self) -> usize {
        self.params.iter().map(|p| p.min as usize).sum()
    }

    fn max_arguments(&self) -> usize {
        self.params.iter().map(|p| p.max as usize).fold(0, usize::saturating_add)
    }

    fn accepts(&self, count: usize) -> bool {
        (self.min_arguments()..=self.max_arguments()).contains(&count)
    }

    /// The common type of the arguments bound to `Common*` parameters (`to_dynamic`: any two
    /// scalars meet in dynamic, as for `CommonScalarOrDynamic`), skipping dynamic arguments when
    /// `skip_dynamic` and some other argument takes part.
    fn common_argument_type(
        &self,
        bound: &[Option<usize>],
        arguments: &[Option<ScalarType>],
        skip_dynamic: bool,
    ) -> Common {
        let mut common = Common::Empty;
        for (param, &ty) in bound.iter().zip(arguments) {
            let Some(param) = param.map(|p| &self.params[p]) else { continue };
            if skip_dynamic && ty == Some(ScalarType::Dynamic) {
                continue;
            }
            let takes_part = match (param.kind, ty) {
                (_, None) => param.kind.is_common(),
                (ParamKind::CommonScalar | ParamKind::CommonScalarOrDynamic, _) => true,
                (ParamKind::CommonNumber, Some(t)) => t.is_numeric(),
                (ParamKind::CommonSummable, Some(t)) => is_summable(t),
                (ParamKind::CommonOrderable, Some(t)) => is_orderable(t),
                _ => false,
            };
            if takes_part {
                common = common.add(ty, param.kind == ParamKind::CommonScalarOrDynamic);
            }
        }
        if skip_dynamic && common == Common::Empty {
            return self.common_argument_type(bound, arguments, false);
        }
        common
    }

    /// How the argument at `index` fits its parameter.
    fn match_kind(&self, bound: &[Option<usize>], arguments: &[Option<ScalarType>], index: usize) -> Match {
        let Some(param) = bound[index].map(|p| &self.params[p]) else { return Match::None };
        let Some(ty) = arguments[index] else { return Match::Unknown };
        let kind = match param.kind {
            ParamKind::Parameter0 | ParamKind::Parameter1 | ParamKind::Parameter2 => {
                let target = match param.kind {
                    ParamKind::Parameter0 => 0,
                    ParamKind::Parameter1 => 1,
                    _ => 2,
                };
                // Typed as the argument of that parameter.
                return match bound.iter().position(|p| *p == Some(target)).and_then(|i| arguments[i]) {
                    None => Match::Unknown,
                    Some(other) if other == ty => Match::Exact,
                    Some(other) if is_wider(other, ty) => Match::Promoted,
                    Some(_) => Match::None,
                };
            }
            kind => kind,
        };
        let fits = |ok: bool, m: Match| if ok { m } else { Match::None };
        match kind {
            ParamKind::Any => Match::Unknown,
            ParamKind::Declared => {
                if param.types.contains(&ty) {
                    if param.types.len() == 1 { Match::Exact } else { Match::OneOfMany }
                } else if param.types.iter().any(|&t| is_wider(t, ty)) {
                    Match::Promoted
                } else {
                    Match::None
                }
            }
            ParamKind::Scalar => Match::Scalar,
            ParamKind::Integer => fits(matches!(ty, ScalarType::Int | ScalarType::Long), Match::Integer),
            ParamKind::RealOrDecimal => fits(matches!(ty, ScalarType::Real | ScalarType::Decimal), Match::OneOfMany),
            ParamKind::StringOrDynamic | ParamKind::StringOrArray => {
                fits(matches!(ty, ScalarType::String | ScalarType::Dynamic), Match::OneOfMany)
            }
            ParamKind::IntegerOrArray => {
                fits(matches!(ty, ScalarType::Int | ScalarType::Long | ScalarType::Dynamic), Match::OneOfMany)
            }
            ParamKind::DynamicArray | ParamKind::DynamicBag => fits(ty == ScalarType::Dynamic, Match::OneOfMany),
            ParamKind::Number => fits(ty.is_numeric(), Match::Number),
            ParamKind::NumberOrBool => fits(ty.is_numeric() || ty == ScalarType::Bool, Match::Number),
            ParamKind::Summable => fits(is_summable(ty), Match::Summable),
            ParamKind::Orderable => fits(is_orderable(ty), Match::Orderable),
            ParamKind::NotBool => fits(ty != ScalarType::Bool, Match::NotType),
            ParamKind::NotRealOrBool => fits(!matches!(ty, ScalarType::Real | ScalarType::Bool), Match::NotType),
            ParamKind::NotDynamic => fits(ty != ScalarType::Dynamic, Match::NotType),
            ParamKind::Tabular | ParamKind::Database | ParamKind::Cluster => Match::None,
            ParamKind::CommonScalar
            | ParamKind::CommonNumber
            | ParamKind::CommonSummable
            | ParamKind::CommonOrderable
            | ParamKind::CommonScalarOrDynamic => match self.common_argument_type(bound, arguments, false) {
                Common::Type(common) if common == ty => Match::Exact,
                Common::Type(common) if is_wider(common, ty) => Match::Promoted,
                Common::Type(_) if param.kind == ParamKind::CommonScalarOrDynamic && ty == ScalarType::Dynamic => {
                    Match::Exact
                }
                Common::Unknown => Match::Unknown,
                _ => Match::None,
            },
            ParamKind::Parameter0 | ParamKind::Parameter1 | ParamKind::Parameter2 => Match::None,
        }
    }

    fn matches(&self, arguments: &[Option<ScalarType>]) -> Vec<Match> {
        let bound = self.bind(arguments.len());
        (0..arguments.len()).map(|i| self.match_kind(&bound, arguments, i)).collect()
    }

    /// The return type for arguments of these types (`None` where it is unknown).
    pub fn return_type(&self, arguments: &[Option<ScalarType>]) -> Option<ScalarType> {
        let bound = self.bind(arguments.len());
        let argument_of = |param: usize| bound.iter().position(|&p| p == Some(param)).and_then(|i| arguments[i]);
        match self.ret {
            Return::Declared(ty) | Return::Probed(ty) => Some(ty),
            Return::Parameter(index) => argument_of(index as usize),
            Return::LastParameter => arguments.last().copied().flatten(),
            Return::Promoted => match argument_of(0)? {
                ScalarType::Int | ScalarType::Bool => Some(ScalarType::Long),
                ty => Some(ty),
            },
            Return::Common | Return::CommonNonDynamic => {
                match self.common_argument_type(&bound, arguments, self.ret == Return::CommonNonDynamic) {
                    Common::Type(ty) => Some(ty),
                    _ => None,
                }
            }
            Return::Widest => {
                let mut widest: Option<ScalarType> = None;
                for ty in arguments.iter().flatten().filter(|t| t.is_numeric()) {
                    widest = Some(widest.map_or(*ty, |w| w.wider(*ty)));
                }
                widest.map(|w| if w == ScalarType::Int { ScalarType::Long } else { w })
            }
            Return::Unknown | Return::Tabular => None,
        }
    }
}

/// Whether `a` fits the arguments better than `b` (positive), worse (negative) or neither (0),
/// given each one's match kinds: one that fits every argument beats one that does not; then the
/// better worst match, the better best match, the more matching arguments.
fn compare(a: &[Match], b: &[Match]) -> i64 {
    let count = |m: &[Match]| m.iter().filter(|k| **k != Match::None).count() as i64;
    let (count_a, count_b) = (count(a), count(b));
    let all = a.len() as i64;
    if count_a == all && count_b < all {
        return count_a - count_b;
    }
    let worst = |m: &[Match]| m.iter().copied().min().unwrap_or(Match::Exact);
    let best = |m: &[Match]| m.iter().copied().max().unwrap_or(Match::None);
    match worst(a).cmp(&worst(b)).then(best(a).cmp(&best(b))) {
        std::cmp::Ordering::Greater => 1,
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => count_a - count_b,
    }
}

impl Builtin {
    /// The signatures that fit these arguments best, as Kusto.Language chooses them: those that
    /// take that many arguments (else those that take the most), then those with the most
    /// matching arguments, then the one that is better than every other; when none is, all of
    /// the tied ones (the call's type is then theirs if they agree).
    pub fn signatures_for(&self, arguments: &[Option<ScalarType>]) -> Vec<&'static Signature> {
        let all = self.signatures;
        if all.len() <= 1 {
            return all.iter().collect();
        }
        let mut candidates: Vec<&'static Signature> = all.iter().filter(|s| s.accepts(arguments.len())).collect();
        if candidates.is_empty() {
            let most = all.iter().map(Signature::max_arguments).max().unwrap_or(0);
            candidates = all.iter().filter(|s| s.accepts(most)).collect();
        }
        if candidates.len() <= 1 {
            return candidates;
        }
        let matches: Vec<Vec<Match>> = candidates.iter().map(|s| s.matches(arguments)).collect();
        let count = |m: &[Match]| m.iter().filter(|k| **k != Match::None).count();
        let most = matches.iter().map(|m| count(m)).max().unwrap_or(0);
        let kept: Vec<usize> = (0..candidates.len()).filter(|&i| count(&matches[i]) == most).collect();
        if kept.len() == 1 {
            return vec![candidates[kept[0]]];
        }
        let mut best = kept[0];
        for &i in &kept[1..] {
            match compare(&matches[i], &matches[best]) {
                c if c > 0 => best = i,
                0 => return kept.iter().map(|&i| candidates[i]).collect(),
                _ => {}
            }
        }
        if kept.iter().any(|&i| i != best && compare(&matches[best], &matches[i]) <= 0) {
            return kept.iter().map(|&i| candidates[i]).collect();
        }
        vec![candidates[best]]
    }

    /// The type a call with arguments of these types returns: its best signature's, or the one
    /// type all the tied signatures return (else unknown).
    pub fn return_type(&self, arguments: &[Option<ScalarType>]) -> Option<ScalarType> {
        let signatures = self.signatures_for(arguments);
        let (first, rest) = signatures.split_first()?;
        let ty = first.return_type(arguments);
        rest.iter().all(|s| s.return_type(arguments) == ty).then_some(ty).flatten()
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
