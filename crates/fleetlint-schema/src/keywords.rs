//! fleetlint's JSON Schema extension keywords, for assertions JSON Schema cannot express:
//! `minDuration` and `maxDuration` bound a Go duration string (`interval: 30s` against
//! `minDuration: 1m`). A value that is not a string or not a duration is left to `type` and
//! `pattern`.

use fleetlint_yaml::parse_go_duration;
use jsonschema::paths::Location;
use jsonschema::{Keyword, ValidationError, ValidationOptions};
use serde_json::{Map, Value};

struct DurationBound {
    bound_ns: f64,
    at_least: bool,
    text: String,
}

impl DurationBound {
    fn holds(&self, instance: &Value) -> bool {
        match instance.as_str().and_then(parse_go_duration) {
            Some(ns) if self.at_least => ns >= self.bound_ns,
            Some(ns) => ns <= self.bound_ns,
            None => true,
        }
    }
}

impl<'i> Keyword<'i> for DurationBound {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        if self.holds(instance) {
            return Ok(());
        }
        let bound = if self.at_least { "at least" } else { "at most" };
        Err(ValidationError::custom(format!("a duration of {bound} `{}`", self.text)))
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.holds(instance)
    }
}

type Built<'a> = Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>>;

fn build(value: &Value, at_least: bool) -> Built<'_> {
    let text = value.as_str().unwrap_or_default();
    let bound_ns = parse_go_duration(text)
        .ok_or_else(|| ValidationError::custom(format!("`{value}` is not a Go duration (such as `1m` or `1h30m`)")))?;
    Ok(Box::new(DurationBound { bound_ns, at_least, text: text.to_owned() }))
}

fn min_duration<'a>(_: &'a Map<String, Value>, value: &'a Value, _: Location) -> Built<'a> {
    build(value, true)
}

fn max_duration<'a>(_: &'a Map<String, Value>, value: &'a Value, _: Location) -> Built<'a> {
    build(value, false)
}

/// Register the extension keywords.
pub(crate) fn register<'a>(options: ValidationOptions<'a>) -> ValidationOptions<'a> {
    options.with_keyword("minDuration", min_duration).with_keyword("maxDuration", max_duration)
}
