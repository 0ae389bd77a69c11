//! The real binary on a production-shaped Redis: `REDIS_URL=rediss://user:password@...` to a
//! server that speaks only TLS, signed by a private CA named by `PAYORCH_STORE__TLS__CA_FILE`,
//! the `default` user off and an ACL user limited to `payorch:*` keys. A whole payment runs
//! through it and lands in that Redis; a CA file that is missing or does not sign the server
//! stops start-up with a clear error that never shows the password.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use payorch::api::{FlowPreference, PaymentStatus};
use payorch_store::testing::TlsRedis;
use payorch_store::{CardCipher, Lifetimes, RedisStore, RedisTls, RedisTopology, SessionStore};
use support::examples::Binary;
use support::flows;

fn env<'a>(redis: &'a str, ca: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("REDIS_URL", redis),
        ("PAYORCH_STORE__TLS__CA_FILE", ca),
        ("PAYORCH_ENCRYPTION__ACTIVE_KEY_ID", "k1"),
        ("PAYORCH_ENCRYPTION__KEYS__K1", support::ENCRYPTION_KEY),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_runs_on_redis_over_tls_as_an_acl_user() {
    let redis = TlsRedis::start(false);
    let (url, ca) = (redis.url(), redis.ca_file().to_string_lossy().into_owned());
    let mut payorch = Binary::spawn(&env(&url, &ca));
    payorch.wait_until_serving().await;
    let ready = support::eventually(Duration::from_secs(10), || async {
        reqwest::get(format!("http://{}/readyz", payorch.http))
            .await
            .is_ok_and(|a| a.status().is_success())
    })
    .await;
    assert!(
        ready,
        "ready on Redis over TLS:\n{}",
        payorch.output().join("\n")
    );

    let mut auth = support::authentications(payorch.grpc).await;
    let started = auth
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    let otp = flows::otp(payorch.sandbox, &started.connector, &started).await;
    let verified = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    let payment = support::payments(payorch.grpc)
        .await
        .authorize(flows::authorize(&verified, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PaymentStatus::Captured);

    // It is in that Redis, read back over TLS as the same user.
    let store = RedisStore::connect_with_tls(
        &RedisTopology::Single(url.clone()),
        &RedisTls {
            ca_pem: Some(std::fs::read(redis.ca_file()).unwrap()),
            ..RedisTls::default()
        },
        CardCipher::from_base64_keys("k1", [("k1", support::ENCRYPTION_KEY)]).unwrap(),
        Lifetimes::default(),
    )
    .await
    .unwrap();
    let stored = store.get_payment(&payment.id).await.unwrap().unwrap();
    assert_eq!(stored.status.as_str(), "CAPTURED");
    let output = payorch.output().join("\n");
    assert!(
        !output.contains(TlsRedis::PASSWORD),
        "the Redis password was printed:\n{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_ca_file_stops_start_up_without_showing_the_password() {
    let redis = TlsRedis::start(false);
    let url = redis.url();
    let other = redis.other_ca_file().to_string_lossy().into_owned();
    for (ca, says) in [
        (other.as_str(), "session store"),
        (
            "/nonexistent/ca.pem",
            "store.tls.ca_file /nonexistent/ca.pem",
        ),
    ] {
        let mut payorch = Binary::spawn(&env(&url, ca));
        let exited = support::eventually(Duration::from_secs(30), || {
            let done = payorch.child.try_wait().unwrap().is_some();
            async move { done }
        })
        .await;
        let output = payorch.output().join("\n");
        assert!(exited, "payorch kept running with {ca}:\n{output}");
        assert!(!payorch.child.wait().unwrap().success());
        assert!(
            output.contains(says),
            "{ca}: does not say {says:?}:\n{output}"
        );
        assert!(
            !output.contains(TlsRedis::PASSWORD),
            "the Redis password was printed:\n{output}"
        );
    }
}
