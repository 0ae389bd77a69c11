//! Request validation shared by every handler. Each check names the field it refused
//! (as the proto spells it) and never echoes the value: a bad PAN must not reach an error.

use std::net::IpAddr;

use payorch_core::card::Card;
use payorch_core::error::ValidationError;
use payorch_core::money::Money;
use tonic::Status;

use crate::api;
use crate::config::Settings;
use crate::grpc::status::invalid_argument;

/// Idempotency keys: what fits in a Redis key and a log line (no hash-tag braces).
const MAX_IDEMPOTENCY_KEY: usize = 255;
/// Order references become providers' order ids: the strictest provider's alphabet.
const MAX_ORDER_REFERENCE: usize = 40;
/// Free text kept for support (reasons) and merchant references.
const MAX_FREE_TEXT: usize = 255;
const MAX_URL: usize = 2048;
const MAX_CUSTOMER_ID: usize = 128;
const MAX_EMAIL: usize = 254;

/// Resource id prefixes: `auth_`, `pay_`, `mdt_` followed by 32 lower-case hex digits.
use crate::ids::is_resource_id;

/// Collects every violation of one request, so the caller learns them all at once.
pub struct Checks<'a> {
    settings: &'a Settings,
    errors: ValidationError,
}

impl<'a> Checks<'a> {
    pub fn new(settings: &'a Settings) -> Self {
        Self {
            settings,
            errors: ValidationError::new(),
        }
    }

    /// Whether no field has been refused so far.
    pub fn clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// INVALID_ARGUMENT naming every refused field, or Ok.
    pub fn finish(&mut self) -> Result<(), Status> {
        let errors = std::mem::take(&mut self.errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(invalid_argument(&errors))
        }
    }

    pub fn merchant(&mut self, merchant_id: &str) -> &mut Self {
        if merchant_id.is_empty() {
            self.errors.push("merchant_id", "required");
        } else if self.settings.merchant(merchant_id).is_none() {
            self.errors.push("merchant_id", "unknown merchant");
        }
        self
    }

