//! Reading a gateway request: the JSON body, the collected field problems in the gateway's
//! error shape, the `sourceOfFunds` card or scheme token, amounts and ids.

use axum::body::Bytes;
use serde_json::Value;

use super::MpgsError;
use super::store::{Card, SourceType};
use crate::npci::cards;
use crate::providers::json::{Fields, parse_amount};

pub const CARD_NUMBER: &str = "sourceOfFunds.provided.card.number";
pub const SOURCE_TYPE: &str = "sourceOfFunds.type";
pub const EXPIRY_MONTH: &str = "sourceOfFunds.provided.card.expiry.month";
pub const EXPIRY_YEAR: &str = "sourceOfFunds.provided.card.expiry.year";
pub const CRYPTOGRAM: &str = "sourceOfFunds.provided.card.devicePayment.onlinePaymentCryptogram";

/// The body as a JSON object.
pub fn parse(bytes: &Bytes) -> Result<Value, MpgsError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(MpgsError::MalformedBody),
    }
}

/// The first problem the fields collected, as the gateway reports one field at a time.
pub fn check(fields: &Fields<'_>) -> Result<(), MpgsError> {
    if let Some(field) = fields.missing.first() {
        return Err(MpgsError::Missing(field.clone()));
    }
    if let Some(field) = fields.invalid.first() {
        return Err(MpgsError::invalid(
            field,
            format!("Value for field '{field}' is invalid."),
        ));
    }
    Ok(())
}

/// A positive amount at `path` (string or number), in minor units.
pub fn amount(fields: &mut Fields<'_>, path: &str, required: bool) -> Option<i64> {
    let raw = if required {
        Some(fields.req(path))
    } else {
        fields.opt(path)
    };
    let raw = raw.filter(|r| !r.is_empty())?;
    match parse_amount(&raw) {
        Some(v) => Some(v),
        None => {
            fields.mark_invalid(path);
            None
        }
    }
}

/// Order and transaction ids: 1 to 40 characters, no whitespace.
pub fn check_id(field: &str, id: &str) -> Result<(), MpgsError> {
    if id.is_empty() || id.len() > 40 || id.chars().any(char::is_whitespace) {
        return Err(MpgsError::invalid_value(field, id));
    }
    Ok(())
}

/// What the request asks of the card block.
#[derive(Debug, Clone, Copy)]
pub struct CardRules {
    /// `sourceOfFunds.provided.card.number` must be present.
    pub number_required: bool,
    /// A CARD must carry its expiry.
    pub expiry_required: bool,
    /// A SCHEME_TOKEN must carry its cryptogram (payments, where the gateway passes it on).
    pub cryptogram_required: bool,
}

/// Reads `sourceOfFunds`: type CARD (default) or SCHEME_TOKEN (the token PAN in `card.number`,
/// the cryptogram in `card.devicePayment.onlinePaymentCryptogram`). `None` when absent and
/// not required. Call [`check`] afterwards.
pub fn card(fields: &mut Fields<'_>, rules: CardRules) -> Option<Card> {
    let source = match fields.opt(SOURCE_TYPE).as_deref() {
        None | Some("CARD") => SourceType::Card,
        Some("SCHEME_TOKEN") => SourceType::SchemeToken,
        Some(_) => {
            fields.mark_invalid(SOURCE_TYPE);
            SourceType::Card
        }
    };
    let number = if rules.number_required {
        Some(fields.req(CARD_NUMBER))
    } else {
        fields.opt(CARD_NUMBER)
    }
    .filter(|n| !n.is_empty())?;
    let month = fields.opt(EXPIRY_MONTH);
    let year = fields.opt(EXPIRY_YEAR);
    let expiry = match (month, year) {
        (Some(m), Some(y)) => {
            let month_ok = m.parse::<u8>().is_ok_and(|v| (1..=12).contains(&v)) && m.len() <= 2;
            let year_ok = (y.len() == 2 || y.len() == 4) && y.bytes().all(|b| b.is_ascii_digit());
            if !month_ok {
                fields.mark_invalid(EXPIRY_MONTH);
            }
            if !year_ok {
                fields.mark_invalid(EXPIRY_YEAR);
            }
            Some((m, y))
        }
        (None, None) => {
            if rules.expiry_required {
                fields.missing.push(EXPIRY_MONTH.into());
            }
            None
        }
        (Some(_), None) => {
            fields.missing.push(EXPIRY_YEAR.into());
            None
        }
        (None, Some(_)) => {
            fields.missing.push(EXPIRY_MONTH.into());
            None
        }
    };
    if source == SourceType::SchemeToken {
        match fields.opt(CRYPTOGRAM) {
            Some(c) if is_base64(&c) => {}
            Some(_) => fields.mark_invalid(CRYPTOGRAM),
            None if rules.cryptogram_required => fields.missing.push(CRYPTOGRAM.into()),
            None => {}
        }
    }
    if fields.is_ok() && !cards::luhn_valid(&number) {
        fields.mark_invalid(CARD_NUMBER);
    }
    Some(Card {
        number,
        source,
        expiry,
    })
}

fn is_base64(s: &str) -> bool {
    use base64::Engine;
    !s.is_empty() && base64::engine::general_purpose::STANDARD.decode(s).is_ok()
}

/// IPv4 in `nnn.nnn.nnn.nnn` form (the gateway does not take IPv6 here).
pub fn is_ipv4(s: &str) -> bool {
    s.parse::<std::net::Ipv4Addr>().is_ok()
}

/// `n` random lowercase hex characters.
pub fn random_hex(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16usize)]))
        .collect()
}

/// `n` random alphanumeric characters.
pub fn random_alnum(n: usize) -> String {
    use rand::Rng;
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(SET[rng.random_range(0..SET.len())]))
        .collect()
}
