//! The lexer of Go's `text/template` (golang/go:src/text/template/parse/lex.go, Go 1.26): text
//! and actions between configurable delimiters, trim markers (`<<- ` and ` ->>`: the marker
//! needs an ASCII space next to it), comments (`/* */` right after the delimiter), and the
//! tokens inside actions. Newlines are allowed inside actions. `break` and `continue` are
//! keywords (no function of those names is defined).

/// A token kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Error,
    Bool,
    /// A printable ASCII character that is nothing else (`,`, `=` is [`Tok::Assign`]).
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

/// A token: its kind, byte offset in the template, and text (for [`Tok::Error`], the message).
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) tok: Tok,
    pub(crate) pos: usize,
    pub(crate) val: String,
}

pub(crate) struct Lexer<'a> {
    input: &'a str,
    left: &'a str,
    right: &'a str,
    pos: usize,
    start: usize,
    at_eof: bool,
    paren_depth: i32,
    inside_action: bool,
    done: bool,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

const SPACE_CHARS: &[char] = &[' ', '\t', '\r', '\n'];

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn keyword(word: &str) -> Option<Tok> {
    Some(match word {
        "." => Tok::Dot,
        "block" => Tok::Block,
        "break" => Tok::Break,
        "continue" => Tok::Continue,
        "define" => Tok::Define,
        "else" => Tok::Else,
        "end" => Tok::End,
        "if" => Tok::If,
        "range" => Tok::Range,
        "nil" => Tok::Nil,
        "template" => Tok::Template,
        "with" => Tok::With,
        _ => return None,
    })
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(input: &'a str, left: &'a str, right: &'a str) -> Self {
        Self { input, left, right, pos: 0, start: 0, at_eof: false, paren_depth: 0, inside_action: false, done: false }
    }

    fn next_char(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            Some(c) => {
                self.pos += c.len_utf8();
                Some(c)
            }
            None => {
                self.at_eof = true;
                None
            }
        }
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn backup(&mut self) {
        if !self.at_eof && self.pos > 0 {
            let c = self.input[..self.pos].chars().next_back().map_or(1, char::len_utf8);
            self.pos -= c;
        }
    }

    fn item(&mut self, tok: Tok) -> Item {
        let item = Item { tok, pos: self.start, val: self.input[self.start..self.pos].to_string() };
        self.start = self.pos;
        item
    }

    fn error(&mut self, msg: impl Into<String>) -> Item {
        self.done = true;
        Item { tok: Tok::Error, pos: self.start, val: msg.into() }
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.input[self.pos..];
        if has_right_trim_marker(rest) && rest[2..].starts_with(self.right) {
            return (true, true);
        }
        (rest.starts_with(self.right), false)
    }

    /// The next token.
    pub(crate) fn next_item(&mut self) -> Item {
        if self.done {
            return Item { tok: Tok::Eof, pos: self.input.len(), val: String::new() };
        }
        if self.inside_action { self.lex_inside_action() } else { self.lex_text() }
    }

    fn lex_text(&mut self) -> Item {
        loop {
            if let Some(x) = self.input[self.pos..].find(self.left) {
                if x > 0 {
                    self.pos += x;
                    let delim_end = self.pos + self.left.len();
                    let trim = if has_left_trim_marker(&self.input[delim_end..]) {
                        let text = &self.input[self.start..self.pos];
                        text.len() - text.trim_end_matches(SPACE_CHARS).len()
                    } else {
                        0
                    };
                    self.pos -= trim;
                    let item = self.item(Tok::Text);
                    self.pos += trim;
                    self.start = self.pos;
                    if !item.val.is_empty() {
                        return item;
                    }
                }
                if let Some(item) = self.lex_left_delim() {
                    return item;
                }
                // A comment was skipped: continue scanning text.
                continue;
            }
            self.pos = self.input.len();
            if self.pos > self.start {
                return self.item(Tok::Text);
            }
            self.done = true;
            return self.item(Tok::Eof);
        }
    }

    /// Scan a left delimiter; `None` when it opened a comment that was skipped.
    fn lex_left_delim(&mut self) -> Option<Item> {
        self.pos += self.left.len();
        let trim = has_left_trim_marker(&self.input[self.pos..]);
        let after_marker = if trim { 2 } else { 0 };
        if self.input[self.pos + after_marker..].starts_with("/*") {
            self.pos += after_marker;
            self.start = self.pos;
            return self.lex_comment();
        }
        let item = self.item(Tok::LeftDelim);
        self.inside_action = true;
        self.pos += after_marker;
        self.start = self.pos;
        self.paren_depth = 0;
        Some(item)
    }

    fn lex_comment(&mut self) -> Option<Item> {
        self.pos += 2;
        let Some(x) = self.input[self.pos..].find("*/") else {
            return Some(self.error("unclosed comment"));
        };
        self.pos += x + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return Some(self.error("comment ends before closing delimiter"));
        }
        if trim {
            self.pos += 2;
        }
        self.pos += self.right.len();
        if trim {
            let rest = &self.input[self.pos..];
            self.pos += rest.len() - rest.trim_start_matches(SPACE_CHARS).len();
        }
        self.start = self.pos;
        None
    }

    fn lex_right_delim(&mut self) -> Item {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += 2;
            self.start = self.pos;
        }
        self.pos += self.right.len();
        let item = self.item(Tok::RightDelim);
        if trim {
            let rest = &self.input[self.pos..];
            self.pos += rest.len() - rest.trim_start_matches(SPACE_CHARS).len();
            self.start = self.pos;
        }
        self.inside_action = false;
        item
    }

    fn lex_inside_action(&mut self) -> Item {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return self.lex_right_delim();
            }
            return self.error("unclosed left paren");
        }
        let Some(r) = self.next_char() else {
            return self.error("unclosed action");
        };
        match r {
            c if is_space(c) => {
                self.backup();
                self.lex_space()
            }
            '=' => self.item(Tok::Assign),
            ':' => {
                if self.next_char() != Some('=') {
                    return self.error("expected :=");
                }
                self.item(Tok::Declare)
            }
            '|' => self.item(Tok::Pipe),
            '"' => self.lex_escaped('"', "quoted string", Tok::String),
            '`' => self.lex_raw_quote(),
            '$' => self.lex_variable(),
            '\'' => self.lex_escaped('\'', "character constant", Tok::CharConstant),
            '.' if self.input.as_bytes().get(self.pos).is_some_and(|b| !b.is_ascii_digit()) => {
                self.lex_field_or_variable(Tok::Field)
            }
            '.' | '+' | '-' | '0'..='9' => {
                self.backup();
                self.lex_number()
            }
            c if is_alnum(c) => {
                self.backup();
                self.lex_identifier()
            }
            '(' => {
                self.paren_depth += 1;
                self.item(Tok::LeftParen)
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.error("unexpected right paren");
                }
                self.item(Tok::RightParen)
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.item(Tok::Char),
            c => self.error(format!("unrecognized character in action: U+{:04X}", c as u32)),
        }
    }

    fn lex_space(&mut self) -> Item {
        let mut spaces = 0;
        while self.peek().is_some_and(is_space) {
            self.next_char();
            spaces += 1;
        }
        // A trim-marked closing delimiter starts with a space: leave that space to it.
        let rest = &self.input[self.pos - 1..];
        if has_right_trim_marker(rest) && rest[2..].starts_with(self.right) {
            self.backup();
            if spaces == 1 {
                return self.lex_right_delim();
            }
        }
        self.item(Tok::Space)
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(_) => self.input[self.pos..].starts_with(self.right),
        }
    }

    fn lex_identifier(&mut self) -> Item {
        while self.peek().is_some_and(is_alnum) {
            self.next_char();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return self.error(format!("bad character U+{:04X} '{c}'", c as u32));
        }
        let word = &self.input[self.start..self.pos];
        let tok = if let Some(k) = keyword(word) {
            k
        } else if word == "true" || word == "false" {
            Tok::Bool
        } else {
            Tok::Identifier
        };
        self.item(tok)
    }

    fn lex_variable(&mut self) -> Item {
        if self.at_terminator() {
            return self.item(Tok::Variable);
        }
        self.lex_field_or_variable(Tok::Variable)
    }

    fn lex_field_or_variable(&mut self, tok: Tok) -> Item {
        if self.at_terminator() {
            return self.item(if tok == Tok::Variable { Tok::Variable } else { Tok::Dot });
        }
        while self.peek().is_some_and(is_alnum) {
            self.next_char();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return self.error(format!("bad character U+{:04X} '{c}'", c as u32));
        }
        self.item(tok)
    }

    /// Go's `lexChar` and `lexQuote`: up to the closing `close`, a backslash escaping the next
    /// character; a newline or the end of the text before it is an error `unterminated {what}`.
    fn lex_escaped(&mut self, close: char, what: &str, tok: Tok) -> Item {
        loop {
            match self.next_char() {
                Some('\\') => {
                    if matches!(self.next_char(), None | Some('\n')) {
                        return self.error(format!("unterminated {what}"));
                    }
                }
                None | Some('\n') => return self.error(format!("unterminated {what}")),
                Some(c) if c == close => break,
                Some(_) => {}
            }
        }
        self.item(tok)
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next_char() {
            Some(c) if valid.contains(c) => true,
            Some(_) => {
                self.backup();
                false
            }
            None => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next_char();
            return false;
        }
        true
    }

    fn lex_number(&mut self) -> Item {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            return self.error(format!("bad number syntax: {text:?}"));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_string();
                return self.error(format!("bad number syntax: {text:?}"));
            }
            return self.item(Tok::Complex);
        }
        self.item(Tok::Number)
    }

    fn lex_raw_quote(&mut self) -> Item {
        loop {
            match self.next_char() {
                None => return self.error("unterminated raw quoted string"),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.item(Tok::RawString)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(input: &str) -> Vec<(Tok, String)> {
        let mut lx = Lexer::new(input, "<<", ">>");
        let mut out = Vec::new();
        loop {
            let item = lx.next_item();
            let end = matches!(item.tok, Tok::Eof | Tok::Error);
            out.push((item.tok, item.val));
            if end {
                break;
            }
        }
        out
    }

    #[test]
    fn trim_markers_eat_surrounding_whitespace() {
        let t = toks("a  \n<<- 3 ->>\n  b");
        assert_eq!(t[0], (Tok::Text, "a".into()));
        assert_eq!(t[1].0, Tok::LeftDelim);
        assert_eq!(t[2], (Tok::Number, "3".into()));
        assert_eq!(t[3].0, Tok::RightDelim);
        assert_eq!(t[4], (Tok::Text, "b".into()));
    }

    #[test]
    fn quoted_strings_and_char_constants_end_at_their_own_quote() {
        // golang/go:src/text/template/parse/lex.go lexQuote / lexChar: an escaped quote does not
        // end them, the other quote does not either, a newline or the end is an error.
        assert_eq!(toks(r#"<<"a\"b'c">>"#)[1], (Tok::String, r#""a\"b'c""#.into()));
        assert_eq!(toks(r#"<<'\''>>"#)[1], (Tok::CharConstant, r#"'\''"#.into()));
        assert_eq!(toks("<<\"ab\n\">>")[1], (Tok::Error, "unterminated quoted string".into()));
        assert_eq!(toks("<<'a\\")[1], (Tok::Error, "unterminated character constant".into()));
        assert_eq!(toks(r#"<<'a">>"#)[1], (Tok::Error, "unterminated character constant".into()));
    }

    #[test]
    fn minus_without_space_is_a_number() {
        let t = toks("<<-3>>");
        assert_eq!(t[1], (Tok::Number, "-3".into()));
    }

    #[test]
    fn comments_are_skipped_and_can_trim() {
        let t = toks("x <<- /* hi */ ->> y");
        assert_eq!(t[0], (Tok::Text, "x".into()));
        assert_eq!(t[1], (Tok::Text, "y".into()));
        assert_eq!(toks("<</* a */ b>>")[0].0, Tok::Error);
    }

    #[test]
    fn identifiers_may_touch_the_right_delimiter() {
        let t = toks("<<inputs.x>>");
        assert_eq!(t[1], (Tok::Identifier, "inputs".into()));
        assert_eq!(t[2], (Tok::Field, ".x".into()));
        assert_eq!(t[3].0, Tok::RightDelim);
    }

    #[test]
    fn declarations_and_keywords() {
        let t = toks("<< range $i, $v := .x >>");
        let kinds: Vec<Tok> = t.iter().map(|x| x.0).filter(|k| *k != Tok::Space).collect();
        assert_eq!(
            kinds,
            vec![
                Tok::LeftDelim,
                Tok::Range,
                Tok::Variable,
                Tok::Char,
                Tok::Variable,
                Tok::Declare,
                Tok::Field,
                Tok::RightDelim,
                Tok::Eof
            ]
        );
    }
}
