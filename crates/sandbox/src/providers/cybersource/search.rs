//! `POST /tss/v2/searches`: Transaction Search, which finds transactions by the merchant's
//! reference when their id is unknown (e.g. an authorization whose answer was lost).
//!
//! Supported query: `clientReferenceInformation.code:<value>` (the value may be quoted);
//! anything else is refused with `400 INVALID_REQUEST` naming `query`. It matches every
//! transaction recorded with that code (authorizations and sales, captures, reversals,
//! refunds, voids), each summarised as Cybersource does with the services it ran
//! (`ics_auth`, `ics_bill`, `ics_auth_reversal`, `ics_credit`, `ics_void`), and every
//! answered payer authentication call made with it: enrollments and resends
//! (`ics_pa_enroll`: 475 `DAUTHENTICATE` when a challenge was opened, 476 when the card
//! could not be authenticated) and validations (`ics_pa_validate`: 100 `SOK`, or 476
//! `DAUTHENTICATIONFAILED`), with their `consumerAuthenticationInformation`. Sorting by `id`
//! and `submitTimeUtc` (`asc`/`desc`, comma-separated), `offset` and `limit` are honoured.
//! Results are immediate (the real index lags by up to a minute or so), and the search is
//! not saved: `GET /tss/v2/searches/{searchId}` is not simulated.

use std::cmp::Ordering;
use std::ops::RangeInclusive;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::store::{Kind, PayerAuth, Transaction};
use super::{CONNECTOR, CsError, created, parse};
use crate::providers::json::{Fields, format_amount};
use crate::providers::time::utc_now_iso;
use crate::state::Sandbox;

/// The only query field supported.
const CODE_FIELD: &str = "clientReferenceInformation.code";
/// Cybersource's default and largest page sizes.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 2500;

/// One `field:direction` of `sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Id(bool),
    SubmitTime(bool),
}

pub async fn create(
    State(sandbox): State<Arc<Sandbox>>,
    bytes: Bytes,
) -> Result<Response, CsError> {
    sandbox.calls.record(CONNECTOR, "transaction_search");
    let body = parse(&bytes)?;
    let mut fields = Fields::new(&body);
    let query = fields.req("query");
    let sort = fields.req("sort");
    let save = fields.opt_bool("save").unwrap_or(false);
    let name = fields.opt("name");
    let timezone = fields.opt("timezone");
    let offset = count(&mut fields, "offset", 0, 0..=usize::MAX);
    let limit = count(&mut fields, "limit", DEFAULT_LIMIT, 1..=MAX_LIMIT);
    CsError::check(&fields)?;
    let code =
        client_reference_query(&query).ok_or_else(|| CsError::InvalidField("query".into()))?;
    let keys = sort_keys(&sort).ok_or_else(|| CsError::InvalidField("sort".into()))?;

    let merchant = &sandbox.cybersource.current_id();
    let mut found: Vec<Value> = sandbox
        .cybersource
        .current()
        .by_client_reference(&code)
        .iter()
        .map(|(id, t)| summary(id, t, merchant))
        .chain(
            sandbox
                .cybersource
                .current()
                .payer_auths_by_client_reference(&code)
                .iter()
                .map(|r| payer_auth_summary(r, merchant)),
        )
        .collect();
    found.sort_by(|a, b| compare(a, b, &keys));
    let total = found.len();
    let summaries: Vec<Value> = found.into_iter().skip(offset).take(limit).collect();
    let search_id = uuid::Uuid::new_v4().to_string();
    let mut answer = json!({
        "searchId": search_id,
        "save": save,
        "query": query,
        "offset": offset,
        "limit": limit,
        "sort": sort,
        "count": summaries.len(),
        "totalCount": total,
        "submitTimeUtc": utc_now_iso(),
        "_embedded": {"transactionSummaries": summaries},
        "_links": {"self": {"href": format!("/tss/v2/searches/{search_id}"), "method": "GET"}},
    });
    if let Some(name) = name {
        answer["name"] = json!(name);
    }
    if let Some(timezone) = timezone {
        answer["timezone"] = json!(timezone);
    }
    Ok(created(answer))
}

/// An integer field (number or numeric string) within `range`; `default` when absent.
fn count(
    fields: &mut Fields<'_>,
    path: &str,
    default: usize,
    range: RangeInclusive<usize>,
) -> usize {
    match fields.opt(path) {
        None => default,
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                fields.mark_invalid(path);
                default
            }
        },
    }
}

