#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/) from realistic answers:
the JSON examples and HTML snippets of the provider documents (/work/shared/seeds, or
$PAYORCH_PROVIDER_DOCS), the answers the adapters' own unit tests read
(crates/connectors/*/src raw-string literals), the pages the sandbox's MPGS simulator
renders (crates/sandbox/src/providers/mpgs/html.rs, rendered here with sample values), and
hand-written browser returns. Response seeds are prefixed with one selector byte (see each
target: low bits pick the HTTP status, 0x80/0x40 the answer's type and flags).
Run from the repository root: python3 fuzz/seeds/generate.py; then `cargo fuzz cmin`.
"""
import hashlib, json, os, re, sys, urllib.parse, pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = pathlib.Path(os.environ.get("PAYORCH_PROVIDER_DOCS", "/work/shared/seeds"))
OUT = ROOT / "fuzz" / "corpus"
DOC = {  # provider document by adapter
    "mpgs": ["000_a104fdfab0bd75cc.txt", "001_5f55ecd6a06e2fd8.txt"],
    "fiserv_ipg": ["002_504e6c216777eb16.txt"],
    "juspay": ["003_f7335c75e25e2e8a.txt"],
    "cybersource": ["004_91036546c79037a3.txt"],
}
CRATE = {"mpgs": "mpgs", "fiserv_ipg": "fiserv-ipg", "juspay": "juspay", "cybersource": "cybersource"}


def objects(text):
    """Every balanced top-level {...} in text that parses as JSON."""
    found, depth, start, in_str, esc = [], 0, None, False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                chunk = text[start : i + 1]
                try:
                    found.append(json.loads(chunk))
                except ValueError:
                    pass
    return found


def raw_literals(path):
    text = path.read_text(errors="replace")
    return re.findall(r'r#"(.*?)"#', text, flags=re.S)


def write(target, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def html_strings(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "html" and isinstance(v, str):
                out.append(v)
            else:
                html_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            html_strings(v, out)


pages = []
for adapter, docs in DOC.items():
    bodies = []
    for doc in docs:
        p = DOCS / doc
        if p.exists():
            bodies += objects(p.read_text(errors="replace"))
    for src in (ROOT / "crates" / "connectors" / CRATE[adapter] / "src").rglob("*.rs"):
        for lit in raw_literals(src):
            if lit.lstrip().startswith("{"):
                try:
                    bodies.append(json.loads(lit))
                except ValueError:
                    pass
            elif lit.lstrip().startswith("<") and adapter == "mpgs":
                pages.append(lit)
    for body in bodies:
        if adapter == "mpgs":
            html_strings(body, pages)
        raw = json.dumps(body, separators=(",", ":")).encode()
        looks_error = any(k in body for k in ("error", "errorInformation", "error_code", "error_message", "details", "reason"))
        listed = any(k in body for k in ("transactions", "transaction", "txn_detail", "amount_refunded", "_embedded"))
        write(f"{adapter}_response", bytes([0x03 if looks_error else 0x00]) + raw)
        if listed:
            write(f"{adapter}_response", bytes([0x80]) + raw)

# The sandbox's MPGS pages, rendered with sample values.
acs = "https://ap-gateway.mastercard.com/api/browserPaymentSimulator/npci"
cb = "https://ap-gateway.mastercard.com/api/callbackInterface/gateway/9993b78a0405ec04"
inputs = "".join(
    f"<input type='hidden' name='{n}' value='{v}'/> "
    for n, v in [("AccuCardholderId", "nDczPMjdAO5fA4qY"), ("AccuGuid", "H2IKBwrvm6zQgA25"),
                 ("AccuReturnURL", cb), ("session", "bee3603032bfb9bb"), ("AccuRequestId", "NzFhM2RhYzZl==")]
)
redirect = ("<div id='redirectToNpciAcsSimple' xmlns='http://www.w3.org/1999/html'> "
            f"<form id='redirectToNpciForm' method='POST' action='{acs}' > {inputs}</form> "
            "<script id=\"authenticate-payer-script\"> var e=document.getElementById(\"redirectToNpciForm\"); if (e) { e.submit(); e.remove(); } </script> </div>")
seamless = ("<div id='redirectToNpciAcsSimple' xmlns='http://www.w3.org/1999/html'> "
            f"<form id='redirectToNpciForm' onsubmit='clickedSubmit(event)' name='redirectToNpciForm' method='POST' target='my_iframe' action='{cb}'> "
            "<fieldset id='rupayOTP'> <div align ='left'> <img class='RupayLogo' alt='RuPay'/> </div> <p class='message'>Invalid OTP &amp; 2 attempts left</p> "
            "<label for='npciOtp'>Enter the OTP sent to your mobile number</label> "
            "<input type='password' id='npciOtp' name='npciOtpValue' inputmode='numeric' maxlength='6' autocomplete='one-time-code'/> "
            "<button type='submit' name='otpAction' value='VERIFY'>Submit</button> "
            "<button type='submit' name='otpAction' value='REGENERATE'>Resend OTP</button> "
            "</fieldset> </form> <iframe name='my_iframe' style='display:none'></iframe> "
            "<script>function clickedSubmit(e) { return true; }</script> </div>")
hidden = "".join(f"<input type=\"hidden\" class=\"gateway-result\" name=\"{k}\" value=\"{v}\">"
                 for k, v in [("authentication.status.code", "ACCU200"), ("result", "SUCCESS")])
page = f"<!doctype html><html><head><meta charset=\"utf-8\"><title>RuPay PaySecure</title></head><body>{seamless}{hidden}</body></html>"
back = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Returning to merchant</title></head>"
        "<body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"https://payorch.example/v1/callbacks/auth_1\">"
        "<input type=\"hidden\" name=\"order.id\" value=\"auth_1\"><input type=\"hidden\" name=\"transaction.id\" value=\"auth-1\">"
        "<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>")
for p in pages + [redirect, seamless, page, back]:
    write("mpgs_html", p.encode())

# What the payer's browser posts back to /v1/callbacks/{id}.
returns = [
    {"PaRes": "eNqdmFmTo0iSx9/5FGXZj1pt3EdbVZoFl6h7/F/ZmUIEMgMQGChQ2s2+d/zT\r\nmhMqwxv", "MD": "xid-1"},
    {"MD": "xid-1", "PaRes": ""},
    {"signedPares": "eNrtWVmT", "md": "other"},
    {"ipgTransactionId": "84538652787", "response_hash": "3Wm5ZmBmj5rOZtb2j9kq0ZcFh1o8dmOL9Y3N6dFwqW4=",
     "approval_code": "Y:123456:4512345678:PPXX:1234", "oid": "R-auth_fuzz1", "status": "APPROVED"},
    {"ipgTransactionId": "99999999999"},
    {"order_id": "auth_fuzz1", "status": "CHARGED", "status_id": "21",
     "signature": "K6YtNaNQv1H2rk2AhbI2E6VVG1uF8YJkGcSr9/ZtB5Q=", "signature_algorithm": "HMAC-SHA256"},
    {"order_id": "another", "status": "AUTHENTICATION_FAILED"},
    {"order.id": "auth_fuzz1", "transaction.id": "auth-1", "response.gatewayRecommendation": "PROCEED",
     "result": "SUCCESS", "encryptedData.ciphertext": "p1+ZmB==", "encryptedData.nonce": "AbCd"},
    {"order.id": "auth_fuzz1", "transaction.id": "wrong"},
]
for r in returns:
    write("redirect_params", urllib.parse.urlencode(r).encode())
write("redirect_params", b"")

for d in sorted(OUT.iterdir()):
    print(d.name, len(list(d.iterdir())))
