//! Redis as production runs it: `rediss://` to a server that speaks only TLS, with a private
//! CA, an ACL user limited to `payorch:*` keys (the `default` user off), and optionally
//! mutual TLS. The whole conformance suite runs over it (so every command payorch sends
//! fits that ACL), and every way of getting it wrong is refused, never silently downgraded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod conformance;

use std::sync::Arc;

use payorch_store::testing::TlsRedis;
use payorch_store::{
    CardCipher, Lifetimes, RedisStore, RedisTls, RedisTopology, SessionStore, StoreError,
};

const KEY: &str = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="; // 32 bytes, base64

fn cipher() -> CardCipher {
    CardCipher::from_base64_keys("k1", [("k1", KEY)]).unwrap()
}

fn trusting(ca: &std::path::Path) -> RedisTls {
    RedisTls {
        ca_pem: Some(std::fs::read(ca).unwrap()),
        ..RedisTls::default()
    }
}

async fn connect(url: &str, tls: &RedisTls) -> Result<RedisStore, StoreError> {
    RedisStore::connect_with_tls(
        &RedisTopology::Single(url.to_owned()),
        tls,
        cipher(),
        Lifetimes::default(),
    )
    .await
}

async fn redis_over_tls(lifetimes: Lifetimes) -> (Arc<dyn SessionStore>, TlsRedis) {
    let server = TlsRedis::start(false);
    let store = RedisStore::connect_with_tls(
        &RedisTopology::Single(server.url()),
        &trusting(&server.ca_file()),
        cipher(),
        lifetimes,
    )
    .await
    .expect("connect over TLS as the ACL user");
    (Arc::new(store), server)
}

conformance_suite!(redis_over_tls);

#[tokio::test]
async fn a_server_not_signed_by_the_configured_ca_is_refused() {
    let server = TlsRedis::start(false);
    let refused = connect(&server.url(), &trusting(&server.other_ca_file())).await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "another CA"
    );
    // The system's roots do not know the test CA either.
    let refused = connect(&server.url(), &RedisTls::default()).await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "system roots"
    );
}

#[tokio::test]
async fn plain_redis_to_a_tls_server_is_refused() {
    let server = TlsRedis::start(false);
    let plain = format!(
        "redis://{}:{}@127.0.0.1:{}/0",
        TlsRedis::USER,
        TlsRedis::PASSWORD,
        server.port()
    );
    assert!(matches!(
        connect(&plain, &RedisTls::default()).await,
        Err(StoreError::Unavailable(_))
    ));
    // TLS settings with a plain URL are a configuration error, not quietly ignored.
    let refused = connect(&plain, &trusting(&server.ca_file())).await;
    assert!(
        matches!(refused, Err(StoreError::Config(_))),
        "{:?}",
        refused.err()
    );
}

#[tokio::test]
async fn a_wrong_password_or_the_default_user_is_refused() {
    let server = TlsRedis::start(false);
    let tls = trusting(&server.ca_file());
    let wrong = server.url().replace(TlsRedis::PASSWORD, "not-the-password");
    let default_user = format!("rediss://127.0.0.1:{}/0", server.port());
    for url in [wrong, default_user] {
        let store = connect(&url, &tls).await;
        let refused = match store {
            Err(e) => e,
            Ok(store) => store.ping().await.unwrap_err(),
        };
        assert!(
            !refused.to_string().contains(TlsRedis::PASSWORD),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let server = TlsRedis::start(true);
    let mut tls = trusting(&server.ca_file());
    let refused = match connect(&server.url(), &tls).await {
        Err(e) => e,
        Ok(store) => store.ping().await.unwrap_err(),
    };
    assert!(matches!(refused, StoreError::Unavailable(_)), "{refused:?}");

    tls.client_cert_pem = Some(std::fs::read(server.client_cert_file()).unwrap());
    let half = connect(&server.url(), &tls).await;
    assert!(
        matches!(half, Err(StoreError::Config(_))),
        "a certificate without its key"
    );
    tls.client_key_pem = Some(std::fs::read(server.client_key_file()).unwrap());
    let store = connect(&server.url(), &tls).await.expect("mutual TLS");
    store.ping().await.unwrap();
    let created = store
        .create(conformance::session(
            payorch_core::status::AuthenticationStatus::OtpRequired,
        ))
        .await
        .unwrap();
    assert!(store.get(&created.id).await.unwrap().is_some());
}
