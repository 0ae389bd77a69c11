//! The [`Connector`] implementation and the plumbing every operation shares: paths, Basic
//! credentials, sending through [`ProviderHttp`], reading answers, and the card, device and
//! amount blocks of request bodies. The operations themselves are in `authentication.rs`
//! and `payments.rs`.

use crate::mapping::Standing;
use payorch_connector::StandingInstructions;
use payorch_connector::model::{Eligibility, EligibilityRequest};
use payorch_core::status::FailureReason;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use payorch_connector::capabilities::Capabilities;
use payorch_connector::capabilities::RequestField;
use payorch_connector::http::{Idempotence, ProviderHttp, ProviderResponse};
use payorch_connector::model::Browser;
use payorch_connector::{CallContext, Connector, ConnectorError, ConnectorId};
use payorch_core::card::Card;
use payorch_core::card::CardBrand;
use payorch_core::money::Money;
use payorch_core::status::Flow;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use crate::config::{ConfigError, MpgsConfig};
use crate::credentials::BasicCredentials;
use crate::mapping;
use crate::wire::request as rq;
use crate::wire::response::TransactionResponse;

/// The Mastercard Gateway adapter for one merchant.
#[derive(Debug)]
pub struct MpgsConnector {
    pub(crate) http: ProviderHttp,
    credentials: BasicCredentials,
    pub(crate) config: MpgsConfig,
    pub(crate) capabilities: Capabilities,
    /// The gateway's origin: OTPs are only ever posted to a callback URL on it.
    origin: reqwest::Url,
}

impl MpgsConnector {
    pub fn new(config: MpgsConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let origin = Url::parse(&config.base_url).map_err(|_| ConfigError::BaseUrl)?;
        let http = ProviderHttp::new(ConnectorId::Mpgs, &config.base_url, config.timeouts.clone())
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Self {
            http,
            credentials: BasicCredentials::new(&config.merchant_id, &config.api_password),
            config,
            capabilities: Capabilities {
                flows: vec![Flow::Seamless, Flow::Redirect],
                resend_otp: true,
                network_tokens: true,
                authorizes_during_authentication: false,
                card_brands: vec![CardBrand::RuPay],
                // AUTHENTICATE_PAYER needs device.browserDetails.acceptHeaders; IPv4 only (seed 001).
                requires: vec![RequestField::BrowserAcceptHeader],
                ipv6_payer_address: false,
                standing_instructions: false,
                mandate_messages_need_card: false,
            },
            origin,
        })
    }

    /// `/api/rest/version/{N}/merchant/{MID}/order/{OID}[/transaction/{TID}]`.
    fn path(&self, order_id: &str, transaction_id: Option<&str>) -> String {
        let mut path = format!(
            "/api/rest/version/{}/merchant/{}/order/{}",
            self.config.api_version,
            self.config.merchant_id,
            encode_segment(order_id)
        );
        if let Some(t) = transaction_id {
            path.push_str("/transaction/");
            path.push_str(&encode_segment(t));
        }
        path
    }

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
        self.http
            .send(ctx, kind, operation, |client| {
                let mut builder = client
                    .request(method.clone(), &url)
                    .header(AUTHORIZATION, self.credentials.header_value())
                    .header(ACCEPT, "application/json");
                if let Some(bytes) = &body {
                    builder = builder
                        .header(CONTENT_TYPE, "application/json;charset=UTF-8")
                        .body(bytes.clone());
                }
                builder
                    .build()
                    .map_err(|e| ConnectorError::NotSent(format!("{operation}: {e}")))
            })
            .await
    }

    /// `PUT .../order/{OID}/transaction/{TID}`: one state-changing operation, sent once.
    /// `network_token` says which payorch fields a refusal of card fields names.
    pub(crate) async fn put(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        order_id: &str,
        transaction_id: &str,
        body: &rq::TransactionRequest,
        network_token: bool,
    ) -> Result<TransactionResponse, ConnectorError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ConnectorError::NotSent(format!("{operation}: {e}")))?;
        let path = self.path(order_id, Some(transaction_id));
        let answer = self
            .call(
                ctx,
                Idempotence::Write,
                operation,
                Method::PUT,
                &path,
                Some(bytes),
            )
            .await?;
        read(answer, operation, network_token)
    }

    /// Retrieve Transaction (read; retried by the HTTP layer).
    pub(crate) async fn retrieve_transaction(
        &self,
        ctx: &CallContext,
        order_id: &str,
        transaction_id: &str,
    ) -> Result<TransactionResponse, ConnectorError> {
        let path = self.path(order_id, Some(transaction_id));
        let answer = self
            .call(
                ctx,
                Idempotence::Read,
                "retrieve_transaction",
                Method::GET,
                &path,
                None,
            )
            .await?;
        read(answer, "retrieve_transaction", false)
    }

    /// Retrieve Order (read).
    pub(crate) async fn retrieve_order<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        order_id: &str,
    ) -> Result<T, ConnectorError> {
        let path = self.path(order_id, None);
        let answer = self
            .call(
                ctx,
                Idempotence::Read,
                "retrieve_order",
                Method::GET,
                &path,
                None,
            )
            .await?;
        read(answer, "retrieve_order", false)
    }

    /// Posts the payer's form to the seamless callback URL (no credentials: it is the
    /// browser's endpoint). Refused unless the URL is on the configured gateway's origin, so
    /// an OTP can never be sent anywhere else. Any non-5xx answer is returned: the result is
    /// read from Retrieve Transaction, the page only hints at the NPCI code.
    pub(crate) async fn post_callback(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        callback_url: &str,
        form: &[(&str, &str)],
    ) -> Result<ProviderResponse, ConnectorError> {
        let url = Url::parse(callback_url).map_err(|_| {
            ConnectorError::InvalidState("the stored gateway callback URL is unreadable".into())
        })?;
        if url.origin() != self.origin.origin() {
            return Err(ConnectorError::InvalidState(
                "the gateway callback URL is not on the configured gateway".into(),
            ));
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes();
        self.http
            .send(ctx, Idempotence::Write, operation, |client| {
                client
                    .post(url.clone())
                    .header(ACCEPT, "application/json, text/html;q=0.9")
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone())
                    .build()
                    .map_err(|e| ConnectorError::NotSent(format!("{operation}: {e}")))
            })
            .await
    }
}

