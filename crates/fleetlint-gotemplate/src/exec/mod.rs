//! Template execution (golang/go:src/text/template/exec.go, Go 1.26): pipelines, variables,
//! `if`/`with`/`range` (lists, maps in key order, integers), `break`/`continue`, `template`,
//! field chains with `missingkey` handling, argument typing (`evalArg`, `validateType`) and the
//! short-circuit `and`/`or`.
//!
//! Output is written with its origin: literal text maps byte for byte to the template, the
//! output of an action maps to the action's `<<`.
//!
//! This module holds the state, the walk of the tree (control flow and output); `eval` evaluates
//! pipelines, commands, field chains, function calls and arguments.

mod eval;

use crate::ast::{Branch, BranchKind, List, Node};
use crate::funcs::FuncSet;
use crate::gofmt;
use crate::parse::Trees;
use crate::value::Value;
use crate::{ErrorKind, Limits, MissingKey, Rendered, Segment, TemplateError, UnknownSpan};

pub(crate) enum Flow {
    Break,
    Continue,
    Err(Box<TemplateError>),
}

type X<T> = Result<T, Flow>;

pub(crate) struct State<'t> {
    pub(crate) text: &'t str,
    pub(crate) trees: &'t Trees,
    pub(crate) funcs: FuncSet,
    pub(crate) missing_key: MissingKey,
    pub(crate) limits: &'t Limits,
    pub(crate) inputs: &'t Value,
    pub(crate) has_unknowns: bool,
    pub(crate) vars: Vec<(String, Value)>,
    pub(crate) out: String,
    pub(crate) segments: Vec<Segment>,
    pub(crate) unknown: Vec<UnknownSpan>,
    pub(crate) at: usize,
    /// The action (or control clause) being evaluated, for error spans.
    pub(crate) action: Option<std::ops::Range<usize>>,
    pub(crate) steps: u64,
    pub(crate) depth: usize,
}

impl<'t> State<'t> {
    pub(crate) fn run(mut self, dot: &Value) -> Result<Rendered, TemplateError> {
        self.vars.push(("$".into(), dot.clone()));
        let root = &self.trees.root;
        match self.walk(dot, root) {
            Ok(()) => Ok(Rendered { text: self.out, segments: self.segments, unknown: self.unknown }),
            Err(Flow::Err(e)) => Err(*e),
            // The parser rejects break/continue outside range.
            Err(Flow::Break | Flow::Continue) => Err(self.error(ErrorKind::Exec, "break or continue outside range")),
        }
    }

    fn error(&self, kind: ErrorKind, msg: impl Into<String>) -> TemplateError {
        TemplateError::new(kind, msg.into(), self.text, self.at, self.action.clone())
    }

    fn fail<T>(&self, msg: impl Into<String>) -> X<T> {
        Err(Flow::Err(Box::new(self.error(ErrorKind::Exec, msg))))
    }

    fn fail_kind<T>(&self, kind: ErrorKind, msg: impl Into<String>) -> X<T> {
        Err(Flow::Err(Box::new(self.error(kind, msg))))
    }

