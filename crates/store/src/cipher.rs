//! AES-256-GCM encryption of card data at rest, with key ids for rotation.
//!
//! A sealed value is `<key id>.<base64(nonce || ciphertext)>`. The session id is the
//! associated data, so a ciphertext copied into another session's record fails to open.

use std::collections::HashMap;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use payorch_core::card::Card;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::StoreError;

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CipherConfigError {
    #[error("encryption key {key_id:?} is not 32 bytes of base64")]
    BadKey { key_id: String },
    #[error("the active key id {0:?} has no key")]
    MissingActiveKey(String),
    #[error("key ids must be non-empty and must not contain '.'")]
    BadKeyId,
}

/// Seals and opens card data. Holds every key still needed to read old records; writes
/// always use the active one.
#[derive(Clone)]
pub struct CardCipher {
    active_key_id: String,
    keys: HashMap<String, Aes256Gcm>,
    /// Keys the idempotency fingerprints stored next to sessions, so a request's secrets
    /// (PAN, CVV, OTP) cannot be recovered from its hash by guessing.
    fingerprint_key: [u8; 32],
}

impl std::fmt::Debug for CardCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardCipher")
            .field("active_key_id", &self.active_key_id)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl CardCipher {
    /// Builds a cipher from base64-encoded 32-byte keys, by key id.
    pub fn from_base64_keys<'a>(
        active_key_id: &str,
        keys: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, CipherConfigError> {
        let mut map = HashMap::new();
        let mut raw: HashMap<String, Vec<u8>> = HashMap::new();
        for (key_id, encoded) in keys {
            if key_id.is_empty() || key_id.contains('.') {
                return Err(CipherConfigError::BadKeyId);
            }
            let bad = || CipherConfigError::BadKey {
                key_id: key_id.to_owned(),
            };
            let bytes = B64.decode(encoded.trim()).map_err(|_| bad())?;
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| bad())?;
            map.insert(key_id.to_owned(), cipher);
            raw.insert(key_id.to_owned(), bytes);
        }
        let Some(active) = raw.get(active_key_id) else {
            return Err(CipherConfigError::MissingActiveKey(
                active_key_id.to_owned(),
            ));
        };
        let fingerprint_key = derive_fingerprint_key(active);
        Ok(Self {
            active_key_id: active_key_id.to_owned(),
            keys: map,
            fingerprint_key,
        })
    }

    /// A cipher with a fresh random key that lives only in this process: for the embedded
    /// in-memory default and tests, where nothing outlives the process anyway.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let mut keys = HashMap::new();
        keys.insert("ephemeral".to_owned(), Aes256Gcm::new(&key.into()));
        Self {
            active_key_id: "ephemeral".to_owned(),
            keys,
            fingerprint_key: derive_fingerprint_key(&key),
        }
    }

    pub fn active_key_id(&self) -> &str {
        &self.active_key_id
    }

    /// HMAC-SHA256 of a request fingerprint under a key derived from the active key. Rotating
    /// the active key makes in-flight idempotency records unmatchable (a replay within 24 h
    /// of a rotation is refused as a different request, never executed twice).
    pub fn keyed_fingerprint(&self, fingerprint: &[u8; 32]) -> [u8; 32] {
        match <Hmac<Sha256> as KeyInit>::new_from_slice(&self.fingerprint_key) {
            Ok(mut mac) => {
                mac.update(fingerprint);
                mac.finalize().into_bytes().into()
            }
            // HMAC takes keys of any length; keep a keyed hash even so.
            Err(_) => {
                let mut hasher = Sha256::new();
                hasher.update(self.fingerprint_key);
                hasher.update(fingerprint);
                hasher.finalize().into()
            }
        }
    }

    pub fn seal(&self, session_id: &str, card: &Card) -> Result<String, StoreError> {
        let cipher = self
            .keys
            .get(&self.active_key_id)
            .ok_or_else(|| StoreError::Corrupt("active key missing".into()))?;
        let plain = serde_json::to_vec(card)
            .map_err(|_| StoreError::Corrupt("card encoding failed".into()))?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: session_id.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Corrupt("card encryption failed".into()))?;
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(format!("{}.{}", self.active_key_id, B64.encode(blob)))
    }

    pub fn open(&self, session_id: &str, sealed: &str) -> Result<Card, StoreError> {
        let (key_id, body) = sealed
            .split_once('.')
            .ok_or_else(|| StoreError::Corrupt("sealed card has no key id".into()))?;
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown encryption key id {key_id:?}")))?;
        let blob = B64
            .decode(body)
            .map_err(|_| StoreError::Corrupt("sealed card is not base64".into()))?;
        if blob.len() <= NONCE_LEN {
            return Err(StoreError::Corrupt("sealed card too short".into()));
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| StoreError::Corrupt("bad nonce".into()))?;
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: session_id.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Corrupt("card decryption failed".into()))?;
        serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt("card encoding".into()))
    }
}

/// A key for fingerprints, separate from (but derived from) a card-encryption key.
fn derive_fingerprint_key(key: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"payorch idempotency fingerprint v1\0");
    hasher.update(key);
    hasher.finalize().into()
}
