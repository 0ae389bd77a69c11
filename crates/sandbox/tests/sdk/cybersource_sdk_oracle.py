#!/usr/bin/env python3
"""An independent client for the Cybersource simulator: the official Python SDK
(PyPI cybersource-rest-client-python) signs with HTTP Signature for run_environment
apitest.cybersource.com and sends to IntermediateHost = the sandbox's /cybersource mount.

Runs seamless enrollment, reads the OTP from the sandbox hook, validates it, then checks
that a wrong shared secret is refused with 401. Prints one JSON line and exits 0 on success.
Usage: cybersource_sdk_oracle.py http://127.0.0.1:PORT
"""
import json
import sys
import tempfile
import urllib.request

from CyberSource import PayerAuthenticationApi
from CyberSource.logging.log_configuration import LogConfiguration
from CyberSource.rest import ApiException

SEAMLESS_CARD = "5085000000000015"


def config(base, secret="yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE="):
    return {
        "authentication_type": "http_signature",
        "merchantid": "testrest",
        "run_environment": "apitest.cybersource.com",
        "merchant_keyid": "08c94330-f618-42a3-b09d-e1e43be5efda",
        "merchant_secretkey": secret,
        "IntermediateHost": base + "/cybersource",
        # The SDK only copes with its own configuration dump when logging is enabled.
        "log_config": log_config(),
    }


def log_config():
    lc = LogConfiguration()
    lc.set_enable_log(True)
    lc.set_log_directory(tempfile.mkdtemp())
    lc.set_log_file_name("cybs")
    lc.set_log_maximum_size(1048576)
    lc.set_log_level("ERROR")
    lc.set_enable_masking(True)
    return lc


def enroll(base):
    # Field names as in the seed; the SDK's generated models would produce the same JSON.
    body = {
        "clientReferenceInformation": {"code": "sdk_oracle"},
        "orderInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}},
        "paymentInformation": {"card": {"type": "061", "expirationMonth": "12", "expirationYear": "2031",
                                        "number": SEAMLESS_CARD, "securityCode": "123"}},
        "deviceInformation": {"ipAddress": "10.0.0.1", "httpAcceptBrowserValue": "text/html",
                              "userAgentBrowserValue": "sdk"},
        "consumerAuthenticationInformation": {"transactionFlowIndicator": 1},
    }
    api = PayerAuthenticationApi(config(base))
    _, status, raw = api.check_payer_auth_enrollment(json.dumps(body))
    return status, json.loads(raw)


def validate(base, txn_id, context, otp, secret=None):
    body = {
        "clientReferenceInformation": {"code": "sdk_oracle"},
        "consumerAuthenticationInformation": {"authenticationTransactionId": txn_id,
                                              "authenticationTransactionContext": context, "otpToken": otp},
        "deviceInformation": {"ipAddress": "10.0.0.1"},
    }
    api = PayerAuthenticationApi(config(base, secret) if secret else config(base))
    _, status, raw = api.validate_authentication_results(json.dumps(body))
    return status, json.loads(raw)


def main():
    base = sys.argv[1].rstrip("/")
    status, e = enroll(base)
    cai = e["consumerAuthenticationInformation"]
    assert status == 201 and e["status"] == "PENDING_AUTHENTICATION", e
    assert cai["authenticationType"] == "20", e
    txn_id = cai["authenticationTransactionId"]
    context = cai["authenticationTransactionContext"]
    with urllib.request.urlopen(f"{base}/_sandbox/otp/cybersource/{txn_id}") as r:
        otp = json.load(r)["otp"]
    status, v = validate(base, txn_id, context, otp)
    assert status == 201 and v["status"] == "AUTHENTICATION_SUCCESSFUL", v
    refused = None
    try:
        validate(base, txn_id, context, otp, secret="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    except ApiException as exc:
        refused = exc.status
    assert refused == 401, refused
    print(json.dumps({"enrollment": e["status"], "validation": v["status"], "wrong_secret": refused}))


if __name__ == "__main__":
    main()
