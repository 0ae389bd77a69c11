//! The `authentication.redirect.html` snippets of seed 001 and the pages the gateway
//! callback shows the payer.
//!
//! Redirect: a form auto-posting `AccuCardholderId`, `AccuGuid`, `AccuReturnURL`, `session`
//! and `AccuRequestId` to the issuer's ACS. Seamless: an OTP form whose `action` is the
//! gateway callback URL, with the fields [`OTP_FIELD`] and [`ACTION_FIELD`] ([`SUBMIT`] or
//! [`RESEND`]). Seed 001 shows that form only up to its logo: the field names are this
//! simulator's own (deliberately unlike any an adapter might guess), so an adapter must read
//! them from the form it is sent.

use crate::acs::escape;

/// The form field carrying the OTP in a seamless callback (a password input).
pub const OTP_FIELD: &str = "npciOtpValue";
/// The form field naming the payer's action ([`SUBMIT`], [`RESEND`]).
pub const ACTION_FIELD: &str = "otpAction";
/// The value of [`ACTION_FIELD`] that submits the OTP.
pub const SUBMIT: &str = "VERIFY";
/// The value of [`ACTION_FIELD`] that asks for a new OTP.
pub const RESEND: &str = "REGENERATE";

/// INITIATE_AUTHENTICATION's (empty) script.
pub const INITIATE_SCRIPT: &str = "<script id=\"initiate-authentication-script\"></script>";

/// The hidden fields of the redirect form, in the seed's order.
#[derive(Debug, Clone)]
pub struct RedirectFields {
    pub cardholder_id: String,
    pub guid: String,
    pub return_url: String,
    pub session: String,
    pub request_id: String,
}

pub fn redirect(acs_url: &str, f: &RedirectFields) -> String {
    let input = |name: &str, value: &str| {
        format!(
            "<input type='hidden' name='{name}' value='{}'/>",
            escape(value)
        )
    };
    format!(
        "<div id='redirectToNpciAcsSimple' xmlns='http://www.w3.org/1999/html'> \
         <form id='redirectToNpciForm' method='POST' action='{}' > {} {} {} {} {} </form> \
         <script id=\"authenticate-payer-script\"> var e=document.getElementById(\"redirectToNpciForm\"); if (e) {{ e.submit(); e.remove(); }} </script> </div>",
        escape(acs_url),
        input("AccuCardholderId", &f.cardholder_id),
        input("AccuGuid", &f.guid),
        input("AccuReturnURL", &f.return_url),
        input("session", &f.session),
        input("AccuRequestId", &f.request_id),
    )
}

/// The seamless OTP form; `message` shows the last answer (invalid OTP, new OTP sent...).
pub fn seamless(callback_url: &str, message: Option<&str>) -> String {
    let note = message
        .map(|m| format!("<p class='message'>{}</p> ", escape(m)))
        .unwrap_or_default();
    format!(
        "<div id='redirectToNpciAcsSimple' xmlns='http://www.w3.org/1999/html'> \
         <form id='redirectToNpciForm' onsubmit='clickedSubmit(event)' name='redirectToNpciForm' method='POST' target='my_iframe' action='{}'> \
         <fieldset id='rupayOTP'> <div align ='left'> <img class='RupayLogo' alt='RuPay'/> </div> {note}\
         <label for='npciOtp'>Enter the OTP sent to your mobile number</label> \
         <input type='password' id='npciOtp' name='{OTP_FIELD}' inputmode='numeric' maxlength='6' autocomplete='one-time-code'/> \
         <button type='submit' name='{ACTION_FIELD}' value='{SUBMIT}'>Submit</button> \
         <button type='submit' name='{ACTION_FIELD}' value='{RESEND}'>Resend OTP</button> \
         </fieldset> </form> <iframe name='my_iframe' style='display:none'></iframe> \
         <script>function clickedSubmit(e) {{ return true; }}</script> </div>",
        escape(callback_url),
    )
}

/// A whole page around a snippet, with the last answer's fields as data for scripts.
pub fn page(snippet: &str, data: &[(String, String)]) -> String {
    let hidden: String = data
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" class=\"gateway-result\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>RuPay PaySecure</title></head><body>{snippet}{hidden}</body></html>"
    )
}

/// The page that returns the payer to the merchant's `redirectResponseUrl`.
pub fn return_to_merchant(action: &str, fields: &[(String, String)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Returning to merchant</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        escape(action)
    )
}
