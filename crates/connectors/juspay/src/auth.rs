//! Juspay's authentication: HTTP Basic with the API key as user and an empty password
//! (`base64("key:")`, what `curl -u key:` sends), and the HMAC-SHA256 signature Juspay puts
//! on the parameters it returns the payer's browser with.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The `Authorization` header value for an API key.
pub fn basic_authorization(api_key: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{api_key}:")))
}

/// Juspay's return signature over `params` (any `signature` and `signature_algorithm`
/// among them are left out): the parameters sorted by name, each name and value
/// URL-encoded, joined `k=v&...`, the whole string URL-encoded once more, HMAC-SHA256 with
/// the response key, base64.
pub fn return_signature<'a>(
    key: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(k, _)| *k != "signature" && *k != "signature_algorithm")
        .collect();
    sorted.sort();
    let joined = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let payload = urlencoding::encode(&joined);
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(payload.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` is the return signature of `params` under `key` (compared in
/// constant time).
pub fn verify_return<'a>(
    key: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    signature: &str,
) -> bool {
    let expected = return_signature(key, params);
    // Browsers may turn `+` into a space in a form value.
    let given = signature.trim().replace(' ', "+");
    !expected.is_empty()
        && expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_has_an_empty_password() {
        assert_eq!(basic_authorization("key"), "Basic a2V5Og==");
    }

    #[test]
    fn signature_ignores_order_and_its_own_fields() {
        let a = [
            ("order_id", "o 1"),
            ("status", "CHARGED"),
            ("status_id", "21"),
        ];
        let b = [
            ("status_id", "21"),
            ("signature", "x"),
            ("status", "CHARGED"),
            ("order_id", "o 1"),
        ];
        let sig = return_signature("k", a);
        assert_eq!(sig, return_signature("k", b));
        assert!(verify_return("k", b, &sig));
        assert!(!verify_return("other", b, &sig));
        let tampered = [
            ("order_id", "o 1"),
            ("status", "CHARGED"),
            ("status_id", "26"),
        ];
        assert!(!verify_return("k", tampered, &sig));
        assert!(verify_return("k", a, &sig.replace('+', " ")));
    }
}
