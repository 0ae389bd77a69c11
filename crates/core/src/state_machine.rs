//! The authentication state machine: which status may follow which.
//!
//! The session store checks every write against [`AuthenticationStatus::can_transition_to`]
//! inside its compare-and-set, so an illegal move is refused no matter which replica tries
//! it. The table (rows: from, cells: to and why):
//!
//! | from \ to | legal next statuses and the event behind each |
//! |---|---|
//! | `PENDING` | `PENDING` the start moves to the merchant's next account, the first provably not reached (not sent, credentials refused) · `REDIRECT_REQUIRED` provider wants the ACS page · `OTP_REQUIRED` OTP sent (seamless) · `SUCCEEDED` frictionless, no challenge · `FAILED` refused at start (not enrolled, invalid BIN, declined) · `UNKNOWN` start call timed out or failed mid-way · `CANCELLED` caller cancelled before the provider answered |
//! | `REDIRECT_REQUIRED` | `VERIFYING` payer came back (callback or `CompleteRedirect`): claim the session to verify with the provider · `SUCCEEDED` / `FAILED` result learnt by a status lookup or notification without a claim · `EXPIRED` payer never came back in time · `CANCELLED` payer or caller cancelled · `UNKNOWN` a status lookup or verification call failed mid-way |
//! | `OTP_REQUIRED` | `VERIFYING` `SubmitOtp` claims the session (one attempt counted) · `OTP_REQUIRED` `ResendOtp`: a new challenge replaces the old one · `EXPIRED` OTP validity over · `CANCELLED` caller cancelled · `FAILED` resend limit reached or provider gave up · `UNKNOWN` resend call failed mid-way |
//! | `VERIFYING` | `SUCCEEDED` OTP or ACS result verified · `FAILED` rejected, attempts exhausted · `OTP_REQUIRED` wrong OTP, attempts remain · `REDIRECT_REQUIRED` the provider says the payer has not finished at the ACS yet (early or forged callback): keep waiting · `EXPIRED` OTP expired while being verified · `CANCELLED` the provider reports that the payer cancelled at the ACS (`ACCU200`) · `UNKNOWN` verification call timed out |
//! | `UNKNOWN` | resolved by a status lookup: `SUCCEEDED`, `FAILED`, `OTP_REQUIRED`, `REDIRECT_REQUIRED`, `EXPIRED`, `CANCELLED`, or still `UNKNOWN` |
//! | `SUCCEEDED`, `FAILED`, `EXPIRED`, `CANCELLED` | none: terminal |
//!
//! Deliberately absent:
//! - anything back to `PENDING`: a session reaches a provider at most once (`PENDING` →
//!   `PENDING` only moves a start no provider received to another account);
//! - `VERIFYING` → `VERIFYING`: that is a second claim, and refusing it is what stops two
//!   replicas from submitting the same OTP twice;
//! - `UNKNOWN` → `VERIFYING`: only a real payer action (an OTP, a callback) may claim.
//!
//! `VERIFYING` → `CANCELLED` is legal because the provider can report a payer's cancel as
//! the verification result; a *caller's* `CancelAuthentication` should still not cancel a
//! session that is `VERIFYING` (let the verification finish), which is the service's rule
//! since the table cannot tell who asked.

use crate::status::AuthenticationStatus;

use AuthenticationStatus::{
    Cancelled, Expired, Failed, OtpRequired, Pending, RedirectRequired, Succeeded, Unknown,
    Verifying,
};

/// A move the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("illegal authentication transition from {from} to {to}")]
pub struct IllegalTransition {
    pub from: AuthenticationStatus,
    pub to: AuthenticationStatus,
}

impl AuthenticationStatus {
    /// Succeeded, Failed, Expired and Cancelled: nothing can follow them.
    pub fn is_terminal(self) -> bool {
        matches!(self, Succeeded | Failed | Expired | Cancelled)
    }

    /// Whether `self` → `next` is an edge of the table in the module documentation.
    pub fn can_transition_to(self, next: AuthenticationStatus) -> bool {
        match self {
            Pending => matches!(
                next,
                Pending | RedirectRequired | OtpRequired | Succeeded | Failed | Unknown | Cancelled
            ),
            RedirectRequired => matches!(
                next,
                Verifying | Succeeded | Failed | Expired | Cancelled | Unknown
            ),
            OtpRequired => matches!(
                next,
                Verifying | OtpRequired | Expired | Cancelled | Failed | Unknown
            ),
            Verifying => matches!(
                next,
                Succeeded | Failed | OtpRequired | RedirectRequired | Expired | Cancelled | Unknown
            ),
            Unknown => matches!(
                next,
                Succeeded | Failed | OtpRequired | RedirectRequired | Expired | Cancelled | Unknown
            ),
            Succeeded | Failed | Expired | Cancelled => false,
        }
    }

    /// `next` when the move is legal.
    pub fn transition(
        self,
        next: AuthenticationStatus,
    ) -> Result<AuthenticationStatus, IllegalTransition> {
        if self.can_transition_to(next) {
            Ok(next)
        } else {
            Err(IllegalTransition {
                from: self,
                to: next,
            })
        }
    }

