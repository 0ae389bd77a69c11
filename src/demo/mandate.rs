//! `payorch demo --mandate`: a RuPay Standing Instruction on Cybersource, narrated — the
//! registration and its OTP, the pre-debit notice, and the debit once the notice's lead time
//! has passed. The demo shortens the RBI's 24 hours to a few seconds on both sides (payorch's
//! `mandates.lead_time_secs` and the sandbox's issuer), and says so.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::api::mandate_service_client::MandateServiceClient;
use crate::api::{self, authentication_service_client::AuthenticationServiceClient};

use super::{DemoError, browser, card, inr, key, rpc, sandbox_otp, start};

/// The sandbox's Standing Instruction test card (seamless OTP).
const SI_CARD: &str = "6531000000000021";
/// The demo's lead time, instead of 24 hours.
const LEAD_SECS: u64 = 3;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Today and a year on, `YYYY-MM-DD` in India Standard Time.
fn dates() -> (String, String) {
    let ist = time::UtcOffset::from_hms(5, 30, 0).unwrap_or(time::UtcOffset::UTC);
    let today = time::OffsetDateTime::now_utc().to_offset(ist).date();
    let iso = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    (
        iso(today),
        iso(today.saturating_add(time::Duration::days(365))),
    )
}

pub async fn run_mandate() -> Result<(), DemoError> {
    let (payorch, sandbox, channel) = start(|settings| {
        settings.mandates.lead_time_secs = LEAD_SECS;
        settings.sandbox.si_intimation_lead_secs = Some(LEAD_SECS - 1);
    })
    .await?;
    let mut mandates = MandateServiceClient::new(channel.clone());
    let mut auth = AuthenticationServiceClient::new(channel);
    let (start_date, end_date) = dates();

    println!(
        "1. RegisterMandate: RuPay card {}******{} on cybersource, up to INR 5,000.00 as \
         presented, 12 debits, from {start_date} to {end_date}, intimations by SMS",
        &SI_CARD[..6],
        &SI_CARD[12..]
    );
    let registered = mandates
        .register_mandate(api::RegisterMandateRequest {
            merchant_id: "demo".into(),
            idempotency_key: key("register"),
            connector: "cybersource".into(),
            payment_method: Some(card(SI_CARD)),
            browser: Some(browser()),
            return_url: "https://merchant.example/subscription".into(),
            mandate_reference: "DEMO-SUBSCRIPTION".into(),
            terms: Some(api::MandateTerms {
                max_amount: inr(500_000),
                min_amount: inr(10_000),
                frequency: api::MandateFrequency::AsPresented.into(),
                preferred_day: 0,
                start_date,
                end_date,
                total_count: 12,
                alert_preference: api::MandateAlertPreference::Sms.into(),
            }),
            customer_phone: "+919876543210".into(),
            ..Default::default()
        })
        .await
        .map_err(rpc("RegisterMandate"))?
        .into_inner();
    let authentication = registered
        .authentication
        .clone()
        .ok_or_else(|| DemoError::Sandbox("the registration has no authentication".into()))?;
    println!(
        "   -> mandate {} {}, authentication {} {}",
        registered.id,
        registered.status().as_str_name(),
        authentication.id,
        authentication.status().as_str_name()
    );

    let otp = sandbox_otp(sandbox, "cybersource", &authentication.provider_reference).await?;
    println!("2. The payer's phone shows the OTP (read from the sandbox): {otp}");
    let done = auth
        .submit_otp(api::SubmitOtpRequest {
            authentication_id: authentication.id.clone(),
            otp,
            idempotency_key: key("otp"),
            merchant_id: "demo".into(),
        })
        .await
        .map_err(rpc("SubmitOtp"))?
        .into_inner();
    let active = mandates
        .get_mandate(api::GetMandateRequest {
            id: registered.id.clone(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .map_err(rpc("GetMandate"))?
        .into_inner();
    println!(
        "3. SubmitOtp -> {}; GetMandate -> {}, SI registration id {}",
        done.status().as_str_name(),
        active.status().as_str_name(),
        active.provider_reference
    );

    let lead_ms = i64::try_from(LEAD_SECS * 1000).unwrap_or(i64::MAX);
    let debit_at = now_ms() + lead_ms + 200;
    println!(
        "4. NotifyMandateDebit: INR 499.00 in {LEAD_SECS} s (the RBI asks 24 hours; this demo \
         shortens it with mandates.lead_time_secs)"
    );
    let notice = mandates
        .notify_mandate_debit(api::NotifyMandateDebitRequest {
            mandate_id: active.id.clone(),
            idempotency_key: key("notify"),
            merchant_id: "demo".into(),
            amount: inr(49_900),
            debit_at: Some(prost_types::Timestamp {
                seconds: debit_at.div_euclid(1000),
                nanos: i32::try_from(debit_at.rem_euclid(1000) * 1_000_000).unwrap_or(0),
            }),
            payment_method: Some(card(SI_CARD)),
        })
        .await
        .map_err(rpc("NotifyMandateDebit"))?
        .into_inner();
    println!(
        "   -> notice {} {} (debit number {})",
        notice.id,
        notice.status().as_str_name(),
        notice.sequence
    );

    let wait = u64::try_from(debit_at + 100 - now_ms()).unwrap_or(0);
    println!("5. Waiting {} ms for the notice's debit time", wait);
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let payment = mandates
        .charge_mandate(api::ChargeMandateRequest {
            mandate_id: active.id.clone(),
            notification_id: notice.id.clone(),
            idempotency_key: key("charge"),
            merchant_id: "demo".into(),
            amount: None,
            capture: true,
            order_reference: "DEMO-DEBIT-1".into(),
            payment_method: Some(card(SI_CARD)),
        })
        .await
        .map_err(rpc("ChargeMandate"))?
        .into_inner();
    println!(
        "6. ChargeMandate (merchant-initiated, no OTP) -> {} {}, approval code {}",
        payment.id,
        payment.status().as_str_name(),
        payment.approval_code
    );
    let after = mandates
        .get_mandate(api::GetMandateRequest {
            id: active.id.clone(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .map_err(rpc("GetMandate"))?
        .into_inner();
    println!(
        "7. GetMandate -> {}, {} debit made, {} left",
        after.status().as_str_name(),
        after.completed_count,
        after.remaining_count
    );
    payorch.shutdown().await?;
    Ok(())
}
