//! The issuer page's return: `POST /v1/callbacks/{authentication_id}`. The browser's
//! parameters are verified with the provider (never trusted alone), the session moves once,
//! and the browser is sent on to the merchant's return URL with the outcome.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

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
        return (StatusCode::NOT_FOUND, "unknown authentication").into_response();
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
            tracing::warn!(%authentication_id, code = ?status.code(), "redirect callback refused");
            let code = match status.code() {
                tonic::Code::NotFound => StatusCode::NOT_FOUND,
                tonic::Code::FailedPrecondition | tonic::Code::Aborted => StatusCode::CONFLICT,
                tonic::Code::InvalidArgument => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            };
            (
                code,
                "the authentication could not be completed; the merchant will be told",
            )
                .into_response()
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
