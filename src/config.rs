//! Settings: embedded defaults for `payorch` with no arguments, a TOML file for production,
//! and environment overrides (`PAYORCH_GRPC__LISTEN=...`, `REDIS_URL=...`) for both.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use payorch_connector::ConnectorId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub grpc: Listen,
    pub http: Listen,
    pub store: StoreSettings,
    /// Card-data encryption keys (base64, 32 bytes each) by key id. Required with Redis.
    #[serde(default)]
    pub encryption: EncryptionSettings,
    pub merchants: Vec<Merchant>,
    /// How long SIGTERM waits for in-flight calls before exiting.
    pub shutdown_grace_secs: u64,
    pub log: LogSettings,
    /// The provider simulators, served in-process (embedded default only).
    #[serde(default)]
    pub sandbox: SandboxSettings,
    /// Provider credentials and addresses, one account per provider, named after it
    /// (`[connectors.cybersource]` is the account `cybersource`). Kept for single-account
    /// deployments; `accounts` is the general form.
    #[serde(default)]
    pub connectors: ConnectorSettings,
    /// Merchant connector accounts by name (`[accounts.cs_in_primary]`): a provider, its
    /// credentials, addresses and timeouts. Secrets come from the environment:
    /// `PAYORCH_ACCOUNTS__CS_IN_PRIMARY__SHARED_SECRET` (names are lower case, `_` not `-`).
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountSettings>,
    /// Circuit breakers and OTP-stage health of the accounts.
    #[serde(default)]
    pub routing: RoutingSettings,
    /// Internal services allowed to call payorch, each with its bearer token and merchants.
    /// Empty: no caller authentication (the embedded default; start-up warns).
    #[serde(default)]
    pub callers: Vec<CallerSettings>,
    /// How long records live.
    #[serde(default)]
    pub retention: RetentionSettings,
    /// The background task that settles records left short of a final state.
    #[serde(default)]
    pub resolver: ResolverSettings,
    /// The RBI e-mandate rules MandateService enforces.
    #[serde(default)]
    pub mandates: MandateSettings,
    /// This replica's name in the claims it takes (`PAYORCH_REPLICA_ID`; the pod's
    /// `HOSTNAME` when unset).
    #[serde(default)]
    pub replica_id: Option<String>,
}

/// The resolver: every replica runs it; Redis leases keep one replica on one record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ResolverSettings {
    pub enabled: bool,
    /// How often a replica looks for due records, in milliseconds.
    pub tick_ms: u64,
    /// Seconds after a write leaves a record in doubt before the resolver first reads it.
    pub first_check_secs: u64,
    /// The lease of a claim (PENDING, VERIFYING, a payment's call), in seconds: after it the
    /// claim counts as abandoned by its replica and the resolver settles the record from the
    /// provider. Far above any connector's total timeout. A replica stopping past its grace
    /// period hands its claims over at once.
    pub stale_claim_secs: u64,
    /// Seconds after which a record the provider still does not know settles as not
    /// processed (FAILED, TIMED_OUT).
    pub horizon_secs: u64,
    /// Seconds an UNKNOWN authorization (or an undecided authentication) must stay unknown
    /// to a provider that answers before it counts as never processed (the authentication
    /// may then authorize again; the session fails). Above the providers' search-index lag.
    pub not_found_secs: u64,
}

impl Default for ResolverSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            tick_ms: 1_000,
            first_check_secs: 30,
            stale_claim_secs: 60,
            horizon_secs: 24 * 60 * 60,
            not_found_secs: 60 * 60,
        }
    }
}

