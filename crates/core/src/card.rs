//! Payment cards: number, CVV, expiry, brand, and the validated [`Card`].
//!
//! Card data must never reach logs, traces, errors or metrics. Every type here therefore
//! prints redacted (`508500******1234`, `***`), and the digits are reachable only through
//! the explicit `expose()` accessors (for the adapters) and through serde (for encryption
//! at rest in the session store).

mod brand;
mod cvv;
mod expiry;
mod number;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

pub use brand::{CardBrand, RUPAY_IIN_RANGES};
pub use cvv::Cvv;
pub use expiry::Expiry;
pub use number::CardNumber;

/// Paths of the card fields in the public API, as used in field violations.
pub mod fields {
    pub const NUMBER: &str = "payment_method.card.number";
    pub const EXPIRY_MONTH: &str = "payment_method.card.expiry_month";
    pub const EXPIRY_YEAR: &str = "payment_method.card.expiry_year";
    pub const CVV: &str = "payment_method.card.cvv";
    pub const HOLDER_NAME: &str = "payment_method.card.holder_name";
}

/// Longest accepted cardholder name, in characters (3-D Secure allows 45; leave room).
pub const MAX_HOLDER_NAME_CHARS: usize = 100;

/// What is wrong with a piece of card data. Messages never quote the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("card number must contain only digits (no spaces or dashes)")]
    NumberNotDigits,
    #[error("card number must have 12 to 19 digits")]
    NumberLength,
    #[error("card number is not valid (check digit)")]
    NumberChecksum,
    #[error("CVV must be 3 or 4 digits")]
    CvvFormat,
    #[error("CVV must be {expected} digits for this card brand")]
    CvvLengthForBrand { expected: usize },
    #[error("expiry month must be 01 to 12")]
    ExpiryMonth,
    #[error("expiry year must be YY or YYYY, between 2000 and 2099")]
    ExpiryYear,
    #[error("card has expired")]
    Expired,
    #[error("holder name must be at most 100 characters without control characters")]
    HolderName,
}

/// A validated card.
///
/// `Debug` and `Display` show only BIN and last four, never the CVV or the holder's name.
/// `Serialize` writes everything, in clear: it exists for the session store, which
/// encrypts the result. Deserialization re-validates each part (but not expiry against
/// the clock: a card stored mid-flow may expire before it is read back).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub number: CardNumber,
    pub expiry: Expiry,
    pub cvv: Option<Cvv>,
    pub holder_name: Option<String>,
    /// Set when `number` is a network (scheme) token: the token cryptogram that proves it,
    /// as secret as a CVV. See [`Card::into_network_token`].
    #[serde(default)]
    pub token_cryptogram: Option<String>,
}

impl Card {
    /// Marks this card as a network token proven by `cryptogram` (no CVV travels with it).
    pub fn into_network_token(mut self, cryptogram: String) -> Card {
        self.cvv = None;
        self.token_cryptogram = Some(cryptogram);
        self
    }

    /// Whether `number` is a network token rather than a PAN.
    pub fn is_network_token(&self) -> bool {
        self.token_cryptogram.is_some()
    }

    /// Validates the API's card fields all at once, reporting every bad field.
    ///
    /// - `number`: digits only, 12 to 19 digits, Luhn-valid;
    /// - `expiry_month` `"MM"`, `expiry_year` `"YYYY"`, not before `now_year`-`now_month`
    ///   (the caller's clock, so this stays testable); an expired card is blamed on
    ///   `expiry_year`, as the API documents;
    /// - `cvv`: optional (`None` or empty means absent); 3 or 4 digits, and exactly the
    ///   brand's length where the brand has one (4 for Amex, 3 for RuPay, Visa, Mastercard);
    /// - `holder_name`: optional, trimmed (empty means absent), at most
    ///   [`MAX_HOLDER_NAME_CHARS`] characters, no control characters.
    pub fn parse(
        number: &str,
        expiry_month: &str,
        expiry_year: &str,
        cvv: Option<&str>,
        holder_name: Option<&str>,
        now_year: u16,
        now_month: u8,
    ) -> Result<Card, ValidationError> {
        let mut errors = ValidationError::new();

        let number = CardNumber::parse(number)
            .map_err(|err| errors.push(fields::NUMBER, err.to_string()))
            .ok();

        let expiry = match Expiry::parse(expiry_month, expiry_year) {
            Ok(expiry) if expiry.is_expired_at(now_year, now_month) => {
                errors.push(fields::EXPIRY_YEAR, CardError::Expired.to_string());
                None
            }
            Ok(expiry) => Some(expiry),
            Err(err) => {
                let field = match err {
                    CardError::ExpiryYear => fields::EXPIRY_YEAR,
                    _ => fields::EXPIRY_MONTH,
                };
                errors.push(field, err.to_string());
                None
            }
        };

        let cvv = match cvv.filter(|c| !c.is_empty()) {
            None => None,
            Some(raw) => {
                let brand = number.as_ref().map(CardBrand::detect);
                check_cvv(raw, brand)
                    .map_err(|err| errors.push(fields::CVV, err.to_string()))
                    .ok()
            }
        };

        let holder_name = check_holder_name(holder_name)
            .map_err(|err| errors.push(fields::HOLDER_NAME, err.to_string()))
            .ok()
            .flatten();

        match (number, expiry) {
            (Some(number), Some(expiry)) if errors.is_empty() => Ok(Card {
                number,
                expiry,
                cvv,
                holder_name,
                token_cryptogram: None,
            }),
            _ => Err(errors),
        }
    }

