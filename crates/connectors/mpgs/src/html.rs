//! Reading the gateway's `authentication.redirect.html` (and its callback pages), and
//! writing the page that sends the payer's browser to the issuer.
//!
//! Seed 001's FAQ tells the flows apart by the form: the redirect form auto-posts the hidden
//! fields `AccuCardholderId`, `AccuGuid`, `AccuReturnURL`, `session` and `AccuRequestId` to
//! the issuer's ACS; the seamless form carries none of them and its `action` is the gateway
//! callback URL where the OTP is submitted. The reader is deliberately small and tolerant
//! (either quote style, any attribute order, entities decoded); it never executes anything.

use std::collections::BTreeMap;

/// The hidden fields only the redirect form carries.
pub const REDIRECT_MARKERS: [&str; 2] = ["AccuGuid", "AccuRequestId"];

/// The first `<form>` of a snippet: where it posts and its named inputs with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub action: String,
    pub method: String,
    pub fields: BTreeMap<String, String>,
}

/// What `authentication.redirect.html` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// Post `fields` to the issuer's ACS (`action`).
    Redirect(Form),
    /// Collect the OTP on payorch's caller's page and post it to this gateway callback URL.
    Seamless { callback_url: String },
}

/// Classifies the snippet; `None` when it holds no usable form.
pub fn challenge(html: &str) -> Option<Challenge> {
    let form = form(html)?;
    if form.action.is_empty() {
        return None;
    }
    if REDIRECT_MARKERS
        .iter()
        .any(|m| form.fields.contains_key(*m))
    {
        Some(Challenge::Redirect(form))
    } else {
        Some(Challenge::Seamless {
            callback_url: form.action,
        })
    }
}

/// The first form of `html`, with every `<input>` that has a name (and its value, or "").
pub fn form(html: &str) -> Option<Form> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<form")?;
    let form_tag = tag_at(html, start)?;
    let attrs = attributes(form_tag);
    let end = lower[start..]
        .find("</form")
        .map_or(html.len(), |i| start + i);
    let mut fields = BTreeMap::new();
    for input in inputs(&html[start..end]) {
        if let Some(name) = input.get("name") {
            fields.insert(
                name.clone(),
                input.get("value").cloned().unwrap_or_default(),
            );
        }
    }
    Some(Form {
        action: attrs.get("action").cloned().unwrap_or_default(),
        method: attrs
            .get("method")
            .map_or_else(|| "POST".to_owned(), |m| m.to_ascii_uppercase()),
        fields,
    })
}

/// The value of the input named `name` anywhere in `html` (the gateway's result pages carry
/// their fields as inputs).
pub fn input_value(html: &str, name: &str) -> Option<String> {
    inputs(html)
        .into_iter()
        .find(|i| i.get("name").map(String::as_str) == Some(name))
        .and_then(|i| i.get("value").cloned())
}

fn inputs(html: &str) -> Vec<BTreeMap<String, String>> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<input") {
        let at = from + i;
        let Some(tag) = tag_at(html, at) else { break };
        found.push(attributes(tag));
        from = at + tag.len().max(1);
    }
    found
}

/// The tag starting at `start` (`<...>`), respecting quoted `>`.
fn tag_at(html: &str, start: usize) -> Option<&str> {
    let mut quote: Option<char> = None;
    for (i, c) in html[start..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(&html[start..=start + i]),
            _ => {}
        }
    }
    None
}

/// `name=value` pairs of a tag (names lower-cased, values entity-decoded).
fn attributes(tag: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let inner = tag
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/');
    let chars: Vec<char> = inner.chars().collect();
    // Skip the tag name.
    let mut i = chars
        .iter()
        .position(|c| c.is_whitespace())
        .unwrap_or(chars.len());
    while i < chars.len() {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
            i += 1;
        }
        let name_start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        let name: String = chars[name_start..i].iter().collect();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '=' {
            i += 1;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                let q = chars[i];
                i += 1;
                let v_start = i;
                while i < chars.len() && chars[i] != q {
                    i += 1;
                }
                value = chars[v_start..i].iter().collect();
                i += 1;
            } else {
                let v_start = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                value = chars[v_start..i].iter().collect();
            }
        }
        if !name.is_empty() {
            out.entry(name.to_ascii_lowercase())
                .or_insert_with(|| decode_entities(&value));
        }
    }
    out
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

