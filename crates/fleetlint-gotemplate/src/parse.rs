//! The parser of Go's `text/template` (golang/go:src/text/template/parse/parse.go, Go 1.26):
//! actions, pipelines with `:=`/`=` declarations, `if`/`else if`/`with`/`else with`/`range`
//! (with `break`/`continue`), `define`, `template`, `block`, parenthesised pipelines and field
//! chains. As in Go, calling a function that is not defined and using an undeclared variable are
//! parse errors.

use std::collections::HashMap;

use crate::ast::{Arg, Branch, BranchKind, Command, List, Node, Pipe};
use crate::lex::{Item, Lexer, Tok};
use crate::literal::{new_number, unquote};

/// A parse failure: byte offset and Go's message.
#[derive(Debug)]
pub(crate) struct ParseError {
    pub(crate) pos: usize,
    pub(crate) msg: String,
    /// The nesting limit fired (not a Go error: hostile input).
    pub(crate) limit: bool,
}

type PResult<T> = Result<T, ParseError>;

/// Nesting of control structures and parentheses the parser accepts. Go allows 10,000
/// parenthesised levels (`maxStackDepth`); fleetlint stops earlier to bound its own stack.
pub(crate) const MAX_NESTING: usize = 256;

/// The parsed templates: the root and every `define`/`block`.
#[derive(Debug, Default)]
pub(crate) struct Trees {
    pub(crate) root: List,
    pub(crate) defined: HashMap<String, List>,
}

pub(crate) struct Parser<'a> {
    lex: Lexer<'a>,
    pushed: Vec<Item>,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    has_function: &'a dyn Fn(&str) -> bool,
    trees: Trees,
    last_pos: usize,
}

enum ListEnd {
    End,
    Else { pos: usize, chained: Option<Tok> },
}

fn is_empty_tree(list: &List, text: &str) -> bool {
    list.iter().all(|n| match n {
        Node::Text { start, end } => text[*start..*end].trim().is_empty(),
        _ => false,
    })
}

impl<'a> Parser<'a> {
    pub(crate) fn parse(
        text: &'a str,
        left: &'a str,
        right: &'a str,
        has_function: &'a dyn Fn(&str) -> bool,
    ) -> PResult<Trees> {
        let mut p = Parser {
            lex: Lexer::new(text, left, right),
            pushed: Vec::new(),
            vars: vec!["$".into()],
            range_depth: 0,
            depth: 0,
            has_function,
            trees: Trees::default(),
            last_pos: 0,
        };
        let root = p.parse_top(text)?;
        p.trees.root = root;
        Ok(p.trees)
    }

    fn next(&mut self) -> Item {
        let item = self.pushed.pop().unwrap_or_else(|| self.lex.next_item());
        self.last_pos = item.pos;
        item
    }

    fn backup(&mut self, item: Item) {
        self.pushed.push(item);
    }

