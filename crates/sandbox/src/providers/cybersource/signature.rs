//! Cybersource HTTP Signature and Digest, verified exactly as the official SDKs sign
//! (FACTS.md): `Signature: keyid="..", algorithm="HmacSHA256", headers="host date
//! request-target digest v-c-merchant-id", signature="<b64>"`, where the signing string
//! is one `name: value` line per listed header joined by `\n`, `request-target` is
//! `<lower-case method> <path?query>`, and the key is the base64-decoded shared secret.
//!
//! The simulator verifies over the `Host` header it received and the path without its
//! mount prefix: what the provider would see behind an intermediate host.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Why a request's signature was refused (logged; the client only sees 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("malformed Signature header")]
    Malformed,
    #[error("unknown merchant id")]
    WrongMerchant,
    #[error("unknown key id")]
    WrongKeyId,
    #[error("unsupported algorithm {0}")]
    Algorithm(String),
    #[error("signed header list lacks {0}")]
    HeaderNotSigned(&'static str),
    #[error("Digest does not match the body")]
    DigestMismatch,
    #[error("Date outside the accepted window")]
    Stale,
    #[error("signature mismatch")]
    Mismatch,
    #[error("shared secret is not valid base64")]
    BadSecret,
}

/// What the verifier reads from a request.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// Path and query as the provider sees them (mount prefix removed).
    pub path_and_query: &'a str,
    pub host: Option<&'a str>,
    pub date: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub merchant_id: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

/// The merchant credentials the simulator accepts.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub merchant_id: &'a str,
    pub key_id: &'a str,
    pub shared_secret_b64: &'a str,
}

