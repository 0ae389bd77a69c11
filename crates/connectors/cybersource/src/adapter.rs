//! The [`Connector`] implementation: each operation builds its wire request, sends it
//! signed through [`ProviderHttp`], and maps the answer.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use payorch_connector::capabilities::Capabilities;
use payorch_connector::http::{Idempotence, ProviderHttp, ProviderResponse};
use payorch_connector::model::{
    AuthenticationOutcome, AuthorizeRequest, Browser, Eligibility, EligibilityRequest,
    PaymentOutcome, RedirectParams, StartAuthentication,
};
use payorch_connector::{CallContext, Connector, ConnectorError, ConnectorId};
use payorch_core::card::{Card, CardBrand};
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::{AuthenticationSession, NextAction, ProviderStatus};
use payorch_core::status::{
    AuthenticationStatus, FailureReason, Flow, PaymentStatus, Recommendation,
};
use reqwest::Method;
use serde::Serialize;

use crate::config::{ConfigError, CybersourceConfig};
use crate::mapping;
use crate::signing::{SigningKey, http_date_now};
use crate::state::{self, AuthFlow, AuthState, CaptureRef, PaymentState};
use crate::wire::request as rq;
use crate::wire::response::{AuthenticationInformation, Response, TransactionSummary};

const ENROLLMENT: &str = "/risk/v1/authentications";
const VALIDATION: &str = "/risk/v1/authentication-results";
const PAYMENTS: &str = "/pts/v2/payments";
const SEARCHES: &str = "/tss/v2/searches";
/// Transaction Search's names of the payer authentication services.
const PA_ENROLL: &str = "ics_pa_enroll";
const PA_VALIDATE: &str = "ics_pa_validate";
/// RuPay's card type code.
const RUPAY: &str = "061";
/// RuPay's e-commerce indicator.
const COMMERCE_INDICATOR: &str = "rpy";
const OTP_LENGTH: u32 = 6;

/// The Cybersource adapter for one merchant account.
#[derive(Debug)]
pub struct CybersourceConnector {
    http: ProviderHttp,
    key: SigningKey,
    config: CybersourceConfig,
    capabilities: Capabilities,
}

