#!/usr/bin/env python3
"""The payer's browser in payorch's redirect flow: headless Debian Chromium driven by Playwright.

Reads one JSON object on stdin:

    {"url": ACS url, "fields": [[name, value], ...], "method": "POST" (optional; "GET" too),
     "otp": "123456", "return_url_prefix": "https://merchant.example/return",
     "chromium": "/usr/bin/chromium" (optional),
     "html": payorch's next_action.redirect.html (optional: rendered as the checkout page
             instead of a form built from url, method and fields)}

and does what a payer's browser does: the merchant's checkout page auto-posts the fields to the
ACS url; on the issuer's page the payer types the OTP and presses Submit; the browser follows
the auto-posting pages (ACS, and a gateway hop for some providers) to payorch's
`POST .../v1/callbacks/<id>`, which answers 303 to the merchant's return URL (fulfilled here:
the merchant's site does not exist). Then it replays the recorded callback post from the same
browser, as a payer pressing back and submitting again would, and records where that lands.

Prints one JSON object on stdout and exits 0:

    {"acs_url", "acs_title", "acs_text" (the issuer page's visible text), "landed" (the final
     url, with its query), "replay_landed", "callback_url", "callback_fields" ([[name, value]]
     as posted), "callback_status" and "replay_status" (payorch's answers, 303),
     "merchant_pages" (merchant urls the browser loaded), "hops" and "replay_hops" (every
     top-level navigation request, redirects included)}

On any failure (each step waits at most 15 s) prints `payer.py: ...` to stderr and exits 1.
"""

import base64
import html
import json
import os
import shutil
import sys
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

STEP_MS = 15_000
CALLBACK_PATH = "/v1/callbacks/"
MERCHANT_PAGE_ID = "merchant-return"
MERCHANT_PAGE = (
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Merchant</title></head>"
    f"<body id=\"{MERCHANT_PAGE_ID}\"><h1>Thank you</h1><p>The merchant's return page.</p>"
    "</body></html>"
)


class Failure(Exception):
    pass


def brief(error):
    """A Playwright error's first line, without its call log."""
    return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)


