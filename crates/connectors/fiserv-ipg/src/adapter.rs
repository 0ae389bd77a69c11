//! The [`Connector`] implementation's frame: construction, capabilities, and one signed
//! call through [`ProviderHttp`]. The operations are in [`crate::authentication`] and
//! [`crate::payments`].

use payorch_connector::StandingInstructions;
use std::collections::BTreeMap;

use async_trait::async_trait;
use payorch_connector::capabilities::Capabilities;
use payorch_connector::capabilities::RequestField;
use payorch_connector::http::{Idempotence, ProviderHttp, ProviderResponse};
use payorch_connector::{CallContext, Connector, ConnectorError, ConnectorId};
use payorch_core::card::CardBrand;
use payorch_core::session::ProviderStatus;
use payorch_core::status::Flow;
use reqwest::{Method, StatusCode};
use serde::Serialize;

use crate::config::{ConfigError, FiservIpgConfig};
use crate::mapping;
use crate::signing::Credentials;
use crate::wire::response::{OrderResponse, Response};

/// The Fiserv IPG adapter for one API client (key and secret).
#[derive(Debug)]
pub struct FiservIpgConnector {
    pub(crate) http: ProviderHttp,
    pub(crate) credentials: Credentials,
    pub(crate) config: FiservIpgConfig,
    pub(crate) capabilities: Capabilities,
    /// Every answer this adapter received, for the OpenAPI oracle (`crate::openapi`).
    #[cfg(test)]
    pub(crate) answers: std::sync::Mutex<Vec<crate::openapi::Answer>>,
}

impl FiservIpgConnector {
    pub fn new(config: FiservIpgConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let http = ProviderHttp::new(
            ConnectorId::FiservIpg,
            &config.base_url,
            config.timeouts.clone(),
        )
        .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Self {
            http,
            credentials: Credentials::new(&config.api_key, &config.api_secret),
            config,
            capabilities: Capabilities {
                flows: vec![Flow::Seamless, Flow::Redirect],
                resend_otp: true,
                network_tokens: false,
                authorizes_during_authentication: false,
                card_brands: vec![CardBrand::RuPay],
                // cardHolderBrowserParameters needs the Accept header and language (seed 002).
                requires: vec![
                    RequestField::BrowserAcceptHeader,
                    RequestField::BrowserLanguage,
                ],
                ipv6_payer_address: true,
                standing_instructions: false,
                mandate_messages_need_card: false,
            },
            #[cfg(test)]
            answers: Default::default(),
        })
    }

    /// Sends one request, signed afresh for each attempt: a new `Client-Request-Id` and
    /// `Timestamp` every time the closure runs, so a retried read never replays an id (and
    /// writes are never retried at all).
    pub(crate) async fn call(
        &self,
        ctx: &CallContext,
        kind: Idempotence,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<ProviderResponse, ConnectorError> {
        let url = self.http.url(path);
        let answer = self
            .http
            .send(ctx, kind, operation, |client| {
                let signed = self
                    .credentials
                    .sign_now(body.as_deref().unwrap_or_default());
                let mut builder = client
                    .request(method.clone(), &url)
                    .header("Api-Key", signed.api_key)
                    .header("Client-Request-Id", signed.client_request_id)
                    .header("Timestamp", signed.timestamp)
                    .header("Message-Signature", signed.message_signature)
                    .header("Accept", "application/json");
                if let Some(bytes) = &body {
                    builder = builder
                        .header("Content-Type", "application/json")
                        .body(bytes.clone());
                }
                builder
                    .build()
                    .map_err(|e| ConnectorError::NotSent(format!("{operation}: {e}")))
            })
            .await;
        #[cfg(test)]
        if let Ok(answer) = &answer {
            self.answers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(crate::openapi::Answer {
                    operation,
                    method: method.clone(),
                    path: path.to_owned(),
                    status: answer.status.as_u16(),
                    body: answer.body.clone(),
                });
        }
        answer
    }

    /// Sends `body` (serialized once: the bytes signed are the bytes sent).
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
        read(&answer, operation)
    }

    /// A transaction inquiry, `GET /payments/{ipgTransactionId}`.
    pub(crate) async fn inquiry(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        id: &str,
    ) -> Result<Response, ConnectorError> {
        let answer = self
            .call(
                ctx,
                Idempotence::Read,
                operation,
                Method::GET,
                &payment_path(id),
                None,
            )
            .await?;
        read(&answer, operation)
    }

    /// An order inquiry, `GET /orders/{orderId}`; `None` when IPG knows no such order.
    pub(crate) async fn order(
        &self,
        ctx: &CallContext,
        order_id: &str,
    ) -> Result<Option<OrderResponse>, ConnectorError> {
        let path = format!("/orders/{}", urlencoding::encode(order_id));
        let answer = self
            .call(
                ctx,
                Idempotence::Read,
                "order_inquiry",
                Method::GET,
                &path,
                None,
            )
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if answer.status.is_success() {
            return serde_json::from_slice::<OrderResponse>(&answer.body)
                .map(Some)
                .map_err(|_| {
                    ConnectorError::OutcomeUnknown("order_inquiry: unreadable answer".into())
                });
        }
        let parsed = serde_json::from_slice::<Response>(&answer.body).unwrap_or_default();
        Err(mapping::error_answer(
            answer.status,
            &parsed,
            "order_inquiry",
        ))
    }

    pub(crate) fn store_id(&self) -> Option<String> {
        self.config.store_id.clone()
    }
}

