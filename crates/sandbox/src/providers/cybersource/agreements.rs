//! RuPay Standing Instructions as Cybersource billing agreements:
//! `POST /pts/v2/billing-agreements` (register), `PATCH /pts/v2/billing-agreements/{id}`
//! (modify; `processingInformation.actionList: ["CANCEL_AGREEMENT"]` de-registers),
//! `POST /pts/v2/billing-agreements/{id}/intimations` (pre-debit intimation), and debits as
//! `/pts/v2/payments` with `installmentInformation.identifier`.
//!
//! Registration, modification and de-registration are authenticated by OTP: each answers
//! `PENDING_AUTHENTICATION` like an enrollment, and takes effect when
//! `/risk/v1/authentication-results` succeeds (which then returns the identifier).
//! A debit needs an ACTIVE agreement, an intimation at least `si_intimation_lead` old
//! (NPCI: 24 h) and an amount within the registered min/max (max 5,000 rupees if unset).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::enrollment::{read_enrollment_fields, start};
use super::store::{Agreement, Purpose, lock};
use super::{CONNECTOR, CsError, client_reference, created, new_id, parse};
use crate::npci::issuer::random_digits;
use crate::npci::{Authorization, Behaviour, Decline, cards};
use crate::providers::json::{Fields, at, format_amount, parse_amount};
use crate::providers::time::utc_now_iso;
use crate::state::Sandbox;

/// RBI cap where no maximum was registered: 5,000 rupees, in paise.
const DEFAULT_MAX: i64 = 500_000;

const REQUIRED_INSTALLMENT: [&str; 5] = [
    "installmentInformation.alertPreference",
    "installmentInformation.firstInstallmentDate",
    "installmentInformation.lastInstallmentDate",
    "installmentInformation.preferredDay",
    "installmentInformation.frequency",
];

fn limits(fields: &mut Fields<'_>) -> (i64, i64) {
    let mut read = |path: &str, default: i64| match fields.opt(path) {
        Some(v) => parse_amount(&v).unwrap_or_else(|| {
            fields.mark_invalid(path);
            default
        }),
        None => default,
    };
    let min = read("installmentInformation.minAmount", 0);
    let max = read("installmentInformation.maxAmount", DEFAULT_MAX);
    (min, max.min(DEFAULT_MAX))
}

pub async fn register(
    State(sandbox): State<Arc<Sandbox>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, CsError> {
    sandbox
        .calls
        .record(CONNECTOR, "billing_agreement_register");
    let body = parse(&bytes)?;
    let mut fields = Fields::new(&body);
    for path in REQUIRED_INSTALLMENT {
        fields.req(path);
    }
    let (min_amount, max_amount) = limits(&mut fields);
    let card = read_enrollment_fields(&mut fields)?;
    let id = new_id();
    let enrolled = matches!(
        cards::behaviour_of(&card),
        Behaviour::StandingInstruction | Behaviour::NotEnrolled | Behaviour::IssuerUnavailable
    );
    if !enrolled {
        return Ok(created(json!({
            "clientReferenceInformation": client_reference(&body),
            "errorInformation": {"reason": "PROCESSOR_DECLINED", "message": "Card not eligible for Standing Instructions"},
            "id": id,
            "status": "FAILED",
            "submitTimeUtc": utc_now_iso(),
        })));
    }
    lock(&sandbox.cybersource.current().agreements).insert(
        id.clone(),
        Agreement {
            id: id.clone(),
            status: "PENDING",
            identifier: None,
            card_number: card.clone(),
            min_amount,
            max_amount,
            intimations: Vec::new(),
        },
    );
    Ok(start(
        &sandbox,
        &headers,
        &body,
        &card,
        Purpose::Register(id.clone()),
        id,
    ))
}

pub async fn modify(
    State(sandbox): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, CsError> {
    let body = parse(&bytes)?;
    let cancel = at(&body, "processingInformation.actionList")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("CANCEL_AGREEMENT")));
    sandbox.calls.record(
        CONNECTOR,
        if cancel {
            "billing_agreement_deregister"
        } else {
            "billing_agreement_modify"
        },
    );
    let agreement = lock(&sandbox.cybersource.current().agreements)
        .get(&id)
        .cloned()
        .ok_or(CsError::NotFound)?;
    let mut fields = Fields::new(&body);
    let card = read_enrollment_fields(&mut fields)?;
    if card != agreement.card_number {
        return Err(CsError::InvalidField(
            "paymentInformation.card.number".into(),
        ));
    }
    if agreement.status != "ACTIVE" {
        return Err(CsError::Rejected {
            reason: "INVALID_REQUEST",
            message: format!("Declined - The billing agreement is {}", agreement.status),
        });
    }
    let purpose = if cancel {
        Purpose::Cancel(id.clone())
    } else {
        let mut f = Fields::new(&body);
        limits(&mut f);
        CsError::check(&f)?;
        Purpose::Modify(
            id.clone(),
            at(&body, "installmentInformation")
                .cloned()
                .unwrap_or(json!({})),
        )
    };
    Ok(start(&sandbox, &headers, &body, &card, purpose, id))
}

