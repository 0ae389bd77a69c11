//! `POST /risk/v1/authentication-results`: validate. Redirect sends `signedPares`; seamless
//! sends `authenticationTransactionId`, `authenticationTransactionContext` and `otpToken`.
//!
//! Failures answer `AUTHENTICATION_FAILED` with the NPCI code in
//! `consumerAuthenticationInformation.authenticationResult` (450 invalid OTP: the payer
//! may try again; 451 expired; 452 attempts exhausted; 453 resends exhausted; ACCU200
//! cancelled at the ACS). Success answers `authenticationResult: "0"` as the seed shows.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::store::{PayerAuthService, Purpose, lock};
use super::{
    CONNECTOR, CsError, agreements, client_reference, created, new_id, new_token, pares, parse,
};
use crate::npci::issuer::random_b64;
use crate::npci::{AccuCode, Flow, Outcome, Verify};
use crate::providers::json::Fields;
use crate::providers::time::utc_now_iso;
use crate::state::Sandbox;

const ID: &str = "consumerAuthenticationInformation.authenticationTransactionId";
const CONTEXT: &str = "consumerAuthenticationInformation.authenticationTransactionContext";
const OTP: &str = "consumerAuthenticationInformation.otpToken";
const PARES: &str = "consumerAuthenticationInformation.signedPares";

pub async fn validate(
    State(sandbox): State<Arc<Sandbox>>,
    bytes: Bytes,
) -> Result<Response, CsError> {
    sandbox.calls.record(CONNECTOR, "validation");
    let body = parse(&bytes)?;
    let client_ref = client_reference(&body);
    let mut fields = Fields::new(&body);
    if let Some(signed) = fields.opt(PARES) {
        CsError::check(&fields)?;
        let xid = pares::decode(&sandbox.secret, &signed)
            .ok_or_else(|| CsError::InvalidField(PARES.into()))?;
        return Ok(redirect_result(&sandbox, &client_ref, &xid));
    }
    let id = fields.req(ID);
    let context = fields.req(CONTEXT);
    let otp = fields.req(OTP);
    fields.req("deviceInformation.ipAddress");
    CsError::check(&fields)?;
    let record = sandbox
        .cybersource
        .current()
        .enrollment(&id)
        .ok_or_else(|| CsError::InvalidField(ID.into()))?;
    if record.flow != Flow::Seamless {
        return Err(CsError::InvalidField(OTP.into()));
    }
    if record.context != context {
        return Err(CsError::InvalidField(CONTEXT.into()));
    }
    let (verdict, _) = sandbox
        .issuer
        .verify(CONNECTOR, &id, &otp)
        .map_err(|_| CsError::InvalidField(ID.into()))?;
    let response_id = new_id();
    if verdict != Verify::Success {
        let code = verdict.code();
        let answer = failed(
            &client_ref,
            &response_id,
            &id,
            code.as_str(),
            code.description(),
        );
        return Ok(answered(&sandbox, answer, &id));
    }
    let token = transaction_token();
    sandbox.issuer.add_proof(&token, CONNECTOR, &id);
    let mut answer = json!({
        "clientReferenceInformation": client_ref,
        "consumerAuthenticationInformation": {
            "indicator": "rpy",
            "eciRaw": "05",
            "paresStatus": "Y",
            "authenticationResult": "0",
            "transactionToken": token,
            "authenticationTransactionContext": record.context,
            "authenticationTransactionContextId": record.context,
            "authenticationTransactionId": id,
            "authenticationStatusMsg": "Success",
            "eci": "05",
            "specificationVersion": "rupay",
            "token": new_token(),
        },
        "id": response_id,
        "status": "AUTHENTICATION_SUCCESSFUL",
        "submitTimeUtc": utc_now_iso(),
    });
    if let Some(identifier) = apply_purpose(&sandbox, &record.purpose) {
        answer["installmentInformation"] = json!({"identifier": identifier});
    }
    Ok(answered(&sandbox, answer, &id))
}

