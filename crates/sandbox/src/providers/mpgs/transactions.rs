//! AUTHORIZE and PAY (RuPay: `authentication.transactionId` must name a successful
//! authentication on the order, else NPCI declines 409), CAPTURE, REFUND and VOID.
//!
//! Declines are `200` with `result: FAILURE`, the gateway code and the acquirer's code and
//! message of seed 001 (51, 54, 05, 409).

use serde_json::Value;
use time::OffsetDateTime;

use super::request::{self, CardRules};
use super::status::totals;
use super::store::{AuthStage, Kind, Order, Outcome, Transaction, VoidOf, lock};
use super::{Ctx, MpgsError, wire};
use crate::npci::Authorization;
use crate::npci::issuer::random_digits;
use crate::providers::json::Fields;

const AUTHENTICATION_ID: &str = "authentication.transactionId";

fn exists(ctx: &Ctx<'_>) -> MpgsError {
    MpgsError::invalid(
        "transaction.id",
        format!(
            "Value '{}' is invalid. A transaction with this ID already exists on the order.",
            ctx.transaction
        ),
    )
}

fn no_order(ctx: &Ctx<'_>) -> MpgsError {
    MpgsError::invalid(
        "order.id",
        format!(
            "Value '{}' is invalid. No order exists with this ID.",
            ctx.order
        ),
    )
}

/// AUTHORIZE (`capture == false`) or PAY.
pub fn pay(ctx: &Ctx<'_>, body: &Value, capture: bool) -> Result<Value, MpgsError> {
    let mut f = Fields::new(body);
    let amount = request::amount(&mut f, "order.amount", true).unwrap_or(0);
    let currency = f.req("order.currency");
    let authentication_id = f.opt(AUTHENTICATION_ID);
    let card = request::card(
        &mut f,
        CardRules {
            number_required: false,
            expiry_required: true,
            cryptogram_required: true,
        },
    );
    request::check(&f)?;
    if amount <= 0 {
        return Err(MpgsError::invalid_value("order.amount", "0"));
    }
    let device = crate::providers::json::at(body, "device").cloned();
    let now = OffsetDateTime::now_utc();
    let mut orders = lock(&ctx.sandbox.mpgs.orders);
    let key = (ctx.merchant.clone(), ctx.order.clone());
    let mut order = orders.get(&key).cloned().unwrap_or_else(|| Order {
        id: ctx.order.clone(),
        currency: currency.clone(),
        amount: None,
        created: now,
        updated: now,
        transactions: Vec::new(),
    });
    if order.currency != currency {
        return Err(MpgsError::invalid_value("order.currency", &currency));
    }
    if order.transaction(&ctx.transaction).is_some() {
        return Err(exists(ctx));
    }
    let authentication = match &authentication_id {
        Some(id) => Some(
            order
                .transaction(id)
                .filter(|t| t.kind == Kind::Authentication)
                .ok_or_else(|| MpgsError::invalid_value(AUTHENTICATION_ID, id))?,
        ),
        None => None,
    };
    let card = card
        .or_else(|| authentication.and_then(|a| a.card.clone()))
        .ok_or_else(|| MpgsError::Missing(request::CARD_NUMBER.into()))?;
    // The RuPay authentication transaction id is the proof the issuer knows.
    let proofs: Vec<String> = authentication
        .and_then(|a| a.auth.as_ref())
        .filter(|a| a.stage == AuthStage::Started)
        .and_then(|a| a.reference.clone())
        .into_iter()
        .collect();
    let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
    let outcome = match ctx.sandbox.issuer.authorize(&card.number, &proofs) {
        Authorization::Approved { approval_code } => Outcome::Approved {
            authorization_code: approval_code,
            receipt: random_digits(12),
            stan: rand::random_range(1..1_000_000u32).to_string(),
            transaction_identifier: random_digits(30),
        },
        Authorization::Declined(d) => Outcome::Declined(d),
    };
    order.amount = Some(amount);
    order.updated = now;
    order.transactions.push(Transaction {
        id: ctx.transaction.clone(),
        kind: if capture {
            Kind::Payment
        } else {
            Kind::Authorization
        },
        amount,
        currency,
        card: Some(card),
        created: now,
        auth: None,
        authentication_id,
        target: None,
        outcome: Some(outcome),
        voided: false,
        device,
        version: ctx.version,
    });
    let view = last_view(ctx, &order);
    orders.insert(key, order);
    Ok(view)
}

/// `transaction.amount` and `transaction.currency` of a CAPTURE or REFUND.
fn money(body: &Value) -> Result<(i64, String), MpgsError> {
    let mut f = Fields::new(body);
    let amount = request::amount(&mut f, "transaction.amount", true).unwrap_or(0);
    let currency = f.req("transaction.currency");
    request::check(&f)?;
    if amount <= 0 {
        return Err(MpgsError::invalid_value("transaction.amount", "0"));
    }
    Ok((amount, currency))
}

