//! The resolver settles records nobody asks about: a lost Authorize answer, a session a dead
//! replica left VERIFYING, a session whose window passed. Real gRPC, the sandbox over HTTP, a
//! real redis-server; the resolver's timings shortened by settings, nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use payorch::api::{AuthenticationStatus as AS, FlowPreference};
use payorch::app::Running;
use payorch_core::status::{AuthenticationStatus, PaymentStatus};
use payorch_store::testing::RedisServer;
use payorch_store::{CardCipher, Lifetimes, RedisStore, RedisTopology, SessionStore};
use support::flows;

struct Stack {
    redis: RedisServer,
    payorch: Running,
    sandbox: std::net::SocketAddr,
    connector: &'static str,
}

async fn stack(connector: &'static str) -> Stack {
    let redis = RedisServer::start();
    let mut settings = support::redis_settings(&redis.url());
    settings.merchants[0].connectors = vec![connector.into()];
    settings.resolver.tick_ms = 100;
    settings.resolver.first_check_secs = 1;
    settings.resolver.stale_claim_secs = 5;
    let payorch = support::start(settings).await;
    let sandbox = payorch.sandbox_addr.unwrap();
    Stack {
        redis,
        payorch,
        sandbox,
        connector,
    }
}

impl Stack {
    /// The store as another replica with the same settings sees it.
    async fn store(&self) -> RedisStore {
        let cipher = CardCipher::from_base64_keys("k1", [("k1", support::ENCRYPTION_KEY)]).unwrap();
        RedisStore::connect(
            &RedisTopology::Single(self.redis.url()),
            cipher,
            Lifetimes {
                resolver_first_check: Duration::from_secs(1),
                ..Lifetimes::default()
            },
        )
        .await
        .unwrap()
    }

    async fn sandbox_json(&self, path: &str) -> serde_json::Value {
        reqwest::get(format!("http://{}{path}", self.sandbox))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn calls(&self, op: &str) -> u64 {
        self.sandbox_json("/_sandbox/calls").await[self.connector][op]
            .as_u64()
            .unwrap_or(0)
    }

    async fn arm(&self, fault: &str) {
        reqwest::Client::new()
            .put(format!("http://{}/_sandbox/faults", self.sandbox))
            .json(&serde_json::json!({"connector": self.connector, "fault": fault, "count": 1}))
            .send()
            .await
            .unwrap();
    }

    async fn succeeded(&self) -> payorch::api::Authentication {
        let mut auth = support::authentications(self.payorch.grpc_addr).await;
        let started = auth
            .start_authentication(flows::start_request(
                flows::SEAMLESS,
                FlowPreference::Seamless,
            ))
            .await
            .unwrap()
            .into_inner();
        let otp = self
            .sandbox_json(&format!(
                "/_sandbox/otp/{}/{}",
                self.connector, started.provider_reference
            ))
            .await["otp"]
            .as_str()
            .unwrap()
            .to_owned();
        let done = auth
            .submit_otp(flows::submit(&started, &otp))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(done.status(), AS::Succeeded);
        done
    }
}

/// An Authorize whose answer was lost (UNKNOWN) is settled by the resolver with no caller
/// asking, by reading the provider: CAPTURED, and the provider authorized exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_authorize_answer_settles_without_a_caller() {
    for (connector, authorize_op) in [("cybersource", "authorization"), ("mpgs", "pay")] {
        let stack = stack(connector).await;
        let done = stack.succeeded().await;
        stack.arm("timeout").await;
        let mut request = tonic::Request::new(flows::authorize(&done, true));
        request.set_timeout(Duration::from_secs(3));
        let payment = support::payments(stack.payorch.grpc_addr)
            .await
            .authorize(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            payment.status(),
            payorch::api::PaymentStatus::Unknown,
            "{connector}"
        );
        let store = stack.store().await;
        let settled = support::eventually(Duration::from_secs(20), || async {
            store
                .get_payment(&payment.id)
                .await
                .unwrap()
                .is_some_and(|p| p.status == PaymentStatus::Captured && p.in_flight.is_none())
        })
        .await;
        assert!(settled, "{connector}: the resolver settled the payment");
        assert_eq!(stack.calls(authorize_op).await, 1, "{connector}: no repeat");
    }
}

