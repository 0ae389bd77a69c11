//! The gateway's words for where things stand: the gatewayRecommendation /
//! authenticationStatus / gatewayCode / result combinations of seed 001 for an
//! authentication, and an order's status and totals.

use super::CONNECTOR;
use super::store::{AuthRecord, AuthStage, Kind, Order, Outcome as PayOutcome};
use crate::npci::{AccuCode, Flow, NpciCode, Outcome};
use crate::state::Sandbox;

/// What an authentication transaction reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthState {
    pub authentication_status: &'static str,
    pub gateway_code: &'static str,
    pub recommendation: &'static str,
    pub result: &'static str,
    /// `authentication.status.code` / `.description`, when the gateway reports one.
    pub status: Option<(String, String)>,
    pub order_status: &'static str,
    /// The issuer challenge is still open.
    pub pending: bool,
}

fn state(
    authentication_status: &'static str,
    gateway_code: &'static str,
    recommendation: &'static str,
    result: &'static str,
    status: Option<(&str, &str)>,
    order_status: &'static str,
) -> AuthState {
    AuthState {
        authentication_status,
        gateway_code,
        recommendation,
        result,
        status: status.map(|(c, d)| (c.to_owned(), d.to_owned())),
        order_status,
        pending: false,
    }
}

/// The ACCU code the redirect ACS reports for an issuer outcome.
pub fn accu_of(outcome: &Outcome) -> AccuCode {
    match outcome {
        Outcome::Pending => AccuCode::Timeout,
        Outcome::Authenticated { .. } => AccuCode::Success,
        Outcome::Cancelled => AccuCode::Cancelled,
        Outcome::Failed(NpciCode::ExpiredOtp) => AccuCode::Timeout,
        Outcome::Failed(_) => AccuCode::Failed,
    }
}

pub fn accu_description(code: AccuCode) -> &'static str {
    match code {
        AccuCode::Success => "AUTHENTICATION_SUCCESSFUL",
        AccuCode::Failed => "Authentication Failed",
        AccuCode::Cancelled => "Cardholder pressed Cancel button",
        AccuCode::Timeout => "Cardholder inactivity timeout",
        AccuCode::InvalidData => "Invalid data received, posted, or Hash validation failed",
        AccuCode::SessionExpired => "Duplicate Data posted or session already expired",
        AccuCode::GeneralError => "General Error Encountered",
    }
}

/// Where an authentication transaction stands, in the gateway's words.
pub fn of(sandbox: &Sandbox, auth: &AuthRecord) -> AuthState {
    match auth.stage {
        AuthStage::Available => state(
            "AUTHENTICATION_AVAILABLE",
            "AUTHENTICATION_IN_PROGRESS",
            "PROCEED",
            "SUCCESS",
            None,
            "AUTHENTICATION_INITIATED",
        ),
        AuthStage::NotSupported => state(
            "AUTHENTICATION_NOT_SUPPORTED",
            "DECLINED",
            "RESUBMIT_WITH_ALTERNATIVE_PAYMENT_DETAILS",
            "FAILURE",
            Some((NpciCode::InvalidBin.as_str(), "Invalid BIN")),
            "AUTHENTICATION_UNSUCCESSFUL",
        ),
        AuthStage::Unavailable => state(
            "AUTHENTICATION_UNAVAILABLE",
            "DECLINED",
            "DO_NOT_PROCEED",
            "FAILURE",
            Some((
                NpciCode::IssuerAuthenticationFailure.as_str(),
                "Issuer Authentication Failure",
            )),
            "AUTHENTICATION_UNSUCCESSFUL",
        ),
        AuthStage::Started => started(sandbox, auth),
    }
}