impl CybersourceConnector {
    pub fn new(config: CybersourceConfig) -> Result<Self, ConfigError> {
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(ConfigError::BaseUrl);
        }
        let key = SigningKey::new(&config.merchant_id, &config.key_id, &config.shared_secret)?;
        let http = ProviderHttp::new(
            ConnectorId::Cybersource,
            &config.base_url,
            config.timeouts.clone(),
        )
        .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Self {
            http,
            key,
            config,
            capabilities: Capabilities {
                flows: vec![Flow::Seamless, Flow::Redirect],
                resend_otp: true,
                partial_capture: true,
                partial_refund: true,
                void: true,
                network_tokens: false,
                mandates: false,
                authorizes_during_authentication: false,
            },
        })
    }

    /// Sends one signed request; `path` is relative to the base URL and is what is signed.
    async fn call(
        &self,
        ctx: &CallContext,
        kind: Idempotence,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<ProviderResponse, ConnectorError> {
        let url = self.http.url(path);
        let host = self.http.host().to_owned();
        self.http
            .send(ctx, kind, operation, |client| {
                let date = http_date_now();
                let signed = self
                    .key
                    .sign(method.as_str(), &host, path, &date, body.as_deref());
                let mut builder = client
                    .request(method.clone(), &url)
                    .header("v-c-merchant-id", signed.merchant_id)
                    .header("date", signed.date)
                    .header("signature", signed.signature)
                    .header("accept", "application/hal+json;charset=utf-8");
                if let Some(digest) = signed.digest {
                    builder = builder.header("digest", digest);
                }
                if let Some(bytes) = &body {
                    builder = builder
                        .header("content-type", "application/json;charset=utf-8")
                        .body(bytes.clone());
                }
                builder
                    .build()
                    .map_err(|e| ConnectorError::NotSent(format!("{operation}: {e}")))
            })
            .await
    }

    /// POSTs `body` (serialized once: the bytes hashed are the bytes sent) and reads a
    /// 2xx answer; other answers become the matching error.
    async fn post<T: Serialize>(
        &self,
        ctx: &CallContext,
        kind: Idempotence,
        operation: &'static str,
        path: &str,
        body: &T,
    ) -> Result<Response, ConnectorError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ConnectorError::NotSent(format!("{operation}: {e}")))?;
        let answer = self
            .call(ctx, kind, operation, Method::POST, path, Some(bytes))
            .await?;
        read(answer, operation)
    }

    async fn get(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        path: &str,
    ) -> Result<Response, ConnectorError> {
        let answer = self
            .call(ctx, Idempotence::Read, operation, Method::GET, path, None)
            .await?;
        read(answer, operation)
    }

    fn enrollment_request(
        &self,
        reference: &str,
        card: &Card,
        amount: Money,
        state: &AuthState,
        resend_of: Option<String>,
    ) -> rq::EnrollmentRequest {
        rq::EnrollmentRequest {
            client_reference_information: rq::ClientReference {
                code: reference.to_owned(),
            },
            order_information: order(amount),
            payment_information: card_info(card),
            device_information: rq::DeviceInformation {
                ip_address: state.ip_address.clone(),
                http_accept_browser_value: Some(state.accept_header.clone()),
                user_agent_browser_value: Some(state.user_agent.clone()),
                ..rq::DeviceInformation::default()
            },
            consumer_authentication_information: rq::EnrollmentAuthentication {
                transaction_flow_indicator: self.config.transaction_flow_indicator,
                authentication_transaction_id: resend_of,
            },
        }
    }

    /// The seamless challenge of a `PENDING_AUTHENTICATION` enrollment (or resend) answer.
    fn seamless_challenge(&self, body: &Response, state: &mut AuthState) -> AuthenticationOutcome {
        let cai = body
            .consumer_authentication_information
            .clone()
            .unwrap_or_default();
        if let Some(id) = cai.authentication_transaction_id.clone() {
            state.transaction_id = id;
        }
        if let Some(context) = cai.context() {
            state.transaction_context = Some(context.to_owned());
        }
        state.flow = Some(AuthFlow::Seamless);
        state.token = cai.token.clone().or(state.token.take());
        state.remember(body.id.as_deref());
        let validity = cai
            .validity_period
            .as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok());
        state.validity_minutes = validity.or(state.validity_minutes);
        let expires_at_ms = validity.map(|minutes| now_ms() + minutes * 60_000);
        let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
        outcome.flow = Some(Flow::Seamless);
        outcome.next_action = Some(NextAction::CollectOtp {
            expires_at_ms,
            otp_length: OTP_LENGTH,
        });
        outcome.recommendation = Some(Recommendation::RetryOtp);
        outcome.provider_status = Some(mapping::authentication_status(body));
        outcome.provider_reference = Some(state.transaction_id.clone());
        outcome.expires_at_ms = expires_at_ms;
        outcome.connector_state = Some(state::encode(state));
        outcome
    }

    /// A `AUTHENTICATION_SUCCESSFUL` validation: the proof goes into the state.
    fn authenticated(body: &Response, mut state: AuthState) -> AuthenticationOutcome {
        let cai = body
            .consumer_authentication_information
            .clone()
            .unwrap_or_default();
        state.remember(body.id.as_deref());
        state.cavv = cai.cavv.or(state.cavv);
        state.xid = cai.xid.or(state.xid);
        state.eci = cai.eci.or(cai.eci_raw).or(state.eci);
        state.indicator = cai.indicator.or(state.indicator);
        state.transaction_token = cai.transaction_token.or(state.transaction_token);
        state.token = cai.token.or(state.token);
        if let Some(context) = cai
            .authentication_transaction_context
            .or(cai.authentication_transaction_context_id)
        {
            state.transaction_context = Some(context);
        }
        let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::Succeeded);
        outcome.recommendation = Some(Recommendation::Proceed);
        outcome.provider_status = Some(mapping::authentication_status(body));
        outcome.connector_state = Some(state::encode(&state));
        outcome
    }

    /// Maps a validation answer (seamless or redirect).
    fn validation_outcome(
        body: &Response,
        mut state: AuthState,
        attempts_remaining: i32,
        resends_remaining: i32,
    ) -> AuthenticationOutcome {
        match body.status.as_deref() {
            Some("AUTHENTICATION_SUCCESSFUL") => Self::authenticated(body, state),
            _ => {
                let mut outcome =
                    mapping::authentication_failure(body, attempts_remaining, resends_remaining);
                state.remember(body.id.as_deref());
                outcome.connector_state = Some(state::encode(&state));
                outcome.attempts_remaining = Some(match outcome.failure_reason {
                    Some(FailureReason::OtpAttemptsExhausted) => 0,
                    _ => attempts_remaining.max(0),
                });
                outcome
            }
        }
    }

    fn payment_outcome(&self, body: &Response, like: Money, capture: bool) -> PaymentOutcome {
        let status_text = body.status.as_deref().unwrap_or_default();
        let processor = body.processor_information.clone().unwrap_or_default();
        let (status, failure_reason) = match status_text {
            "AUTHORIZED" | "AUTHORIZED_PENDING_REVIEW" => {
                let amounts = body
                    .order_information
                    .as_ref()
                    .and_then(|o| o.amount_details.clone())
                    .unwrap_or_default();
                let authorized = mapping::minor_units(
                    amounts
                        .authorized_amount
                        .as_deref()
                        .or(amounts.total_amount.as_deref()),
                    like,
                )
                .unwrap_or(like.minor_units());
                let sale = body
                    .processing_information
                    .as_ref()
                    .and_then(|p| p.capture)
                    .unwrap_or(capture);
                let captured = mapping::minor_units(amounts.captured_amount.as_deref(), like)
                    .unwrap_or(if sale { authorized } else { 0 });
                let refunded =
                    mapping::minor_units(amounts.refunded_amount.as_deref(), like).unwrap_or(0);
                (
                    mapping::status_from_amounts(authorized, captured, refunded),
                    None,
                )
            }
            "REVERSED" | "VOIDED" => (PaymentStatus::Voided, None),
            "PENDING_REVIEW" | "PENDING" => (PaymentStatus::Pending, None),
            "SERVER_ERROR" => (PaymentStatus::Unknown, Some(FailureReason::ProviderError)),
            "INVALID_REQUEST" => (PaymentStatus::Failed, Some(FailureReason::ProviderError)),
            _ => mapping::decline(body),
        };
        PaymentOutcome {
            status,
            amount: None,
            approval_code: processor.approval_code,
            network_transaction_id: processor.network_transaction_id,
            failure_reason,
            provider_status: Some(mapping::payment_status(body)),
            provider_reference: body.id.clone(),
            connector_state: None,
        }
    }

    /// The payer authentication calls (enrollments, resends, validations) Transaction
    /// Search holds for this authentication id.
    async fn find_authentication_calls(
        &self,
        ctx: &CallContext,
        authentication_id: &str,
    ) -> Result<Vec<TransactionSummary>, ConnectorError> {
        let search = rq::SearchRequest {
            save: false,
            name: format!("payorch {authentication_id}"),
            timezone: "UTC".into(),
            query: format!("clientReferenceInformation.code:{authentication_id}"),
            offset: 0,
            limit: 100,
            sort: "submitTimeUtc:asc,id:asc".into(),
        };
        let found = self
            .post(ctx, Idempotence::Read, "search", SEARCHES, &search)
            .await?;
        Ok(found
            .embedded
            .map(|e| e.transaction_summaries)
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.application(PA_ENROLL).is_some() || s.application(PA_VALIDATE).is_some())
            .collect())
    }

    /// Where an UNKNOWN or VERIFYING session stands, given the payer authentication calls
    /// found for it. The call to read is the newest one whose answer payorch never read
    /// (ids of read answers are kept in the state):
    ///
    /// - a validation: success gives the proof a live validation would have given
    ///   (CAVV + XID for redirect; the authentication id for seamless, since the search
    ///   does not show the seamless transaction token), failure maps as a live answer
    ///   would (a wrong OTP costs an attempt);
    /// - a resend: a new OTP was sent (OtpRequired, one resend fewer, the new expiry when
    ///   the OTP validity is known), or the resend was refused;
    /// - the enrollment itself: its failure maps as a live one; a challenge opened without
    ///   payorch reading its answer cannot be continued (no ACS form, no OTP context, no
    ///   browser data) and fails, so that the merchant starts a new authentication.
    ///
    /// When nothing unread is found: nothing at all means the index lags (stored status
    /// kept); only calls payorch already read means the lost call never took effect, so
    /// an UNKNOWN session goes back to waiting for the payer (a VERIFYING one, whose call
    /// may still be in flight, is kept as it is).
    fn resolve(
        &self,
        session: &AuthenticationSession,
        state: Option<AuthState>,
        summaries: &[TransactionSummary],
    ) -> AuthenticationOutcome {
        if summaries.is_empty() {
            return stored(session);
        }
        let known = state
            .as_ref()
            .map(|s| s.answered.as_slice())
            .unwrap_or_default();
        let unread = summaries
            .iter()
            .filter(|s| s.id.as_ref().is_none_or(|id| !known.contains(id)))
            .max_by(|a, b| {
                let key = |s: &TransactionSummary| {
                    (
                        s.submit_time_utc.clone().unwrap_or_default(),
                        s.application(PA_VALIDATE).is_some(),
                    )
                };
                key(a).cmp(&key(b))
            });
        match (unread, state) {
            (Some(found), state) if found.application(PA_VALIDATE).is_some() => {
                Self::found_validation(session, found, state.unwrap_or_default())
            }
            (Some(found), Some(state)) if !state.answered.is_empty() => {
                self.found_resend(session, found, state)
            }
            (Some(found), None) => Self::found_enrollment(found),
            (_, Some(state)) if session.status == AuthenticationStatus::Unknown => awaiting(&state),
            _ => stored(session),
        }
    }

    fn found_validation(
        session: &AuthenticationSession,
        found: &TransactionSummary,
        mut state: AuthState,
    ) -> AuthenticationOutcome {
        let cai = found
            .consumer_authentication_information
            .clone()
            .unwrap_or_default();
        let redirect = match state.flow {
            Some(flow) => flow == AuthFlow::Redirect,
            None => cai.xid.is_some(),
        };
        if state.transaction_id.is_empty() {
            state.transaction_id = cai.transaction_id.clone().unwrap_or_default();
        }
        let succeeded = succeeded(found, PA_VALIDATE);
        // Without the NPCI result, a failed seamless validation is taken as a wrong OTP:
        // the next submission gets the provider's own verdict.
        let result = cai
            .authentication_result
            .clone()
            .or_else(|| (!succeeded && !redirect).then(|| "450".to_owned()));
        let body = summary_answer(
            found,
            PA_VALIDATE,
            AuthenticationInformation {
                authentication_transaction_id: Some(state.transaction_id.clone()),
                xid: cai.xid.clone(),
                // Seamless authorizes with the authentication id, as after a live answer.
                cavv: if redirect { cai.cavv.clone() } else { None },
                eci_raw: cai.eci_raw.clone(),
                pares_status: cai.pares_status.clone(),
                authentication_result: result.clone(),
                ..AuthenticationInformation::default()
            },
        );
        if redirect {
            return Self::validation_outcome(&body, state, 0, 0);
        }
        let attempts = if result.as_deref() == Some("450") {
            session.attempts_remaining - 1
        } else {
            session.attempts_remaining
        };
        Self::validation_outcome(&body, state, attempts, session.resends_remaining)
    }

    fn found_resend(
        &self,
        session: &AuthenticationSession,
        found: &TransactionSummary,
        mut state: AuthState,
    ) -> AuthenticationOutcome {
        let cai = found
            .consumer_authentication_information
            .clone()
            .unwrap_or_default();
        let body = summary_answer(
            found,
            PA_ENROLL,
            AuthenticationInformation {
                authentication_transaction_id: cai.transaction_id.clone(),
                authentication_result: cai.authentication_result.clone(),
                pares_status: cai.pares_status.clone(),
                ..AuthenticationInformation::default()
            },
        );
        if body.status.as_deref() != Some("PENDING_AUTHENTICATION") {
            let mut outcome = mapping::authentication_failure(
                &body,
                session.attempts_remaining,
                session.resends_remaining,
            );
            if outcome.failure_reason == Some(FailureReason::ResendLimitReached) {
                outcome.resends_remaining = Some(0);
            }
            return outcome;
        }
        let mut outcome = self.seamless_challenge(&body, &mut state);
        // The new OTP has been valid since the resend was made, not since now.
        let expires_at_ms = found
            .submit_time_utc
            .as_deref()
            .and_then(utc_ms)
            .zip(state.validity_minutes)
            .map(|(at, minutes)| at + minutes * 60_000);
        outcome.expires_at_ms = expires_at_ms;
        outcome.next_action = Some(NextAction::CollectOtp {
            expires_at_ms,
            otp_length: OTP_LENGTH,
        });
        outcome.resends_remaining = Some((session.resends_remaining - 1).max(0));
        outcome
    }

    fn found_enrollment(found: &TransactionSummary) -> AuthenticationOutcome {
        let cai = found
            .consumer_authentication_information
            .clone()
            .unwrap_or_default();
        let body = summary_answer(
            found,
            PA_ENROLL,
            AuthenticationInformation {
                authentication_transaction_id: cai.transaction_id.clone(),
                xid: cai.xid.clone(),
                cavv: cai.cavv.clone(),
                eci_raw: cai.eci_raw.clone(),
                pares_status: cai.pares_status.clone(),
                authentication_result: cai.authentication_result.clone(),
                ..AuthenticationInformation::default()
            },
        );
        match body.status.as_deref() {
            Some("AUTHENTICATION_SUCCESSFUL") => {
                let state = AuthState {
                    transaction_id: cai.transaction_id.clone().unwrap_or_default(),
                    ..AuthState::default()
                };
                Self::authenticated(&body, state)
            }
            Some("PENDING_AUTHENTICATION") => {
                let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
                outcome.failure_reason = Some(FailureReason::ProviderError);
                outcome.recommendation = Some(Recommendation::DoNotProceed);
                outcome.provider_status = Some(ProviderStatus {
                    code: found_reason(found, PA_ENROLL).unwrap_or_default(),
                    message: "the enrollment answer was lost: its challenge cannot be \
                              continued; start a new authentication"
                        .into(),
                    raw_status: "PENDING_AUTHENTICATION".into(),
                });
                outcome.provider_reference = cai.transaction_id;
                outcome
            }
            _ => {
                let mut outcome = mapping::authentication_failure(&body, 0, 0);
                outcome.provider_reference = cai.transaction_id;
                outcome
            }
        }
    }

    /// Finds, by its client reference (payorch's payment id), a payment whose
    /// authorization answer was lost (Transaction Search).
    async fn find_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<Option<String>, ConnectorError> {
        let search = rq::SearchRequest {
            save: false,
            name: format!("payorch {}", payment.id),
            timezone: "UTC".into(),
            query: format!("clientReferenceInformation.code:{}", payment.id),
            offset: 0,
            limit: 10,
            sort: "id:asc,submitTimeUtc:asc".into(),
        };
        let found = self
            .post(ctx, Idempotence::Read, "search", SEARCHES, &search)
            .await?;
        let summaries = found
            .embedded
            .map(|e| e.transaction_summaries)
            .unwrap_or_default();
        let authorization = summaries.iter().find(|s| {
            s.application_information.as_ref().is_none_or(|a| {
                a.applications.is_empty()
                    || a.applications
                        .iter()
                        .any(|app| app.name.as_deref() == Some("ics_auth"))
            })
        });
        Ok(authorization.and_then(|s| s.id.clone()))
    }
}