/// The code searched for by `clientReferenceInformation.code:<value>` (value optionally
/// in double quotes); `None` for any other query.
fn client_reference_query(query: &str) -> Option<String> {
    let (field, value) = query.trim().split_once(':')?;
    if field.trim() != CODE_FIELD {
        return None;
    }
    let value = value.trim();
    let value = match value.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').filter(|v| !v.contains('"'))?,
        // Unquoted: one term (no `AND`/`OR` clauses, ranges or wildcards).
        None if value.contains(char::is_whitespace)
            || value.contains(['[', ']', '{', '}', '*', '?']) =>
        {
            return None;
        }
        None => value,
    };
    (!value.is_empty()).then(|| value.to_owned())
}

/// `id:asc,submitTimeUtc:desc` → keys; `None` if a field or direction is not supported.
fn sort_keys(sort: &str) -> Option<Vec<SortKey>> {
    sort.split(',')
        .map(|item| {
            let (field, direction) = item.trim().split_once(':')?;
            let ascending = match direction.trim().to_ascii_lowercase().as_str() {
                "asc" => true,
                "desc" => false,
                _ => return None,
            };
            match field.trim() {
                "id" => Some(SortKey::Id(ascending)),
                "submitTimeUtc" => Some(SortKey::SubmitTime(ascending)),
                _ => None,
            }
        })
        .collect()
}

fn submit_time(t: &Transaction) -> &str {
    t.view["submitTimeUtc"].as_str().unwrap_or_default()
}

/// Orders summaries by the requested keys, then by id so that the order is stable.
fn compare(a: &Value, b: &Value, keys: &[SortKey]) -> Ordering {
    let text = |v: &Value, field: &str| v[field].as_str().unwrap_or_default().to_owned();
    let directed = |o: Ordering, ascending: bool| if ascending { o } else { o.reverse() };
    keys.iter()
        .map(|key| match *key {
            SortKey::Id(asc) => directed(text(a, "id").cmp(&text(b, "id")), asc),
            SortKey::SubmitTime(asc) => {
                directed(text(a, "submitTimeUtc").cmp(&text(b, "submitTimeUtc")), asc)
            }
        })
        .fold(Ordering::Equal, Ordering::then)
        .then_with(|| text(a, "id").cmp(&text(b, "id")))
}

/// One `applicationInformation.applications[]` entry.
fn application(name: &str, reason_code: &str, r_code: &str, r_flag: &str) -> Value {
    json!({"name": name, "reasonCode": reason_code, "rCode": r_code, "rFlag": r_flag})
}

/// What a declined authorization reports: (reasonCode, rFlag).
fn decline_codes(t: &Transaction) -> (&'static str, &'static str) {
    match t.view["errorInformation"]["reason"].as_str() {
        Some("INSUFFICIENT_FUND") => ("204", "DCARDREFUSED"),
        Some("EXPIRED_CARD") => ("202", "DCARDEXPIRED"),
        Some("CONSUMER_AUTHENTICATION_REQUIRED") => ("478", "DAUTHENTICATIONREQUIRED"),
        _ => ("203", "DCARDREFUSED"),
    }
}