    /// Every status that may follow `self`.
    pub fn successors(self) -> impl Iterator<Item = AuthenticationStatus> {
        AuthenticationStatus::ALL
            .iter()
            .copied()
            .filter(move |next| self.can_transition_to(*next))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    /// The table of the module documentation, written out independently of the `match`.
    const EDGES: &[(AuthenticationStatus, AuthenticationStatus)] = &[
        (Pending, Pending),
        (Pending, RedirectRequired),
        (Pending, OtpRequired),
        (Pending, Succeeded),
        (Pending, Failed),
        (Pending, Unknown),
        (Pending, Cancelled),
        (RedirectRequired, Verifying),
        (RedirectRequired, Succeeded),
        (RedirectRequired, Failed),
        (RedirectRequired, Expired),
        (RedirectRequired, Cancelled),
        (RedirectRequired, Unknown),
        (OtpRequired, Verifying),
        (OtpRequired, OtpRequired),
        (OtpRequired, Expired),
        (OtpRequired, Cancelled),
        (OtpRequired, Failed),
        (OtpRequired, Unknown),
        (Verifying, Succeeded),
        (Verifying, Failed),
        (Verifying, OtpRequired),
        (Verifying, RedirectRequired),
        (Verifying, Expired),
        (Verifying, Cancelled),
        (Verifying, Unknown),
        (Unknown, Succeeded),
        (Unknown, Failed),
        (Unknown, OtpRequired),
        (Unknown, RedirectRequired),
        (Unknown, Expired),
        (Unknown, Cancelled),
        (Unknown, Unknown),
    ];

    #[test]
    fn every_listed_edge_is_legal() {
        for &(from, to) in EDGES {
            assert!(from.can_transition_to(to), "{from} -> {to}");
            assert_eq!(from.transition(to), Ok(to), "{from} -> {to}");
        }
    }

    #[test]
    fn every_other_pair_is_refused() {
        let edges: HashSet<_> = EDGES.iter().copied().collect();
        let mut refused = 0;
        for &from in AuthenticationStatus::ALL {
            for &to in AuthenticationStatus::ALL {
                if !edges.contains(&(from, to)) {
                    refused += 1;
                    assert!(!from.can_transition_to(to), "{from} -> {to}");
                    assert_eq!(from.transition(to), Err(IllegalTransition { from, to }));
                }
            }
        }
        assert_eq!(refused + EDGES.len(), 81);
    }

    #[test]
    fn key_refusals() {
        // A second claim must lose: this is what serializes OTP submissions.
        assert!(!Verifying.can_transition_to(Verifying));
        assert!(!Unknown.can_transition_to(Verifying));
        assert!(!Pending.can_transition_to(Verifying));
        assert!(!Pending.can_transition_to(Expired));
        for &from in AuthenticationStatus::ALL {
            if from == Pending {
                continue;
            }
            assert!(!from.can_transition_to(Pending), "{from} -> PENDING");
        }
    }

    #[test]
    fn terminal_states_have_no_way_out() {
        let terminal: Vec<_> = AuthenticationStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, [Succeeded, Failed, Expired, Cancelled]);
        for from in terminal {
            assert_eq!(from.successors().count(), 0, "{from}");
        }
        for &from in AuthenticationStatus::ALL {
            if !from.is_terminal() {
                assert!(from.successors().count() > 0, "{from}");
            }
        }
    }

    #[test]
    fn transition_agrees_with_can_transition_to_on_all_81_pairs() {
        let mut pairs = 0;
        for &from in AuthenticationStatus::ALL {
            for &to in AuthenticationStatus::ALL {
                pairs += 1;
                assert_eq!(from.transition(to).is_ok(), from.can_transition_to(to));
                assert_eq!(
                    from.successors().any(|s| s == to),
                    from.can_transition_to(to)
                );
            }
        }
        assert_eq!(pairs, 81);
    }

    #[test]
    fn error_names_both_ends() {
        let err = Succeeded.transition(Failed).unwrap_err();
        assert_eq!(
            err.to_string(),
            "illegal authentication transition from SUCCEEDED to FAILED"
        );
    }

    #[test]
    fn every_state_is_reachable_from_pending() {
        assert_eq!(
            reachable_from_pending().len(),
            AuthenticationStatus::ALL.len()
        );
    }

    /// Breadth-first closure of the table from `PENDING`.
    fn reachable_from_pending() -> HashSet<AuthenticationStatus> {
        let mut seen = HashSet::from([Pending]);
        let mut queue = vec![Pending];
        while let Some(state) = queue.pop() {
            for next in EDGES
                .iter()
                .filter(|(from, _)| *from == state)
                .map(|(_, to)| *to)
            {
                if seen.insert(next) {
                    queue.push(next);
                }
            }
        }
        seen
    }

    fn any_status() -> impl Strategy<Value = AuthenticationStatus> {
        proptest::sample::select(AuthenticationStatus::ALL)
    }

    proptest! {
        #[test]
        fn random_walks_stay_legal(attempts in proptest::collection::vec(any_status(), 0..64)) {
            let reachable = reachable_from_pending();
            let mut state = Pending;
            for next in attempts {
                let before = state;
                match state.transition(next) {
                    Ok(after) => {
                        prop_assert!(!before.is_terminal(), "left terminal {}", before);
                        prop_assert!(EDGES.contains(&(before, after)));
                        state = after;
                    }
                    Err(err) => {
                        prop_assert_eq!(err, IllegalTransition { from: before, to: next });
                    }
                }
                prop_assert!(reachable.contains(&state));
                if before.is_terminal() {
                    prop_assert_eq!(state, before);
                }
            }
        }
    }
}