/// A fully read answer: 2xx parsed (an unreadable 2xx is `OutcomeUnknown`: the provider
/// acted and we cannot say how), anything else mapped to an error.
fn read(answer: ProviderResponse, operation: &'static str) -> Result<Response, ConnectorError> {
    let parsed = serde_json::from_slice::<Response>(&answer.body);
    if answer.status.is_success() {
        return parsed.map_err(|_| {
            ConnectorError::OutcomeUnknown(format!(
                "{operation}: unreadable answer (HTTP {})",
                answer.status
            ))
        });
    }
    Err(mapping::error_answer(
        answer.status,
        &parsed.unwrap_or_default(),
        operation,
    ))
}

fn order(amount: Money) -> rq::OrderInformation {
    rq::OrderInformation {
        amount_details: rq::AmountDetails {
            total_amount: amount.to_decimal_string(),
            currency: Some(amount.currency().code().to_owned()),
        },
    }
}

fn card_info(card: &Card) -> rq::PaymentInformation {
    rq::PaymentInformation {
        card: rq::Card {
            card_type: RUPAY,
            number: card.number.expose().to_owned(),
            expiration_month: format!("{:02}", card.expiry.month()),
            expiration_year: format!("{:04}", card.expiry.year()),
            security_code: card.cvv.as_ref().map(|c| c.expose().to_owned()),
        },
    }
}

