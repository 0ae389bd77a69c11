//! MPGS: the HTML the gateway and the ACS answer (`authentication.redirect.html`, the OTP
//! page, the callback page) through `payorch_mpgs::html`: the OTP form and its submission
//! and resend requests, the challenge, the auto-submitting form, input values, and the
//! redirect page payorch builds from a parsed form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payorch_mpgs::html;

fuzz_target!(|data: &[u8]| {
    let Ok(page) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(form) = html::otp_form(page) {
        let _ = form.submission("123456");
        let _ = form.submission("");
        let _ = form.resend_request();
        // The form travels in the session's connector state.
        if let Ok(json) = serde_json::to_string(&form) {
            let back: Result<html::OtpForm, _> = serde_json::from_str(&json);
            assert_eq!(back.ok().as_ref(), Some(&form));
        }
    }
    let _ = html::challenge(page);
    let _ = html::input_value(page, "authentication.status.code");
    let _ = html::input_value(page, "PaReq");
    if let Some(form) = html::form(page) {
        let _ = html::redirect_page(&form.action, &form.method, &form.fields);
    }
    let _ = html::escape(page);
});
