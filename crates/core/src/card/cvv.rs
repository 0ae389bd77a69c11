//! The card verification value (CVV2 / CVC2 / CID).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::CardError;

/// Three or four ASCII digits.
///
/// `Debug` and `Display` always print `***`. [`Cvv::expose`] is the only way to the
/// digits, for the adapters that must send them to a provider. Serialization writes the
/// digits too: it exists so the store can encrypt the card at rest (and delete it at the
/// terminal state), and must not be used for anything else.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvv(String);

impl Cvv {
    pub fn parse(input: &str) -> Result<Cvv, CardError> {
        let valid_length = matches!(input.len(), 3 | 4);
        if valid_length && input.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Cvv(input.to_owned()))
        } else {
            Err(CardError::CvvFormat)
        }
    }

    /// The digits. The only way to them: call it only where they must go to the provider
    /// (or be encrypted), never to log or to compare.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// 3 or 4.
    pub fn digit_count(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for Cvv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Cvv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Cvv {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Cvv {
    /// Validates like [`Cvv::parse`]; errors never include the digits.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let digits = String::deserialize(deserializer)?;
        Cvv::parse(&digits).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_three_or_four_digits() {
        assert_eq!(Cvv::parse("123").map(|c| c.digit_count()), Ok(3));
        assert_eq!(Cvv::parse("0123").map(|c| c.digit_count()), Ok(4));
        assert_eq!(Cvv::parse("987").unwrap().expose(), "987");
    }

    #[test]
    fn refuses_everything_else() {
        for cvv in ["", "12", "12345", "12a", " 123", "12 3", "１２３"] {
            assert_eq!(Cvv::parse(cvv), Err(CardError::CvvFormat), "{cvv:?}");
        }
    }

    #[test]
    fn never_printed() {
        let cvv = Cvv::parse("987").unwrap();
        assert_eq!(format!("{cvv}"), "***");
        assert_eq!(format!("{cvv:?}"), "***");
        assert_eq!(format!("{:?}", Some(cvv)), "Some(***)");
    }
}