    /// First six digits.
    pub fn bin(&self) -> &str {
        self.number.bin()
    }

    pub fn last4(&self) -> &str {
        self.number.last4()
    }

    pub fn brand(&self) -> CardBrand {
        CardBrand::detect(&self.number)
    }
}

fn check_cvv(raw: &str, brand: Option<CardBrand>) -> Result<Cvv, CardError> {
    let cvv = Cvv::parse(raw)?;
    match brand.and_then(CardBrand::cvv_length) {
        Some(expected) if expected != cvv.digit_count() => {
            Err(CardError::CvvLengthForBrand { expected })
        }
        _ => Ok(cvv),
    }
}

fn check_holder_name(raw: Option<&str>) -> Result<Option<String>, CardError> {
    let Some(name) = raw.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > MAX_HOLDER_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(CardError::HolderName);
    }
    Ok(Some(name.to_owned()))
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The holder's name is personal data: say whether there is one, not what it is.
        let holder_name = self.holder_name.as_ref().map(|_| Redacted);
        let cryptogram = self.token_cryptogram.as_ref().map(|_| Redacted);
        f.debug_struct("Card")
            .field("number", &self.number)
            .field("brand", &self.brand())
            .field("expiry", &format_args!("{}", self.expiry))
            .field("cvv", &self.cvv)
            .field("holder_name", &holder_name)
            .field("token_cryptogram", &cryptogram)
            .finish()
    }
}

impl fmt::Display for Card {
    /// `RUPAY 508500******1234`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.brand(), self.number)
    }
}

