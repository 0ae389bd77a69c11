//! Test support for adapter crates (feature `testing`): the bits of payorch's flows the
//! adapter tests stand in for — call contexts, cards and amounts, pending sessions and
//! payments, and applying an adapter's outcome to them as the flows' `apply` would.
//!
//! Only tests use this module, so it panics on anything unexpected instead of returning
//! errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use payorch_core::card::Card;
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::{AuthenticationSession, NextAction};
use payorch_core::status::{AuthenticationStatus, Flow, PaymentStatus};

use crate::model::{
    AuthenticationOutcome, AuthorizeRequest, Browser, PaymentOutcome, StartAuthentication,
};
use crate::{CallContext, Connector, ConnectorError};

/// Where the tests' sessions send the payer back to.
pub const RETURN_URL: &str = "https://payorch.example/v1/callbacks/auth_1";
/// The merchant order reference of the tests' sessions and payments.
pub const ORDER_REFERENCE: &str = "order-1";
/// The merchant owning the tests' sessions and payments.
pub const MERCHANT_ID: &str = "m1";

/// A call context with a 10 s budget.
pub fn ctx() -> CallContext {
    CallContext::new("test", Some(Duration::from_secs(10)))
}

/// A card expiring 12/2031 with CVV 123 and no holder name.
pub fn card(number: &str) -> Card {
    Card::parse(number, "12", "2031", Some("123"), None, 2026, 1).unwrap()
}

/// `minor` paise.
pub fn inr(minor: i64) -> Money {
    Money::new(minor, "INR").unwrap()
}

/// The payer's browser as the merchant reports it.
pub fn browser() -> Browser {
    Browser {
        ip_address: "10.0.0.1".into(),
        user_agent: "Mozilla/5.0 (test)".into(),
        accept_header: "text/html".into(),
        language: "en-IN".into(),
    }
}

/// The session payorch would hold after `outcome` (a stand-in for the flows' `apply`).
pub fn apply(session: &AuthenticationSession, o: AuthenticationOutcome) -> AuthenticationSession {
    let mut next = session.clone();
    next.status = o.status;
    next.flow = o.flow.or(session.flow);
    next.next_action = o.next_action.or(next.next_action);
    next.failure_reason = o.failure_reason;
    next.recommendation = o.recommendation;
    next.provider_status = o.provider_status.or(next.provider_status);
    next.provider_reference = o.provider_reference.or(next.provider_reference);
    next.attempts_remaining = o.attempts_remaining.unwrap_or(session.attempts_remaining);
    next.resends_remaining = o.resends_remaining.unwrap_or(session.resends_remaining);
    next.expires_at_ms = o.expires_at_ms.or(session.expires_at_ms);
    next.connector_state = o.connector_state.or(next.connector_state);
    next
}

/// A pending authentication session `id` at `connector` for `card` and `amount`.
pub fn new_session(connector: &str, id: &str, card: Card, amount: Money) -> AuthenticationSession {
    AuthenticationSession {
        routing: None,
        id: id.into(),
        merchant_id: MERCHANT_ID.into(),
        connector: connector.into(),
        status: AuthenticationStatus::Pending,
        flow: None,
        amount,
        card_bin: card.bin().into(),
        card_last4: card.last4().into(),
        failure_reason: None,
        recommendation: None,
        provider_status: None,
        provider_reference: None,
        attempts_remaining: 0,
        resends_remaining: 0,
        expires_at_ms: None,
        next_action: None,
        return_url: RETURN_URL.into(),
        order_reference: ORDER_REFERENCE.into(),
        connector_state: None,
        capture: false,
        completed_by: None,
        cancel_reason: None,
        claim: None,
        created_at_ms: 0,
        updated_at_ms: 0,
        version: 0,
        card: Some(card),
    }
}

/// The request payorch's flow sends to start `session`.
pub fn start_request<'a>(
    session: &'a AuthenticationSession,
    card: &'a Card,
    browser: &'a Browser,
    preferred_flow: Option<Flow>,
    capture: bool,
) -> StartAuthentication<'a> {
    StartAuthentication {
        authentication_id: &session.id,
        card,
        amount: session.amount,
        browser,
        return_url: RETURN_URL,
        order_reference: ORDER_REFERENCE,
        preferred_flow,
        capture,
    }
}

/// Starts the pending `session` (which holds its card) at `connector`; returns the session
/// after the outcome.
pub async fn start_session<C: Connector + ?Sized>(
    connector: &C,
    session: &AuthenticationSession,
    preferred_flow: Option<Flow>,
    capture: bool,
) -> Result<AuthenticationSession, ConnectorError> {
    let card = session.card.clone().unwrap();
    let browser = browser();
    let request = start_request(session, &card, &browser, preferred_flow, capture);
    let outcome = connector.start_authentication(&ctx(), &request).await?;
    Ok(apply(session, outcome))
}

