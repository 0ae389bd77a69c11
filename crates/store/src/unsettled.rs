//! The resolver's list: every record whose last write left it short of a final state, with
//! when the resolver should look at it next. Stores keep it as part of their own writes, so
//! no caller can forget a record; replicas claim due entries with a lease, so one replica
//! handles one record at a time.

use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;
use payorch_core::status::AuthenticationStatus;

use crate::ttl::Lifetimes;

/// A record on the resolver's list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unsettled {
    Authentication(String),
    Payment(String),
}

impl Unsettled {
    /// The list member: `a:<id>` or `p:<id>`.
    pub fn member(&self) -> String {
        match self {
            Unsettled::Authentication(id) => format!("a:{id}"),
            Unsettled::Payment(id) => format!("p:{id}"),
        }
    }

    pub fn from_member(member: &str) -> Option<Self> {
        match member.split_once(':') {
            Some(("a", id)) => Some(Unsettled::Authentication(id.to_owned())),
            Some(("p", id)) => Some(Unsettled::Payment(id.to_owned())),
            _ => None,
        }
    }
}

/// When the resolver should first look at a session as just written; `None` when it is
/// final. Sessions waiting for the payer are due when their window ends (to expire them);
/// sessions a call holds (PENDING, VERIFYING) or whose answer was lost (UNKNOWN) soon.
pub fn session_due(
    session: &AuthenticationSession,
    lifetimes: &Lifetimes,
    now_ms: i64,
) -> Option<i64> {
    match session.status {
        s if s.is_terminal() => None,
        AuthenticationStatus::OtpRequired | AuthenticationStatus::RedirectRequired => {
            Some(session.expires_at_ms.unwrap_or(now_ms))
        }
        _ => Some(now_ms.saturating_add(first_check_ms(lifetimes))),
    }
}

/// When the resolver should first look at a payment as just written; `None` when no money
/// is in doubt (no call claimed on it, no lost answer, not left before the provider).
pub fn payment_due(payment: &PaymentRecord, lifetimes: &Lifetimes, now_ms: i64) -> Option<i64> {
    payment
        .undecided()
        .then(|| now_ms.saturating_add(first_check_ms(lifetimes)))
}

fn first_check_ms(lifetimes: &Lifetimes) -> i64 {
    i64::try_from(lifetimes.resolver_first_check.as_millis()).unwrap_or(i64::MAX)
}
