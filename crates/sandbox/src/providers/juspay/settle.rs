//! What follows an authentication, whichever way it ended (Direct OTP or the ACS page):
//! success goes to the issuer for authorization (CHARGED, or AUTHORIZED when the order
//! is not auto-captured; AUTHORIZATION_FAILED with the bank's code on a decline), failure
//! makes the transaction AUTHENTICATION_FAILED with the NPCI code.
//!
//! Only a transaction still in PENDING_VBV changes, so a repeated completion answers the
//! state reached the first time.

use super::store::{Txn, TxnStatus};
use crate::npci::issuer::random_digits;
use crate::npci::{Authorization, NpciCode};
use crate::state::Sandbox;

/// Authorizes an authenticated transaction; returns its state afterwards.
pub fn authenticated(sandbox: &Sandbox, txn_uuid: &str) -> Option<Txn> {
    let store = sandbox.juspay.current();
    let mut tables = store.lock();
    let txn = tables.txns.get_mut(&txn_uuid.to_owned())?;
    if txn.status != TxnStatus::PendingVbv {
        return Some(txn.clone());
    }
    // The issuer registered the txn_uuid (the session's reference) as its proof.
    match sandbox.issuer.authorize(&txn.card_number, &[txn_uuid]) {
        Authorization::Approved { approval_code } => {
            txn.approval_code = Some(approval_code);
            txn.rrn = Some(random_digits(12));
            txn.bank_error_code = None;
            txn.bank_error_message = None;
            if txn.auto_capture {
                txn.status = TxnStatus::Charged;
                txn.captured = txn.amount;
            } else {
                txn.status = TxnStatus::Authorized;
            }
        }
        Authorization::Declined(decline) => {
            txn.fail(
                TxnStatus::AuthorizationFailed,
                decline.code(),
                decline.message(),
            );
        }
    }
    Some(txn.clone())
}

/// Ends a pending transaction as AUTHENTICATION_FAILED with an NPCI code.
pub fn authentication_failed(sandbox: &Sandbox, txn_uuid: &str, code: NpciCode) -> Option<Txn> {
    failed_with(sandbox, txn_uuid, code.as_str(), code.description())
}

/// Ends a pending transaction as AUTHENTICATION_FAILED with any code (e.g. ACCU200 when
/// the payer cancels on the ACS page); returns its state afterwards.
pub fn failed_with(sandbox: &Sandbox, txn_uuid: &str, code: &str, message: &str) -> Option<Txn> {
    let store = sandbox.juspay.current();
    let mut tables = store.lock();
    let txn = tables.txns.get_mut(&txn_uuid.to_owned())?;
    if txn.status == TxnStatus::PendingVbv {
        txn.fail(TxnStatus::AuthenticationFailed, code, message);
    }
    Some(txn.clone())
}
