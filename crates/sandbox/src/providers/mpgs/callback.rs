//! The gateway callback `POST /api/callbackInterface/gateway/{hash}`.
//!
//! - Seamless: the OTP form posts the OTP in [`OTP_FIELD`] (with [`ACTION_FIELD`] =
//!   `VERIFY`), or [`ACTION_FIELD`] = [`RESEND`] for a new OTP. Wrong OTP → 450 with attempts left, expired → 451 (a resend is still possible),
//!   last wrong attempt → 452, resend beyond the limit → 453 (seed 001 table).
//! - Redirect: the ACS returns the payer here (`AccuReturnURL`) with `AccuResponseCode`,
//!   `AccuRequestId`, `session` and `AccuGuid`; the result itself is the issuer's.
//!
//! While the challenge stays open the answer is the OTP form again (HTML) or
//! `{"status":"pending", ...}`; once it is over, the payer is returned to the merchant's
//! `authentication.redirectResponseUrl` with `order.id`, `transaction.id`, `result`,
//! `response.gatewayRecommendation`, `authentication.status.code` and
//! `authentication.status.description` (HTML auto-post, or `{"status":"complete","action",
//! "method","fields", ...}` with `Accept: application/json`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::html::{self, ACTION_FIELD, OTP_FIELD, RESEND};
use super::status::{self, AuthState, accu_of, npci_description};
use super::store::{AuthRecord, lock};
use super::{CONNECTOR, MOUNT};
use crate::acs::{AcsChallenge, AcsResult};
use crate::npci::{AccuCode, Flow, NpciCode, Outcome, Resend, Verify};
use crate::state::Sandbox;

/// What the ACS posts back to `AccuReturnURL`.
pub fn acs_return_fields(
    sandbox: &Sandbox,
    challenge: &AcsChallenge,
    result: AcsResult,
) -> Vec<(String, String)> {
    let code = match result {
        AcsResult::Authenticated => AccuCode::Success,
        AcsResult::Cancelled => AccuCode::Cancelled,
        AcsResult::Failed(c) => accu_of(&Outcome::Failed(c)),
    };
    // The issuer's word wins over the page's (e.g. a session evicted meanwhile).
    let code = match sandbox
        .issuer
        .session(&challenge.connector, &challenge.reference)
    {
        Some(s) if s.outcome != Outcome::Pending => accu_of(&s.outcome),
        _ => code,
    };
    let posted = |name: &str| challenge.posted.get(name).cloned().unwrap_or_default();
    vec![
        ("AccuResponseCode".into(), code.as_str().into()),
        ("AccuRequestId".into(), posted("AccuRequestId")),
        ("session".into(), posted("session")),
        ("AccuGuid".into(), posted("AccuGuid")),
    ]
}

/// The last step's answer, before it is shaped for a browser or a script.
struct Step {
    /// The challenge stays open.
    pending: bool,
    message: String,
    state: AuthState,
    attempts_remaining: Option<u32>,
    resends_remaining: Option<u32>,
}

fn pending_step(message: String, code: Option<NpciCode>) -> Step {
    // Seed 001's table: invalid OTP and resend answer DO_NOT_PROCEED / AUTHENTICATION_INITIATED / PENDING.
    Step {
        pending: true,
        message,
        state: AuthState {
            authentication_status: "AUTHENTICATION_INITIATED",
            gateway_code: "PENDING",
            recommendation: "DO_NOT_PROCEED",
            result: "PENDING",
            status: code.map(|c| (c.as_str().to_owned(), npci_description(c).to_owned())),
            order_status: "AUTHENTICATION_INITIATED",
            pending: true,
        },
        attempts_remaining: None,
        resends_remaining: None,
    }
}

