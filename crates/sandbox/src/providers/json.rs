//! Reading request fields by dotted path from untyped JSON, so unknown extra fields are
//! accepted (as real providers do) and every missing or mistyped field can be named in
//! the provider's own error shape.

use serde_json::Value;

/// The value at a dotted path (`a.b.c`), if present and not null.
pub fn at<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(body, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

/// Collects missing and invalid fields while a handler reads its request.
#[derive(Debug, Default)]
pub struct Fields<'a> {
    body: Option<&'a Value>,
    pub missing: Vec<String>,
    pub invalid: Vec<String>,
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a Value) -> Self {
        Self {
            body: Some(body),
            missing: Vec::new(),
            invalid: Vec::new(),
        }
    }

    fn value(&self, path: &str) -> Option<&'a Value> {
        self.body.and_then(|b| at(b, path))
    }

    /// A scalar as a string (numbers are accepted and printed); objects, arrays and
    /// booleans are recorded as invalid.
    pub fn opt(&mut self, path: &str) -> Option<String> {
        match self.value(path)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.invalid.push(path.to_owned());
                None
            }
        }
    }

    /// Like [`Fields::opt`], recording the field as missing when absent or empty.
    pub fn req(&mut self, path: &str) -> String {
        match self.opt(path) {
            Some(s) if !s.trim().is_empty() => s,
            Some(_) => {
                self.missing.push(path.to_owned());
                String::new()
            }
            None => {
                if !self.invalid.iter().any(|p| p == path) {
                    self.missing.push(path.to_owned());
                }
                String::new()
            }
        }
    }

    /// The first present of several alternative paths (e.g. card or tokenized card).
    pub fn req_any(&mut self, paths: &[&str]) -> String {
        for p in paths {
            if let Some(v) = self.opt(p).filter(|v| !v.trim().is_empty()) {
                return v;
            }
        }
        if let Some(first) = paths.first() {
            self.missing.push((*first).to_owned());
        }
        String::new()
    }

    /// A boolean (also accepting "true"/"false" strings).
    pub fn opt_bool(&mut self, path: &str) -> Option<bool> {
        match self.value(path)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => {
                self.invalid.push(path.to_owned());
                None
            }
        }
    }

    pub fn mark_invalid(&mut self, path: &str) {
        self.invalid.push(path.to_owned());
    }

    pub fn is_ok(&self) -> bool {
        self.missing.is_empty() && self.invalid.is_empty()
    }
}

/// Parses a decimal amount ("100.00", "5", 12.5) into minor units (two decimals).
pub fn parse_amount(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// Minor units back to "100.00".
pub fn format_amount(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_dotted_paths_and_records_problems() {
        let body = json!({"a": {"b": "x", "n": 5, "o": {}}, "extra": true});
        let mut f = Fields::new(&body);
        assert_eq!(f.req("a.b"), "x");
        assert_eq!(f.req("a.n"), "5");
        f.req("a.o");
        f.req("a.missing");
        assert_eq!(f.missing, vec!["a.missing"]);
        assert_eq!(f.invalid, vec!["a.o"]);
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("100.00"), Some(10000));
        assert_eq!(parse_amount("5"), Some(500));
        assert_eq!(parse_amount("102.2"), Some(10220));
        assert_eq!(parse_amount("1.234"), None);
        assert_eq!(parse_amount("-1"), None);
        assert_eq!(format_amount(10221), "102.21");
    }
}
