//! The test card catalogue: which RuPay card behaves how at the issuer.
//!
//! Numbers are valid Luhn, in RuPay BIN ranges (5085xx, 607xxx, 6521xx-6531xx). Every card
//! works with every provider; the behaviour is the issuer's, so each simulator shows it
//! in its own provider's words. Unknown but well-formed numbers behave as not enrolled.

use serde::Serialize;

/// Connector ids, as payorch names them and as the mount prefixes spell them.
pub const CONNECTORS: [&str; 4] = ["cybersource", "fiserv-ipg", "mpgs", "juspay"];

/// What the issuer does with a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Enrolled; OTP collected by the merchant (server-to-server).
    SeamlessEnrolled,
    /// Enrolled; OTP only on the issuer's ACS page.
    RedirectOnly,
    /// Enrolled for both; the provider or the request picks (seamless by default).
    BothFlows,
    /// Not enrolled: NPCI answers 410 Invalid BIN.
    NotEnrolled,
    /// The issuer's ACS cannot be reached.
    IssuerUnavailable,
    /// Authenticates, then the authorization is declined 51 (insufficient funds).
    DeclineInsufficientFunds,
    /// Authenticates, then the authorization is declined 54 (expired card).
    DeclineExpiredCard,
    /// Authenticates, then the authorization is declined 05 (do not honour).
    DeclineDoNotHonour,
    /// Seamless, and may register RuPay Standing Instructions.
    StandingInstruction,
}

/// How the OTP is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    Seamless,
    Redirect,
}

/// One catalogue entry.
#[derive(Debug, Clone, Serialize)]
pub struct TestCard {
    pub number: &'static str,
    pub expiry_month: &'static str,
    pub expiry_year: &'static str,
    pub cvv: &'static str,
    pub behaviour: Behaviour,
    pub flows: &'static [Flow],
    pub providers: &'static [&'static str],
    pub description: &'static str,
}

const SEAMLESS: &[Flow] = &[Flow::Seamless];
const REDIRECT: &[Flow] = &[Flow::Redirect];
const BOTH: &[Flow] = &[Flow::Seamless, Flow::Redirect];
const NONE: &[Flow] = &[];

const fn card(
    number: &'static str,
    behaviour: Behaviour,
    flows: &'static [Flow],
    description: &'static str,
) -> TestCard {
    TestCard {
        number,
        expiry_month: "12",
        expiry_year: "2031",
        cvv: "123",
        behaviour,
        flows,
        providers: &CONNECTORS,
        description,
    }
}

/// The catalogue served at `GET /_sandbox/cards`.
pub static CATALOGUE: [TestCard; 10] = [
    card(
        "5085000000000015",
        Behaviour::SeamlessEnrolled,
        SEAMLESS,
        "enrolled, seamless OTP, approves",
    ),
    card(
        "5085100000000021",
        Behaviour::RedirectOnly,
        REDIRECT,
        "enrolled, OTP on the ACS page only, approves",
    ),
    card(
        "5085200000000037",
        Behaviour::BothFlows,
        BOTH,
        "enrolled for both flows (seamless unless the request asks for redirect), approves",
    ),
    card(
        "6070000000000069",
        Behaviour::NotEnrolled,
        NONE,
        "not enrolled: 410 Invalid BIN",
    ),
    card(
        "6071000000000076",
        Behaviour::IssuerUnavailable,
        NONE,
        "issuer ACS unavailable",
    ),
    card(
        "6072000000000083",
        Behaviour::DeclineInsufficientFunds,
        SEAMLESS,
        "authenticates, authorization declined 51",
    ),
    card(
        "6521500000000097",
        Behaviour::DeclineExpiredCard,
        SEAMLESS,
        "authenticates, authorization declined 54",
    ),
    card(
        "6521600000000012",
        Behaviour::DeclineDoNotHonour,
        SEAMLESS,
        "authenticates, authorization declined 05",
    ),
    card(
        "6531000000000021",
        Behaviour::StandingInstruction,
        SEAMLESS,
        "seamless, Standing Instruction capable, approves",
    ),
    card(
        "6531100000000037",
        Behaviour::StandingInstruction,
        REDIRECT,
        "OTP on the ACS page, Standing Instruction capable, approves",
    ),
];

/// The card's behaviour, or `None` when the number is not in the catalogue.
pub fn lookup(number: &str) -> Option<&'static TestCard> {
    CATALOGUE.iter().find(|c| c.number == number)
}

/// Behaviour of any number: catalogue cards as listed, anything else not enrolled.
pub fn behaviour_of(number: &str) -> Behaviour {
    lookup(number).map_or(Behaviour::NotEnrolled, |c| c.behaviour)
}

/// The flows the issuer offers for a number.
pub fn flows_of(number: &str) -> &'static [Flow] {
    lookup(number).map_or(NONE, |c| c.flows)
}

/// True for a RuPay-range number (what the networks route to NPCI).
pub fn is_rupay_bin(number: &str) -> bool {
    ["508", "60", "65", "81", "82"]
        .iter()
        .any(|p| number.starts_with(p))
}

/// Luhn check over an all-digit string of 12 to 19 digits.
pub fn luhn_valid(number: &str) -> bool {
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_number_is_valid_luhn_and_rupay() {
        for c in &CATALOGUE {
            assert!(luhn_valid(c.number), "{} fails Luhn", c.number);
            assert!(is_rupay_bin(c.number), "{} not RuPay", c.number);
            assert_eq!(c.number.len(), 16);
        }
    }

    #[test]
    fn luhn_rejects_a_changed_digit() {
        assert!(!luhn_valid("5085000000000016"));
        assert!(!luhn_valid("50850000000000a5"));
    }

    #[test]
    fn unknown_numbers_are_not_enrolled() {
        assert_eq!(behaviour_of("5085990000000005"), Behaviour::NotEnrolled);
    }
}
