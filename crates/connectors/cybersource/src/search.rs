//! Transaction Search: finding, by the client reference payorch sent, the calls whose
//! answers were lost, and reading a search summary as the answer it stands for.

use payorch_connector::http::Idempotence;
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::payment::PaymentRecord;

use crate::adapter::CybersourceConnector;
use crate::wire::request as rq;
use crate::wire::response::{
    AuthenticationInformation, Response, SummaryAuthentication, TransactionSummary,
};

const SEARCHES: &str = "/tss/v2/searches";
/// Transaction Search's names of the payer authentication services.
pub(crate) const PA_ENROLL: &str = "ics_pa_enroll";
pub(crate) const PA_VALIDATE: &str = "ics_pa_validate";

impl CybersourceConnector {
    /// The transactions (at most `limit`, in `sort` order) whose
    /// `clientReferenceInformation.code` is `reference`.
    async fn search(
        &self,
        ctx: &CallContext,
        reference: &str,
        limit: u32,
        sort: &str,
    ) -> Result<Vec<TransactionSummary>, ConnectorError> {
        let search = rq::SearchRequest {
            save: false,
            name: format!("payorch {reference}"),
            timezone: "UTC".into(),
            query: format!("clientReferenceInformation.code:{reference}"),
            offset: 0,
            limit,
            sort: sort.into(),
        };
        let found = self
            .post(ctx, Idempotence::Read, "search", SEARCHES, &search)
            .await?;
        Ok(found
            .embedded
            .map(|e| e.transaction_summaries)
            .unwrap_or_default())
    }

    /// The payer authentication calls (enrollments, resends, validations) Transaction
    /// Search holds for this authentication id.
    pub(crate) async fn find_authentication_calls(
        &self,
        ctx: &CallContext,
        authentication_id: &str,
    ) -> Result<Vec<TransactionSummary>, ConnectorError> {
        let summaries = self
            .search(ctx, authentication_id, 100, "submitTimeUtc:asc,id:asc")
            .await?;
        Ok(summaries
            .into_iter()
            .filter(|s| s.application(PA_ENROLL).is_some() || s.application(PA_VALIDATE).is_some())
            .collect())
    }

    /// Finds, by its client reference (payorch's payment id), a payment whose
    /// authorization answer was lost (Transaction Search).
    pub(crate) async fn find_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<Option<String>, ConnectorError> {
        let summaries = self
            .search(ctx, &payment.id, 10, "id:asc,submitTimeUtc:asc")
            .await?;
        let authorization = summaries.iter().find(|s| {
            s.application_information.as_ref().is_none_or(|a| {
                a.applications.is_empty()
                    || a.applications
                        .iter()
                        .any(|app| app.name.as_deref() == Some("ics_auth"))
            })
        });
        Ok(authorization.and_then(|s| s.id.clone()))
    }
}

/// The payer authentication details of a summary (empty when it has none).
pub(crate) fn summary_authentication(found: &TransactionSummary) -> SummaryAuthentication {
    found
        .consumer_authentication_information
        .clone()
        .unwrap_or_default()
}

/// The reasonCode of a summary's `service` (else the summary's own).
pub(crate) fn found_reason(found: &TransactionSummary, service: &str) -> Option<String> {
    found
        .application(service)
        .and_then(|a| a.reason_code.clone())
        .or_else(|| {
            found
                .application_information
                .as_ref()
                .and_then(|a| a.reason_code.clone())
        })
}

/// Whether a summary's `service` succeeded (rCode 1, reasonCode 100).
pub(crate) fn succeeded(found: &TransactionSummary, service: &str) -> bool {
    let app = found.application(service);
    match app.and_then(|a| a.r_code.as_deref()) {
        Some(code) => code == "1",
        None => found_reason(found, service).as_deref() == Some("100"),
    }
}

/// A search summary of a payer authentication call, read as the answer it stands for
/// (so it maps exactly as that answer would have): reasonCode 100 → success, 475 → a
/// challenge opened (`PENDING_AUTHENTICATION`), anything else → failure.
pub(crate) fn summary_answer(
    found: &TransactionSummary,
    service: &str,
    mut cai: AuthenticationInformation,
) -> Response {
    let app = found.application(service);
    let status = if succeeded(found, service) {
        "AUTHENTICATION_SUCCESSFUL"
    } else if found_reason(found, service).as_deref() == Some("475") {
        "PENDING_AUTHENTICATION"
    } else {
        "AUTHENTICATION_FAILED"
    };
    cai.authentication_status_msg = app.and_then(|a| a.r_message.clone());
    Response {
        id: found.id.clone(),
        status: Some(status.to_owned()),
        submit_time_utc: found.submit_time_utc.clone(),
        consumer_authentication_information: Some(cai),
        ..Response::default()
    }
}

/// `2021-11-26T04:21:01Z` (Cybersource's `submitTimeUtc`) as Unix milliseconds.
pub(crate) fn utc_ms(text: &str) -> Option<i64> {
    let text = text.trim().strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.split('.').next()?;
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, min, sec) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || sec > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + min) * 60_000 + sec * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_submit_times() {
        assert_eq!(utc_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(utc_ms("2021-11-26T04:21:01Z"), Some(1_637_900_461_000));
        assert_eq!(utc_ms("2024-02-29T23:59:59.5Z"), Some(1_709_251_199_000));
        assert_eq!(utc_ms("2021-11-26 04:21:01"), None);
        assert_eq!(utc_ms("2021-13-26T04:21:01Z"), None);
    }
}
