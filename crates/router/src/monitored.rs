//! An account's adapter as the router hands it out: every call goes to the provider
//! unchanged, and its outcome feeds the account's circuit breaker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use payorch_connector::http::counting_attempts;
use payorch_connector::model::{
    AuthenticationOutcome, AuthorizeRequest, Eligibility, EligibilityRequest,
    MandateAuthentication, MandateCharge, MandateDebitNotice, NoticeOutcome, PaymentOutcome,
    RedirectParams, StartAuthentication,
};
use payorch_connector::{
    Authenticator, CallContext, Capabilities, Connector, ConnectorError, ConnectorId, Payments,
    StandingInstructions,
};
use payorch_core::mandate_record::MandateReference;
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;

use crate::breaker::Breaker;

/// Below this much time left, a failed call is the caller's short deadline, not the
/// provider's health.
const SPENT: Duration = Duration::from_millis(20);

pub struct Monitored {
    inner: Arc<dyn Connector>,
    breaker: Arc<Breaker>,
    account: String,
}

impl Monitored {
    pub fn new(inner: Arc<dyn Connector>, breaker: Arc<Breaker>, account: &str) -> Self {
        Self {
            inner,
            breaker,
            account: account.to_owned(),
        }
    }

    /// Feeds the breaker with a call's outcome, when the call reached for the provider at all.
    fn observe<T>(
        &self,
        ctx: &CallContext,
        result: Result<T, ConnectorError>,
        attempts: u64,
    ) -> Result<T, ConnectorError> {
        if attempts == 0 {
            return result;
        }
        match &result {
            // The provider answered (a decline, a refused request included).
            Ok(_) | Err(ConnectorError::Rejected { .. }) => {
                self.breaker.record_success(Instant::now());
            }
            Err(
                ConnectorError::NotSent(_)
                | ConnectorError::OutcomeUnknown(_)
                | ConnectorError::Unauthorized(_),
            ) => {
                let deadline_spent = ctx.remaining().is_some_and(|left| left < SPENT);
                if !deadline_spent && self.breaker.record_failure(Instant::now()) {
                    tracing::warn!(account = %self.account, "circuit breaker opened");
                }
            }
            // Nothing was asked of the provider.
            Err(ConnectorError::Unsupported(_) | ConnectorError::InvalidState(_)) => {}
        }
        result
    }
}

#[async_trait]
impl Connector for Monitored {
    fn id(&self) -> ConnectorId {
        self.inner.id()
    }

    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    async fn check_eligibility(
        &self,
        ctx: &CallContext,
        request: &EligibilityRequest<'_>,
    ) -> Result<Eligibility, ConnectorError> {
        let (result, attempts) =
            counting_attempts(self.inner.check_eligibility(ctx, request)).await;
        self.observe(ctx, result, attempts)
    }
}

#[async_trait]
impl Authenticator for Monitored {
    async fn start_authentication(
        &self,
        ctx: &CallContext,
        request: &StartAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let (result, attempts) =
            counting_attempts(self.inner.start_authentication(ctx, request)).await;
        self.observe(ctx, result, attempts)
    }

    async fn submit_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        otp: &str,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let (result, attempts) = counting_attempts(self.inner.submit_otp(ctx, session, otp)).await;
        self.observe(ctx, result, attempts)
    }

    async fn resend_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let (result, attempts) = counting_attempts(self.inner.resend_otp(ctx, session)).await;
        self.observe(ctx, result, attempts)
    }

    async fn complete_redirect(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        params: &RedirectParams,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let (result, attempts) =
            counting_attempts(self.inner.complete_redirect(ctx, session, params)).await;
        self.observe(ctx, result, attempts)
    }

    async fn sync_authentication(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let (result, attempts) =
            counting_attempts(self.inner.sync_authentication(ctx, session)).await;
        self.observe(ctx, result, attempts)
    }
}

#[async_trait]
impl Payments for Monitored {
    async fn authorize(
        &self,
        ctx: &CallContext,
        request: &AuthorizeRequest<'_>,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let (result, attempts) = counting_attempts(self.inner.authorize(ctx, request)).await;
        self.observe(ctx, result, attempts)
    }

    async fn capture(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let (result, attempts) = counting_attempts(self.inner.capture(ctx, payment, amount)).await;
        self.observe(ctx, result, attempts)
    }

    async fn void(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let (result, attempts) = counting_attempts(self.inner.void(ctx, payment)).await;
        self.observe(ctx, result, attempts)
    }

    async fn refund(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
        refund_id: &str,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let (result, attempts) =
            counting_attempts(self.inner.refund(ctx, payment, amount, refund_id)).await;
        self.observe(ctx, result, attempts)
    }

    async fn sync_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let (result, attempts) = counting_attempts(self.inner.sync_payment(ctx, payment)).await;
        self.observe(ctx, result, attempts)
    }
}

#[async_trait]
impl StandingInstructions for Monitored {
    async fn start_mandate_authentication(
        &self,
        ctx: &CallContext,
        request: &MandateAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let (result, attempts) =
            counting_attempts(self.inner.start_mandate_authentication(ctx, request)).await;
        self.observe(ctx, result, attempts)
    }

    fn mandate_reference(&self, session: &AuthenticationSession) -> Option<MandateReference> {
        self.inner.mandate_reference(session)
    }

    async fn notify_mandate_debit(
        &self,
        ctx: &CallContext,
        notice: &MandateDebitNotice<'_>,
    ) -> Result<NoticeOutcome, ConnectorError> {
        let (result, attempts) =
            counting_attempts(self.inner.notify_mandate_debit(ctx, notice)).await;
        self.observe(ctx, result, attempts)
    }

    async fn charge_mandate(
        &self,
        ctx: &CallContext,
        charge: &MandateCharge<'_>,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let (result, attempts) = counting_attempts(self.inner.charge_mandate(ctx, charge)).await;
        self.observe(ctx, result, attempts)
    }
}