fn started(sandbox: &Sandbox, auth: &AuthRecord) -> AuthState {
    let session = auth
        .reference
        .as_deref()
        .and_then(|r| sandbox.issuer.session(CONNECTOR, r));
    let Some(session) = session else {
        // Evicted from the issuer's table: the session is gone.
        let code = AccuCode::SessionExpired;
        return state(
            "AUTHENTICATION_FAILED",
            "DECLINED",
            "DO_NOT_PROCEED",
            "FAILURE",
            Some((code.as_str(), accu_description(code))),
            "AUTHENTICATION_UNSUCCESSFUL",
        );
    };
    match &session.outcome {
        Outcome::Pending => {
            let mut s = if auth.retried {
                // Seed 001, cases 1 and 3: after a resend or a wrong OTP.
                state(
                    "AUTHENTICATION_PENDING",
                    "PENDING",
                    "DO_NOT_PROCEED",
                    "PENDING",
                    None,
                    "AUTHENTICATION_INITIATED",
                )
            } else {
                state(
                    "AUTHENTICATION_PENDING",
                    "PENDING",
                    "PROCEED",
                    "PENDING",
                    Some(("00", "Request was successful")),
                    "AUTHENTICATION_INITIATED",
                )
            };
            s.pending = true;
            s
        }
        Outcome::Authenticated { .. } => {
            let code = AccuCode::Success;
            state(
                "AUTHENTICATION_SUCCESSFUL",
                "APPROVED",
                "PROCEED",
                "SUCCESS",
                Some((code.as_str(), accu_description(code))),
                "AUTHENTICATED",
            )
        }
        failed => {
            // Seamless failures carry NPCI's code (452, 453, ...); redirect ones the ACS's ACCU code.
            let status = match (session.flow, failed) {
                (Flow::Seamless, Outcome::Failed(code)) => {
                    (code.as_str().to_owned(), npci_description(*code).to_owned())
                }
                _ => {
                    let code = accu_of(failed);
                    (code.as_str().to_owned(), accu_description(code).to_owned())
                }
            };
            let authentication_status = match (session.flow, failed) {
                (Flow::Seamless, _) => "AUTHENTICATION_REJECTED",
                _ => "AUTHENTICATION_FAILED",
            };
            AuthState {
                authentication_status,
                gateway_code: "DECLINED",
                recommendation: "DO_NOT_PROCEED",
                result: "FAILURE",
                status: Some(status),
                order_status: "AUTHENTICATION_UNSUCCESSFUL",
                pending: false,
            }
        }
    }
}

/// NPCI descriptions as the seed 001 table words them.
pub fn npci_description(code: NpciCode) -> &'static str {
    match code {
        NpciCode::Success => "Request was successful",
        NpciCode::InvalidBin => "Invalid BIN",
        NpciCode::IssuerAuthenticationFailure => "Issuer Authentication Failure",
        NpciCode::InvalidOtp => "Invalid OTP",
        NpciCode::ExpiredOtp => "Expired OTP",
        NpciCode::AttemptsExhausted => "Exhausted OTP verification",
        NpciCode::ResendsExhausted => "Exhausted OTP resend count",
        NpciCode::DuplicateRequest => "Duplicate requestID",
    }
}

/// An order's money so far (minor units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub authorized: i64,
    pub captured: i64,
    pub refunded: i64,
}

pub fn totals(order: &Order) -> Totals {
    let mut t = Totals::default();
    for tx in order
        .transactions
        .iter()
        .filter(|t| t.approved() && !t.voided)
    {
        match tx.kind {
            Kind::Authorization => t.authorized += tx.amount,
            Kind::Payment => {
                t.authorized += tx.amount;
                t.captured += tx.amount;
            }
            Kind::Capture => t.captured += tx.amount,
            Kind::Refund => t.refunded += tx.amount,
            Kind::Authentication | Kind::Void(_) => {}
        }
    }
    t
}

/// `order.status` and `order.authenticationStatus`.
pub fn order_status(sandbox: &Sandbox, order: &Order) -> (&'static str, Option<&'static str>) {
    let auth = order
        .transactions
        .iter()
        .rev()
        .find_map(|t| t.auth.as_ref())
        .map(|a| of(sandbox, a));
    let authentication_status = auth.as_ref().map(|a| a.authentication_status);
    let payments: Vec<_> = order
        .transactions
        .iter()
        .filter(|t| matches!(t.kind, Kind::Authorization | Kind::Payment))
        .collect();
    let approved = payments
        .iter()
        .any(|t| matches!(t.outcome, Some(PayOutcome::Approved { .. })));
    let t = totals(order);
    let status = if approved {
        if t.authorized == 0 {
            "CANCELLED"
        } else if t.refunded > 0 {
            if t.refunded >= t.captured {
                "REFUNDED"
            } else {
                "PARTIALLY_REFUNDED"
            }
        } else if t.captured > 0 {
            if t.captured >= t.authorized {
                "CAPTURED"
            } else {
                "PARTIALLY_CAPTURED"
            }
        } else {
            "AUTHORIZED"
        }
    } else if !payments.is_empty() {
        "FAILED"
    } else {
        auth.map_or("INITIATED", |a| a.order_status)
    };
    (status, authentication_status)
}