/// `/payments/{id}` with the id escaped.
pub(crate) fn payment_path(id: &str) -> String {
    format!("/payments/{}", urlencoding::encode(id))
}

/// A fully read answer. A 2xx must parse (an unreadable 2xx is `OutcomeUnknown`: IPG acted
/// and we cannot say how). A 4xx carrying a transaction (422 `EndpointDeclined` with
/// `transactionStatus: DECLINED`) is a decision, returned for mapping like a 2xx; any other
/// 4xx is a refusal that changed nothing.
fn read(answer: &ProviderResponse, operation: &'static str) -> Result<Response, ConnectorError> {
    let parsed = serde_json::from_slice::<Response>(&answer.body);
    if answer.status.is_success() {
        return parsed.map_err(|_| {
            ConnectorError::OutcomeUnknown(format!(
                "{operation}: unreadable answer (HTTP {})",
                answer.status
            ))
        });
    }
    let body = parsed.unwrap_or_default();
    let credentials = matches!(
        answer.status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    );
    if answer.status.is_client_error() && !credentials && body.is_transaction() {
        return Ok(body);
    }
    Err(mapping::error_answer(answer.status, &body, operation))
}

pub(crate) fn rejected(code: &str, message: &str, caller_field: Option<&str>) -> ConnectorError {
    ConnectorError::Rejected {
        status: ProviderStatus {
            code: code.into(),
            message: message.into(),
            raw_status: String::new(),
        },
        caller_field: caller_field.map(str::to_owned),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

/// An auto-submitting form that POSTs `fields` to `url` (the seed: "perform a redirect as
/// a POST request to the acsURL, generally implemented as auto-submit form").
pub(crate) fn redirect_html(url: &str, fields: &BTreeMap<String, String>) -> String {
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
         <form id=\"RupayAcsForm\" name=\"RupayAcsForm\" action=\"{}\" method=\"post\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        html_escape(url)
    )
}

#[async_trait]
impl Connector for FiservIpgConnector {
    fn id(&self) -> ConnectorId {
        ConnectorId::FiservIpg
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
}

/// No Standing Instructions yet: every mandate call answers `Unsupported`.
#[async_trait]
impl StandingInstructions for FiservIpgConnector {}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_form_escapes_and_auto_submits() {
        let html = redirect_html(
            "https://acs.example/processing?rupayId=1&x=\"2\"",
            &BTreeMap::new(),
        );
        assert!(html.contains("onload=\"document.forms[0].submit();\""));
        assert!(
            html.contains(
                "action=\"https://acs.example/processing?rupayId=1&amp;x=&quot;2&quot;\""
            )
        );
        assert!(html.contains("method=\"post\""));
    }

    #[test]
    fn declines_in_4xx_are_answers_and_refusals_are_errors() {
        let answer = |status: u16, body: &str| ProviderResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
        };
        let declined = read(
            &answer(422, r#"{"responseType":"EndpointDeclined","ipgTransactionId":"8","transactionStatus":"DECLINED"}"#),
            "x",
        )
        .unwrap();
        assert_eq!(declined.status(), "DECLINED");
        assert!(matches!(
            read(
                &answer(
                    400,
                    r#"{"responseType":"BadRequest","error":{"code":"400"}}"#
                ),
                "x"
            ),
            Err(ConnectorError::Rejected { .. })
        ));
        assert!(matches!(
            read(
                &answer(
                    401,
                    r#"{"responseType":"Unauthenticated","transactionStatus":"X"}"#
                ),
                "x"
            ),
            Err(ConnectorError::Unauthorized(_))
        ));
        assert!(matches!(
            read(&answer(200, r#"{"status": "AUTHORIZED", "id": "#), "x"),
            Err(ConnectorError::OutcomeUnknown(_))
        ));
    }
}
