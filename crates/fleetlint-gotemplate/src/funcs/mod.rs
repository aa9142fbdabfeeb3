//! The functions a template can call: Go's builtins (golang/go:src/text/template/funcs.go),
//! slim-sprig's `HermeticTxtFuncMap` (go-task/slim-sprig@v3.0.0:functions.go — the version the
//! Flux Operator pins) and the Flux Operator's additions `slugify`, `inputs`, `toYaml`,
//! `mustToYaml` (controlplaneio-fluxcd/flux-operator@17c6aea:internal/builder/resourceset.go
//! `newTemplate`).
//!
//! Every name of those function maps is registered with its Go signature, so a template that
//! calls an undefined function fails to parse exactly where Go's would. Functions fleetlint does
//! not evaluate (dates, randomness, URL parsing, reflection on Go type names) are registered
//! without an implementation: calling one is an [`crate::ErrorKind::Unsupported`] error naming it.

mod builtins;
mod collections;
mod encoding;

pub(crate) use encoding::yaml_tree;
pub use encoding::{adler32, path_clean_str as go_path_clean};
mod numeric;
mod regexes;
mod slug;
mod strings;

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::value::{IntKind, Value};

/// A Go parameter type, as `text/template` checks arguments against it (`evalArg`,
/// `validateType` in exec.go).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// `interface{}` / `reflect.Value`: anything, `nil` included.
    Any,
    /// `string`.
    Str,
    /// `int`.
    Int,
    /// `float64`.
    Float,
    /// `bool`.
    Bool,
    /// `map[string]interface{}`.
    Map,
}

impl Ty {
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Ty::Any => "interface {}",
            Ty::Str => "string",
            Ty::Int => "int",
            Ty::Float => "float64",
            Ty::Bool => "bool",
            Ty::Map => "map[string]interface {}",
        }
    }

    /// Whether a computed value can be passed for this type (`AssignableTo`).
    pub(crate) fn accepts(self, v: &Value) -> bool {
        match (self, v) {
            (Ty::Any, _) | (Ty::Str, Value::Str(_)) | (Ty::Float, Value::Float(_)) | (Ty::Bool, Value::Bool(_)) => true,
            (Ty::Int, Value::Int(_, IntKind::Int)) | (Ty::Map, Value::Map(_) | Value::Nil) => true,
            (_, Value::Unknown(u)) => self.accepts(&u.shown),
            _ => false,
        }
    }
}

/// A function's Go signature.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sig {
    pub(crate) params: &'static [Ty],
    pub(crate) variadic: Option<Ty>,
}

/// Why a function call failed.
#[derive(Debug)]
pub(crate) enum FnError {
    /// The function returned an error or panicked: Go's template fails with
    /// `error calling NAME: MESSAGE`.
    Go(String),
    /// fleetlint does not evaluate this (the reason).
    Unsupported(String),
    /// A resource limit fired.
    Limit(String),
}

pub(crate) type FnResult = Result<Value, FnError>;

/// What a function implementation can see besides its arguments.
pub(crate) struct CallCtx<'a> {
    /// The value the Flux Operator's `inputs` function returns.
    pub(crate) inputs: &'a Value,
    /// Largest list or string a function may build.
    pub(crate) max_len: usize,
    /// Work done beyond the call itself (nodes inspected), charged to the step budget.
    pub(crate) work: std::cell::Cell<u64>,
}

type Impl = fn(&CallCtx<'_>, Vec<Value>) -> FnResult;

/// A registered function.
pub(crate) struct FuncDef {
    pub(crate) sig: Sig,
    /// `None`: defined in Go's function map but not evaluated by fleetlint.
    pub(crate) imp: Option<Impl>,
}

/// Which function map a template is parsed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncSet {
    /// Go's builtins only (`template.New(...)`).
    Builtins,
    /// What the Flux Operator installs for ResourceSet templates: builtins, slim-sprig's
    /// hermetic functions (its `slice` replacing the builtin), `slugify`, `inputs`, `toYaml`,
    /// `mustToYaml`.
    FluxOperator,
}

