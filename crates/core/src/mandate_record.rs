//! A mandate as payorch keeps it: its terms, the operation waiting for the payer's
//! authentication, and its pre-debit notices with the debit each one led to. Holds no PAN
//! or CVV (the caller sends the card on each message that needs it).
//!
//! The notices live inside the mandate's record, so one compare-and-set decides a notice or
//! a debit against everything the rules look at (the count, the period, the notice's use).

use serde::{Deserialize, Serialize};

use crate::mandate::{MandateState, MandateStatus, Notice, NoticeStatus, Terms, ist_date};
use crate::session::ProviderStatus;
use crate::status::FailureReason;

/// Final notices kept in the record beyond the open ones (older ones are dropped; their
/// payments stay readable with GetPayment).
const FINAL_NOTICES_KEPT: usize = 32;

/// An operation that waits for the payer's authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MandateOperation {
    Register,
    Modify,
    Cancel,
}

/// How the payer receives pre-debit intimations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertPreference {
    #[default]
    Sms,
    Email,
    SmsAndEmail,
}

/// What became of the debit a notice led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Debit {
    /// Sent (or about to be); its payment's outcome is not known yet. Counts as made until
    /// it is known, so an unknown debit never makes room for another one.
    Pending,
    Succeeded,
    /// Declined, failed, or provably never sent.
    Failed,
}

/// The provider's identifiers of a registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateReference {
    /// The provider's id of the agreement (modification, deregistration, intimation).
    pub agreement_id: String,
    /// The SI registration id the debits carry (Cybersource
    /// `installmentInformation.identifier`), known once the registration is authenticated.
    #[serde(default)]
    pub identifier: Option<String>,
}

/// One pre-debit notice and its debit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRecord {
    pub id: String,
    /// 1 for the mandate's first notice.
    pub sequence: u32,
    pub notice: Notice,
    pub provider_reference: Option<String>,
    pub provider_status: Option<ProviderStatus>,
    pub failure_reason: Option<FailureReason>,
    /// The payment ChargeMandate created for this notice.
    pub payment_id: Option<String>,
    pub debit: Option<Debit>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl NoticeRecord {
    /// Whether it may still change what the mandate allows: a debit whose outcome is not
    /// known, or a notice whose debit day has not passed (a PENDING or UNKNOWN one cannot
    /// be charged, but stays readable until then).
    fn is_open(&self, today: Option<time::Date>) -> bool {
        let day_ahead = match (ist_date(self.notice.debit_at_ms), today) {
            (Some(day), Some(today)) => day >= today,
            _ => true,
        };
        let waiting = matches!(
            self.notice.status,
            NoticeStatus::Pending | NoticeStatus::Notified | NoticeStatus::Unknown
        );
        (waiting && day_ahead) || self.debit == Some(Debit::Pending)
    }
}

/// A RuPay Standing Instruction (the API's `Mandate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateRecord {
    pub id: String,
    pub merchant_id: String,
    /// The connector it is registered through; every later call goes there.
    pub connector: String,
    pub status: MandateStatus,
    /// How the account it is registered on was chosen; every operation and debit goes to
    /// that account. `None` on records from before accounts.
    #[serde(default)]
    pub routing: Option<crate::routing::RoutingDecision>,
    pub terms: Terms,
    pub pending_terms: Option<Terms>,
    pub pending_operation: Option<MandateOperation>,
    /// The latest authentication of the payer for this mandate.
    pub authentication_id: Option<String>,
    pub reference: Option<MandateReference>,
    pub mandate_reference: String,
    pub failure_reason: Option<FailureReason>,
    pub provider_status: Option<ProviderStatus>,
    pub card_bin: String,
    pub card_last4: String,
    pub customer_id: String,
    pub customer_email: String,
    pub customer_phone: String,
    pub alert_preference: AlertPreference,
    /// The merchant category (ISO 18245) whose AFA-free limit applies.
    pub merchant_category: Option<String>,
    pub notices: Vec<NoticeRecord>,
    /// Notices ever sent (the next notice's sequence is one more).
    pub notices_sent: u32,
    /// Successful debits of notices pruned from `notices`: still counted.
    #[serde(default)]
    pub pruned_debits: u32,
    /// The IST day of the latest successful debit among the pruned notices.
    #[serde(default)]
    pub pruned_last_debit_on: Option<time::Date>,
    /// The registration's authentication: the only one of this mandate that may authorize
    /// a payment (the first debit taken at registration).
    #[serde(default)]
    pub registered_by: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Optimistic-concurrency version, owned by the store.
    pub version: u64,
}

impl MandateRecord {
    /// The merchant connector account every later step goes to.
    pub fn account(&self) -> &str {
        crate::routing::account_of(self.routing.as_ref(), &self.connector)
    }

    /// Debits known to have succeeded.
    pub fn completed_count(&self) -> u32 {
        self.count(|d| d == Debit::Succeeded)
            .saturating_add(self.pruned_debits)
    }

