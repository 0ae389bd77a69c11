//! RuPay Standing Instructions under the RBI e-mandate framework for cards: a mandate's terms,
//! and the rules a pre-debit notice and a debit must keep before any provider is called.
//!
//! Pure: callers pass the current time (Unix milliseconds). Dates are calendar days in India
//! Standard Time, as the API's `start_date` / `end_date` are. Every broken rule is reported at
//! once, each naming the API field it is about and the rule, never the value sent.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::error::FieldViolation;
use crate::money::Money;

/// India Standard Time, UTC+05:30.
const IST: UtcOffset = match UtcOffset::from_hms(5, 30, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// How often a mandate's debits happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    Daily,
    Weekly,
    Fortnightly,
    Monthly,
    Bimonthly,
    Quarterly,
    HalfYearly,
    Yearly,
    /// No schedule: debits as needed, within the limits and dates.
    AsPresented,
}

impl Frequency {
    /// Whether two debits on these days fall in the same period of the schedule (so the
    /// second one is one too many).
    fn same_period(self, earlier: Date, later: Date) -> bool {
        let months = |d: Date| d.year() * 12 + i32::from(u8::from(d.month())) - 1;
        let months_apart = |n: i32| (months(later) - months(earlier)) < n;
        match self {
            Frequency::Daily => earlier == later,
            Frequency::Weekly => (later - earlier).whole_days() < 7,
            Frequency::Fortnightly => (later - earlier).whole_days() < 14,
            Frequency::Monthly => months_apart(1),
            Frequency::Bimonthly => months_apart(2),
            Frequency::Quarterly => months_apart(3),
            Frequency::HalfYearly => months_apart(6),
            Frequency::Yearly => months_apart(12),
            Frequency::AsPresented => false,
        }
    }

    /// Whether `day` is the mandate's preferred debit day (0: any day). Weekly schedules name
    /// a weekday (1 Monday .. 7 Sunday); monthly and longer ones a day of the month, the
    /// month's last day when the month is shorter.
    fn is_preferred(self, preferred_day: u8, day: Date) -> bool {
        if preferred_day == 0 {
            return true;
        }
        match self {
            Frequency::Daily | Frequency::AsPresented => true,
            Frequency::Weekly | Frequency::Fortnightly => {
                day.weekday().number_from_monday() == preferred_day
            }
            _ => {
                let last = time::util::days_in_month(day.month(), day.year());
                day.day() == preferred_day.min(last)
            }
        }
    }
}

/// Where a mandate stands (the API's `MandateStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MandateStatus {
    PendingAuthentication,
    Pending,
    Active,
    Completed,
    Cancelled,
    Failed,
    Expired,
    Unknown,
}

impl MandateStatus {
    /// The API's spelling.
    pub fn name(self) -> &'static str {
        match self {
            MandateStatus::PendingAuthentication => "PENDING_AUTHENTICATION",
            MandateStatus::Pending => "PENDING",
            MandateStatus::Active => "ACTIVE",
            MandateStatus::Completed => "COMPLETED",
            MandateStatus::Cancelled => "CANCELLED",
            MandateStatus::Failed => "FAILED",
            MandateStatus::Expired => "EXPIRED",
            MandateStatus::Unknown => "UNKNOWN",
        }
    }

    /// COMPLETED, CANCELLED, FAILED and EXPIRED: nothing changes the mandate any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            MandateStatus::Completed
                | MandateStatus::Cancelled
                | MandateStatus::Failed
                | MandateStatus::Expired
        )
    }
}

/// What the payer agreed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub max_amount: Money,
    pub min_amount: Option<Money>,
    pub frequency: Frequency,
    /// 0: any day (see [`Frequency`] for what the number means).
    pub preferred_day: u8,
    pub start_date: Date,
    pub end_date: Date,
    /// 0: no limit on the count (only `end_date` ends the mandate).
    pub total_count: u32,
}

/// A mandate as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateState {
    pub status: MandateStatus,
    pub terms: Terms,
    pub completed_count: u32,
    /// The IST day of the last successful debit.
    pub last_debit_on: Option<Date>,
}

