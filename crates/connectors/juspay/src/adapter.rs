//! The [`Connector`] implementation: the adapter, its HTTP plumbing (Basic auth,
//! `x-merchantid`, `version`, form bodies) and the trait methods, which hand over to
//! [`crate::authentication`] and [`crate::payments`].

use payorch_connector::StandingInstructions;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use payorch_connector::capabilities::Capabilities;
use payorch_connector::capabilities::RequestField;
use payorch_connector::http::{Idempotence, ProviderHttp, ProviderResponse};
use payorch_connector::{CallContext, Connector, ConnectorError, ConnectorId};
use payorch_core::card::CardBrand;
use payorch_core::money::Money;
use payorch_core::status::Flow;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::auth::basic_authorization;
use crate::config::{ConfigError, JuspayConfig};
use crate::mapping;
use crate::wire::request::Form;
use crate::wire::response::{ErrorBody, OrderStatus};

/// The Juspay Express Checkout adapter for one merchant account.
///
/// Juspay authenticates and authorizes in one transaction: the OTP that proves the payer
/// also charges (or, without auto-capture, authorizes) the order. So the capture decision
/// is taken at [`Connector::start_authentication`] (`StartAuthentication::capture`), and
/// [`Connector::authorize`] confirms the existing transaction by an order-status read
/// instead of charging again.
#[derive(Debug)]
pub struct JuspayConnector {
    pub(crate) http: ProviderHttp,
    pub(crate) config: JuspayConfig,
    authorization: HeaderValue,
    merchant_header: HeaderValue,
    version_header: HeaderValue,
    pub(crate) capabilities: Capabilities,
}

impl JuspayConnector {
    pub fn new(config: JuspayConfig) -> Result<Self, ConfigError> {
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(ConfigError::BaseUrl);
        }
        for (name, value) in [
            ("API key", &config.api_key),
            ("merchant id", &config.merchant_id),
            ("API version", &config.api_version),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError::Empty(name));
            }
        }
        let mut authorization = HeaderValue::from_str(&basic_authorization(&config.api_key))
            .map_err(|_| ConfigError::HeaderValue("API key"))?;
        authorization.set_sensitive(true);
        let merchant_header = HeaderValue::from_str(&config.merchant_id)
            .map_err(|_| ConfigError::HeaderValue("merchant id"))?;
        let version_header = HeaderValue::from_str(&config.api_version)
            .map_err(|_| ConfigError::HeaderValue("API version"))?;
        let http = ProviderHttp::new(
            ConnectorId::Juspay,
            &config.base_url,
            config.timeouts.clone(),
        )
        .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Self {
            http,
            config,
            authorization,
            merchant_header,
            version_header,
            capabilities: Capabilities {
                flows: vec![Flow::Seamless, Flow::Redirect],
                resend_otp: true,
                // One capture per authorization: a partial capture releases the rest.
                network_tokens: false,
                authorizes_during_authentication: true,
                card_brands: vec![CardBrand::RuPay],
                // `card_security_code` is required on POST /txns (seed 003).
                requires: vec![RequestField::CardCvv],
                ipv6_payer_address: true,
                standing_instructions: false,
                mandate_messages_need_card: false,
            },
        })
    }

    /// Sends one request to `path` (relative to the base URL), with `form` as its body.
    /// `routing_id` is the `x-routing-id` Juspay's reference requires on every call: the
    /// customer id, or for a guest (payorch sends no customer) an id that stays the same
    /// for all of the payment's calls, the Juspay order id ([`routing_id`]).
    /// A GET is a read (retried on transport errors and 5xx), anything else a write.
    pub(crate) async fn call(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        method: Method,
        path: &str,
        routing_id: &str,
        form: Option<&Form>,
    ) -> Result<ProviderResponse, ConnectorError> {
        let url = self.http.url(path);
        let kind = if method == Method::GET {
            Idempotence::Read
        } else {
            Idempotence::Write
        };
        let routing = HeaderValue::from_str(routing_id).map_err(|_| {
            ConnectorError::InvalidState(format!("{operation}: unusable x-routing-id"))
        })?;
        self.http
            .send(ctx, kind, operation, |client| {
                let mut builder = client
                    .request(method.clone(), &url)
                    .header(AUTHORIZATION, self.authorization.clone())
                    .header("x-merchantid", self.merchant_header.clone())
                    .header("version", self.version_header.clone())
                    .header("x-routing-id", routing.clone())
                    .header(ACCEPT, "application/json");
                if let Some(form) = form {
                    builder = builder.form(form);
                }
                builder
                    .build()
                    .map_err(|e| ConnectorError::NotSent(format!("{operation}: {e}")))
            })
            .await
    }

    /// POSTs a form and reads a 2xx answer; other answers become the matching error.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        path: &str,
        routing_id: &str,
        form: &Form,
    ) -> Result<T, ConnectorError> {
        let answer = self
            .call(ctx, operation, Method::POST, path, routing_id, Some(form))
            .await?;
        read(answer, operation)
    }

    /// The Order Status API (a read, retried on transport errors and 5xx). `None` when
    /// Juspay knows no such order.
    pub(crate) async fn order(
        &self,
        ctx: &CallContext,
        order_id: &str,
    ) -> Result<Option<OrderStatus>, ConnectorError> {
        let path = format!("/orders/{}", urlencoding::encode(order_id));
        let answer = self
            .call(
                ctx,
                "order_status",
                Method::GET,
                &path,
                routing_id(order_id),
                None,
            )
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read(answer, "order_status").map(Some)
    }
}

/// The `x-routing-id` of an order's calls: the order id itself (payorch checks out as a
/// guest, without a Juspay customer), so that every call of one payment routes alike.
pub(crate) fn routing_id(order_id: &str) -> &str {
    order_id
}

/// A fully read answer: 2xx parsed (an unreadable 2xx is `OutcomeUnknown`: the provider
/// may have acted and we cannot say how), anything else mapped to an error.
pub(crate) fn read<T: DeserializeOwned>(
    answer: ProviderResponse,
    operation: &'static str,
) -> Result<T, ConnectorError> {
    if answer.status.is_success() {
        return serde_json::from_slice::<T>(&answer.body).map_err(|_| {
            ConnectorError::OutcomeUnknown(format!(
                "{operation}: unreadable answer (HTTP {})",
                answer.status
            ))
        });
    }
    let body = serde_json::from_slice::<ErrorBody>(&answer.body).unwrap_or_default();
    Err(mapping::error_answer(answer.status, &body, operation))
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A refusal payorch decides itself, before (or instead of) calling Juspay.
pub(crate) fn rejected(code: &str, message: &str, caller_field: Option<&str>) -> ConnectorError {
    ConnectorError::Rejected {
        status: payorch_core::session::ProviderStatus {
            code: code.into(),
            message: message.into(),
            raw_status: String::new(),
        },
        caller_field: caller_field.map(str::to_owned),
    }
}

/// Minor units as money in `like`'s currency.
pub(crate) fn money(minor: i64, like: Money) -> Money {
    Money::from_minor(minor, like.currency())
}

#[async_trait]
impl Connector for JuspayConnector {
    fn id(&self) -> ConnectorId {
        ConnectorId::Juspay
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
}

/// No Standing Instructions yet: every mandate call answers `Unsupported`.
#[async_trait]
impl StandingInstructions for JuspayConnector {}
