//! The [`Connector`] implementation and the plumbing every operation shares: sending
//! signed requests through [`ProviderHttp`], reading answers, and the card and amount
//! blocks of request bodies. Each operation builds its wire request, sends it signed, and
//! maps the answer; the operations themselves are in `authentication.rs`, `payments.rs`,
//! `mandates.rs` and `sync.rs`.

use async_trait::async_trait;
use payorch_connector::capabilities::Capabilities;
use payorch_connector::capabilities::RequestField;
use payorch_connector::http::{Idempotence, ProviderHttp, ProviderResponse};
use payorch_connector::{CallContext, Connector, ConnectorError, ConnectorId};
use payorch_core::card::Card;
use payorch_core::card::CardBrand;
use payorch_core::money::Money;
use payorch_core::status::Flow;
use reqwest::Method;
use serde::Serialize;

use crate::config::{ConfigError, CybersourceConfig};
use crate::mapping;
use crate::signing::{SigningKey, http_date_now};
use crate::wire::request as rq;
use crate::wire::response::Response;

/// RuPay's card type code.
const RUPAY: &str = "061";

/// The Cybersource adapter for one merchant account.
#[derive(Debug)]
pub struct CybersourceConnector {
    http: ProviderHttp,
    key: SigningKey,
    pub(crate) config: CybersourceConfig,
    pub(crate) capabilities: Capabilities,
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
                network_tokens: false,
                authorizes_during_authentication: false,
                card_brands: vec![CardBrand::RuPay],
                // Check enrollment refuses a request without the Accept header or the CVV (seed 004).
                requires: vec![RequestField::BrowserAcceptHeader, RequestField::CardCvv],
                ipv6_payer_address: true,
                standing_instructions: true,
                // Seed 004: the card goes on modification, deregistration, intimation and debit.
                mandate_messages_need_card: true,
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
    pub(crate) async fn post<T: Serialize>(
        &self,
        ctx: &CallContext,
        kind: Idempotence,
        operation: &'static str,
        path: &str,
        body: &T,
    ) -> Result<Response, ConnectorError> {
        self.send_json(ctx, kind, operation, Method::POST, path, body)
            .await
    }

    /// [`Self::post`] with another method (`PATCH` for billing agreements).
    pub(crate) async fn send_json<T: Serialize>(
        &self,
        ctx: &CallContext,
        kind: Idempotence,
        operation: &'static str,
        method: Method,
        path: &str,
        body: &T,
    ) -> Result<Response, ConnectorError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ConnectorError::NotSent(format!("{operation}: {e}")))?;
        let answer = self
            .call(ctx, kind, operation, method, path, Some(bytes))
            .await?;
        read(answer, operation)
    }

    /// A read that may find nothing: `404` (the resource is unknown, or not indexed yet) is
    /// `None`; any other answer is read as by [`Self::post`].
    pub(crate) async fn get_found(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        path: &str,
    ) -> Result<Option<Response>, ConnectorError> {
        let answer = self
            .call(ctx, Idempotence::Read, operation, Method::GET, path, None)
            .await?;
        if answer.status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read(answer, operation).map(Some)
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

pub(crate) fn order(amount: Money) -> rq::OrderInformation {
    rq::OrderInformation {
        amount_details: rq::AmountDetails {
            total_amount: amount.to_decimal_string(),
            currency: Some(amount.currency().code().to_owned()),
        },
    }
}

pub(crate) fn card_info(card: &Card) -> rq::PaymentInformation {
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

#[async_trait]
impl Connector for CybersourceConnector {
    fn id(&self) -> ConnectorId {
        ConnectorId::Cybersource
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
}