/// Applies a successful OTP validation; returns the agreement's identifier.
pub fn on_authenticated(sandbox: &Sandbox, id: &str, purpose: &Purpose) -> Option<String> {
    let store = sandbox.cybersource.current();
    let mut agreements = lock(&store.agreements);
    let agreement = agreements.get_mut(&id.to_owned())?;
    match purpose {
        Purpose::Register(_) => {
            let identifier = random_digits(10);
            agreement.status = "ACTIVE";
            agreement.identifier = Some(identifier.clone());
            lock(&store.identifiers).insert(identifier, id.to_owned());
        }
        Purpose::Modify(_, installment) => {
            let mut f = Fields::new(installment);
            if let Some(min) = f.opt("minAmount").and_then(|v| parse_amount(&v)) {
                agreement.min_amount = min;
            }
            if let Some(max) = f.opt("maxAmount").and_then(|v| parse_amount(&v)) {
                agreement.max_amount = max.min(DEFAULT_MAX);
            }
        }
        Purpose::Cancel(_) => agreement.status = "REVOKED",
        Purpose::Payment => {}
    }
    agreement.identifier.clone()
}

pub async fn get(State(sandbox): State<Arc<Sandbox>>, Path(id): Path<String>) -> Response {
    sandbox.calls.record(CONNECTOR, "get_billing_agreement");
    match lock(&sandbox.cybersource.current().agreements).get(&id) {
        Some(a) => axum::Json(view(a)).into_response(),
        None => CsError::NotFound.into_response(),
    }
}

fn view(a: &Agreement) -> Value {
    json!({
        "id": a.id,
        "status": a.status,
        "installmentInformation": {
            "identifier": a.identifier,
            "minAmount": format_amount(a.min_amount),
            "maxAmount": format_amount(a.max_amount),
        },
        "submitTimeUtc": utc_now_iso(),
    })
}

pub async fn intimate(
    State(sandbox): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, CsError> {
    sandbox
        .calls
        .record(CONNECTOR, "billing_agreement_intimation");
    let body = parse(&bytes)?;
    let mut fields = Fields::new(&body);
    fields.req("installmentInformation.alertPreference");
    fields.req("installmentInformation.preferredDay");
    let amount = fields.opt("orderInformation.amountDetails.totalAmount");
    CsError::check(&fields)?;
    let amount = match amount {
        Some(raw) => Some(parse_amount(&raw).ok_or_else(|| {
            CsError::InvalidField("orderInformation.amountDetails.totalAmount".into())
        })?),
        None => None,
    }
    .filter(|a| *a > 0);
    let store = sandbox.cybersource.current();
    let mut agreements = lock(&store.agreements);
    let agreement = agreements.get_mut(&id).ok_or(CsError::NotFound)?;
    if agreement.status != "ACTIVE" {
        return Err(CsError::Rejected {
            reason: "INVALID_REQUEST",
            message: format!("Declined - The billing agreement is {}", agreement.status),
        });
    }
    if let Some(a) = amount
        && (a < agreement.min_amount || a > agreement.max_amount)
    {
        return Err(CsError::InvalidField(
            "orderInformation.amountDetails.totalAmount".into(),
        ));
    }
    agreement.intimations.push((amount, Instant::now()));
    Ok(created(json!({
        "id": new_id(),
        "installmentInformation": {"identifier": agreement.identifier},
        "processorInformation": {"responseCode": "00"},
        "status": "SUCCESS",
        "submitTimeUtc": utc_now_iso(),
    })))
}

/// A merchant-initiated debit under the agreement with this identifier.
pub fn debit(
    sandbox: &Sandbox,
    identifier: &str,
    card: &str,
    amount: i64,
) -> Result<Authorization, CsError> {
    let agreement_id = lock(&sandbox.cybersource.current().identifiers)
        .get(&identifier.to_owned())
        .cloned()
        .ok_or_else(|| CsError::InvalidField("installmentInformation.identifier".into()))?;
    let store = sandbox.cybersource.current();
    let mut agreements = lock(&store.agreements);
    let agreement = agreements
        .get_mut(&agreement_id)
        .ok_or_else(|| CsError::InvalidField("installmentInformation.identifier".into()))?;
    if agreement.status != "ACTIVE" || agreement.card_number != card {
        return Ok(Authorization::Declined(Decline::DoNotHonour));
    }
    if amount < agreement.min_amount || amount > agreement.max_amount {
        return Ok(Authorization::Declined(Decline::DoNotHonour));
    }
    let lead = sandbox.config.si_intimation_lead;
    let now = Instant::now();
    let usable = agreement
        .intimations
        .iter()
        .position(|(a, at)| a.is_none_or(|a| a == amount) && now.duration_since(*at) >= lead);
    let Some(index) = usable else {
        return Ok(Authorization::Declined(Decline::DoNotHonour));
    };
    agreement.intimations.remove(index);
    drop(agreements);
    Ok(sandbox.issuer.authorize_recurring(card))
}