/// The provider reference of a session waiting for the payer's OTP (checks it is).
pub fn otp_reference(session: &AuthenticationSession) -> &str {
    assert_eq!(
        session.status,
        AuthenticationStatus::OtpRequired,
        "{session:?}"
    );
    session.provider_reference.as_deref().unwrap()
}

/// Submits the right OTP `code` for `session`; returns the session, checked succeeded.
pub async fn submit_right_otp<C: Connector + ?Sized>(
    connector: &C,
    session: &AuthenticationSession,
    code: &str,
) -> AuthenticationSession {
    let outcome = connector.submit_otp(&ctx(), session, code).await.unwrap();
    let session = apply(session, outcome);
    assert_eq!(
        session.status,
        AuthenticationStatus::Succeeded,
        "{session:?}"
    );
    session
}

/// The redirect a session asks the payer's browser to follow: URL, method, form fields
/// and the auto-submitting page.
pub struct RedirectForm<'a> {
    /// Where the browser goes.
    pub url: &'a str,
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The fields to post.
    pub form_fields: &'a std::collections::BTreeMap<String, String>,
    /// The auto-submitting page.
    pub html: &'a str,
}

/// The redirect `session` asks for; panics when its next action is anything else.
pub fn redirect_of(session: &AuthenticationSession) -> RedirectForm<'_> {
    let Some(NextAction::Redirect {
        url,
        method,
        form_fields,
        html,
    }) = &session.next_action
    else {
        panic!("{:?}", session.next_action);
    };
    RedirectForm {
        url,
        method,
        form_fields,
        html,
    }
}

/// The payment record `id` at `connector` before authorization of `session`.
pub fn new_payment(connector: &str, id: &str, session: &AuthenticationSession) -> PaymentRecord {
    PaymentRecord {
        routing: None,
        id: id.into(),
        merchant_id: MERCHANT_ID.into(),
        authentication_id: Some(session.id.clone()),
        mandate_id: None,
        connector: connector.into(),
        status: PaymentStatus::Pending,
        amount: session.amount,
        captured: Money::zero(session.amount.currency()),
        refunded: Money::zero(session.amount.currency()),
        approval_code: None,
        network_transaction_id: None,
        provider_status: None,
        failure_reason: None,
        provider_reference: None,
        order_reference: session.order_reference.clone(),
        card_bin: session.card_bin.clone(),
        card_last4: session.card_last4.clone(),
        connector_state: None,
        in_flight: None,
        claim: None,
        operations: Vec::new(),
        created_at_ms: 0,
        updated_at_ms: 0,
        version: 0,
    }
}

/// The payment after an operation's outcome (a stand-in for the flows' `apply`); `op` is
/// `Some("capture")`/`Some("refund")` for those, `None` for authorization.
pub fn apply_payment(p: &PaymentRecord, o: PaymentOutcome, op: Option<&str>) -> PaymentRecord {
    let mut next = p.clone();
    next.status = o.status;
    if let Some(moved) = o.amount {
        match op {
            Some("capture") => next.captured = next.captured.checked_add(moved).unwrap(),
            Some("refund") => next.refunded = next.refunded.checked_add(moved).unwrap(),
            _ => {}
        }
    }
    if op.is_none() && o.status == PaymentStatus::Captured {
        next.captured = next.amount;
    }
    next.approval_code = o.approval_code.or(next.approval_code);
    next.network_transaction_id = o.network_transaction_id.or(next.network_transaction_id);
    next.failure_reason = o.failure_reason;
    next.provider_status = o.provider_status.or(next.provider_status);
    next.provider_reference = next.provider_reference.or(o.provider_reference);
    next.connector_state = o.connector_state.or(next.connector_state);
    next
}

/// Authorizes `session` at `connector` as payorch's flow calls it, for the pending
/// `payment` (see [`new_payment`]); returns the payment after the outcome.
pub async fn authorize_payment<C: Connector + ?Sized>(
    connector: &C,
    session: &AuthenticationSession,
    payment: PaymentRecord,
    capture: bool,
) -> Result<PaymentRecord, ConnectorError> {
    let request = AuthorizeRequest {
        payment_id: &payment.id,
        amount: session.amount,
        capture,
        card: session.card.as_ref(),
        authentication_state: session.connector_state.as_ref(),
        authentication_reference: session.provider_reference.as_deref(),
        order_reference: &payment.order_reference,
    };
    let outcome = connector.authorize(&ctx(), &request).await?;
    Ok(apply_payment(&payment, outcome, None))
}
