//! The issuer's ACS page for redirect flows: the payer types the OTP (or asks for a new
//! one, or cancels), and the page then posts back to the merchant's return URL in the
//! shape of the provider that sent the payer here.
//!
//! `GET|POST /_sandbox/acs/{connector}/{reference}` opens the page (a POST's form fields,
//! e.g. Cybersource's `PaReq`, `TermUrl`, `MD`, are kept for the return);
//! `POST /_sandbox/acs/{connector}/{reference}/submit` with `otp=...` or `action=resend|cancel`.
//! With `Accept: application/json` the submit answers `{"status","message","action","method","fields"}`
//! instead of HTML, so tests need no HTML parsing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::npci::{NpciCode, Outcome, Resend, Verify};
use crate::state::Sandbox;
use crate::store::BoundedMap;

/// How the ACS session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcsResult {
    Authenticated,
    Failed(NpciCode),
    Cancelled,
}

/// Builds the fields posted back to the merchant for a result.
pub type ReturnFields = fn(&Sandbox, &AcsChallenge, AcsResult) -> Vec<(String, String)>;

/// A redirect challenge waiting at the ACS.
#[derive(Debug, Clone)]
pub struct AcsChallenge {
    pub connector: String,
    pub reference: String,
    /// Where the browser goes back to (from the API request, or posted to the ACS).
    pub return_url: Option<String>,
    /// Name of the posted field that carries the return URL (Cybersource: `TermUrl`).
    pub return_url_field: Option<&'static str>,
    /// Form fields the merchant posted to the ACS.
    pub posted: HashMap<String, String>,
    /// Fields the merchant's POST must carry with these values (Cybersource: `MD` = the
    /// xid, seed 004); a POST without them is refused with ACCU600 (invalid data).
    pub expects: Vec<(&'static str, String)>,
    pub return_fields: ReturnFields,
    /// What the payer is asked to approve, as the provider's request gave it.
    pub purchase: Option<Purchase>,
    /// The merchant whose request opened the challenge (filled in when it is registered):
    /// the page's answer is built with that merchant's tables and keys.
    pub merchant: Option<String>,
}

/// The purchase an issuer page shows the payer: who is paid, and how much.
#[derive(Debug, Clone)]
pub struct Purchase {
    pub merchant: String,
    pub amount_minor: i64,
    pub currency: String,
}

impl Purchase {
    /// `INR 100.00` (every RuPay currency has two decimals).
    fn amount(&self) -> String {
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let minor = self.amount_minor.unsigned_abs();
        format!("{} {sign}{}.{:02}", self.currency, minor / 100, minor % 100)
    }
}

/// Open ACS challenges.
#[derive(Debug)]
pub struct AcsStore {
    challenges: Mutex<BoundedMap<(String, String), AcsChallenge>>,
}

impl AcsStore {
    pub fn new(capacity: usize) -> Self {
        Self {
            challenges: Mutex::new(BoundedMap::new(capacity)),
        }
    }