fn browser_state(browser: &Browser) -> AuthState {
    AuthState {
        ip_address: browser.ip_address.clone(),
        accept_header: browser.accept_header.clone(),
        user_agent: browser.user_agent.clone(),
        ..AuthState::default()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The session as stored (nothing to ask the provider, or nothing found yet).
fn stored(session: &AuthenticationSession) -> AuthenticationOutcome {
    let mut outcome = AuthenticationOutcome::with_status(session.status);
    outcome.failure_reason = session.failure_reason;
    outcome.recommendation = session.recommendation;
    outcome
}

/// Back to waiting for the payer, as the last answer payorch read left it (the stored
/// OTP prompt or redirect form stays in place).
fn awaiting(state: &AuthState) -> AuthenticationOutcome {
    match state.flow {
        Some(AuthFlow::Redirect) => {
            let mut outcome =
                AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
            outcome.flow = Some(Flow::Redirect);
            outcome.recommendation = Some(Recommendation::Proceed);
            outcome
        }
        _ => {
            let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
            outcome.flow = Some(Flow::Seamless);
            outcome.recommendation = Some(Recommendation::RetryOtp);
            outcome
        }
    }
}

/// The reasonCode of a summary's `service` (else the summary's own).
fn found_reason(found: &TransactionSummary, service: &str) -> Option<String> {
    found
        .application(service)
        .and_then(|a| a.reason_code.clone())
        .or_else(|| {
            found
                .application_information
                .as_ref()
                .and_then(|a| a.reason_code.clone())
        })
}

/// Whether a summary's `service` succeeded (rCode 1, reasonCode 100).
fn succeeded(found: &TransactionSummary, service: &str) -> bool {
    let app = found.application(service);
    match app.and_then(|a| a.r_code.as_deref()) {
        Some(code) => code == "1",
        None => found_reason(found, service).as_deref() == Some("100"),
    }
}

/// A search summary of a payer authentication call, read as the answer it stands for
/// (so it maps exactly as that answer would have): reasonCode 100 → success, 475 → a
/// challenge opened (`PENDING_AUTHENTICATION`), anything else → failure.
fn summary_answer(
    found: &TransactionSummary,
    service: &str,
    mut cai: AuthenticationInformation,
) -> Response {
    let app = found.application(service);
    let status = if succeeded(found, service) {
        "AUTHENTICATION_SUCCESSFUL"
    } else if found_reason(found, service).as_deref() == Some("475") {
        "PENDING_AUTHENTICATION"
    } else {
        "AUTHENTICATION_FAILED"
    };
    cai.authentication_status_msg = app.and_then(|a| a.r_message.clone());
    Response {
        id: found.id.clone(),
        status: Some(status.to_owned()),
        submit_time_utc: found.submit_time_utc.clone(),
        consumer_authentication_information: Some(cai),
        ..Response::default()
    }
}

/// `2021-11-26T04:21:01Z` (Cybersource's `submitTimeUtc`) as Unix milliseconds.
fn utc_ms(text: &str) -> Option<i64> {
    let text = text.trim().strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.split('.').next()?;
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, min, sec) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || sec > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + min) * 60_000 + sec * 1000)
}

