//! fleetlint-gotemplate: Go's `text/template` as the Flux Operator renders ResourceSets.
//!
//! The Flux Operator parses each ResourceSet template with
//! `template.New("resourceset").Delims("<<", ">>").Funcs(sprig.HermeticTxtFuncMap())`, adds
//! `slugify`, `inputs`, `toYaml` and `mustToYaml`, sets `missingkey=error` and executes it with
//! nil data (controlplaneio-fluxcd/flux-operator@17c6aea:internal/builder/resourceset.go
//! `newTemplate`, `BuildResource`). [`Options::flux_operator`] is that configuration.
//!
//! ```
//! use fleetlint_gotemplate::{Options, Template, Value};
//!
//! let t = Template::parse("name: << inputs.app | upper >>-<< len inputs.envs >>", Options::flux_operator()).unwrap();
//! let inputs = Value::from_api_json(&serde_json::json!({"app": "web", "envs": ["a", "b"]}));
//! let out = t.execute(&Value::Nil, &inputs).unwrap();
//! assert_eq!(out.text, "name: WEB-2");
//! assert_eq!(t.position(out.origin(6)).column, 7); // "WEB" came from the action at column 7
//! ```
//!
//! Failures are typed ([`ErrorKind`]): parse and execution errors are what Go reports (the
//! Flux Operator would stall the ResourceSet); a function fleetlint does not evaluate, a value
//! it cannot know offline, or a resource limit are not claims about the template.

mod ast;
mod exec;
mod funcs;
mod gofmt;
pub mod goyaml2;
mod lex;
mod literal;
mod parse;
mod value;

use std::fmt;
use std::ops::Range;

pub use funcs::{FuncSet, adler32, function_names, go_path_clean};
pub use gofmt::{format_v, quote as go_quote, sprint, sprintf};
pub use value::{IntKind, MapRef, Unknown, Value, deep_equal};

/// Go's `missingkey` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingKey {
    /// A missing map key yields no value (printed `<no value>`).
    Default,
    /// A missing map key yields the zero value.
    Zero,
    /// A missing map key is an error (the Flux Operator's setting).
    Error,
}

/// Bounds that keep hostile templates from exhausting time or memory.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest output, in bytes.
    pub max_output_bytes: usize,
    /// Most nodes and commands evaluated.
    pub max_steps: u64,
    /// Deepest nesting of control structures, parentheses and `template` calls at execution.
    pub max_depth: usize,
    /// Longest list or string a function may build, and most `range` iterations over an integer.
    pub max_collection_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_output_bytes: 16 << 20, max_steps: 5_000_000, max_depth: 200, max_collection_len: 1_000_000 }
    }
}

/// How a template is parsed and executed.
#[derive(Clone, Debug)]
pub struct Options {
    /// Template name (used in messages).
    pub name: String,
    /// Left action delimiter.
    pub left_delim: String,
    /// Right action delimiter.
    pub right_delim: String,
    /// The function map.
    pub functions: FuncSet,
    /// The `missingkey` option.
    pub missing_key: MissingKey,
    /// Resource bounds.
    pub limits: Limits,
}

impl Options {
    /// The Flux Operator's ResourceSet configuration: `<<`/`>>`, builtins + slim-sprig hermetic
    /// functions + `slugify`/`inputs`/`toYaml`/`mustToYaml`, `missingkey=error`.
    #[must_use]
    pub fn flux_operator() -> Self {
        Self {
            name: "resourceset".into(),
            left_delim: "<<".into(),
            right_delim: ">>".into(),
            functions: FuncSet::FluxOperator,
            missing_key: MissingKey::Error,
            limits: Limits::default(),
        }
    }

    /// Go's defaults: `{{`/`}}`, builtins only, `missingkey=default`.
    #[must_use]
    pub fn go_default() -> Self {
        Self {
            name: "t".into(),
            left_delim: "{{".into(),
            right_delim: "}}".into(),
            functions: FuncSet::Builtins,
            missing_key: MissingKey::Default,
            limits: Limits::default(),
        }
    }
}

/// `sigs.k8s.io/yaml.Marshal` of a value (the Flux Operator's `toYaml`, source-watcher's
/// merged values files): through JSON, then go-yaml v2's emitter.
///
/// # Errors
/// Go's `json.Marshal` error for a non-finite float.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    funcs::yaml_tree(v).map(|t| goyaml2::marshal(&t).text)
}

/// What went wrong, and whether it is a certain error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Go fails to parse the template (certain).
    Parse,
    /// Go's execution fails (certain).
    Exec,
    /// A function fleetlint does not evaluate was called (not a claim about the template).
    Unsupported {
        /// The function's name.
        function: String,
    },
    /// The outcome depends on a value that is not known offline (not a claim about the template).
    Opaque {
        /// Why the value is unknown.
        reason: String,
    },
    /// A resource limit fired (not a claim about the template).
    Limit,
}

impl ErrorKind {
    /// Whether Go's `text/template` fails the same way: only then is this a finding.
    #[must_use]
    pub fn is_certain(&self) -> bool {
        matches!(self, ErrorKind::Parse | ErrorKind::Exec)
    }
}

