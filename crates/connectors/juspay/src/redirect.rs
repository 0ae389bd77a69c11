//! The page Juspay sends the payer to, as a [`NextAction::Redirect`]. Juspay's warning is
//! kept literally: `params` are passed through as they come, whatever their names.
//!
//! - `POST`: `form_fields` are the params, and `html` an auto-submitting form posting them.
//! - `GET`: the params are added to the URL's query, so `url` alone is the whole address;
//!   `form_fields` repeat every query pair, because a browser submitting a GET form
//!   replaces the action's query with the form's fields.

use std::collections::BTreeMap;

use payorch_core::session::NextAction;
use serde_json::{Map, Value};

/// The redirect for Juspay's `{method, url, params}`.
pub fn redirect_action(method: &str, url: &str, params: &Map<String, Value>) -> NextAction {
    let fields: Vec<(String, String)> = params
        .iter()
        .filter_map(|(k, v)| scalar_text(v).map(|text| (k.clone(), text)))
        .collect();
    if method.eq_ignore_ascii_case("POST") {
        let form_fields: BTreeMap<String, String> = fields.into_iter().collect();
        let html = auto_submit("post", url, &form_fields);
        return NextAction::Redirect {
            url: url.to_owned(),
            method: "POST".into(),
            form_fields,
            html,
        };
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (base, fragment) = base.split_once('#').map_or((base, ""), |(b, f)| (b, f));
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect();
    pairs.extend(fields);
    let full_query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut full = base.to_owned();
    if !full_query.is_empty() {
        full.push('?');
        full.push_str(&full_query);
    }
    if !fragment.is_empty() {
        full.push('#');
        full.push_str(fragment);
    }
    let form_fields: BTreeMap<String, String> = pairs.into_iter().collect();
    let html = auto_submit("get", base, &form_fields);
    NextAction::Redirect {
        url: full,
        method: "GET".into(),
        form_fields,
        html,
    }
}

/// Objects and arrays are not expected in `params`; when they come they are passed on as
/// JSON text rather than dropped.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    urlencoding::decode(&plus).map_or(plus.clone(), |c| c.into_owned())
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

/// An auto-submitting form that sends `fields` to `url` with `method`.
fn auto_submit(method: &str, url: &str, fields: &BTreeMap<String, String>) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\"/>",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html><head><title>Redirecting to your bank</title></head>\
         <body onload=\"document.forms[0].submit();\">\
         <p>We are processing your request. Do not click Back or refresh this page.</p>\
         <form action=\"{}\" method=\"{method}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        html_escape(url)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn params(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn post_passes_every_param_through() {
        let NextAction::Redirect {
            url,
            method,
            form_fields,
            html,
        } = redirect_action(
            "post",
            "https://acs.example/pay?a=1&b=2",
            &params(r#"{"PaReq":"a\"b<c>","MD":"x","unexpected":true,"n":3}"#),
        )
        else {
            panic!()
        };
        assert_eq!(method, "POST");
        assert_eq!(url, "https://acs.example/pay?a=1&b=2");
        assert_eq!(form_fields.len(), 4);
        assert_eq!(form_fields["unexpected"], "true");
        assert_eq!(form_fields["n"], "3");
        assert!(html.contains("action=\"https://acs.example/pay?a=1&amp;b=2\""));
        assert!(html.contains("value=\"a&quot;b&lt;c&gt;\""));
        assert!(html.contains("submit()"));
    }

    #[test]
    fn get_keeps_the_query_and_adds_params() {
        let NextAction::Redirect {
            url,
            method,
            form_fields,
            html,
        } = redirect_action(
            "GET",
            "https://sandbox.juspay.in/v2/pay/start/guest/eul5?fallback=true",
            &params(r#"{"x":"a b"}"#),
        )
        else {
            panic!()
        };
        assert_eq!(method, "GET");
        assert_eq!(
            url,
            "https://sandbox.juspay.in/v2/pay/start/guest/eul5?fallback=true&x=a%20b"
        );
        assert_eq!(form_fields["fallback"], "true");
        assert_eq!(form_fields["x"], "a b");
        assert!(html.contains("action=\"https://sandbox.juspay.in/v2/pay/start/guest/eul5\""));
        assert!(html.contains("method=\"get\""));
        let NextAction::Redirect {
            url, form_fields, ..
        } = redirect_action("GET", "https://acs.example/p", &Map::new())
        else {
            panic!()
        };
        assert_eq!(url, "https://acs.example/p");
        assert!(form_fields.is_empty());
    }
}
