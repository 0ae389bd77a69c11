//! Test helpers: start a sandbox on a free port and talk to it like a merchant would.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use payorch_sandbox::SandboxConfig;
use payorch_sandbox::providers::cybersource::signature;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const MERCHANT: &str = "testrest";
pub const KEY_ID: &str = "08c94330-f618-42a3-b09d-e1e43be5efda";
pub const SECRET: &str = "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=";

pub const SEAMLESS: &str = "5085000000000015";
pub const REDIRECT: &str = "5085100000000021";
pub const BOTH: &str = "5085200000000037";
pub const NOT_ENROLLED: &str = "6070000000000069";
pub const UNAVAILABLE: &str = "6071000000000076";
pub const DECLINE_51: &str = "6072000000000083";
pub const DECLINE_54: &str = "6521500000000097";
pub const DECLINE_05: &str = "6521600000000012";
pub const SI: &str = "6531000000000021";

/// A config with short SI lead time, as tests need.
pub fn test_config() -> SandboxConfig {
    SandboxConfig {
        si_intimation_lead: Duration::ZERO,
        timeout_hold: Duration::from_secs(5),
        ..SandboxConfig::default()
    }
}

pub async fn start(config: SandboxConfig) -> SocketAddr {
    payorch_sandbox::spawn("127.0.0.1:0".parse().expect("addr"), config)
        .await
        .expect("sandbox starts")
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Reads a response as (status, JSON or Null).
pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A Cybersource merchant client signing like the official SDK.
pub struct Cybersource {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// The `Host` the client sends and signs (None = the real address).
    pub host_override: Option<String>,
    pub secret: String,
    pub merchant: String,
}

impl Cybersource {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            http: http(),
            host_override: None,
            secret: SECRET.into(),
            merchant: MERCHANT.into(),
        }
    }

    fn host(&self) -> String {
        self.host_override
            .clone()
            .unwrap_or_else(|| self.addr.to_string())
    }

    /// Signs `method path` over `body` and returns the request builder.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> reqwest::RequestBuilder {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let host = self.host();
        let mut lines = vec![
            format!("host: {host}"),
            format!("date: {date}"),
            format!("request-target: {} {path}", method.to_lowercase()),
        ];
        let digest = body.map(signature::digest);
        let headers = if let Some(d) = &digest {
            lines.push(format!("digest: {d}"));
            "host date request-target digest v-c-merchant-id"
        } else {
            "host date request-target v-c-merchant-id"
        };
        lines.push(format!("v-c-merchant-id: {}", self.merchant));
        let sig = signature::sign(&self.secret, &lines.join("\n")).expect("sign");
        let url = format!("http://{}/cybersource{path}", self.addr);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self
            .http
            .request(method, url)
            .header("v-c-merchant-id", &self.merchant)
            .header("date", date)
            .header("host", host)
            .header(
                "signature",
                format!(r#"keyid="{KEY_ID}", algorithm="HmacSHA256", headers="{headers}", signature="{sig}""#),
            );
        if let (Some(d), Some(b)) = (digest, body) {
            rb = rb
                .header("digest", d)
                .header("content-type", "application/json")
                .body(b.to_vec());
        }
        rb
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let bytes = serde_json::to_vec(body).expect("json");
        read(
            self.request("POST", path, Some(&bytes))
                .send()
                .await
                .expect("send"),
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let bytes = serde_json::to_vec(body).expect("json");
        read(
            self.request("PATCH", path, Some(&bytes))
                .send()
                .await
                .expect("send"),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(self.request("GET", path, None).send().await.expect("send")).await
    }

    pub async fn enroll(&self, card: &str) -> (StatusCode, Value) {
        self.post("/risk/v1/authentications", &enrollment_body(card))
            .await
    }

    pub async fn validate_otp(&self, id: &str, context: &str, otp: &str) -> (StatusCode, Value) {
        let body = json!({
            "clientReferenceInformation": {"code": "ORD1"},
            "consumerAuthenticationInformation": {
                "authenticationTransactionId": id,
                "authenticationTransactionContext": context,
                "otpToken": otp,
            },
            "deviceInformation": {"ipAddress": "10.0.0.1"},
        });
        self.post("/risk/v1/authentication-results", &body).await
    }

    pub async fn resend(&self, card: &str, id: &str) -> (StatusCode, Value) {
        let mut body = enrollment_body(card);
        body["consumerAuthenticationInformation"] = json!({"authenticationTransactionId": id});
        self.post("/risk/v1/authentications", &body).await
    }

    /// Seamless enrollment + right OTP; returns (auth id, transactionToken).
    pub async fn authenticate(&self, card: &str) -> (String, String) {
        let (status, e) = self.enroll(card).await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
        let (id, ctx) = seamless_ids(&e);
        let otp = otp(self.addr, "cybersource", &id).await;
        let (_, v) = self.validate_otp(&id, &ctx, &otp).await;
        assert_eq!(v["status"], "AUTHENTICATION_SUCCESSFUL", "{v}");
        let token = v["consumerAuthenticationInformation"]["transactionToken"]
            .as_str()
            .expect("token")
            .to_owned();
        (id, token)
    }

    pub async fn authorize(&self, card: &str, cai: Value, capture: bool) -> (StatusCode, Value) {
        let body = json!({
            "clientReferenceInformation": {"code": "ORD1"},
            "processingInformation": {"commerceIndicator": "rpy", "capture": capture},
            "paymentInformation": {"card": {"number": card, "expirationMonth": "12", "expirationYear": "2031", "securityCode": "123", "type": "061"}},
            "orderInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}},
            "consumerAuthenticationInformation": cai,
        });
        self.post("/pts/v2/payments", &body).await
    }
}

pub fn enrollment_body(card: &str) -> Value {
    json!({
        "clientReferenceInformation": {"code": "cybs_test", "partner": {"developerId": "999"}},
        "orderInformation": {
            "billTo": {"firstName": "Suman", "lastName": "Kumar", "country": "IN", "email": "test@domain.com", "phoneNumber": "7606160717"},
            "amountDetails": {"totalAmount": "100.00", "currency": "INR"}
        },
        "paymentInformation": {"card": {"type": "061", "expirationMonth": "12", "expirationYear": "2031", "number": card, "securityCode": "123"}},
        "deviceInformation": {"httpAcceptBrowserValue": "text/html", "userAgentBrowserValue": "Mozilla/5.0", "ipAddress": "10.0.0.1"},
        "consumerAuthenticationInformation": {"transactionFlowIndicator": 1},
    })
}

pub fn seamless_ids(enrollment: &Value) -> (String, String) {
    let cai = &enrollment["consumerAuthenticationInformation"];
    (
        cai["authenticationTransactionId"]
            .as_str()
            .expect("id")
            .to_owned(),
        cai["authenticationTransactionContext"]
            .as_str()
            .expect("context")
            .to_owned(),
    )
}

/// The OTP "sent by SMS", through the hook.
pub async fn otp(addr: SocketAddr, connector: &str, reference: &str) -> String {
    let url = format!(
        "http://{addr}/_sandbox/otp/{connector}/{}",
        urlencoding::encode(reference)
    );
    let (status, v) = read(http().get(url).send().await.expect("send")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["otp"].as_str().expect("otp").to_owned()
}

/// A six-digit code different from `otp`.
pub fn wrong(otp: &str) -> String {
    if otp == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

pub const FISERV_KEY: &str = "payorch-sandbox-fiserv-key";
pub const FISERV_SECRET: &str = "payorch-sandbox-fiserv-secret";

/// A Fiserv IPG client: Api-Key, fresh Client-Request-Id, Timestamp, Message-Signature.
pub struct Fiserv {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// The store's API key, and the secret it signs with.
    pub key: String,
    pub secret: String,
}

impl Fiserv {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            http: http(),
            key: FISERV_KEY.into(),
            secret: FISERV_SECRET.into(),
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        request_id: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
        let content_type = bytes.as_ref().map(|_| "application/json");
        self.signed(method, path, bytes, content_type, request_id)
    }

    /// A signed request with these exact body bytes and `Content-Type` (or none).
    pub fn signed(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: Option<&str>,
        request_id: Option<&str>,
    ) -> reqwest::RequestBuilder {
        use payorch_sandbox::providers::fiserv_ipg::signature::sign;
        let bytes = body.clone().unwrap_or_default();
        let id = request_id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis()
            .to_string();
        let sig = sign(&self.key, &self.secret, &id, &ts, &bytes);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self
            .http
            .request(method, format!("http://{}/fiserv-ipg{path}", self.addr))
            .header("Api-Key", &self.key)
            .header("Client-Request-Id", id)
            .header("Timestamp", ts)
            .header("Message-Signature", sig);
        if let Some(content_type) = content_type {
            rb = rb.header("Content-Type", content_type);
        }
        if body.is_some() {
            rb = rb.body(bytes);
        }
        rb
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        read(
            self.request(method, path, body, None)
                .send()
                .await
                .expect("send"),
        )
        .await
    }

    pub async fn payer_auth(&self, card: &str) -> (StatusCode, Value) {
        let body = json!({
            "requestType": "PaymentCardPayerAuthTransaction",
            "storeId": "4711",
            "transactionAmount": {"total": "123.50", "currency": "INR"},
            "paymentMethod": {"paymentCard": {"number": card, "securityCode": "123", "expiryDate": {"month": "12", "year": "31"}}},
            "authenticationRequest": {
                "authenticationType": "RupayAuthenticationRequest",
                "termURL": "https://merchant.example/fiserv/return",
                "cardHolderBrowserParams": {
                    "browserAcceptHeaders": "text/html", "browserIP": "189.6.239.59",
                    "browserLanguage": "en", "browserUserAgent": "Mozilla/5.0"
                }
            }
        });
        self.call("POST", "/payments", Some(&body)).await
    }

    pub async fn update(&self, id: &str, field: &str, value: Value) -> (StatusCode, Value) {
        let mut body = json!({
            "authenticationType": "RupayAuthenticationUpdateRequest",
            "storeId": "4711",
            "paymentMethod": {"paymentCard": {"number": SEAMLESS, "securityCode": "123", "expiryDate": {"month": "12", "year": "31"}}},
        });
        body[field] = value;
        self.call("PATCH", &format!("/payments/{id}"), Some(&body))
            .await
    }

    pub async fn sale(
        &self,
        ipg_id: Option<&str>,
        card: Option<&str>,
        request_type: &str,
    ) -> (StatusCode, Value) {
        let mut body = json!({
            "requestType": request_type,
            "transactionAmount": {"total": "123.50", "currency": "INR"},
        });
        if let Some(id) = ipg_id {
            body["ipgTransactionId"] = json!(id);
        }
        if let Some(card) = card {
            body["paymentMethod"] = json!({"paymentCard": {"number": card, "securityCode": "123", "expiryDate": {"month": "12", "year": "31"}}});
        }
        self.call("POST", "/payments", Some(&body)).await
    }

    /// Seamless payer auth with the right OTP; returns the ipgTransactionId.
    pub async fn authenticate(&self, card: &str) -> String {
        let (status, p) = self.payer_auth(card).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        let id = p["ipgTransactionId"].as_str().expect("id").to_owned();
        let code = otp(self.addr, "fiserv-ipg", &id).await;
        let (status, v) = self.update(&id, "verifyOtp", json!(code)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["approvalCode"], "Y:00:OTP verified successfully.");
        id
    }
}

/// Which merchant's credentials signed the calls each simulator received.
pub async fn signers(addr: SocketAddr) -> Value {
    reqwest::get(format!("http://{addr}/_sandbox/merchants"))
        .await
        .expect("merchants")
        .json()
        .await
        .expect("json")
}
