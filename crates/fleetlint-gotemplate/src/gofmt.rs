//! Go's `fmt` for template values: `Sprint`, `Sprintln`, `Sprintf` and the default `%v`
//! format (golang/go:src/fmt/print.go, format.go; strconv/ftoa.go, quote.go).
//!
//! `%v` of a map is `map[k1:v1 k2:v2]` with keys sorted (internal/fmtsort), of a slice
//! `[a b]`, of nil `<nil>`; floats use the shortest representation with an exponent when it is
//! below -4 or at least 6 (`strconv.FormatFloat(f, 'g', -1, 64)`: `1e+06`, `123456`).

use crate::value::Value;

/// `fmt.Sprint`: operands joined with a space when neither side is a string.
#[must_use]
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !is_string(a) && !is_string(&args[i - 1]) {
            out.push(' ');
        }
        out.push_str(&format_v(a));
    }
    out
}

/// `fmt.Sprintln`: operands joined with spaces, then a newline.
#[must_use]
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out: Vec<String> = args.iter().map(format_v).collect::<Vec<_>>();
    let mut s = std::mem::take(&mut out).join(" ");
    s.push('\n');
    s
}

fn is_string(v: &Value) -> bool {
    match v {
        Value::Str(_) => true,
        Value::Unknown(u) => is_string(&u.shown),
        _ => false,
    }
}

/// `%v` of one value.
#[must_use]
pub fn format_v(v: &Value) -> String {
    let mut out = String::new();
    write_verb(&mut out, v, 'v', &Spec::default());
    out
}

/// Go's `strconv.Quote`.
#[must_use]
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint`: graphic characters and the ASCII space.
pub(crate) fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    // Format characters (category Cf) and specials Go does not print.
    !matches!(c as u32, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E
        | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE0001 | 0xE0020..=0xE007F | 0xD800..=0xDFFF)
}

#[derive(Clone, Debug, Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf` over template values.
#[must_use]
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut arg_num = 0usize;
    let mut reordered = false;
    let bytes = format.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i] != b'%' {
            i += 1;
        }
        out.push_str(&format[start..i]);
        if i >= bytes.len() {
            break;
        }
        i += 1; // '%'
        let mut spec = Spec::default();
        while i < bytes.len() {
            match bytes[i] {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = !spec.minus,
                b'+' => spec.plus = true,
                b'-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        // Argument index, width.
        let (idx, ni) = arg_index(format, i, &mut reordered);
        i = ni;
        if let Some(n) = idx {
            arg_num = n;
        }
        if i < bytes.len() && bytes[i] == b'*' {
            i += 1;
            match args.get(arg_num) {
                Some(Value::Int(n, _)) => {
                    if *n < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = usize::try_from(n.unsigned_abs()).ok();
                }
                _ => out.push_str("%!(BADWIDTH)"),
            }
            arg_num += 1;
        } else {
            let (w, ni) = parse_num(format, i);
            spec.width = w;
            i = ni;
        }
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let (idx, ni) = arg_index(format, i, &mut reordered);
            i = ni;
            if let Some(n) = idx {
                arg_num = n;
            }
            if i < bytes.len() && bytes[i] == b'*' {
                i += 1;
                match args.get(arg_num) {
                    Some(Value::Int(n, _)) if *n >= 0 => spec.prec = usize::try_from(*n).ok(),
                    _ => out.push_str("%!(BADPREC)"),
                }
                arg_num += 1;
            } else {
                let (p, ni) = parse_num(format, i);
                spec.prec = Some(p.unwrap_or(0));
                i = ni;
            }
        }
        let (idx, ni) = arg_index(format, i, &mut reordered);
        i = ni;
        if let Some(n) = idx {
            arg_num = n;
        }
        let Some(verb) = format[i..].chars().next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(arg_num) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        arg_num += 1;
        write_verb(&mut out, arg, verb, &spec);
    }
    if !reordered && arg_num < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[arg_num..]
            .iter()
            .map(|a| {
                if matches!(a, Value::Nil) { "<nil>".to_string() } else { format!("{}={}", a.type_name(), format_v(a)) }
            })
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn parse_num(s: &str, mut i: usize) -> (Option<usize>, usize) {
    let b = s.as_bytes();
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start { (None, i) } else { (s[start..i].parse().ok(), i) }
}