/// A value from the browser's return parameters, by any of `names` (case-insensitive).
fn param<'a>(params: &'a RedirectParams, names: &[&str]) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .map(|(_, v)| v.as_str())
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

/// An auto-submitting form that posts `fields` to `url` (the seed's POST form).
fn redirect_html(url: &str, fields: &BTreeMap<String, String>) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\"/>",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html><head><title>Redirecting to your bank</title></head>\
         <body onload=\"document.forms[0].submit();\">\
         <p>We are processing your request. Do not click Back or refresh this page.</p>\
         <form id=\"PAEnrollForm\" name=\"PAEnrollForm\" action=\"{}\" method=\"post\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        html_escape(url)
    )
}

fn rejected(code: &str, message: &str, caller_field: Option<&str>) -> ConnectorError {
    ConnectorError::Rejected {
        status: ProviderStatus {
            code: code.into(),
            message: message.into(),
            raw_status: String::new(),
        },
        caller_field: caller_field.map(str::to_owned),
    }
}

#[async_trait]
impl Connector for CybersourceConnector {
    fn id(&self) -> ConnectorId {
        ConnectorId::Cybersource
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Decided locally: Cybersource's only eligibility answer is check enrollment, which
    /// for a seamless card already sends the payer an OTP and needs the payer's browser.
    /// A RuPay card may authenticate by either flow; the issuer's BIN decides which.
    async fn check_eligibility(
        &self,
        _ctx: &CallContext,
        request: &EligibilityRequest<'_>,
    ) -> Result<Eligibility, ConnectorError> {
        let rupay = CardBrand::detect(&request.card.number) == CardBrand::RuPay;
        Ok(Eligibility {
            available: rupay,
            flows: if rupay {
                self.capabilities.flows.clone()
            } else {
                Vec::new()
            },
            failure_reason: (!rupay).then_some(FailureReason::AuthenticationNotAvailable),
            provider_status: None,
        })
    }

    async fn start_authentication(
        &self,
        ctx: &CallContext,
        request: &StartAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let mut state = browser_state(request.browser);
        let body = self.enrollment_request(
            request.authentication_id,
            request.card,
            request.amount,
            &state,
            None,
        );
        let answer = self
            .post(ctx, Idempotence::Write, "enrollment", ENROLLMENT, &body)
            .await?;
        let cai = answer
            .consumer_authentication_information
            .clone()
            .unwrap_or_default();
        match answer.status.as_deref() {
            Some("PENDING_AUTHENTICATION") => {
                if let (Some(acs_url), Some(pareq)) = (cai.acs_url.clone(), cai.pareq.clone()) {
                    let xid = cai
                        .xid
                        .clone()
                        .or(cai.authentication_transaction_id.clone())
                        .unwrap_or_default();
                    state.flow = Some(AuthFlow::Redirect);
                    state.transaction_id = cai
                        .authentication_transaction_id
                        .clone()
                        .unwrap_or_else(|| xid.clone());
                    state.xid = Some(xid.clone());
                    state.token = cai.token.clone();
                    state.remember(answer.id.as_deref());
                    let form_fields = BTreeMap::from([
                        ("PaReq".to_owned(), pareq),
                        ("TermUrl".to_owned(), request.return_url.to_owned()),
                        ("MD".to_owned(), request.authentication_id.to_owned()),
                    ]);
                    let html = redirect_html(&acs_url, &form_fields);
                    let mut outcome =
                        AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
                    outcome.flow = Some(Flow::Redirect);
                    outcome.next_action = Some(NextAction::Redirect {
                        url: acs_url,
                        method: "POST".into(),
                        form_fields,
                        html,
                    });
                    outcome.recommendation = Some(Recommendation::Proceed);
                    outcome.provider_status = Some(mapping::authentication_status(&answer));
                    outcome.provider_reference = Some(xid);
                    outcome.connector_state = Some(state::encode(&state));
                    Ok(outcome)
                } else if cai.authentication_type.as_deref() == Some("20")
                    || cai.context().is_some()
                {
                    let mut outcome = self.seamless_challenge(&answer, &mut state);
                    outcome.attempts_remaining = Some(self.config.otp_attempts);
                    outcome.resends_remaining = Some(self.config.otp_resends);
                    Ok(outcome)
                } else {
                    // The issuer may have sent an OTP we cannot point the payer to.
                    Err(ConnectorError::OutcomeUnknown(
                        "enrollment: pending answer with neither an ACS URL nor an OTP challenge"
                            .into(),
                    ))
                }
            }
            // Frictionless success does not exist for RuPay, but take it as such.
            Some("AUTHENTICATION_SUCCESSFUL") => {
                state.transaction_id = cai
                    .authentication_transaction_id
                    .clone()
                    .unwrap_or_default();
                Ok(Self::authenticated(&answer, state))
            }
            _ => {
                let mut outcome = mapping::authentication_failure(&answer, 0, 0);
                outcome.provider_reference = cai.authentication_transaction_id.clone();
                Ok(outcome)
            }
        }
    }

    async fn submit_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        otp: &str,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state: AuthState = state::decode(session.connector_state.as_ref())?;
        if state.flow != Some(AuthFlow::Seamless) {
            return Err(ConnectorError::InvalidState(
                "OTP submission needs a seamless authentication".into(),
            ));
        }
        let body = rq::ValidationRequest {
            client_reference_information: rq::ClientReference {
                code: session.id.clone(),
            },
            consumer_authentication_information: rq::ValidationAuthentication {
                authentication_transaction_id: Some(state.transaction_id.clone()),
                authentication_transaction_context: state.transaction_context.clone(),
                otp_token: Some(otp.to_owned()),
                signed_pares: None,
            },
            device_information: Some(rq::DeviceInformation {
                ip_address: state.ip_address.clone(),
                ..rq::DeviceInformation::default()
            }),
        };
        let answer = self
            .post(ctx, Idempotence::Write, "validation", VALIDATION, &body)
            .await?;
        let wrong_otp = answer
            .consumer_authentication_information
            .as_ref()
            .and_then(|c| c.authentication_result.as_deref())
            == Some("450");
        let attempts = if wrong_otp {
            session.attempts_remaining - 1
        } else {
            session.attempts_remaining
        };
        Ok(Self::validation_outcome(
            &answer,
            state,
            attempts,
            session.resends_remaining,
        ))
    }

