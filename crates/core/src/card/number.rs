//! The primary account number (PAN).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{CardBrand, CardError};

/// Fewest and most digits a PAN may have (ISO/IEC 7812).
const MIN_DIGITS: usize = 12;
const MAX_DIGITS: usize = 19;

/// A card number: 12 to 19 ASCII digits that pass the Luhn check.
///
/// `Debug` and `Display` show only the BIN and the last four digits
/// (`508500******1234`), so a `CardNumber` can sit in any struct that gets logged.
/// [`CardNumber::expose`] is the only way to the full digits, for the adapters that must
/// send them to a provider. Serialization also writes the full digits: it exists so the
/// store can encrypt the card at rest, and must not be used for anything else.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CardNumber(String);

impl CardNumber {
    /// Accepts digits only, as the API documents: spaces and dashes are refused, so what
    /// the caller sent is exactly what reaches the provider.
    pub fn parse(input: &str) -> Result<CardNumber, CardError> {
        let digits = input.to_owned();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::NumberNotDigits);
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
            return Err(CardError::NumberLength);
        }
        if !luhn_valid(digits.as_bytes()) {
            return Err(CardError::NumberChecksum);
        }
        Ok(CardNumber(digits))
    }

    /// The full card number. The only way to the digits: call it only where they must
    /// leave the process for the provider (or be encrypted), never to log or to compare.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The issuer identification number: the first six digits.
    pub fn bin(&self) -> &str {
        self.0.get(..6).unwrap_or_default()
    }

    /// The last four digits.
    pub fn last4(&self) -> &str {
        self.0.get(self.0.len() - 4..).unwrap_or_default()
    }

    /// How many digits the number has (12 to 19).
    pub fn digit_count(&self) -> usize {
        self.0.len()
    }

    pub fn brand(&self) -> CardBrand {
        CardBrand::detect(self)
    }

    /// BIN, one `*` per hidden digit, last four: `508500******1234`.
    pub fn masked(&self) -> String {
        let hidden = self.0.len() - 10;
        format!("{}{}{}", self.bin(), "*".repeat(hidden), self.last4())
    }
}

/// Luhn (mod 10) check over ASCII digits: from the right, double every second digit.
pub(super) fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0');
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for CardNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for CardNumber {
    /// Validates like [`CardNumber::parse`]; errors never include the digits.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let digits = String::deserialize(deserializer)?;
        CardNumber::parse(&digits).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    use super::*;
    use crate::card::test_support::with_check_digit;

    #[test]
    fn luhn_accepts_known_good_numbers() {
        for pan in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
        ] {
            assert!(CardNumber::parse(pan).is_ok(), "{pan}");
        }
    }

    #[test]
    fn spaces_and_dashes_are_refused() {
        for pan in [
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            " 4111111111111111",
        ] {
            assert_eq!(
                CardNumber::parse(pan),
                Err(CardError::NumberNotDigits),
                "{pan}"
            );
        }
    }

    #[test]
    fn luhn_refuses_altered_numbers() {
        for pan in ["4111111111111112", "5555555555554445", "378282246310006"] {
            assert_eq!(
                CardNumber::parse(pan),
                Err(CardError::NumberChecksum),
                "{pan}"
            );
        }
    }

    #[test]
    fn luhn_catches_every_single_digit_change() {
        let good = with_check_digit("508500123456789");
        let bytes = good.as_bytes();
        for position in 0..bytes.len() {
            for replacement in b'0'..=b'9' {
                if replacement == bytes[position] {
                    continue;
                }
                let mut altered = bytes.to_vec();
                altered[position] = replacement;
                assert!(!luhn_valid(&altered));
            }
        }
    }

    #[test]
    fn refuses_non_digits() {
        for pan in [
            "",
            "   ",
            "4111-1111-1111-1111",
            "411111111111111a",
            "４１１１",
        ] {
            assert_eq!(
                CardNumber::parse(pan),
                Err(CardError::NumberNotDigits),
                "{pan:?}"
            );
        }
    }

    #[test]
    fn length_bounds() {
        let eleven = with_check_digit("4111111111");
        let twelve = with_check_digit("41111111111");
        let nineteen = with_check_digit("411111111111111111");
        let twenty = with_check_digit("4111111111111111111");
        assert_eq!(CardNumber::parse(&eleven), Err(CardError::NumberLength));
        assert!(CardNumber::parse(&twelve).is_ok());
        assert!(CardNumber::parse(&nineteen).is_ok());
        assert_eq!(CardNumber::parse(&twenty), Err(CardError::NumberLength));
    }

    #[test]
    fn bin_last4_and_mask() {
        let number = CardNumber::parse(&with_check_digit("508500000000123")).unwrap();
        assert_eq!(number.bin(), "508500");
        assert_eq!(number.last4(), &number.expose()[12..]);
        assert_eq!(number.masked(), format!("508500******{}", number.last4()));
        assert_eq!(format!("{number}"), number.masked());
        assert_eq!(format!("{number:?}"), number.masked());
        assert_eq!(number.digit_count(), 16);
    }

    #[test]
    fn deserialize_validates_without_echoing() {
        let de: StrDeserializer<'_, ValueError> = "4111111111111111".into_deserializer();
        assert!(CardNumber::deserialize(de).is_ok());
        let de: StrDeserializer<'_, ValueError> = "4111111111111112".into_deserializer();
        let err = CardNumber::deserialize(de).unwrap_err();
        assert!(!err.to_string().contains("4111"));
    }
}
