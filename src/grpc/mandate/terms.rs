//! `MandateTerms` checked and turned into the rules' [`Terms`]: amounts, frequency and
//! preferred day, dates (India Standard Time), count, and how the payer is told of debits.
//! The RBI rules a debit keeps against these terms are `payorch_core::mandate`'s.

use payorch_core::mandate::{Frequency, Terms};
use payorch_core::mandate_record::AlertPreference;
use payorch_core::money::{Currency, Money};

use crate::api::{MandateAlertPreference, MandateFrequency, MandateTerms};
use crate::grpc::validate::Checks;

/// A calendar date written `YYYY-MM-DD`, as `terms.start_date` and `terms.end_date` are.
fn parse_date(value: &str) -> Option<time::Date> {
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let year: i32 = value.get(0..4)?.parse().ok()?;
    let month: u8 = value.get(5..7)?.parse().ok()?;
    let day: u8 = value.get(8..10)?.parse().ok()?;
    time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

fn date(checks: &mut Checks<'_>, field: &str, value: &str) -> Option<time::Date> {
    if value.is_empty() {
        checks.required(field, "");
        return None;
    }
    let parsed = parse_date(value);
    if parsed.is_none() {
        checks.refuse(field, "must be a calendar date YYYY-MM-DD");
    }
    parsed
}

fn frequency(value: MandateFrequency) -> Option<Frequency> {
    Some(match value {
        MandateFrequency::Unspecified => return None,
        MandateFrequency::Daily => Frequency::Daily,
        MandateFrequency::Weekly => Frequency::Weekly,
        MandateFrequency::Fortnightly => Frequency::Fortnightly,
        MandateFrequency::Monthly => Frequency::Monthly,
        MandateFrequency::Bimonthly => Frequency::Bimonthly,
        MandateFrequency::Quarterly => Frequency::Quarterly,
        MandateFrequency::HalfYearly => Frequency::HalfYearly,
        MandateFrequency::Yearly => Frequency::Yearly,
        MandateFrequency::AsPresented => Frequency::AsPresented,
    })
}

pub fn frequency_to_api(value: Frequency) -> MandateFrequency {
    match value {
        Frequency::Daily => MandateFrequency::Daily,
        Frequency::Weekly => MandateFrequency::Weekly,
        Frequency::Fortnightly => MandateFrequency::Fortnightly,
        Frequency::Monthly => MandateFrequency::Monthly,
        Frequency::Bimonthly => MandateFrequency::Bimonthly,
        Frequency::Quarterly => MandateFrequency::Quarterly,
        Frequency::HalfYearly => MandateFrequency::HalfYearly,
        Frequency::Yearly => MandateFrequency::Yearly,
        Frequency::AsPresented => MandateFrequency::AsPresented,
    }
}

/// The payer's channel for intimations (unset: SMS, RuPay's default).
pub fn alert_preference(value: MandateAlertPreference) -> AlertPreference {
    match value {
        MandateAlertPreference::Email => AlertPreference::Email,
        MandateAlertPreference::SmsAndEmail => AlertPreference::SmsAndEmail,
        MandateAlertPreference::Sms | MandateAlertPreference::Unspecified => AlertPreference::Sms,
    }
}

pub fn alert_to_api(value: AlertPreference) -> MandateAlertPreference {
    match value {
        AlertPreference::Sms => MandateAlertPreference::Sms,
        AlertPreference::Email => MandateAlertPreference::Email,
        AlertPreference::SmsAndEmail => MandateAlertPreference::SmsAndEmail,
    }
}

/// The customer contact each channel needs: SMS a phone, e-mail an address.
pub fn contact(checks: &mut Checks<'_>, alert: AlertPreference, email: &str, phone: &str) {
    let sms = matches!(alert, AlertPreference::Sms | AlertPreference::SmsAndEmail);
    let mail = matches!(alert, AlertPreference::Email | AlertPreference::SmsAndEmail);
    if sms && phone.is_empty() {
        checks.refuse(
            "customer_phone",
            "required: pre-debit intimations go by SMS (terms.alert_preference)",
        );
    }
    if mail && email.is_empty() {
        checks.refuse(
            "customer_email",
            "required: pre-debit intimations go by e-mail (terms.alert_preference)",
        );
    }
}

/// Checks the terms' shape (`registering`: the first day is today or later, IST) and
/// returns them; `default_max` stands in for an unset `max_amount`.
pub fn terms(
    checks: &mut Checks<'_>,
    terms: Option<&MandateTerms>,
    registering: bool,
    default_max: Money,
) -> Option<Terms> {
    let Some(terms) = terms else {
        checks.required("terms", "");
        return None;
    };
    let max = checks.optional_money("terms.max_amount", terms.max_amount.as_ref());
    let min = checks.optional_money("terms.min_amount", terms.min_amount.as_ref());
    for (field, money) in [("terms.max_amount", &max), ("terms.min_amount", &min)] {
        if money
            .as_ref()
            .is_some_and(|m| m.currency() != Currency::INR)
        {
            checks.refuse(field, "RuPay Standing Instructions are in INR");
        }
    }
    if max.as_ref().is_some_and(|m| !m.is_positive()) {
        checks.refuse("terms.max_amount", "must be positive");
    }
    let max_amount = max.unwrap_or(default_max);
    if let Some(min) = &min {
        if min.currency() != max_amount.currency() {
            checks.refuse("terms.min_amount", "must be in terms.max_amount's currency");
        } else if min.minor_units() > max_amount.minor_units() {
            checks.refuse("terms.min_amount", "must not be above terms.max_amount");
        }
    }
    let api_frequency =
        MandateFrequency::try_from(terms.frequency).unwrap_or(MandateFrequency::Unspecified);
    let days = match api_frequency {
        MandateFrequency::Unspecified => {
            checks.refuse("terms.frequency", "required");
            0..=31
        }
        MandateFrequency::Daily | MandateFrequency::AsPresented => 0..=0,
        MandateFrequency::Weekly | MandateFrequency::Fortnightly => 0..=7,
        _ => 0..=31,
    };
    if !days.contains(&terms.preferred_day) {
        checks.refuse(
            "terms.preferred_day",
            "out of range for terms.frequency (weekly: 1-7, monthly and longer: 1-31, \
             daily and as presented: 0)",
        );
    }
    let start = date(checks, "terms.start_date", &terms.start_date);
    let end = date(checks, "terms.end_date", &terms.end_date);
    if registering
        && let Some(start) = start
        && let Some(today) = payorch_core::mandate::ist_date(payorch_store::ttl::now_ms())
        && start < today
    {
        checks.refuse("terms.start_date", "before today (India Standard Time)");
    }
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        checks.refuse("terms.end_date", "before terms.start_date");
    }
    if terms.total_count < 0 {
        checks.refuse("terms.total_count", "must not be negative");
    }
    Some(Terms {
        max_amount,
        min_amount: min,
        frequency: frequency(api_frequency)?,
        preferred_day: u8::try_from(terms.preferred_day).ok()?,
        start_date: start?,
        end_date: end?,
        total_count: u32::try_from(terms.total_count).ok()?,
    })
}

pub fn terms_to_api(terms: &Terms, alert: AlertPreference) -> MandateTerms {
    use crate::grpc::resources::money;
    let day = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    MandateTerms {
        max_amount: Some(money(&terms.max_amount)),
        min_amount: terms.min_amount.as_ref().map(money),
        frequency: frequency_to_api(terms.frequency).into(),
        preferred_day: i32::from(terms.preferred_day),
        start_date: day(terms.start_date),
        end_date: day(terms.end_date),
        total_count: i32::try_from(terms.total_count).unwrap_or(i32::MAX),
        alert_preference: alert_to_api(alert).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_calendar_days_written_iso() {
        assert!(parse_date("2027-02-28").is_some());
        assert!(parse_date("2027-02-29").is_none());
        assert!(parse_date("27-02-28").is_none());
        assert!(parse_date("2027-2-28").is_none());
        assert!(parse_date("2027-02-28T00").is_none());
    }
}
