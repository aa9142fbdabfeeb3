//! The parse tree (golang/go:src/text/template/parse/node.go), with byte offsets into the
//! template text.

/// A list of nodes (`ListNode`).
pub(crate) type List = Vec<Node>;

/// A statement-level node.
#[derive(Debug)]
pub(crate) enum Node {
    /// Literal text: the byte range in the template.
    Text { start: usize, end: usize },
    /// `<< pipeline >>`: `pos` of the left delimiter, `end` after the right one.
    Action { pos: usize, end: usize, pipe: Pipe },
    /// `<< if >>`, `<< with >>`, `<< range >>`.
    Branch(Box<Branch>),
    /// `<< template "name" pipeline >>` (also what `<< block >>` leaves in place).
    Template { pos: usize, name: String, pipe: Option<Pipe> },
    /// `<< break >>`.
    Break,
    /// `<< continue >>`.
    Continue,
}

/// Which control structure a [`Branch`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BranchKind {
    If,
    With,
    Range,
}

/// An `if`, `with` or `range` with its lists.
#[derive(Debug)]
pub(crate) struct Branch {
    pub(crate) kind: BranchKind,
    pub(crate) pos: usize,
    pub(crate) pipe: Pipe,
    pub(crate) list: List,
    pub(crate) else_list: Option<List>,
}

/// A pipeline: optional variable declarations and commands joined by `|`.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) pos: usize,
    /// Offset after the token that closed the pipeline (`>>` or `)`).
    pub(crate) end: usize,
    /// `$x = ...` rather than `$x := ...`.
    pub(crate) is_assign: bool,
    pub(crate) decl: Vec<String>,
    pub(crate) cmds: Vec<Command>,
}

/// A command: an operand and its arguments.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) pos: usize,
    pub(crate) args: Vec<Arg>,
}

/// An operand.
#[derive(Debug)]
pub(crate) enum Arg {
    /// `.a.b` (the fields without dots).
    Field { pos: usize, idents: Vec<String> },
    /// `(pipe).a.b` or `fn.a`: a term followed by fields.
    Chain { pos: usize, node: Box<Arg>, fields: Vec<String> },
    /// A function name.
    Identifier { pos: usize, name: String },
    /// `.`.
    Dot { pos: usize },
    /// `nil`.
    Nil { pos: usize },
    /// `$x.a.b` (`idents[0]` is the variable name with its `$`).
    Variable { pos: usize, idents: Vec<String> },
    /// `true` / `false`.
    Bool { pos: usize, value: bool },
    /// A number constant.
    Number { pos: usize, num: Number },
    /// A string constant (unquoted).
    Str { pos: usize, text: String },
    /// `( pipeline )`.
    Pipe(Box<Pipe>),
}

impl Arg {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Variable { pos, .. }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::Str { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }

    /// The operand as the template wrote it (for error messages).
    pub(crate) fn describe(&self) -> String {
        match self {
            Arg::Field { idents, .. } => idents.iter().map(|i| format!(".{i}")).collect(),
            Arg::Chain { node, fields, .. } => {
                let mut s = match node.as_ref() {
                    Arg::Pipe(_) => format!("({})", node.describe()),
                    other => other.describe(),
                };
                for f in fields {
                    s.push('.');
                    s.push_str(f);
                }
                s
            }
            Arg::Identifier { name, .. } => name.clone(),
            Arg::Dot { .. } => ".".into(),
            Arg::Nil { .. } => "nil".into(),
            Arg::Variable { idents, .. } => idents.join("."),
            Arg::Bool { value, .. } => value.to_string(),
            Arg::Number { num, .. } => num.text.clone(),
            Arg::Str { text, .. } => format!("{text:?}"),
            Arg::Pipe(p) => p.describe(),
        }
    }
}

impl Pipe {
    pub(crate) fn describe(&self) -> String {
        let mut s = String::new();
        if !self.decl.is_empty() {
            s.push_str(&self.decl.join(", "));
            s.push_str(if self.is_assign { " = " } else { " := " });
        }
        let cmds: Vec<String> =
            self.cmds.iter().map(|c| c.args.iter().map(Arg::describe).collect::<Vec<_>>().join(" ")).collect();
        s.push_str(&cmds.join(" | "));
        s
    }
}

/// A number constant and the Go types it can take (`NumberNode`).
#[derive(Debug, Clone)]
pub(crate) struct Number {
    pub(crate) text: String,
    pub(crate) int: Option<i64>,
    pub(crate) uint: Option<u64>,
    pub(crate) float: Option<f64>,
}
