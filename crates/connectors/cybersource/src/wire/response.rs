//! Response bodies. One lenient type covers every answer (success, decline, error): each
//! Cybersource resource shares the same top-level vocabulary.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string, or a number printed as one (`validityPeriod` is `"05"` in the seed and an
/// integer in the SDK model; codes may come either way).
fn flex<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Response {
    pub id: Option<String>,
    pub status: Option<String>,
    /// Transaction Details spells it `submitTimeUTC`.
    #[serde(alias = "submitTimeUTC")]
    pub submit_time_utc: Option<String>,
    pub error_information: Option<ErrorInformation>,
    pub consumer_authentication_information: Option<AuthenticationInformation>,
    pub processor_information: Option<ProcessorInformation>,
    pub order_information: Option<OrderInformation>,
    pub installment_information: Option<InstallmentInformation>,
    /// Transaction Details: the series' first transaction (the authorization).
    pub root_id: Option<String>,
    /// Transaction Details: the services the transaction ran, with their results.
    pub application_information: Option<ApplicationInformation>,
    /// Error answers (400 `INVALID_REQUEST`, 404 `NOT_FOUND`).
    pub reason: Option<String>,
    pub message: Option<String>,
    pub details: Vec<ErrorDetail>,
    /// 401 answers: `{"response":{"rmsg":"Authentication Failed"}}`.
    pub response: Option<Rmsg>,
    #[serde(rename = "_embedded")]
    pub embedded: Option<Embedded>,
    #[serde(rename = "_links")]
    pub links: Option<Links>,
}

impl Response {
    /// Transaction Details: the first application (service) named `name`.
    pub fn application(&self, name: &str) -> Option<&Application> {
        self.application_information
            .as_ref()?
            .applications
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
    }

    /// Transaction Details: the ids of `_links.relatedTransactions` (each link's `href`
    /// ends in `/tss/v2/transactions/{id}`, absolute or not).
    pub fn related_ids(&self) -> Vec<String> {
        self.links
            .iter()
            .flat_map(|l| l.related_transactions.iter())
            .filter_map(|l| l.href.as_deref())
            .filter_map(|href| {
                let path = href.split(['?', '#']).next()?;
                let (_, id) = path.rsplit_once("/transactions/")?;
                (!id.is_empty() && !id.contains('/')).then(|| id.to_owned())
            })
            .collect()
    }
}

