//! ISO 4217 currencies.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::MoneyError;
use super::iso4217::ACTIVE_CURRENCIES;

/// An active ISO 4217 currency. Only [`Currency::parse`] (or the constants) can make one,
/// so every `Currency` in the program has a known minor-unit exponent.
///
/// Serialized as its alphabetic code (`"INR"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    pub const INR: Currency = Currency::known("INR", 2);
    pub const USD: Currency = Currency::known("USD", 2);
    pub const EUR: Currency = Currency::known("EUR", 2);
    pub const GBP: Currency = Currency::known("GBP", 2);
    pub const JPY: Currency = Currency::known("JPY", 0);
    pub const KWD: Currency = Currency::known("KWD", 3);

    /// Only for the constants above; a test checks each against the table.
    const fn known(code: &'static str, exponent: u8) -> Currency {
        Currency { code, exponent }
    }

    /// Looks up an alphabetic code. Codes are upper case, as ISO writes them: `"inr"` is
    /// refused rather than guessed at.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        ACTIVE_CURRENCIES
            .binary_search_by(|(candidate, _)| (*candidate).cmp(code))
            .map(|index| {
                let (code, exponent) = ACTIVE_CURRENCIES[index];
                Currency { code, exponent }
            })
            .map_err(|_| MoneyError::UnknownCurrency)
    }

    /// The alphabetic code, e.g. `"INR"`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// How many decimal places the minor unit has: 2 for INR (paise), 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Every active currency in the table.
    pub fn all() -> impl Iterator<Item = Currency> {
        ACTIVE_CURRENCIES
            .iter()
            .map(|&(code, exponent)| Currency { code, exponent })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code)
    }
}

impl std::str::FromStr for Currency {
    type Err = MoneyError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::parse(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    use super::*;

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        for pair in ACTIVE_CURRENCIES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (code, exponent) in ACTIVE_CURRENCIES {
            assert_eq!(code.len(), 3, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
            assert!(*exponent <= 4, "{code}");
        }
    }

    #[test]
    fn constants_agree_with_table() {
        for constant in [
            Currency::INR,
            Currency::USD,
            Currency::EUR,
            Currency::GBP,
            Currency::JPY,
            Currency::KWD,
        ] {
            assert_eq!(Currency::parse(constant.code()), Ok(constant));
        }
    }

    #[test]
    fn exponents() {
        let cases = [
            ("INR", 2),
            ("USD", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("KWD", 3),
            ("BHD", 3),
            ("CLF", 4),
        ];
        for (code, exponent) in cases {
            assert_eq!(Currency::parse(code).map(|c| c.exponent()), Ok(exponent));
        }
    }

    #[test]
    fn rejects_unknown_withdrawn_and_malformed_codes() {
        for code in [
            "", "IN", "INRR", "inr", "Inr", "XXX", "XAU", "HRK", "ANG", " INR", "ZZZ",
        ] {
            assert_eq!(
                Currency::parse(code),
                Err(MoneyError::UnknownCurrency),
                "{code:?}"
            );
        }
    }

    #[test]
    fn display_debug_and_from_str() {
        assert_eq!(Currency::INR.to_string(), "INR");
        assert_eq!(format!("{:?}", Currency::INR), "Currency(INR)");
        assert_eq!("KWD".parse::<Currency>(), Ok(Currency::KWD));
    }

    #[test]
    fn deserializes_from_code() {
        let de: StrDeserializer<'_, ValueError> = "INR".into_deserializer();
        assert_eq!(Currency::deserialize(de), Ok(Currency::INR));
        let de: StrDeserializer<'_, ValueError> = "NOPE".into_deserializer();
        assert!(Currency::deserialize(de).is_err());
    }

    #[test]
    fn all_lists_every_row() {
        assert_eq!(Currency::all().count(), ACTIVE_CURRENCIES.len());
        assert!(Currency::all().any(|c| c == Currency::INR));
    }
}