/// A fully read answer: 2xx parsed (an unreadable 2xx is `OutcomeUnknown`: the gateway
/// acted and we cannot say how), anything else mapped to an error.
fn read<T: DeserializeOwned>(
    answer: ProviderResponse,
    operation: &'static str,
    network_token: bool,
) -> Result<T, ConnectorError> {
    if !answer.status.is_success() {
        return Err(mapping::error_answer(
            answer.status,
            &answer.body,
            operation,
            network_token,
        ));
    }
    // A 2xx that still says `result: ERROR` is a refusal.
    if let Ok(probe) = serde_json::from_slice::<TransactionResponse>(&answer.body)
        && probe.result.as_deref() == Some("ERROR")
    {
        return Err(mapping::error_answer(
            reqwest::StatusCode::BAD_REQUEST,
            &answer.body,
            operation,
            network_token,
        ));
    }
    serde_json::from_slice(&answer.body).map_err(|_| {
        ConnectorError::OutcomeUnknown(format!(
            "{operation}: unreadable answer (HTTP {})",
            answer.status
        ))
    })
}

fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn form_encode(s: &str) -> String {
    encode_segment(s)
}

/// `sourceOfFunds` for a card or a network token (SCHEME_TOKEN: the token in `number`, its
/// cryptogram in `devicePayment.onlinePaymentCryptogram`, no security code).
/// `full` adds expiry and security code / cryptogram (everything but INITIATE).
pub(crate) fn source_of_funds(card: &Card, full: bool) -> rq::SourceOfFunds {
    let token = card.is_network_token();
    rq::SourceOfFunds {
        kind: if token { "SCHEME_TOKEN" } else { "CARD" },
        provided: rq::Provided {
            card: rq::CardBlock {
                number: card.number.expose().to_owned(),
                expiry: full.then(|| rq::Expiry {
                    month: format!("{:02}", card.expiry.month()),
                    year: format!("{:02}", card.expiry.year() % 100),
                }),
                security_code: if full && !token {
                    card.cvv.as_ref().map(|c| c.expose().to_owned())
                } else {
                    None
                },
                device_payment: if full {
                    card.token_cryptogram.as_ref().map(|c| rq::DevicePayment {
                        online_payment_cryptogram: c.clone(),
                    })
                } else {
                    None
                },
            },
        },
    }
}

