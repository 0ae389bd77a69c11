//! Reading the gateway's `authentication.redirect.html` (and its callback pages), and
//! writing the page that sends the payer's browser to the issuer.
//!
//! Seed 001's FAQ tells the flows apart by the form: the redirect form auto-posts the hidden
//! fields `AccuCardholderId`, `AccuGuid`, `AccuReturnURL`, `session` and `AccuRequestId` to
//! the issuer's ACS; the seamless form carries none of them and its `action` is the gateway
//! callback URL where the OTP is submitted. The reader is deliberately small and tolerant
//! (either quote style, any attribute order, entities decoded); it never executes anything.
//!
//! The seed shows the seamless form only up to its logo, so nothing about its inputs is
//! assumed: [`OtpForm`] reads them from whatever form the gateway sends (the OTP input is
//! the form's text/password/number/tel input, hidden inputs are carried along, and the
//! submit, resend and cancel controls are told apart by their labels).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// Collect the OTP on payorch's caller's page and post it through this form (whose
    /// `action` is the gateway callback URL).
    Seamless(OtpForm),
}

/// A button or submit input: what the browser adds to the form data when it is pressed
/// (nothing when it has no name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    pub name: String,
    pub value: String,
}

/// The seamless OTP form as the gateway sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpForm {
    /// The gateway callback URL the form posts to.
    pub action: String,
    /// The name of the input the payer types the OTP into; `None` when the form has none.
    #[serde(default)]
    pub otp_field: Option<String>,
    /// Hidden inputs, posted with every submission.
    #[serde(default)]
    pub hidden: BTreeMap<String, String>,
    /// The control that submits the OTP (the form's first control that is neither
    /// resend nor cancel).
    #[serde(default)]
    pub submit: Option<Control>,
    /// The control that asks for a new OTP ("Resend OTP").
    #[serde(default)]
    pub resend: Option<Control>,
    /// The control that abandons the authentication.
    #[serde(default)]
    pub cancel: Option<Control>,
}

impl OtpForm {
    /// What pressing submit with `otp` typed in posts: hidden inputs, the OTP, the submit
    /// control. `None` when the form has no OTP input.
    pub fn submission(&self, otp: &str) -> Option<Vec<(String, String)>> {
        let field = self.otp_field.clone()?;
        let mut form = self.carried();
        form.push((field, otp.to_owned()));
        form.extend(
            self.submit
                .iter()
                .map(|c| (c.name.clone(), c.value.clone())),
        );
        Some(form)
    }

    /// What pressing resend posts (the OTP input empty, as a browser sends it); `None` when
    /// the form has no resend control.
    pub fn resend_request(&self) -> Option<Vec<(String, String)>> {
        let control = self.resend.as_ref()?;
        let mut form = self.carried();
        if let Some(field) = &self.otp_field {
            form.push((field.clone(), String::new()));
        }
        form.push((control.name.clone(), control.value.clone()));
        Some(form)
    }

    fn carried(&self) -> Vec<(String, String)> {
        self.hidden
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Input types a payer types an OTP into (no `type` is `text`).
const OTP_INPUT_TYPES: [&str; 4] = ["text", "password", "number", "tel"];

/// Reads the seamless OTP form of `html` (its first form).
pub fn otp_form(html: &str) -> Option<OtpForm> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<form")?;
    let action = attributes(tag_at(html, start)?)
        .get("action")
        .cloned()
        .unwrap_or_default();
    let end = lower[start..]
        .find("</form")
        .map_or(html.len(), |i| start + i);
    let body = &html[start..end];
    let mut otp_field = None;
    let mut hidden = BTreeMap::new();
    // Submitting controls in document order, with the words that tell them apart.
    let mut controls: Vec<(usize, Control, String)> = Vec::new();
    for (at, tag) in elements(body, "input") {
        let attrs = attributes(tag);
        let kind = attrs
            .get("type")
            .map_or_else(|| "text".to_owned(), |t| t.trim().to_ascii_lowercase());
        let name = attrs.get("name").cloned().unwrap_or_default();
        let value = attrs.get("value").cloned().unwrap_or_default();
        match kind.as_str() {
            "hidden" if !name.is_empty() => {
                hidden.entry(name).or_insert(value);
            }
            "submit" | "image" => {
                let words = words(&attrs, &value);
                controls.push((at, Control { name, value }, words));
            }
            k if OTP_INPUT_TYPES.contains(&k) && !name.is_empty() && otp_field.is_none() => {
                otp_field = Some(name);
            }
            _ => {}
        }
    }
    let body_lower = body.to_ascii_lowercase();
    for (at, tag) in elements(body, "button") {
        let attrs = attributes(tag);
        let kind = attrs
            .get("type")
            .map_or_else(|| "submit".to_owned(), |t| t.trim().to_ascii_lowercase());
        if kind != "submit" {
            continue;
        }
        let after = at + tag.len();
        let text_end = body_lower[after..]
            .find("</button")
            .map_or(body.len(), |i| after + i);
        let text = strip_tags(&body[after..text_end]);
        let control = Control {
            name: attrs.get("name").cloned().unwrap_or_default(),
            value: attrs.get("value").cloned().unwrap_or_default(),
        };
        let words = words(&attrs, &text);
        controls.push((at, control, words));
    }
    controls.sort_by_key(|(at, _, _)| *at);
    // A nameless control posts nothing that tells it apart.
    let named = |c: &Control| (!c.name.is_empty()).then(|| c.clone());
    let pick = |wanted: fn(&str) -> bool| {
        controls
            .iter()
            .find(|(_, _, w)| wanted(w))
            .and_then(|(_, c, _)| named(c))
    };
    let submit = controls
        .iter()
        .find(|(_, _, w)| !is_resend(w) && !is_cancel(w))
        .and_then(|(_, c, _)| named(c));
    Some(OtpForm {
        action,
        otp_field,
        hidden,
        submit,
        resend: pick(is_resend),
        cancel: pick(is_cancel),
    })
}

/// A control's label, value, id, name and class, lower-cased: what says what it does.
fn words(attrs: &BTreeMap<String, String>, label: &str) -> String {
    let attr = |k: &str| attrs.get(k).cloned().unwrap_or_default();
    format!(
        "{label} {} {} {} {}",
        attr("value"),
        attr("id"),
        attr("name"),
        attr("class")
    )
    .to_ascii_lowercase()
}

fn is_resend(words: &str) -> bool {
    ["resend", "re-send", "regenerate", "send again", "new otp"]
        .iter()
        .any(|w| words.contains(w))
}

fn is_cancel(words: &str) -> bool {
    ["cancel", "abort"].iter().any(|w| words.contains(w))
}

/// Every `<tag ...>` of `html`, with its offset.
fn elements<'a>(html: &'a str, tag: &str) -> Vec<(usize, &'a str)> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let at = from + i;
        let boundary = lower[at + open.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == '>' || c == '/');
        let Some(element) = tag_at(html, at) else {
            break;
        };
        if boundary {
            found.push((at, element));
        }
        from = at + element.len().max(1);
    }
    found
}

