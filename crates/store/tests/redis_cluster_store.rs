//! The conformance suite against a real three-master Redis Cluster: the hash-tagged keys keep
//! each record's keys in one slot, so every Lua script runs on one node.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod conformance;

use std::sync::Arc;

use payorch_store::testing::RedisCluster;
use payorch_store::{CardCipher, Lifetimes, RedisStore, RedisTopology, SessionStore};

const KEY: &str = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";

async fn cluster(lifetimes: Lifetimes) -> (Arc<dyn SessionStore>, RedisCluster) {
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .unwrap();
    let cipher = CardCipher::from_base64_keys("k1", [("k1", KEY)]).unwrap();
    let store = RedisStore::connect(&RedisTopology::Cluster(cluster.urls()), cipher, lifetimes)
        .await
        .expect("connect to the test cluster");
    (Arc::new(store), cluster)
}

conformance_suite!(cluster);

/// A managed cluster's configuration endpoint: one address, `cluster` set
/// (`store.cluster = true`). payorch finds the other masters from it, and records land on
/// every master, each read back whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_of_the_cluster_is_enough() {
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .unwrap();
    let urls = cluster.urls();
    let topology = RedisTopology::from_urls(&urls[0], true);
    assert!(matches!(topology, RedisTopology::Cluster(ref nodes) if nodes.len() == 1));
    let cipher = CardCipher::from_base64_keys("k1", [("k1", KEY)]).unwrap();
    let store = RedisStore::connect(&topology, cipher, Lifetimes::default())
        .await
        .expect("connect through one node");
    let mut ids = Vec::new();
    for _ in 0..30 {
        let session = conformance::session(payorch_core::status::AuthenticationStatus::Pending);
        ids.push(store.create(session).await.unwrap().id);
    }
    for id in &ids {
        assert!(store.get(id).await.unwrap().is_some(), "{id}");
    }
    let holding = urls
        .iter()
        .filter(|url| {
            let out = std::process::Command::new("redis-cli")
                .args(["-u", url, "dbsize"])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim() != "0"
        })
        .count();
    assert!(holding > 1, "every record on one master: not a cluster");
}