fn arg_index(s: &str, i: usize, reordered: &mut bool) -> (Option<usize>, usize) {
    let b = s.as_bytes();
    if i >= b.len() || b[i] != b'[' {
        return (None, i);
    }
    *reordered = true;
    if let Some(close) = s[i..].find(']') {
        if let Some(n) = s[i + 1..i + close].parse::<usize>().ok().filter(|n| *n >= 1) {
            return (Some(n - 1), i + close + 1);
        }
        return (None, i + close + 1);
    }
    (None, i)
}

fn bad_verb(out: &mut String, v: &Value, verb: char) {
    match v {
        Value::Nil => out.push_str(&format!("%!{verb}(<nil>)")),
        _ => out.push_str(&format!("%!{verb}({}={})", v.type_name(), format_v(v))),
    }
}

fn pad(out: &mut String, s: &str, spec: &Spec, numeric: bool) {
    let len = s.chars().count();
    let width = spec.width.unwrap_or(0);
    if len >= width {
        out.push_str(s);
        return;
    }
    let fill = width - len;
    if spec.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric {
        // Zeros go after the sign.
        let (sign, digits) = match s.chars().next() {
            Some(c @ ('+' | '-' | ' ')) => (Some(c), &s[1..]),
            _ => (None, s),
        };
        if let Some(c) = sign {
            out.push(c);
        }
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(s);
    }
}

fn write_verb(out: &mut String, v: &Value, verb: char, spec: &Spec) {
    match v {
        Value::Unknown(u) => write_verb(out, &u.shown, verb, spec),
        Value::Nil => match verb {
            'v' => pad(out, "<nil>", spec, false),
            _ => bad_verb(out, v, verb),
        },
        Value::Bool(b) => match verb {
            'v' | 't' => pad(out, if *b { "true" } else { "false" }, spec, false),
            _ => bad_verb(out, v, verb),
        },
        Value::Int(i, _) => write_int(out, *i, verb, spec, v),
        Value::Float(f) => match verb {
            'v' | 'g' | 'G' | 'e' | 'E' | 'f' | 'F' => {
                // %e and %f default to 6 digits, %g and %v to the shortest form (print.go fmtFloat).
                let prec = if matches!(verb, 'e' | 'E' | 'f' | 'F') { spec.prec.or(Some(6)) } else { spec.prec };
                let verb = if verb == 'v' { 'g' } else { verb };
                let mut s = fmt_float(*f, verb, prec, spec.sharp);
                if spec.plus && !s.starts_with('-') && !s.starts_with('+') {
                    s.insert(0, '+');
                } else if spec.space && !s.starts_with('-') {
                    s.insert(0, ' ');
                }
                pad(out, &s, spec, f.is_finite());
            }
            _ => bad_verb(out, v, verb),
        },
        Value::Str(s) => match verb {
            'v' | 's' => {
                let s: String = match spec.prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.to_string(),
                };
                pad(out, &s, spec, false);
            }
            'q' => {
                let q = if spec.sharp && !s.contains('`') { format!("`{s}`") } else { quote(s) };
                pad(out, &q, spec, false);
            }
            'x' | 'X' => {
                let mut h = String::new();
                for (n, b) in s.bytes().enumerate() {
                    if spec.space && n > 0 {
                        h.push(' ');
                    }
                    if verb == 'x' {
                        h.push_str(&format!("{b:02x}"));
                    } else {
                        h.push_str(&format!("{b:02X}"));
                    }
                }
                pad(out, &h, spec, false);
            }
            _ => bad_verb(out, v, verb),
        },
        Value::List(items) => {
            let mut s = String::from("[");
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    s.push(' ');
                }
                write_verb(&mut s, item, verb, &Spec::default());
            }
            s.push(']');
            pad(out, &s, spec, false);
        }
        Value::Map(m) => {
            let mut s = String::from("map[");
            for (n, (k, item)) in m.borrow().iter().enumerate() {
                if n > 0 {
                    s.push(' ');
                }
                write_verb(&mut s, &Value::str(k.as_str()), verb, &Spec::default());
                s.push(':');
                write_verb(&mut s, item, verb, &Spec::default());
            }
            s.push(']');
            pad(out, &s, spec, false);
        }
    }
}

