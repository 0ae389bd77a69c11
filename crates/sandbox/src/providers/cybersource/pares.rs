//! The PaRes the sandbox ACS posts back for Cybersource redirects, and its check.
//!
//! A PaRes here is base64(`<xid>|<mac>`), the MAC keyed by the sandbox's secret, so a
//! merchant cannot forge one; the issuer's session holds the actual result.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::acs::{AcsChallenge, AcsResult};
use crate::state::Sandbox;

fn mac(secret: &[u8], reference: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(reference.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn encode(secret: &[u8], reference: &str) -> String {
    STANDARD.encode(format!("{reference}|{}", mac(secret, reference)))
}

/// The xid a genuine PaRes names. Whitespace (line breaks from forms) is ignored.
pub fn decode(secret: &[u8], pares: &str) -> Option<String> {
    let compact: String = pares.chars().filter(|c| !c.is_whitespace()).collect();
    let raw = String::from_utf8(STANDARD.decode(compact).ok()?).ok()?;
    let (reference, tag) = raw.rsplit_once('|')?;
    (mac(secret, reference) == tag).then(|| reference.to_owned())
}

/// Cybersource's return to TermUrl: `PaRes` and the `MD` the merchant posted (the xid,
/// which the ACS checked on the way in).
pub fn return_fields(
    sandbox: &Sandbox,
    challenge: &AcsChallenge,
    _result: AcsResult,
) -> Vec<(String, String)> {
    let md = challenge
        .posted
        .get("MD")
        .map(|md| md.trim().to_owned())
        .unwrap_or_else(|| challenge.reference.clone());
    vec![
        (
            "PaRes".into(),
            encode(&sandbox.secret, &challenge.reference),
        ),
        ("MD".into(), md),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_forgery() {
        let secret = [7u8; 32];
        let p = encode(&secret, "MTIz");
        assert_eq!(decode(&secret, &p).as_deref(), Some("MTIz"));
        assert_eq!(decode(&[8u8; 32], &p), None);
        assert_eq!(decode(&secret, &STANDARD.encode("MTIz|00")), None);
    }
}
