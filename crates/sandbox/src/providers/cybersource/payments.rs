//! `/pts/v2/payments` and its follow-ons: authorization (with `capture=true` a sale),
//! captures, reversals, refunds and voids (read back through `details`: Cybersource
//! documents no GET of these resources).
//!
//! RuPay rules enforced: `processingInformation.commerceIndicator` must be `rpy` (400
//! otherwise), and the authorization must present a successful authentication (CAVV/XID,
//! `transactionToken` or the authentication id), else it is DECLINED with
//! `CONSUMER_AUTHENTICATION_REQUIRED`. Declines are `201` with `status: DECLINED`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::store::{Kind, Transaction, lock};
use super::{CONNECTOR, CsError, agreements, client_reference, created, new_id, parse};
use crate::npci::issuer::random_digits;
use crate::npci::{Authorization, Decline, cards};
use crate::providers::json::{Fields, format_amount, parse_amount};
use crate::providers::time::utc_now_iso;
use crate::state::Sandbox;

const TOTAL: &str = "orderInformation.amountDetails.totalAmount";
const CURRENCY: &str = "orderInformation.amountDetails.currency";
const CARD_NUMBER: [&str; 2] = [
    "paymentInformation.card.number",
    "paymentInformation.tokenizedCard.number",
];
const INDICATOR: &str = "processingInformation.commerceIndicator";

/// Where an authorization may carry proof of authentication.
const PROOFS: [&str; 5] = [
    "consumerAuthenticationInformation.cavv",
    "consumerAuthenticationInformation.xid",
    "consumerAuthenticationInformation.transactionToken",
    "consumerAuthenticationInformation.authenticationTransactionId",
    "payerAuthentication.authenticationValue",
];

fn links(id: &str, kind: &str, extra: &[(&str, &str)]) -> Value {
    let mut links = json!({"self": {"method": "GET", "href": format!("/pts/v2/{kind}/{id}")}});
    for (name, path) in extra {
        links[*name] = json!({"method": "POST", "href": format!("/pts/v2/{kind}/{id}/{path}")});
    }
    links
}

fn amount(fields: &mut Fields<'_>, path: &str) -> i64 {
    let raw = fields.req(path);
    if raw.is_empty() {
        return 0;
    }
    match parse_amount(&raw) {
        Some(v) if v > 0 => v,
        _ => {
            fields.mark_invalid(path);
            0
        }
    }
}