    fn peek(&mut self) -> Item {
        let item = self.next();
        self.backup(item.clone());
        item
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let item = self.next();
            if item.tok != Tok::Space {
                return item;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let item = self.next_non_space();
        self.backup(item.clone());
        item
    }

    fn err<T>(&self, pos: usize, msg: impl Into<String>) -> PResult<T> {
        Err(ParseError { pos, msg: msg.into(), limit: false })
    }

    fn unexpected<T>(&self, item: &Item, context: &str) -> PResult<T> {
        if item.tok == Tok::Error {
            return self.err(item.pos, item.val.clone());
        }
        self.err(item.pos, format!("unexpected {} in {context}", describe(item)))
    }

    fn enter(&mut self, pos: usize) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(ParseError { pos, msg: format!("nesting deeper than {MAX_NESTING} levels"), limit: true });
        }
        Ok(())
    }

    fn add(&mut self, name: String, list: List, text: &str, pos: usize) -> PResult<()> {
        match self.trees.defined.get(&name) {
            Some(existing) if !is_empty_tree(existing, text) => {
                if !is_empty_tree(&list, text) {
                    return self.err(pos, format!("template: multiple definition of template {name:?}"));
                }
            }
            _ => {
                self.trees.defined.insert(name, list);
            }
        }
        Ok(())
    }

    fn parse_top(&mut self, text: &str) -> PResult<List> {
        let mut root = List::new();
        loop {
            let item = self.peek();
            if item.tok == Tok::Eof {
                return Ok(root);
            }
            if item.tok == Tok::Error {
                return self.unexpected(&item, "input");
            }
            if item.tok == Tok::LeftDelim {
                let delim = self.next();
                let kw = self.next_non_space();
                if kw.tok == Tok::Define {
                    self.parse_definition(text)?;
                    continue;
                }
                self.backup(kw);
                self.backup(delim);
            }
            match self.text_or_action(text)? {
                Parsed::Node(n) => root.push(n),
                Parsed::End(pos) => return self.err(pos, "unexpected {{end}}"),
                Parsed::Else(pos, _) => return self.err(pos, "unexpected {{else}}"),
            }
        }
    }

    fn parse_definition(&mut self, text: &str) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let name_tok = self.next_non_space();
        let name = match name_tok.tok {
            Tok::String | Tok::RawString => unquote(&name_tok.val).map_err(|m| self.mk(name_tok.pos, m))?,
            _ => return self.unexpected(&name_tok, CONTEXT),
        };
        let close = self.next_non_space();
        if close.tok != Tok::RightDelim {
            return self.unexpected(&close, CONTEXT);
        }
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let (list, end) = self.item_list(text)?;
        self.vars = saved_vars;
        if let ListEnd::Else { pos, .. } = end {
            return self.err(pos, format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name, list, text, name_tok.pos)
    }

    fn mk(&self, pos: usize, msg: String) -> ParseError {
        ParseError { pos, msg, limit: false }
    }

    /// Parse nodes up to `end` or `else`.
    fn item_list(&mut self, text: &str) -> PResult<(List, ListEnd)> {
        let mut list = List::new();
        loop {
            let item = self.peek_non_space();
            if item.tok == Tok::Eof {
                return self.err(item.pos, "unexpected EOF");
            }
            match self.text_or_action(text)? {
                Parsed::Node(n) => list.push(n),
                Parsed::End(_) => return Ok((list, ListEnd::End)),
                Parsed::Else(pos, chained) => return Ok((list, ListEnd::Else { pos, chained })),
            }
        }
    }

    fn text_or_action(&mut self, text: &str) -> PResult<Parsed> {
        let item = self.next_non_space();
        match item.tok {
            Tok::Text => Ok(Parsed::Node(Node::Text { start: item.pos, end: item.pos + item.val.len() })),
            Tok::LeftDelim => self.action(text, item.pos),
            _ => self.unexpected(&item, "input"),
        }
    }

    fn action(&mut self, text: &str, delim_pos: usize) -> PResult<Parsed> {
        let item = self.next_non_space();
        match item.tok {
            Tok::Block => return self.block_control(text, item.pos).map(Parsed::Node),
            Tok::Break | Tok::Continue => {
                let close = self.next_non_space();
                let word = if item.tok == Tok::Break { "break" } else { "continue" };
                if close.tok != Tok::RightDelim {
                    return self.unexpected(&close, &format!("{{{{{word}}}}}"));
                }
                if self.range_depth == 0 {
                    return self.err(item.pos, format!("{{{{{word}}}}} outside {{{{range}}}}"));
                }
                return Ok(Parsed::Node(if item.tok == Tok::Break { Node::Break } else { Node::Continue }));
            }
            Tok::Else => {
                let peek = self.peek_non_space();
                if matches!(peek.tok, Tok::If | Tok::With) {
                    return Ok(Parsed::Else(item.pos, Some(peek.tok)));
                }
                let close = self.next_non_space();
                if close.tok != Tok::RightDelim {
                    return self.unexpected(&close, "else");
                }
                return Ok(Parsed::Else(item.pos, None));
            }
            Tok::End => {
                let close = self.next_non_space();
                if close.tok != Tok::RightDelim {
                    return self.unexpected(&close, "end");
                }
                return Ok(Parsed::End(item.pos));
            }
            Tok::If => return self.branch(BranchKind::If, text).map(Parsed::Node),
            Tok::Range => return self.branch(BranchKind::Range, text).map(Parsed::Node),
            Tok::With => return self.branch(BranchKind::With, text).map(Parsed::Node),
            Tok::Template => return self.template_control(item.pos).map(Parsed::Node),
            _ => {}
        }
        self.backup(item.clone());
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Parsed::Node(Node::Action { pos: delim_pos, end: pipe.end, pipe }))
    }

    fn branch(&mut self, kind: BranchKind, text: &str) -> PResult<Node> {
        let context = match kind {
            BranchKind::If => "if",
            BranchKind::With => "with",
            BranchKind::Range => "range",
        };
        let vars_mark = self.vars.len();
        let start = self.peek_non_space().pos;
        self.enter(start)?;
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if kind == BranchKind::Range {
            self.range_depth += 1;
        }
        let (list, end) = self.item_list(text)?;
        if kind == BranchKind::Range {
            self.range_depth -= 1;
        }
        let else_list = match end {
            ListEnd::End => None,
            ListEnd::Else { pos, chained: Some(next) }
                if (kind == BranchKind::If && next == Tok::If) || (kind == BranchKind::With && next == Tok::With) =>
            {
                // `else if` / `else with`: the chained control consumes the single `end`
                // (parse.go parseControl).
                self.next_non_space();
                let inner = self.branch(kind, text)?;
                let _ = pos;
                Some(vec![inner])
            }
            ListEnd::Else { chained: Some(tok), .. } => {
                let item = self.next_non_space();
                let _ = tok;
                return self.unexpected(&item, "input");
            }
            ListEnd::Else { pos, chained: None } => {
                let (else_list, end) = self.item_list(text)?;
                if let ListEnd::Else { .. } = end {
                    return self.err(pos, "expected end; found {{else}}");
                }
                Some(else_list)
            }
        };
        self.vars.truncate(vars_mark);
        self.depth -= 1;
        Ok(Node::Branch(Box::new(Branch { kind, pos: pipe.pos, pipe, list, else_list })))
    }

    fn template_control(&mut self, _pos: usize) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let next = self.next_non_space();
        let pipe = if next.tok == Tok::RightDelim {
            None
        } else {
            self.backup(next);
            Some(self.pipeline(CONTEXT, Tok::RightDelim)?)
        };
        Ok(Node::Template { pos: token.pos, name, pipe })
    }

    fn block_control(&mut self, text: &str, _pos: usize) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Tok::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        self.enter(token.pos)?;
        let (list, end) = self.item_list(text)?;
        self.depth -= 1;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        if let ListEnd::Else { pos, .. } = end {
            return self.err(pos, format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name.clone(), list, text, token.pos)?;
        Ok(Node::Template { pos: token.pos, name, pipe: Some(pipe) })
    }

    fn template_name(&self, token: &Item, context: &str) -> PResult<String> {
        match token.tok {
            Tok::String | Tok::RawString => unquote(&token.val).map_err(|m| self.mk(token.pos, m)),
            _ => self.unexpected(token, context),
        }
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe { pos: start.pos, end: start.pos, is_assign: false, decl: Vec::new(), cmds: Vec::new() };
        // Declarations: `$x :=`, `$x =`, and in range `$i, $v :=`.
        loop {
            let v = self.peek_non_space();
            if v.tok != Tok::Variable {
                break;
            }
            let v = self.next_non_space();
            let after = self.next();
            let next = if after.tok == Tok::Space {
                let n = self.next_non_space();
                self.backup(n.clone());
                self.backup(after.clone());
                n
            } else {
                self.backup(after.clone());
                after.clone()
            };
            match next.tok {
                Tok::Assign | Tok::Declare => {
                    pipe.is_assign = next.tok == Tok::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    break;
                }
                Tok::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        let p = self.peek_non_space();
                        if matches!(p.tok, Tok::Variable | Tok::RightDelim | Tok::RightParen) {
                            continue;
                        }
                        return self.err(p.pos, "range can only initialize variables");
                    }
                    return self.err(next.pos, format!("too many declarations in {context}"));
                }
                _ => {
                    self.backup(v);
                    break;
                }
            }
        }
        loop {
            let token = self.next_non_space();
            if token.tok == end {
                pipe.end = token.pos + token.val.len();
                self.check_pipeline(&pipe, context, token.pos)?;
                return Ok(pipe);
            }
            match token.tok {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Complex
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup(token);
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&token, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str, pos: usize) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.err(pos, format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args[0],
                Arg::Bool { .. } | Arg::Dot { .. } | Arg::Nil { .. } | Arg::Number { .. } | Arg::Str { .. }
            ) {
                return self.err(c.pos, format!("non executable command in pipeline stage {}", i + 1));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command { pos, args: Vec::new() };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(token),
                Tok::Pipe => {}
                _ => return self.unexpected(&token, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.err(pos, "empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else { return Ok(None) };
        if self.peek().tok != Tok::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().tok == Tok::Field {
            fields.push(self.next().val[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { pos, mut idents } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Variable { pos, mut idents } => {
                idents.extend(fields);
                Arg::Variable { pos, idents }
            }
            Arg::Bool { .. } | Arg::Str { .. } | Arg::Number { .. } | Arg::Nil { .. } | Arg::Dot { .. } => {
                return self.err(chain_pos, format!("unexpected . after term {:?}", node.describe()));
            }
            other => Arg::Chain { pos: chain_pos, node: Box::new(other), fields },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        let pos = token.pos;
        Ok(Some(match token.tok {
            Tok::Identifier => {
                if !(self.has_function)(&token.val) {
                    return self.err(pos, format!("function {:?} not defined", token.val));
                }
                Arg::Identifier { pos, name: token.val }
            }
            Tok::Dot => Arg::Dot { pos },
            Tok::Nil => Arg::Nil { pos },
            Tok::Variable => {
                let name = token.val.split('.').next().unwrap_or("").to_string();
                if !self.vars.contains(&name) {
                    return self.err(pos, format!("undefined variable {name:?}"));
                }
                Arg::Variable { pos, idents: vec![name] }
            }
            Tok::Field => Arg::Field { pos, idents: vec![token.val[1..].to_string()] },
            Tok::Bool => Arg::Bool { pos, value: token.val == "true" },
            Tok::CharConstant | Tok::Number => {
                let num = new_number(&token.val, token.tok).map_err(|m| self.mk(pos, m))?;
                Arg::Number { pos, num }
            }
            Tok::Complex => return self.err(pos, format!("complex constant {} is not supported", token.val)),
            Tok::LeftParen => {
                self.enter(pos)?;
                let pipe = self.pipeline("parenthesized pipeline", Tok::RightParen)?;
                self.depth -= 1;
                Arg::Pipe(Box::new(pipe))
            }
            Tok::String | Tok::RawString => {
                let text = unquote(&token.val).map_err(|m| self.mk(pos, m))?;
                Arg::Str { pos, text }
            }
            _ => {
                self.backup(token);
                return Ok(None);
            }
        }))
    }
}

enum Parsed {
    Node(Node),
    End(usize),
    Else(usize, Option<Tok>),
}

fn describe(item: &Item) -> String {
    match item.tok {
        Tok::Eof => "EOF".into(),
        Tok::Block
        | Tok::Break
        | Tok::Continue
        | Tok::Dot
        | Tok::Define
        | Tok::Else
        | Tok::End
        | Tok::If
        | Tok::Nil
        | Tok::Range
        | Tok::Template
        | Tok::With => format!("<{}>", item.val),
        _ => {
            if item.val.chars().count() > 10 {
                let short: String = item.val.chars().take(10).collect();
                format!("{short:?}...")
            } else {
                format!("{:?}", item.val)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> PResult<Trees> {
        Parser::parse(text, "{{", "}}", &|name| matches!(name, "printf" | "len" | "f"))
    }

    #[test]
    fn go_parse_errors() {
        let msg = |t: &str| parse(t).unwrap_err().msg;
        assert_eq!(msg("{{nope 1}}"), "function \"nope\" not defined");
        assert_eq!(msg("{{$x}}"), "undefined variable \"$x\"");
        assert_eq!(msg("{{if .x}}"), "unexpected EOF");
        assert_eq!(msg("{{end}}"), "unexpected {{end}}");
        assert_eq!(msg("{{break}}"), "{{break}} outside {{range}}");
        assert_eq!(msg("{{.x | 3}}"), "non executable command in pipeline stage 2");
        assert_eq!(msg("{{}}"), "missing value for command");
        assert_eq!(msg("{{range $a, $b, $c := .x}}{{end}}"), "too many declarations in range");
        assert_eq!(msg("{{with $a, $b := .x}}{{end}}"), "too many declarations in with");
        assert!(parse("{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}").is_err());
    }

    #[test]
    fn variables_are_scoped_to_their_control_structure() {
        assert!(parse("{{if true}}{{$x := 1}}{{end}}{{$x}}").is_err());
        assert!(parse("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}").is_ok());
        assert!(parse("{{range $i, $v := .}}{{$i}}{{$v}}{{end}}").is_ok());
    }
}