fn write_int(out: &mut String, i: i64, verb: char, spec: &Spec, v: &Value) {
    let digits = match verb {
        'v' | 'd' => i.unsigned_abs().to_string(),
        'b' => format!("{:b}", i.unsigned_abs()),
        'o' | 'O' => format!("{:o}", i.unsigned_abs()),
        'x' => format!("{:x}", i.unsigned_abs()),
        'X' => format!("{:X}", i.unsigned_abs()),
        'c' => {
            let c = u32::try_from(i).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}');
            return pad(out, &c.to_string(), spec, false);
        }
        'q' => {
            let c = u32::try_from(i).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}');
            let q = quote(&c.to_string());
            return pad(out, &format!("'{}'", &q[1..q.len() - 1].replace("\\\"", "\"")), spec, false);
        }
        'U' => {
            return pad(out, &format!("U+{:04X}", i), spec, false);
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 's' | 't' => return bad_verb(out, v, verb),
        _ => return bad_verb(out, v, verb),
    };
    let mut digits = digits;
    if let Some(p) = spec.prec {
        if p == 0 && i == 0 {
            digits.clear();
        } else if digits.len() < p {
            digits = "0".repeat(p - digits.len()) + &digits;
        }
    }
    let prefix = if spec.sharp {
        match verb {
            'x' => "0x",
            'X' => "0X",
            'o' => "0",
            'b' => "0b",
            _ => "",
        }
    } else if verb == 'O' {
        "0o"
    } else {
        ""
    };
    let sign = if i < 0 {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let s = format!("{sign}{prefix}{digits}");
    pad(out, &s, spec, spec.prec.is_none());
}

/// The decimal digits of `f` (no leading zeros, no sign) and the decimal point position, either
/// shortest (`sig` = None) or rounded to `sig` significant digits.
fn decimal_digits(f: f64, sig: Option<usize>) -> (String, i32) {
    if f == 0.0 {
        return ("0".into(), 1);
    }
    let s = match sig {
        None => format!("{:e}", f.abs()),
        Some(n) => format!("{:.*e}", n.max(1) - 1, f.abs()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_string(), exp + 1)
}

/// Go's `strconv.FormatFloat` for the `e`, `f` and `g` formats (`prec` None = shortest).
fn fmt_float(f: f64, verb: char, prec: Option<usize>, sharp: bool) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let neg = f.is_sign_negative() && f != 0.0 || (f == 0.0 && f.is_sign_negative());
    let mut body = match verb {
        'e' | 'E' => {
            let s = match prec {
                None => {
                    let (digits, dp) = decimal_digits(f, None);
                    fmt_e(&digits, dp, digits.len() - 1)
                }
                Some(p) => {
                    let (digits, dp) = decimal_digits(f, Some(p + 1));
                    fmt_e(&digits, dp, p)
                }
            };
            if verb == 'E' { s.to_uppercase() } else { s }
        }
        'f' | 'F' => match prec {
            None => {
                let (digits, dp) = decimal_digits(f, None);
                let frac = usize::try_from((i32::try_from(digits.len()).unwrap_or(0) - dp).max(0)).unwrap_or(0);
                format!("{:.*}", frac, f.abs())
            }
            Some(p) => format!("{:.*}", p, f.abs()),
        },
        _ => {
            // 'g' / 'G'
            let shortest = prec.is_none();
            let p = prec.map(|p| p.max(1));
            let (digits, dp) = decimal_digits(f, p);
            let nd = i32::try_from(digits.len()).unwrap_or(0);
            let mut eprec = p.map_or(6, |p| i32::try_from(p).unwrap_or(i32::MAX));
            if !shortest && eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            let s = if exp < -4 || exp >= eprec {
                fmt_e(&digits, dp, digits.len() - 1)
            } else {
                fmt_f(&digits, dp, usize::try_from((nd - dp).max(0)).unwrap_or(0))
            };
            let s = if sharp && !s.contains('.') && !s.contains('e') { format!("{s}.") } else { s };
            if verb == 'G' { s.to_uppercase() } else { s }
        }
    };
    if neg {
        body.insert(0, '-');
    }
    body
}

