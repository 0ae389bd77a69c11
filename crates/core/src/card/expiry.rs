//! Card expiry (month and year).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::CardError;

/// Expiry month and four-digit year. A card is valid through the last day of its expiry
/// month.
///
/// Fields are ordered year first so the derived ordering is chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "ExpiryFields")]
pub struct Expiry {
    year: u16,
    month: u8,
}

/// The serialized shape, validated on the way in.
#[derive(Deserialize)]
struct ExpiryFields {
    year: u16,
    month: u8,
}

impl TryFrom<ExpiryFields> for Expiry {
    type Error = CardError;

    fn try_from(fields: ExpiryFields) -> Result<Self, Self::Error> {
        Expiry::new(fields.month, fields.year)
    }
}

/// Two-digit years are read in this century; four-digit years must be in it too.
const FIRST_YEAR: u16 = 2000;
const LAST_YEAR: u16 = 2099;

impl Expiry {
    /// `month` 1 to 12, `year` four digits (2000 to 2099).
    pub fn new(month: u8, year: u16) -> Result<Expiry, CardError> {
        if !(1..=12).contains(&month) {
            return Err(CardError::ExpiryMonth);
        }
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(CardError::ExpiryYear);
        }
        Ok(Expiry { year, month })
    }

    /// Parses the API's strings: month `"MM"` (or `"M"`), year `"YY"` or `"YYYY"`.
    pub fn parse(month: &str, year: &str) -> Result<Expiry, CardError> {
        let month = parse_digits(month, 2..=2)
            .and_then(|m| u8::try_from(m).ok())
            .ok_or(CardError::ExpiryMonth)?;
        let year = parse_digits(year, 4..=4).ok_or(CardError::ExpiryYear)?;
        Expiry::new(month, year)
    }

    /// 1 to 12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// Four digits, e.g. 2030.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// Whether the card can no longer be used in `year`-`month` (the current month, in the
    /// caller's reference time zone): true only once the expiry month is over.
    pub fn is_expired_at(&self, year: u16, month: u8) -> bool {
        (year, month) > (self.year, self.month)
    }
}

/// `text` as a number when it is only ASCII digits and its length is in `lengths`.
fn parse_digits(text: &str, lengths: std::ops::RangeInclusive<usize>) -> Option<u16> {
    if !lengths.contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl fmt::Display for Expiry {
    /// `MM/YYYY`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{}", self.month, self.year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mm_and_yyyy_only() {
        let expected = Expiry::new(12, 2030).unwrap();
        assert_eq!(Expiry::parse("12", "2030"), Ok(expected));
        assert_eq!(Expiry::parse("01", "2031").map(|e| e.month()), Ok(1));
        assert_eq!(Expiry::parse("05", "2000").map(|e| e.year()), Ok(2000));
        assert_eq!(Expiry::parse("12", "30"), Err(CardError::ExpiryYear));
        assert_eq!(Expiry::parse("1", "2031"), Err(CardError::ExpiryMonth));
    }

    #[test]
    fn refuses_bad_months() {
        for month in ["", "0", "1", "00", "13", "123", "1a", "-1", " 1"] {
            assert_eq!(
                Expiry::parse(month, "2030"),
                Err(CardError::ExpiryMonth),
                "{month:?}"
            );
        }
    }

    #[test]
    fn refuses_bad_years() {
        for year in ["", "3", "31", "203", "20301", "1999", "2100", "3x", "+030"] {
            assert_eq!(
                Expiry::parse("12", year),
                Err(CardError::ExpiryYear),
                "{year:?}"
            );
        }
    }

    #[test]
    fn valid_through_the_end_of_the_expiry_month() {
        let expiry = Expiry::new(6, 2026).unwrap();
        assert!(!expiry.is_expired_at(2025, 12));
        assert!(!expiry.is_expired_at(2026, 5));
        assert!(!expiry.is_expired_at(2026, 6));
        assert!(expiry.is_expired_at(2026, 7));
        assert!(expiry.is_expired_at(2027, 1));
    }

    #[test]
    fn orders_chronologically_and_displays() {
        assert!(Expiry::new(1, 2031).unwrap() > Expiry::new(12, 2030).unwrap());
        assert_eq!(Expiry::new(3, 2030).unwrap().to_string(), "03/2030");
    }
}
