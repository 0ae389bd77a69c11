//! Mandate records to API messages. A mandate holds no card data; the card is shown as
//! BIN, last four and brand, as everywhere else.

use payorch_core::mandate::{MandateStatus, NoticeStatus};
use payorch_core::mandate_record::{MandateOperation, MandateRecord, NoticeRecord};

use super::terms::terms_to_api;
use crate::api;
use crate::flows::mandate::MandateView;
use crate::grpc::resources::{
    authentication, card_brand, failure_reason, money, provider_status, timestamp,
};

fn status(status: MandateStatus) -> api::MandateStatus {
    use api::MandateStatus as S;
    match status {
        MandateStatus::PendingAuthentication => S::PendingAuthentication,
        MandateStatus::Pending => S::Pending,
        MandateStatus::Active => S::Active,
        MandateStatus::Completed => S::Completed,
        MandateStatus::Cancelled => S::Cancelled,
        MandateStatus::Failed => S::Failed,
        MandateStatus::Expired => S::Expired,
        MandateStatus::Unknown => S::Unknown,
    }
}

fn operation(operation: Option<MandateOperation>) -> api::MandateOperation {
    use api::MandateOperation as O;
    match operation {
        None => O::Unspecified,
        Some(MandateOperation::Register) => O::Register,
        Some(MandateOperation::Modify) => O::Modify,
        Some(MandateOperation::Cancel) => O::Cancel,
    }
}

fn notice_status(status: NoticeStatus) -> api::MandateDebitNotificationStatus {
    use api::MandateDebitNotificationStatus as S;
    match status {
        NoticeStatus::Pending => S::Pending,
        NoticeStatus::Notified => S::Notified,
        NoticeStatus::Failed => S::Failed,
        NoticeStatus::Charged => S::Charged,
        NoticeStatus::Unknown => S::Unknown,
    }
}

pub fn mandate(view: &MandateView) -> api::Mandate {
    let m = &view.mandate;
    let completed = m.completed_count();
    let remaining = m.terms.total_count.saturating_sub(completed);
    api::Mandate {
        id: m.id.clone(),
        merchant_id: m.merchant_id.clone(),
        connector: m.connector.clone(),
        status: status(m.status).into(),
        terms: Some(terms_to_api(&m.terms, m.alert_preference)),
        pending_terms: m
            .pending_terms
            .as_ref()
            .map(|t| terms_to_api(t, m.alert_preference)),
        pending_operation: operation(m.pending_operation).into(),
        authentication: view.authentication.as_ref().map(authentication),
        completed_count: i32::try_from(completed).unwrap_or(i32::MAX),
        remaining_count: i32::try_from(remaining).unwrap_or(i32::MAX),
        provider_reference: m
            .reference
            .as_ref()
            .and_then(|r| r.identifier.clone())
            .unwrap_or_default(),
        mandate_reference: m.mandate_reference.clone(),
        failure_reason: m
            .failure_reason
            .map(failure_reason)
            .unwrap_or(api::FailureReason::Unspecified)
            .into(),
        provider_status: m.provider_status.as_ref().map(provider_status),
        card_bin: m.card_bin.clone(),
        card_last4: m.card_last4.clone(),
        account: m.account().to_owned(),
        routing: m.routing.as_ref().map(crate::grpc::resources::routing),
        card_brand: card_brand(payorch_core::card::CardBrand::from_bin(&m.card_bin)).into(),
        customer_id: m.customer_id.clone(),
        customer_email: m.customer_email.clone(),
        customer_phone: m.customer_phone.clone(),
        created_at: Some(timestamp(m.created_at_ms)),
        updated_at: Some(timestamp(m.updated_at_ms)),
    }
}

pub fn notice(pair: &(MandateRecord, NoticeRecord)) -> api::MandateDebitNotification {
    let (m, n) = pair;
    api::MandateDebitNotification {
        id: n.id.clone(),
        mandate_id: m.id.clone(),
        merchant_id: m.merchant_id.clone(),
        connector: m.connector.clone(),
        status: notice_status(n.notice.status).into(),
        amount: Some(money(&n.notice.amount)),
        debit_at: Some(timestamp(n.notice.debit_at_ms)),
        sequence: i32::try_from(n.sequence).unwrap_or(i32::MAX),
        provider_reference: n.provider_reference.clone().unwrap_or_default(),
        provider_status: n.provider_status.as_ref().map(provider_status),
        failure_reason: n
            .failure_reason
            .map(failure_reason)
            .unwrap_or(api::FailureReason::Unspecified)
            .into(),
        payment_id: n.payment_id.clone().unwrap_or_default(),
        created_at: Some(timestamp(n.created_at_ms)),
        updated_at: Some(timestamp(n.updated_at_ms)),
    }
}
