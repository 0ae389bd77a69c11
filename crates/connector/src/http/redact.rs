//! Redaction of provider request and response bodies before they reach a log line or span:
//! card numbers, security codes, OTPs, tokens, cryptograms, authentication values and
//! credentials are replaced.
//!
//! What counts as a secret, per the providers' documents:
//! - card data: PAN (`number`, `card_number`, a network token's number, MPGS
//!   `deviceSpecificNumber`), security code;
//! - OTPs: Cybersource `otpToken`, Fiserv `verifyOtp`, Juspay `answer.otp`, MPGS `npciOtpValue`;
//! - tokens: Cybersource `token` (the request token of every answer) and `transactionToken`
//!   (the RuPay validation proof sent back on authorization), Juspay `card_token`, any
//!   `...Token` field, and the `id` / `value` inside a token object (Fiserv
//!   `paymentToken.value`, Cybersource `tokenInformation.*.id`);
//! - cryptograms and authentication values: `cryptogram`, `onlinePaymentCryptogram`,
//!   `tokenCryptogram`, CAVV, `authenticationValue`, AAV, and the 3-D Secure messages
//!   (PAReq, PARes, CReq, CRes, `payerAuthenticationRequest`);
//! - credentials: passwords, API keys, secrets, `Authorization`.
//!
//! Identifiers stay readable: transaction ids, `xid` (which Cybersource sets to the
//! authentication transaction id), `authenticationTransactionContext` (the RuPay
//! transaction context *id*), order ids, ECI values and status codes.
//!
//! As a last line of defence every string value (and every unreadable form value) has its
//! Luhn-valid 13 to 19 digit runs masked, so a provider echoing a card number in a message
//! or an HTML page does not carry it into a log.

use serde_json::Value;

const MASK: &str = "[REDACTED]";

/// Keys (compared case-insensitively, ignoring `_`, `-` and `.`) whose values are secrets.
const SENSITIVE: &[&str] = &[
    "number",
    "pan",
    "cardnumber",
    "accountnumber",
    "devicespecificnumber",
    "dpan",
    "fpan",
    "securitycode",
    "cardsecuritycode",
    "cvv",
    "cvv2",
    "cvc",
    "otp",
    "otptoken",
    "otpvalue",
    "npciotpvalue",
    "verifyotp",
    "answerotp",
    "password",
    "apipassword",
    "cryptogram",
    "tokencryptogram",
    "onlinepaymentcryptogram",
    "signedpares",
    "pares",
    "pareq",
    "creq",
    "cres",
    "payerauthenticationrequest",
    "payerauthenticationresponse",
    "cavv",
    "aav",
    "authenticationvalue",
    "token",
    "transactiontoken",
    "cardtoken",
    "apikey",
    "responsekey",
    "secret",
    "authorization",
];

/// Endings (of a normalized key) that always mean a secret.
const SENSITIVE_SUFFIXES: &[&str] = &[
    "cardnumber",
    "accountnumber",
    "tokennumber",
    "cryptogram",
    "secret",
    "password",
    "securitycode",
    "token",
    "cavv",
    "pares",
    "pareq",
    "authenticationvalue",
    "apikey",
    "privatekey",
    "secretkey",
    "otpvalue",
];

/// Keys that are secrets inside a token object (`paymentToken: {value}`,
/// `tokenInformation: {paymentInstrument: {id}}`), and only there.
const TOKEN_MEMBERS: &[&str] = &["value", "id", "tokenvalue", "tokenid"];

fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when a field of this name must never be logged.
pub fn is_sensitive(key: &str) -> bool {
    let normalized = normalize(key);
    SENSITIVE.contains(&normalized.as_str())
        || SENSITIVE_SUFFIXES
            .iter()
            .any(|suffix| normalized.ends_with(suffix))
}

/// True for an object whose members describe a token (its `id` or `value` is the token).
fn is_token_container(key: &str) -> bool {
    normalize(key).contains("token")
}

/// A loggable rendering of a body: JSON and form bodies with secrets masked; anything else
/// replaced by its length (an unreadable body may hold anything).
pub fn redact_body(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    if let Ok(mut json) = serde_json::from_slice::<Value>(body) {
        redact_json(&mut json, false);
        return json.to_string();
    }
    if let Ok(text) = std::str::from_utf8(body)
        && looks_like_form(text)
    {
        return redact_form(text);
    }
    format!("<{} bytes, not JSON or form>", body.len())
}

