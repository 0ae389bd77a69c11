//! Caller authentication: a bearer token maps a caller to its merchants; other merchants are
//! refused, unauthenticated calls too, while health and reflection stay open for probes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use payorch::api::GetAuthenticationRequest;
use payorch::config::{CallerSettings, Merchant, Secret};
use tonic::Code;

const UNKNOWN_ID: &str = "auth_0123456789abcdef0123456789abcdef";

fn get(merchant: &str, token: Option<&str>) -> tonic::Request<GetAuthenticationRequest> {
    let mut request = tonic::Request::new(GetAuthenticationRequest {
        id: UNKNOWN_ID.into(),
        refresh: false,
        merchant_id: merchant.into(),
    });
    if let Some(token) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    request
}

#[tokio::test]
async fn callers_act_only_for_their_merchants() {
    let mut settings = support::settings();
    settings.merchants.push(Merchant {
        id: "other".into(),
        connectors: vec!["cybersource".into()],
        accounts: Vec::new(),
        weights: None,
        rank_by_otp_success: false,
        rules: Vec::new(),
        category: None,
    });
    settings.callers = vec![CallerSettings {
        name: "checkout".into(),
        token: Secret::new("t-checkout-0123456789"),
        merchants: vec!["demo".into()],
    }];
    let server = support::start(settings).await;
    let mut client = support::authentications(server.grpc_addr).await;

    let anonymous = client
        .get_authentication(get("demo", None))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let forged = client
        .get_authentication(get("demo", Some("t-guess")))
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::Unauthenticated);
    let own = client
        .get_authentication(get("demo", Some("t-checkout-0123456789")))
        .await
        .unwrap_err();
    assert_eq!(
        own.code(),
        Code::NotFound,
        "authenticated, and the id is simply unknown"
    );
    let foreign = client
        .get_authentication(get("other", Some("t-checkout-0123456789")))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::PermissionDenied);
    assert!(
        !format!("{foreign:?}").contains("t-checkout"),
        "the token is never echoed"
    );

    // Probes need no token.
    assert_eq!(support::health(server.grpc_addr, "").await, 1);
    server.shutdown().await.unwrap();
}