    pub fn register(&self, mut challenge: AcsChallenge) {
        if challenge.merchant.is_none() {
            challenge.merchant = crate::merchants::current_merchant();
        }
        let key = (challenge.connector.clone(), challenge.reference.clone());
        self.lock().insert(key, challenge);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BoundedMap<(String, String), AcsChallenge>> {
        self.challenges.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, connector: &str, reference: &str) -> Option<AcsChallenge> {
        self.lock()
            .get(&(connector.to_owned(), reference.to_owned()))
            .cloned()
    }

    fn update(&self, challenge: AcsChallenge) {
        self.register(challenge);
    }
}

/// The ACS URL for a challenge.
pub fn acs_url(base: &str, connector: &str, reference: &str) -> String {
    format!(
        "{base}/_sandbox/acs/{connector}/{}",
        urlencoding::encode(reference)
    )
}

pub fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/acs/{connector}/{reference}", get(open).post(open))
        .route("/acs/{connector}/{reference}/submit", post(submit))
}

async fn open(
    State(sandbox): State<Arc<Sandbox>>,
    Path((connector, reference)): Path<(String, String)>,
    body: String,
) -> Response {
    let Some(mut challenge) = sandbox.acs.get(&connector, &reference) else {
        return (
            StatusCode::NOT_FOUND,
            Html(page(
                "Unknown session",
                "<p>ACCU700: session expired or unknown.</p>",
            )),
        )
            .into_response();
    };
    let posted: HashMap<String, String> = form_pairs(&body).collect();
    if let Some((field, _)) = challenge
        .expects
        .iter()
        .find(|(field, value)| posted.get(*field).map(|v| v.trim()) != Some(value.as_str()))
    {
        return (
            StatusCode::BAD_REQUEST,
            Html(page(
                "Invalid request",
                &format!("<p>ACCU600: invalid data ({}).</p>", escape(field)),
            )),
        )
            .into_response();
    }
    challenge.posted.extend(posted);
    if let Some(field) = challenge.return_url_field
        && let Some(url) = challenge.posted.get(field)
    {
        challenge.return_url = Some(url.trim().to_owned());
    }
    let page = otp_form(&sandbox, &challenge, None);
    sandbox.acs.update(challenge);
    Html(page).into_response()
}

async fn submit(
    State(sandbox): State<Arc<Sandbox>>,
    Path((connector, reference)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let Some(challenge) = sandbox.acs.get(&connector, &reference) else {
        return (StatusCode::NOT_FOUND, "unknown ACS session").into_response();
    };
    let form: HashMap<String, String> = form_pairs(&body).collect();
    let issuer = &sandbox.issuer;
    let result = match form.get("action").map(String::as_str) {
        Some("cancel") => {
            let _ = issuer.finish(&connector, &reference, Outcome::Cancelled);
            Some(AcsResult::Cancelled)
        }
        Some("resend") => match issuer.resend(&connector, &reference) {
            Ok((Resend::Sent { .. }, _)) => {
                return pending(&sandbox, wants_json, &challenge, "A new OTP has been sent.");
            }
            Ok((Resend::LimitReached, _)) => {
                let _ = issuer.finish(
                    &connector,
                    &reference,
                    Outcome::Failed(NpciCode::ResendsExhausted),
                );
                Some(AcsResult::Failed(NpciCode::ResendsExhausted))
            }
            Err(_) => Some(AcsResult::Failed(NpciCode::AttemptsExhausted)),
        },
        _ => {
            let otp = form.get("otp").map(String::as_str).unwrap_or_default();
            match issuer.verify(&connector, &reference, otp) {
                Ok((Verify::Success, _)) => Some(AcsResult::Authenticated),
                Ok((Verify::Invalid { remaining }, _)) => {
                    let msg = format!("Invalid OTP (450). {remaining} attempt(s) left.");
                    return pending(&sandbox, wants_json, &challenge, &msg);
                }
                Ok((Verify::Expired, _)) => {
                    let _ = issuer.finish(
                        &connector,
                        &reference,
                        Outcome::Failed(NpciCode::ExpiredOtp),
                    );
                    Some(AcsResult::Failed(NpciCode::ExpiredOtp))
                }
                Ok((Verify::Exhausted, _)) | Err(_) => {
                    Some(AcsResult::Failed(NpciCode::AttemptsExhausted))
                }
            }
        }
    };
    let result = result.unwrap_or(AcsResult::Failed(NpciCode::AttemptsExhausted));
    let fields = crate::merchants::with_merchant(challenge.merchant.clone(), || {
        (challenge.return_fields)(&sandbox, &challenge, result)
    });
    let action = challenge.return_url.clone().unwrap_or_default();
    if wants_json {
        let fields: serde_json::Map<String, serde_json::Value> = fields
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        return axum::Json(json!({
            "status": "complete",
            "result": format!("{result:?}"),
            "action": action,
            "method": "POST",
            "fields": fields,
        }))
        .into_response();
    }
    Html(auto_post(&action, &fields)).into_response()
}

fn pending(
    sandbox: &Sandbox,
    wants_json: bool,
    challenge: &AcsChallenge,
    message: &str,
) -> Response {
    if wants_json {
        axum::Json(json!({"status": "pending", "message": message})).into_response()
    } else {
        Html(otp_form(sandbox, challenge, Some(message))).into_response()
    }
}

fn form_pairs(body: &str) -> impl Iterator<Item = (String, String)> + '_ {
    body.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k), decode(v))
    })
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    urlencoding::decode(&plus)
        .map(|c| c.into_owned())
        .unwrap_or(plus)
}

/// Minimal HTML escaping for attribute and text content.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head><body>{body}</body></html>",
        escape(title)
    )
}

/// The issuer's page, with what a real one shows: who is paid and how much, the card (masked),
/// attempts and resends left, Submit, Resend and Cancel; and, being a sandbox, where the OTP is.
fn otp_form(sandbox: &Sandbox, challenge: &AcsChallenge, message: Option<&str>) -> String {
    let (connector, reference) = (&challenge.connector, &challenge.reference);
    let action = format!(
        "/_sandbox/acs/{}/{}/submit",
        escape(connector),
        escape(&urlencoding::encode(reference))
    );
    let note = message
        .map(|m| format!("<p class=\"message\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let purchase = challenge
        .purchase
        .as_ref()
        .map(|p| {
            format!(
                "<dt>Merchant</dt><dd class=\"merchant\">{}</dd><dt>Amount</dt><dd class=\"amount\">{}</dd>",
                escape(&p.merchant),
                escape(&p.amount())
            )
        })
        .unwrap_or_default();
    let session = sandbox.issuer.session(connector, reference);
    let card = session
        .as_ref()
        .map(|s| {
            let digits = s.card_number.len();
            let last4 = s
                .card_number
                .get(digits.saturating_sub(4)..)
                .unwrap_or_default();
            format!(
                "<dt>Card</dt><dd class=\"card\">RuPay &bull;&bull;&bull;&bull; {}</dd>",
                escape(last4)
            )
        })
        .unwrap_or_default();
    let left = session
        .as_ref()
        .map(|s| {
            format!(
                "<p class=\"attempts\">{} attempt(s) left; {} resend(s) left.</p>",
                s.otp.attempts_remaining(),
                s.otp.resends_remaining()
            )
        })
        .unwrap_or_default();
    page(
        "RuPay PaySecure - Sandbox ACS",
        &format!(
            "<h1>RuPay PaySecure (sandbox issuer)</h1><dl>{purchase}{card}</dl>\
             <p>Enter the one-time password sent to your phone.</p>{left}{note}\
             <form method=\"post\" action=\"{action}\"><label for=\"otp\">One-time password</label>\
             <input id=\"otp\" name=\"otp\" inputmode=\"numeric\" maxlength=\"6\" autocomplete=\"one-time-code\" autofocus>\
             <button type=\"submit\" name=\"action\" value=\"submit\">Submit</button>\
             <button type=\"submit\" name=\"action\" value=\"resend\">Resend OTP</button>\
             <button type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button></form>\
             <p class=\"hint\">Test page: no SMS is sent. The OTP is at \
             <code>GET /_sandbox/otp/{}/{}</code> on this sandbox.</p>",
            escape(connector),
            escape(&urlencoding::encode(reference))
        ),
    )
}

fn auto_post(action: &str, fields: &[(String, String)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Returning to merchant</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        escape(action)
    )
}