fn redact_json(value: &mut Value, in_token: bool) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let nested = child.is_object() || child.is_array();
                if !nested
                    && (is_sensitive(key)
                        || (in_token && TOKEN_MEMBERS.contains(&normalize(key).as_str())))
                {
                    *child = Value::String(MASK.into());
                } else {
                    redact_json(child, in_token || (nested && is_token_container(key)));
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| redact_json(item, in_token)),
        Value::String(text) => {
            if let Some(scrubbed) = scrub_pans(text) {
                *text = scrubbed;
            }
        }
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
            Some((key, value)) => match scrub_pans(&urldecode(value)) {
                Some(_) => format!("{key}={MASK}"),
                None => pair.to_owned(),
            },
            None => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-decodes a form key or value (`+` is a space); invalid escapes stay as they are.
fn urldecode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                match bytes
                    .get(i + 1..i + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every Luhn-valid run of 13 to 19 digits (single spaces or dashes allowed
/// between digits) masked; `None` when there is none.
fn scrub_pans(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = i;
        let mut digits = Vec::new();
        while j < chars.len() {
            if let Some(d) = chars[j].to_digit(10) {
                digits.push(d);
                j += 1;
            } else if matches!(chars[j], ' ' | '-')
                && chars.get(j + 1).is_some_and(char::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        if (13..=19).contains(&digits.len()) && luhn_valid(&digits) {
            out.push_str(MASK);
            changed = true;
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    changed.then_some(out)
}

fn luhn_valid(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(n, &d)| {
            if n % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
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

    #[test]
    fn tokens_cryptograms_and_authentication_values_are_secrets() {
        for key in [
            "token",
            "transactionToken",
            "card_token",
            "authenticationToken",
            "paymentToken",
            "cavv",
            "authenticationValue",
            "onlinePaymentCryptogram",
            "tokenCryptogram",
            "payerAuthenticationRequest",
            "cReq",
            "PaReq",
            "PaRes",
            "npciOtpValue",
            "shared_secret",
            "api_secret",
            "Api-Key",
            "response_key",
            "deviceSpecificNumber",
            "networkTokenNumber",
        ] {
            assert!(is_sensitive(key), "{key} must be masked");
        }
        for key in [
            "authenticationTransactionId",
            "authenticationTransactionContext",
            "authenticationTransactionContextId",
            "xid",
            "id",
            "eciRaw",
            "ipgTransactionId",
            "txn_uuid",
            "challenge_id",
            "regenerateOtp",
            "validityPeriod",
            "referenceNumber",
            "phoneNumber",
        ] {
            assert!(!is_sensitive(key), "{key} is an identifier or a flag");
        }
    }

    /// Cybersource's seed answers: the enrollment's `token`, the OTP validation's
    /// `transactionToken` and `token`, the redirect validation's `cavv`; ids stay.
    #[test]
    fn cybersource_tokens_and_cavv_are_masked_and_ids_kept() {
        let validation = r#"{"clientReferenceInformation":{"code":"testingValidatie"},
            "consumerAuthenticationInformation":{"indicator":"rpy","eciRaw":"05","paresStatus":"Y",
            "transactionToken":"MDEwMTIzNTQ2NzA5YWJjZGVmMDEyMzU0NjcwOWFiY2RlZjAxMjM1NDY3MDlhYmNkZWYwMTIzNTQ2NzA5YWJjZGVm100403210110040321011004032101",
            "authenticationTransactionContext":"100000000000000000000000025253",
            "authenticationTransactionId":"00000012345298152551253625",
            "cavv":"MTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDI1MjM2","xid":"ODMwOTE0MDkyNTM4",
            "token":"AxizLwSTWc6HUJD/TcUC/989TSoGbqdIAUxhk2/+xcVYlDjAMA1m"},
            "id":"6379008657507153200386","status":"AUTHENTICATION_SUCCESSFUL"}"#;
        let out = redact_body(validation.as_bytes());
        for secret in [
            "MDEwMTIzNTQ2NzA5",
            "MTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDI1MjM2",
            "AxizLwSTWc6HUJD",
        ] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        for kept in [
            "\"authenticationTransactionId\":\"00000012345298152551253625\"",
            "\"authenticationTransactionContext\":\"100000000000000000000000025253\"",
            "\"xid\":\"ODMwOTE0MDkyNTM4\"",
            "\"id\":\"6379008657507153200386\"",
            "\"status\":\"AUTHENTICATION_SUCCESSFUL\"",
        ] {
            assert!(out.contains(kept), "{kept} missing: {out}");
        }
        assert_eq!(out.matches(MASK).count(), 3, "{out}");

        // The authorization request carries the token and the CAVV back.
        let payment = r#"{"consumerAuthenticationInformation":{"cavv":"AAABBJkZUQAAAABXSBlRAAAAAAA=",
            "xid":"x1","transactionToken":"T0KEN-VALUE-1","authenticationTransactionId":"a1"},
            "paymentInformation":{"tokenizedCard":{"number":"5085000000000015",
            "cryptogram":"AxjzbwSTWXrGh42hi2ugABEBTSoX+EHukDpxAUqXb8n+Wcc3UiIJAPAAhhO5","type":"061"}}}"#;
        let out = redact_body(payment.as_bytes());
        for secret in [
            "AAABBJkZUQ",
            "T0KEN-VALUE-1",
            "5085000000000015",
            "AxjzbwSTWXrGh42",
        ] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        assert!(out.contains("\"type\":\"061\""), "{out}");
    }

    /// A token object's `value` / `id` is the token (Fiserv `paymentToken`, Cybersource
    /// `tokenInformation`); the same names elsewhere are identifiers.
    #[test]
    fn members_of_token_objects_are_masked() {
        let body = r#"{"ipgTransactionId":"84439384258","paymentToken":{"value":"234ljl124l12",
            "reusable":false,"brand":"RUPAY","type":"PAYMENT_CARD"},
            "tokenInformation":{"paymentInstrument":{"id":"7010000000016241111"},
            "instrumentIdentifier":{"id":"7030000000014831523","state":"ACTIVE"}},
            "order":{"id":"o-1"},
            "authenticationResponse":{"params":{"payerAuthenticationRequest":"c7fb83b8ag73t4",
            "cReq":"ewogICAiYWNzVHJhbnNJRCIg","termURL":"https://api.example.com/redirectToAcs"}},
            "standinResponseDetails":{"authenticationValue":"AAABBgFWUQAAAAEzZ1ZRAAAAAAA="}}"#;
        let out = redact_body(body.as_bytes());
        for secret in [
            "234ljl124l12",
            "7010000000016241111",
            "7030000000014831523",
            "c7fb83b8ag73t4",
            "ewogICAiYWNzVHJhbnNJRCIg",
            "AAABBgFWUQ",
        ] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        for kept in [
            "\"ipgTransactionId\":\"84439384258\"",
            "\"brand\":\"RUPAY\"",
            "\"state\":\"ACTIVE\"",
            "\"order\":{\"id\":\"o-1\"}",
            "redirectToAcs",
        ] {
            assert!(out.contains(kept), "{kept} missing: {out}");
        }
    }

    #[test]
    fn mpgs_cryptogram_and_card_in_html_are_masked() {
        let body = format!(
            r#"{{"apiOperation":"AUTHENTICATE_PAYER","sourceOfFunds":{{"type":"SCHEME_TOKEN",
            "provided":{{"card":{{"number":"{PAN}","expiry":{{"month":"12","year":"31"}},
            "devicePayment":{{"onlinePaymentCryptogram":"APJUR+bB46ysAAKYEAOYGgADFA=="}}}}}}}},
            "authentication":{{"redirect":{{"html":"<form><input name=\"card\" value=\"6521 5000 0000 0014\"></form>"}},
            "3ds":{{"transactionId":"001236894402496821710745316111"}}}}}}"#
        );
        let out = redact_body(body.as_bytes());
        for secret in [PAN, "6521 5000 0000 0014", "APJUR+bB46ys"] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        assert!(out.contains("001236894402496821710745316111"), "{out}");
        assert!(out.contains("SCHEME_TOKEN"), "{out}");
    }

    #[test]
    fn juspay_forms_mask_tokens_and_percent_encoded_keys() {
        let body = format!(
            "order_id=o1&card_token=tok_abc123&answer%2Eotp=123987&card%5Fnumber={PAN}&challenge_id=ch_1&note=card+6521-5000-0000-0014"
        );
        let out = redact_body(body.as_bytes());
        for secret in ["tok_abc123", "123987", PAN, "6521-5000"] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        assert!(
            out.contains("order_id=o1") && out.contains("challenge_id=ch_1"),
            "{out}"
        );
    }

    #[test]
    fn card_numbers_in_free_text_are_masked_but_ids_are_not() {
        let body = format!(
            r#"{{"message":"card {PAN} refused","spaced":"5085 0000 0000 0015",
               "id":"6379008657507153200386","networkTransactionId":"123456789619999","amount":"100.00"}}"#
        );
        let out = redact_body(body.as_bytes());
        assert!(!out.contains(PAN) && !out.contains("5085 0000"), "{out}");
        assert!(out.contains("card [REDACTED] refused"), "{out}");
        // 22 digits is no card number; 15 digits failing the Luhn check is an id.
        assert!(out.contains("6379008657507153200386"), "{out}");
        assert!(out.contains("123456789619999"), "{out}");
        assert!(out.contains("100.00"), "{out}");
    }
}