    fn count(&self, which: impl Fn(Debit) -> bool) -> u32 {
        let n = self
            .notices
            .iter()
            .filter(|n| n.debit.is_some_and(&which))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The mandate as the rules see it: a debit whose outcome is not known yet counts as
    /// made (for the count and for its period), so no rule is relaxed by a lost answer.
    pub fn rules_view(&self) -> MandateState {
        let made = |d: Debit| d != Debit::Failed;
        let last_debit_on = self
            .notices
            .iter()
            .filter(|n| n.debit.is_some_and(made))
            .filter_map(|n| ist_date(n.notice.debit_at_ms))
            .chain(self.pruned_last_debit_on)
            .max();
        MandateState {
            status: self.status,
            terms: self.terms.clone(),
            completed_count: self.count(made).saturating_add(self.pruned_debits),
            last_debit_on,
        }
    }

    pub fn notice(&self, id: &str) -> Option<&NoticeRecord> {
        self.notices.iter().find(|n| n.id == id)
    }

    pub fn notice_mut(&mut self, id: &str) -> Option<&mut NoticeRecord> {
        self.notices.iter_mut().find(|n| n.id == id)
    }

    /// Drops the oldest final notices beyond [`FINAL_NOTICES_KEPT`] (open ones always stay);
    /// the successful debits among them stay counted.
    pub fn prune(&mut self, now_ms: i64) {
        let today = ist_date(now_ms);
        let finals = self.notices.iter().filter(|n| !n.is_open(today)).count();
        let mut drop = finals.saturating_sub(FINAL_NOTICES_KEPT);
        let mut kept = Vec::with_capacity(self.notices.len());
        for notice in std::mem::take(&mut self.notices) {
            if drop > 0 && !notice.is_open(today) {
                drop -= 1;
                if notice.debit == Some(Debit::Succeeded) {
                    self.pruned_debits = self.pruned_debits.saturating_add(1);
                    self.pruned_last_debit_on = self
                        .pruned_last_debit_on
                        .into_iter()
                        .chain(ist_date(notice.notice.debit_at_ms))
                        .max();
                }
            } else {
                kept.push(notice);
            }
        }
        self.notices = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mandate::Frequency;
    use crate::money::{Currency, Money};

    fn record() -> MandateRecord {
        let date = |d| time::Date::from_calendar_date(2026, time::Month::December, d).unwrap();
        MandateRecord {
            routing: None,
            id: "mdt_1".into(),
            merchant_id: "demo".into(),
            connector: "cybersource".into(),
            status: MandateStatus::Active,
            terms: Terms {
                max_amount: Money::from_minor(500_000, Currency::INR),
                min_amount: None,
                frequency: Frequency::AsPresented,
                preferred_day: 0,
                start_date: date(1),
                end_date: date(31),
                total_count: 3,
            },
            pending_terms: None,
            pending_operation: None,
            authentication_id: None,
            reference: None,
            mandate_reference: String::new(),
            failure_reason: None,
            provider_status: None,
            card_bin: "653100".into(),
            card_last4: "0021".into(),
            customer_id: String::new(),
            customer_email: String::new(),
            customer_phone: String::new(),
            alert_preference: AlertPreference::Sms,
            merchant_category: None,
            notices: Vec::new(),
            notices_sent: 0,
            pruned_debits: 0,
            pruned_last_debit_on: None,
            registered_by: None,
            created_at_ms: 0,
            updated_at_ms: 0,
            version: 1,
        }
    }

    fn notice(id: &str, day_ms: i64, status: NoticeStatus, debit: Option<Debit>) -> NoticeRecord {
        NoticeRecord {
            id: id.into(),
            sequence: 1,
            notice: Notice {
                mandate_id: "mdt_1".into(),
                amount: Money::from_minor(10_000, Currency::INR),
                debit_at_ms: day_ms,
                notified_at_ms: 0,
                status,
            },
            provider_reference: None,
            provider_status: None,
            failure_reason: None,
            payment_id: None,
            debit,
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn an_unknown_debit_counts_as_made_for_the_rules_but_not_as_completed() {
        let mut m = record();
        m.notices.push(notice(
            "a",
            1_796_000_000_000,
            NoticeStatus::Charged,
            Some(Debit::Succeeded),
        ));
        m.notices.push(notice(
            "b",
            1_796_100_000_000,
            NoticeStatus::Charged,
            Some(Debit::Pending),
        ));
        m.notices.push(notice(
            "c",
            1_796_200_000_000,
            NoticeStatus::Charged,
            Some(Debit::Failed),
        ));
        assert_eq!(m.completed_count(), 1);
        let view = m.rules_view();
        assert_eq!(view.completed_count, 2);
        assert_eq!(view.last_debit_on, ist_date(1_796_100_000_000));
    }

    #[test]
    fn pruning_keeps_every_open_notice_and_the_latest_final_ones() {
        let mut m = record();
        m.notices
            .push(notice("open", 0, NoticeStatus::Notified, None));
        for i in 0..40 {
            m.notices.push(notice(
                &format!("f{i}"),
                0,
                NoticeStatus::Charged,
                Some(Debit::Succeeded),
            ));
        }
        m.notices.push(notice(
            "pending-debit",
            0,
            NoticeStatus::Charged,
            Some(Debit::Pending),
        ));
        let before = m.completed_count();
        let view_before = m.rules_view();
        m.prune(0);
        assert_eq!(m.notices.len(), 2 + FINAL_NOTICES_KEPT);
        assert!(m.notice("open").is_some());
        assert!(m.notice("pending-debit").is_some());
        assert!(m.notice("f0").is_none());
        assert!(m.notice("f39").is_some());
        assert_eq!(m.completed_count(), before, "pruned debits still count");
        assert_eq!(m.rules_view(), view_before);
        let json = serde_json::to_string(&m).unwrap();
        let back: MandateRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }
}