/// `d.ddddde±dd` with `frac` digits after the point.
fn fmt_e(digits: &str, dp: i32, frac: usize) -> String {
    let mut s = String::new();
    let mut chars = digits.chars();
    s.push(chars.next().unwrap_or('0'));
    if frac > 0 {
        s.push('.');
        let rest: String = chars.collect();
        s.push_str(&rest);
        for _ in rest.len()..frac {
            s.push('0');
        }
    }
    let exp = if digits == "0" { 0 } else { dp - 1 };
    s.push('e');
    s.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        s.push('0');
    }
    s.push_str(&e.to_string());
    s
}

/// `ddd.ddd` with `frac` digits after the point.
fn fmt_f(digits: &str, dp: i32, frac: usize) -> String {
    let mut s = String::new();
    if dp > 0 {
        let dpu = usize::try_from(dp).unwrap_or(0);
        for k in 0..dpu {
            s.push(digits.as_bytes().get(k).map_or('0', |b| *b as char));
        }
    } else {
        s.push('0');
    }
    if frac > 0 {
        s.push('.');
        for k in 0..frac {
            let idx = i64::from(dp) + i64::try_from(k).unwrap_or(0);
            let c = usize::try_from(idx).ok().and_then(|i| digits.as_bytes().get(i)).map_or('0', |b| *b as char);
            s.push(c);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_does() {
        // `strconv.FormatFloat(f, 'g', -1, 64)`
        let format_float_g_shortest = |f: f64| fmt_float(f, 'g', None, false);
        assert_eq!(format_float_g_shortest(1_000_000.0), "1e+06");
        assert_eq!(format_float_g_shortest(123_456.0), "123456");
        assert_eq!(format_float_g_shortest(1_234_567.0), "1.234567e+06");
        assert_eq!(format_float_g_shortest(1.5), "1.5");
        assert_eq!(format_float_g_shortest(0.0001), "0.0001");
        assert_eq!(format_float_g_shortest(0.00001), "1e-05");
        assert_eq!(format_float_g_shortest(-2.0), "-2");
        assert_eq!(sprintf("%.2f", &[Value::Float(1.23456)]), "1.23");
        assert_eq!(sprintf("%e", &[Value::Float(1234.5678)]), "1.234568e+03");
        assert_eq!(sprintf("%.3g", &[Value::Float(1.0)]), "1");
        assert_eq!(sprintf("%g", &[Value::Float(100000.0)]), "100000");
        assert_eq!(sprintf("%f", &[Value::Float(1.0)]), "1.000000");
    }

    #[test]
    fn sprintf_verbs_and_errors() {
        let args = [Value::str("a"), Value::int(3)];
        assert_eq!(sprintf("%s-%d", &args), "a-3");
        assert_eq!(sprintf("%5s|%-4d|%03d", &[Value::str("ab"), Value::int(7), Value::int(5)]), "   ab|7   |005");
        assert_eq!(sprintf("%q %v %t", &[Value::str("x\"y"), Value::Nil, Value::Bool(true)]), r#""x\"y" <nil> true"#);
        assert_eq!(sprintf("%d", &[Value::str("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%s %s", &[Value::str("x")]), "x %!s(MISSING)");
        assert_eq!(sprintf("%s", &[Value::str("x"), Value::int(1)]), "x%!(EXTRA int=1)");
        assert_eq!(
            sprintf(
                "%x %X %o %b %c",
                &[Value::int(255), Value::int(255), Value::int(8), Value::int(5), Value::int(65)]
            ),
            "ff FF 10 101 A"
        );
        assert_eq!(sprintf("100%%", &[]), "100%");
    }

    #[test]
    fn composite_values() {
        let m = Value::map(
            [("b".to_string(), Value::int64(2)), ("a".to_string(), Value::list(vec![Value::str("x"), Value::Nil]))]
                .into(),
        );
        assert_eq!(format_v(&m), "map[a:[x <nil>] b:2]");
        assert_eq!(sprint(&[Value::int(1), Value::int(2), Value::str("a"), Value::int(3)]), "1 2a3");
        assert_eq!(sprintln(&[Value::str("a"), Value::str("b")]), "a b\n");
    }
}