/// The text of an HTML fragment (tags dropped, entities decoded, spaces collapsed).
fn strip_tags(fragment: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in fragment.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    decode_entities(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
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
        otp_form(html).map(Challenge::Seamless)
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
        let Some(Challenge::Seamless(form)) = challenge(SEAMLESS) else {
            panic!("seamless not recognised");
        };
        assert_eq!(
            form.action,
            "https://ap-gateway.mastercard.com/api/callbackInterface/gateway/9993b78a"
        );
        // The seed's snippet ends before the form's inputs: none is assumed.
        assert_eq!(form.otp_field, None);
        assert_eq!(form.submission("123456"), None);
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

    /// Whatever the form calls its fields, the OTP goes in its text-like input, hidden
    /// inputs travel along, and submit, resend and cancel are told apart by their labels.
    #[test]
    fn reads_any_otp_form() {
        let page = "<div><form id='f' method='POST' action='https://gw.example/api/callbackInterface/gateway/ab'>\
            <input type='hidden' name='pageToken' value='t&amp;1'/>\
            <input type='checkbox' name='remember' value='y'/>\
            <label>OTP</label><input type='password' name='challengeResponse' maxlength='6'>\
            <input type=\"text\" name=\"second\">\
            <button type='button' onclick='x()'>Show</button>\
            <button name='step' value='CONFIRM'><span>Submit</span></button>\
            <button type='submit' name='step' value='AGAIN'>Resend OTP</button>\
            <input type='submit' name='quit' value='Cancel'>\
            </form><form><input name='other'></form></div>";
        let form = otp_form(page).unwrap();
        assert_eq!(
            form.action,
            "https://gw.example/api/callbackInterface/gateway/ab"
        );
        assert_eq!(form.otp_field.as_deref(), Some("challengeResponse"));
        assert_eq!(
            form.hidden,
            BTreeMap::from([("pageToken".to_owned(), "t&1".to_owned())])
        );
        let control = |n: &str, v: &str| Control {
            name: n.into(),
            value: v.into(),
        };
        assert_eq!(form.submit, Some(control("step", "CONFIRM")));
        assert_eq!(form.resend, Some(control("step", "AGAIN")));
        assert_eq!(form.cancel, Some(control("quit", "Cancel")));
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            form.submission("123456").unwrap(),
            pairs(&[
                ("pageToken", "t&1"),
                ("challengeResponse", "123456"),
                ("step", "CONFIRM")
            ])
        );
        assert_eq!(
            form.resend_request().unwrap(),
            pairs(&[
                ("pageToken", "t&1"),
                ("challengeResponse", ""),
                ("step", "AGAIN")
            ])
        );
        // A nameless submit button adds nothing; without a resend control, no resend.
        let bare =
            otp_form("<form action='/cb'><input name='code' type='tel'><button>Go</button></form>")
                .unwrap();
        assert_eq!(bare.submission("1").unwrap(), pairs(&[("code", "1")]));
        assert_eq!(bare.resend_request(), None);
    }
}