pub async fn callback(
    State(sandbox): State<Arc<Sandbox>>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let form = read_form(&headers, &body);
    let Some(target) = sandbox.mpgs.callback(&hash) else {
        sandbox.calls.record(CONNECTOR, "callback_unknown");
        return failure(wants_json, StatusCode::NOT_FOUND, AccuCode::SessionExpired);
    };
    let mut orders = lock(&sandbox.mpgs.orders);
    let key = (target.merchant.clone(), target.order.clone());
    let Some(auth) = orders
        .get_mut(&key)
        .and_then(|o| o.transaction_mut(&target.transaction))
        .and_then(|t| t.auth.as_mut())
    else {
        sandbox.calls.record(CONNECTOR, "callback_unknown");
        return failure(wants_json, StatusCode::NOT_FOUND, AccuCode::SessionExpired);
    };
    let Some(reference) = auth.reference.clone() else {
        return failure(wants_json, StatusCode::BAD_REQUEST, AccuCode::InvalidData);
    };
    let issuer = &sandbox.issuer;
    let step = if form.contains_key("AccuResponseCode") || form.contains_key("session") {
        sandbox.calls.record(CONNECTOR, "callback_acs_return");
        if auth.flow != Some(Flow::Redirect) || form.get("session") != auth.session.as_ref() {
            return failure(wants_json, StatusCode::BAD_REQUEST, AccuCode::InvalidData);
        }
        final_or_pending(
            &sandbox,
            auth,
            "Authentication completed at the issuer.".into(),
        )
    } else if auth.flow != Some(Flow::Seamless) {
        return failure(wants_json, StatusCode::BAD_REQUEST, AccuCode::InvalidData);
    } else if form.get(ACTION_FIELD).map(String::as_str) == Some(RESEND) {
        sandbox.calls.record(CONNECTOR, "callback_resend");
        match issuer.resend(CONNECTOR, &reference) {
            Ok((Resend::Sent { remaining }, session)) => {
                auth.retried = true;
                let mut step = pending_step(
                    "A new OTP has been sent to your mobile number.".into(),
                    None,
                );
                step.resends_remaining = Some(remaining);
                step.attempts_remaining = Some(session.otp.attempts_remaining());
                step
            }
            Ok((Resend::LimitReached, _)) => {
                let _ = issuer.finish(
                    CONNECTOR,
                    &reference,
                    Outcome::Failed(NpciCode::ResendsExhausted),
                );
                final_or_pending(
                    &sandbox,
                    auth,
                    npci_description(NpciCode::ResendsExhausted).into(),
                )
            }
            Err(_) => return failure(wants_json, StatusCode::NOT_FOUND, AccuCode::SessionExpired),
        }
    } else {
        sandbox.calls.record(CONNECTOR, "callback_otp");
        let otp = form.get(OTP_FIELD).map(|s| s.trim()).unwrap_or_default();
        match issuer.verify(CONNECTOR, &reference, otp) {
            Ok((Verify::Invalid { remaining }, session)) => {
                auth.retried = true;
                let message = format!("Invalid OTP. {remaining} attempt(s) left.");
                let mut step = pending_step(message, Some(NpciCode::InvalidOtp));
                step.attempts_remaining = Some(remaining);
                step.resends_remaining = Some(session.otp.resends_remaining());
                step
            }
            Ok((Verify::Expired, session)) if session.outcome == Outcome::Pending => {
                auth.retried = true;
                let mut step = pending_step(
                    "The OTP has expired: ask for a new one.".into(),
                    Some(NpciCode::ExpiredOtp),
                );
                step.attempts_remaining = Some(session.otp.attempts_remaining());
                step.resends_remaining = Some(session.otp.resends_remaining());
                step
            }
            Ok((v, _)) => final_or_pending(&sandbox, auth, npci_description(v.code()).into()),
            Err(_) => return failure(wants_json, StatusCode::NOT_FOUND, AccuCode::SessionExpired),
        }
    };
    let return_url = auth.redirect_response_url.clone().unwrap_or_default();
    if let Some(order) = orders.get_mut(&key) {
        order.updated = time::OffsetDateTime::now_utc();
    }
    drop(orders);
    let fields = merchant_fields(&target.order, &target.transaction, &step.state);
    if wants_json {
        let mut v = json!({
            "status": if step.pending { "pending" } else { "complete" },
            "message": step.message,
            "result": step.state.result,
            "order": {"id": target.order},
            "response": {"gatewayCode": step.state.gateway_code, "gatewayRecommendation": step.state.recommendation},
            "transaction": {"id": target.transaction, "authenticationStatus": step.state.authentication_status},
        });
        if let Some((code, description)) = &step.state.status {
            v["authentication"] = json!({"status": {"code": code, "description": description}});
        }
        if let Some(n) = step.attempts_remaining {
            v["attemptsRemaining"] = json!(n);
        }
        if let Some(n) = step.resends_remaining {
            v["resendsRemaining"] = json!(n);
        }
        if !step.pending {
            let map: serde_json::Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            v["action"] = json!(return_url);
            v["method"] = json!("POST");
            v["fields"] = Value::Object(map);
        }
        return Json(v).into_response();
    }
    if step.pending {
        let callback_url = format!(
            "{}{MOUNT}/api/callbackInterface/gateway/{hash}",
            sandbox.public_url(&headers)
        );
        let snippet = html::seamless(&callback_url, Some(&step.message));
        return Html(html::page(&snippet, &fields)).into_response();
    }
    Html(html::return_to_merchant(&return_url, &fields)).into_response()
}

/// The state after the issuer settled (or, for an early ACS return, still pending).
fn final_or_pending(sandbox: &Sandbox, auth: &AuthRecord, message: String) -> Step {
    let state = status::of(sandbox, auth);
    Step {
        pending: state.pending,
        message,
        state,
        attempts_remaining: None,
        resends_remaining: None,
    }
}

/// The fields the payer's browser carries back to the merchant (seed 001).
fn merchant_fields(order: &str, transaction: &str, state: &AuthState) -> Vec<(String, String)> {
    let (code, description) = state.status.clone().unwrap_or_default();
    vec![
        ("order.id".into(), order.into()),
        ("transaction.id".into(), transaction.into()),
        ("result".into(), state.result.into()),
        (
            "response.gatewayRecommendation".into(),
            state.recommendation.into(),
        ),
        ("authentication.status.code".into(), code),
        ("authentication.status.description".into(), description),
    ]
}

fn failure(wants_json: bool, status: StatusCode, code: AccuCode) -> Response {
    let description = status::accu_description(code);
    if wants_json {
        let body = json!({
            "status": "error",
            "result": "FAILURE",
            "authentication": {"status": {"code": code.as_str(), "description": description}},
        });
        return (status, Json(body)).into_response();
    }
    let page = html::page(
        &format!(
            "<p>{}: {}</p>",
            code.as_str(),
            crate::acs::escape(description)
        ),
        &[],
    );
    (status, Html(page)).into_response()
}

/// Form fields (urlencoded), or a JSON object's string fields.
fn read_form(headers: &HeaderMap, body: &str) -> HashMap<String, String> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        return match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(map)) => map
                .into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Number(n) => Some((k, n.to_string())),
                    _ => None,
                })
                .collect(),
            _ => HashMap::new(),
        };
    }
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    urlencoding::decode(&plus)
        .map(|c| c.into_owned())
        .unwrap_or(plus)
}