/// A whole page that auto-posts `fields` to `url` (with a button when scripts are off).
pub fn redirect_page(url: &str, method: &str, fields: &BTreeMap<String, String>) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\"/>",
                escape(k),
                escape(v)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html><head><title>Redirecting to your bank</title></head>\
         <body onload=\"document.forms[0].submit();\">\
         <p>We are processing your request. Do not click Back or refresh this page.</p>\
         <form id=\"redirectToNpciForm\" name=\"redirectToNpciForm\" action=\"{}\" method=\"{}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        escape(url),
        escape(&method.to_ascii_lowercase())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Seed 001's two snippets.
    const REDIRECT: &str = "<div id='redirectToNpciAcsSimple' xmlns='http://www.w3.org/1999/html'> <form id='redirectToNpciForm' method='POST' action='https://ap-gateway.mastercard.com/api/browserPaymentSimulator/npci' > <input type='hidden' name='AccuCardholderId' value='nDczPMjdAO5fA4qYhN3cmBN1710745316111'/> <input type='hidden' name='AccuGuid' value='H2IKBwrvm6zQgA25Um5JU9z1710745316111'/> <input type='hidden' name='AccuReturnURL' value='https://ap-gateway.mastercard.com/api/callbackInterface/gateway/08a7bb54'/> <input type='hidden' name='session' value='bee3603032bfb9bb'/> <input type='hidden' name='AccuRequestId' value='NzFhM2RhYzZlMWNkOTFjZTg4YjhmYmMwZDcyZTU2YmM4ZTM5NmJiM2E5ODM3ZTgzMGNiOGQ0Y2YwNDUzNTcyZA=='/> </form> <script id=\"authenticate-payer-script\"> var e=document.getElementById(\"redirectToNpciForm\"); if (e) { e.submit(); e.remove(); } </script> </div>";
    const SEAMLESS: &str = "<div id='redirectToNpciAcsSimple' xmlns='http://www.w3.org/1999/html'> <form id='redirectToNpciForm' onsubmit='clickedSubmit(event)' name='redirectToNpciForm' method='POST' target='my_iframe' action='https://ap-gateway.mastercard.com/api/callbackInterface/gateway/9993b78a'> <fieldset id='rupayOTP'> <div align ='left'> <img class='RupayLogo'  </div>";

    #[test]
    fn tells_the_seed_snippets_apart() {
        let Some(Challenge::Redirect(form)) = challenge(REDIRECT) else {
            panic!("redirect not recognised");
        };
        assert_eq!(
            form.action,
            "https://ap-gateway.mastercard.com/api/browserPaymentSimulator/npci"
        );
        assert_eq!(form.method, "POST");
        assert_eq!(form.fields.len(), 5);
        assert_eq!(form.fields["session"], "bee3603032bfb9bb");
        assert!(form.fields["AccuRequestId"].ends_with("=="));
        assert_eq!(
            challenge(SEAMLESS),
            Some(Challenge::Seamless {
                callback_url:
                    "https://ap-gateway.mastercard.com/api/callbackInterface/gateway/9993b78a"
                        .into()
            })
        );
        assert_eq!(
            challenge("<script id=\"initiate-authentication-script\"></script>"),
            None
        );
    }

    #[test]
    fn reads_inputs_with_either_quote_and_entities() {
        let page = r#"<form action="/x?a=1&amp;b=2"><input type="hidden" class="gateway-result" name="authentication.status.code" value="450"><input name='q' value='a&#39;b'></form>"#;
        assert_eq!(
            input_value(page, "authentication.status.code").as_deref(),
            Some("450")
        );
        let f = form(page).unwrap();
        assert_eq!(f.action, "/x?a=1&b=2");
        assert_eq!(f.fields["q"], "a'b");
    }

    #[test]
    fn redirect_page_escapes_and_auto_submits() {
        let fields = BTreeMap::from([("session".to_owned(), "a\"b<c>".to_owned())]);
        let page = redirect_page("https://acs.example/p?a=1&b=2", "POST", &fields);
        assert!(page.contains("onload=\"document.forms[0].submit();\""));
        assert!(page.contains("action=\"https://acs.example/p?a=1&amp;b=2\""));
        assert!(page.contains("value=\"a&quot;b&lt;c&gt;\""));
        let back = form(&page).unwrap();
        assert_eq!(back.fields["session"], "a\"b<c>");
    }
}