    pub fn idempotency_key(&mut self, key: &str) -> &mut Self {
        let printable = key
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '{' && c != '}');
        if key.is_empty() {
            self.errors
                .push("idempotency_key", "required for every mutating call");
        } else if key.len() > MAX_IDEMPOTENCY_KEY || !printable {
            self.errors.push(
                "idempotency_key",
                "must be 1 to 255 printable ASCII characters without braces",
            );
        }
        self
    }

    /// A connector the caller pinned must be one payorch knows; the error lists the
    /// merchant's own. (One payorch knows but the merchant has not enabled is the
    /// router's FAILED_PRECONDITION.)
    pub fn pinned_connector(&mut self, merchant_id: &str, connector: &str) -> &mut Self {
        if connector.is_empty() || payorch_connector::ConnectorId::parse(connector).is_some() {
            return self;
        }
        let enabled = self
            .settings
            .merchant(merchant_id)
            .map(|m| self.settings.connectors_of(m).join(", "))
            .unwrap_or_default();
        self.errors.push(
            "connector",
            format!("unknown connector; this merchant's connectors: {enabled}"),
        );
        self
    }

    /// The fields the chosen connector's provider needs that this request lacks.
    pub fn provider_requirements(
        &mut self,
        capabilities: &payorch_connector::Capabilities,
        card: &Card,
        browser: &payorch_connector::model::Browser,
    ) -> &mut Self {
        for (field, why) in capabilities.refusals(card, browser) {
            self.errors.push(field, why);
        }
        self
    }

    pub fn positive_money(&mut self, field: &str, money: Option<&api::Money>) -> Option<Money> {
        let Some(money) = money else {
            self.errors.push(field, "required");
            return None;
        };
        self.money(field, money, true)
    }

    /// An optional amount (e.g. a partial capture); when present it must be positive.
    pub fn optional_money(&mut self, field: &str, money: Option<&api::Money>) -> Option<Money> {
        money.and_then(|m| self.money(field, m, true))
    }

    fn money(&mut self, field: &str, money: &api::Money, positive: bool) -> Option<Money> {
        match Money::new(money.minor_units, &money.currency) {
            Ok(value) if positive && !value.is_positive() => {
                self.errors
                    .push(format!("{field}.minor_units"), "must be greater than zero");
                None
            }
            Ok(value) if value.exceeds_payment_maximum() => {
                self.errors.push(
                    format!("{field}.minor_units"),
                    format!(
                        "must be at most {} major units of {}",
                        payorch_core::money::MAX_PAYMENT_MAJOR_UNITS,
                        value.currency()
                    ),
                );
                None
            }
            Ok(value) => Some(value),
            Err(_) => {
                self.errors.push(
                    format!("{field}.currency"),
                    "must be an ISO 4217 alphabetic currency code",
                );
                None
            }
        }
    }

    pub fn payment_method(&mut self, method: Option<&api::PaymentMethod>) -> &mut Self {
        self.card(method);
        self
    }

    /// Validates the payment method; returns it as a [`Card`] (a network token is a card
    /// whose number is the token and which carries the token cryptogram).
    pub fn card(&mut self, method: Option<&api::PaymentMethod>) -> Option<Card> {
        use api::payment_method::Method;
        match method.and_then(|m| m.method.as_ref()) {
            None => {
                self.errors
                    .push("payment_method", "a card or a network token is required");
                None
            }
            Some(Method::Card(card)) => {
                let (year, month) = current_year_month();
                Card::parse(
                    &card.number,
                    &card.expiry_month,
                    &card.expiry_year,
                    non_empty(&card.cvv),
                    non_empty(&card.holder_name),
                    year,
                    month,
                )
                .map_err(|errors| self.errors.merge(errors))
                .ok()
            }
            Some(Method::NetworkToken(token)) => self.network_token(token),
        }
    }

    /// A network token becomes a [`Card`] whose number is the token, carrying its cryptogram.
    fn network_token(&mut self, token: &api::NetworkToken) -> Option<Card> {
        let field = "payment_method.network_token";
        let (year, month) = current_year_month();
        let parsed = Card::parse(
            &token.number,
            &token.expiry_month,
            &token.expiry_year,
            None,
            None,
            year,
            month,
        );
        if token.cryptogram.is_empty() {
            self.errors.push(format!("{field}.cryptogram"), "required");
        }
        match parsed {
            Ok(card) if !token.cryptogram.is_empty() => {
                Some(card.into_network_token(token.cryptogram.clone()))
            }
            Ok(_) => None,
            Err(errors) => {
                for violation in errors.violations {
                    let leaf = violation
                        .field
                        .rsplit('.')
                        .next()
                        .unwrap_or("number")
                        .to_owned();
                    self.errors
                        .push(format!("{field}.{leaf}"), violation.description);
                }
                None
            }
        }
    }

    pub fn browser(&mut self, browser: Option<&api::BrowserInfo>) -> &mut Self {
        let Some(browser) = browser else {
            self.errors.push(
                "browser",
                "required: RuPay authentication needs the payer's browser",
            );
            return self;
        };
        if browser.ip_address.parse::<IpAddr>().is_err() {
            self.errors
                .push("browser.ip_address", "must be an IPv4 or IPv6 address");
        }
        if browser.user_agent.is_empty() {
            self.errors.push("browser.user_agent", "required");
        }
        self
    }

    /// An absolute https URL; plain http only for a loopback host (a developer's machine).
    pub fn url(&mut self, field: &str, url: &str) -> &mut Self {
        if url.is_empty() {
            self.errors.push(field, "required");
            return self;
        }
        let parsed = url::Url::parse(url).ok();
        let acceptable = parsed.as_ref().is_some_and(|u| match u.scheme() {
            "https" => u.host().is_some(),
            "http" => is_loopback(u),
            _ => false,
        });
        if !acceptable || url.len() > MAX_URL || url.chars().any(char::is_whitespace) {
            self.errors.push(
                field,
                "must be an absolute https URL of at most 2048 characters (http only for a loopback host)",
            );
        }
        self
    }

    /// A merchant's order reference: at most 40 characters of `[A-Za-z0-9_-]`.
    pub fn order_reference(&mut self, field: &str, value: &str) -> &mut Self {
        let alphabet = value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if value.len() > MAX_ORDER_REFERENCE || !alphabet {
            self.errors.push(
                field,
                "must be at most 40 characters of letters, digits, '_' and '-'",
            );
        }
        self
    }

    /// Free text (a reason, a merchant reference): at most 255 characters, none a control
    /// character.
    pub fn free_text(&mut self, field: &str, value: &str) -> &mut Self {
        if value.chars().count() > MAX_FREE_TEXT || value.chars().any(char::is_control) {
            self.errors.push(
                field,
                "must be at most 255 characters without control characters",
            );
        }
        self
    }

    /// The optional customer fields: an id of printable ASCII, an e-mail address of the
    /// form local@domain, a phone number in E.164 (`+` and 8 to 15 digits).
    pub fn customer(&mut self, id: &str, email: &str, phone: &str) -> &mut Self {
        if id.len() > MAX_CUSTOMER_ID || !id.bytes().all(|b| b.is_ascii_graphic()) {
            self.errors.push(
                "customer_id",
                "must be at most 128 printable ASCII characters without spaces",
            );
        }
        if !email.is_empty() && !is_email(email) {
            self.errors
                .push("customer_email", "must be an e-mail address (local@domain)");
        }
        if !phone.is_empty() && !is_e164(phone) {
            self.errors.push(
                "customer_phone",
                "must be in E.164 form: '+', country code and number, 8 to 15 digits",
            );
        }
        self
    }

    pub fn resource_id(&mut self, field: &str, id: &str, prefix: &str) -> &mut Self {
        if !is_resource_id(id, prefix) {
            self.errors.push(
                field,
                format!("must be an id of the form {prefix}<32 lower-case hex digits>"),
            );
        }
        self
    }

    pub fn otp(&mut self, otp: &str) -> &mut Self {
        if !(4..=8).contains(&otp.len()) || !otp.bytes().all(|b| b.is_ascii_digit()) {
            self.errors.push("otp", "must be 4 to 8 digits");
        }
        self
    }

    /// A field that must not be given in this request.
    pub fn refuse(&mut self, field: &str, why: &str) -> &mut Self {
        self.errors.push(field, why);
        self
    }

    pub fn required(&mut self, field: &str, value: &str) -> &mut Self {
        if value.is_empty() {
            self.errors.push(field, "required");
        }
        self
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= MAX_EMAIL
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.bytes().all(|b| b.is_ascii_graphic())
        && !local.contains('@')
}

fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

fn current_year_month() -> (u16, u8) {
    let now = time::OffsetDateTime::now_utc();
    (
        u16::try_from(now.year()).unwrap_or(u16::MAX),
        u8::from(now.month()),
    )
}
