//! The contract every provider adapter implements, in the parts an adapter's modules each
//! implement where they do the work: payer authentication, payments and RuPay Standing
//! Instructions. [`Connector`] is all three plus who the adapter is.

use async_trait::async_trait;
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;

use crate::capabilities::Capabilities;
use crate::context::CallContext;
use crate::error::ConnectorError;
use crate::id::ConnectorId;
use crate::model::{
    AuthenticationOutcome, AuthorizeRequest, Eligibility, EligibilityRequest,
    MandateAuthentication, MandateCharge, MandateDebitNotice, NoticeOutcome, PaymentOutcome,
    RedirectParams, StartAuthentication,
};
use payorch_core::mandate_record::MandateReference;

/// A payment provider, seen through payorch's vocabulary.
///
/// Adapters are stateless between calls: what a later step needs is returned in
/// `connector_state` and handed back inside the session or payment. Every method that
/// changes state at the provider is called at most once per claimed transition; when it
/// returns [`ConnectorError::OutcomeUnknown`] the caller records UNKNOWN and resolves it with
/// the matching `sync_*` call, never by calling again.
#[async_trait]
pub trait Connector:
    Authenticator + Payments + StandingInstructions + Send + Sync + 'static
{
    fn id(&self) -> ConnectorId;

    fn capabilities(&self) -> &Capabilities;

    /// Is payer authentication available for this card, and by which flows? By default
    /// decided locally from the card's brand and the flows the provider offers (for most
    /// providers the only eligibility answer is the authentication itself, which already
    /// sends the payer an OTP); an adapter whose provider answers it cheaply overrides this.
    async fn check_eligibility(
        &self,
        _ctx: &CallContext,
        request: &EligibilityRequest<'_>,
    ) -> Result<Eligibility, ConnectorError> {
        Ok(Eligibility::by_card_brand(
            request.card,
            &self.capabilities().flows,
        ))
    }
}

/// Payer authentication (RuPay: by OTP, seamless or redirect), and reading where one stands.
#[async_trait]
pub trait Authenticator: Send + Sync {
    async fn start_authentication(
        &self,
        ctx: &CallContext,
        request: &StartAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError>;

    /// Verify an OTP the payer typed into the merchant's page (seamless flow).
    async fn submit_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        otp: &str,
    ) -> Result<AuthenticationOutcome, ConnectorError>;

    /// Ask the issuer for a new OTP; the old one stops working.
    async fn resend_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError>;

    /// The payer's browser returned from the issuer: verify the result with the provider.
    async fn complete_redirect(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        params: &RedirectParams,
    ) -> Result<AuthenticationOutcome, ConnectorError>;

    /// Ask the provider where the authentication stands (read only, safe to retry): how
    /// UNKNOWN and abandoned sessions are settled.
    async fn sync_authentication(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError>;
}

/// Moving money on an authenticated payment, and reading where a payment stands.
#[async_trait]
pub trait Payments: Send + Sync {
    async fn authorize(
        &self,
        ctx: &CallContext,
        request: &AuthorizeRequest<'_>,
    ) -> Result<PaymentOutcome, ConnectorError>;

    async fn capture(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
    ) -> Result<PaymentOutcome, ConnectorError>;

    async fn void(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError>;

    /// `refund_id` is payorch's id for this refund, usable as the provider's idempotency key.
    async fn refund(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
        refund_id: &str,
    ) -> Result<PaymentOutcome, ConnectorError>;

    /// Ask the provider where the payment stands (read only, safe to retry): how UNKNOWN
    /// and abandoned payments are settled.
    async fn sync_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError>;
}

/// RuPay Standing Instructions. Adapters that support them override these; the others
/// take the defaults, which answer `Unsupported`.
///
/// Registration, modification and cancellation are payer authentications: their answer is
/// an [`AuthenticationOutcome`], and the OTP, resend, redirect and sync calls of
/// [`Authenticator`] complete them. A charge is a payment: [`Payments::sync_payment`]
/// resolves one whose answer was lost.
#[async_trait]
pub trait StandingInstructions: Send + Sync {
    async fn start_mandate_authentication(
        &self,
        _ctx: &CallContext,
        _request: &MandateAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        Err(ConnectorError::Unsupported("standing instructions"))
    }

    /// The provider's identifiers of the registration a mandate authentication was for, as
    /// far as they are known (read from the session's provider state).
    fn mandate_reference(&self, _session: &AuthenticationSession) -> Option<MandateReference> {
        None
    }

    async fn notify_mandate_debit(
        &self,
        _ctx: &CallContext,
        _notice: &MandateDebitNotice<'_>,
    ) -> Result<NoticeOutcome, ConnectorError> {
        Err(ConnectorError::Unsupported("standing instructions"))
    }

    /// A merchant-initiated debit within the mandate's terms.
    async fn charge_mandate(
        &self,
        _ctx: &CallContext,
        _charge: &MandateCharge<'_>,
    ) -> Result<PaymentOutcome, ConnectorError> {
        Err(ConnectorError::Unsupported("standing instructions"))
    }
}
