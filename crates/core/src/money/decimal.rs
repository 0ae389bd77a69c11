//! Exact conversion between minor units and major-unit decimal strings, in integers only.

use super::MoneyError;

/// `minor` as a decimal string with exactly `exponent` decimals.
pub(super) fn format(minor: i64, exponent: u8) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    // unsigned_abs: i64::MIN has no positive i64 counterpart.
    let magnitude = minor.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10u64.pow(u32::from(exponent));
    let width = usize::from(exponent);
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale,)
}

/// Parses `-?digits(.digits)?` with at most `exponent` decimals into minor units.
pub(super) fn parse(text: &str, exponent: u8) -> Result<i64, MoneyError> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (body, ""),
    };
    let has_point = body.len() != whole.len();
    if !is_digits(whole) || (has_point && !is_digits(fraction)) {
        return Err(MoneyError::InvalidDecimal);
    }
    if fraction.len() > usize::from(exponent) {
        return Err(MoneyError::TooManyDecimals { exponent });
    }

    // Accumulate in i128 so that i64::MIN's magnitude fits before the sign is applied.
    let mut magnitude: i128 = 0;
    let padding = usize::from(exponent) - fraction.len();
    let digits = whole
        .bytes()
        .chain(fraction.bytes())
        .chain(std::iter::repeat_n(b'0', padding));
    for digit in digits {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(digit - b'0')))
            .ok_or(MoneyError::Overflow)?;
    }
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).map_err(|_| MoneyError::Overflow)
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}