    fn step(&mut self) -> X<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return self.fail_kind(ErrorKind::Limit, format!("more than {} evaluation steps", self.limits.max_steps));
        }
        Ok(())
    }

    fn enter(&mut self) -> X<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return self.fail_kind(ErrorKind::Limit, format!("nesting deeper than {} levels", self.limits.max_depth));
        }
        Ok(())
    }

    fn write(&mut self, s: &str, origin: std::ops::Range<usize>, exact: bool) -> X<()> {
        if s.is_empty() {
            return Ok(());
        }
        if self.out.len() + s.len() > self.limits.max_output_bytes {
            return self
                .fail_kind(ErrorKind::Limit, format!("output larger than {} bytes", self.limits.max_output_bytes));
        }
        self.segments.push(Segment { out_start: self.out.len(), origin: origin.start, origin_end: origin.end, exact });
        self.out.push_str(s);
        Ok(())
    }

    fn walk(&mut self, dot: &Value, list: &'t List) -> X<()> {
        for node in list {
            self.walk_node(dot, node)?;
        }
        Ok(())
    }

    fn walk_node(&mut self, dot: &Value, node: &'t Node) -> X<()> {
        self.step()?;
        match node {
            Node::Text { start, end } => self.write(&self.text[*start..*end], *start..*end, true),
            Node::Action { pos, end, pipe } => {
                self.at = *pos;
                let saved = self.action.replace(*pos..*end);
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print_value(*pos..*end, &v)?;
                }
                self.action = saved;
                Ok(())
            }
            Node::Branch(b) => {
                self.enter()?;
                let r = match b.kind {
                    BranchKind::Range => self.walk_range(dot, b),
                    _ => self.walk_if_with(dot, b),
                };
                self.depth -= 1;
                r
            }
            Node::Template { pos, name, pipe } => {
                self.at = *pos;
                let Some(tree) = self.trees.defined.get(name) else {
                    return self.fail(format!("template {name:?} not defined"));
                };
                self.enter()?;
                let saved = self.action.replace(*pos..pipe.as_ref().map_or(*pos + 1, |p| p.end));
                let new_dot = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Nil,
                };
                self.action = saved;
                // No dynamic scoping: the invoked template sees only `$`.
                let saved = std::mem::replace(&mut self.vars, vec![("$".into(), new_dot.clone())]);
                let r = self.walk(&new_dot, tree);
                self.vars = saved;
                self.depth -= 1;
                r
            }
            Node::Break => Err(Flow::Break),
            Node::Continue => Err(Flow::Continue),
        }
    }

    fn truth(&self, v: &Value, what: &str) -> X<bool> {
        match v.truth() {
            Some(t) => Ok(t),
            None => self.fail_kind(
                ErrorKind::Opaque { reason: v.unknown_reason().map(|r| r.to_string()).unwrap_or_default() },
                format!("{what} depends on a value not known offline"),
            ),
        }
    }

    fn walk_if_with(&mut self, dot: &Value, b: &'t Branch) -> X<()> {
        let mark = self.vars.len();
        self.at = b.pos;
        let saved = self.action.replace(b.pos..b.pipe.end);
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let what = if b.kind == BranchKind::With { "with" } else { "if" };
        let truth = self.truth(&val, what)?;
        self.action = saved;
        let r = if truth {
            if b.kind == BranchKind::With { self.walk(&val, &b.list) } else { self.walk(dot, &b.list) }
        } else if let Some(else_list) = &b.else_list {
            self.walk(dot, else_list)
        } else {
            Ok(())
        };
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, dot: &Value, b: &'t Branch) -> X<()> {
        let mark = self.vars.len();
        self.at = b.pos;
        let saved = self.action.replace(b.pos..b.pipe.end);
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let items: Vec<(Value, Value)> = match &val {
            Value::List(items) => {
                items.iter().enumerate().map(|(i, v)| (Value::int(i64::try_from(i).unwrap_or(0)), v.clone())).collect()
            }
            Value::Map(m) => m.borrow().iter().map(|(k, v)| (Value::str(k.as_str()), v.clone())).collect(),
            Value::Int(n, kind) => {
                if b.pipe.decl.len() > 1 {
                    self.vars.truncate(mark);
                    return self.fail(format!("can't use {n} to iterate over more than one variable"));
                }
                let count = usize::try_from(*n).unwrap_or(0);
                if count > self.limits.max_collection_len {
                    self.vars.truncate(mark);
                    return self.fail_kind(ErrorKind::Limit, format!("range over {n} exceeds the iteration limit"));
                }
                (0..*n.max(&0)).map(|i| (Value::Nil, Value::Int(i, *kind))).collect()
            }
            Value::Nil => Vec::new(),
            Value::Unknown(u) => {
                let reason = u.reason.to_string();
                self.vars.truncate(mark);
                return self.fail_kind(ErrorKind::Opaque { reason }, "range depends on a value not known offline");
            }
            other => {
                let shown = gofmt::format_v(other);
                self.vars.truncate(mark);
                return self.fail(format!("range can't iterate over {shown}"));
            }
        };
        self.action = saved;
        if items.is_empty() {
            let r = match &b.else_list {
                Some(else_list) => self.walk(dot, else_list),
                None => Ok(()),
            };
            self.vars.truncate(mark);
            return r;
        }
        let inner = self.vars.len();
        let decl = &b.pipe.decl;
        for (index, elem) in items {
            if !decl.is_empty() {
                if b.pipe.is_assign {
                    let v = if decl.len() > 1 { index.clone() } else { elem.clone() };
                    self.set_var(&decl[0], v)?;
                } else {
                    let n = self.vars.len();
                    self.vars[n - 1].1 = elem.clone();
                }
            }
            if decl.len() > 1 {
                if b.pipe.is_assign {
                    self.set_var(&decl[1], elem.clone())?;
                } else {
                    let n = self.vars.len();
                    self.vars[n - 2].1 = index;
                }
            }
            let r = self.walk(&elem, &b.list);
            self.vars.truncate(inner);
            match r {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(e) => {
                    self.vars.truncate(mark);
                    return Err(e);
                }
            }
        }
        self.vars.truncate(mark);
        Ok(())
    }

    fn print_value(&mut self, pos: std::ops::Range<usize>, v: &Value) -> X<()> {
        match v {
            Value::Nil => self.write("<no value>", pos, false),
            Value::Unknown(u) => {
                let text = gofmt::format_v(&u.shown);
                let start = self.out.len();
                self.write(&text, pos.clone(), false)?;
                self.unknown.push(UnknownSpan { range: start..self.out.len(), reason: u.reason.to_string() });
                Ok(())
            }
            other => {
                let start = self.out.len();
                let text = gofmt::format_v(other);
                self.write(&text, pos.clone(), false)?;
                if let Some(reason) = other.unknown_reason().filter(|_| self.has_unknowns) {
                    self.unknown.push(UnknownSpan { range: start..self.out.len(), reason: reason.to_string() });
                }
                Ok(())
            }
        }
    }

    fn var_value(&self, name: &str) -> X<Value> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.fail(format!("undefined variable: {name}")),
        }
    }

    fn set_var(&mut self, name: &str, v: Value) -> X<()> {
        // Reassignment in a loop is how a template builds unbounded nesting (`$x = list $x`).
        if matches!(v, Value::List(_) | Value::Map(_)) {
            match crate::value::check_nesting(&v, None, crate::value::MAX_VALUE_DEPTH) {
                Some(visited) => self.charge(visited)?,
                None => return self.fail_kind(ErrorKind::Limit, format!("{name} nests values too deep")),
            }
        }
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => self.fail(format!("undefined variable: {name}")),
        }
    }
}
