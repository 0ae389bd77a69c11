//! Requests: primary transactions (sale, pre-auth), secondary transactions (post-auth,
//! void, return), and the pieces they share. Shapes follow the OpenAPI schemas
//! `PaymentCardSaleTransaction`, `PaymentCardPreAuthTransaction`, `PostAuthTransaction`,
//! `VoidTransaction` and `ReturnTransaction`.

use std::fmt;

use payorch_connector::ConnectorError;
use payorch_core::card::Card;
use payorch_core::money::Money;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

pub const SALE: &str = "PaymentCardSaleTransaction";
pub const PRE_AUTH: &str = "PaymentCardPreAuthTransaction";
pub const POST_AUTH: &str = "PostAuthTransaction";
pub const VOID: &str = "VoidTransaction";
pub const RETURN: &str = "ReturnTransaction";

/// `Amount`: `total` is a JSON number in the schema; it is written from the exact decimal
/// string (`"123.50"`), never through a float.
#[derive(Debug, Serialize)]
pub struct Amount {
    pub total: Box<RawValue>,
    pub currency: String,
}

impl Amount {
    pub fn of(money: Money) -> Result<Amount, ConnectorError> {
        let total = RawValue::from_string(money.to_decimal_string())
            .map_err(|_| ConnectorError::InvalidState("amount not writable as a number".into()))?;
        Ok(Amount {
            total,
            currency: money.currency().code().to_owned(),
        })
    }
}

/// `Expiration`: month `MM`, year `YY` (the schema's pattern is two digits).
#[derive(Debug, Serialize)]
pub struct Expiration {
    pub month: String,
    pub year: String,
}

/// `PaymentCard`. `Debug` shows neither the number nor the security code.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentCard {
    pub number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_code: Option<String>,
    pub expiry_date: Expiration,
}

impl fmt::Debug for PaymentCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentCard")
            .field("number", &"[REDACTED]")
            .field("security_code", &self.security_code.as_ref().map(|_| "***"))
            .field("expiry_date", &self.expiry_date)
            .finish()
    }
}

impl PaymentCard {
    pub fn of(card: &Card) -> PaymentCard {
        PaymentCard {
            number: card.number.expose().to_owned(),
            security_code: card.cvv.as_ref().map(|c| c.expose().to_owned()),
            expiry_date: Expiration {
                month: format!("{:02}", card.expiry.month()),
                year: format!("{:02}", card.expiry.year() % 100),
            },
        }
    }
}

/// `PaymentCardPaymentMethod`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    pub payment_card: PaymentCard,
}

impl PaymentMethod {
    pub fn of(card: &Card) -> PaymentMethod {
        PaymentMethod {
            payment_card: PaymentCard::of(card),
        }
    }
}

/// `Order`: payorch chooses the order id, so an order can be found again by it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
}

/// An `ipgTransactionId` referenced in a request. The schema types it `integer` (int64);
/// the seed quotes it. IPG reads both; the schema's form is sent whenever the id is
/// numeric.
#[derive(Debug, Clone)]
pub struct IpgId(pub String);

impl Serialize for IpgId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.parse::<i64>() {
            Ok(n) if !self.0.starts_with('0') || self.0 == "0" => serializer.serialize_i64(n),
            _ => serializer.serialize_str(&self.0),
        }
    }
}

/// A primary transaction: `PaymentCardSaleTransaction` or `PaymentCardPreAuthTransaction`
/// naming the payer authentication's `ipgTransactionId` and order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryTransaction {
    pub request_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    pub transaction_amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipg_transaction_id: Option<IpgId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
}

/// A secondary transaction on `POST /payments/{ipgTransactionId}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecondaryTransaction {
    pub request_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_amount: Option<Amount>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_json_numbers() {
        let amount = Amount::of(Money::new(12_350, "INR").unwrap()).unwrap();
        assert_eq!(
            serde_json::to_string(&amount).unwrap(),
            r#"{"total":123.50,"currency":"INR"}"#
        );
    }

    #[test]
    fn ids_are_integers_when_numeric() {
        assert_eq!(
            serde_json::to_string(&IpgId("84439384258".into())).unwrap(),
            "84439384258"
        );
        assert_eq!(
            serde_json::to_string(&IpgId("R-1".into())).unwrap(),
            "\"R-1\""
        );
        assert_eq!(
            serde_json::to_string(&IpgId("0123".into())).unwrap(),
            "\"0123\""
        );
    }

    #[test]
    fn card_debug_is_redacted_and_year_has_two_digits() {
        let card =
            Card::parse("5085000000000015", "07", "2031", Some("123"), None, 2026, 1).unwrap();
        let wire = PaymentCard::of(&card);
        assert_eq!(wire.expiry_date.month, "07");
        assert_eq!(wire.expiry_date.year, "31");
        let text = format!("{wire:?}");
        assert!(
            !text.contains("5085000000000015") && !text.contains("123"),
            "{text}"
        );
    }
}