/// Keeps a validation's answer for Transaction Search (with the authentication's CAVV
/// once it succeeded) and sends it.
fn answered(sandbox: &Sandbox, answer: Value, reference: &str) -> Response {
    let enrollment = sandbox.cybersource.current().enrollment(reference);
    let cavv = match sandbox
        .issuer
        .session(CONNECTOR, reference)
        .map(|s| s.outcome)
    {
        Some(Outcome::Authenticated { cavv })
            if answer["status"] == "AUTHENTICATION_SUCCESSFUL" =>
        {
            Some(cavv)
        }
        _ => None,
    };
    super::enrollment::record(
        sandbox,
        PayerAuthService::Validate,
        &answer,
        enrollment.as_ref().map_or("", |e| e.card_number.as_str()),
        cavv,
        enrollment.as_ref().and_then(|e| e.amount.clone()),
    );
    created(answer)
}

/// Applies a successful authentication to the billing agreement it was for.
fn apply_purpose(sandbox: &Sandbox, purpose: &Purpose) -> Option<String> {
    match purpose {
        Purpose::Payment => None,
        Purpose::Register(id) | Purpose::Modify(id, _) | Purpose::Cancel(id) => {
            agreements::on_authenticated(sandbox, id, purpose)
        }
    }
}

fn redirect_result(sandbox: &Sandbox, client_ref: &Value, xid: &str) -> Response {
    let response_id = new_id();
    let Some(session) = sandbox.issuer.session(CONNECTOR, xid) else {
        return answered(
            sandbox,
            failed(
                client_ref,
                &response_id,
                xid,
                AccuCode::SessionExpired.as_str(),
                "Session expired",
            ),
            xid,
        );
    };
    match session.outcome {
        Outcome::Authenticated { cavv } => {
            let purpose = lock(&sandbox.cybersource.current().enrollments)
                .get(&xid.to_owned())
                .map(|r| r.purpose.clone());
            let mut answer = json!({
                "clientReferenceInformation": client_ref,
                "consumerAuthenticationInformation": {
                    "indicator": "rpy",
                    "eciRaw": "05",
                    "cavv": cavv,
                    "paresStatus": "Y",
                    "authenticationResult": "0",
                    "xid": xid,
                    "authenticationTransactionId": xid,
                    "authenticationStatusMsg": "Success",
                    "eci": "05",
                    "specificationVersion": "rupay",
                    "token": new_token(),
                },
                "id": response_id,
                "status": "AUTHENTICATION_SUCCESSFUL",
                "submitTimeUtc": utc_now_iso(),
            });
            if let Some(identifier) = purpose.and_then(|p| apply_purpose(sandbox, &p)) {
                answer["installmentInformation"] = json!({"identifier": identifier});
            }
            answered(sandbox, answer, xid)
        }
        Outcome::Failed(code) => answered(
            sandbox,
            failed(
                client_ref,
                &response_id,
                xid,
                code.as_str(),
                code.description(),
            ),
            xid,
        ),
        Outcome::Cancelled => answered(
            sandbox,
            failed(
                client_ref,
                &response_id,
                xid,
                AccuCode::Cancelled.as_str(),
                "Transaction cancelled by the cardholder",
            ),
            xid,
        ),
        Outcome::Pending => answered(
            sandbox,
            failed(
                client_ref,
                &response_id,
                xid,
                AccuCode::InvalidData.as_str(),
                "Authentication not completed at the ACS",
            ),
            xid,
        ),
    }
}

/// An `AUTHENTICATION_FAILED` answer carrying the NPCI or ACCU code.
pub fn failed(client_ref: &Value, response_id: &str, id: &str, code: &str, message: &str) -> Value {
    json!({
        "clientReferenceInformation": client_ref,
        "consumerAuthenticationInformation": {
            "authenticationTransactionId": id,
            "paresStatus": "N",
            "authenticationResult": code,
            "authenticationStatusMsg": message,
            "eci": "07",
            "specificationVersion": "rupay",
            "token": new_token(),
        },
        "errorInformation": {
            "reason": "CONSUMER_AUTHENTICATION_FAILED",
            "message": "Encountered a Payer Authentication problem. Payer could not be authenticated.",
        },
        "id": response_id,
        "status": "AUTHENTICATION_FAILED",
        "submitTimeUtc": utc_now_iso(),
    })
}

fn transaction_token() -> String {
    random_b64(66)
}
