//! Card brand detection from the BIN.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::CardNumber;

/// The card networks payorch routes. Anything else is `Unknown` (and still a valid card).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CardBrand {
    #[serde(rename = "RUPAY")]
    RuPay,
    #[serde(rename = "VISA")]
    Visa,
    #[serde(rename = "MASTERCARD")]
    Mastercard,
    #[serde(rename = "AMEX")]
    Amex,
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

/// RuPay IIN ranges (first six digits, both ends included), as published by NPCI.
///
/// Checked before the other networks. None of them overlaps Visa (4), Mastercard
/// (51–55, 2221–2720) or Amex (34, 37); 6521–6531 sits inside what Discover also lists,
/// and NPCI's table wins for payorch because RuPay needs mandatory OTP authentication.
pub const RUPAY_IIN_RANGES: [(u32, u32); 6] = [
    (508_500, 508_999),
    (606_985, 607_984),
    (608_001, 608_500),
    (652_150, 653_149),
    (817_200, 819_899),
    (820_000, 820_199),
];

/// Mastercard's 2-series, six-digit bounds.
const MASTERCARD_2_SERIES: (u32, u32) = (222_100, 272_099);

impl CardBrand {
    pub fn detect(number: &CardNumber) -> CardBrand {
        CardBrand::from_bin(number.bin())
    }

    /// Brand of a BIN: the first six digits of `bin` are used; anything shorter than six
    /// digits, or not digits, is `Unknown`. Lets the router classify BIN rules without a
    /// full card number.
    pub fn from_bin(bin: &str) -> CardBrand {
        let Some(six) = bin.get(..6) else {
            return CardBrand::Unknown;
        };
        if !six.bytes().all(|b| b.is_ascii_digit()) {
            return CardBrand::Unknown;
        }
        let Ok(iin) = six.parse::<u32>() else {
            return CardBrand::Unknown;
        };
        let in_range = |(low, high): (u32, u32)| (low..=high).contains(&iin);
        let two = iin / 10_000;
        if RUPAY_IIN_RANGES.into_iter().any(in_range) {
            CardBrand::RuPay
        } else if iin / 100_000 == 4 {
            CardBrand::Visa
        } else if (51..=55).contains(&two) || in_range(MASTERCARD_2_SERIES) {
            CardBrand::Mastercard
        } else if two == 34 || two == 37 {
            CardBrand::Amex
        } else {
            CardBrand::Unknown
        }
    }

    /// The CVV length the network issues, when it has exactly one: Amex prints a 4-digit
    /// CID, Visa, Mastercard and RuPay a 3-digit CVV2/CVC2. `None` for unknown brands,
    /// which may use either.
    pub fn cvv_length(self) -> Option<usize> {
        match self {
            CardBrand::Amex => Some(4),
            CardBrand::RuPay | CardBrand::Visa | CardBrand::Mastercard => Some(3),
            CardBrand::Unknown => None,
        }
    }

    /// Same spelling as the serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            CardBrand::RuPay => "RUPAY",
            CardBrand::Visa => "VISA",
            CardBrand::Mastercard => "MASTERCARD",
            CardBrand::Amex => "AMEX",
            CardBrand::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for CardBrand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    use super::*;
    use crate::card::test_support::with_check_digit;

    fn brand_of(prefix: &str) -> CardBrand {
        let body = format!("{prefix:0<15}");
        match CardNumber::parse(&with_check_digit(&body)) {
            Ok(number) => CardBrand::detect(&number),
            Err(err) => panic!("test number for {prefix} invalid: {err}"),
        }
    }

    #[test]
    fn rupay_range_edges() {
        for (low, high) in RUPAY_IIN_RANGES {
            assert_eq!(brand_of(&low.to_string()), CardBrand::RuPay, "{low}");
            assert_eq!(brand_of(&high.to_string()), CardBrand::RuPay, "{high}");
            assert_ne!(
                brand_of(&(low - 1).to_string()),
                CardBrand::RuPay,
                "{}",
                low - 1
            );
            assert_ne!(
                brand_of(&(high + 1).to_string()),
                CardBrand::RuPay,
                "{}",
                high + 1
            );
        }
    }

    #[test]
    fn rupay_middle_of_ranges() {
        for bin in ["508700", "607000", "608250", "652800", "818000", "820100"] {
            assert_eq!(brand_of(bin), CardBrand::RuPay, "{bin}");
        }
    }

    #[test]
    fn other_networks() {
        let cases = [
            ("411111", CardBrand::Visa),
            ("400000", CardBrand::Visa),
            ("499999", CardBrand::Visa),
            ("510000", CardBrand::Mastercard),
            ("555555", CardBrand::Mastercard),
            ("559999", CardBrand::Mastercard),
            ("222100", CardBrand::Mastercard),
            ("272099", CardBrand::Mastercard),
            ("222099", CardBrand::Unknown),
            ("272100", CardBrand::Unknown),
            ("340000", CardBrand::Amex),
            ("370000", CardBrand::Amex),
            ("350000", CardBrand::Unknown),
            ("601100", CardBrand::Unknown),
            ("508499", CardBrand::Unknown),
            ("500000", CardBrand::Unknown),
            ("560000", CardBrand::Unknown),
        ];
        for (bin, brand) in cases {
            assert_eq!(brand_of(bin), brand, "{bin}");
            assert_eq!(CardBrand::from_bin(bin), brand, "{bin}");
        }
    }

    #[test]
    fn from_bin_needs_six_digits() {
        assert_eq!(CardBrand::from_bin("41111"), CardBrand::Unknown);
        assert_eq!(CardBrand::from_bin("4111x1"), CardBrand::Unknown);
        assert_eq!(CardBrand::from_bin("50850012"), CardBrand::RuPay);
    }

    #[test]
    fn cvv_lengths() {
        assert_eq!(CardBrand::Amex.cvv_length(), Some(4));
        assert_eq!(CardBrand::RuPay.cvv_length(), Some(3));
        assert_eq!(CardBrand::Unknown.cvv_length(), None);
    }

    #[test]
    fn serde_names_match_as_str() {
        for brand in [
            CardBrand::RuPay,
            CardBrand::Visa,
            CardBrand::Mastercard,
            CardBrand::Amex,
            CardBrand::Unknown,
        ] {
            let de: StrDeserializer<'_, ValueError> = brand.as_str().into_deserializer();
            assert_eq!(CardBrand::deserialize(de), Ok(brand));
        }
    }
}
