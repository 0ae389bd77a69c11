//! The issuer and NPCI behind every simulator: enrollment by card, OTP challenges keyed by
//! the provider's reference, and authorization that insists on a prior authentication.
//!
//! Simulators translate these outcomes into their own provider's fields; they never decide
//! card behaviour themselves, so all four providers agree on what each test card does.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;

use super::cards::{self, Behaviour, Flow};
use super::codes::NpciCode;
use super::otp::{OtpChallenge, OtpPolicy, Resend, Verify};
use crate::store::BoundedMap;

/// The issuer's answer to "can this card be authenticated?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrollment {
    Enrolled(Flow),
    /// 410 Invalid BIN.
    NotEnrolled,
    /// The ACS is down (412 once tried).
    IssuerUnavailable,
}

/// Where an authentication session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    /// Authenticated; `cavv` is the authentication value to present on authorization.
    Authenticated {
        cavv: String,
    },
    Failed(NpciCode),
    Cancelled,
}

/// One payer authentication at the issuer.
#[derive(Debug, Clone)]
pub struct AuthSession {
    pub connector: String,
    pub reference: String,
    pub card_number: String,
    pub flow: Flow,
    pub otp: OtpChallenge,
    pub outcome: Outcome,
    /// True once an authorization used this authentication (each is single-use).
    pub consumed: bool,
}

/// The answer to an authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    Approved { approval_code: String },
    Declined(Decline),
}

/// Why the issuer or the network declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    /// 51
    InsufficientFunds,
    /// 54
    ExpiredCard,
    /// 05
    DoNotHonour,
    /// RuPay without a successful authentication (NPCI 409 Invalid AuthenticationValue).
    AuthenticationRequired,
}

impl Decline {
    pub fn code(self) -> &'static str {
        match self {
            Decline::InsufficientFunds => "51",
            Decline::ExpiredCard => "54",
            Decline::DoNotHonour => "05",
            Decline::AuthenticationRequired => "409",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Decline::InsufficientFunds => "Insufficient funds",
            Decline::ExpiredCard => "Expired card",
            Decline::DoNotHonour => "Do not honour",
            Decline::AuthenticationRequired => {
                "RuPay authorization without a successful authentication"
            }
        }
    }
}

/// A session was not found (never existed, or evicted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown authentication session")]
pub struct UnknownSession;

type Key = (String, String);

/// The shared issuer: thread-safe, bounded.
#[derive(Debug)]
pub struct Issuer {
    sessions: Mutex<BoundedMap<Key, AuthSession>>,
    /// Authentication values handed out (CAVV, tokens, references) → the session they prove.
    proofs: Mutex<BoundedMap<String, Key>>,
    fixed_otp: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the sandbox: the data is still consistent per entry.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn key(connector: &str, reference: &str) -> Key {
    (connector.to_owned(), reference.to_owned())
}

impl Issuer {
    pub fn new(capacity: usize, fixed_otp: Option<String>) -> Self {
        Self {
            sessions: Mutex::new(BoundedMap::new(capacity)),
            proofs: Mutex::new(BoundedMap::new(capacity.saturating_mul(3))),
            fixed_otp,
        }
    }

    /// Enrollment for a card; `preferred` picks the flow on cards that offer both.
    pub fn enrollment(&self, card_number: &str, preferred: Option<Flow>) -> Enrollment {
        match cards::behaviour_of(card_number) {
            Behaviour::NotEnrolled => Enrollment::NotEnrolled,
            Behaviour::IssuerUnavailable => Enrollment::IssuerUnavailable,
            _ => {
                let flows = cards::flows_of(card_number);
                let flow = preferred
                    .filter(|f| flows.contains(f))
                    .or_else(|| flows.first().copied())
                    .unwrap_or(Flow::Seamless);
                Enrollment::Enrolled(flow)
            }
        }
    }

    /// Opens a challenge and "sends" the first OTP.
    pub fn start(
        &self,
        connector: &str,
        reference: &str,
        card_number: &str,
        flow: Flow,
        policy: OtpPolicy,
    ) -> AuthSession {
        let session = AuthSession {
            connector: connector.to_owned(),
            reference: reference.to_owned(),
            card_number: card_number.to_owned(),
            flow,
            otp: OtpChallenge::issue(policy, self.fixed_otp.as_deref(), Instant::now()),
            outcome: Outcome::Pending,
            consumed: false,
        };
        lock(&self.sessions).insert(key(connector, reference), session.clone());
        session
    }

    /// A copy of the session.
    pub fn session(&self, connector: &str, reference: &str) -> Option<AuthSession> {
        lock(&self.sessions)
            .get(&key(connector, reference))
            .cloned()
    }

