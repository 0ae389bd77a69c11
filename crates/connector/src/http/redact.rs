//! Redaction of provider request and response bodies before they reach a log line or span:
//! card numbers, security codes, OTPs, cryptograms and authentication blobs are replaced.

use serde_json::Value;

const MASK: &str = "[REDACTED]";

/// Keys (compared case-insensitively, ignoring `_`, `-` and `.`) whose values are secrets.
const SENSITIVE: &[&str] = &[
    "number",
    "pan",
    "cardnumber",
    "accountnumber",
    "securitycode",
    "cardsecuritycode",
    "cvv",
    "cvv2",
    "cvc",
    "otp",
    "otptoken",
    "verifyotp",
    "answerotp",
    "password",
    "apipassword",
    "cryptogram",
    "tokencryptogram",
    "signedpares",
    "pares",
    "pareq",
    "cavv",
    "authenticationvalue",
    "apikey",
    "secret",
    "authorization",
];

/// True when a field of this name must never be logged.
pub fn is_sensitive(key: &str) -> bool {
    let normalized: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    SENSITIVE.contains(&normalized.as_str())
        || ["cryptogram", "secret", "password", "securitycode"]
            .iter()
            .any(|suffix| normalized.ends_with(suffix))
}

/// A loggable rendering of a body: JSON and form bodies with secrets masked; anything else
/// replaced by its length (an unreadable body may hold anything).
pub fn redact_body(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    if let Ok(mut json) = serde_json::from_slice::<Value>(body) {
        redact_json(&mut json);
        return json.to_string();
    }
    if let Ok(text) = std::str::from_utf8(body)
        && looks_like_form(text)
    {
        return redact_form(text);
    }
    format!("<{} bytes, not JSON or form>", body.len())
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if is_sensitive(key) && !child.is_object() && !child.is_array() {
                    *child = Value::String(MASK.into());
                } else {
                    redact_json(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

fn looks_like_form(text: &str) -> bool {
    !text.contains(char::is_whitespace) && text.contains('=')
}

fn redact_form(text: &str) -> String {
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_sensitive(&urldecode(key)) => format!("{key}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn urldecode(key: &str) -> String {
    key.replace("%2E", ".")
        .replace("%2e", ".")
        .replace('+', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAN: &str = "6521500000000014";

    #[test]
    fn json_secrets_are_masked_at_any_depth() {
        let body = format!(
            r#"{{"paymentInformation":{{"card":{{"number":"{PAN}","securityCode":"123","expirationMonth":"12"}}}},
               "consumerAuthenticationInformation":{{"otpToken":"654321","signedPares":"eNq..."}},
               "items":[{{"cardNumber":"{PAN}"}}]}}"#
        );
        let out = redact_body(body.as_bytes());
        for secret in [PAN, "\"123\"", "654321", "eNq..."] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        assert!(
            out.contains("\"expirationMonth\":\"12\""),
            "non-secrets kept: {out}"
        );
    }

    #[test]
    fn form_secrets_are_masked() {
        let body = format!(
            "order_id=o1&card_number={PAN}&card_security_code=123&answer.otp=111222&amount=10.00"
        );
        let out = redact_body(body.as_bytes());
        assert!(
            !out.contains(PAN) && !out.contains("=123") && !out.contains("111222"),
            "{out}"
        );
        assert!(
            out.contains("order_id=o1") && out.contains("amount=10.00"),
            "{out}"
        );
    }

    #[test]
    fn unreadable_bodies_are_not_logged() {
        let out = redact_body(format!("<html>{PAN}</html> garbage").as_bytes());
        assert!(!out.contains(PAN));
        assert!(out.contains("bytes"));
    }

    #[test]
    fn sensitivity_ignores_case_and_separators() {
        assert!(is_sensitive("card_security_code"));
        assert!(is_sensitive("OTP-Token"));
        assert!(is_sensitive("answer.otp"));
        assert!(is_sensitive("onlinePaymentCryptogram"));
        assert!(is_sensitive("client_secret"));
        assert!(is_sensitive("apiPassword"));
        assert!(!is_sensitive("order_id"));
    }
}