pub async fn authorize(
    State(sandbox): State<Arc<Sandbox>>,
    bytes: Bytes,
) -> Result<Response, CsError> {
    sandbox.calls.record(CONNECTOR, "authorization");
    let body = parse(&bytes)?;
    let mut fields = Fields::new(&body);
    let number = fields.req_any(&CARD_NUMBER);
    fields.req_any(&[
        "paymentInformation.card.expirationMonth",
        "paymentInformation.tokenizedCard.expirationMonth",
    ]);
    fields.req_any(&[
        "paymentInformation.card.expirationYear",
        "paymentInformation.tokenizedCard.expirationYear",
    ]);
    let total = amount(&mut fields, TOTAL);
    let currency = fields.req(CURRENCY);
    let indicator = fields.opt(INDICATOR);
    let capture = fields
        .opt_bool("processingInformation.capture")
        .unwrap_or(false);
    let identifier = fields.opt("installmentInformation.identifier");
    let card_type = fields.opt("paymentInformation.card.type");
    fields.opt("consumerAuthenticationInformation.transactionFlowIndicator");
    CsError::check(&fields)?;
    if !cards::luhn_valid(&number) {
        return Err(CsError::InvalidField(CARD_NUMBER[0].into()));
    }
    super::enrollment::check_card_type(card_type.as_deref(), &number)?;
    let rupay = card_type.as_deref() == Some("061") || cards::is_rupay_bin(&number);
    let client_ref = client_reference(&body);
    let decision = match &identifier {
        // Merchant-initiated debit under a Standing Instruction (commerceIndicator may be RECURRING).
        Some(identifier) => agreements::debit(&sandbox, identifier, &number, total)?,
        None => {
            if rupay
                && !indicator
                    .as_deref()
                    .is_some_and(|i| i.eq_ignore_ascii_case("rpy"))
            {
                return Err(CsError::InvalidField(INDICATOR.into()));
            }
            let proofs: Vec<String> = PROOFS.iter().filter_map(|p| fields.opt(p)).collect();
            let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
            sandbox.issuer.authorize(&number, &proofs)
        }
    };
    let id = new_id();
    let submit = utc_now_iso();
    let (view, status) = match decision {
        Authorization::Approved { approval_code } => {
            let network_id = random_digits(15);
            // The seed's links of an authorization (a sale's answer shows none beyond self).
            let extra: &[(&str, &str)] = if capture {
                &[]
            } else {
                &[("authReversal", "reversals"), ("capture", "captures")]
            };
            let view = json!({
                "_links": links(&id, "payments", extra),
                "clientReferenceInformation": client_ref,
                "id": id,
                "orderInformation": {"amountDetails": {
                    "authorizedAmount": format_amount(total),
                    "totalAmount": format_amount(total),
                    "currency": currency,
                }},
                "paymentAccountInformation": {"card": {"type": "061"}},
                "paymentInformation": {"tokenizedCard": {"type": "061"}, "card": {"type": "061"}},
                "processorInformation": {
                    "approvalCode": approval_code,
                    "networkTransactionId": network_id,
                    "transactionId": network_id,
                    "responseCode": "00",
                },
                "reconciliationId": random_digits(16),
                "status": "AUTHORIZED",
                "submitTimeUtc": submit,
            });
            (view, "AUTHORIZED")
        }
        Authorization::Declined(decline) => {
            let view = json!({
                "_links": links(&id, "payments", &[]),
                "clientReferenceInformation": client_ref,
                "errorInformation": {"reason": decline_reason(decline), "message": decline_message(decline)},
                "id": id,
                "processorInformation": {"responseCode": decline.code()},
                "status": "DECLINED",
                "submitTimeUtc": submit,
            });
            (view, "DECLINED")
        }
    };
    let approved = status == "AUTHORIZED";
    lock(&sandbox.cybersource.current().transactions).insert(
        id.clone(),
        Transaction {
            kind: Kind::Authorization,
            status: status.into(),
            amount: total,
            currency,
            root: id.clone(),
            parent: None,
            card_number: number,
            sale: capture,
            captured: if capture && approved { total } else { 0 },
            refunded: 0,
            reversed: false,
            voided: false,
            view: view.clone(),
        },
    );
    Ok(created(view))
}

fn decline_reason(d: Decline) -> &'static str {
    match d {
        Decline::InsufficientFunds => "INSUFFICIENT_FUND",
        Decline::ExpiredCard => "EXPIRED_CARD",
        Decline::DoNotHonour => "PROCESSOR_DECLINED",
        Decline::AuthenticationRequired => "CONSUMER_AUTHENTICATION_REQUIRED",
    }
}

fn decline_message(d: Decline) -> &'static str {
    match d {
        Decline::InsufficientFunds => "Decline - Insufficient funds in the account.",
        Decline::ExpiredCard => {
            "Decline - Expired card. You might also receive this if the expiration date you provided does not match the date the issuing bank has on file."
        }
        Decline::DoNotHonour => {
            "Decline - General decline of the card. No other information was provided by the issuing bank."
        }
        Decline::AuthenticationRequired => {
            "The cardholder is enrolled in Payer Authentication. Please authenticate the cardholder before continuing with the transaction."
        }
    }
}

/// Looks up a transaction of the expected kinds.
fn find(sandbox: &Sandbox, id: &str, kinds: &[Kind]) -> Result<Transaction, CsError> {
    lock(&sandbox.cybersource.current().transactions)
        .get(&id.to_owned())
        .filter(|t| kinds.contains(&t.kind))
        .cloned()
        .ok_or(CsError::NotFound)
}

fn rejected(reason: &'static str, message: &str) -> CsError {
    CsError::Rejected {
        reason,
        message: message.into(),
    }
}

