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
