//! A payorch + sandbox + Redis stack for the mandate lifecycle, with the 24-hour rule
//! shortened on both sides (payorch's lead time and the simulated issuer's), and the steps
//! a merchant takes: register, authenticate, notify, charge.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use payorch::api::authentication_service_client::AuthenticationServiceClient;
use payorch::api::mandate_service_client::MandateServiceClient;
use payorch::api::payment_service_client::PaymentServiceClient;
use payorch::api::{
    self, Authentication, ChargeMandateRequest, GetMandateRequest, Mandate,
    MandateDebitNotification, MandateFrequency, MandateTerms, NotifyMandateDebitRequest,
    RegisterMandateRequest,
};
use payorch::app::Running;
use payorch::config::Settings;
use payorch_store::testing::RedisServer;
use serde_json::Value;
use tonic::transport::Channel;

use super::flows;

/// Standing Instruction test cards (see `GET /_sandbox/cards`).
pub const SI_SEAMLESS: &str = "6531000000000021";
pub const SI_REDIRECT: &str = "6531100000000037";

/// payorch's lead time in these tests; the simulated issuer's is one second shorter, as a
/// provider's clock may run a little behind ours.
pub const LEAD: Duration = Duration::from_secs(2);

pub struct MandateStack {
    pub redis: RedisServer,
    pub payorch: Running,
    pub sandbox: SocketAddr,
    pub http: reqwest::Client,
}

fn shorten(settings: &mut Settings) {
    settings.merchants[0].connectors = vec!["cybersource".into()];
    settings.mandates.lead_time_secs = LEAD.as_secs();
    settings.sandbox.si_intimation_lead_secs = Some(LEAD.as_secs() - 1);
}

impl MandateStack {
    pub async fn start() -> MandateStack {
        let redis = RedisServer::start();
        let mut settings = super::redis_settings(&redis.url());
        shorten(&mut settings);
        let payorch = super::start(settings).await;
        let sandbox = payorch.sandbox_addr.expect("embedded sandbox");
        MandateStack {
            redis,
            payorch,
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    /// A second replica on the same Redis and the same sandbox.
    pub async fn replica(&self) -> Running {
        let mut settings = super::redis_settings(&self.redis.url());
        shorten(&mut settings);
        settings.sandbox.embedded = false;
        settings.connectors.point_at_sandbox(self.sandbox);
        super::start(settings).await
    }

    pub async fn mandates(&self) -> MandateServiceClient<Channel> {
        super::mandates(self.payorch.grpc_addr).await
    }

    pub async fn auth(&self) -> AuthenticationServiceClient<Channel> {
        super::authentications(self.payorch.grpc_addr).await
    }

    pub async fn payments(&self) -> PaymentServiceClient<Channel> {
        super::payments(self.payorch.grpc_addr).await
    }

    /// Cybersource calls the sandbox counted, by operation.
    pub async fn calls(&self, operation: &str) -> u64 {
        let url = format!("http://{}/_sandbox/calls", self.sandbox);
        let body: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["cybersource"][operation].as_u64().unwrap_or(0)
    }

    /// Every provider call the sandbox counted.
    pub async fn total_calls(&self) -> u64 {
        flows::sandbox_calls(self.sandbox).await
    }

    /// The next `count` Cybersource requests meet `fault`.
    pub async fn arm_fault(&self, fault: &str, count: u32) {
        let url = format!("http://{}/_sandbox/faults", self.sandbox);
        let body = serde_json::json!({"connector": "cybersource", "fault": fault, "count": count});
        let status = self
            .http
            .put(url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "arming a fault answered {status}");
    }

    pub async fn otp(&self, authentication: &Authentication) -> String {
        flows::otp(self.sandbox, "cybersource", authentication).await
    }

    /// Registers the SI card with `terms` and completes its seamless OTP: ACTIVE.
    pub async fn active_mandate(&self, terms: MandateTerms) -> Mandate {
        active_on(self.payorch.grpc_addr, self.sandbox, terms).await
    }
}

/// Registers the SI card with `terms` through payorch at `grpc` and completes its seamless
/// OTP (read from `sandbox`): the mandate is ACTIVE.
pub async fn active_on(grpc: SocketAddr, sandbox: SocketAddr, terms: MandateTerms) -> Mandate {
    let mut mandates = super::mandates(grpc).await;
    let registered = mandates
        .register_mandate(register(SI_SEAMLESS, terms))
        .await
        .unwrap()
        .into_inner();
    let authentication = registered.authentication.clone().unwrap();
    let otp = flows::otp(sandbox, "cybersource", &authentication).await;
    let done = super::authentications(grpc)
        .await
        .submit_otp(flows::submit(&authentication, &otp))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        done.status(),
        api::AuthenticationStatus::Succeeded,
        "{done:?}"
    );
    let active = get(&mut mandates, &registered.id).await;
    assert_eq!(active.status(), api::MandateStatus::Active, "{active:?}");
    active
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap(),
    }
}

