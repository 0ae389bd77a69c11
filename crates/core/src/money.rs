//! Amounts of money: an integer count of the currency's minor unit plus an ISO 4217
//! currency. There are no floats anywhere in here: providers that want decimal strings
//! get them from [`Money::to_decimal_string`], and decimal strings coming back are parsed
//! exactly by [`Money::from_decimal_str`].

mod currency;
mod decimal;
mod iso4217;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use currency::Currency;

/// The largest amount of one card payment, in major units of any currency (one billion:
/// far above any card limit, far below where minor-unit arithmetic could overflow).
pub const MAX_PAYMENT_MAJOR_UNITS: i64 = 1_000_000_000;

/// Why an amount or currency was refused. Messages never quote the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown or inactive ISO 4217 currency code")]
    UnknownCurrency,
    #[error("currencies differ: {left} and {right}")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("amount out of range")]
    Overflow,
    #[error("not a decimal amount (expected digits, optionally a '-' and one '.')")]
    InvalidDecimal,
    #[error("more decimal places than the currency's {exponent}")]
    TooManyDecimals { exponent: u8 },
}

/// An amount in minor units (paise for INR, cents for USD, yen for JPY).
///
/// The fields are public because every combination is valid: a `Currency` is always a
/// known one, and any `i64` is an amount (negative ones appear as differences; whether an
/// amount must be positive is the caller's rule, see [`Money::is_positive`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor_units: i64,
    pub currency: Currency,
}

impl Money {
    /// An amount in minor units of the currency with this ISO 4217 code.
    pub fn new(minor_units: i64, code: &str) -> Result<Money, MoneyError> {
        Ok(Money {
            minor_units,
            currency: Currency::parse(code)?,
        })
    }

    /// An amount in minor units of an already validated currency.
    pub const fn from_minor(minor_units: i64, currency: Currency) -> Money {
        Money {
            minor_units,
            currency,
        }
    }

    pub const fn zero(currency: Currency) -> Money {
        Money::from_minor(0, currency)
    }