    async fn resend_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let mut state: AuthState = state::decode(session.connector_state.as_ref())?;
        if state.flow != Some(AuthFlow::Seamless) {
            return Err(ConnectorError::InvalidState(
                "OTP resend needs a seamless authentication".into(),
            ));
        }
        let card = session.card.as_ref().ok_or_else(|| {
            ConnectorError::InvalidState("the card is needed again to resend the OTP".into())
        })?;
        let body = self.enrollment_request(
            &session.id,
            card,
            session.amount,
            &state,
            Some(state.transaction_id.clone()),
        );
        let answer = self
            .post(ctx, Idempotence::Write, "resend", ENROLLMENT, &body)
            .await?;
        match answer.status.as_deref() {
            Some("PENDING_AUTHENTICATION") => {
                let mut outcome = self.seamless_challenge(&answer, &mut state);
                outcome.resends_remaining = Some((session.resends_remaining - 1).max(0));
                Ok(outcome)
            }
            _ => {
                let mut outcome = mapping::authentication_failure(
                    &answer,
                    session.attempts_remaining,
                    session.resends_remaining,
                );
                if outcome.failure_reason == Some(FailureReason::ResendLimitReached) {
                    outcome.resends_remaining = Some(0);
                }
                Ok(outcome)
            }
        }
    }

    async fn complete_redirect(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        params: &RedirectParams,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state: AuthState = state::decode(session.connector_state.as_ref())?;
        if state.flow != Some(AuthFlow::Redirect) {
            return Err(ConnectorError::InvalidState(
                "redirect completion needs a redirect authentication".into(),
            ));
        }
        if let Some(md) = param(params, &["MD"])
            && md.trim() != session.id
        {
            return Err(rejected(
                "MD_MISMATCH",
                "the returned MD does not name this authentication",
                Some("params.MD"),
            ));
        }
        // The seed: remove any whitespace (tabs, spaces, line breaks) from PaRes, nothing else.
        let pares: String = param(params, &["PaRes", "signedPares", "pares"])
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if pares.is_empty() {
            return Err(rejected(
                "MISSING_PARES",
                "the issuer's return carries no PaRes",
                Some("params.PaRes"),
            ));
        }
        let body = rq::ValidationRequest {
            client_reference_information: rq::ClientReference {
                code: session.id.clone(),
            },
            consumer_authentication_information: rq::ValidationAuthentication {
                signed_pares: Some(pares),
                ..rq::ValidationAuthentication::default()
            },
            device_information: None,
        };
        let answer = self
            .post(ctx, Idempotence::Write, "validation", VALIDATION, &body)
            .await?;
        Ok(Self::validation_outcome(&answer, state, 0, 0))
    }

    /// Cybersource offers no read of a payer authentication, but Transaction Search
    /// indexes every enrollment, resend (`ics_pa_enroll`) and validation
    /// (`ics_pa_validate`) under the `clientReferenceInformation.code` payorch sent: the
    /// authentication's id. An UNKNOWN (or VERIFYING) session is resolved from the call
    /// whose answer payorch never read; see [`Self::resolve`].
    async fn sync_authentication(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        if !matches!(
            session.status,
            AuthenticationStatus::Unknown | AuthenticationStatus::Verifying
        ) {
            return Ok(stored(session));
        }
        let state = match &session.connector_state {
            Some(s) => Some(state::decode::<AuthState>(Some(s))?),
            None => None,
        };
        let summaries = self.find_authentication_calls(ctx, &session.id).await?;
        Ok(self.resolve(session, state, &summaries))
    }

    async fn authorize(
        &self,
        ctx: &CallContext,
        request: &AuthorizeRequest<'_>,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let card = request.card.ok_or_else(|| {
            ConnectorError::InvalidState("Cybersource authorization needs the card".into())
        })?;
        let auth: AuthState = state::decode(request.authentication_state)?;
        // Redirect: CAVV + XID; seamless: the validation's transaction token and id.
        let proof = rq::PaymentAuthentication {
            cavv: auth.cavv.clone(),
            xid: auth.cavv.as_ref().and(auth.xid.clone()),
            eci_raw: auth.eci.clone(),
            transaction_token: auth.transaction_token.clone(),
            authentication_transaction_id: (auth.cavv.is_none() && !auth.transaction_id.is_empty())
                .then(|| auth.transaction_id.clone()),
            transaction_flow_indicator: Some(self.config.transaction_flow_indicator.to_string()),
        };
        let body = rq::PaymentRequest {
            client_reference_information: rq::ClientReference {
                code: request.payment_id.to_owned(),
            },
            processing_information: rq::ProcessingInformation {
                commerce_indicator: auth
                    .indicator
                    .clone()
                    .unwrap_or_else(|| COMMERCE_INDICATOR.into()),
                capture: request.capture,
            },
            payment_information: card_info(card),
            order_information: order(request.amount),
            consumer_authentication_information: proof,
            device_information: (!auth.ip_address.is_empty()).then(|| rq::DeviceInformation {
                ip_address: auth.ip_address.clone(),
                http_accept_content: Some(auth.accept_header.clone()),
                user_agent: Some(auth.user_agent.clone()),
                ..rq::DeviceInformation::default()
            }),
        };
        let answer = self
            .post(ctx, Idempotence::Write, "authorization", PAYMENTS, &body)
            .await?;
        let mut outcome = self.payment_outcome(&answer, request.amount, request.capture);
        if outcome.status == PaymentStatus::Captured {
            outcome.amount = Some(request.amount);
        }
        if let Some(id) = answer.id.clone() {
            outcome.connector_state = Some(state::encode(&PaymentState {
                authorization_id: id,
                sale: request.capture && outcome.status == PaymentStatus::Captured,
                ..PaymentState::default()
            }));
        }
        Ok(outcome)
    }

    async fn capture(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment)?;
        let body = rq::AmountRequest {
            client_reference_information: rq::ClientReference {
                code: payment.id.clone(),
            },
            order_information: order(amount),
        };
        let path = format!("{PAYMENTS}/{}/captures", pstate.authorization_id);
        let answer = self
            .post(ctx, Idempotence::Write, "capture", &path, &body)
            .await?;
        if let Some(id) = answer.id.clone() {
            pstate.captures.push(CaptureRef {
                id,
                amount_minor: amount.minor_units(),
                refunded_minor: 0,
            });
        }
        let captured = payment.captured.minor_units() + amount.minor_units();
        Ok(PaymentOutcome {
            status: mapping::status_from_amounts(payment.amount.minor_units(), captured, 0),
            amount: Some(amount),
            approval_code: None,
            network_transaction_id: None,
            failure_reason: None,
            provider_status: Some(mapping::payment_status(&answer)),
            provider_reference: answer.id.clone(),
            connector_state: Some(state::encode(&pstate)),
        })
    }

    async fn void(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment)?;
        let body = rq::ReversalRequest {
            client_reference_information: rq::ClientReference {
                code: payment.id.clone(),
            },
            reversal_information: rq::ReversalInformation {
                amount_details: rq::AmountDetails {
                    total_amount: payment.amount.to_decimal_string(),
                    currency: Some(payment.amount.currency().code().to_owned()),
                },
                reason: "34".into(),
            },
        };
        let path = format!("{PAYMENTS}/{}/reversals", pstate.authorization_id);
        let answer = self
            .post(ctx, Idempotence::Write, "reversal", &path, &body)
            .await?;
        pstate.reversal_id = answer.id.clone();
        let status = match answer.status.as_deref() {
            Some("REVERSED") | Some("VOIDED") => PaymentStatus::Voided,
            _ => payment.status,
        };
        Ok(PaymentOutcome {
            status,
            amount: None,
            approval_code: None,
            network_transaction_id: None,
            failure_reason: None,
            provider_status: Some(mapping::payment_status(&answer)),
            provider_reference: answer.id.clone(),
            connector_state: Some(state::encode(&pstate)),
        })
    }

    async fn refund(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
        refund_id: &str,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment)?;
        // A capture that can cover the refund on its own is refunded by its id; a sale
        // (or a refund spanning captures) by the payment's.
        let capture = pstate
            .captures
            .iter_mut()
            .find(|c| c.amount_minor - c.refunded_minor >= amount.minor_units());
        let path = match &capture {
            Some(c) => format!("/pts/v2/captures/{}/refunds", c.id),
            None => format!("{PAYMENTS}/{}/refunds", pstate.authorization_id),
        };
        let body = rq::AmountRequest {
            client_reference_information: rq::ClientReference {
                code: refund_id.to_owned(),
            },
            order_information: order(amount),
        };
        let answer = self
            .post(ctx, Idempotence::Write, "refund", &path, &body)
            .await?;
        if let Some(c) = capture {
            c.refunded_minor += amount.minor_units();
        }
        if let Some(id) = answer.id.clone() {
            pstate.refund_ids.push(id);
        }
        let refunded = payment.refunded.minor_units() + amount.minor_units();
        Ok(PaymentOutcome {
            status: mapping::status_from_amounts(
                payment.amount.minor_units(),
                payment.captured.minor_units(),
                refunded,
            ),
            amount: Some(amount),
            approval_code: None,
            network_transaction_id: None,
            failure_reason: None,
            provider_status: Some(mapping::payment_status(&answer)),
            provider_reference: answer.id.clone(),
            connector_state: Some(state::encode(&pstate)),
        })
    }

    async fn sync_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let known = state::decode::<PaymentState>(payment.connector_state.as_ref())
            .ok()
            .map(|s| s.authorization_id)
            .or(payment.provider_reference.clone());
        let (id, found_by_search) = match known {
            Some(id) => (id, false),
            None => match self.find_payment(ctx, payment).await? {
                Some(id) => (id, true),
                // Nothing found (yet: searches lag): still unknown.
                None => {
                    return Ok(PaymentOutcome {
                        status: payment.status,
                        amount: None,
                        approval_code: None,
                        network_transaction_id: None,
                        failure_reason: None,
                        provider_status: None,
                        provider_reference: None,
                        connector_state: None,
                    });
                }
            },
        };
        let answer = self
            .get(ctx, "get_payment", &format!("{PAYMENTS}/{id}"))
            .await?;
        let mut outcome = self.payment_outcome(&answer, payment.amount, false);
        if found_by_search {
            outcome.connector_state = Some(state::encode(&PaymentState {
                authorization_id: id,
                sale: outcome.status == PaymentStatus::Captured,
                ..PaymentState::default()
            }));
        }
        Ok(outcome)
    }
}

