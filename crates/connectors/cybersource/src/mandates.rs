//! RuPay Standing Instructions as Cybersource billing agreements (seed 004, "Standing
//! Instructions"): registration `POST /pts/v2/billing-agreements`, modification and
//! deregistration `PATCH /pts/v2/billing-agreements/{id}` (all three answered like an
//! enrollment and completed by the payer's OTP through `/risk/v1/authentication-results`),
//! the pre-debit intimation `POST /pts/v2/billing-agreements/{id}/intimations`, and the
//! merchant-initiated debit `POST /pts/v2/payments` with `installmentInformation.identifier`
//! and without the authentication's transaction token.

use async_trait::async_trait;
use payorch_connector::StandingInstructions;
use payorch_connector::http::Idempotence;
use payorch_connector::model::{
    AuthenticationOutcome, MandateAction, MandateAuthentication, MandateCharge, MandateDebitNotice,
    NoticeOutcome, PaymentOutcome,
};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::mandate::{Frequency, Terms};
use payorch_core::mandate_record::{AlertPreference, MandateReference};
use payorch_core::session::AuthenticationSession;
use payorch_core::status::{FailureReason, PaymentStatus};
use reqwest::Method;
use time::{OffsetDateTime, UtcOffset};

use crate::adapter::{CybersourceConnector, card_info, order};
use crate::authentication::browser_state;
use crate::mapping;
use crate::payments::PAYMENTS;
use crate::state::{self, AuthState, PaymentState};
use crate::wire::request as rq;

const AGREEMENTS: &str = "/pts/v2/billing-agreements";
/// A Standing Instruction debit's commerce indicator (seed 004's SI authorization example).
const RECURRING: &str = "RECURRING";

/// Seed 004's `frequency` codes. The guide shows only `1` (with a monthly preferred day);
/// the others follow the API's order of frequencies. To be confirmed with Cybersource when
/// certifying an account.
fn frequency_code(frequency: Frequency) -> &'static str {
    match frequency {
        Frequency::Monthly => "1",
        Frequency::Daily => "2",
        Frequency::Weekly => "3",
        Frequency::Fortnightly => "4",
        Frequency::Bimonthly => "5",
        Frequency::Quarterly => "6",
        Frequency::HalfYearly => "7",
        Frequency::Yearly => "8",
        Frequency::AsPresented => "9",
    }
}

fn alert_code(alert: AlertPreference) -> &'static str {
    match alert {
        AlertPreference::Sms => "SMS",
        AlertPreference::Email => "EMAIL",
        AlertPreference::SmsAndEmail => "BOTH",
    }
}

