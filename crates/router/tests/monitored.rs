//! The breaker learns only from calls that reached for the provider: a real adapter
//! (Cybersource) pointed at a closed port.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use payorch_connector::model::EligibilityRequest;
use payorch_connector::testing::{browser, card, ctx, inr, new_session, start_request};
use payorch_connector::{Authenticator, Connector, ConnectorError};
use payorch_cybersource::{CybersourceConfig, CybersourceConnector};
use payorch_router::{Breaker, BreakerSettings, BreakerState, Monitored};

fn unreachable_account(breaker: &Arc<Breaker>) -> Monitored {
    // Nothing listens on port 1: every connection is refused.
    let config = CybersourceConfig::new(
        "http://127.0.0.1:1",
        "payorch_test",
        "key",
        "bm9u4K9TfdvYoeO7J77B+uVwHf5lC21TsIyqP7XxnTM=",
    );
    let adapter = CybersourceConnector::new(config).unwrap();
    Monitored::new(Arc::new(adapter), breaker.clone(), "cs_test")
}

#[tokio::test]
async fn a_refused_connection_counts_and_an_answer_made_without_a_call_does_not() {
    let breaker = Arc::new(Breaker::new(BreakerSettings {
        failure_threshold: 1,
        open_for: Duration::ZERO,
    }));
    let account = unreachable_account(&breaker);
    let card = card("5085000000000015");
    let browser = browser();
    let session = new_session("cybersource", "auth_monitored", card.clone(), inr(10_000));
    let request = start_request(&session, &card, &browser, None, false);
    let refused = account.start_authentication(&ctx(), &request).await;
    assert!(
        matches!(refused, Err(ConnectorError::NotSent(_))),
        "{refused:?}"
    );
    assert_eq!(breaker.state(Instant::now()), BreakerState::HalfOpen);

    // Cybersource decides eligibility from the BIN, without a call: no news of the provider.
    let eligibility = account
        .check_eligibility(
            &ctx(),
            &EligibilityRequest {
                card: &card,
                amount: None,
            },
        )
        .await
        .unwrap();
    assert!(eligibility.available);
    assert_eq!(breaker.state(Instant::now()), BreakerState::HalfOpen);
}