    /// Checks an OTP; success authenticates the session and registers its CAVV and reference
    /// as proofs for authorization.
    pub fn verify(
        &self,
        connector: &str,
        reference: &str,
        answer: &str,
    ) -> Result<(Verify, AuthSession), UnknownSession> {
        let k = key(connector, reference);
        let mut sessions = lock(&self.sessions);
        let session = sessions.get_mut(&k).ok_or(UnknownSession)?;
        let result = match &session.outcome {
            // A repeated validation of a finished session answers as before.
            Outcome::Authenticated { .. } => Verify::Success,
            Outcome::Failed(NpciCode::AttemptsExhausted) => Verify::Exhausted,
            Outcome::Failed(NpciCode::ExpiredOtp) => Verify::Expired,
            Outcome::Failed(_) | Outcome::Cancelled => Verify::Exhausted,
            Outcome::Pending => session.otp.verify(answer, Instant::now()),
        };
        match result {
            Verify::Success if session.outcome == Outcome::Pending => {
                let cavv = random_b64(20);
                session.outcome = Outcome::Authenticated { cavv: cavv.clone() };
                let snapshot = session.clone();
                drop(sessions);
                self.add_proof(&cavv, connector, reference);
                self.add_proof(reference, connector, reference);
                return Ok((result, snapshot));
            }
            Verify::Exhausted => session.outcome = Outcome::Failed(NpciCode::AttemptsExhausted),
            _ => {}
        }
        Ok((result, session.clone()))
    }

    /// Sends a new OTP (the old one stops working).
    pub fn resend(
        &self,
        connector: &str,
        reference: &str,
    ) -> Result<(Resend, AuthSession), UnknownSession> {
        let mut sessions = lock(&self.sessions);
        let session = sessions
            .get_mut(&key(connector, reference))
            .ok_or(UnknownSession)?;
        let result = if session.outcome == Outcome::Pending {
            session
                .otp
                .resend(self.fixed_otp.as_deref(), Instant::now())
        } else {
            Resend::LimitReached
        };
        Ok((result, session.clone()))
    }

    /// Ends a session without authentication (payer cancelled, or a final failure).
    pub fn finish(
        &self,
        connector: &str,
        reference: &str,
        outcome: Outcome,
    ) -> Result<(), UnknownSession> {
        let mut sessions = lock(&self.sessions);
        let session = sessions
            .get_mut(&key(connector, reference))
            .ok_or(UnknownSession)?;
        if session.outcome == Outcome::Pending {
            session.outcome = outcome;
        }
        Ok(())
    }

    /// The OTP the payer's phone shows now, while the challenge is open.
    pub fn current_otp(&self, connector: &str, reference: &str) -> Option<String> {
        lock(&self.sessions)
            .get(&key(connector, reference))
            .filter(|s| s.outcome == Outcome::Pending)
            .map(|s| s.otp.code().to_owned())
    }

    /// Makes the current OTP expire now (test hook).
    pub fn expire_otp(&self, connector: &str, reference: &str) -> Result<(), UnknownSession> {
        let mut sessions = lock(&self.sessions);
        let session = sessions
            .get_mut(&key(connector, reference))
            .ok_or(UnknownSession)?;
        session.otp.expire(Instant::now());
        Ok(())
    }

    /// Registers one more value that proves the session (e.g. a provider's transaction token).
    pub fn add_proof(&self, proof: &str, connector: &str, reference: &str) {
        lock(&self.proofs).insert(proof.to_owned(), key(connector, reference));
    }

    /// Authorizes a customer-initiated RuPay payment. `proofs` are the authentication values
    /// the request carried (CAVV, token, authentication id); one must name a successful,
    /// unused authentication of this same card.
    pub fn authorize(&self, card_number: &str, proofs: &[&str]) -> Authorization {
        let keys: Vec<Key> = {
            let table = lock(&self.proofs);
            proofs
                .iter()
                .filter_map(|p| table.get(&(*p).to_owned()).cloned())
                .collect()
        };
        let mut sessions = lock(&self.sessions);
        let session = keys.iter().find_map(|k| {
            sessions.get(k).filter(|s| {
                s.card_number == card_number
                    && !s.consumed
                    && matches!(s.outcome, Outcome::Authenticated { .. })
            })?;
            Some(k.clone())
        });
        let Some(k) = session else {
            return Authorization::Declined(Decline::AuthenticationRequired);
        };
        let decision = decide(card_number);
        if matches!(decision, Authorization::Approved { .. })
            && let Some(s) = sessions.get_mut(&k)
        {
            s.consumed = true;
        }
        decision
    }