/// `SHA-256=` + base64(SHA-256(body)).
pub fn digest(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// base64(HMAC-SHA256(base64-decode(secret), signing string)).
pub fn sign(shared_secret_b64: &str, signing_string: &str) -> Result<String, SignatureError> {
    let key = STANDARD
        .decode(shared_secret_b64)
        .map_err(|_| SignatureError::BadSecret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| SignatureError::BadSecret)?;
    mac.update(signing_string.as_bytes());
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

/// The parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub key_id: String,
    pub algorithm: String,
    pub headers: Vec<String>,
    pub signature: String,
}

/// Parses `k="v", k2="v2"` (whitespace after commas optional).
pub fn parse_signature_header(value: &str) -> Result<SignatureHeader, SignatureError> {
    let (mut key_id, mut algorithm, mut headers, mut signature) = (None, None, None, None);
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').ok_or(SignatureError::Malformed)?;
        let after = after.strip_prefix('"').ok_or(SignatureError::Malformed)?;
        let (val, tail) = after.split_once('"').ok_or(SignatureError::Malformed)?;
        match name.trim().to_ascii_lowercase().as_str() {
            "keyid" => key_id = Some(val.to_owned()),
            "algorithm" => algorithm = Some(val.to_owned()),
            "headers" => {
                headers = Some(
                    val.split_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect(),
                )
            }
            "signature" => signature = Some(val.to_owned()),
            _ => {}
        }
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Ok(SignatureHeader {
        key_id: key_id.ok_or(SignatureError::Malformed)?,
        algorithm: algorithm.ok_or(SignatureError::Malformed)?,
        headers: headers.ok_or(SignatureError::Malformed)?,
        signature: signature.ok_or(SignatureError::Malformed)?,
    })
}

/// The signing string for the listed headers.
pub fn signing_string(
    headers: &[String],
    request: &SignedRequest<'_>,
) -> Result<String, SignatureError> {
    let lines: Result<Vec<String>, SignatureError> = headers
        .iter()
        .map(|name| {
            let value = match name.as_str() {
                "host" => request
                    .host
                    .ok_or(SignatureError::MissingHeader("host"))?
                    .to_owned(),
                "date" => request
                    .date
                    .ok_or(SignatureError::MissingHeader("date"))?
                    .to_owned(),
                "digest" => request
                    .digest
                    .ok_or(SignatureError::MissingHeader("digest"))?
                    .to_owned(),
                "v-c-merchant-id" => request
                    .merchant_id
                    .ok_or(SignatureError::MissingHeader("v-c-merchant-id"))?
                    .to_owned(),
                "request-target" => format!(
                    "{} {}",
                    request.method.to_ascii_lowercase(),
                    request.path_and_query
                ),
                _ => return Err(SignatureError::Malformed),
            };
            Ok(format!("{name}: {value}"))
        })
        .collect();
    Ok(lines?.join("\n"))
}

/// Full verification of one request. `now` and `max_skew` bound the `Date` header
/// (`None` skips that check, e.g. for fixed known-answer vectors).
pub fn verify(
    credentials: &Credentials<'_>,
    request: &SignedRequest<'_>,
    now: SystemTime,
    max_skew: Option<Duration>,
) -> Result<(), SignatureError> {
    let merchant = request
        .merchant_id
        .ok_or(SignatureError::MissingHeader("v-c-merchant-id"))?;
    if merchant != credentials.merchant_id {
        return Err(SignatureError::WrongMerchant);
    }
    let header = parse_signature_header(
        request
            .signature
            .ok_or(SignatureError::MissingHeader("signature"))?,
    )?;
    if header.key_id != credentials.key_id {
        return Err(SignatureError::WrongKeyId);
    }
    if header.algorithm != "HmacSHA256" {
        return Err(SignatureError::Algorithm(header.algorithm));
    }
    let has_body = matches!(
        request.method.to_ascii_uppercase().as_str(),
        "POST" | "PUT" | "PATCH"
    );
    let mut required: Vec<&'static str> = vec!["host", "date", "request-target", "v-c-merchant-id"];
    if has_body {
        required.push("digest");
    }
    for name in required {
        if !header.headers.iter().any(|h| h == name) {
            return Err(SignatureError::HeaderNotSigned(name));
        }
    }
    if has_body {
        let sent = request
            .digest
            .ok_or(SignatureError::MissingHeader("digest"))?;
        if !constant_time_eq(sent.as_bytes(), digest(request.body).as_bytes()) {
            return Err(SignatureError::DigestMismatch);
        }
    }
    let date = request.date.ok_or(SignatureError::MissingHeader("date"))?;
    if let Some(skew) = max_skew {
        let sent = httpdate::parse_http_date(date).map_err(|_| SignatureError::Stale)?;
        let diff = now
            .duration_since(sent)
            .or_else(|e| Ok::<_, SignatureError>(e.duration()))?;
        if diff > skew {
            return Err(SignatureError::Stale);
        }
    }
    let expected = sign(
        credentials.shared_secret_b64,
        &signing_string(&header.headers, request)?,
    )?;
    if constant_time_eq(expected.as_bytes(), header.signature.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    //! Known-answer vectors from FACTS.md (computed with both official SDKs).
    use super::*;

    const CREDS: Credentials<'static> = Credentials {
        merchant_id: "testrest",
        key_id: "08c94330-f618-42a3-b09d-e1e43be5efda",
        shared_secret_b64: "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=",
    };
    const DATE: &str = "Thu, 01 Jan 2026 00:00:00 GMT";
    const HOST: &str = "apitest.cybersource.com";
    const BODY: &str = r#"{"clientReferenceInformation":{"code":"ORD1"},"consumerAuthenticationInformation":{"authenticationTransactionId":"AbCdEf123","otpToken":"123456"}}"#;
    const DIGEST: &str = "SHA-256=sCKYa8BmccM6zuBzD3D+9md7vWx5w7eBxGxo62CMdmE=";
    const POST_SIG: &str = "mVsPSmvK8ZaSCcGj1dooT+bdbf3t8eTh/xjbPBAEEqY=";
    const GET_SIG: &str = "LbU3NTqx67AvObjnD08Nl2YCL9ATLL7SVTuQqwspPA8=";

    fn header(headers: &str, sig: &str) -> String {
        format!(
            r#"keyid="{}", algorithm="HmacSHA256", headers="{headers}", signature="{sig}""#,
            CREDS.key_id
        )
    }

    fn post<'a>(sig_header: &'a str, body: &'a [u8], digest: &'a str) -> SignedRequest<'a> {
        SignedRequest {
            method: "POST",
            path_and_query: "/risk/v1/authentication-results",
            host: Some(HOST),
            date: Some(DATE),
            digest: Some(digest),
            merchant_id: Some("testrest"),
            signature: Some(sig_header),
            body,
        }
    }

    #[test]
    fn digest_matches_known_answer() {
        assert_eq!(digest(BODY.as_bytes()), DIGEST);
    }

    #[test]
    fn post_known_answer_is_accepted() {
        let h = header("host date request-target digest v-c-merchant-id", POST_SIG);
        let req = post(&h, BODY.as_bytes(), DIGEST);
        assert_eq!(verify(&CREDS, &req, SystemTime::now(), None), Ok(()));
    }

    #[test]
    fn get_known_answer_is_accepted() {
        let h = header("host date request-target v-c-merchant-id", GET_SIG);
        let req = SignedRequest {
            method: "GET",
            path_and_query: "/pts/v2/payments/7000000000000000000001",
            host: Some(HOST),
            date: Some(DATE),
            digest: None,
            merchant_id: Some("testrest"),
            signature: Some(&h),
            body: b"",
        };
        assert_eq!(verify(&CREDS, &req, SystemTime::now(), None), Ok(()));
    }

    /// Flips one bit of a base64 string's decoded bytes.
    fn flip_bit(b64: &str) -> String {
        let mut bytes = STANDARD.decode(b64).expect("base64");
        bytes[0] ^= 1;
        STANDARD.encode(bytes)
    }

    #[test]
    fn one_bit_change_in_signature_is_refused() {
        let h = header(
            "host date request-target digest v-c-merchant-id",
            &flip_bit(POST_SIG),
        );
        let req = post(&h, BODY.as_bytes(), DIGEST);
        assert_eq!(
            verify(&CREDS, &req, SystemTime::now(), None),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn one_bit_change_in_body_is_refused() {
        let mut body = BODY.as_bytes().to_vec();
        body[10] ^= 1;
        let h = header("host date request-target digest v-c-merchant-id", POST_SIG);
        let req = post(&h, &body, DIGEST);
        assert_eq!(
            verify(&CREDS, &req, SystemTime::now(), None),
            Err(SignatureError::DigestMismatch)
        );
    }

    #[test]
    fn one_bit_change_in_secret_is_refused() {
        let h = header("host date request-target digest v-c-merchant-id", POST_SIG);
        let req = post(&h, BODY.as_bytes(), DIGEST);
        let secret = flip_bit(CREDS.shared_secret_b64);
        let creds = Credentials {
            shared_secret_b64: &secret,
            ..CREDS
        };
        assert_eq!(
            verify(&creds, &req, SystemTime::now(), None),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn other_host_or_path_is_refused() {
        let h = header("host date request-target digest v-c-merchant-id", POST_SIG);
        let mut req = post(&h, BODY.as_bytes(), DIGEST);
        req.host = Some("127.0.0.1:8090");
        assert_eq!(
            verify(&CREDS, &req, SystemTime::now(), None),
            Err(SignatureError::Mismatch)
        );
        let mut req = post(&h, BODY.as_bytes(), DIGEST);
        req.path_and_query = "/cybersource/risk/v1/authentication-results";
        assert_eq!(
            verify(&CREDS, &req, SystemTime::now(), None),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn digest_must_be_signed_for_post() {
        let h = header("host date request-target v-c-merchant-id", POST_SIG);
        let req = post(&h, BODY.as_bytes(), DIGEST);
        assert_eq!(
            verify(&CREDS, &req, SystemTime::now(), None),
            Err(SignatureError::HeaderNotSigned("digest"))
        );
    }

    #[test]
    fn stale_date_is_refused_when_checked() {
        let h = header("host date request-target digest v-c-merchant-id", POST_SIG);
        let req = post(&h, BODY.as_bytes(), DIGEST);
        let skew = Some(Duration::from_secs(900));
        assert_eq!(
            verify(&CREDS, &req, SystemTime::now(), skew),
            Err(SignatureError::Stale)
        );
        let at = httpdate::parse_http_date(DATE).expect("date") + Duration::from_secs(60);
        assert_eq!(verify(&CREDS, &req, at, skew), Ok(()));
    }

    #[test]
    fn wrong_merchant_or_key_is_refused() {
        let h = header("host date request-target digest v-c-merchant-id", POST_SIG);
        let mut req = post(&h, BODY.as_bytes(), DIGEST);
        req.merchant_id = Some("other");
        assert_eq!(
            verify(&CREDS, &req, SystemTime::now(), None),
            Err(SignatureError::WrongMerchant)
        );
        let bad = h.replace("08c94330", "18c94330");
        let req = post(&bad, BODY.as_bytes(), DIGEST);
        assert_eq!(
            verify(&CREDS, &req, SystemTime::now(), None),
            Err(SignatureError::WrongKeyId)
        );
    }
}
