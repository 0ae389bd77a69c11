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

use payorch_core::session::AuthenticationSession;
use payorch_core::status::AuthenticationStatus;

use crate::flows::error::FlowError;
use crate::http::HttpState;
use crate::ids::{AUTHENTICATION_ID_PREFIX, is_resource_id};

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
    let result = crate::flows::detached(
        async move {
            flows
                .complete_redirect(None, &id, &params, Some(CALLBACK_DEADLINE))
                .await
        },
        || FlowError::internal("the callback's task failed"),
    )
    .await;
    match result {
        Ok((authentication, return_url)) => see_other(&return_url, &authentication),
        Err(err) => {
            tracing::warn!(%authentication_id, reason = err.reason, "redirect callback did not complete the session");
            match state.flows.return_after_refusal(&authentication_id).await {
                Some((authentication, return_url)) => see_other(&return_url, &authentication),
                None => not_a_payment_page(),
            }
        }
    }
}

/// 303 to the merchant's return URL, carrying only the id and the unified status (the
/// merchant reads the rest with GetAuthentication).
fn see_other(return_url: &str, authentication: &AuthenticationSession) -> Response {
    let status = status_name(authentication.status);
    let separator = if return_url.contains('?') { '&' } else { '?' };
    let location = format!(
        "{return_url}{separator}authentication_id={}&status={status}",
        authentication.id
    );
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// The status as the API's enum names it (`AUTHENTICATION_STATUS_SUCCEEDED`), the form
/// merchants already switch on.
fn status_name(status: AuthenticationStatus) -> String {
    format!("AUTHENTICATION_STATUS_{}", status.as_str())
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

#[cfg(test)]
mod tests {
    use super::status_name;
    use payorch_core::status::AuthenticationStatus;

    /// The redirect carries the same names as the gRPC API.
    #[test]
    fn status_names_are_the_apis() {
        for &status in AuthenticationStatus::ALL {
            assert_eq!(
                status_name(status),
                crate::grpc::resources::authentication_status(status).as_str_name()
            );
        }
    }
}