macro_rules! sig {
    ($($p:ident),* ; $v:ident) => { Sig { params: &[$(Ty::$p),*], variadic: Some(Ty::$v) } };
    ($($p:ident),*) => { Sig { params: &[$(Ty::$p),*], variadic: None } };
}

/// Go's builtins (funcs.go `builtins`). `and`, `or` and `call` are evaluated by the executor.
fn builtin_table() -> Vec<(&'static str, Sig, Option<Impl>)> {
    vec![
        ("and", sig!(Any; Any), None),
        ("or", sig!(Any; Any), None),
        ("call", sig!(Any; Any), None),
        ("html", sig!(; Any), Some(builtins::html)),
        ("index", sig!(Any; Any), Some(builtins::index)),
        ("slice", sig!(Any; Any), Some(builtins::slice)),
        ("js", sig!(; Any), Some(builtins::js)),
        ("len", sig!(Any), Some(builtins::len)),
        ("not", sig!(Any), Some(builtins::not)),
        ("print", sig!(; Any), Some(builtins::print)),
        ("printf", sig!(Str; Any), Some(builtins::printf)),
        ("println", sig!(; Any), Some(builtins::println)),
        ("urlquery", sig!(; Any), Some(builtins::urlquery)),
        ("eq", sig!(Any; Any), Some(builtins::eq)),
        ("ge", sig!(Any, Any), Some(builtins::ge)),
        ("gt", sig!(Any, Any), Some(builtins::gt)),
        ("le", sig!(Any, Any), Some(builtins::le)),
        ("lt", sig!(Any, Any), Some(builtins::lt)),
        ("ne", sig!(Any, Any), Some(builtins::ne)),
    ]
}