pub(crate) fn device(browser: &Browser, with_accept: bool) -> rq::Device {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    rq::Device {
        ip_address: non_empty(&browser.ip_address),
        browser: non_empty(&browser.user_agent),
        browser_details: (with_accept && !browser.accept_header.is_empty()).then(|| {
            rq::BrowserDetails {
                accept_headers: browser.accept_header.clone(),
            }
        }),
    }
}

pub(crate) fn order(amount: Option<Money>, currency: &str) -> rq::Order {
    rq::Order {
        amount: amount.map(|a| a.to_decimal_string()),
        currency: currency.to_owned(),
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait]
impl Connector for MpgsConnector {
    fn id(&self) -> ConnectorId {
        ConnectorId::Mpgs
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// INITIATE_AUTHENTICATION on a throwaway order: it only checks the BIN's eligibility
    /// (no OTP is sent). Non-RuPay cards are answered locally: this adapter authenticates
    /// RuPay only.
    async fn check_eligibility(
        &self,
        ctx: &CallContext,
        request: &EligibilityRequest<'_>,
    ) -> Result<Eligibility, ConnectorError> {
        if request.card.brand() != CardBrand::RuPay {
            return Ok(Eligibility {
                available: false,
                flows: Vec::new(),
                failure_reason: Some(FailureReason::AuthenticationNotAvailable),
                provider_status: None,
            });
        }
        let id = format!("elig_{}", uuid::Uuid::new_v4().simple());
        let currency = request.amount.map_or("INR", |a| a.currency().code());
        let body = Self::initiate_request(request.card, currency);
        let answer = self
            .put(
                ctx,
                "initiate_authentication",
                &crate::ids::order_id(&id),
                &crate::ids::authentication_transaction_id(&id),
                &body,
                request.card.is_network_token(),
            )
            .await?;
        Ok(match mapping::standing(&answer) {
            Standing::Available | Standing::Pending | Standing::Succeeded => Eligibility {
                available: true,
                // Which flow the issuer uses shows only at AUTHENTICATE_PAYER.
                flows: vec![Flow::Seamless, Flow::Redirect],
                failure_reason: None,
                provider_status: Some(mapping::authentication_status(&answer)),
            },
            Standing::Failed => {
                let failure = mapping::authentication_failure(&answer);
                Eligibility {
                    available: false,
                    flows: Vec::new(),
                    failure_reason: failure.failure_reason,
                    provider_status: failure.provider_status,
                }
            }
        })
    }
}

/// No Standing Instructions yet: every mandate call answers `Unsupported`.
#[async_trait]
impl StandingInstructions for MpgsConnector {}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_carry_version_merchant_order_and_transaction() {
        let c =
            MpgsConnector::new(MpgsConfig::new("https://in-gateway.example", "M1", "p")).unwrap();
        assert_eq!(
            c.path("o 1", Some("t1")),
            "/api/rest/version/100/merchant/M1/order/o%201/transaction/t1"
        );
        assert_eq!(
            c.path("o1", None),
            "/api/rest/version/100/merchant/M1/order/o1"
        );
    }

    #[test]
    fn debug_shows_no_credentials() {
        let c =
            MpgsConnector::new(MpgsConfig::new("https://g.example", "M1", "s3cr3t-pw")).unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("s3cr3t-pw"), "{text}");
        // base64("merchant.M1:s3cr3t-pw") starts like this.
        assert!(!text.contains("bWVyY2hhbnQuTTE6"), "{text}");
    }

    #[test]
    fn network_tokens_travel_as_scheme_tokens_with_their_cryptogram() {
        let card = Card::parse("5085000000000015", "08", "2031", None, None, 2026, 1)
            .unwrap()
            .into_network_token("APJUR+bB46ysAAKYEAOYGgADFA==".into());
        let v = serde_json::to_value(source_of_funds(&card, true)).unwrap();
        assert_eq!(v["type"], "SCHEME_TOKEN");
        assert_eq!(
            v["provided"]["card"]["devicePayment"]["onlinePaymentCryptogram"],
            "APJUR+bB46ysAAKYEAOYGgADFA=="
        );
        assert_eq!(v["provided"]["card"]["expiry"]["month"], "08");
        assert_eq!(v["provided"]["card"]["expiry"]["year"], "31");
        assert!(v["provided"]["card"].get("securityCode").is_none());
        let v = serde_json::to_value(source_of_funds(&card, false)).unwrap();
        assert!(v["provided"]["card"].get("devicePayment").is_none());
        assert!(v["provided"]["card"].get("expiry").is_none());
    }
}
