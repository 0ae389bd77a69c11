//! The issuer page's return: `POST /v1/callbacks/{authentication_id}`. The browser's
//! parameters are verified with the provider (never trusted alone), the session moves once,
//! and the browser is sent on to the merchant's return URL with the outcome.
//!
//! A payer never meets a dead end: a second (replayed, double-clicked, concurrent) return
//! gets the same 303 with the stored status, and a return that cannot complete the session
//! still sends the payer to the merchant with the session's current status. Ids that are
//! unknown or belong to no redirect session are answered alike, with one page that says
//! nothing about them, so the endpoint does not reveal which ids exist.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::api;
use crate::grpc::validate::{AUTHENTICATION_ID_PREFIX, is_resource_id};
use crate::http::HttpState;

/// How long a browser callback may spend verifying with the provider.
const CALLBACK_DEADLINE: Duration = Duration::from_secs(20);

pub async fn complete(
    State(state): State<HttpState>,
    Path(authentication_id): Path<String>,
    Form(params): Form<BTreeMap<String, String>>,
) -> Response {
    if !is_resource_id(&authentication_id, AUTHENTICATION_ID_PREFIX) {
        return not_a_payment_page();
    }
    // Runs to completion even if the browser goes away: the provider's answer is stored.
    let flows = state.flows.clone();
    let id = authentication_id.clone();
    let result = crate::grpc::detached(async move {
        flows
            .complete_redirect(None, &id, &params, Some(CALLBACK_DEADLINE))
            .await
    })
    .await;
    match result {
        Ok((authentication, return_url)) => see_other(&return_url, &authentication),
        Err(status) => {
            tracing::warn!(%authentication_id, code = ?status.code(), "redirect callback did not complete the session");
            match state.flows.return_after_refusal(&authentication_id).await {
                Some((authentication, return_url)) => see_other(&return_url, &authentication),
                None => not_a_payment_page(),
            }
        }
    }
}

/// 303 to the merchant's return URL, carrying only the id and the unified status (the
/// merchant reads the rest with GetAuthentication).
fn see_other(return_url: &str, authentication: &api::Authentication) -> Response {
    let status = authentication.status().as_str_name();
    let separator = if return_url.contains('?') { '&' } else { '?' };
    let location = format!(
        "{return_url}{separator}authentication_id={}&status={status}",
        authentication.id
    );
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// The one page for returns payorch cannot place: a human page, not a bare error.
fn not_a_payment_page() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Payment page not available</title></head><body>\
             <h1>This payment page is not available</h1>\
             <p>The payment it belonged to has finished or does not exist. \
             Please go back to the shop: it confirms any payment you completed.</p>\
             </body></html>",
        ),
    )
        .into_response()
}
