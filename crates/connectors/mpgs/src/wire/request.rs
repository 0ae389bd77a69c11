//! Request bodies of `PUT .../order/{OID}/transaction/{TID}` (the operation is named by
//! `apiOperation`). Card data lives in [`CardBlock`], which has no `Debug` on purpose.

use serde::Serialize;

/// One transaction operation.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRequest {
    pub api_operation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_of_funds: Option<SourceOfFunds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<Transaction>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Major units with the currency's decimals (`"8.00"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    pub currency: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Authentication {
    /// `PAYMENT_TRANSACTION` (or `ADD_CARD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<&'static str>,
    /// `PAYER_BROWSER`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<&'static str>,
    /// Where the gateway returns the payer's browser (payorch's callback URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_response_url: Option<String>,
    /// AUTHORIZE / PAY: the AUTHENTICATION transaction's id; nothing else in this group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

#[derive(Serialize)]
pub struct SourceOfFunds {
    /// `CARD` or `SCHEME_TOKEN`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub provided: Provided,
}

#[derive(Serialize)]
pub struct Provided {
    pub card: CardBlock,
}

/// The card or network token. Deliberately without `Debug`: it holds the PAN, the security
/// code and the token cryptogram.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardBlock {
    pub number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<Expiry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_payment: Option<DevicePayment>,
}

#[derive(Serialize)]
pub struct Expiry {
    /// `"05"`.
    pub month: String,
    /// Two digits, `"31"`.
    pub year: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevicePayment {
    pub online_payment_cryptogram: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// IPv4 `nnn.nnn.nnn.nnn` (the gateway takes no IPv6 here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// The payer's user agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_details: Option<BrowserDetails>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BrowserDetails {
    pub accept_headers: String,
}

/// CAPTURE / REFUND amounts, VOID's target.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_transaction_id: Option<String>,
}