/// slim-sprig v3.0.0 `genericMap` minus `nonhermeticFunctions`, plus the Flux Operator's own.
#[allow(clippy::too_many_lines)]
fn flux_table() -> Vec<(&'static str, Sig, Option<Impl>)> {
    use collections as c;
    use encoding as e;
    use numeric as n;
    use regexes as r;
    use strings as s;
    vec![
        ("hello", sig!(), Some(s::hello)),
        // Dates: time-dependent or Go-duration-specific; not evaluated.
        ("ago", sig!(Any), None),
        ("duration", sig!(Any), None),
        ("durationRound", sig!(Any), None),
        ("must_date_modify", sig!(Str, Any), None),
        ("mustDateModify", sig!(Str, Any), None),
        ("mustToDate", sig!(Str, Str), None),
        ("toDate", sig!(Str, Str), None),
        ("unixEpoch", sig!(Any), None),
        // Strings.
        ("trunc", sig!(Int, Str), Some(s::trunc)),
        ("trim", sig!(Str), Some(s::trim)),
        ("upper", sig!(Str), Some(s::upper)),
        ("lower", sig!(Str), Some(s::lower)),
        ("title", sig!(Str), Some(s::title)),
        ("substr", sig!(Int, Int, Str), Some(s::substr)),
        ("repeat", sig!(Int, Str), Some(s::repeat)),
        ("trimall", sig!(Str, Str), Some(s::trim_all)),
        ("trimAll", sig!(Str, Str), Some(s::trim_all)),
        ("trimSuffix", sig!(Str, Str), Some(s::trim_suffix)),
        ("trimPrefix", sig!(Str, Str), Some(s::trim_prefix)),
        ("contains", sig!(Str, Str), Some(s::contains)),
        ("hasPrefix", sig!(Str, Str), Some(s::has_prefix)),
        ("hasSuffix", sig!(Str, Str), Some(s::has_suffix)),
        ("quote", sig!(; Any), Some(s::quote)),
        ("squote", sig!(; Any), Some(s::squote)),
        ("cat", sig!(; Any), Some(s::cat)),
        ("indent", sig!(Int, Str), Some(s::indent)),
        ("nindent", sig!(Int, Str), Some(s::nindent)),
        ("replace", sig!(Str, Str, Str), Some(s::replace)),
        ("plural", sig!(Str, Str, Int), Some(s::plural)),
        ("sha1sum", sig!(Str), Some(e::sha1sum)),
        ("sha256sum", sig!(Str), Some(e::sha256sum)),
        ("adler32sum", sig!(Str), Some(e::adler32sum)),
        ("toString", sig!(Any), Some(s::to_string)),
        ("atoi", sig!(Str), Some(n::atoi)),
        ("int64", sig!(Any), Some(n::int64)),
        ("int", sig!(Any), Some(n::int)),
        ("float64", sig!(Any), Some(n::float64)),
        ("seq", sig!(; Int), Some(n::seq)),
        ("toDecimal", sig!(Any), Some(n::to_decimal)),
        ("split", sig!(Str, Str), Some(s::split)),
        ("splitList", sig!(Str, Str), Some(s::split_list)),
        ("splitn", sig!(Str, Int, Str), Some(s::splitn)),
        ("toStrings", sig!(Any), Some(s::to_strings)),
        ("until", sig!(Int), Some(n::until)),
        ("untilStep", sig!(Int, Int, Int), Some(n::until_step)),
        ("add1", sig!(Any), Some(n::add1)),
        ("add", sig!(; Any), Some(n::add)),
        ("sub", sig!(Any, Any), Some(n::sub)),
        ("div", sig!(Any, Any), Some(n::div)),
        ("mod", sig!(Any, Any), Some(n::modulo)),
        ("mul", sig!(Any; Any), Some(n::mul)),
        ("randInt", sig!(Int, Int), None),
        ("biggest", sig!(Any; Any), Some(n::max)),
        ("max", sig!(Any; Any), Some(n::max)),
        ("min", sig!(Any; Any), Some(n::min)),
        ("maxf", sig!(Any; Any), Some(n::maxf)),
        ("minf", sig!(Any; Any), Some(n::minf)),
        ("ceil", sig!(Any), Some(n::ceil)),
        ("floor", sig!(Any), Some(n::floor)),
        ("round", sig!(Any, Int; Float), Some(n::round)),
        ("join", sig!(Str, Any), Some(s::join)),
        ("sortAlpha", sig!(Any), Some(s::sort_alpha)),
        // Defaults.
        ("default", sig!(Any; Any), Some(c::default)),
        ("empty", sig!(Any), Some(c::empty)),
        ("coalesce", sig!(; Any), Some(c::coalesce)),
        ("all", sig!(; Any), Some(c::all)),
        ("any", sig!(; Any), Some(c::any)),
        ("compact", sig!(Any), Some(c::compact)),
        ("mustCompact", sig!(Any), Some(c::compact)),
        ("fromJson", sig!(Str), Some(e::from_json)),
        ("toJson", sig!(Any), Some(e::to_json)),
        ("toPrettyJson", sig!(Any), Some(e::to_pretty_json)),
        ("toRawJson", sig!(Any), Some(e::to_raw_json)),
        ("mustFromJson", sig!(Str), Some(e::must_from_json)),
        ("mustToJson", sig!(Any), Some(e::must_to_json)),
        ("mustToPrettyJson", sig!(Any), Some(e::must_to_pretty_json)),
        ("mustToRawJson", sig!(Any), Some(e::must_to_raw_json)),
        ("ternary", sig!(Any, Any, Bool), Some(c::ternary)),
        // Reflection: Go type names are not modelled exactly (int vs int64 is, []string is not).
        ("typeOf", sig!(Any), None),
        ("typeIs", sig!(Str, Any), None),
        ("typeIsLike", sig!(Str, Any), None),
        ("kindOf", sig!(Any), Some(c::kind_of)),
        ("kindIs", sig!(Str, Any), Some(c::kind_is)),
        ("deepEqual", sig!(Any, Any), Some(c::deep_equal_values)),
        // Paths (the operator runs on Linux: filepath is path).
        ("base", sig!(Str), Some(e::path_base)),
        ("dir", sig!(Str), Some(e::path_dir)),
        ("clean", sig!(Str), Some(e::path_clean)),
        ("ext", sig!(Str), Some(e::path_ext)),
        ("isAbs", sig!(Str), Some(e::path_is_abs)),
        ("osBase", sig!(Str), Some(e::path_base)),
        ("osClean", sig!(Str), Some(e::path_clean)),
        ("osDir", sig!(Str), Some(e::path_dir)),
        ("osExt", sig!(Str), Some(e::path_ext)),
        ("osIsAbs", sig!(Str), Some(e::path_is_abs)),
        // Encoding.
        ("b64enc", sig!(Str), Some(e::b64enc)),
        ("b64dec", sig!(Str), Some(e::b64dec)),
        ("b32enc", sig!(Str), Some(e::b32enc)),
        ("b32dec", sig!(Str), Some(e::b32dec)),
        // Data structures.
        ("tuple", sig!(; Any), Some(c::list)),
        ("list", sig!(; Any), Some(c::list)),
        ("dict", sig!(; Any), Some(c::dict)),
        ("get", sig!(Map, Str), Some(c::get)),
        ("set", sig!(Map, Str, Any), Some(c::set)),
        ("unset", sig!(Map, Str), Some(c::unset)),
        ("hasKey", sig!(Map, Str), Some(c::has_key)),
        ("pluck", sig!(Str; Map), Some(c::pluck)),
        ("keys", sig!(; Map), Some(c::keys)),
        ("pick", sig!(Map; Str), Some(c::pick)),
        ("omit", sig!(Map; Str), Some(c::omit)),
        ("values", sig!(Map), Some(c::values)),
        ("append", sig!(Any, Any), Some(c::push)),
        ("push", sig!(Any, Any), Some(c::push)),
        ("mustAppend", sig!(Any, Any), Some(c::push)),
        ("mustPush", sig!(Any, Any), Some(c::push)),
        ("prepend", sig!(Any, Any), Some(c::prepend)),
        ("mustPrepend", sig!(Any, Any), Some(c::prepend)),
        ("first", sig!(Any), Some(c::first)),
        ("mustFirst", sig!(Any), Some(c::first)),
        ("rest", sig!(Any), Some(c::rest)),
        ("mustRest", sig!(Any), Some(c::rest)),
        ("last", sig!(Any), Some(c::last)),
        ("mustLast", sig!(Any), Some(c::last)),
        ("initial", sig!(Any), Some(c::initial)),
        ("mustInitial", sig!(Any), Some(c::initial)),
        ("reverse", sig!(Any), Some(c::reverse)),
        ("mustReverse", sig!(Any), Some(c::reverse)),
        ("uniq", sig!(Any), Some(c::uniq)),
        ("mustUniq", sig!(Any), Some(c::uniq)),
        ("without", sig!(Any; Any), Some(c::without)),
        ("mustWithout", sig!(Any; Any), Some(c::without)),
        ("has", sig!(Any, Any), Some(c::has)),
        ("mustHas", sig!(Any, Any), Some(c::has)),
        ("slice", sig!(Any; Any), Some(c::sprig_slice)),
        ("mustSlice", sig!(Any; Any), Some(c::sprig_slice)),
        ("concat", sig!(; Any), Some(c::concat)),
        ("dig", sig!(; Any), Some(c::dig)),
        ("chunk", sig!(Int, Any), Some(c::chunk)),
        ("mustChunk", sig!(Int, Any), Some(c::chunk)),
        ("fail", sig!(Str), Some(s::fail)),
        // Regular expressions (Go RE2 syntax, ASCII classes).
        ("regexMatch", sig!(Str, Str), Some(r::regex_match)),
        ("mustRegexMatch", sig!(Str, Str), Some(r::must_regex_match)),
        ("regexFindAll", sig!(Str, Str, Int), Some(r::regex_find_all)),
        ("mustRegexFindAll", sig!(Str, Str, Int), Some(r::regex_find_all)),
        ("regexFind", sig!(Str, Str), Some(r::regex_find)),
        ("mustRegexFind", sig!(Str, Str), Some(r::regex_find)),
        ("regexReplaceAll", sig!(Str, Str, Str), Some(r::regex_replace_all)),
        ("mustRegexReplaceAll", sig!(Str, Str, Str), Some(r::regex_replace_all)),
        ("regexReplaceAllLiteral", sig!(Str, Str, Str), Some(r::regex_replace_all_literal)),
        ("mustRegexReplaceAllLiteral", sig!(Str, Str, Str), Some(r::regex_replace_all_literal)),
        ("regexSplit", sig!(Str, Str, Int), Some(r::regex_split)),
        ("mustRegexSplit", sig!(Str, Str, Int), Some(r::regex_split)),
        ("regexQuoteMeta", sig!(Str), Some(r::regex_quote_meta)),
        // URLs: Go's net/url parsing is not modelled.
        ("urlParse", sig!(Str), None),
        ("urlJoin", sig!(Map), None),
        // The Flux Operator's own (internal/builder/resourceset.go newTemplate).
        ("slugify", sig!(Str), Some(slug::slugify)),
        ("inputs", sig!(), Some(inputs)),
        ("toYaml", sig!(Any), Some(e::to_yaml)),
        ("mustToYaml", sig!(Any), Some(e::must_to_yaml)),
    ]
}

