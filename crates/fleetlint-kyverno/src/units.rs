//! The value types Kyverno compares besides numbers and strings: Kubernetes quantities
//! (`100m`, `1Gi`), Go durations (`1h30m`) and semantic versions (`1.2.3`).

use std::cmp::Ordering;

/// A Kubernetes quantity, as `k8s.io/apimachinery/pkg/api/resource.ParseQuantity` reads it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Quantity {
    /// `num * 10^scale`, exact.
    Exact { num: i128, scale: i32 },
    /// Too large for the exact form; compared as a float.
    Approx(f64),
}

impl Quantity {
    fn as_f64(self) -> f64 {
        match self {
            #[allow(clippy::cast_precision_loss)]
            Self::Exact { num, scale } => num as f64 * 10f64.powi(scale),
            Self::Approx(f) => f,
        }
    }

    /// Compare two quantities (`Quantity.Cmp`).
    pub(crate) fn cmp(self, other: Self) -> Ordering {
        if let (Self::Exact { num: a, scale: sa }, Self::Exact { num: b, scale: sb }) = (self, other) {
            let min = sa.min(sb);
            let lift =
                |n: i128, s: i32| 10i128.checked_pow(u32::try_from(s - min).ok()?).and_then(|m| n.checked_mul(m));
            if let (Some(x), Some(y)) = (lift(a, sa), lift(b, sb)) {
                return x.cmp(&y);
            }
        }
        self.as_f64().partial_cmp(&other.as_f64()).unwrap_or(Ordering::Equal)
    }
}

/// Parse a quantity: an optional sign, digits with at most one `.`, then a suffix: a binary one
/// (`Ki` .. `Ei`), a decimal SI one (`n u m k M G T P E`, or none) or an exponent (`e3`, `E-2`).
/// kubernetes/apimachinery `pkg/api/resource/quantity.go` (`ParseQuantity`,
/// `parseQuantityString`) and `suffix.go` (`newSuffixer`).
pub(crate) fn parse_quantity(s: &str) -> Option<Quantity> {
    if s.is_empty() {
        return None;
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = body.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(body.len());
    let (number, suffix) = body.split_at(num_end);
    if number.is_empty() || number.matches('.').count() > 1 || !number.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let (mut scale, pow2): (i32, u32) = match suffix {
        "" => (0, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        _ => {
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (exp.parse().ok()?, 0)
        }
    };
    scale -= i32::try_from(frac.len()).ok()?;
    let digits = format!("{int}{frac}");
    let exact = digits
        .parse::<i128>()
        .ok()
        .and_then(|n| n.checked_mul(1i128.checked_shl(pow2)?))
        .map(|n| if neg { -n } else { n });
    Some(match exact {
        Some(num) => Quantity::Exact { num, scale },
        None => {
            let f: f64 = number.parse().ok()?;
            let f = f * 2f64.powi(i32::try_from(pow2).ok()?) * 10f64.powi(scale + i32::try_from(frac.len()).ok()?);
            Quantity::Approx(if neg { -f } else { f })
        }
    })
}

/// Parse a Go duration (`time.ParseDuration`); nanoseconds.
pub(crate) fn parse_duration(s: &str) -> Option<f64> {
    fleetlint_yaml::parse_go_duration(s)
}

/// A semantic version as `github.com/blang/semver/v4` (`Parse`) reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Semver {
    core: [u64; 3],
    pre: Vec<String>,
}

pub(crate) fn parse_semver(s: &str) -> Option<Semver> {
    let s = s.split_once('+').map_or(s, |(v, _)| v);
    let (core, pre) = s.split_once('-').map_or((s, None), |(c, p)| (c, Some(p)));
    let mut parts = [0u64; 3];
    let mut it = core.split('.');
    for slot in &mut parts {
        let p = it.next()?;
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || (p.len() > 1 && p.starts_with('0')) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    if it.next().is_some() {
        return None;
    }
    let pre = match pre {
        Some(p) if p.is_empty() || p.split('.').any(str::is_empty) => return None,
        Some(p) => p.split('.').map(str::to_owned).collect(),
        None => Vec::new(),
    };
    Some(Semver { core: parts, pre })
}

impl PartialOrd for Semver {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Semver {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core.cmp(&other.core).then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                for (a, b) in self.pre.iter().zip(&other.pre) {
                    let ord = match (a.parse::<u64>(), b.parse::<u64>()) {
                        (Ok(x), Ok(y)) => x.cmp(&y),
                        (Ok(_), Err(_)) => Ordering::Less,
                        (Err(_), Ok(_)) => Ordering::Greater,
                        (Err(_), Err(_)) => a.cmp(b),
                    };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                self.pre.len().cmp(&other.pre.len())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        let q = |s| parse_quantity(s).unwrap();
        assert_eq!(q("1Gi").cmp(q("1024Mi")), Ordering::Equal);
        assert_eq!(q("100m").cmp(q("0.1")), Ordering::Equal);
        assert_eq!(q("1.5").cmp(q("1500m")), Ordering::Equal);
        assert_eq!(q("2").cmp(q("1e3")), Ordering::Less);
        assert_eq!(q("-1").cmp(q("0")), Ordering::Less);
        assert!(parse_quantity("1K").is_none());
        assert!(parse_quantity("abc").is_none());
        assert!(parse_quantity("1.2.3").is_none());
        assert!(parse_quantity("").is_none());
    }

    #[test]
    fn semvers() {
        let v = |s| parse_semver(s).unwrap();
        assert!(v("1.2.3") < v("1.10.0"));
        assert!(v("1.0.0-alpha") < v("1.0.0"));
        assert!(v("1.0.0-alpha.1") < v("1.0.0-alpha.beta"));
        assert!(parse_semver("v1.2.3").is_none());
        assert!(parse_semver("1.2").is_none());
        assert!(parse_semver("01.2.3").is_none());
    }
}
