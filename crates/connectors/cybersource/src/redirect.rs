//! The issuer redirect: the auto-submitting form that takes the payer to the ACS, and
//! the parameters the payer's browser brings back.

use std::collections::BTreeMap;

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

/// An auto-submitting form that posts `fields` to `url` (the seed's POST form).
pub(crate) fn redirect_html(url: &str, fields: &BTreeMap<String, String>) -> String {
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
         <form id=\"PAEnrollForm\" name=\"PAEnrollForm\" action=\"{}\" method=\"post\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        html_escape(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_form_escapes_and_auto_submits() {
        let fields = BTreeMap::from([
            ("PaReq".to_owned(), "a\"b<c>".to_owned()),
            (
                "TermUrl".to_owned(),
                "https://m.example/cb?x=1&y=2".to_owned(),
            ),
        ]);
        let html = redirect_html("https://acs.example/pay?a=1&b=2", &fields);
        assert!(html.contains("onload=\"document.forms[0].submit();\""));
        assert!(html.contains("action=\"https://acs.example/pay?a=1&amp;b=2\""));
        assert!(html.contains("value=\"a&quot;b&lt;c&gt;\""));
        assert!(html.contains("name=\"TermUrl\" value=\"https://m.example/cb?x=1&amp;y=2\""));
    }
}
