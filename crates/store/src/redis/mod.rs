//! The production store: Redis, single node or Cluster.
//!
//! Every write is one Lua script (see [`scripts`]), so a replica that dies mid-call leaves
//! either the old record or the new one, never half of each. Connection and response
//! timeouts are short, so an unreachable Redis fails calls fast with `Unavailable`.

mod keys;
mod scripts;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use payorch_core::mandate_record::MandateRecord;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{ClientTlsConfig, FromRedisValue, Script, ScriptInvocation, TlsCertificates, Value};
use tracing::Instrument as _;

use crate::codec;
use crate::idempotency::{Fingerprint, IdempotencyOutcome, IdempotencyScope};
use crate::ttl::{Lifetimes, now_ms};
use crate::unsettled::{self, Unsettled};
use crate::{CardCipher, SessionStore, StoreError, check_transition};

/// How payorch reaches Redis.
#[derive(Debug, Clone)]
pub enum RedisTopology {
    /// One server (or a managed endpoint that fronts one), e.g. `redis://127.0.0.1:6379/0`.
    Single(String),
    /// Redis Cluster, given any of its nodes.
    Cluster(Vec<String>),
}

/// TLS material for `rediss://` beyond the system's trust store, all PEM: the CA that signed
/// the server's certificate (a private CA, as managed Redis services and in-cluster
/// deployments use), and a client certificate and key for servers that require mutual TLS.
#[derive(Clone, Default)]
pub struct RedisTls {
    pub ca_pem: Option<Vec<u8>>,
    pub client_cert_pem: Option<Vec<u8>>,
    pub client_key_pem: Option<Vec<u8>>,
}

impl RedisTls {
    /// The certificates to build the client with, or `None` to use `rediss://` with the
    /// system's roots (and plain `redis://` as is).
    fn certificates(&self) -> Result<Option<TlsCertificates>, StoreError> {
        let client_tls = match (&self.client_cert_pem, &self.client_key_pem) {
            (Some(cert), Some(key)) => Some(ClientTlsConfig {
                client_cert: cert.clone(),
                client_key: key.clone(),
            }),
            (None, None) => None,
            _ => {
                return Err(StoreError::Config(
                    "a Redis client certificate needs its key, and a key its certificate".into(),
                ));
            }
        };
        if client_tls.is_none() && self.ca_pem.is_none() {
            return Ok(None);
        }
        Ok(Some(TlsCertificates {
            client_tls,
            root_cert: self.ca_pem.clone(),
        }))
    }
}

impl RedisTopology {
    /// Reads `REDIS_URL`-style settings: a comma-separated list means a cluster, and so does
    /// one address when `cluster` says so (a managed cluster's configuration endpoint).
    pub fn from_urls(urls: &str, cluster: bool) -> Self {
        let nodes: Vec<String> = urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        match nodes.as_slice() {
            [one] if !cluster => Self::Single(one.clone()),
            _ => Self::Cluster(nodes),
        }
    }
}

#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

struct Scripts {
    create: Script,
    transition: Script,
    begin_idempotent: Script,
    complete_idempotent: Script,
    answer_orphaned: Script,
    abandon_idempotent: Script,
    claim_due: Script,
}

/// How to reach Redis: the clients, built (and their settings checked) before any connection.
#[allow(clippy::large_enum_variant)] // one per store, built once
enum Clients {
    Single(redis::Client),
    Cluster(ClusterClient),
}

pub struct RedisStore {
    clients: Clients,
    /// Established on first use and kept (each reconnects on its own after a drop); until
    /// then every call tries to connect, so a store opened while Redis was down starts
    /// serving when Redis comes up.
    connection: tokio::sync::OnceCell<Connection>,
    /// Held by the one caller trying to connect.
    connecting: tokio::sync::Mutex<()>,
    scripts: Scripts,
    cipher: CardCipher,
    lifetimes: Lifetimes,
}

/// Bounds on every Redis round trip.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether a failed first connection means "Redis is not there yet" (refused, timed out,
/// name not resolving yet, network unreachable, reset) rather than "these settings cannot
/// work" (a certificate the CA did not sign, bad input, a refused password).
fn unreachable(err: &redis::RedisError) -> bool {
    if err.is_connection_refusal() || err.is_timeout() {
        return true;
    }
    let io = std::error::Error::source(err).and_then(|e| e.downcast_ref::<std::io::Error>());
    match io.map(std::io::Error::kind) {
        Some(
            std::io::ErrorKind::InvalidData
            | std::io::ErrorKind::InvalidInput
            | std::io::ErrorKind::PermissionDenied
            | std::io::ErrorKind::Unsupported,
        ) => false,
        Some(_) => true,
        None => err.is_io_error() && err.is_connection_dropped(),
    }
}