impl ResolverSettings {
    pub fn stale_claim_ms(&self) -> i64 {
        i64::try_from(self.stale_claim_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    pub fn not_found_ms(&self) -> i64 {
        i64::try_from(self.not_found_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    pub fn horizon_ms(&self) -> i64 {
        i64::try_from(self.horizon_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }
}

/// How long an authentication can be completed and how long records are kept. Production
/// Redis must persist them (AOF) and be sized for `payment_days` of payments.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionSettings {
    /// Seconds from StartAuthentication within which the payer must finish; after it the
    /// authentication reads EXPIRED.
    pub authentication_window_secs: u64,
    /// Hours a finished (or expired) authentication stays readable after its window.
    pub authentication_hours: u64,
    /// Days a payment is kept after its last change: refunds and disputes come months
    /// after the sale.
    pub payment_days: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            authentication_window_secs: 15 * 60,
            authentication_hours: 24,
            payment_days: 400,
        }
    }
}

impl RetentionSettings {
    pub fn authentication_window(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.authentication_window_secs)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallerSettings {
    pub name: String,
    pub token: Secret,
    pub merchants: Vec<String>,
}

/// A secret from configuration: usable, never printed.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxSettings {
    pub embedded: bool,
    pub listen: SocketAddr,
    /// Every OTP the embedded sandbox sends is this code instead of a random one, so a load
    /// run can submit OTPs without reading them back (`PAYORCH_SANDBOX__FIXED_OTP=123456`).
    /// Off by default; start-up warns when it is on.
    #[serde(default, deserialize_with = "fixed_otp")]
    pub fixed_otp: Option<String>,
    /// How old a Standing Instruction intimation must be before the simulated issuer takes
    /// its debit (NPCI: 24 hours). A test switch, so the 24-hour rule runs in seconds; pair
    /// it with `mandates.lead_time_secs`.
    #[serde(default)]
    pub si_intimation_lead_secs: Option<u64>,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            embedded: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
            fixed_otp: None,
            si_intimation_lead_secs: None,
        }
    }
}

/// A fixed OTP from TOML (a string) or the environment, where figment reads `123456` as a
/// number: numbers are written as the sandbox's six digits (`012345` arrives as 12345).
fn fixed_otp<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Code {
        Text(String),
        Number(u32),
    }
    Ok(Option::<Code>::deserialize(de)?.map(|code| match code {
        Code::Text(text) => text,
        Code::Number(n) => format!("{n:06}"),
    }))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConnectorSettings {
    pub cybersource: Option<CybersourceSettings>,
    #[serde(rename = "fiserv-ipg", alias = "fiserv_ipg")]
    pub fiserv_ipg: Option<FiservIpgSettings>,
    pub juspay: Option<JuspaySettings>,
    pub mpgs: Option<MpgsSettings>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MpgsSettings {
    /// e.g. `https://in-gateway.mastercard.com`; unset means the embedded sandbox.
    pub base_url: Option<String>,
    pub merchant_id: String,
    pub api_password: Secret,
    /// REST API version, 71 to 100.
    #[serde(default)]
    pub api_version: Option<u32>,
    #[serde(default)]
    pub timeouts: TimeoutSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JuspaySettings {
    /// e.g. `https://api.juspay.in`; unset means the embedded sandbox.
    pub base_url: Option<String>,
    pub api_key: Secret,
    pub merchant_id: String,
    /// Key of the signature on the browser's return, when the account has one.
    #[serde(default)]
    pub response_key: Option<Secret>,
    #[serde(default)]
    pub timeouts: TimeoutSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FiservIpgSettings {
    /// e.g. `https://prod.emea.api.fiservapps.com/ipp/payments-gateway/v2`; unset means the
    /// embedded sandbox.
    pub base_url: Option<String>,
    pub api_key: String,
    pub api_secret: Secret,
    #[serde(default)]
    pub store_id: Option<String>,
    #[serde(default)]
    pub timeouts: TimeoutSettings,
}

impl ConnectorSettings {
    /// Points every configured connector at a sandbox (a replica sharing another's sandbox).
    pub fn point_at_sandbox(&mut self, sandbox: SocketAddr) {
        if let Some(c) = self.cybersource.as_mut() {
            c.base_url = Some(format!("http://{sandbox}/cybersource"));
        }
        if let Some(c) = self.fiserv_ipg.as_mut() {
            c.base_url = Some(format!("http://{sandbox}/fiserv-ipg"));
        }
        if let Some(c) = self.juspay.as_mut() {
            c.base_url = Some(format!("http://{sandbox}/juspay"));
        }
        if let Some(c) = self.mpgs.as_mut() {
            c.base_url = Some(format!("http://{sandbox}/mpgs"));
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CybersourceSettings {
    /// e.g. `https://api.cybersource.com`; unset means the embedded sandbox.
    pub base_url: Option<String>,
    pub merchant_id: String,
    pub key_id: String,
    pub shared_secret: Secret,
    #[serde(default)]
    pub timeouts: TimeoutSettings,
}

/// One merchant connector account: which provider, and that provider's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "connector")]
pub enum AccountSettings {
    #[serde(rename = "cybersource")]
    Cybersource(CybersourceSettings),
    #[serde(rename = "fiserv-ipg")]
    FiservIpg(FiservIpgSettings),
    #[serde(rename = "juspay")]
    Juspay(JuspaySettings),
    #[serde(rename = "mpgs")]
    Mpgs(MpgsSettings),
}

impl AccountSettings {
    pub fn connector(&self) -> ConnectorId {
        match self {
            AccountSettings::Cybersource(_) => ConnectorId::Cybersource,
            AccountSettings::FiservIpg(_) => ConnectorId::FiservIpg,
            AccountSettings::Juspay(_) => ConnectorId::Juspay,
            AccountSettings::Mpgs(_) => ConnectorId::Mpgs,
        }
    }

    /// The configured base URL; `None` means the embedded sandbox.
    pub fn base_url(&self) -> Option<&str> {
        match self {
            AccountSettings::Cybersource(c) => c.base_url.as_deref(),
            AccountSettings::FiservIpg(c) => c.base_url.as_deref(),
            AccountSettings::Juspay(c) => c.base_url.as_deref(),
            AccountSettings::Mpgs(c) => c.base_url.as_deref(),
        }
    }

    fn base_url_mut(&mut self) -> &mut Option<String> {
        match self {
            AccountSettings::Cybersource(c) => &mut c.base_url,
            AccountSettings::FiservIpg(c) => &mut c.base_url,
            AccountSettings::Juspay(c) => &mut c.base_url,
            AccountSettings::Mpgs(c) => &mut c.base_url,
        }
    }
}

/// A provider's HTTP timeouts; unset values keep the adapter's defaults (2 s to connect,
/// 15 s in all).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TimeoutSettings {
    pub connect_ms: Option<u64>,
    pub total_ms: Option<u64>,
}

impl TimeoutSettings {
    pub fn apply(&self, timeouts: &mut payorch_connector::http::Timeouts) {
        if let Some(ms) = self.connect_ms {
            timeouts.connect = std::time::Duration::from_millis(ms);
        }
        if let Some(ms) = self.total_ms {
            timeouts.total = std::time::Duration::from_millis(ms);
        }
    }
}

/// How accounts' health steers routing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSettings {
    pub breaker: BreakerSettings,
    pub otp_health: OtpHealthSettings,
    /// The share (percent) of a ranked route's calls that explore: its lowest-ranked
    /// account goes first, so every account's figures stay current.
    pub ranking_explore_percent: u32,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        Self {
            breaker: BreakerSettings::default(),
            otp_health: OtpHealthSettings::default(),
            ranking_explore_percent: 5,
        }
    }
}

/// An account's circuit breaker: timeouts, 5xx, connection failures and refused
/// credentials in a row open it; a decline never counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerSettings {
    /// Failures in a row that open it.
    pub failure_threshold: u32,
    /// Seconds it stays open before one probe call is let through.
    pub open_secs: u64,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_secs: 30,
        }
    }
}

