//! slim-sprig's numeric functions (go-task/slim-sprig@v3.0.0:numeric.go, functions.go).

use super::{CallCtx, FnError, FnResult, arg_int, check_len};
use crate::gofmt;
use crate::value::Value;

/// sprig's `toInt64`: strings parsed base 10 (0 on error), floats truncated, booleans 0/1,
/// anything else 0.
pub(super) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Str(s) => parse_base10(s).unwrap_or(0),
        Value::Int(i, _) => *i,
        #[allow(clippy::cast_possible_truncation)]
        Value::Float(f) => {
            // Go's float->int64 conversion of an out-of-range value yields the minimum on amd64.
            if f.is_finite() && f.abs() < 9.223_372_036_854_775e18 { *f as i64 } else { i64::MIN }
        }
        Value::Bool(b) => i64::from(*b),
        Value::Unknown(u) => to_int64(&u.shown),
        _ => 0,
    }
}

/// sprig's `toFloat64`.
pub(super) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Str(s) => parse_go_float(s).unwrap_or(0.0),
        #[allow(clippy::cast_precision_loss)]
        Value::Int(i, _) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Unknown(u) => to_float64(&u.shown),
        _ => 0.0,
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)`.
fn parse_base10(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal input (and Inf/NaN spellings).
fn parse_go_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let body = lower.strip_prefix(['+', '-']).unwrap_or(&lower);
    if matches!(body, "inf" | "infinity" | "nan") {
        return lower.parse::<f64>().ok();
    }
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-' | b'_')) {
        return None;
    }
    if body.contains('_') {
        return None;
    }
    lower.parse::<f64>().ok()
}

pub(super) fn atoi(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let s = args[0].as_str().unwrap_or("");
    Ok(Value::int(parse_base10(s).unwrap_or(0)))
}

pub(super) fn int64(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::int64(to_int64(&args[0])))
}

pub(super) fn int(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::int(to_int64(&args[0])))
}

pub(super) fn float64(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Float(to_float64(&args[0])))
}

pub(super) fn add1(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::int64(to_int64(&args[0]).wrapping_add(1)))
}

pub(super) fn add(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::int64(args.iter().fold(0i64, |a, b| a.wrapping_add(to_int64(b)))))
}

pub(super) fn sub(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::int64(to_int64(&args[0]).wrapping_sub(to_int64(&args[1]))))
}

pub(super) fn mul(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::int64(args[1..].iter().fold(to_int64(&args[0]), |a, b| a.wrapping_mul(to_int64(b)))))
}

pub(super) fn div(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let b = to_int64(&args[1]);
    if b == 0 {
        return Err(FnError::Go("runtime error: integer divide by zero".into()));
    }
    Ok(Value::int64(to_int64(&args[0]).wrapping_div(b)))
}

pub(super) fn modulo(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let b = to_int64(&args[1]);
    if b == 0 {
        return Err(FnError::Go("runtime error: integer divide by zero".into()));
    }
    Ok(Value::int64(to_int64(&args[0]).wrapping_rem(b)))
}

pub(super) fn max(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::int64(args.iter().map(to_int64).max().unwrap_or(0)))
}

pub(super) fn min(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::int64(args.iter().map(to_int64).min().unwrap_or(0)))
}

/// Go's `math.Max` (NaN wins).
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

pub(super) fn maxf(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Float(args[1..].iter().fold(to_float64(&args[0]), |a, b| go_max(a, to_float64(b)))))
}

pub(super) fn minf(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Float(args[1..].iter().fold(to_float64(&args[0]), |a, b| go_min(a, to_float64(b)))))
}

pub(super) fn ceil(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Float(to_float64(&args[0]).ceil()))
}

pub(super) fn floor(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    Ok(Value::Float(to_float64(&args[0]).floor()))
}

pub(super) fn round(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let round_on = match args.get(2) {
        Some(Value::Float(f)) => *f,
        _ => 0.5,
    };
    let val = to_float64(&args[0]);
    #[allow(clippy::cast_precision_loss)]
    let places = arg_int(&args, 1) as f64;
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let div = digit.fract();
    let r = if div >= round_on { digit.ceil() } else { digit.floor() };
    Ok(Value::Float(r / pow))
}

pub(super) fn to_decimal(_: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let text = gofmt::format_v(&args[0]);
    let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
    let v = if !digits.is_empty() && digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        i64::from_str_radix(&text, 8).unwrap_or(0)
    } else {
        0
    };
    Ok(Value::int64(v))
}

/// sprig's `untilStep`.
fn until_step_vec(ctx: &CallCtx<'_>, start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FnError> {
    let count = if stop < start {
        if step >= 0 {
            return Ok(Vec::new());
        }
        (i128::from(start) - i128::from(stop) + i128::from(-step) - 1) / i128::from(-step)
    } else {
        if step <= 0 {
            return Ok(Vec::new());
        }
        (i128::from(stop) - i128::from(start) + i128::from(step) - 1) / i128::from(step)
    };
    check_len(ctx, usize::try_from(count).unwrap_or(usize::MAX), "until")?;
    let mut v = Vec::new();
    let mut i = start;
    for _ in 0..count {
        v.push(i);
        i = i.wrapping_add(step);
    }
    Ok(v)
}

fn int_list(v: Vec<i64>) -> Value {
    Value::list(v.into_iter().map(Value::int).collect())
}

pub(super) fn until(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let count = arg_int(&args, 0);
    let step = if count < 0 { -1 } else { 1 };
    until_step_vec(ctx, 0, count, step).map(int_list)
}

pub(super) fn until_step(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    until_step_vec(ctx, arg_int(&args, 0), arg_int(&args, 1), arg_int(&args, 2)).map(int_list)
}

pub(super) fn seq(ctx: &CallCtx<'_>, args: Vec<Value>) -> FnResult {
    let p: Vec<i64> = (0..args.len()).map(|i| arg_int(&args, i)).collect();
    let list = match p.as_slice() {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            until_step_vec(ctx, 1, end + inc, inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step_vec(ctx, *start, end + step, step)?
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Value::str(""));
                }
            }
            until_step_vec(ctx, *start, end + inc, *step)?
        }
        _ => return Ok(Value::str("")),
    };
    let text: Vec<String> = list.iter().map(ToString::to_string).collect();
    Ok(Value::str(text.join(" ")))
}
