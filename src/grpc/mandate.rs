//! MandateService handlers (RuPay Standing Instructions).

use tonic::{Request, Response, Status};

use crate::api::mandate_service_server::MandateService;
use crate::api::{
    CancelMandateRequest, ChargeMandateRequest, GetMandateRequest, Mandate,
    MandateDebitNotification, MandateFrequency, MandateTerms, ModifyMandateRequest,
    NotifyMandateDebitRequest, Payment, RegisterMandateRequest,
};
use crate::grpc::handler::handle;
use crate::grpc::validate::Checks;
use crate::grpc::{Mandates, status};
use crate::ids::MANDATE_ID_PREFIX;

/// Where the rest of the mandate lifecycle is tracked.
const MANDATES_ISSUE: u32 = 15;

/// A calendar date written `YYYY-MM-DD`, as `terms.start_date` and `terms.end_date` are.
fn parse_date(value: &str) -> Option<time::Date> {
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let year: i32 = value.get(0..4)?.parse().ok()?;
    let month: u8 = value.get(5..7)?.parse().ok()?;
    let day: u8 = value.get(8..10)?.parse().ok()?;
    time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

fn date(checks: &mut Checks<'_>, field: &str, value: &str) -> Option<time::Date> {
    if value.is_empty() {
        checks.required(field, "");
        return None;
    }
    let parsed = parse_date(value);
    if parsed.is_none() {
        checks.refuse(field, "must be a calendar date YYYY-MM-DD");
    }
    parsed
}

/// The terms' shape: amounts, frequency and preferred day, dates (`registering`: the first
/// day is today or later, India Standard Time), count. The RBI rules a debit keeps against
/// these terms are `payorch_core::mandate`'s.
fn terms(checks: &mut Checks<'_>, terms: Option<&MandateTerms>, registering: bool) {
    let Some(terms) = terms else {
        checks.required("terms", "");
        return;
    };
    // Unset at registration: the scheme's cap applies (see MandateTerms.max_amount).
    let max = checks.optional_money("terms.max_amount", terms.max_amount.as_ref());
    let min = checks.optional_money("terms.min_amount", terms.min_amount.as_ref());
    for (field, money) in [("terms.max_amount", &max), ("terms.min_amount", &min)] {
        if money
            .as_ref()
            .is_some_and(|m| m.currency() != payorch_core::money::Currency::INR)
        {
            checks.refuse(field, "RuPay Standing Instructions are in INR");
        }
    }
    if let (Some(max), Some(min)) = (&max, &min) {
        if min.currency() != max.currency() {
            checks.refuse("terms.min_amount", "must be in terms.max_amount's currency");
        } else if min.minor_units() > max.minor_units() {
            checks.refuse("terms.min_amount", "must not be above terms.max_amount");
        }
    }
    let frequency =
        MandateFrequency::try_from(terms.frequency).unwrap_or(MandateFrequency::Unspecified);
    let days = match frequency {
        MandateFrequency::Unspecified => {
            checks.refuse("terms.frequency", "required");
            0..=31
        }
        MandateFrequency::Daily | MandateFrequency::AsPresented => 0..=0,
        MandateFrequency::Weekly | MandateFrequency::Fortnightly => 0..=7,
        _ => 0..=31,
    };
    if !days.contains(&terms.preferred_day) {
        checks.refuse(
            "terms.preferred_day",
            "out of range for terms.frequency (weekly: 1-7, monthly and longer: 1-31, \
             daily and as presented: 0)",
        );
    }
    let start = date(checks, "terms.start_date", &terms.start_date);
    let end = date(checks, "terms.end_date", &terms.end_date);
    if registering
        && let Some(start) = start
        && let Some(today) = payorch_core::mandate::ist_date(payorch_store::ttl::now_ms())
        && start < today
    {
        checks.refuse("terms.start_date", "before today (India Standard Time)");
    }
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        checks.refuse("terms.end_date", "before terms.start_date");
    }
    if terms.total_count < 0 {
        checks.refuse("terms.total_count", "must not be negative");
    }
}

#[tonic::async_trait]
impl MandateService for Mandates {
    async fn register_mandate(
        &self,
        request: Request<RegisterMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("RegisterMandate", request, |req, _| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .pinned_connector(&req.merchant_id, &req.connector)
                .browser(req.browser.as_ref())
                .url("return_url", &req.return_url)
                .free_text("mandate_reference", &req.mandate_reference);
            let card = checks.card(req.payment_method.as_ref());
            terms(&mut checks, req.terms.as_ref(), true);
            checks.optional_money("registration_amount", req.registration_amount.as_ref());
            checks.finish()?;
            let Some(card) = card else {
                return Err(Status::internal("validated request lost its card"));
            };
            self.0
                .flows
                .mandate_route(&req.merchant_id, &req.connector, &card)?;
            Err(status::not_yet_implemented(
                "RegisterMandate",
                MANDATES_ISSUE,
            ))
        })
        .await
    }

    async fn modify_mandate(
        &self,
        request: Request<ModifyMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("ModifyMandate", request, |req, _| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX);
            terms(&mut checks, req.terms.as_ref(), false);
            checks.finish()?;
            Err(status::not_yet_implemented("ModifyMandate", MANDATES_ISSUE))
        })
        .await
    }

    async fn cancel_mandate(
        &self,
        request: Request<CancelMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("CancelMandate", request, |req, _| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX)
                .free_text("reason", &req.reason)
                .finish()?;
            Err(status::not_yet_implemented("CancelMandate", MANDATES_ISSUE))
        })
        .await
    }

    async fn notify_mandate_debit(
        &self,
        request: Request<NotifyMandateDebitRequest>,
    ) -> Result<Response<MandateDebitNotification>, Status> {
        handle("NotifyMandateDebit", request, |req, _| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX);
            checks.positive_money("amount", req.amount.as_ref());
            if req.debit_at.is_none() {
                checks.required("debit_at", "");
            }
            checks.finish()?;
            Err(status::not_yet_implemented(
                "NotifyMandateDebit",
                MANDATES_ISSUE,
            ))
        })
        .await
    }

    async fn charge_mandate(
        &self,
        request: Request<ChargeMandateRequest>,
    ) -> Result<Response<Payment>, Status> {
        handle("ChargeMandate", request, |req, _| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX)
                .required("notification_id", &req.notification_id)
                .order_reference("order_reference", &req.order_reference);
            checks.positive_money("amount", req.amount.as_ref());
            checks.finish()?;
            Err(status::not_yet_implemented("ChargeMandate", MANDATES_ISSUE))
        })
        .await
    }

    async fn get_mandate(
        &self,
        request: Request<GetMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("GetMandate", request, |req, _| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .resource_id("id", &req.id, MANDATE_ID_PREFIX)
                .finish()?;
            Err(status::not_yet_implemented("GetMandate", MANDATES_ISSUE))
        })
        .await
    }
}
