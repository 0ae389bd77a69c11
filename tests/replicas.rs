//! Two payorch instances sharing one real redis-server: a session written by one is read by
//! the other, scoped to its merchant; readiness follows Redis down and back up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use payorch::api::{self, GetAuthenticationRequest};
use payorch_core::card::Card;
use payorch_core::money::Money;
use payorch_core::session::{AuthenticationSession, NextAction};
use payorch_core::status::{AuthenticationStatus, Flow};
use payorch_store::testing::RedisServer;
use payorch_store::{CardCipher, Lifetimes, RedisStore, RedisTopology, SessionStore};
use tonic::Code;

const PAN: &str = "6521500000000014";

fn seeded_session() -> AuthenticationSession {
    let now = payorch_store::ttl::now_ms();
    AuthenticationSession {
        routing: None,
        id: "auth_00000000000000000000000000000001".into(),
        merchant_id: "demo".into(),
        connector: "cybersource".into(),
        status: AuthenticationStatus::OtpRequired,
        flow: Some(Flow::Seamless),
        amount: Money::new(250_000, "INR").unwrap(),
        card_bin: "652150".into(),
        card_last4: "0014".into(),
        failure_reason: None,
        recommendation: None,
        provider_status: None,
        provider_reference: Some("7000000000000000000001".into()),
        attempts_remaining: 3,
        resends_remaining: 2,
        expires_at_ms: Some(now + 300_000),
        next_action: Some(NextAction::CollectOtp {
            expires_at_ms: Some(now + 300_000),
            otp_length: 6,
        }),
        return_url: "https://merchant.example/return".into(),
        order_reference: "ORD-9".into(),
        connector_state: None,
        capture: false,
        completed_by: None,
        cancel_reason: None,
        claim: None,
        created_at_ms: now,
        updated_at_ms: now,
        version: 0,
        card: Some(Card::parse(PAN, "12", "2031", Some("123"), None, 2026, 11).unwrap()),
    }
}

#[tokio::test]
async fn a_session_written_by_one_replica_is_served_by_another() {
    let redis = RedisServer::start();
    let cipher = CardCipher::from_base64_keys("k1", [("k1", support::ENCRYPTION_KEY)]).unwrap();
    let writer = RedisStore::connect(
        &RedisTopology::Single(redis.url()),
        cipher,
        Lifetimes::default(),
    )
    .await
    .unwrap();
    writer.create(seeded_session()).await.unwrap();

    let replica = support::start(support::redis_settings(&redis.url())).await;
    let mut client = support::authentications(replica.grpc_addr).await;
    let got = client
        .get_authentication(GetAuthenticationRequest {
            id: "auth_00000000000000000000000000000001".into(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.status(), api::AuthenticationStatus::OtpRequired);
    assert_eq!(got.flow(), api::Flow::Seamless);
    assert_eq!(
        (got.card_bin.as_str(), got.card_last4.as_str()),
        ("652150", "0014")
    );
    assert_eq!(got.amount.as_ref().map(|m| m.minor_units), Some(250_000));
    match got.next_action.and_then(|a| a.action) {
        Some(api::next_action::Action::CollectOtp(otp)) => {
            assert_eq!(
                (
                    otp.otp_length,
                    otp.attempts_remaining,
                    otp.resends_remaining
                ),
                (6, 3, 2)
            );
        }
        other => panic!("expected collect_otp, got {other:?}"),
    }
    let printed = format!(
        "{:?}",
        client
            .get_authentication(GetAuthenticationRequest {
                id: "auth_00000000000000000000000000000001".into(),
                refresh: false,
                merchant_id: "demo".into(),
            })
            .await
            .unwrap()
    );
    assert!(!printed.contains(PAN), "the PAN reached the API answer");

    // Another merchant cannot see it.
    let mut settings = support::redis_settings(&redis.url());
    settings.merchants.push(payorch::config::Merchant {
        id: "other".into(),
        connectors: vec!["cybersource".into()],
        accounts: Vec::new(),
        weights: None,
        rank_by_otp_success: false,
        rules: Vec::new(),
        category: None,
    });
    let second = support::start(settings).await;
    let mut other = support::authentications(second.grpc_addr).await;
    let status = other
        .get_authentication(GetAuthenticationRequest {
            id: "auth_00000000000000000000000000000001".into(),
            refresh: false,
            merchant_id: "other".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    replica.shutdown().await.unwrap();
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn readiness_follows_redis_and_calls_fail_fast_while_it_is_down() {
    let redis = RedisServer::start();
    let port = redis.port();
    let server = support::start(support::redis_settings(&redis.url())).await;
    let (grpc, http) = (server.grpc_addr, server.http_addr);
    assert!(
        support::eventually(Duration::from_secs(5), || async {
            support::health(grpc, "").await == 1
        })
        .await
    );

    drop(redis);
    let not_serving = support::eventually(Duration::from_secs(10), || async {
        support::health(grpc, "").await == 2
    })
    .await;
    assert!(not_serving, "health stayed SERVING with Redis down");
    let readyz = reqwest::get(format!("http://{http}/readyz")).await.unwrap();
    assert_eq!(readyz.status(), 503);

    let mut client = support::authentications(grpc).await;
    let started = std::time::Instant::now();
    let status = client
        .get_authentication(GetAuthenticationRequest {
            id: "auth_00000000000000000000000000000001".into(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );

    let restarted = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _redis = Kill(restarted);
    let serving = support::eventually(Duration::from_secs(15), || async {
        support::health(grpc, "").await == 1
    })
    .await;
    assert!(serving, "health did not come back when Redis did");
    server.shutdown().await.unwrap();
}