/// Why one seed node refuses a plain connection with these settings (`None`: it accepts).
async fn seed_error(seed: Option<&String>, tls: &RedisTls) -> Option<redis::RedisError> {
    let seed = seed?;
    let client = match tls.certificates() {
        Ok(Some(certificates)) => redis::Client::build_with_tls(seed.as_str(), certificates),
        _ => redis::Client::open(seed.as_str()),
    };
    let client = match client {
        Ok(client) => client,
        Err(err) => return Some(err),
    };
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .err()
}

/// `payorch_store_request_duration_seconds{operation, outcome}`: one observation per Redis
/// round trip, so its `_count` says how many round trips a call costs.
fn observe(operation: &'static str, started: Instant, ok: bool) {
    metrics::histogram!(
        "payorch_store_request_duration_seconds",
        "operation" => operation,
        "outcome" => if ok { "ok" } else { "error" },
    )
    .record(started.elapsed().as_secs_f64());
}

/// One span per round trip: its operation only, never keys (they carry merchant keys and
/// record ids) or values.
fn span(operation: &'static str) -> tracing::Span {
    tracing::info_span!("store", db.system = "redis", db.operation = operation)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStore {
    /// Connects (failing if Redis is unreachable now; the connection then reconnects on
    /// its own when Redis comes back).
    pub async fn connect(
        topology: &RedisTopology,
        cipher: CardCipher,
        lifetimes: Lifetimes,
    ) -> Result<Self, StoreError> {
        Self::connect_with_tls(topology, &RedisTls::default(), cipher, lifetimes).await
    }

    /// [`Self::connect`], trusting `tls`'s CA (and presenting its client certificate) on
    /// `rediss://` URLs. TLS material with a `redis://` URL is refused, not ignored.
    pub async fn connect_with_tls(
        topology: &RedisTopology,
        tls: &RedisTls,
        cipher: CardCipher,
        lifetimes: Lifetimes,
    ) -> Result<Self, StoreError> {
        let store = Self::new(topology, tls, cipher, lifetimes)?;
        store.connection().await?;
        Ok(store)
    }

    /// What a service starting up wants: [`Self::connect_with_tls`], except that a Redis that
    /// refuses connections or does not answer yet is not an error. The store is returned
    /// unconnected (every call fails `Unavailable` and tries again) with the reason. Anything
    /// else (bad settings, a certificate the CA did not sign, a refused password) is an error.
    pub async fn open_with_tls(
        topology: &RedisTopology,
        tls: &RedisTls,
        cipher: CardCipher,
        lifetimes: Lifetimes,
    ) -> Result<(Self, Option<StoreError>), StoreError> {
        let store = Self::new(topology, tls, cipher, lifetimes)?;
        let Err(err) = store.try_connect().await else {
            return Ok((store, None));
        };
        // A cluster client reports every failed seed as one generic error: ask the first
        // seed directly to learn why (down, or refusing these settings).
        let why = match (&store.clients, topology) {
            (Clients::Cluster(_), RedisTopology::Cluster(nodes)) => {
                match seed_error(nodes.first(), tls).await {
                    Some(seed) => seed,
                    None => return Err(StoreError::from(err)),
                }
            }
            _ => err,
        };
        if unreachable(&why) {
            Ok((store, Some(StoreError::from(why))))
        } else {
            Err(StoreError::from(why))
        }
    }

    fn new(
        topology: &RedisTopology,
        tls: &RedisTls,
        cipher: CardCipher,
        lifetimes: Lifetimes,
    ) -> Result<Self, StoreError> {
        let certificates = tls.certificates()?;
        // rustls needs one process-wide crypto provider; a second install (by another
        // library, or a second store) is refused and harmless.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let clients = match topology {
            RedisTopology::Single(url) => Clients::Single(match &certificates {
                Some(certificates) => {
                    redis::Client::build_with_tls(url.as_str(), certificates.clone())?
                }
                None => redis::Client::open(url.as_str())?,
            }),
            RedisTopology::Cluster(nodes) => {
                let mut builder = ClusterClient::builder(nodes.clone())
                    .connection_timeout(CONNECT_TIMEOUT)
                    .response_timeout(RESPONSE_TIMEOUT);
                if let Some(certificates) = certificates {
                    builder = builder.certs(certificates);
                }
                Clients::Cluster(builder.build()?)
            }
        };
        Ok(Self {
            clients,
            connection: tokio::sync::OnceCell::new(),
            connecting: tokio::sync::Mutex::new(()),
            scripts: Scripts {
                create: scripts::create(),
                transition: scripts::transition(),
                begin_idempotent: scripts::begin_idempotent(),
                complete_idempotent: scripts::complete_idempotent(),
                answer_orphaned: scripts::answer_orphaned(),
                abandon_idempotent: scripts::abandon_idempotent(),
                claim_due: scripts::claim_due(),
            },
            cipher,
            lifetimes,
        })
    }

    /// The established connection, or one attempt to establish it. While another caller's
    /// attempt is running, fails at once instead of queueing behind it (a Redis that drops
    /// packets would otherwise hold every caller for a connect timeout each).
    async fn try_connect(&self) -> Result<Connection, redis::RedisError> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection.clone());
        }
        let Ok(_attempt) = self.connecting.try_lock() else {
            return Err(redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "not connected to Redis yet; a connection attempt is under way",
            )));
        };
        self.connection
            .get_or_try_init(|| async {
                Ok(match &self.clients {
                    Clients::Single(client) => {
                        let config = ConnectionManagerConfig::new()
                            .set_connection_timeout(Some(CONNECT_TIMEOUT))
                            .set_response_timeout(Some(RESPONSE_TIMEOUT))
                            .set_number_of_retries(1);
                        Connection::Single(client.get_connection_manager_with_config(config).await?)
                    }
                    Clients::Cluster(client) => {
                        Connection::Cluster(client.get_async_connection().await?)
                    }
                })
            })
            .await
            .cloned()
    }

    async fn connection(&self) -> Result<Connection, StoreError> {
        Ok(self.try_connect().await?)
    }

    /// One script round trip (EVALSHA; EVAL once more if Redis lost the script).
    async fn run<T: FromRedisValue>(
        &self,
        operation: &'static str,
        invocation: ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = async {
            match self.try_connect().await? {
                Connection::Single(mut c) => invocation.invoke_async(&mut c).await,
                Connection::Cluster(mut c) => invocation.invoke_async(&mut c).await,
            }
        }
        .instrument(span(operation))
        .await;
        observe(operation, started, result.is_ok());
        Ok(result?)
    }

    /// On a single node the write's own script keeps the resolver's list (one round trip,
    /// atomic). In a Cluster the list lives in another slot than the record, so it is kept
    /// by separate commands around the write ([`Self::list_before`], [`Self::unlist_after`]).
    fn lists_in_script(&self) -> bool {
        matches!(self.clients, Clients::Single(_))
    }

    /// Appends the list's key and three arguments (see `scripts::KEEP_LISTED`) to a create or
    /// transition script: `add` at `due` while the record is in doubt, `rem` once it is final.
    fn keep_listed(
        &self,
        invocation: &mut ScriptInvocation<'_>,
        record: &Unsettled,
        due: Option<i64>,
    ) {
        if self.lists_in_script() {
            invocation
                .key(keys::unsettled())
                .arg(if due.is_some() { "add" } else { "rem" })
                .arg(due.unwrap_or(0))
                .arg(record.member());
        } else {
            invocation.arg("").arg(0).arg("");
        }
    }

    /// Cluster only: puts a record on the resolver's list before a write that leaves it in
    /// doubt (so a crash between the two leaves it listed, never lost).
    async fn list_before(&self, record: &Unsettled, due: Option<i64>) -> Result<(), StoreError> {
        if let Some(due) = due
            && !self.lists_in_script()
        {
            self.schedule(record, due).await?;
        }
        Ok(())
    }

    /// Cluster only: takes a record off the list after a write that settled it (a crash in
    /// between only makes the resolver look once more).
    async fn unlist_after(&self, record: &Unsettled, due: Option<i64>) {
        if due.is_none()
            && !self.lists_in_script()
            && let Err(err) = self.settled(record).await
        {
            // The resolver finds the record final and takes it off itself.
            tracing::debug!(error = %err, "resolver list not updated");
        }
    }

    /// One command round trip.
    /// A payment's or mandate's hash: its version and document (`None`: no record).
    async fn versioned_doc(
        &self,
        operation: &'static str,
        key: &str,
    ) -> Result<Option<(u64, String)>, StoreError> {
        let fields: Vec<Option<String>> = self
            .command(
                operation,
                redis::cmd("HMGET").arg(key).arg("version").arg("doc"),
            )
            .await?;
        let [version, doc] = <[Option<String>; 2]>::try_from(fields)
            .map_err(|_| StoreError::Corrupt("HMGET answered the wrong arity".into()))?;
        let (Some(version), Some(doc)) = (version, doc) else {
            return Ok(None);
        };
        let version: u64 = version
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("{key}: version is not a number")))?;
        Ok(Some((version, doc)))
    }

    async fn command<T: FromRedisValue>(
        &self,
        operation: &'static str,
        cmd: &redis::Cmd,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = async {
            match self.try_connect().await? {
                Connection::Single(mut c) => c.req_packed_command(cmd).await,
                Connection::Cluster(mut c) => c.req_packed_command(cmd).await,
            }
        }
        .instrument(span(operation))
        .await;
        observe(operation, started, result.is_ok());
        Ok(T::from_redis_value(result?)?)
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn create(
        &self,
        mut session: AuthenticationSession,
    ) -> Result<AuthenticationSession, StoreError> {
        session.drop_spent_claim();
        session.version = 1;
        let encoded = codec::encode(&self.cipher, &session)?;
        let ttl = self.lifetimes.session_ttl(&session, now_ms());
        let listed = Unsettled::Authentication(session.id.clone());
        let due = unsettled::session_due(&session, &self.lifetimes, now_ms());
        self.list_before(&listed, due).await?;
        let mut invocation = self.scripts.create.key(keys::session(&session.id));
        invocation
            .arg(&encoded.document)
            .arg(encoded.sealed_card.as_deref().unwrap_or(""))
            .arg(millis(ttl));
        self.keep_listed(&mut invocation, &listed, due);
        let created: i64 = self.run("create", invocation).await?;
        if created != 1 {
            return Err(StoreError::AlreadyExists);
        }
        self.unlist_after(&listed, due).await;
        if !codec::keeps_card(&session) {
            session.card = None;
        }
        Ok(session)
    }

    async fn get(&self, id: &str) -> Result<Option<AuthenticationSession>, StoreError> {
        let fields: Vec<Option<String>> = self
            .command(
                "get",
                redis::cmd("HMGET")
                    .arg(keys::session(id))
                    .arg("version")
                    .arg("doc")
                    .arg("card"),
            )
            .await?;
        let [version, doc, card] = <[Option<String>; 3]>::try_from(fields)
            .map_err(|_| StoreError::Corrupt("HMGET answered the wrong arity".into()))?;
        let (Some(version), Some(doc)) = (version, doc) else {
            return Ok(None);
        };
        let version: u64 = version
            .parse()
            .map_err(|_| StoreError::Corrupt("session version is not a number".into()))?;
        codec::decode(&self.cipher, version, &doc, card.as_deref()).map(Some)
    }

    async fn transition(
        &self,
        from: &AuthenticationSession,
        mut next: AuthenticationSession,
    ) -> Result<AuthenticationSession, StoreError> {
        next.drop_spent_claim();
        check_transition(from, &next)?;
        next.version = from.version + 1;
        let encoded = codec::encode(&self.cipher, &next)?;
        let ttl = self.lifetimes.session_ttl(&next, now_ms());
        let listed = Unsettled::Authentication(from.id.clone());
        let due = unsettled::session_due(&next, &self.lifetimes, now_ms());
        self.list_before(&listed, due).await?;
        let mut invocation = self.scripts.transition.key(keys::session(&from.id));
        invocation
            .arg(from.version)
            .arg(next.version)
            .arg(&encoded.document)
            .arg(if encoded.sealed_card.is_none() {
                "1"
            } else {
                "0"
            })
            .arg(millis(ttl));
        self.keep_listed(&mut invocation, &listed, due);
        let (outcome, version): (i64, u64) = self.run("transition", invocation).await?;
        match outcome {
            1 => {
                self.unlist_after(&listed, due).await;
                if !codec::keeps_card(&next) {
                    next.card = None;
                }
                Ok(next)
            }
            0 => Err(StoreError::Conflict {
                current_version: version,
            }),
            _ => Err(StoreError::NotFound),
        }
    }

    async fn release_card(&self, id: &str) -> Result<(), StoreError> {
        let _removed: i64 = self
            .command(
                "release_card",
                redis::cmd("HDEL").arg(keys::session(id)).arg("card"),
            )
            .await?;
        Ok(())
    }

    async fn create_payment(
        &self,
        mut payment: PaymentRecord,
    ) -> Result<PaymentRecord, StoreError> {
        payment.drop_spent_claim();
        payment.version = 1;
        let document = codec::encode_payment(&payment)?;
        let listed = Unsettled::Payment(payment.id.clone());
        let due = unsettled::payment_due(&payment, &self.lifetimes, now_ms());
        self.list_before(&listed, due).await?;
        let mut invocation = self.scripts.create.key(keys::payment(&payment.id));
        invocation
            .arg(&document)
            .arg("")
            .arg(millis(self.lifetimes.payment));
        self.keep_listed(&mut invocation, &listed, due);
        let created: i64 = self.run("create_payment", invocation).await?;
        if created != 1 {
            return Err(StoreError::AlreadyExists);
        }
        self.unlist_after(&listed, due).await;
        Ok(payment)
    }

    async fn get_payment(&self, id: &str) -> Result<Option<PaymentRecord>, StoreError> {
        let Some((version, doc)) = self
            .versioned_doc("get_payment", &keys::payment(id))
            .await?
        else {
            return Ok(None);
        };
        codec::decode_payment(version, &doc).map(Some)
    }

    async fn update_payment(
        &self,
        from: &PaymentRecord,
        mut next: PaymentRecord,
    ) -> Result<PaymentRecord, StoreError> {
        next.drop_spent_claim();
        if from.id != next.id {
            return Err(StoreError::Corrupt("update changes the payment id".into()));
        }
        next.version = from.version + 1;
        let document = codec::encode_payment(&next)?;
        let listed = Unsettled::Payment(from.id.clone());
        let due = unsettled::payment_due(&next, &self.lifetimes, now_ms());
        self.list_before(&listed, due).await?;
        let mut invocation = self.scripts.transition.key(keys::payment(&from.id));
        invocation
            .arg(from.version)
            .arg(next.version)
            .arg(&document)
            .arg("1")
            .arg(millis(self.lifetimes.payment));
        self.keep_listed(&mut invocation, &listed, due);
        let (outcome, version): (i64, u64) = self.run("update_payment", invocation).await?;
        match outcome {
            1 => {
                self.unlist_after(&listed, due).await;
                Ok(next)
            }
            0 => Err(StoreError::Conflict {
                current_version: version,
            }),
            _ => Err(StoreError::NotFound),
        }
    }

    async fn create_mandate(
        &self,
        mut mandate: MandateRecord,
    ) -> Result<MandateRecord, StoreError> {
        mandate.version = 1;
        let document = codec::encode_mandate(&mandate)?;
        let mut invocation = self.scripts.create.key(keys::mandate(&mandate.id));
        invocation
            .arg(&document)
            .arg("")
            .arg(self.lifetimes.mandate_ttl(&mandate).map_or(0, millis));
        let created: i64 = self.run("create_mandate", invocation).await?;
        if created != 1 {
            return Err(StoreError::AlreadyExists);
        }
        Ok(mandate)
    }

    async fn get_mandate(&self, id: &str) -> Result<Option<MandateRecord>, StoreError> {
        let Some((version, doc)) = self
            .versioned_doc("get_mandate", &keys::mandate(id))
            .await?
        else {
            return Ok(None);
        };
        codec::decode_mandate(version, &doc).map(Some)
    }

    async fn update_mandate(
        &self,
        from: &MandateRecord,
        mut next: MandateRecord,
    ) -> Result<MandateRecord, StoreError> {
        if from.id != next.id {
            return Err(StoreError::Corrupt("update changes the mandate id".into()));
        }
        next.version = from.version + 1;
        let document = codec::encode_mandate(&next)?;
        let mut invocation = self.scripts.transition.key(keys::mandate(&from.id));
        invocation
            .arg(from.version)
            .arg(next.version)
            .arg(&document)
            .arg("0")
            .arg(self.lifetimes.mandate_ttl(&next).map_or(0, millis));
        let (outcome, version): (i64, u64) = self.run("update_mandate", invocation).await?;
        match outcome {
            1 => Ok(next),
            0 => Err(StoreError::Conflict {
                current_version: version,
            }),
            _ => Err(StoreError::NotFound),
        }
    }

    async fn begin_idempotent(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &Fingerprint,
    ) -> Result<IdempotencyOutcome, StoreError> {
        let fingerprint = &self.cipher.keyed_fingerprint(fingerprint);
        let mut invocation = self.scripts.begin_idempotent.key(keys::idempotency(scope));
        invocation
            .arg(&fingerprint[..])
            .arg(millis(self.lifetimes.idempotency_lease));
        let reply: Vec<Value> = self.run("begin_idempotent", invocation).await?;
        let mut parts = reply.into_iter();
        let tag: String = match parts.next() {
            Some(v) => String::from_redis_value(v)?,
            None => return Err(StoreError::Corrupt("empty idempotency reply".into())),
        };
        match tag.as_str() {
            "reserved" => Ok(IdempotencyOutcome::Reserved),
            "mismatch" => Ok(IdempotencyOutcome::Mismatch),
            "pending" => Ok(IdempotencyOutcome::InProgress),
            "done" => {
                let response = match parts.next() {
                    Some(v) => Vec::<u8>::from_redis_value(v)?,
                    None => Vec::new(),
                };
                Ok(IdempotencyOutcome::Completed(response))
            }
            other => Err(StoreError::Corrupt(format!(
                "unknown idempotency reply {other:?}"
            ))),
        }
    }

    async fn complete_idempotent(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &Fingerprint,
        response: &[u8],
    ) -> Result<(), StoreError> {
        let fingerprint = &self.cipher.keyed_fingerprint(fingerprint);
        let mut invocation = self
            .scripts
            .complete_idempotent
            .key(keys::idempotency(scope));
        invocation
            .arg(&fingerprint[..])
            .arg(response)
            .arg(millis(self.lifetimes.idempotency));
        let _stored: i64 = self.run("complete_idempotent", invocation).await?;
        Ok(())
    }

    async fn answer_orphaned(
        &self,
        scope: &IdempotencyScope,
        response: &[u8],
    ) -> Result<bool, StoreError> {
        let mut invocation = self.scripts.answer_orphaned.key(keys::idempotency(scope));
        invocation
            .arg(response)
            .arg(millis(self.lifetimes.idempotency));
        let stored: i64 = self.run("answer_orphaned", invocation).await?;
        Ok(stored == 1)
    }

    async fn abandon_idempotent(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &Fingerprint,
    ) -> Result<(), StoreError> {
        let fingerprint = &self.cipher.keyed_fingerprint(fingerprint);
        let mut invocation = self
            .scripts
            .abandon_idempotent
            .key(keys::idempotency(scope));
        invocation.arg(&fingerprint[..]);
        let _deleted: i64 = self.run("abandon_idempotent", invocation).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let pong: String = self.command("ping", &redis::cmd("PING")).await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!("PING answered {pong:?}")))
        }
    }

    async fn claim_due(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Unsettled>, StoreError> {
        let mut invocation = self.scripts.claim_due.key(keys::unsettled());
        invocation.arg(now_ms).arg(lease_ms).arg(limit);
        let members: Vec<String> = self.run("claim_due", invocation).await?;
        Ok(members
            .iter()
            .filter_map(|m| Unsettled::from_member(m))
            .collect())
    }

    async fn schedule(&self, record: &Unsettled, due_ms: i64) -> Result<(), StoreError> {
        let _added: i64 = self
            .command(
                "schedule",
                redis::cmd("ZADD")
                    .arg(keys::unsettled())
                    .arg(due_ms)
                    .arg(record.member()),
            )
            .await?;
        Ok(())
    }

    async fn settled(&self, record: &Unsettled) -> Result<(), StoreError> {
        let _removed: i64 = self
            .command(
                "settled",
                redis::cmd("ZREM")
                    .arg(keys::unsettled())
                    .arg(record.member()),
            )
            .await?;
        Ok(())
    }
}
