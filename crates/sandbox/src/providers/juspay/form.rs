//! Request parameters: `application/x-www-form-urlencoded` as Juspay documents, or a JSON
//! object (flattened to dotted names, so `{"metadata":{"txns":{"auto_capture":false}}}`
//! reads as `metadata.txns.auto_capture`). Unknown parameters are kept and ignored.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use serde_json::Value;

use super::errors::JpError;

/// Parsed parameters plus the mandatory ones found missing so far.
#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
    missing: Vec<String>,
}

impl Params {
    /// Parses a body by its `Content-Type` (form unless it says JSON).
    pub fn parse(headers: &HeaderMap, body: &Bytes) -> Result<Self, JpError> {
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let mut values = HashMap::new();
        if is_json {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Self::default());
            }
            match serde_json::from_slice::<Value>(body) {
                Ok(v @ Value::Object(_)) => flatten("", &v, &mut values),
                _ => return Err(JpError::Invalid("Request body is not a JSON object".into())),
            }
        } else {
            let text = std::str::from_utf8(body)
                .map_err(|_| JpError::Invalid("Request body is not UTF-8".into()))?;
            for pair in text.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                values.insert(decode(k), decode(v));
            }
        }
        Ok(Self {
            values,
            missing: Vec::new(),
        })
    }

    /// A parameter, trimmed, if present and not empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A mandatory parameter; records it as missing when absent or empty.
    pub fn req(&mut self, name: &str) -> String {
        match self.opt(name) {
            Some(v) => v,
            None => {
                self.missing.push(name.to_owned());
                String::new()
            }
        }
    }

    /// A boolean (`true`/`false`, any case); anything else counts as absent.
    pub fn opt_bool(&self, name: &str) -> Option<bool> {
        match self.opt(name)?.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// Parameters whose name starts with `prefix` (e.g. `udf`), sorted by name.
    pub fn with_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        let mut found: Vec<_> = self
            .values
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        found.sort();
        found
    }

    /// `Err` naming every missing mandatory parameter.
    pub fn check(&self) -> Result<(), JpError> {
        if self.missing.is_empty() {
            Ok(())
        } else {
            Err(JpError::Missing(self.missing.clone()))
        }
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Number(n) => {
            out.insert(prefix.to_owned(), n.to_string());
        }
        Value::Bool(b) => {
            out.insert(prefix.to_owned(), b.to_string());
        }
        Value::Null | Value::Array(_) => {}
    }
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    urlencoding::decode(&plus)
        .map(|c| c.into_owned())
        .unwrap_or(plus)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &'static str) -> Params {
        Params::parse(&HeaderMap::new(), &Bytes::from_static(body.as_bytes())).expect("parses")
    }

    #[test]
    fn reads_form_fields_and_records_missing() {
        let mut p = form("order_id=o%201&answer.otp=123456&empty=&extra=x+y");
        assert_eq!(p.req("order_id"), "o 1");
        assert_eq!(p.req("answer.otp"), "123456");
        assert_eq!(p.opt("extra").as_deref(), Some("x y"));
        p.req("empty");
        p.req("absent");
        assert_eq!(
            p.check(),
            Err(JpError::Missing(vec!["empty".into(), "absent".into()]))
        );
    }

    #[test]
    fn json_bodies_flatten_to_dotted_names() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/json".parse().expect("header"),
        );
        let body = Bytes::from_static(
            br#"{"amount": 10.5, "metadata": {"txns": {"auto_capture": false}}}"#,
        );
        let p = Params::parse(&headers, &body).expect("parses");
        assert_eq!(p.opt("amount").as_deref(), Some("10.5"));
        assert_eq!(p.opt_bool("metadata.txns.auto_capture"), Some(false));
    }
}
