//! Domain records to API messages. The unified enums map one to one; card data is shown
//! only as BIN and last four digits.

use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::redact::scrub_card_numbers;
use payorch_core::session::{AuthenticationSession, NextAction, ProviderStatus};
use payorch_core::status::{
    AuthenticationStatus, FailureReason, Flow, PaymentStatus, Recommendation,
};
use prost_types::Timestamp;

use crate::api;

pub fn timestamp(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

pub fn money(money: &Money) -> api::Money {
    api::Money {
        minor_units: money.minor_units(),
        currency: money.currency().code().to_owned(),
    }
}

pub fn authentication_status(status: AuthenticationStatus) -> api::AuthenticationStatus {
    use api::AuthenticationStatus as A;
    match status {
        AuthenticationStatus::Pending => A::Pending,
        AuthenticationStatus::RedirectRequired => A::RedirectRequired,
        AuthenticationStatus::OtpRequired => A::OtpRequired,
        AuthenticationStatus::Verifying => A::Verifying,
        AuthenticationStatus::Succeeded => A::Succeeded,
        AuthenticationStatus::Failed => A::Failed,
        AuthenticationStatus::Expired => A::Expired,
        AuthenticationStatus::Cancelled => A::Cancelled,
        AuthenticationStatus::Unknown => A::Unknown,
    }
}

pub fn flow(flow: Flow) -> api::Flow {
    match flow {
        Flow::Redirect => api::Flow::Redirect,
        Flow::Seamless => api::Flow::Seamless,
    }
}

pub fn recommendation(recommendation: Recommendation) -> api::Recommendation {
    use api::Recommendation as R;
    match recommendation {
        Recommendation::Proceed => R::Proceed,
        Recommendation::RetryOtp => R::RetryOtp,
        Recommendation::ResendOtp => R::ResendOtp,
        Recommendation::DoNotProceed => R::DoNotProceed,
    }
}

pub fn failure_reason(reason: FailureReason) -> api::FailureReason {
    use api::FailureReason as F;
    match reason {
        FailureReason::InvalidOtp => F::InvalidOtp,
        FailureReason::OtpExpired => F::OtpExpired,
        FailureReason::OtpAttemptsExhausted => F::OtpAttemptsExhausted,
        FailureReason::ResendLimitReached => F::ResendLimitReached,
        FailureReason::CardNotEnrolled => F::CardNotEnrolled,
        FailureReason::AuthenticationNotAvailable => F::AuthenticationNotAvailable,
        FailureReason::IssuerUnavailable => F::IssuerUnavailable,
        FailureReason::CancelledByPayer => F::CancelledByPayer,
        FailureReason::TimedOut => F::TimedOut,
        FailureReason::RejectedByIssuer => F::RejectedByIssuer,
        FailureReason::InsufficientFunds => F::InsufficientFunds,
        FailureReason::CardExpired => F::CardExpired,
        FailureReason::DoNotHonour => F::DoNotHonour,
        FailureReason::ProviderError => F::ProviderError,
        FailureReason::InvalidCard => F::InvalidCard,
        FailureReason::AuthenticationRequired => F::AuthenticationRequired,
        FailureReason::DuplicateRequest => F::DuplicateRequest,
        FailureReason::MandateLimitExceeded => F::MandateLimitExceeded,
        FailureReason::CancelledByMerchant => F::CancelledByMerchant,
        FailureReason::IncorrectCvv => F::IncorrectCvv,
        FailureReason::CardLimitExceeded => F::CardLimitExceeded,
        FailureReason::CardBlocked => F::CardBlocked,
        FailureReason::TransactionNotPermitted => F::TransactionNotPermitted,
        FailureReason::SuspectedFraud => F::SuspectedFraud,
        FailureReason::InvalidRequest => F::InvalidRequest,
        FailureReason::GenericDecline => F::GenericDecline,
    }
}

/// The provider's own words, with anything shaped like a card number masked.
pub fn provider_status(status: &ProviderStatus) -> api::ProviderStatus {
    api::ProviderStatus {
        code: status.code.clone(),
        message: scrub_card_numbers(&status.message),
        raw_status: scrub_card_numbers(&status.raw_status),
    }
}

fn next_action(action: &NextAction, session: &AuthenticationSession) -> api::NextAction {
    use api::next_action::Action;
    let action = match action {
        NextAction::Redirect {
            url,
            method,
            form_fields,
            html,
        } => Action::Redirect(api::RedirectAction {
            url: url.clone(),
            method: method.clone(),
            form_fields: form_fields.clone().into_iter().collect(),
            html: html.clone(),
        }),
        NextAction::CollectOtp {
            expires_at_ms,
            otp_length,
        } => Action::CollectOtp(api::CollectOtpAction {
            expires_at: expires_at_ms.map(timestamp),
            otp_length: i32::try_from(*otp_length).unwrap_or(i32::MAX),
            attempts_remaining: session.attempts_remaining,
            resends_remaining: session.resends_remaining,
        }),
    };
    api::NextAction {
        action: Some(action),
    }
}

/// The API view of a session. `next_action` is shown only while the caller can act on it.
pub fn authentication(session: &AuthenticationSession) -> api::Authentication {
    let actionable = matches!(
        session.status,
        AuthenticationStatus::RedirectRequired | AuthenticationStatus::OtpRequired
    );
    api::Authentication {
        id: session.id.clone(),
        merchant_id: session.merchant_id.clone(),
        connector: session.connector.clone(),
        status: authentication_status(session.status).into(),
        flow: session
            .flow
            .map(flow)
            .unwrap_or(api::Flow::Unspecified)
            .into(),
        next_action: session
            .next_action
            .as_ref()
            .filter(|_| actionable)
            .map(|a| next_action(a, session)),
        failure_reason: session
            .failure_reason
            .map(failure_reason)
            .unwrap_or(api::FailureReason::Unspecified)
            .into(),
        recommendation: session
            .recommendation
            .map(recommendation)
            .unwrap_or(api::Recommendation::Unspecified)
            .into(),
        provider_status: session.provider_status.as_ref().map(provider_status),
        provider_reference: session.provider_reference.clone().unwrap_or_default(),
        attempts_remaining: session.attempts_remaining,
        resends_remaining: session.resends_remaining,
        expires_at: session.expires_at_ms.map(timestamp),
        card_bin: session.card_bin.clone(),
        card_last4: session.card_last4.clone(),
        amount: Some(money(&session.amount)),
        created_at: Some(timestamp(session.created_at_ms)),
        updated_at: Some(timestamp(session.updated_at_ms)),
        order_reference: session.order_reference.clone(),
        return_url: session.return_url.clone(),
        card_brand: card_brand(payorch_core::card::CardBrand::from_bin(&session.card_bin)).into(),
        account: session.account().to_owned(),
        routing: session.routing.as_ref().map(routing),
        ..Default::default()
    }
}

/// The API view of a routing decision.
pub fn routing(decision: &payorch_core::routing::RoutingDecision) -> api::RoutingDecision {
    api::RoutingDecision {
        rule: decision.rule.clone(),
        rules_not_matched: decision
            .rules_not_matched
            .iter()
            .map(|m| api::RuleMiss {
                rule: m.rule.clone(),
                reason: m.reason.clone(),
            })
            .collect(),
        bin_range: decision.bin_range.clone(),
        ranking: decision.ranking.clone().unwrap_or_default(),
        candidates: decision
            .candidates
            .iter()
            .map(|c| api::RouteCandidate {
                account: c.account.clone(),
                connector: c.connector.clone(),
                weight: c.weight.unwrap_or_default(),
                skipped_reason: c.skipped.clone().unwrap_or_default(),
            })
            .collect(),
        account: decision.account.clone(),
    }
}

pub fn payment_status(status: PaymentStatus) -> api::PaymentStatus {
    use api::PaymentStatus as P;
    match status {
        PaymentStatus::Pending => P::Pending,
        PaymentStatus::Authorized => P::Authorized,
        PaymentStatus::Captured => P::Captured,
        PaymentStatus::PartiallyCaptured => P::PartiallyCaptured,
        PaymentStatus::Declined => P::Declined,
        PaymentStatus::Voided => P::Voided,
        PaymentStatus::Refunded => P::Refunded,
        PaymentStatus::PartiallyRefunded => P::PartiallyRefunded,
        PaymentStatus::Failed => P::Failed,
        PaymentStatus::Unknown => P::Unknown,
    }
}

/// The API view of a payment.
pub fn payment(payment: &PaymentRecord) -> api::Payment {
    api::Payment {
        id: payment.id.clone(),
        merchant_id: payment.merchant_id.clone(),
        authentication_id: payment.authentication_id.clone().unwrap_or_default(),
        mandate_id: payment.mandate_id.clone().unwrap_or_default(),
        connector: payment.connector.clone(),
        status: payment_status(payment.status).into(),
        amount: Some(money(&payment.amount)),
        captured: Some(money(&payment.captured)),
        refunded: Some(money(&payment.refunded)),
        approval_code: payment.approval_code.clone().unwrap_or_default(),
        network_transaction_id: payment.network_transaction_id.clone().unwrap_or_default(),
        provider_status: payment.provider_status.as_ref().map(provider_status),
        failure_reason: payment
            .failure_reason
            .map(failure_reason)
            .unwrap_or(api::FailureReason::Unspecified)
            .into(),
        provider_reference: payment.provider_reference.clone().unwrap_or_default(),
        created_at: Some(timestamp(payment.created_at_ms)),
        updated_at: Some(timestamp(payment.updated_at_ms)),
        order_reference: payment.order_reference.clone(),
        card_bin: payment.card_bin.clone(),
        card_last4: payment.card_last4.clone(),
        card_brand: card_brand(payorch_core::card::CardBrand::from_bin(&payment.card_bin)).into(),
        operations: payment.operations.iter().map(operation).collect(),
        account: payment.account().to_owned(),
        routing: payment.routing.as_ref().map(routing),
    }
}

fn operation(op: &payorch_core::payment::Operation) -> api::PaymentOperation {
    use api::PaymentOperationKind as K;
    use api::PaymentOperationStatus as S;
    use payorch_core::payment::{OperationKind, OperationStatus};
    api::PaymentOperation {
        id: op.id.clone(),
        kind: match op.kind {
            OperationKind::Authorization => K::Authorization,
            OperationKind::Capture => K::Capture,
            OperationKind::Void => K::Void,
            OperationKind::Refund => K::Refund,
        }
        .into(),
        status: match op.status {
            OperationStatus::Pending => S::Pending,
            OperationStatus::Succeeded => S::Succeeded,
            OperationStatus::Failed => S::Failed,
            OperationStatus::Unknown => S::Unknown,
        }
        .into(),
        amount: Some(money(&op.amount)),
        failure_reason: op
            .failure_reason
            .map(failure_reason)
            .unwrap_or(api::FailureReason::Unspecified)
            .into(),
        provider_status: op.provider_status.as_ref().map(provider_status),
        provider_reference: op.provider_reference.clone().unwrap_or_default(),
        reason: op.reason.clone().unwrap_or_default(),
        created_at: Some(timestamp(op.created_at_ms)),
        updated_at: Some(timestamp(op.updated_at_ms)),
    }
}

pub fn card_brand(brand: payorch_core::card::CardBrand) -> api::CardBrand {
    use payorch_core::card::CardBrand as B;
    match brand {
        B::RuPay => api::CardBrand::Rupay,
        B::Visa => api::CardBrand::Visa,
        B::Mastercard => api::CardBrand::Mastercard,
        B::Amex => api::CardBrand::Amex,
        B::Unknown => api::CardBrand::Other,
    }
}

/// The flows' answers encoded as the RPCs answer: `Authentication` and `Payment` messages.
pub struct ProtoAnswers;

impl crate::flows::write_behind::Answers for ProtoAnswers {
    fn authentication(&self, session: &AuthenticationSession) -> Vec<u8> {
        prost::Message::encode_to_vec(&authentication(session))
    }

    fn payment(&self, payment: &PaymentRecord) -> Vec<u8> {
        prost::Message::encode_to_vec(&self::payment(payment))
    }
}

/// CheckEligibility's answer: the connector's view of the card, and the card shown only as
/// BIN, last four and brand.
pub fn eligibility(
    plan: &payorch_router::Plan,
    card: &payorch_core::card::Card,
    eligibility: &payorch_connector::model::Eligibility,
) -> api::CheckEligibilityResponse {
    let standing_instructions = plan.account().adapter.capabilities().standing_instructions;
    let recommendation = if eligibility.available {
        Recommendation::Proceed
    } else {
        Recommendation::DoNotProceed
    };
    api::CheckEligibilityResponse {
        available: eligibility.available,
        flows: eligibility
            .flows
            .iter()
            .map(|f| i32::from(flow(*f)))
            .collect(),
        connector: plan.account().connector.as_str().to_owned(),
        account: plan.account().name.clone(),
        routing: Some(routing(plan.decision())),
        standing_instructions,
        failure_reason: eligibility
            .failure_reason
            .map(failure_reason)
            .unwrap_or(api::FailureReason::Unspecified)
            .into(),
        recommendation: self::recommendation(recommendation).into(),
        provider_status: eligibility.provider_status.as_ref().map(provider_status),
        card_bin: card.bin().to_owned(),
        card_last4: card.last4().to_owned(),
        card_brand: card_brand(card.brand()).into(),
    }
}