/// Where a pre-debit notice stands (the API's `MandateDebitNotificationStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeStatus {
    Pending,
    Notified,
    Failed,
    Charged,
    Unknown,
}

/// A pre-debit notice (the API's `MandateDebitNotification`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub mandate_id: String,
    pub amount: Money,
    pub debit_at_ms: i64,
    /// When it was sent to the provider: the lead time runs from then (the provider, which
    /// measures from its receipt, keeps the same rule as a backstop).
    pub notified_at_ms: i64,
    pub status: NoticeStatus,
}

/// The framework's numbers, as settings (they change: the AFA-free limit was ₹5,000 when
/// seed 004 was written, ₹15,000 since the RBI's circular of 16 June 2022, and ₹1,00,000 for
/// mutual fund subscriptions, insurance premiums and credit card bills since 12 December 2023).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How long before a debit its notice must reach the payer (24 h).
    pub lead_time_ms: i64,
    /// The largest debit without additional authentication, minor units of INR.
    pub afa_free_limit_minor: i64,
    /// The higher limit, for the merchant categories in `higher_limit_categories`.
    pub higher_afa_free_limit_minor: i64,
    /// Merchant category codes (ISO 18245) the higher limit applies to.
    pub higher_limit_categories: Vec<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            lead_time_ms: 24 * 60 * 60 * 1000,
            afa_free_limit_minor: 1_500_000,
            higher_afa_free_limit_minor: 10_000_000,
            // 6211 securities brokers (mutual funds), 6300 insurance, 6012 financial
            // institutions (credit card bills).
            higher_limit_categories: vec!["6211".into(), "6300".into(), "6012".into()],
        }
    }
}

impl Limits {
    /// The AFA-free limit for a merchant of this category (minor units of INR).
    pub fn afa_free_limit(&self, category: Option<&str>) -> i64 {
        match category {
            Some(code) if self.higher_limit_categories.iter().any(|c| c == code) => {
                self.higher_afa_free_limit_minor
            }
            _ => self.afa_free_limit_minor,
        }
    }
}

/// The IST calendar day of a Unix-millisecond instant.
pub fn ist_date(unix_ms: i64) -> Option<Date> {
    let instant =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000).ok()?;
    Some(instant.to_offset(IST).date())
}

fn rupees(minor: i64) -> String {
    format!("₹{}", minor / 100)
}

/// One debit, as a notice announces it or a charge makes it, and the API fields to name.
struct Debit<'a> {
    amount: &'a Money,
    amount_field: &'a str,
    day: Option<Date>,
    day_field: &'a str,
}

/// The rules a debit keeps, whether noticed or charged.
fn check_debit(
    mandate: &MandateState,
    debit: &Debit<'_>,
    limits: &Limits,
    category: Option<&str>,
    out: &mut Vec<FieldViolation>,
) {
    let Debit {
        amount,
        amount_field,
        day: debit_day,
        day_field,
    } = *debit;
    let terms = &mandate.terms;
    if mandate.status != MandateStatus::Active {
        out.push(FieldViolation::new(
            "mandate_id",
            format!(
                "the mandate is {}: only an ACTIVE mandate accepts notices and debits",
                mandate.status.name()
            ),
        ));
    }
    if amount.currency() != terms.max_amount.currency() {
        out.push(FieldViolation::new(
            amount_field,
            "must be in the mandate's currency",
        ));
    } else {
        if amount.minor_units() > terms.max_amount.minor_units() {
            out.push(FieldViolation::new(
                amount_field,
                "above the mandate's max_amount",
            ));
        }
        if let Some(min) = &terms.min_amount
            && amount.minor_units() < min.minor_units()
        {
            out.push(FieldViolation::new(
                amount_field,
                "below the mandate's min_amount",
            ));
        }
        let limit = limits.afa_free_limit(category);
        if amount.minor_units() > limit {
            out.push(FieldViolation::new(
                amount_field,
                format!(
                    "above {} for this merchant's category: RBI e-mandate debits above it need \
                     the payer's additional authentication",
                    rupees(limit)
                ),
            ));
        }
    }
    if terms.total_count > 0 && mandate.completed_count >= terms.total_count {
        out.push(FieldViolation::new(
            "mandate_id",
            "every agreed debit (terms.total_count) has been made",
        ));
    }
    let Some(day) = debit_day else {
        out.push(FieldViolation::new(day_field, "not a representable time"));
        return;
    };
    if day < terms.start_date {
        out.push(FieldViolation::new(
            day_field,
            "before the mandate's start_date",
        ));
    }
    if day > terms.end_date {
        out.push(FieldViolation::new(
            day_field,
            "after the mandate's end_date",
        ));
    }
    if !terms.frequency.is_preferred(terms.preferred_day, day) {
        out.push(FieldViolation::new(
            day_field,
            "not the mandate's preferred_day",
        ));
    }
    if let Some(last) = mandate.last_debit_on
        && terms.frequency.same_period(last.min(day), last.max(day))
    {
        out.push(FieldViolation::new(
            day_field,
            "in a period of the mandate's frequency that already has its debit",
        ));
    }
}