    pub fn minor_units(&self) -> i64 {
        self.minor_units
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_positive(&self) -> bool {
        self.minor_units > 0
    }

    /// Whether the amount is above what one card payment can be: more than
    /// [`MAX_PAYMENT_MAJOR_UNITS`] of its currency's major unit. Refusing these up front
    /// keeps absurd amounts (an `i64::MAX` of paise) away from every provider.
    pub fn exceeds_payment_maximum(&self) -> bool {
        let limit = 10i64
            .checked_pow(u32::from(self.currency.exponent()))
            .and_then(|unit| unit.checked_mul(MAX_PAYMENT_MAJOR_UNITS))
            .unwrap_or(i64::MAX);
        self.minor_units > limit
    }

    pub fn is_zero(&self) -> bool {
        self.minor_units == 0
    }

    pub fn is_negative(&self) -> bool {
        self.minor_units < 0
    }

    /// Sum of two amounts of the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        self.minor_units
            .checked_add(other.minor_units)
            .map(|minor_units| Money::from_minor(minor_units, currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Difference of two amounts of the same currency (may be negative).
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        self.minor_units
            .checked_sub(other.minor_units)
            .map(|minor_units| Money::from_minor(minor_units, currency))
            .ok_or(MoneyError::Overflow)
    }

    fn same_currency(self, other: Money) -> Result<Currency, MoneyError> {
        if self.currency == other.currency {
            Ok(self.currency)
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// The amount in major units with exactly the currency's number of decimals:
    /// `"1.00"` for 100 INR paise, `"100"` for 100 JPY, `"1.000"` for 1000 KWD fils.
    pub fn to_decimal_string(&self) -> String {
        decimal::format(self.minor_units, self.currency.exponent())
    }

    /// Parses a major-unit decimal string exactly: `"1.5"` INR is 150 paise, `"1.005"` INR
    /// is refused (more decimals than the exponent), as is anything that is not
    /// `-?digits(.digits)?` (no exponent notation, signs other than `-`, or spaces).
    pub fn from_decimal_str(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        decimal::parse(amount, currency.exponent()).map(|minor| Money::from_minor(minor, currency))
    }
}

impl fmt::Display for Money {
    /// `"1.00 INR"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn inr(minor: i64) -> Money {
        Money::from_minor(minor, Currency::INR)
    }

    #[test]
    fn new_validates_currency() {
        assert_eq!(Money::new(100, "INR"), Ok(inr(100)));
        assert_eq!(Money::new(100, "ABC"), Err(MoneyError::UnknownCurrency));
    }

    #[test]
    fn sign_predicates() {
        assert!(inr(1).is_positive());
        assert!(!inr(0).is_positive());
        assert!(inr(0).is_zero());
        assert!(inr(-1).is_negative());
        assert!(!inr(-1).is_positive());
    }

    #[test]
    fn arithmetic_same_currency() {
        assert_eq!(inr(150).checked_add(inr(50)), Ok(inr(200)));
        assert_eq!(inr(150).checked_sub(inr(200)), Ok(inr(-50)));
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies() {
        let usd = Money::from_minor(1, Currency::USD);
        let expected = Err(MoneyError::CurrencyMismatch {
            left: Currency::INR,
            right: Currency::USD,
        });
        assert_eq!(inr(1).checked_add(usd), expected);
        assert_eq!(inr(1).checked_sub(usd), expected);
    }

    #[test]
    fn arithmetic_overflow() {
        assert_eq!(inr(i64::MAX).checked_add(inr(1)), Err(MoneyError::Overflow));
        assert_eq!(inr(i64::MIN).checked_sub(inr(1)), Err(MoneyError::Overflow));
    }

    #[test]
    fn decimal_strings() {
        let cases = [
            (100, Currency::INR, "1.00"),
            (98000, Currency::INR, "980.00"),
            (5, Currency::INR, "0.05"),
            (-5, Currency::INR, "-0.05"),
            (0, Currency::INR, "0.00"),
            (100, Currency::JPY, "100"),
            (-100, Currency::JPY, "-100"),
            (1000, Currency::KWD, "1.000"),
            (1, Currency::KWD, "0.001"),
            (i64::MAX, Currency::INR, "92233720368547758.07"),
            (i64::MIN, Currency::INR, "-92233720368547758.08"),
        ];
        for (minor, currency, text) in cases {
            let money = Money::from_minor(minor, currency);
            assert_eq!(money.to_decimal_string(), text);
            assert_eq!(Money::from_decimal_str(text, currency), Ok(money), "{text}");
        }
    }

    #[test]
    fn display_shows_amount_and_code() {
        assert_eq!(inr(98000).to_string(), "980.00 INR");
    }

    #[test]
    fn parses_fewer_decimals_than_exponent() {
        assert_eq!(Money::from_decimal_str("1.5", Currency::INR), Ok(inr(150)));
        assert_eq!(
            Money::from_decimal_str("600", Currency::INR),
            Ok(inr(60000))
        );
        assert_eq!(Money::from_decimal_str("-0", Currency::INR), Ok(inr(0)));
    }

    #[test]
    fn refuses_too_many_decimals() {
        assert_eq!(
            Money::from_decimal_str("1.005", Currency::INR),
            Err(MoneyError::TooManyDecimals { exponent: 2 })
        );
        assert_eq!(
            Money::from_decimal_str("100.0", Currency::JPY),
            Err(MoneyError::TooManyDecimals { exponent: 0 })
        );
    }

    #[test]
    fn refuses_malformed_decimals() {
        for text in [
            "", "-", ".", "1.", ".5", "+1", " 1", "1 ", "1e3", "1,00", "1.0.0", "--1", "0x10", "١",
            "1.-5",
        ] {
            assert_eq!(
                Money::from_decimal_str(text, Currency::INR),
                Err(MoneyError::InvalidDecimal),
                "{text:?}"
            );
        }
    }

    #[test]
    fn refuses_out_of_range() {
        for text in [
            "92233720368547758.08",
            "-92233720368547758.09",
            "99999999999999999999999999999999999999999999",
        ] {
            assert_eq!(
                Money::from_decimal_str(text, Currency::INR),
                Err(MoneyError::Overflow),
                "{text}"
            );
        }
    }

    #[test]
    fn errors_do_not_quote_input() {
        let err = Money::from_decimal_str("4111111111111111x", Currency::INR).unwrap_err();
        assert!(!err.to_string().contains("4111"));
    }

    fn any_currency() -> impl Strategy<Value = Currency> {
        let all: Vec<Currency> = Currency::all().collect();
        proptest::sample::select(all)
    }

    proptest! {
        #[test]
        fn decimal_round_trip(minor in any::<i64>(), currency in any_currency()) {
            let money = Money::from_minor(minor, currency);
            let text = money.to_decimal_string();
            prop_assert_eq!(Money::from_decimal_str(&text, currency), Ok(money));
        }

        #[test]
        fn decimal_string_has_exactly_exponent_decimals(minor in any::<i64>(), currency in any_currency()) {
            let text = Money::from_minor(minor, currency).to_decimal_string();
            let decimals = text.split_once('.').map_or(0, |(_, frac)| frac.len());
            prop_assert_eq!(decimals, usize::from(currency.exponent()));
        }

        #[test]
        fn parse_then_format_is_canonical(whole in 0u32..1_000_000, frac in 0u32..100) {
            let text = format!("{whole}.{frac:02}");
            let money = Money::from_decimal_str(&text, Currency::INR);
            prop_assert_eq!(money.map(|m| m.to_decimal_string()), Ok(text));
        }
    }
}