/// Today and a year on, in India Standard Time.
fn dates() -> (String, String) {
    let ist = time::UtcOffset::from_hms(5, 30, 0).unwrap();
    let today = time::OffsetDateTime::now_utc().to_offset(ist).date();
    let iso = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    (
        iso(today),
        iso(today.saturating_add(time::Duration::days(365))),
    )
}

/// Debits as presented, from today for a year: ₹100 to ₹5,000, `count` of them.
pub fn terms(count: i32) -> MandateTerms {
    let (start, end) = dates();
    MandateTerms {
        max_amount: flows::inr(500_000),
        min_amount: flows::inr(10_000),
        frequency: MandateFrequency::AsPresented.into(),
        preferred_day: 0,
        start_date: start,
        end_date: end,
        total_count: count,
        alert_preference: api::MandateAlertPreference::Sms.into(),
    }
}

pub fn register(card: &str, terms: MandateTerms) -> RegisterMandateRequest {
    let start = flows::start_request(card, api::FlowPreference::Any);
    RegisterMandateRequest {
        merchant_id: "demo".into(),
        idempotency_key: flows::key(),
        connector: String::new(),
        payment_method: start.payment_method,
        browser: start.browser,
        return_url: "https://merchant.example/si".into(),
        mandate_reference: "subscription-42".into(),
        terms: Some(terms),
        customer_phone: "+919876543210".into(),
        ..Default::default()
    }
}

pub async fn get(mandates: &mut MandateServiceClient<Channel>, id: &str) -> Mandate {
    get_refreshed(mandates, id, false).await
}

pub async fn get_refreshed(
    mandates: &mut MandateServiceClient<Channel>,
    id: &str,
    refresh: bool,
) -> Mandate {
    mandates
        .get_mandate(GetMandateRequest {
            id: id.into(),
            refresh,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner()
}

pub fn notify(mandate: &Mandate, amount: i64, debit_at_ms: i64) -> NotifyMandateDebitRequest {
    NotifyMandateDebitRequest {
        mandate_id: mandate.id.clone(),
        idempotency_key: flows::key(),
        merchant_id: "demo".into(),
        amount: flows::inr(amount),
        debit_at: Some(timestamp(debit_at_ms)),
        payment_method: Some(flows::card(SI_SEAMLESS)),
    }
}

pub fn charge(mandate: &Mandate, notice: &MandateDebitNotification) -> ChargeMandateRequest {
    ChargeMandateRequest {
        mandate_id: mandate.id.clone(),
        notification_id: notice.id.clone(),
        idempotency_key: flows::key(),
        merchant_id: "demo".into(),
        amount: None,
        capture: true,
        order_reference: String::new(),
        payment_method: Some(flows::card(SI_SEAMLESS)),
    }
}

/// A notice `LEAD` (and a little) ahead, accepted.
pub async fn notified(
    mandates: &mut MandateServiceClient<Channel>,
    mandate: &Mandate,
    amount: i64,
) -> MandateDebitNotification {
    let debit_at = now_ms() + i64::try_from(LEAD.as_millis()).unwrap() + 200;
    let notice = mandates
        .notify_mandate_debit(notify(mandate, amount, debit_at))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        notice.status(),
        api::MandateDebitNotificationStatus::Notified,
        "{notice:?}"
    );
    notice
}

/// Waits for the clock to pass the notice's `debit_at` (a time, not a condition to poll).
pub async fn until_due(notice: &MandateDebitNotification) {
    let at = notice.debit_at.as_ref().unwrap();
    let at_ms = at.seconds * 1000 + i64::from(at.nanos / 1_000_000);
    let wait = at_ms + 50 - now_ms();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap())).await;
    }
}