/// `_links` (Transaction Details: `self` and `relatedTransactions`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Links {
    #[serde(rename = "self")]
    pub self_link: Option<Link>,
    pub related_transactions: Vec<Link>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Link {
    pub href: Option<String>,
    pub method: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorInformation {
    pub reason: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorDetail {
    pub field: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Rmsg {
    pub rmsg: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthenticationInformation {
    pub acs_url: Option<String>,
    pub pareq: Option<String>,
    pub xid: Option<String>,
    pub authentication_transaction_id: Option<String>,
    pub authentication_transaction_context: Option<String>,
    pub authentication_transaction_context_id: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub validity_period: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub authentication_type: Option<String>,
    pub veres_enrolled: Option<String>,
    pub authentication_path: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub authentication_result: Option<String>,
    pub authentication_status_msg: Option<String>,
    pub pares_status: Option<String>,
    pub cavv: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub eci: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub eci_raw: Option<String>,
    pub indicator: Option<String>,
    pub transaction_token: Option<String>,
    pub token: Option<String>,
    pub specification_version: Option<String>,
}

impl AuthenticationInformation {
    /// The context id, under either of its names.
    pub fn context(&self) -> Option<&str> {
        self.authentication_transaction_context
            .as_deref()
            .or(self.authentication_transaction_context_id.as_deref())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProcessorInformation {
    pub approval_code: Option<String>,
    pub network_transaction_id: Option<String>,
    pub transaction_id: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub response_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrderInformation {
    pub amount_details: Option<AmountDetails>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AmountDetails {
    #[serde(deserialize_with = "flex")]
    pub total_amount: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub authorized_amount: Option<String>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InstallmentInformation {
    pub identifier: Option<String>,
}

/// Transaction Search results.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Embedded {
    pub transaction_summaries: Vec<TransactionSummary>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TransactionSummary {
    pub id: Option<String>,
    pub submit_time_utc: Option<String>,
    pub application_information: Option<ApplicationInformation>,
    pub consumer_authentication_information: Option<SummaryAuthentication>,
}

impl TransactionSummary {
    /// The first application (service) of this summary named `name`.
    pub fn application(&self, name: &str) -> Option<&Application> {
        self.application_information
            .as_ref()?
            .applications
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationInformation {
    #[serde(deserialize_with = "flex")]
    pub reason_code: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub r_code: Option<String>,
    pub r_flag: Option<String>,
    pub applications: Vec<Application>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Application {
    pub name: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub reason_code: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub r_code: Option<String>,
    pub r_flag: Option<String>,
    pub r_message: Option<String>,
}

/// A search summary's `consumerAuthenticationInformation` (the SDK model's `transactionId`,
/// `xid`, `eciRaw`, `cavv`; `paresStatus` and `authenticationResult` when reported).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SummaryAuthentication {
    pub transaction_id: Option<String>,
    pub xid: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub eci_raw: Option<String>,
    pub cavv: Option<String>,
    pub pares_status: Option<String>,
    #[serde(deserialize_with = "flex")]
    pub authentication_result: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seed_seamless_enrollment() {
        let body = r#"{ "clientReferenceInformation": { "code": "test" }, "consumerAuthenticationInformation": { "validityPeriod": "05", "authenticationTransactionContext": "100000000000000000000000025253", "authenticationTransactionId": "00000012345330095100258805", "veresEnrolled": "Y", "authenticationPath": "ENROLLED", "authenticationType": "20", "specificationVersion": "rupay", "token": "Axj" }, "errorInformation": { "reason": "CONSUMER_AUTHENTICATION_REQUIRED", "message": "enrolled" }, "id": "6379004607567152900386", "status": "PENDING_AUTHENTICATION", "submitTimeUtc": "2021-11-26T04:21:01Z" }"#;
        let r: Response = serde_json::from_str(body).unwrap();
        let cai = r.consumer_authentication_information.unwrap();
        assert_eq!(cai.validity_period.as_deref(), Some("05"));
        assert_eq!(cai.authentication_type.as_deref(), Some("20"));
        assert_eq!(cai.context(), Some("100000000000000000000000025253"));
        assert_eq!(r.status.as_deref(), Some("PENDING_AUTHENTICATION"));
    }

    #[test]
    fn numbers_are_read_as_strings() {
        let body = r#"{"consumerAuthenticationInformation":{"validityPeriod":5,"authenticationType":20,"authenticationResult":0}}"#;
        let r: Response = serde_json::from_str(body).unwrap();
        let cai = r.consumer_authentication_information.unwrap();
        assert_eq!(cai.validity_period.as_deref(), Some("5"));
        assert_eq!(cai.authentication_type.as_deref(), Some("20"));
        assert_eq!(cai.authentication_result.as_deref(), Some("0"));
    }

    #[test]
    fn reads_transaction_details_links() {
        let body = r#"{"id":"1","rootId":"1","submitTimeUTC":"2023-01-29T04:24:18Z","applicationInformation":{"reasonCode":100,"applications":[{"name":"ics_auth","reasonCode":"100","rCode":"1","rFlag":"SOK","returnCode":1010000}]},"_links":{"self":{"href":"https://apitest.cybersource.com/tss/v2/transactions/1","method":"GET"},"relatedTransactions":[{"href":"https://apitest.cybersource.com/tss/v2/transactions/2","method":"GET"},{"href":"/tss/v2/transactions/3","method":"GET"},{"method":"GET"}]}}"#;
        let r: Response = serde_json::from_str(body).unwrap();
        assert_eq!(r.submit_time_utc.as_deref(), Some("2023-01-29T04:24:18Z"));
        assert_eq!(r.root_id.as_deref(), Some("1"));
        assert_eq!(
            r.application("ics_auth").unwrap().r_code.as_deref(),
            Some("1")
        );
        assert_eq!(r.related_ids(), ["2", "3"]);
    }

    #[test]
    fn reads_error_shapes() {
        let body = r#"{"submitTimeUtc":"x","status":"INVALID_REQUEST","reason":"MISSING_FIELD","message":"m","details":[{"field":"paymentInformation.card.securityCode","reason":"MISSING_FIELD"}]}"#;
        let r: Response = serde_json::from_str(body).unwrap();
        assert_eq!(
            r.details[0].field.as_deref(),
            Some("paymentInformation.card.securityCode")
        );
        let r: Response =
            serde_json::from_str(r#"{"response":{"rmsg":"Authentication Failed"}}"#).unwrap();
        assert_eq!(
            r.response.unwrap().rmsg.as_deref(),
            Some("Authentication Failed")
        );
    }
}