def auto_post_page(title, action, method, fields):
    """A page whose form carries `fields` as hidden inputs and submits itself on load."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields
    )
    return (
        f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
        f"</head><body onload=\"document.forms[0].submit()\">"
        f"<form method=\"{html.escape(method.lower())}\" action=\"{html.escape(action)}\">{inputs}"
        f"<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>"
    )


def read_spec():
    try:
        spec = json.load(sys.stdin)
    except ValueError as e:
        raise Failure(f"stdin is not one JSON object: {e}")
    if not isinstance(spec, dict):
        raise Failure("stdin is not one JSON object")
    if spec.get("html") is not None and not isinstance(spec["html"], str):
        raise Failure("input field 'html' must be a string")
    for key in ("url", "otp", "return_url_prefix"):
        if not isinstance(spec.get(key), str) or not spec[key]:
            raise Failure(f"input field {key!r} (a non-empty string) is missing")
    fields = spec.get("fields", [])
    if isinstance(fields, dict):
        fields = list(fields.items())
    if not all(isinstance(f, (list, tuple)) and len(f) == 2 for f in fields):
        raise Failure("input field 'fields' must be a list of [name, value] pairs")
    spec["fields"] = [(str(k), str(v)) for k, v in fields]
    method = str(spec.get("method") or "POST").upper()
    if method not in ("POST", "GET"):
        raise Failure(f"input field 'method' must be POST or GET, not {method!r}")
    spec["method"] = method
    return spec


def chromium_path(spec):
    path = spec.get("chromium") or os.environ.get("PAYORCH_CHROMIUM") or shutil.which("chromium")
    path = path or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        raise Failure(f"no chromium at {path} (scripts/lib/deps.sh ensure_browser installs it)")
    return path


def checkout_form(spec):
    """The merchant's form for the ACS: a GET form carries the url's own query as fields."""
    url, fields = spec["url"], spec["fields"]
    if spec["method"] == "GET":
        parts = urlsplit(url)
        fields = parse_qsl(parts.query, keep_blank_values=True) + fields
        url = urlunsplit(parts._replace(query=""))
    return url, fields


def run(spec):
    return_prefix = spec["return_url_prefix"]
    merchant = urlsplit(return_prefix)
    if not merchant.scheme or not merchant.netloc:
        raise Failure(f"return_url_prefix {return_prefix!r} is not an absolute URL")
    merchant_origin = f"{merchant.scheme}://{merchant.netloc}"

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(spec),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            timeout=STEP_MS,
        )
        try:
            context = browser.new_context()
            context.set_default_timeout(STEP_MS)
            context.set_default_navigation_timeout(STEP_MS)

            page = context.new_page()

            # The merchant's site does not exist here: its pages are answered in the browser.
            # Not with page.route(): Playwright never routes the legs of a redirect (payorch's
            # 303 to the return URL is one), so DevTools' Fetch domain, which does, answers them.
            devtools = context.new_cdp_session(page)
            merchant_pages = []

            def merchant_site(event):
                url = event["request"]["url"]
                found = urlsplit(url).path != "/favicon.ico"
                if found:
                    merchant_pages.append(url)
                body = MERCHANT_PAGE if found else "not found"
                devtools.send(
                    "Fetch.fulfillRequest",
                    {
                        "requestId": event["requestId"],
                        "responseCode": 200 if found else 404,
                        "responseHeaders": [
                            {"name": "content-type", "value": "text/html; charset=utf-8"}
                        ],
                        "body": base64.b64encode(body.encode()).decode(),
                    },
                )

            devtools.on("Fetch.requestPaused", merchant_site)
            devtools.send("Fetch.enable", {"patterns": [{"urlPattern": f"{merchant_origin}/*"}]})

            hops = []  # every top-level navigation request, in order (redirects included)
            callbacks = []  # (url, post body) of each callback request
            callback_statuses = []

            def on_request(request):
                if request.frame == page.main_frame and request.is_navigation_request():
                    hops.append(request.url)
                if CALLBACK_PATH in request.url:
                    callbacks.append((request.url, request.post_data or ""))

            def on_response(response):
                if CALLBACK_PATH in response.url:
                    callback_statuses.append(response.status)

            page.on("request", on_request)
            page.on("response", on_response)

            # a. The merchant's checkout page posts the fields to the ACS url.
            if spec.get("html"):
                checkout = spec["html"]
            else:
                action, fields = checkout_form(spec)
                checkout = auto_post_page("Checkout", action, spec["method"], fields)
            try:
                with page.expect_navigation(
                    url=lambda u: u != "about:blank", wait_until="load"
                ) as opened:
                    page.set_content(checkout, wait_until="commit")
            except PlaywrightError as e:
                raise Failure(
                    f"the checkout page did not reach the ACS url {spec['url']}: {brief(e)}"
                )
            acs = opened.value
            if acs is None or not acs.ok:
                status = acs.status if acs else "no response"
                text = page.inner_text("body") if acs else ""
                raise Failure(f"the ACS page answered {status} at {page.url}: {text.strip()!r}")

            # b. The issuer's page: an OTP input and buttons.
            try:
                page.wait_for_selector('input[name="otp"]', state="visible")
            except PlaywrightError:
                raise Failure(
                    f"no OTP input on the ACS page {page.url}: {page.inner_text('body').strip()!r}"
                )
            acs_url = page.url
            acs_title = page.title()
            acs_text = page.inner_text("body")

            # c. The payer types the OTP and presses Submit (not Resend, not Cancel).
            page.fill('input[name="otp"]', spec["otp"])
            page.click('form button[type="submit"][value="submit"]')

            # d. Auto-posting pages to payorch's callback, its 303 to the merchant's return page;
            # or the ACS page again with its message (a refused OTP).
            try:
                page.wait_for_selector(f"#{MERCHANT_PAGE_ID}, p.message", state="attached")
            except PlaywrightError:
                raise Failure(
                    f"the browser did not come back to {return_prefix} after the OTP: at "
                    f"{page.url}: {page.inner_text('body').strip()[:500]!r}"
                )
            if not page.url.startswith(return_prefix):
                raise Failure(
                    f"the ACS did not accept the OTP: at {page.url}: "
                    f"{page.inner_text('body').strip()!r}"
                )
            landed = page.url
            if not callbacks:
                raise Failure(f"the browser reached {landed} without passing {CALLBACK_PATH}")
            callback_url, callback_body = callbacks[0]
            callback_fields = parse_qsl(callback_body, keep_blank_values=True)
            forward_hops = list(hops)
            forward_statuses = list(callback_statuses)

            # e. Replay: the same callback post again from the same browser.
            hops.clear()
            callbacks.clear()
            callback_statuses.clear()
            page.goto("about:blank")
            try:
                with page.expect_navigation(
                    url=lambda u: u.startswith(return_prefix), wait_until="load"
                ):
                    page.set_content(
                        auto_post_page("Back and resubmit", callback_url, "POST", callback_fields),
                        wait_until="commit",
                    )
            except PlaywrightError as e:
                raise Failure(
                    f"the replayed callback post did not land on {return_prefix}: at {page.url}: "
                    f"{brief(e)}"
                )
            replay_landed = page.url

            return {
                "acs_url": acs_url,
                "acs_title": acs_title,
                "acs_text": acs_text,
                "landed": landed,
                "replay_landed": replay_landed,
                "callback_url": callback_url,
                "callback_fields": callback_fields,
                "callback_status": forward_statuses[0] if forward_statuses else None,
                "replay_status": callback_statuses[0] if callback_statuses else None,
                "merchant_pages": merchant_pages,
                "hops": forward_hops,
                "replay_hops": list(hops),
            }
        finally:
            browser.close()


def main():
    try:
        result = run(read_spec())
    except Failure as e:
        print(f"payer.py: {e}", file=sys.stderr)
        return 1
    except PlaywrightError as e:
        print(f"payer.py: browser error: {brief(e)}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