/// Checks a pre-debit notice for `amount` to be debited at `debit_at_ms`, sent at `now_ms`.
pub fn check_notice(
    mandate: &MandateState,
    amount: &Money,
    debit_at_ms: i64,
    now_ms: i64,
    limits: &Limits,
    category: Option<&str>,
) -> Result<(), Vec<FieldViolation>> {
    let mut out = Vec::new();
    let debit = Debit {
        amount,
        amount_field: "amount",
        day: ist_date(debit_at_ms),
        day_field: "debit_at",
    };
    check_debit(mandate, &debit, limits, category, &mut out);
    if debit_at_ms < now_ms.saturating_add(limits.lead_time_ms) {
        out.push(FieldViolation::new(
            "debit_at",
            format!(
                "less than {} h after the notice: the payer must be told at least that long \
                 before the debit",
                limits.lead_time_ms / 3_600_000
            ),
        ));
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

/// Checks a debit of `amount` against its notice at `now_ms`: one debit per notice, of the
/// noticed amount, on the noticed day (IST) and not before the noticed time, which was at least
/// the lead time after the payer was told.
pub fn check_charge(
    mandate_id: &str,
    mandate: &MandateState,
    notice: &Notice,
    amount: &Money,
    now_ms: i64,
    limits: &Limits,
    category: Option<&str>,
) -> Result<(), Vec<FieldViolation>> {
    let mut out = Vec::new();
    if amount != &notice.amount {
        out.push(FieldViolation::new(
            "amount",
            "not the amount the pre-debit notice told the payer",
        ));
    }
    if let (Some(today), Some(noticed)) = (ist_date(now_ms), ist_date(notice.debit_at_ms))
        && today > noticed
    {
        out.push(FieldViolation::new(
            "notification_id",
            "its debit day has passed: notify the payer again",
        ));
    }
    if notice.mandate_id != mandate_id {
        out.push(FieldViolation::new(
            "notification_id",
            "a notice of another mandate",
        ));
    }
    match notice.status {
        NoticeStatus::Notified => {}
        NoticeStatus::Charged => out.push(FieldViolation::new(
            "notification_id",
            "already used: one debit per pre-debit notice",
        )),
        _ => out.push(FieldViolation::new(
            "notification_id",
            "not NOTIFIED: the payer has not been told of this debit",
        )),
    }
    if notice.debit_at_ms < notice.notified_at_ms.saturating_add(limits.lead_time_ms) {
        out.push(FieldViolation::new(
            "notification_id",
            "the notice reached the payer less than the lead time before its debit_at",
        ));
    }
    if now_ms < notice.debit_at_ms {
        out.push(FieldViolation::new(
            "notification_id",
            "before the notice's debit_at",
        ));
    }
    // The debit is the noticed one: its day is the notice's (a charge made just after IST
    // midnight is still that day's debit), but no debit at all after the end date.
    let debit = Debit {
        amount: &notice.amount,
        amount_field: "notification_id",
        day: ist_date(notice.debit_at_ms),
        day_field: "notification_id",
    };
    check_debit(mandate, &debit, limits, category, &mut out);
    if ist_date(now_ms).is_some_and(|today| today > mandate.terms.end_date) {
        out.push(FieldViolation::new(
            "notification_id",
            "after the mandate's end_date",
        ));
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

/// What a mandate past its last debit or its end date becomes (`None`: it stays as it is).
pub fn lapsed(mandate: &MandateState, now_ms: i64) -> Option<MandateStatus> {
    if mandate.status != MandateStatus::Active {
        return None;
    }
    let terms = &mandate.terms;
    if terms.total_count > 0 && mandate.completed_count >= terms.total_count {
        return Some(MandateStatus::Completed);
    }
    match ist_date(now_ms) {
        Some(today) if today > terms.end_date => Some(MandateStatus::Expired),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month;

    const HOUR: i64 = 3_600_000;

    fn day(y: i32, m: u8, d: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
    }

    /// Noon IST of a day, in Unix ms.
    fn noon(date: Date) -> i64 {
        let at = date.with_hms(12, 0, 0).unwrap().assume_offset(IST);
        (at.unix_timestamp_nanos() / 1_000_000) as i64
    }

    fn inr(rupees: i64) -> Money {
        Money::new(rupees * 100, "INR").unwrap()
    }

    fn monthly_on_5th() -> MandateState {
        MandateState {
            status: MandateStatus::Active,
            terms: Terms {
                max_amount: inr(10_000),
                min_amount: Some(inr(100)),
                frequency: Frequency::Monthly,
                preferred_day: 5,
                start_date: day(2026, 1, 1),
                end_date: day(2026, 12, 31),
                total_count: 12,
            },
            completed_count: 0,
            last_debit_on: None,
        }
    }

    fn fields(result: Result<(), Vec<FieldViolation>>) -> Vec<(String, String)> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| (v.field, v.description))
            .collect()
    }

    #[test]
    fn a_notice_a_day_ahead_within_the_terms_is_accepted() {
        let mandate = monthly_on_5th();
        let debit = noon(day(2026, 3, 5));
        let result = check_notice(
            &mandate,
            &inr(500),
            debit,
            debit - 25 * HOUR,
            &Limits::default(),
            None,
        );
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn a_notice_less_than_the_lead_time_ahead_is_refused() {
        let mandate = monthly_on_5th();
        let debit = noon(day(2026, 3, 5));
        let found = fields(check_notice(
            &mandate,
            &inr(500),
            debit,
            debit - 23 * HOUR,
            &Limits::default(),
            None,
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "debit_at");
        assert!(found[0].1.contains("24 h"), "{found:?}");
    }

    #[test]
    fn amounts_outside_the_terms_or_the_afa_free_limit_are_refused() {
        let mandate = monthly_on_5th();
        let debit = noon(day(2026, 3, 5));
        let now = debit - 48 * HOUR;
        let limits = Limits::default();
        let above_max = fields(check_notice(
            &mandate,
            &inr(10_001),
            debit,
            now,
            &limits,
            None,
        ));
        assert!(
            above_max
                .iter()
                .any(|(f, d)| f == "amount" && d.contains("max_amount"))
        );
        let below_min = fields(check_notice(&mandate, &inr(99), debit, now, &limits, None));
        assert!(
            below_min
                .iter()
                .any(|(f, d)| f == "amount" && d.contains("min_amount"))
        );

        let mut big = monthly_on_5th();
        big.terms.max_amount = inr(200_000);
        let above_afa = fields(check_notice(&big, &inr(15_001), debit, now, &limits, None));
        assert!(
            above_afa
                .iter()
                .any(|(f, d)| f == "amount" && d.contains("₹15000")),
            "{above_afa:?}"
        );
        assert_eq!(
            check_notice(&big, &inr(15_000), debit, now, &limits, None),
            Ok(())
        );
        // Insurance premiums: the higher limit.
        assert_eq!(
            check_notice(&big, &inr(100_000), debit, now, &limits, Some("6300")),
            Ok(())
        );
        let above_higher = fields(check_notice(
            &big,
            &inr(100_001),
            debit,
            now,
            &limits,
            Some("6300"),
        ));
        assert!(
            above_higher.iter().any(|(_, d)| d.contains("₹100000")),
            "{above_higher:?}"
        );
    }

    #[test]
    fn only_an_active_mandate_takes_notices_and_debits() {
        let debit = noon(day(2026, 3, 5));
        for status in [
            MandateStatus::PendingAuthentication,
            MandateStatus::Cancelled,
            MandateStatus::Expired,
            MandateStatus::Completed,
            MandateStatus::Unknown,
        ] {
            let mut mandate = monthly_on_5th();
            mandate.status = status;
            let found = fields(check_notice(
                &mandate,
                &inr(500),
                debit,
                debit - 48 * HOUR,
                &Limits::default(),
                None,
            ));
            assert_eq!(found.len(), 1, "{status:?}: {found:?}");
            assert!(found[0].1.contains(status.name()), "{found:?}");
        }
    }

    #[test]
    fn dates_preferred_day_and_one_debit_per_period_are_kept() {
        let limits = Limits::default();
        let mandate = monthly_on_5th();
        let at = |d: Date| (noon(d), noon(d) - 48 * HOUR);
        let (debit, now) = at(day(2027, 1, 5));
        assert!(
            fields(check_notice(&mandate, &inr(500), debit, now, &limits, None))
                .iter()
                .any(|(f, d)| f == "debit_at" && d.contains("end_date"))
        );
        let (debit, now) = at(day(2026, 3, 6));
        assert!(
            fields(check_notice(&mandate, &inr(500), debit, now, &limits, None))
                .iter()
                .any(|(_, d)| d.contains("preferred_day"))
        );
        let mut debited = monthly_on_5th();
        debited.last_debit_on = Some(day(2026, 3, 5));
        debited.completed_count = 1;
        let (debit, now) = at(day(2026, 4, 5));
        assert_eq!(
            check_notice(&debited, &inr(500), debit, now, &limits, None),
            Ok(())
        );
        let mut twice = monthly_on_5th();
        twice.terms.preferred_day = 0;
        twice.last_debit_on = Some(day(2026, 3, 5));
        let (debit, now) = at(day(2026, 3, 20));
        assert!(
            fields(check_notice(&twice, &inr(500), debit, now, &limits, None))
                .iter()
                .any(|(_, d)| d.contains("already has its debit"))
        );
    }

    #[test]
    fn the_preferred_day_31_is_a_short_months_last_day() {
        assert!(Frequency::Monthly.is_preferred(31, day(2026, 2, 28)));
        assert!(!Frequency::Monthly.is_preferred(31, day(2026, 3, 30)));
        assert!(
            Frequency::Weekly.is_preferred(1, day(2026, 3, 2)),
            "a Monday"
        );
    }

    #[test]
    fn after_the_last_count_nothing_more_is_debited_and_the_mandate_completes() {
        let mut mandate = monthly_on_5th();
        mandate.completed_count = 12;
        let debit = noon(day(2026, 12, 5));
        let found = fields(check_notice(
            &mandate,
            &inr(500),
            debit,
            debit - 48 * HOUR,
            &Limits::default(),
            None,
        ));
        assert!(
            found.iter().any(|(_, d)| d.contains("total_count")),
            "{found:?}"
        );
        assert_eq!(lapsed(&mandate, debit), Some(MandateStatus::Completed));
        let open = monthly_on_5th();
        assert_eq!(
            lapsed(&open, noon(day(2027, 1, 1))),
            Some(MandateStatus::Expired)
        );
        assert_eq!(lapsed(&open, noon(day(2026, 6, 1))), None);
    }

    fn notice(debit_at_ms: i64, status: NoticeStatus) -> Notice {
        Notice {
            mandate_id: "mdt_1".into(),
            amount: inr(500),
            debit_at_ms,
            notified_at_ms: debit_at_ms - 24 * HOUR,
            status,
        }
    }

    #[test]
    fn a_charge_needs_its_notice_once_and_not_before_its_time() {
        let mandate = monthly_on_5th();
        let limits = Limits::default();
        let debit = noon(day(2026, 3, 5));
        let ready = notice(debit, NoticeStatus::Notified);
        assert_eq!(
            check_charge(
                "mdt_1",
                &mandate,
                &ready,
                &inr(500),
                debit + HOUR,
                &limits,
                None
            ),
            Ok(())
        );
        let early = fields(check_charge(
            "mdt_1",
            &mandate,
            &ready,
            &inr(500),
            debit - HOUR,
            &limits,
            None,
        ));
        assert!(
            early
                .iter()
                .any(|(_, d)| d.contains("before the notice's debit_at")),
            "{early:?}"
        );
        let used = fields(check_charge(
            "mdt_1",
            &mandate,
            &notice(debit, NoticeStatus::Charged),
            &inr(500),
            debit,
            &limits,
            None,
        ));
        assert!(
            used.iter()
                .any(|(_, d)| d.contains("one debit per pre-debit notice")),
            "{used:?}"
        );
        let pending = fields(check_charge(
            "mdt_1",
            &mandate,
            &notice(debit, NoticeStatus::Pending),
            &inr(500),
            debit,
            &limits,
            None,
        ));
        assert!(
            pending.iter().any(|(_, d)| d.contains("not NOTIFIED")),
            "{pending:?}"
        );
        let other = fields(check_charge(
            "mdt_2",
            &mandate,
            &ready,
            &inr(500),
            debit,
            &limits,
            None,
        ));
        assert!(
            other.iter().any(|(_, d)| d.contains("another mandate")),
            "{other:?}"
        );
        let mut short = ready.clone();
        short.notified_at_ms = debit - 2 * HOUR;
        let rushed = fields(check_charge(
            "mdt_1",
            &mandate,
            &short,
            &inr(500),
            debit,
            &limits,
            None,
        ));
        assert!(
            rushed.iter().any(|(_, d)| d.contains("lead time")),
            "{rushed:?}"
        );
    }

    #[test]
    fn a_charge_of_another_amount_or_after_its_day_is_refused() {
        let mandate = monthly_on_5th();
        let limits = Limits::default();
        let debit = noon(day(2026, 3, 5));
        let ready = notice(debit, NoticeStatus::Notified);
        let other = fields(check_charge(
            "mdt_1",
            &mandate,
            &ready,
            &inr(501),
            debit,
            &limits,
            None,
        ));
        assert!(other.iter().any(|(f, _)| f == "amount"), "{other:?}");
        let late = fields(check_charge(
            "mdt_1",
            &mandate,
            &ready,
            &inr(500),
            debit + 24 * HOUR,
            &limits,
            None,
        ));
        assert!(
            late.iter().any(|(_, d)| d.contains("debit day has passed")),
            "{late:?}"
        );
    }

    #[test]
    fn an_older_notice_cannot_add_a_second_debit_to_a_period() {
        // Debited on 5 April; a notice for 5 April is in that period, and so would a debit
        // for any day of April be, whether noticed before or after it.
        let mut mandate = monthly_on_5th();
        mandate.terms.preferred_day = 0;
        mandate.last_debit_on = Some(day(2026, 4, 20));
        let debit = noon(day(2026, 4, 5));
        let found = fields(check_notice(
            &mandate,
            &inr(500),
            debit,
            debit - 48 * HOUR,
            &Limits::default(),
            None,
        ));
        assert!(
            found
                .iter()
                .any(|(_, d)| d.contains("already has its debit")),
            "{found:?}"
        );
    }

    #[test]
    fn the_lead_time_is_a_setting() {
        let limits = Limits {
            lead_time_ms: 2_000,
            ..Limits::default()
        };
        let mandate = monthly_on_5th();
        let debit = noon(day(2026, 3, 5));
        assert_eq!(
            check_notice(&mandate, &inr(500), debit, debit - 3_000, &limits, None),
            Ok(())
        );
        assert!(check_notice(&mandate, &inr(500), debit, debit - 1_000, &limits, None).is_err());
    }

    #[test]
    fn ist_dates_turn_at_ist_midnight() {
        // 2026-03-04 18:29:59 UTC is 23:59:59 IST; a second later it is the 5th in India.
        let before =
            OffsetDateTime::new_utc(day(2026, 3, 4), time::Time::from_hms(18, 29, 59).unwrap());
        let ms = (before.unix_timestamp_nanos() / 1_000_000) as i64;
        assert_eq!(ist_date(ms), Some(day(2026, 3, 4)));
        assert_eq!(ist_date(ms + 1_000), Some(day(2026, 3, 5)));
    }
}
