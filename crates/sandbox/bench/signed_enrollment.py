#!/usr/bin/env python3
"""Writes a wrk Lua script that replays one validly signed Cybersource enrollment.

The signature covers Host, Date, request-target, Digest and v-c-merchant-id, none of which
change between identical requests, so one signed request stays valid for the sandbox's
clock-skew window (15 minutes) and every replay creates a new enrollment and OTP.
Usage: signed_enrollment.py HOST:PORT > enroll.lua; wrk -s enroll.lua http://HOST:PORT
"""
import base64, email.utils, hashlib, hmac, json, sys

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8090"
secret = "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE="
key_id = "08c94330-f618-42a3-b09d-e1e43be5efda"
path = "/risk/v1/authentications"
body = json.dumps({
    "clientReferenceInformation": {"code": "load"},
    "orderInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}},
    "paymentInformation": {"card": {"type": "061", "number": "5085000000000015", "expirationMonth": "12",
                                    "expirationYear": "2031", "securityCode": "123"}},
    "deviceInformation": {"httpAcceptBrowserValue": "text/html", "userAgentBrowserValue": "wrk", "ipAddress": "10.0.0.1"},
}, separators=(",", ":"))
date = email.utils.formatdate(usegmt=True)
digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
signing = "\n".join([f"host: {host}", f"date: {date}", f"request-target: post {path}", f"digest: {digest}",
                     "v-c-merchant-id: testrest"])
sig = base64.b64encode(hmac.new(base64.b64decode(secret), signing.encode(), hashlib.sha256).digest()).decode()
print(f"""wrk.method = "POST"
wrk.path = "/cybersource{path}"
wrk.body = {json.dumps(body)}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["v-c-merchant-id"] = "testrest"
wrk.headers["Date"] = "{date}"
wrk.headers["Digest"] = "{digest}"
wrk.headers["Signature"] = 'keyid="{key_id}", algorithm="HmacSHA256", headers="host date request-target digest v-c-merchant-id", signature="{sig}"'
""")