/// The services a transaction ran and, for the summary, its overall result.
pub(crate) fn applications(
    t: &Transaction,
) -> (Vec<Value>, (&'static str, &'static str, &'static str)) {
    const OK: (&str, &str, &str) = ("100", "1", "SOK");
    let ok = |name: &str| application(name, OK.0, OK.1, OK.2);
    match t.kind {
        Kind::Authorization if t.view["status"] == "DECLINED" => {
            let (reason, flag) = decline_codes(t);
            (
                vec![application("ics_auth", reason, "0", flag)],
                (reason, "0", flag),
            )
        }
        Kind::Authorization => {
            let mut apps = vec![ok("ics_auth")];
            if t.sale {
                apps.push(ok("ics_bill"));
            }
            (apps, OK)
        }
        Kind::Capture => (vec![ok("ics_bill")], OK),
        Kind::Reversal => (vec![ok("ics_auth_reversal")], OK),
        Kind::Refund => (vec![ok("ics_credit")], OK),
        Kind::Void => (vec![ok("ics_void")], OK),
    }
}

/// One `_embedded.transactionSummaries[]` entry.
fn summary(id: &str, t: &Transaction, merchant: &str) -> Value {
    let (apps, (reason, r_code, r_flag)) = applications(t);
    let number = &t.card_number;
    let prefix = number.get(..6).unwrap_or_default();
    let suffix = number
        .get(number.len().saturating_sub(4)..)
        .unwrap_or_default();
    json!({
        "id": id,
        "submitTimeUtc": submit_time(t),
        "merchantId": merchant,
        "applicationInformation": {
            "reasonCode": reason,
            "rCode": r_code,
            "rFlag": r_flag,
            "applications": apps,
        },
        "clientReferenceInformation": {"code": t.client_reference()},
        "orderInformation": {"amountDetails": {
            "totalAmount": format_amount(t.amount),
            "currency": t.currency,
        }},
        "paymentInformation": {
            "paymentType": {"type": "credit card"},
            "card": {"prefix": prefix, "suffix": suffix, "type": "061"},
        },
        "_links": {"transactionDetail": {"href": format!("/tss/v2/transactions/{id}"), "method": "GET"}},
    })
}

/// What a payer authentication answer reports: (reasonCode, rCode, rFlag). Enrollment of
/// an enrolled card is Cybersource's 475 (authenticate before authorizing), a failed
/// authentication 476, success 100.
fn payer_auth_codes(answer: &Value) -> (&'static str, &'static str, &'static str) {
    match answer["status"].as_str() {
        Some("AUTHENTICATION_SUCCESSFUL") => ("100", "1", "SOK"),
        Some("PENDING_AUTHENTICATION") => ("475", "0", "DAUTHENTICATE"),
        _ => ("476", "0", "DAUTHENTICATIONFAILED"),
    }
}

/// One `_embedded.transactionSummaries[]` entry for a payer authentication call.
///
/// `consumerAuthenticationInformation` carries the SDK model's `transactionId`, `xid`,
/// `eciRaw` and (once authenticated) `cavv`, plus `paresStatus` and the NPCI/ACCU
/// `authenticationResult` the answer carried.
fn payer_auth_summary(record: &PayerAuth, merchant: &str) -> Value {
    let answer = &record.answer;
    let id = answer["id"].as_str().unwrap_or_default();
    let (reason, r_code, r_flag) = payer_auth_codes(answer);
    let cai = &answer["consumerAuthenticationInformation"];
    let mut auth = serde_json::Map::new();
    let mut copy = |to: &str, from: &[&str]| {
        if let Some(v) = from.iter().map(|f| &cai[*f]).find(|v| !v.is_null()) {
            auth.insert(to.to_owned(), v.clone());
        }
    };
    copy("transactionId", &["authenticationTransactionId"]);
    copy("xid", &["xid"]);
    copy("eciRaw", &["eciRaw", "eci"]);
    copy("paresStatus", &["paresStatus"]);
    copy("authenticationResult", &["authenticationResult"]);
    if let Some(cavv) = &record.cavv {
        auth.insert("cavv".into(), json!(cavv));
    } else {
        copy("cavv", &["cavv"]);
    }
    let number = &record.card_number;
    let prefix = number.get(..6).unwrap_or_default();
    let suffix = number
        .get(number.len().saturating_sub(4)..)
        .unwrap_or_default();
    let mut summary = json!({
        "id": id,
        "submitTimeUtc": answer["submitTimeUtc"],
        "merchantId": merchant,
        "applicationInformation": {
            "reasonCode": reason,
            "rCode": r_code,
            "rFlag": r_flag,
            "applications": [application(record.service.name(), reason, r_code, r_flag)],
        },
        "clientReferenceInformation": {"code": record.client_reference()},
        "consumerAuthenticationInformation": auth,
        "paymentInformation": {
            "paymentType": {"type": "credit card"},
            "card": {"prefix": prefix, "suffix": suffix, "type": "061"},
        },
        "_links": {"transactionDetail": {"href": format!("/tss/v2/transactions/{id}"), "method": "GET"}},
    });
    if let Some((amount, currency)) = &record.amount {
        summary["orderInformation"] = json!({"amountDetails": {
            "totalAmount": format_amount(*amount),
            "currency": currency,
        }});
    }
    if r_code == "0" {
        summary["errorInformation"] = json!({"reason": answer["errorInformation"]["reason"]});
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_client_reference_query() {
        assert_eq!(
            client_reference_query("clientReferenceInformation.code:pay_1").as_deref(),
            Some("pay_1")
        );
        assert_eq!(
            client_reference_query(" clientReferenceInformation.code: \"pay 1\" ").as_deref(),
            Some("pay 1")
        );
        assert_eq!(
            client_reference_query("clientReferenceInformation.code:"),
            None
        );
        assert_eq!(
            client_reference_query(
                "clientReferenceInformation.code:a AND submitTimeUtc:[NOW/DAY-7DAYS TO NOW/DAY+1DAY}"
            ),
            None
        );
        assert_eq!(client_reference_query("id:123"), None);
        assert_eq!(client_reference_query("pay_1"), None);
    }

    #[test]
    fn reads_sort_keys() {
        assert_eq!(
            sort_keys("id:asc, submitTimeUtc:DESC"),
            Some(vec![SortKey::Id(true), SortKey::SubmitTime(false)])
        );
        assert_eq!(sort_keys("amount:asc"), None);
        assert_eq!(sort_keys("id"), None);
        assert_eq!(sort_keys("id:up"), None);
    }
}
