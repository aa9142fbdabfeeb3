//! Go durations (`1h30m`, `500ms`), the format of every Flux `interval` and `timeout`.

/// Parse a Go duration as `time.ParseDuration` does (golang/go `src/time/format.go`,
/// `ParseDuration`): `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` with units `ns`, `us` (`µs`, `μs`), `ms`,
/// `s`, `m`, `h`, or the bare `0`. Returns nanoseconds.
#[must_use]
pub fn parse_go_duration(s: &str) -> Option<f64> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, tail) = rest.split_at(num_end);
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        if (int.is_empty() && frac.is_empty()) || number.matches('.').count() > 1 {
            return None;
        }
        let unit_end = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, after) = tail.split_at(unit_end);
        let unit_ns = match unit {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        let int = if int.is_empty() { "0" } else { int };
        let frac = if frac.is_empty() { "0" } else { frac };
        let value: f64 = format!("{int}.{frac}").parse().ok()?;
        total += value * unit_ns;
        rest = after;
    }
    Some(if neg { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h30m"), Some(5400e9));
        assert_eq!(parse_go_duration("0"), Some(0.0));
        assert_eq!(parse_go_duration("1.5s"), Some(1.5e9));
        assert_eq!(parse_go_duration("-2m"), Some(-120e9));
        assert_eq!(parse_go_duration(".5s"), Some(0.5e9));
        assert!(parse_go_duration("5").is_none());
        assert!(parse_go_duration("").is_none());
        assert!(parse_go_duration("1d").is_none());
        assert!(parse_go_duration("s").is_none());
    }
}