/// Records a follow-on transaction and updates the totals on its authorization.
fn record_follow_on(
    sandbox: &Sandbox,
    id: &str,
    txn: Transaction,
    update_root: impl FnOnce(&mut Transaction) -> Result<(), CsError>,
) -> Result<(), CsError> {
    let store = sandbox.cybersource.current();
    let mut table = lock(&store.transactions);
    let root = table.get_mut(&txn.root).ok_or(CsError::NotFound)?;
    update_root(root)?;
    table.insert(id.to_owned(), txn);
    Ok(())
}

pub async fn capture(
    State(sandbox): State<Arc<Sandbox>>,
    Path(auth_id): Path<String>,
    bytes: Bytes,
) -> Result<Response, CsError> {
    sandbox.calls.record(CONNECTOR, "capture");
    let body = parse(&bytes)?;
    let mut fields = Fields::new(&body);
    let total = amount(&mut fields, TOTAL);
    let currency = fields.opt(CURRENCY);
    CsError::check(&fields)?;
    let auth = find(&sandbox, &auth_id, &[Kind::Authorization])?;
    let id = new_id();
    let currency = currency.unwrap_or(auth.currency.clone());
    let view = json!({
        "_links": links(&id, "captures", &[("void", "voids"), ("refund", "refunds")]),
        "clientReferenceInformation": client_reference(&body),
        "id": id,
        "orderInformation": {"amountDetails": {"totalAmount": format_amount(total), "currency": currency}},
        "reconciliationId": random_digits(16),
        "status": "PENDING",
        "submitTimeUtc": utc_now_iso(),
    });
    let txn = follow_on(
        Kind::Capture,
        "PENDING",
        total,
        &currency,
        &auth,
        &auth_id,
        view.clone(),
    );
    record_follow_on(&sandbox, &id, txn, |root| {
        if root.status != "AUTHORIZED" || root.reversed {
            return Err(rejected(
                "AUTHORIZATION_ALREADY_REVERSED",
                "Declined - The authorization has already been reversed or was not approved.",
            ));
        }
        if root.captured + total > root.amount {
            return Err(rejected(
                "EXCEEDS_AUTH_AMOUNT",
                "Declined - The requested amount exceeds the originally authorized amount.",
            ));
        }
        root.captured += total;
        Ok(())
    })?;
    Ok(created(view))
}

fn follow_on(
    kind: Kind,
    status: &str,
    amount: i64,
    currency: &str,
    root: &Transaction,
    parent: &str,
    view: Value,
) -> Transaction {
    Transaction {
        kind,
        status: status.into(),
        amount,
        currency: currency.into(),
        root: root.root.clone(),
        parent: Some(parent.into()),
        card_number: root.card_number.clone(),
        sale: false,
        captured: 0,
        refunded: 0,
        reversed: false,
        voided: false,
        view,
    }
}

pub async fn reverse(
    State(sandbox): State<Arc<Sandbox>>,
    Path(auth_id): Path<String>,
    bytes: Bytes,
) -> Result<Response, CsError> {
    sandbox.calls.record(CONNECTOR, "reversal");
    let body = parse(&bytes)?;
    let mut fields = Fields::new(&body);
    let total = amount(&mut fields, "reversalInformation.amountDetails.totalAmount");
    fields.opt("reversalInformation.reason");
    CsError::check(&fields)?;
    let auth = find(&sandbox, &auth_id, &[Kind::Authorization])?;
    let id = new_id();
    let view = json!({
        "_links": links(&id, "reversals", &[]),
        "clientReferenceInformation": client_reference(&body),
        "id": id,
        "reversalAmountDetails": {"reversedAmount": format_amount(total), "currency": auth.currency},
        "processorInformation": {"responseCode": "00"},
        "status": "REVERSED",
        "submitTimeUtc": utc_now_iso(),
    });
    let txn = follow_on(
        Kind::Reversal,
        "REVERSED",
        total,
        &auth.currency,
        &auth,
        &auth_id,
        view.clone(),
    );
    record_follow_on(&sandbox, &id, txn, |root| {
        if root.reversed {
            return Err(rejected(
                "AUTH_ALREADY_REVERSED",
                "Declined - The authorization has already been reversed.",
            ));
        }
        if root.status != "AUTHORIZED" || root.captured > 0 {
            return Err(rejected(
                "INVALID_REQUEST",
                "Declined - The authorization has been captured or was not approved.",
            ));
        }
        if total != root.amount {
            return Err(CsError::InvalidField(
                "reversalInformation.amountDetails.totalAmount".into(),
            ));
        }
        root.reversed = true;
        root.status = "REVERSED".into();
        root.view["status"] = json!("REVERSED");
        Ok(())
    })?;
    Ok(created(view))
}

