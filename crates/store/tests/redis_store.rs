//! The conformance suite against a real redis-server, plus what only Redis can show:
//! card data encrypted at rest, hash-tagged keys, and failing fast when Redis is gone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod conformance;

use std::sync::Arc;
use std::time::{Duration, Instant};

use payorch_core::status::AuthenticationStatus;
use payorch_store::testing::RedisServer;
use payorch_store::{CardCipher, Lifetimes, RedisStore, RedisTopology, SessionStore, StoreError};

const KEY: &str = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="; // 32 bytes, base64

fn cipher() -> CardCipher {
    CardCipher::from_base64_keys("k1", [("k1", KEY)]).unwrap()
}

async fn redis(lifetimes: Lifetimes) -> (Arc<dyn SessionStore>, RedisServer) {
    let server = RedisServer::start();
    let store = RedisStore::connect(&RedisTopology::Single(server.url()), cipher(), lifetimes)
        .await
        .expect("connect to the test redis-server");
    (Arc::new(store), server)
}

conformance_suite!(redis);

async fn raw(server: &RedisServer, args: &[&str]) -> redis::Value {
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(&mut conn).await.unwrap()
}

#[tokio::test]
async fn card_data_is_encrypted_at_rest_under_a_hash_tagged_key() {
    let (store, server) = redis(Lifetimes::default()).await;
    let created = store
        .create(conformance::session(AuthenticationStatus::OtpRequired))
        .await
        .unwrap();
    let key = format!("payorch:{{auth:{}}}", created.id);
    let dump = format!("{:?}", raw(&server, &["HGETALL", &key]).await);
    assert!(dump.contains("card"), "the record has a sealed card field");
    assert!(
        !dump.contains(conformance::PAN),
        "PAN stored in clear: {dump}"
    );
    assert!(!dump.contains("\"123\""), "CVV stored in clear");
    let ttl = raw(&server, &["PTTL", &key]).await;
    assert!(
        matches!(ttl, redis::Value::Int(ms) if ms > 0),
        "session has a TTL: {ttl:?}"
    );
}

/// Mandates are durable while they can be used (no TTL: Redis persistence keeps them) and
/// take the payments' retention once final.
#[tokio::test]
async fn an_active_mandate_has_no_ttl_and_a_final_one_has_one() {
    let (store, server) = redis(Lifetimes::default()).await;
    let created = store.create_mandate(conformance::mandate()).await.unwrap();
    let key = format!("payorch:{{mdt:{}}}", created.id);
    let ttl = raw(&server, &["PTTL", &key]).await;
    assert!(matches!(ttl, redis::Value::Int(-1)), "no TTL: {ttl:?}");
    let mut cancelled = created.clone();
    cancelled.status = payorch_core::mandate::MandateStatus::Cancelled;
    store.update_mandate(&created, cancelled).await.unwrap();
    let ttl = raw(&server, &["PTTL", &key]).await;
    assert!(
        matches!(ttl, redis::Value::Int(ms) if ms > 0),
        "a final mandate expires: {ttl:?}"
    );
}

#[tokio::test]
async fn a_record_sealed_under_a_retired_key_still_opens_after_rotation() {
    let server = RedisServer::start();
    let topology = RedisTopology::Single(server.url());
    let old = RedisStore::connect(&topology, cipher(), Lifetimes::default())
        .await
        .unwrap();
    let created = old
        .create(conformance::session(AuthenticationStatus::OtpRequired))
        .await
        .unwrap();
    let new_key = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
    let rotated = CardCipher::from_base64_keys("k2", [("k1", KEY), ("k2", new_key)]).unwrap();
    let new = RedisStore::connect(&topology, rotated, Lifetimes::default())
        .await
        .unwrap();
    let read = new.get(&created.id).await.unwrap().unwrap();
    assert_eq!(read.card.unwrap().number.expose(), conformance::PAN);
    // Without the old key the record is refused, never misread.
    let only_new = CardCipher::from_base64_keys("k2", [("k2", new_key)]).unwrap();
    let blind = RedisStore::connect(&topology, only_new, Lifetimes::default())
        .await
        .unwrap();
    assert!(matches!(
        blind.get(&created.id).await,
        Err(StoreError::Corrupt(_))
    ));
}