fn payment_state(payment: &PaymentRecord) -> Result<PaymentState, ConnectorError> {
    match state::decode::<PaymentState>(payment.connector_state.as_ref()) {
        Ok(s) => Ok(s),
        Err(err) => payment
            .provider_reference
            .clone()
            .map(|id| PaymentState {
                authorization_id: id,
                ..PaymentState::default()
            })
            .ok_or(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_form_escapes_and_auto_submits() {
        let fields = BTreeMap::from([
            ("PaReq".to_owned(), "a\"b<c>".to_owned()),
            (
                "TermUrl".to_owned(),
                "https://m.example/cb?x=1&y=2".to_owned(),
            ),
        ]);
        let html = redirect_html("https://acs.example/pay?a=1&b=2", &fields);
        assert!(html.contains("onload=\"document.forms[0].submit();\""));
        assert!(html.contains("action=\"https://acs.example/pay?a=1&amp;b=2\""));
        assert!(html.contains("value=\"a&quot;b&lt;c&gt;\""));
        assert!(html.contains("name=\"TermUrl\" value=\"https://m.example/cb?x=1&amp;y=2\""));
    }

    #[test]
    fn reads_submit_times() {
        assert_eq!(utc_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(utc_ms("2021-11-26T04:21:01Z"), Some(1_637_900_461_000));
        assert_eq!(utc_ms("2024-02-29T23:59:59.5Z"), Some(1_709_251_199_000));
        assert_eq!(utc_ms("2021-11-26 04:21:01"), None);
        assert_eq!(utc_ms("2021-13-26T04:21:01Z"), None);
    }

    #[test]
    fn params_are_found_case_insensitively() {
        let params = RedirectParams::from([("pares".to_owned(), "x".to_owned())]);
        assert_eq!(param(&params, &["PaRes"]), Some("x"));
        assert_eq!(param(&params, &["MD"]), None);
    }
}