/// A session a dead replica left VERIFYING (it claimed the session, then died before its
/// provider call) goes back to OTP_REQUIRED once the claim is stale, so the payer's OTP can
/// still be submitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_left_by_a_dead_replica_is_recovered() {
    for connector in ["cybersource", "fiserv-ipg", "mpgs", "juspay"] {
        let stack = stack(connector).await;
        let mut auth = support::authentications(stack.payorch.grpc_addr).await;
        let started = auth
            .start_authentication(flows::start_request(
                flows::SEAMLESS,
                FlowPreference::Seamless,
            ))
            .await
            .unwrap()
            .into_inner();
        let store = stack.store().await;
        let session = store.get(&started.id).await.unwrap().unwrap();
        let mut claimed = session.clone();
        claimed.status = AuthenticationStatus::Verifying;
        store.transition(&session, claimed).await.unwrap();
        let recovered = support::eventually(Duration::from_secs(20), || async {
            store
                .get(&started.id)
                .await
                .unwrap()
                .is_some_and(|s| s.status == AuthenticationStatus::OtpRequired)
        })
        .await;
        assert!(recovered, "{connector}: the claim was recovered");
        let otp = stack
            .sandbox_json(&format!(
                "/_sandbox/otp/{connector}/{}",
                started.provider_reference
            ))
            .await["otp"]
            .as_str()
            .unwrap()
            .to_owned();
        let done = auth
            .submit_otp(flows::submit(&started, &otp))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(done.status(), AS::Succeeded, "{connector}: {done:?}");
    }
}

/// A session whose window passes while nobody reads it is EXPIRED in the store itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_its_window_expires_without_a_read() {
    let redis = RedisServer::start();
    let mut settings = support::redis_settings(&redis.url());
    settings.merchants[0].connectors = vec!["cybersource".into()];
    settings.resolver.tick_ms = 100;
    settings.retention.authentication_window_secs = 1;
    let payorch = support::start(settings).await;
    let started = support::authentications(payorch.grpc_addr)
        .await
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    let cipher = CardCipher::from_base64_keys("k1", [("k1", support::ENCRYPTION_KEY)]).unwrap();
    let store = RedisStore::connect(
        &RedisTopology::Single(redis.url()),
        cipher,
        Lifetimes::default(),
    )
    .await
    .unwrap();
    let expired = support::eventually(Duration::from_secs(10), || async {
        store
            .get(&started.id)
            .await
            .unwrap()
            .is_some_and(|s| s.status == AuthenticationStatus::Expired && s.card.is_none())
    })
    .await;
    assert!(expired, "expired, and its card data erased");
}

/// An Authorize the provider never processed (a 503 before it acted) is UNKNOWN at first; a
/// provider that keeps answering "no such transaction" past the not-found horizon is an
/// answer: the resolver puts the payment back to PENDING with nothing in flight, and the
/// authentication, its card kept sealed, authorizes again: one authorization in all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorize_the_provider_never_processed_may_be_retried() {
    for (connector, authorize_op) in [
        ("cybersource", "authorization"),
        ("fiserv-ipg", "sale"),
        ("mpgs", "pay"),
    ] {
        let redis = RedisServer::start();
        let mut settings = support::redis_settings(&redis.url());
        settings.merchants[0].connectors = vec![connector.into()];
        settings.resolver.tick_ms = 100;
        settings.resolver.first_check_secs = 1;
        settings.resolver.not_found_secs = 2;
        let payorch = support::start(settings).await;
        let sandbox = payorch.sandbox_addr.unwrap();
        let stack = Stack {
            redis,
            payorch,
            sandbox,
            connector,
        };
        let done = stack.succeeded().await;
        stack.arm("status=503").await;
        let mut payments = support::payments(stack.payorch.grpc_addr).await;
        let first = payments
            .authorize(flows::authorize(&done, true))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            first.status(),
            payorch::api::PaymentStatus::Unknown,
            "{connector}: {first:?}"
        );
        let store = stack.store().await;
        let released = support::eventually(Duration::from_secs(20), || async {
            store
                .get_payment(&first.id)
                .await
                .unwrap()
                .is_some_and(|p| p.status == PaymentStatus::Pending && p.in_flight.is_none())
        })
        .await;
        assert!(released, "{connector}: settled as never processed");
        let again = payments
            .authorize(flows::authorize(&done, true))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            again.status(),
            payorch::api::PaymentStatus::Captured,
            "{connector}: {again:?}"
        );
        assert_eq!(again.id, first.id, "{connector}: the same payment");
        assert_eq!(
            stack.calls(authorize_op).await,
            1,
            "{connector}: one authorization reached the provider"
        );
        let kinds: Vec<_> = again
            .operations
            .iter()
            .map(|op| (op.kind(), op.status()))
            .collect();
        use payorch::api::{PaymentOperationKind as K, PaymentOperationStatus as S};
        assert_eq!(
            kinds,
            vec![
                (K::Authorization, S::Failed),
                (K::Authorization, S::Succeeded)
            ],
            "{connector}"
        );
    }
}
