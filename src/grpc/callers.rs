//! Caller authentication: each internal service presents a bearer token, mapped in
//! configuration to the merchants it may act for; a caller sees only its merchants'
//! authentications, payments and mandates. With no callers configured (the embedded default)
//! every caller may act for every merchant, and start-up says so.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tonic::service::Interceptor;
use tonic::{Code, Request, Status};

use crate::config::CallerSettings;
use crate::grpc::status::with_reason;

/// Who is calling, as far as merchants go. Put in the request's extensions by [`CallerAuth`].
#[derive(Debug, Clone)]
pub struct Caller {
    /// `None`: caller authentication is off, every merchant is allowed.
    merchants: Option<Grants>,
}

impl Caller {
    pub fn of<T>(request: &Request<T>) -> Caller {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller { merchants: None })
    }

    /// PERMISSION_DENIED unless this caller may act for `merchant_id`. An empty id is left to
    /// request validation, which names the field.
    pub fn authorize(&self, merchant_id: &str) -> Result<(), Status> {
        if merchant_id.is_empty() {
            return Ok(());
        }
        match &self.merchants {
            Some(allowed) if !allowed.contains(merchant_id) => Err(with_reason(
                Code::PermissionDenied,
                "MERCHANT_NOT_GRANTED",
                "this caller may not act for that merchant_id",
            )),
            _ => Ok(()),
        }
    }
}

/// Checks `authorization: Bearer <token>` on every payorch RPC (health and reflection are
/// not intercepted). Tokens are kept only as SHA-256 digests.
/// The merchants one caller may act for.
type Grants = Arc<HashSet<String>>;

#[derive(Clone)]
pub struct CallerAuth {
    /// SHA-256 of each token → its grants; `None` when caller authentication is off.
    tokens: Option<Arc<HashMap<[u8; 32], Grants>>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl CallerAuth {
    pub fn new(callers: &[CallerSettings]) -> Self {
        if callers.is_empty() {
            return Self { tokens: None };
        }
        let tokens = callers
            .iter()
            .map(|c| {
                let merchants: HashSet<String> = c.merchants.iter().cloned().collect();
                (digest(c.token.expose()), Arc::new(merchants))
            })
            .collect();
        Self {
            tokens: Some(Arc::new(tokens)),
        }
    }

    pub fn enabled(&self) -> bool {
        self.tokens.is_some()
    }
}

impl Interceptor for CallerAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let Some(tokens) = &self.tokens else {
            return Ok(request);
        };
        let presented = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let merchants = presented
            .and_then(|token| tokens.get(&digest(token)))
            .cloned()
            .ok_or_else(|| {
                with_reason(
                    Code::Unauthenticated,
                    "CALLER_NOT_AUTHENTICATED",
                    "send `authorization: Bearer <token>` issued for this caller",
                )
            })?;
        request.extensions_mut().insert(Caller {
            merchants: Some(merchants),
        });
        Ok(request)
    }
}