/// Prints `<redacted>` in place of a value.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    /// `body` followed by the digit that makes it pass the Luhn check.
    pub(crate) fn with_check_digit(body: &str) -> String {
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(index, byte)| {
                let digit = u32::from(byte - b'0');
                // With the check digit appended, the body's last digit is doubled.
                if index % 2 == 0 {
                    let doubled = digit * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                } else {
                    digit
                }
            })
            .sum();
        format!("{body}{}", (10 - sum % 10) % 10)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde::de::value::{Error as ValueError, MapDeserializer};

    use super::test_support::with_check_digit;
    use super::*;

    const NOW: (u16, u8) = (2026, 5);

    fn rupay_pan() -> String {
        with_check_digit("508500000000123")
    }

    fn parse(
        number: &str,
        month: &str,
        year: &str,
        cvv: Option<&str>,
    ) -> Result<Card, ValidationError> {
        Card::parse(number, month, year, cvv, Some("A Payer"), NOW.0, NOW.1)
    }

    fn fields_of(err: &ValidationError) -> Vec<&str> {
        err.violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn parses_a_good_card() {
        let card = parse(&rupay_pan(), "12", "2030", Some("123")).unwrap();
        assert_eq!(card.bin(), "508500");
        assert_eq!(card.last4(), &rupay_pan()[12..]);
        assert_eq!(card.brand(), CardBrand::RuPay);
        assert_eq!(card.expiry, Expiry::new(12, 2030).unwrap());
        assert_eq!(card.cvv.as_ref().map(Cvv::expose), Some("123"));
        assert_eq!(card.holder_name.as_deref(), Some("A Payer"));
    }

    #[test]
    fn cvv_and_holder_name_are_optional() {
        for (cvv, name) in [(None, None), (Some(""), Some("  "))] {
            let card = Card::parse(&rupay_pan(), "12", "2030", cvv, name, 2026, 5).unwrap();
            assert!(card.cvv.is_none());
            assert!(card.holder_name.is_none());
        }
    }

    #[test]
    fn reports_every_bad_field_by_api_path() {
        let err = parse("4111111111111112", "13", "2030", Some("12")).unwrap_err();
        assert_eq!(
            fields_of(&err),
            [fields::NUMBER, fields::EXPIRY_MONTH, fields::CVV]
        );
        let err = parse("4111111111111111", "12", "30301", Some("123")).unwrap_err();
        assert_eq!(fields_of(&err), [fields::EXPIRY_YEAR]);
    }

    #[test]
    fn expired_cards_are_refused() {
        let err = parse(&rupay_pan(), "04", "2026", None).unwrap_err();
        assert_eq!(fields_of(&err), [fields::EXPIRY_YEAR]);
        let err = parse(&rupay_pan(), "12", "2025", None).unwrap_err();
        assert_eq!(fields_of(&err), [fields::EXPIRY_YEAR]);
        assert!(parse(&rupay_pan(), "05", "2026", None).is_ok());
    }

    #[test]
    fn cvv_length_follows_brand() {
        let amex = "378282246310005";
        assert!(parse(amex, "12", "2030", Some("1234")).is_ok());
        let err = parse(amex, "12", "2030", Some("123")).unwrap_err();
        assert_eq!(fields_of(&err), [fields::CVV]);
        let err = parse(&rupay_pan(), "12", "2030", Some("1234")).unwrap_err();
        assert_eq!(fields_of(&err), [fields::CVV]);
        let unknown = with_check_digit("999999000000000");
        assert!(parse(&unknown, "12", "2030", Some("1234")).is_ok());
        assert!(parse(&unknown, "12", "2030", Some("123")).is_ok());
    }

    #[test]
    fn holder_name_limits() {
        let long = "x".repeat(MAX_HOLDER_NAME_CHARS + 1);
        for name in [long.as_str(), "A\nPayer", "A\u{0}Payer"] {
            let err =
                Card::parse(&rupay_pan(), "12", "2030", None, Some(name), 2026, 5).unwrap_err();
            assert_eq!(fields_of(&err), [fields::HOLDER_NAME]);
        }
        let card = Card::parse(
            &rupay_pan(),
            "12",
            "2030",
            None,
            Some("  Ä Payer "),
            2026,
            5,
        );
        assert_eq!(card.unwrap().holder_name.as_deref(), Some("Ä Payer"));
    }

    #[test]
    fn debug_and_display_never_show_pan_cvv_or_name() {
        let pan = rupay_pan();
        let card = Card::parse(
            &pan,
            "12",
            "2030",
            Some("987"),
            Some("Secret Name"),
            2026,
            5,
        )
        .unwrap();
        let masked = format!("508500******{}", &pan[12..]);
        for text in [format!("{card:?}"), format!("{card}"), format!("{card:#?}")] {
            assert!(!text.contains(&pan), "{text}");
            assert!(!text.contains(&pan[..12]), "{text}");
            assert!(!text.contains("987"), "{text}");
            assert!(!text.contains("Secret"), "{text}");
            assert!(text.contains(&masked), "{text}");
        }
        assert_eq!(format!("{card}"), format!("RUPAY {masked}"));
        assert!(format!("{card:?}").contains("cvv: Some(***)"));
    }

    #[test]
    fn errors_never_quote_the_input() {
        let pan = "4111111111111112";
        let err = parse(pan, "12", "2030", Some("98")).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains(pan));
        assert!(!text.contains("98"));
    }

    #[test]
    fn expiry_deserializes_with_validation() {
        let good =
            MapDeserializer::<_, ValueError>::new([("year", 2030u16), ("month", 12)].into_iter());
        assert_eq!(
            Expiry::deserialize(good),
            Ok(Expiry::new(12, 2030).unwrap())
        );
        let bad =
            MapDeserializer::<_, ValueError>::new([("year", 2030u16), ("month", 13)].into_iter());
        assert!(Expiry::deserialize(bad).is_err());
    }
}