/// Runs `op` on an existing order under the lock and appends the transaction it returns.
fn follow_on(
    ctx: &Ctx<'_>,
    op: impl FnOnce(&mut Order) -> Result<Transaction, MpgsError>,
) -> Result<Value, MpgsError> {
    let mut orders = lock(&ctx.sandbox.mpgs.orders);
    let key = (ctx.merchant.clone(), ctx.order.clone());
    let mut order = orders.get(&key).cloned().ok_or_else(|| no_order(ctx))?;
    if order.transaction(&ctx.transaction).is_some() {
        return Err(exists(ctx));
    }
    let tx = op(&mut order)?;
    order.updated = tx.created;
    order.transactions.push(tx);
    let view = last_view(ctx, &order);
    orders.insert(key, order);
    Ok(view)
}

fn new_tx(ctx: &Ctx<'_>, kind: Kind, amount: i64, currency: String, order: &Order) -> Transaction {
    let card = order.transactions.iter().rev().find_map(|t| t.card.clone());
    Transaction {
        id: ctx.transaction.clone(),
        kind,
        amount,
        currency,
        card,
        created: OffsetDateTime::now_utc(),
        auth: None,
        authentication_id: None,
        target: None,
        outcome: None,
        voided: false,
        device: None,
        version: ctx.version,
    }
}

fn check_currency(order: &Order, currency: &str) -> Result<(), MpgsError> {
    if order.currency == currency {
        Ok(())
    } else {
        Err(MpgsError::invalid_value("transaction.currency", currency))
    }
}

pub fn capture(ctx: &Ctx<'_>, body: &Value) -> Result<Value, MpgsError> {
    let (amount, currency) = money(body)?;
    follow_on(ctx, |order| {
        check_currency(order, &currency)?;
        let authorized = order
            .transactions
            .iter()
            .any(|t| t.kind == Kind::Authorization && t.approved() && !t.voided);
        if !authorized {
            return Err(MpgsError::Request(
                "The order has no approved authorization to capture".into(),
            ));
        }
        let t = totals(order);
        if t.captured + amount > t.authorized {
            return Err(MpgsError::invalid(
                "transaction.amount",
                "Requested capture amount exceeds the outstanding authorized amount",
            ));
        }
        Ok(new_tx(ctx, Kind::Capture, amount, currency, order))
    })
}

pub fn refund(ctx: &Ctx<'_>, body: &Value) -> Result<Value, MpgsError> {
    let (amount, currency) = money(body)?;
    follow_on(ctx, |order| {
        check_currency(order, &currency)?;
        let t = totals(order);
        if t.captured == 0 {
            return Err(MpgsError::Request(
                "The order has no captured amount to refund".into(),
            ));
        }
        if t.refunded + amount > t.captured {
            return Err(MpgsError::invalid(
                "transaction.amount",
                "Requested refund amount exceeds the captured amount not yet refunded",
            ));
        }
        Ok(new_tx(ctx, Kind::Refund, amount, currency, order))
    })
}

pub fn void(ctx: &Ctx<'_>, body: &Value) -> Result<Value, MpgsError> {
    const TARGET: &str = "transaction.targetTransactionId";
    let mut f = Fields::new(body);
    let target_id = f.req(TARGET);
    request::check(&f)?;
    follow_on(ctx, |order| {
        let captured_after = order
            .transactions
            .iter()
            .any(|t| t.kind == Kind::Capture && !t.voided);
        let target = order
            .transaction_mut(&target_id)
            .filter(|t| t.approved() && !t.voided)
            .ok_or_else(|| MpgsError::invalid_value(TARGET, &target_id))?;
        let of = match target.kind {
            Kind::Authorization if !captured_after => VoidOf::Authorization,
            Kind::Payment => VoidOf::Payment,
            Kind::Capture => VoidOf::Capture,
            Kind::Refund => VoidOf::Refund,
            _ => {
                return Err(MpgsError::invalid(
                    TARGET,
                    format!("Value '{target_id}' is invalid. The transaction cannot be voided."),
                ));
            }
        };
        target.voided = true;
        let (amount, currency) = (target.amount, target.currency.clone());
        let mut tx = new_tx(ctx, Kind::Void(of), amount, currency, order);
        tx.target = Some(target_id.clone());
        Ok(tx)
    })
}

fn last_view(ctx: &Ctx<'_>, order: &Order) -> Value {
    match order.transactions.last() {
        Some(tx) => wire::transaction(ctx.sandbox, &ctx.merchant, order, tx, None),
        None => Value::Null,
    }
}