/// Avoiding an account whose OTPs stop succeeding although its HTTP answers are fine.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OtpHealthSettings {
    /// Below this share (0 to 1) of succeeded OTP authentications among its recent finished
    /// ones, an account takes no new authentications for `cooldown_secs`. 0: off.
    pub min_success_rate: f64,
    /// How many recent finished OTP authentications the share is taken over.
    pub window: usize,
    /// Fewer finished ones than this decide nothing.
    pub min_samples: usize,
    pub cooldown_secs: u64,
}

impl Default for OtpHealthSettings {
    fn default() -> Self {
        Self {
            min_success_rate: 0.0,
            window: 50,
            min_samples: 20,
            cooldown_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Listen {
    pub listen: SocketAddr,
    /// How browsers and providers reach this listener (behind a load balancer); defaults to
    /// `http://<listen>`.
    #[serde(default)]
    pub public_url: Option<String>,
}

impl Listen {
    pub fn public_base_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoreSettings {
    /// Process memory: sessions die with the process. Embedded default and tests only.
    Memory,
    /// Redis: `url` is one node's URL, or a comma-separated list of cluster nodes
    /// (`rediss://` for TLS, `rediss://user:password@host:port/0` for an ACL user).
    /// `REDIS_URL` in the environment overrides it.
    Redis {
        url: Secret,
        /// Redis Cluster even when `url` is one address: a managed cluster's configuration
        /// endpoint (`PAYORCH_STORE__CLUSTER=true`); the other nodes are discovered from it.
        #[serde(default)]
        cluster: bool,
        #[serde(default)]
        tls: RedisTlsSettings,
    },
}

/// PEM files for `rediss://` (`PAYORCH_STORE__TLS__CA_FILE=...`): the CA that signed the
/// server's certificate when it is not in the system's trust store, and a client certificate
/// and key for a server that requires mutual TLS (`tls-auth-clients yes`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RedisTlsSettings {
    pub ca_file: Option<PathBuf>,
    pub client_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EncryptionSettings {
    pub active_key_id: String,
    pub keys: BTreeMap<String, Secret>,
}

/// A merchant: its default route (accounts in order of preference, optionally split by
/// weight) and its routing rules, tried in order before it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Merchant {
    pub id: String,
    /// Accounts named after their connector (`[connectors.*]`), in order of preference:
    /// the older spelling of `accounts`, appended to it.
    #[serde(default)]
    pub connectors: Vec<String>,
    /// The default route: accounts in order of preference.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Percentages of the default route's traffic per account (summing to 100).
    #[serde(default)]
    pub weights: Option<Vec<u32>>,
    /// Orders the default route's accounts by their recent OTP success instead (see
    /// `RuleSettings::rank_by_otp_success`).
    #[serde(default)]
    pub rank_by_otp_success: bool,
    /// Rules, first match wins.
    #[serde(default)]
    pub rules: Vec<RuleSettings>,
    /// The merchant category code (ISO 18245): mandate debits of the categories in
    /// `mandates.higher_limit_categories` have the higher AFA-free limit.
    #[serde(default)]
    pub category: Option<String>,
}

impl Merchant {
    /// The default route's account names: `accounts`, then `connectors` (repeats possible).
    pub fn default_route_names(&self) -> impl Iterator<Item = &str> {
        self.accounts
            .iter()
            .chain(&self.connectors)
            .map(String::as_str)
    }

    /// The default route: `accounts`, then `connectors`.
    pub fn default_route(&self) -> Vec<String> {
        let mut route = self.accounts.clone();
        for name in &self.connectors {
            if !route.contains(name) {
                route.push(name.clone());
            }
        }
        route
    }
}

/// One routing rule: every condition given must hold; the call then goes to `accounts`
/// (in order, or split by `weights`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    pub name: String,
    /// `RUPAY`, `VISA`, `MASTERCARD`, `AMEX`.
    #[serde(default)]
    pub brands: Vec<String>,
    /// `"652150-653149"`, or one prefix; up to six digits.
    #[serde(default)]
    pub bin_ranges: Vec<String>,
    #[serde(default)]
    pub currencies: Vec<String>,
    /// Minor units of the rule's one currency, both ends included.
    #[serde(default)]
    pub min_amount: Option<i64>,
    #[serde(default)]
    pub max_amount: Option<i64>,
    /// `redirect` or `seamless`: the flow the caller asked for.
    #[serde(default)]
    pub flow: Option<String>,
    /// `customer` (a one-off payment) or `merchant` (a mandate registration, whose
    /// account carries the merchant-initiated debits).
    #[serde(default)]
    pub initiator: Option<String>,
    pub accounts: Vec<String>,
    #[serde(default)]
    pub weights: Option<Vec<u32>>,
    /// Orders `accounts` by their recent OTP success for the card's BIN range (the share of
    /// finished OTP authentications that succeeded, over `routing.otp_health.window`, once
    /// there are `min_samples`), best first; `routing.ranking_explore_percent` of calls go
    /// to the lowest-ranked one first. Not with `weights`.
    #[serde(default)]
    pub rank_by_otp_success: bool,
}

/// The RBI e-mandate framework's numbers (payorch_core::mandate::Limits). Seed 004 still
/// says ₹5,000: the RBI raised the limit for debits without additional authentication to
/// ₹15,000 (circular of 16 June 2022) and to ₹1,00,000 for mutual funds, insurance premiums
/// and credit card bills (12 December 2023); they are settings because they change.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MandateSettings {
    /// How long before a debit its pre-debit notice must be sent (24 h).
    pub lead_time_secs: u64,
    /// The AFA-free limit, in rupees.
    pub afa_free_limit_inr: i64,
    /// The higher AFA-free limit, in rupees.
    pub higher_afa_free_limit_inr: i64,
    /// Merchant categories the higher limit applies to.
    pub higher_limit_categories: Vec<String>,
}

impl Default for MandateSettings {
    fn default() -> Self {
        let limits = payorch_core::mandate::Limits::default();
        Self {
            lead_time_secs: u64::try_from(limits.lead_time_ms / 1000).unwrap_or(86_400),
            afa_free_limit_inr: limits.afa_free_limit_minor / 100,
            higher_afa_free_limit_inr: limits.higher_afa_free_limit_minor / 100,
            higher_limit_categories: limits.higher_limit_categories,
        }
    }
}

impl MandateSettings {
    pub fn limits(&self) -> payorch_core::mandate::Limits {
        payorch_core::mandate::Limits {
            lead_time_ms: i64::try_from(self.lead_time_secs)
                .unwrap_or(i64::MAX / 1000)
                .saturating_mul(1000),
            afa_free_limit_minor: self.afa_free_limit_inr.saturating_mul(100),
            higher_afa_free_limit_minor: self.higher_afa_free_limit_inr.saturating_mul(100),
            higher_limit_categories: self.higher_limit_categories.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogSettings {
    /// `json` (default) or `pretty`.
    pub format: String,
    /// A tracing filter, e.g. `info,payorch=debug`; `RUST_LOG` overrides it.
    pub filter: String,
    /// OTLP/gRPC collector for traces, e.g. `http://otel-collector:4317`;
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` works too. Unset: no traces exported.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
}

impl Settings {
    /// The name this replica writes into its claims: the setting, else the host name (the
    /// pod name on Kubernetes), else one made up from the process id.
    pub fn replica_name(&self) -> String {
        self.replica_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| format!("payorch-{}", std::process::id()))
    }

    /// The store's record lifetimes, from the retention and resolver settings.
    pub fn lifetimes(&self) -> payorch_store::Lifetimes {
        let hour = 60 * 60;
        let retention = &self.retention;
        payorch_store::Lifetimes {
            grace: std::time::Duration::from_secs(retention.authentication_hours * hour),
            payment: std::time::Duration::from_secs(retention.payment_days * 24 * hour),
            default_session: retention.authentication_window(),
            resolver_first_check: std::time::Duration::from_secs(self.resolver.first_check_secs),
            // A dead replica's reservation outlives its claims, so the resolver answers it
            // (see `flows::resolver`) before another request could take the key.
            idempotency_lease: std::time::Duration::from_secs(
                self.resolver.stale_claim_secs.saturating_mul(2).max(60),
            ),
            ..payorch_store::Lifetimes::default()
        }
    }

    /// What `payorch` with no arguments runs: in-memory store, one merchant `demo`.
    pub fn embedded() -> Self {
        Self {
            grpc: Listen {
                listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
                public_url: None,
            },
            http: Listen {
                listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
                public_url: None,
            },
            store: StoreSettings::Memory,
            encryption: EncryptionSettings::default(),
            merchants: vec![Merchant {
                id: "demo".into(),
                // In order of preference when a call pins no connector.
                connectors: [
                    ConnectorId::Cybersource,
                    ConnectorId::FiservIpg,
                    ConnectorId::Mpgs,
                    ConnectorId::Juspay,
                ]
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
                accounts: Vec::new(),
                weights: None,
                rank_by_otp_success: false,
                rules: Vec::new(),
                category: None,
            }],
            shutdown_grace_secs: 20,
            log: LogSettings {
                format: "json".into(),
                filter: "info".into(),
                otlp_endpoint: None,
            },
            sandbox: SandboxSettings {
                embedded: true,
                ..SandboxSettings::default()
            },
            callers: Vec::new(),
            retention: RetentionSettings::default(),
            resolver: ResolverSettings::default(),
            mandates: MandateSettings::default(),
            replica_id: None,
            accounts: BTreeMap::new(),
            routing: RoutingSettings::default(),
            connectors: ConnectorSettings {
                // The sandbox's sample merchant (the Cybersource SDK's `testrest`).
                cybersource: Some(CybersourceSettings {
                    base_url: None,
                    timeouts: TimeoutSettings::default(),
                    merchant_id: "testrest".into(),
                    key_id: "08c94330-f618-42a3-b09d-e1e43be5efda".into(),
                    shared_secret: Secret::new("yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE="),
                }),
                // The sandbox's documented sample credentials.
                fiserv_ipg: Some(FiservIpgSettings {
                    base_url: None,
                    timeouts: TimeoutSettings::default(),
                    api_key: "payorch-sandbox-fiserv-key".into(),
                    api_secret: Secret::new("payorch-sandbox-fiserv-secret"),
                    store_id: None,
                }),
                // The sandbox signs the browser's return with the API key.
                juspay: Some(JuspaySettings {
                    base_url: None,
                    timeouts: TimeoutSettings::default(),
                    api_key: Secret::new("payorch_sandbox_juspay_key"),
                    merchant_id: "payorch".into(),
                    response_key: Some(Secret::new("payorch_sandbox_juspay_key")),
                }),
                mpgs: Some(MpgsSettings {
                    base_url: None,
                    timeouts: TimeoutSettings::default(),
                    merchant_id: "TESTPAYORCH".into(),
                    api_password: Secret::new("payorch-sandbox-mpgs-password"),
                    api_version: None,
                }),
            },
        }
    }

    /// The base a configuration file starts from: no sandbox, no connectors, nothing that
    /// could send production traffic somewhere it was not configured to go.
    pub fn production_defaults() -> Self {
        Self {
            sandbox: SandboxSettings::default(),
            connectors: ConnectorSettings::default(),
            ..Self::embedded()
        }
    }

    /// Embedded defaults (or, with a file, production defaults and the file), then
    /// `PAYORCH_*` and `REDIS_URL`.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let base = match file {
            Some(_) => Self::production_defaults(),
            None => Self::embedded(),
        };
        let mut figment = Figment::from(Serialized::defaults(base));
        if let Some(path) = file {
            if !path.exists() {
                return Err(Box::new(figment::Error::from(format!(
                    "config file {} does not exist",
                    path.display()
                ))));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(
            Env::prefixed("PAYORCH_")
                .split("__")
                // An environment variable cannot spell `fiserv-ipg`: PAYORCH_CONNECTORS__FISERV_IPG__*
                // names the same table as the file's `[connectors.fiserv-ipg]`.
                .map(|key| {
                    let key = key.as_str().to_ascii_lowercase();
                    let mut segments: Vec<&str> = key.split('.').collect();
                    if segments.first() == Some(&"connectors")
                        && segments.get(1) == Some(&"fiserv_ipg")
                    {
                        segments[1] = "fiserv-ipg";
                    }
                    segments.join(".").into()
                }),
        );
        // After `PAYORCH_*`, and keyed, so that `PAYORCH_STORE__TLS__*` stays with it.
        if let Ok(url) = std::env::var("REDIS_URL") {
            figment = figment
                .merge(Serialized::default("store.kind", "redis"))
                .merge(Serialized::default("store.url", url));
        }
        figment.extract().map_err(Box::new)
    }

    /// Every account: `accounts`, and each `[connectors.*]` entry as the account named
    /// after its connector.
    pub fn all_accounts(&self) -> BTreeMap<String, AccountSettings> {
        let mut all = self.accounts.clone();
        let c = &self.connectors;
        let legacy = [
            c.cybersource.clone().map(AccountSettings::Cybersource),
            c.fiserv_ipg.clone().map(AccountSettings::FiservIpg),
            c.juspay.clone().map(AccountSettings::Juspay),
            c.mpgs.clone().map(AccountSettings::Mpgs),
        ];
        for account in legacy.into_iter().flatten() {
            all.entry(account.connector().as_str().to_owned())
                .or_insert(account);
        }
        all
    }

    /// Points every connector and account at a sandbox (a replica sharing another's).
    pub fn point_at_sandbox(&mut self, sandbox: SocketAddr) {
        self.connectors.point_at_sandbox(sandbox);
        for account in self.accounts.values_mut() {
            let mount = account.connector().as_str();
            *account.base_url_mut() = Some(format!("http://{sandbox}/{mount}"));
        }
    }

    /// The connectors of a merchant's accounts (default route, then rules), once each.
    pub fn connectors_of(&self, merchant: &Merchant) -> Vec<&'static str> {
        let accounts = self.all_accounts();
        let names = merchant
            .default_route()
            .into_iter()
            .chain(merchant.rules.iter().flat_map(|r| r.accounts.clone()));
        let mut connectors = Vec::new();
        for name in names {
            if let Some(id) = accounts.get(&name).map(|a| a.connector().as_str())
                && !connectors.contains(&id)
            {
                connectors.push(id);
            }
        }
        connectors
    }

    pub fn merchant(&self, id: &str) -> Option<&Merchant> {
        self.merchants.iter().find(|m| m.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_use_memory_and_the_demo_merchant() {
        let settings = Settings::embedded();
        assert!(matches!(settings.store, StoreSettings::Memory));
        assert_eq!(settings.grpc.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(settings.http.listen.to_string(), "127.0.0.1:8080");
        let demo = settings.merchant("demo").expect("demo merchant");
        assert_eq!(demo.connectors.len(), 4);
    }

    #[test]
    fn the_shipped_example_config_parses() {
        let settings = Settings::load(Some(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/payorch.example.toml"
        ))))
        .expect("example config parses");
        assert!(matches!(settings.store, StoreSettings::Redis { .. }));
        assert_eq!(settings.encryption.active_key_id, "k2026a");
        assert_eq!(settings.grpc.listen.to_string(), "0.0.0.0:50051");
    }

    #[test]
    fn the_kubernetes_config_parses_with_production_defaults() {
        let settings = Settings::load(Some(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/kubernetes/payorch.toml"
        ))))
        .expect("kubernetes config parses");
        assert!(
            !settings.sandbox.embedded,
            "production never embeds the sandbox"
        );
        assert!(settings.connectors.cybersource.is_some());
        assert_eq!(settings.merchants.len(), 1);
    }

    #[test]
    fn one_cluster_address_with_cluster_set_is_a_cluster() {
        let file =
            std::env::temp_dir().join(format!("payorch-cluster-{}.toml", std::process::id()));
        std::fs::write(
            &file,
            "[store]\nkind = \"redis\"\nurl = \"redis://clustercfg.example:6379\"\ncluster = true\n",
        )
        .expect("temp file");
        let settings = Settings::load(Some(&file));
        let _ = std::fs::remove_file(&file);
        let Ok(Settings {
            store: StoreSettings::Redis { cluster, .. },
            ..
        }) = settings
        else {
            panic!("not a Redis store: {settings:?}");
        };
        assert!(cluster);
    }

    #[test]
    fn a_misspelt_routing_setting_is_refused_not_ignored() {
        for (what, text) in [
            (
                "weight",
                "[[merchants]]\nid = \"shop\"\naccounts = [\"a\", \"b\"]\nweight = [70, 30]\n",
            ),
            (
                "failure_treshold",
                "[routing.breaker]\nfailure_treshold = 3\n",
            ),
            ("explore_percent", "[routing]\nexplore_percent = 5\n"),
        ] {
            let file = std::env::temp_dir()
                .join(format!("payorch-typo-{what}-{}.toml", std::process::id()));
            std::fs::write(&file, text).expect("temp file");
            let loaded = Settings::load(Some(&file));
            let _ = std::fs::remove_file(&file);
            match loaded {
                Ok(_) => panic!("{what}: accepted"),
                Err(e) => assert!(e.to_string().contains(what), "{what}: {e}"),
            }
        }
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let mut settings = Settings::embedded();
        settings.store = StoreSettings::Redis {
            url: Secret::new("redis://:hunter2@redis:6379/0"),
            cluster: false,
            tls: Default::default(),
        };
        settings.encryption.keys.insert(
            "k1".into(),
            Secret::new("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="),
        );
        settings.accounts.insert(
            "mpgs_two".into(),
            AccountSettings::Mpgs(MpgsSettings {
                base_url: None,
                merchant_id: "TWO".into(),
                api_password: Secret::new("account-password-never-printed"),
                api_version: None,
                timeouts: TimeoutSettings::default(),
            }),
        );
        let printed = format!("{settings:?}");
        assert!(printed.contains("mpgs_two"), "the account itself is shown");
        for secret in [
            "account-password-never-printed",
            "hunter2",
            "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
            "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=",
            "payorch-sandbox-fiserv-secret",
            "payorch-sandbox-mpgs-password",
        ] {
            assert!(!printed.contains(secret), "{secret} printed");
        }
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        assert!(Settings::load(Some(Path::new("/nonexistent/payorch.toml"))).is_err());
    }
}
