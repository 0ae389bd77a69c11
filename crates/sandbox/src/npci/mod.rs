//! The NPCI / RuPay issuer model every provider simulator sits in front of.

pub mod cards;
pub mod codes;
pub mod issuer;
pub mod otp;

pub use cards::{Behaviour, CATALOGUE, Flow, TestCard};
pub use codes::{AccuCode, NpciCode};
pub use issuer::{AuthSession, Authorization, Decline, Enrollment, Issuer, Outcome};
pub use otp::{OtpPolicy, Resend, Verify};
