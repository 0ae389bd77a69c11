//! Test support for crates that exercise their adapters against the sandbox (feature
//! `testing`): a sandbox on a free port, a typed client of its `/_sandbox` hooks bound to
//! one connector, the payer's side of the ACS page and the catalogue's test cards.
//!
//! Only tests use this module, so it panics on anything unexpected instead of returning
//! errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::SandboxConfig;

/// Card numbers from the sandbox's NPCI catalogue ([`crate::CATALOGUE`]), by behaviour.
pub mod cards {
    /// Enrolled, seamless OTP (on the merchant's page); approves.
    pub const SEAMLESS: &str = "5085000000000015";
    /// Enrolled, OTP on the ACS page only; approves.
    pub const REDIRECT: &str = "5085100000000021";
    /// Enrolled for both flows (seamless unless the request asks for redirect); approves.
    pub const BOTH: &str = "5085200000000037";
    /// Not enrolled (410 Invalid BIN).
    pub const NOT_ENROLLED: &str = "6070000000000069";
    /// The issuer's ACS is unavailable.
    pub const UNAVAILABLE: &str = "6071000000000076";
    /// Authenticates, then declines authorization with response code 51.
    pub const DECLINE_51: &str = "6072000000000083";
    /// Authenticates, then declines authorization with response code 54.
    pub const DECLINE_54: &str = "6521500000000097";
    /// Authenticates, then declines authorization with response code 05.
    pub const DECLINE_05: &str = "6521600000000012";
}

/// The sandbox configuration the adapter tests use: the default one with a provider
/// "timeout" fault that holds for 3 s (longer than the adapters' test budgets).
pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        timeout_hold: Duration::from_secs(3),
        ..SandboxConfig::default()
    }
}

/// A six-digit code different from `otp`.
pub fn wrong(otp: &str) -> String {
    if otp == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

/// A running sandbox and a client of its hooks for one connector (`cybersource`,
/// `fiserv-ipg`, `mpgs` or `juspay`).
pub struct SandboxClient {
    /// Where the sandbox listens; the adapters' base URLs are `http://{addr}/{connector}`.
    pub addr: SocketAddr,
    /// The HTTP client the hooks (and tests playing the payer's browser) use.
    pub http: reqwest::Client,
    /// The connector the hooks address.
    pub connector: &'static str,
}

impl SandboxClient {
    /// Spawns a sandbox on a free local port with `config`.
    pub async fn spawn(connector: &'static str, config: SandboxConfig) -> Self {
        let addr = crate::spawn("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap();
        Self::connect(connector, addr)
    }

    /// A client of the sandbox already listening at `addr`.
    pub fn connect(connector: &'static str, addr: SocketAddr) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Self {
            addr,
            http,
            connector,
        }
    }

    /// `http://{addr}/_sandbox/` followed by `segments` (each percent-encoded).
    fn hook_url(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = reqwest::Url::parse(&format!("http://{}/", self.addr)).unwrap();
        url.path_segments_mut()
            .unwrap()
            .push("_sandbox")
            .extend(segments);
        url
    }

    /// The OTP "sent by SMS" for a provider reference; panics when no challenge is open.
    pub async fn otp(&self, reference: &str) -> String {
        let url = self.hook_url(&["otp", self.connector, reference]);
        let v: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["otp"].as_str().expect("open OTP challenge").to_owned()
    }

    /// Makes the open OTP of `reference` expire.
    pub async fn expire_otp(&self, reference: &str) {
        let url = self.hook_url(&["otp", self.connector, reference, "expire"]);
        let r = self.http.post(url).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// Provider calls counted by the sandbox for this connector's `operation`.
    pub async fn calls(&self, operation: &str) -> u64 {
        let url = self.hook_url(&["calls"]);
        let v: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v[self.connector][operation].as_u64().unwrap_or(0)
    }

    /// Faults the next `count` requests to this connector (`fault` as `FaultSpec` parses it).
    pub async fn arm_fault(&self, fault: &str, count: u32) {
        let body = json!({"connector": self.connector, "fault": fault, "count": count});
        let url = self.hook_url(&["faults"]);
        let r = self.http.put(url).json(&body).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// Disarms every fault.
    pub async fn clear_faults(&self) {
        let r = self
            .http
            .delete(self.hook_url(&["faults"]))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// The payer's browser opens the ACS page by POSTing the redirect form to `url`.
    pub async fn open_acs_post(&self, url: &str, form_fields: &BTreeMap<String, String>) {
        let page = self.http.post(url).form(form_fields).send().await.unwrap();
        assert!(page.status().is_success());
    }

    /// The payer's browser opens the ACS page at `url` with a GET; returns the page.
    pub async fn open_acs_get(&self, url: &str) -> String {
        let page = self.http.get(url).send().await.unwrap();
        assert!(page.status().is_success(), "{}", page.status());
        page.text().await.unwrap()
    }

    /// Submits `form` on the ACS page at `url`; returns the page's answer (`status`,
    /// `action`, `fields`) after checking it completed.
    pub async fn submit_acs<F: serde::Serialize + ?Sized>(&self, url: &str, form: &F) -> Value {
        self.post_form(&format!("{url}/submit"), form).await
    }

    /// POSTs `form` to `url` asking for JSON (as the sandbox's auto-submitting pages do);
    /// returns the answer after checking its `status` is `complete`.
    pub async fn post_form<F: serde::Serialize + ?Sized>(&self, url: &str, form: &F) -> Value {
        let answer: Value = self
            .http
            .post(url)
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["status"], "complete", "{answer}");
        answer
    }
}

/// The string fields of a JSON object (what an ACS or gateway page posts onwards).
pub fn fields(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}
