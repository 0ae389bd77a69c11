//! INITIATE_AUTHENTICATION (is RuPay authentication available for this card?) and
//! AUTHENTICATE_PAYER (open the issuer challenge; answer the redirect or seamless
//! `authentication.redirect.html`).

use serde_json::Value;
use time::OffsetDateTime;

use super::html::{self, RedirectFields};
use super::request::{self, CardRules};
use super::store::{AuthRecord, AuthStage, Callback, Kind, Order, Transaction, lock};
use super::{CONNECTOR, Ctx, MpgsError, callback, wire};
use crate::acs::{AcsChallenge, Purchase, acs_url};
use crate::npci::issuer::random_digits;
use crate::npci::{Enrollment, Flow};
use crate::providers::json::Fields;

const CHANNELS: [&str; 2] = ["PAYER_BROWSER", "MERCHANT_REQUESTED"];

pub fn initiate(ctx: &Ctx<'_>, body: &Value) -> Result<Value, MpgsError> {
    let mut f = Fields::new(body);
    let currency = f.req("order.currency");
    let amount = request::amount(&mut f, "order.amount", false);
    let channel = f.req("authentication.channel");
    let purpose = f
        .opt("authentication.purpose")
        .unwrap_or_else(|| "PAYMENT_TRANSACTION".into());
    let card = request::card(
        &mut f,
        CardRules {
            number_required: true,
            expiry_required: false,
            cryptogram_required: false,
        },
    );
    request::check(&f)?;
    if !CHANNELS.contains(&channel.as_str()) {
        return Err(MpgsError::invalid_value("authentication.channel", &channel));
    }
    let card = card.ok_or_else(|| MpgsError::Missing(request::CARD_NUMBER.into()))?;
    let stage = match ctx.sandbox.issuer.enrollment(&card.number, None) {
        Enrollment::NotEnrolled => AuthStage::NotSupported,
        // The BIN is eligible; the ACS being down shows at AUTHENTICATE_PAYER.
        Enrollment::IssuerUnavailable | Enrollment::Enrolled(_) => AuthStage::Available,
    };
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
        return Err(MpgsError::invalid(
            "transaction.id",
            format!(
                "Value '{}' is invalid. A transaction with this ID already exists on the order.",
                ctx.transaction
            ),
        ));
    }
    order.updated = now;
    if amount.is_some() {
        order.amount = amount;
    }
    order.transactions.push(Transaction {
        id: ctx.transaction.clone(),
        kind: Kind::Authentication,
        amount: amount.unwrap_or(0),
        currency,
        card: Some(card),
        created: now,
        auth: Some(AuthRecord {
            stage,
            purpose,
            channel,
            flow: None,
            reference: None,
            redirect_html: None,
            redirect_response_url: None,
            session: None,
            retried: false,
            time: None,
            device: None,
        }),
        authentication_id: None,
        target: None,
        outcome: None,
        voided: false,
        device: None,
        version: ctx.version,
    });
    let view = answer(ctx, &order, Some(html::INITIATE_SCRIPT));
    orders.insert(key, order);
    Ok(view)
}