#[tokio::test]
async fn two_store_instances_share_sessions_through_redis() {
    let (first, server) = redis(Lifetimes::default()).await;
    let second = RedisStore::connect(
        &RedisTopology::Single(server.url()),
        cipher(),
        Lifetimes::default(),
    )
    .await
    .unwrap();
    let created = first
        .create(conformance::session(AuthenticationStatus::OtpRequired))
        .await
        .unwrap();
    let seen = second.get(&created.id).await.unwrap().unwrap();
    let mut next = seen.clone();
    next.status = AuthenticationStatus::Verifying;
    second.transition(&seen, next).await.unwrap();
    assert_eq!(
        first.get(&created.id).await.unwrap().unwrap().status,
        AuthenticationStatus::Verifying
    );
}

#[tokio::test]
async fn unreachable_redis_fails_fast_with_unavailable() {
    let (store, server) = redis(Lifetimes::default()).await;
    store.ping().await.unwrap();
    drop(server);
    let started = Instant::now();
    let err = store.ping().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    let err = store
        .create(conformance::session(AuthenticationStatus::Pending))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn store_recovers_when_redis_returns_on_the_same_port() {
    let server = RedisServer::start();
    let port = server.port();
    let store = RedisStore::connect(
        &RedisTopology::Single(server.url()),
        cipher(),
        Lifetimes::default(),
    )
    .await
    .unwrap();
    drop(server);
    assert!(store.ping().await.is_err());
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
        .expect("restart redis-server");
    let _guard = KillOnDrop(restarted);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if store.ping().await.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "store never reconnected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn idempotency_fingerprints_are_keyed_at_rest() {
    let (store, server) = redis(Lifetimes::default()).await;
    let scope = payorch_store::IdempotencyScope {
        merchant_id: "demo".into(),
        key: "fp-at-rest".into(),
    };
    let raw_fingerprint = [9u8; 32];
    store
        .begin_idempotent(&scope, &raw_fingerprint)
        .await
        .unwrap();
    let stored = raw(&server, &["HGET", "payorch:{idem:demo:fp-at-rest}", "fp"]).await;
    let redis::Value::BulkString(bytes) = stored else {
        panic!("no fingerprint stored: {stored:?}");
    };
    assert_eq!(bytes.len(), 32);
    assert_ne!(
        bytes,
        raw_fingerprint.to_vec(),
        "a request hash must not be stored unkeyed"
    );
}

/// A Redis that accepts connections and never answers (packets dropped, a proxy with no
/// backend): opening the store at start-up is not fatal, and calls made meanwhile fail at once
/// while one connection attempt runs, instead of queueing behind each other's timeouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_redis_fails_calls_side_by_side_not_one_after_another() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/0", listener.local_addr().unwrap());
    // Accepts and holds every connection, answering nothing.
    let held = Arc::new(std::sync::Mutex::new(Vec::new()));
    let holder = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            holder.lock().unwrap().push(stream);
        }
    });
    let (store, unreachable) = RedisStore::open_with_tls(
        &RedisTopology::Single(url),
        &Default::default(),
        cipher(),
        Lifetimes::default(),
    )
    .await
    .expect("a silent Redis is not a configuration error");
    assert!(unreachable.is_some(), "it never answered");
    let store = Arc::new(store);
    let began = Instant::now();
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.ping().await })
        })
        .collect();
    for call in calls {
        assert!(matches!(
            call.await.unwrap(),
            Err(StoreError::Unavailable(_))
        ));
    }
    // One attempt is bounded by the 2 s connect and response timeouts (and one retry);
    // ten attempts in a row would take about 40 s.
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "ten calls took {:?}",
        began.elapsed()
    );
}