/// A 1-based line and column (in Unicode scalar values) in the template text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Byte offset in the template text.
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Position {
    /// The position of byte `offset` in `text`.
    #[must_use]
    pub fn of(text: &str, offset: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        Self {
            offset,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// A template failure with its place in the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// Where (the node being evaluated, or the token being parsed).
    pub position: Position,
    /// The template range to point at: the action being executed (`<< ... >>`), or the token.
    pub span: Range<usize>,
    /// Go's wording of the problem (without Go's `template: name:line:col:` prefix).
    pub message: String,
}

impl TemplateError {
    pub(crate) fn new(kind: ErrorKind, message: String, text: &str, offset: usize, span: Option<Range<usize>>) -> Self {
        let position = Position::of(text, offset);
        let span = span.unwrap_or(position.offset..(position.offset + 1).min(text.len()).max(position.offset));
        Self { kind, position, message, span }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.kind {
            ErrorKind::Parse => "parse error",
            ErrorKind::Exec => "execution error",
            ErrorKind::Unsupported { .. } => "not evaluated offline",
            ErrorKind::Opaque { .. } => "not known offline",
            ErrorKind::Limit => "limit exceeded",
        };
        write!(f, "{what} at {}:{}: {}", self.position.line, self.position.column, self.message)?;
        if let ErrorKind::Opaque { reason } = &self.kind
            && !reason.is_empty()
        {
            write!(f, " ({reason})")?;
        }
        Ok(())
    }
}

impl std::error::Error for TemplateError {}

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    text: String,
    trees: parse::Trees,
    options: Options,
}

impl Template {
    /// Parse `text` as Go's `text/template` would with `options`.
    ///
    /// # Errors
    /// A [`TemplateError`] of kind [`ErrorKind::Parse`] where Go fails to parse, or
    /// [`ErrorKind::Limit`] for nesting beyond fleetlint's bound.
    pub fn parse(text: &str, options: Options) -> Result<Template, TemplateError> {
        let set = options.functions;
        let has_function = move |name: &str| funcs::lookup(set, name).is_some();
        match parse::Parser::parse(text, &options.left_delim, &options.right_delim, &has_function) {
            Ok(trees) => Ok(Template { text: text.to_string(), trees, options }),
            Err(e) => {
                let kind = if e.limit { ErrorKind::Limit } else { ErrorKind::Parse };
                Err(TemplateError::new(kind, e.msg, text, e.pos, None))
            }
        }
    }

    /// The template text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line and column of a byte offset in the template text.
    #[must_use]
    pub fn position(&self, offset: usize) -> Position {
        Position::of(&self.text, offset)
    }

    /// Execute with `dot` as data and `inputs` as what the `inputs` function returns.
    ///
    /// # Errors
    /// A [`TemplateError`]: [`ErrorKind::Exec`] where Go's execution fails, the other kinds
    /// where fleetlint cannot tell.
    pub fn execute(&self, dot: &Value, inputs: &Value) -> Result<Rendered, TemplateError> {
        let state = exec::State {
            text: &self.text,
            trees: &self.trees,
            funcs: self.options.functions,
            missing_key: self.options.missing_key,
            limits: &self.options.limits,
            inputs,
            has_unknowns: dot.has_unknown() || inputs.has_unknown(),
            vars: Vec::new(),
            out: String::new(),
            segments: Vec::new(),
            unknown: Vec::new(),
            at: 0,
            action: None,
            steps: 0,
            depth: 0,
        };
        state.run(dot)
    }
}

/// A piece of output and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) out_start: usize,
    /// Template offset: of the text itself (`exact`) or of the action's left delimiter.
    pub(crate) origin: usize,
    /// End of the text or of the action (after its right delimiter).
    pub(crate) origin_end: usize,
    pub(crate) exact: bool,
}

/// Output printed from a value fleetlint cannot know offline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownSpan {
    /// Byte range in [`Rendered::text`].
    pub range: Range<usize>,
    /// Why the value is unknown.
    pub reason: String,
}

/// The output of an execution, with a map back to the template.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The output text.
    pub text: String,
    segments: Vec<Segment>,
    /// Output ranges printed from unknown values (with stand-in text).
    pub unknown: Vec<UnknownSpan>,
}

impl Rendered {
    /// The template byte offset that produced output byte `offset`: inside literal text the
    /// corresponding template byte, inside an action's output the action's left delimiter.
    #[must_use]
    pub fn origin(&self, offset: usize) -> usize {
        let i = self.segments.partition_point(|s| s.out_start <= offset);
        match i.checked_sub(1).and_then(|i| self.segments.get(i)) {
            Some(s) if s.exact => s.origin + (offset - s.out_start),
            Some(s) => s.origin,
            None => 0,
        }
    }

    /// The template range that produced output byte `offset`: the byte itself inside literal
    /// text, the whole action (`<< ... >>`) inside an action's output.
    #[must_use]
    pub fn origin_range(&self, offset: usize) -> Range<usize> {
        let i = self.segments.partition_point(|s| s.out_start <= offset);
        match i.checked_sub(1).and_then(|i| self.segments.get(i)) {
            Some(s) if s.exact => {
                let o = s.origin + (offset - s.out_start);
                o..o + 1
            }
            Some(s) => s.origin..s.origin_end,
            None => 0..0,
        }
    }

    /// For each output line (0-based), the template offset that produced its first byte (an
    /// empty last line maps like the byte before it).
    #[must_use]
    pub fn line_origins(&self) -> Vec<usize> {
        let mut out = vec![self.origin(0)];
        for (i, b) in self.text.bytes().enumerate() {
            if b == b'\n' {
                let next = if i + 1 < self.text.len() { i + 1 } else { i };
                out.push(self.origin(next));
            }
        }
        out
    }

    /// Whether any unknown value was printed into `range`.
    #[must_use]
    pub fn unknown_in(&self, range: Range<usize>) -> Option<&UnknownSpan> {
        self.unknown.iter().find(|u| u.range.start < range.end && range.start < u.range.end)
    }
}

#[cfg(test)]
mod tests;