/// Refund of a payment (`/payments/{id}/refunds`) or of a capture (`/captures/{id}/refunds`).
pub async fn refund(
    State(sandbox): State<Arc<Sandbox>>,
    Path(parent_id): Path<String>,
    bytes: Bytes,
) -> Result<Response, CsError> {
    sandbox.calls.record(CONNECTOR, "refund");
    let body = parse(&bytes)?;
    let mut fields = Fields::new(&body);
    let total = amount(&mut fields, TOTAL);
    CsError::check(&fields)?;
    let parent = find(&sandbox, &parent_id, &[Kind::Authorization, Kind::Capture])?;
    let id = new_id();
    let view = json!({
        "_links": links(&id, "refunds", &[("void", "voids")]),
        "clientReferenceInformation": client_reference(&body),
        "id": id,
        "refundAmountDetails": {"refundAmount": format_amount(total), "currency": parent.currency},
        "reconciliationId": random_digits(16),
        "status": "PENDING",
        "submitTimeUtc": utc_now_iso(),
    });
    let txn = follow_on(
        Kind::Refund,
        "PENDING",
        total,
        &parent.currency,
        &parent,
        &parent_id,
        view.clone(),
    );
    record_follow_on(&sandbox, &id, txn, |root| {
        if root.refunded + total > root.captured {
            return Err(rejected(
                "INVALID_AMOUNT",
                "Declined - The refund amount exceeds the captured amount.",
            ));
        }
        root.refunded += total;
        Ok(())
    })?;
    Ok(created(view))
}

/// Void of a capture, a refund, or a sale (auth with capture).
pub async fn void(
    State(sandbox): State<Arc<Sandbox>>,
    Path(target_id): Path<String>,
    bytes: Bytes,
) -> Result<Response, CsError> {
    sandbox.calls.record(CONNECTOR, "void");
    let body = if bytes.is_empty() {
        json!({})
    } else {
        parse(&bytes)?
    };
    let id = new_id();
    let store = sandbox.cybersource.current();
    let mut table = lock(&store.transactions);
    let target = table.get(&target_id).cloned().ok_or(CsError::NotFound)?;
    if target.voided
        || target.status == "DECLINED"
        || matches!(target.kind, Kind::Reversal | Kind::Void)
    {
        return Err(rejected(
            "NOT_VOIDABLE",
            "Declined - The transaction cannot be voided.",
        ));
    }
    let root_id = target.root.clone();
    let root = table.get_mut(&root_id).ok_or(CsError::NotFound)?;
    match target.kind {
        Kind::Capture => root.captured -= target.amount,
        Kind::Refund => root.refunded -= target.amount,
        Kind::Authorization => {
            if root.refunded > 0 || root.captured == 0 {
                return Err(rejected(
                    "NOT_VOIDABLE",
                    "Declined - Only an unrefunded sale can be voided; reverse an authorization instead.",
                ));
            }
            root.captured = 0;
        }
        Kind::Reversal | Kind::Void => {}
    }
    if let Some(t) = table.get_mut(&target_id) {
        t.voided = true;
        t.status = "VOIDED".into();
        t.view["status"] = json!("VOIDED");
    }
    let view = json!({
        "_links": links(&id, "voids", &[]),
        "clientReferenceInformation": client_reference(&body),
        "id": id,
        "voidAmountDetails": {"voidAmount": format_amount(target.amount), "currency": target.currency},
        "status": "VOIDED",
        "submitTimeUtc": utc_now_iso(),
    });
    let txn = follow_on(
        Kind::Void,
        "VOIDED",
        target.amount,
        &target.currency,
        &target,
        &target_id,
        view.clone(),
    );
    table.insert(id, txn);
    Ok(created(view))
}