    /// Authorizes a merchant-initiated debit under a registered Standing Instruction
    /// (no authentication: the registration was authenticated).
    pub fn authorize_recurring(&self, card_number: &str) -> Authorization {
        decide(card_number)
    }
}

/// The issuer's decision once authentication is settled.
fn decide(card_number: &str) -> Authorization {
    match cards::behaviour_of(card_number) {
        Behaviour::DeclineInsufficientFunds => Authorization::Declined(Decline::InsufficientFunds),
        Behaviour::DeclineExpiredCard => Authorization::Declined(Decline::ExpiredCard),
        Behaviour::DeclineDoNotHonour => Authorization::Declined(Decline::DoNotHonour),
        Behaviour::NotEnrolled | Behaviour::IssuerUnavailable => {
            Authorization::Declined(Decline::AuthenticationRequired)
        }
        _ => Authorization::Approved {
            approval_code: format!("{:06}", rand::rng().random_range(0..1_000_000u32)),
        },
    }
}

/// `n` random bytes, base64.
pub fn random_b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill(&mut bytes[..]);
    STANDARD.encode(bytes)
}

/// A random string of `n` decimal digits (provider ids are often numeric).
pub fn random_digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: OtpPolicy = OtpPolicy::new(5, 3, 3);
    const SEAMLESS_CARD: &str = "5085000000000015";

    #[test]
    fn authorization_without_authentication_is_declined() {
        let issuer = Issuer::new(16, None);
        assert_eq!(
            issuer.authorize(SEAMLESS_CARD, &["made-up"]),
            Authorization::Declined(Decline::AuthenticationRequired)
        );
    }

    #[test]
    fn authenticated_session_authorizes_once() {
        let issuer = Issuer::new(16, Some("123456".into()));
        issuer.start("cybersource", "r1", SEAMLESS_CARD, Flow::Seamless, POLICY);
        let (v, s) = issuer
            .verify("cybersource", "r1", "123456")
            .expect("session");
        assert_eq!(v, Verify::Success);
        let Outcome::Authenticated { cavv } = s.outcome else {
            panic!("not authenticated")
        };
        assert!(matches!(
            issuer.authorize(SEAMLESS_CARD, &[&cavv]),
            Authorization::Approved { .. }
        ));
        assert_eq!(
            issuer.authorize(SEAMLESS_CARD, &[&cavv]),
            Authorization::Declined(Decline::AuthenticationRequired)
        );
    }

    #[test]
    fn proof_of_another_card_is_refused() {
        let issuer = Issuer::new(16, Some("123456".into()));
        issuer.start("mpgs", "r1", SEAMLESS_CARD, Flow::Seamless, POLICY);
        issuer.verify("mpgs", "r1", "123456").expect("session");
        assert_eq!(
            issuer.authorize("5085200000000037", &["r1"]),
            Authorization::Declined(Decline::AuthenticationRequired)
        );
    }

    #[test]
    fn decline_cards_decline_after_authentication() {
        let issuer = Issuer::new(16, Some("123456".into()));
        for (card, code) in [
            ("6072000000000083", "51"),
            ("6521500000000097", "54"),
            ("6521600000000012", "05"),
        ] {
            issuer.start("juspay", card, card, Flow::Seamless, POLICY);
            issuer.verify("juspay", card, "123456").expect("session");
            match issuer.authorize(card, &[card]) {
                Authorization::Declined(d) => assert_eq!(d.code(), code),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn enrollment_follows_the_catalogue() {
        let issuer = Issuer::new(16, None);
        assert_eq!(
            issuer.enrollment("6070000000000069", None),
            Enrollment::NotEnrolled
        );
        assert_eq!(
            issuer.enrollment("6071000000000076", None),
            Enrollment::IssuerUnavailable
        );
        assert_eq!(
            issuer.enrollment("5085100000000021", None),
            Enrollment::Enrolled(Flow::Redirect)
        );
        assert_eq!(
            issuer.enrollment("5085100000000021", Some(Flow::Seamless)),
            Enrollment::Enrolled(Flow::Redirect)
        );
        assert_eq!(
            issuer.enrollment("5085200000000037", Some(Flow::Redirect)),
            Enrollment::Enrolled(Flow::Redirect)
        );
        assert_eq!(
            issuer.enrollment("5085200000000037", None),
            Enrollment::Enrolled(Flow::Seamless)
        );
    }

    #[test]
    fn concurrent_verifications_authenticate_exactly_once() {
        let issuer = std::sync::Arc::new(Issuer::new(64, Some("123456".into())));
        issuer.start("c", "r", SEAMLESS_CARD, Flow::Seamless, POLICY);
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let issuer = issuer.clone();
                std::thread::spawn(move || issuer.verify("c", "r", "123456").map(|(v, _)| v))
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().expect("thread"), Ok(Verify::Success));
        }
        let approvals = (0..4)
            .filter(|_| {
                matches!(
                    issuer.authorize(SEAMLESS_CARD, &["r"]),
                    Authorization::Approved { .. }
                )
            })
            .count();
        assert_eq!(approvals, 1);
    }
}
