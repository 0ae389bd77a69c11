//! payorch's domain types, shared by every other crate: money, cards (with redacting
//! `Debug`/`Display`), the unified status vocabulary, the authentication state machine,
//! provider code tables and validation errors.
//!
//! Nothing here does I/O; everything is deterministic (callers pass the current date where
//! it matters), so the rules can be tested exhaustively.

pub mod card;
pub mod claim;
pub mod codes;
pub mod error;
pub mod mandate;
pub mod mandate_record;
pub mod money;
pub mod payment;
pub mod redact;
pub mod routing;
pub mod session;
pub mod state_machine;
pub mod status;

pub use card::{Card, CardBrand, CardError, CardNumber, Cvv, Expiry};
pub use codes::{CodeOutcome, accu_outcome, authorization_outcome, npci_outcome};
pub use error::{FieldViolation, ValidationError};
pub use money::{Currency, Money, MoneyError};
pub use state_machine::IllegalTransition;
pub use status::{AuthenticationStatus, FailureReason, Flow, PaymentStatus, Recommendation};