/// `DDMMYYYY`, as seed 004's examples write installment dates.
fn installment_date(date: time::Date) -> String {
    format!(
        "{:02}{:02}{:04}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// `1` (a fixed amount) when every debit is the maximum, else `2` (up to a maximum).
fn payment_type(terms: &Terms) -> &'static str {
    match &terms.min_amount {
        Some(min) if min == &terms.max_amount => "1",
        _ => "2",
    }
}

/// The registered terms, as every billing agreement call restates them.
fn installment(terms: &Terms, alert: AlertPreference, sequence: u32) -> rq::Installment {
    rq::Installment {
        identifier: None,
        payment_type: payment_type(terms).into(),
        first_installment_date: Some(installment_date(terms.start_date)),
        last_installment_date: Some(installment_date(terms.end_date)),
        total_count: (terms.total_count > 0).then(|| terms.total_count.to_string()),
        min_amount: Some(
            terms
                .min_amount
                .map_or_else(|| "0.00".into(), |m| m.to_decimal_string()),
        ),
        max_amount: Some(terms.max_amount.to_decimal_string()),
        preferred_day: Some(format!("{:02}", terms.preferred_day)),
        frequency: Some(frequency_code(terms.frequency).into()),
        alert_preference: Some(alert_code(alert).into()),
        sequence: Some(sequence.max(1).to_string()),
    }
}

/// `YYYYMMDDhhmmss` in India Standard Time (`merchantInformation.transactionLocalDateTime`).
fn ist_local_now() -> String {
    let ist = UtcOffset::from_hms(5, 30, 0).unwrap_or(UtcOffset::UTC);
    let now = OffsetDateTime::now_utc().to_offset(ist);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

fn agreement_path(reference: &MandateReference) -> String {
    format!("{AGREEMENTS}/{}", reference.agreement_id)
}

fn missing_reference() -> ConnectorError {
    ConnectorError::InvalidState("the mandate has no Cybersource billing agreement".into())
}

fn missing_identifier() -> ConnectorError {
    ConnectorError::InvalidState(
        "the mandate has no installmentInformation.identifier (registration not authenticated)"
            .into(),
    )
}

#[async_trait]
impl StandingInstructions for CybersourceConnector {
    async fn start_mandate_authentication(
        &self,
        ctx: &CallContext,
        request: &MandateAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let mut state = browser_state(request.browser);
        let mut info = installment(request.terms, request.alert_preference, 1);
        let (method, path, operation, processing) = match request.action {
            MandateAction::Register => (Method::POST, AGREEMENTS.to_owned(), "si_register", None),
            MandateAction::Modify | MandateAction::Cancel => {
                let reference = request.reference.ok_or_else(missing_reference)?;
                info.identifier = reference.identifier.clone();
                state.agreement_id = Some(reference.agreement_id.clone());
                state.installment_identifier = reference.identifier.clone();
                if request.action == MandateAction::Cancel {
                    info.payment_type = "6".into();
                    let cancel = rq::AgreementProcessing {
                        action_list: vec!["CANCEL_AGREEMENT".into()],
                    };
                    (
                        Method::PATCH,
                        agreement_path(reference),
                        "si_deregister",
                        Some(cancel),
                    )
                } else {
                    (Method::PATCH, agreement_path(reference), "si_modify", None)
                }
            }
        };
        let bill_to = rq::BillTo {
            email: (!request.customer_email.is_empty()).then(|| request.customer_email.into()),
            phone_number: (!request.customer_phone.is_empty())
                .then(|| request.customer_phone.into()),
        };
        let body = rq::AgreementRequest {
            client_reference_information: rq::ClientReference {
                code: request.authentication_id.to_owned(),
            },
            order_information: rq::AgreementOrder {
                amount_details: order(request.amount).amount_details,
                bill_to: (bill_to.email.is_some() || bill_to.phone_number.is_some())
                    .then_some(bill_to),
            },
            payment_information: card_info(request.card),
            device_information: rq::DeviceInformation {
                ip_address: state.ip_address.clone(),
                http_accept_browser_value: Some(state.accept_header.clone()),
                user_agent_browser_value: Some(state.user_agent.clone()),
                ..rq::DeviceInformation::default()
            },
            installment_information: info,
            processing_information: processing,
        };
        let answer = self
            .send_json(ctx, Idempotence::Write, operation, method, &path, &body)
            .await?;
        if request.action == MandateAction::Register {
            state.agreement_id = answer.id.clone();
        }
        self.enrollment_outcome(&answer, state, request.return_url)
    }

    fn mandate_reference(&self, session: &AuthenticationSession) -> Option<MandateReference> {
        let state: AuthState = state::CODEC.decode(session.connector_state.as_ref()).ok()?;
        Some(MandateReference {
            agreement_id: state.agreement_id?,
            identifier: state.installment_identifier,
        })
    }

    async fn notify_mandate_debit(
        &self,
        ctx: &CallContext,
        notice: &MandateDebitNotice<'_>,
    ) -> Result<NoticeOutcome, ConnectorError> {
        let mut info = installment(notice.terms, notice.alert_preference, notice.sequence);
        info.identifier = Some(
            notice
                .reference
                .identifier
                .clone()
                .ok_or_else(missing_identifier)?,
        );
        if let Some(day) = payorch_core::mandate::ist_date(notice.debit_at_ms) {
            // The day this debit is announced for.
            info.preferred_day = Some(format!("{:02}", day.day()));
        }
        let body = rq::IntimationRequest {
            client_reference_information: rq::ClientReference {
                code: notice.notice_id.to_owned(),
            },
            order_information: order(notice.amount),
            merchant_information: rq::MerchantTime {
                transaction_local_date_time: ist_local_now(),
            },
            payment_information: card_info(notice.card),
            installment_information: info,
        };
        let path = format!("{}/intimations", agreement_path(notice.reference));
        let answer = self
            .post(ctx, Idempotence::Write, "si_intimation", &path, &body)
            .await?;
        let accepted = answer.status.as_deref() == Some("SUCCESS");
        Ok(NoticeOutcome {
            accepted,
            provider_reference: answer.id.clone(),
            provider_status: Some(mapping::payment_status(&answer)),
            failure_reason: (!accepted).then_some(FailureReason::ProviderError),
        })
    }

    async fn charge_mandate(
        &self,
        ctx: &CallContext,
        charge: &MandateCharge<'_>,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let identifier = charge
            .reference
            .identifier
            .clone()
            .ok_or_else(missing_identifier)?;
        let body = rq::PaymentRequest {
            client_reference_information: rq::ClientReference {
                code: charge.payment_id.to_owned(),
            },
            processing_information: rq::ProcessingInformation {
                commerce_indicator: RECURRING.into(),
                capture: charge.capture,
            },
            payment_information: card_info(charge.card),
            order_information: order(charge.amount),
            consumer_authentication_information: rq::PaymentAuthentication::default(),
            device_information: None,
            installment_information: Some(rq::Installment {
                identifier: Some(identifier),
                payment_type: payment_type(charge.terms).into(),
                sequence: Some(charge.sequence.to_string()),
                ..rq::Installment::default()
            }),
        };
        let answer = self
            .post(ctx, Idempotence::Write, "si_debit", PAYMENTS, &body)
            .await?;
        let mut outcome = self.payment_outcome(&answer, charge.amount, charge.capture);
        if outcome.status == PaymentStatus::Captured {
            outcome.amount = Some(charge.amount);
        }
        if let Some(id) = answer.id.clone() {
            outcome.connector_state = Some(state::CODEC.encode(&PaymentState {
                authorization_id: id,
                sale: charge.capture && outcome.status == PaymentStatus::Captured,
                ..PaymentState::default()
            })?);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use payorch_core::money::{Currency, Money};

    fn terms() -> Terms {
        let day = |d| time::Date::from_calendar_date(2027, time::Month::January, d).unwrap();
        Terms {
            max_amount: Money::from_minor(10_000, Currency::INR),
            min_amount: Some(Money::from_minor(1_000, Currency::INR)),
            frequency: Frequency::Monthly,
            preferred_day: 5,
            start_date: day(1),
            end_date: day(31),
            total_count: 12,
        }
    }

    /// The seed's registration example, field by field: `paymentType`, `firstInstallmentDate`
    /// `01012023`, `totalCount`, `minAmount`, `maxAmount`, `preferredDay` `05`, `frequency`,
    /// `alertPreference` `SMS`, `sequence`.
    #[test]
    fn installment_information_is_written_as_the_seed_writes_it() {
        let json = serde_json::to_value(installment(&terms(), AlertPreference::Sms, 1)).unwrap();
        assert_eq!(json["paymentType"], "2");
        assert_eq!(json["firstInstallmentDate"], "01012027");
        assert_eq!(json["lastInstallmentDate"], "31012027");
        assert_eq!(json["totalCount"], "12");
        assert_eq!(json["minAmount"], "10.00");
        assert_eq!(json["maxAmount"], "100.00");
        assert_eq!(json["preferredDay"], "05");
        assert_eq!(json["frequency"], "1");
        assert_eq!(json["alertPreference"], "SMS");
        assert_eq!(json["sequence"], "1");
        assert!(json.get("identifier").is_none());
        let both = serde_json::to_value(installment(&terms(), AlertPreference::SmsAndEmail, 3));
        assert_eq!(both.unwrap()["alertPreference"], "BOTH");
    }

    #[test]
    fn the_local_time_is_fourteen_digits() {
        let now = ist_local_now();
        assert_eq!(now.len(), 14);
        assert!(now.bytes().all(|b| b.is_ascii_digit()));
    }
}