pub fn authenticate_payer(ctx: &Ctx<'_>, body: &Value) -> Result<Value, MpgsError> {
    let mut f = Fields::new(body);
    let amount = request::amount(&mut f, "order.amount", true);
    let currency = f.req("order.currency");
    let return_url = f.req("authentication.redirectResponseUrl");
    f.req("device.browserDetails.acceptHeaders");
    let ip = f.req("device.ipAddress");
    let card = request::card(
        &mut f,
        CardRules {
            number_required: false,
            expiry_required: false,
            cryptogram_required: false,
        },
    );
    request::check(&f)?;
    if !request::is_ipv4(&ip) {
        return Err(MpgsError::invalid_value("device.ipAddress", &ip));
    }
    let amount = amount.unwrap_or(0);
    let device = crate::providers::json::at(body, "device").cloned();
    let now = OffsetDateTime::now_utc();
    let mut orders = lock(&ctx.sandbox.mpgs.orders);
    let key = (ctx.merchant.clone(), ctx.order.clone());
    let not_initiated = || {
        MpgsError::Request(format!(
            "No INITIATE_AUTHENTICATION with transaction.id '{}' on order '{}': initiate authentication first",
            ctx.transaction, ctx.order
        ))
    };
    let mut order = orders.get(&key).cloned().ok_or_else(not_initiated)?;
    if order.currency != currency {
        return Err(MpgsError::invalid_value("order.currency", &currency));
    }
    let tx = order
        .transaction_mut(&ctx.transaction)
        .filter(|t| t.kind == Kind::Authentication)
        .ok_or_else(not_initiated)?;
    let stored = tx.card.clone().ok_or_else(not_initiated)?;
    if let Some(card) = &card
        && card.number != stored.number
    {
        return Err(MpgsError::invalid(
            request::CARD_NUMBER,
            "The card differs from the one of the INITIATE_AUTHENTICATION that preceded this operation.",
        ));
    }
    let auth = tx.auth.as_mut().ok_or_else(not_initiated)?;
    if auth.stage != AuthStage::Available {
        // Already answered (repeat of AUTHENTICATE_PAYER, or authentication not available):
        // the same answer again, without a new OTP.
        let html = auth.redirect_html.clone();
        let view = answer(ctx, &order, html.as_deref());
        return Ok(view);
    }
    if let Some(card) = card {
        tx.card = Some(card);
    }
    let card = tx.card.clone().unwrap_or(stored);
    tx.amount = amount;
    tx.device = device.clone();
    auth.device = device;
    auth.time = Some(now);
    auth.redirect_response_url = Some(return_url);
    match ctx.sandbox.issuer.enrollment(&card.number, None) {
        Enrollment::NotEnrolled => auth.stage = AuthStage::NotSupported,
        Enrollment::IssuerUnavailable => auth.stage = AuthStage::Unavailable,
        Enrollment::Enrolled(flow) => {
            let reference = random_digits(30);
            ctx.sandbox.issuer.start(
                CONNECTOR,
                &reference,
                &card.number,
                flow,
                ctx.sandbox.config.mpgs.otp,
            );
            let hash = request::random_hex(64);
            lock(&ctx.sandbox.mpgs.callbacks).insert(
                hash.clone(),
                Callback {
                    merchant: ctx.merchant.clone(),
                    order: ctx.order.clone(),
                    transaction: ctx.transaction.clone(),
                },
            );
            let callback_url =
                format!("{}/api/callbackInterface/gateway/{hash}", ctx.gateway_url());
            let html = match flow {
                Flow::Seamless => html::seamless(&callback_url, None),
                Flow::Redirect => {
                    let fields = RedirectFields {
                        cardholder_id: format!(
                            "{}{}",
                            request::random_alnum(23),
                            &reference[reference.len() - 13..]
                        ),
                        guid: format!(
                            "{}{}",
                            request::random_alnum(23),
                            &reference[reference.len() - 13..]
                        ),
                        return_url: callback_url.clone(),
                        session: request::random_hex(64),
                        request_id: {
                            use base64::Engine;
                            base64::engine::general_purpose::STANDARD
                                .encode(request::random_hex(64))
                        },
                    };
                    ctx.sandbox.acs.register(AcsChallenge {
                        connector: CONNECTOR.into(),
                        reference: reference.clone(),
                        return_url: Some(callback_url.clone()),
                        return_url_field: Some("AccuReturnURL"),
                        posted: Default::default(),
                        expects: Vec::new(),
                        return_fields: callback::acs_return_fields,
                        merchant: None,
                        purchase: Some(Purchase {
                            merchant: ctx.merchant.clone(),
                            amount_minor: amount,
                            currency: currency.clone(),
                        }),
                    });
                    auth.session = Some(fields.session.clone());
                    html::redirect(&acs_url(&ctx.public_url(), CONNECTOR, &reference), &fields)
                }
            };
            auth.stage = AuthStage::Started;
            auth.flow = Some(flow);
            auth.reference = Some(reference);
            auth.redirect_html = Some(html);
        }
    }
    let html = auth.redirect_html.clone();
    order.amount = Some(amount);
    order.updated = now;
    let view = answer(ctx, &order, html.as_deref());
    orders.insert(key, order);
    Ok(view)
}

/// The transaction's view, with this answer's html.
fn answer(ctx: &Ctx<'_>, order: &Order, html: Option<&str>) -> Value {
    match order.transaction(&ctx.transaction) {
        Some(tx) => wire::transaction(ctx.sandbox, &ctx.merchant, order, tx, html),
        None => Value::Null,
    }
}