fn inputs(ctx: &CallCtx<'_>, _: Vec<Value>) -> FnResult {
    Ok(ctx.inputs.clone())
}

type Table = HashMap<&'static str, FuncDef>;

fn build(set: FuncSet) -> Table {
    let mut table: Table = HashMap::new();
    for (name, sig, imp) in builtin_table() {
        table.insert(name, FuncDef { sig, imp });
    }
    if set == FuncSet::FluxOperator {
        // Funcs() entries take precedence over builtins (funcs.go findFunction): sprig's
        // `slice` replaces Go's.
        for (name, sig, imp) in flux_table() {
            table.insert(name, FuncDef { sig, imp });
        }
    }
    table
}

/// The function named `name` in `set`.
pub(crate) fn lookup(set: FuncSet, name: &str) -> Option<&'static FuncDef> {
    static BUILTINS: OnceLock<Table> = OnceLock::new();
    static FLUX: OnceLock<Table> = OnceLock::new();
    let table = match set {
        FuncSet::Builtins => BUILTINS.get_or_init(|| build(FuncSet::Builtins)),
        FuncSet::FluxOperator => FLUX.get_or_init(|| build(FuncSet::FluxOperator)),
    };
    table.get(name)
}

/// Every function `set` defines, and whether fleetlint evaluates it.
#[must_use]
pub fn function_names(set: FuncSet) -> Vec<(&'static str, bool)> {
    let mut names: Vec<(&'static str, bool)> = match set {
        FuncSet::Builtins => builtin_table().into_iter().map(|(n, _, i)| (n, i.is_some() || is_special(n))).collect(),
        FuncSet::FluxOperator => {
            let table = build(set);
            table.iter().map(|(n, d)| (*n, d.imp.is_some() || is_special(n))).collect()
        }
    };
    names.sort_unstable();
    names
}

/// Builtins the executor evaluates itself.
pub(crate) fn is_special(name: &str) -> bool {
    matches!(name, "and" | "or" | "call")
}

// Helpers shared by the implementations.

/// The string argument at `i` (signatures guarantee the type).
pub(crate) fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

/// The integer argument at `i`.
pub(crate) fn arg_int(args: &[Value], i: usize) -> i64 {
    match args.get(i) {
        Some(Value::Int(n, _)) => *n,
        _ => 0,
    }
}

/// sprig's `strval`: strings as they are, everything else `%v`.
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => crate::gofmt::format_v(other),
    }
}

/// The elements of a Go slice value, or `None` when `v` is not one (`reflect.Slice`).
pub(crate) fn as_slice(v: &Value) -> Option<&[Value]> {
    match v {
        Value::List(items) => Some(items),
        _ => None,
    }
}

/// Go's reflect kind name, as sprig's error messages print it.
pub(crate) fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_, IntKind::Int) => "int",
        Value::Int(_, IntKind::Int64) => "int64",
        Value::Float(_) => "float64",
        Value::Str(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Unknown(u) => kind_name(&u.shown),
    }
}

/// Check a length a function is about to build.
pub(crate) fn check_len(ctx: &CallCtx<'_>, n: usize, what: &str) -> Result<(), FnError> {
    if n > ctx.max_len {
        return Err(FnError::Limit(format!("{what} of {n} elements exceeds the limit of {}", ctx.max_len)));
    }
    Ok(())
}
