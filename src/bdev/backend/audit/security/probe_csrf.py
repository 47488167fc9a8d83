"""Missing CSRF protection on cookie-authenticated state changes (CWE-352).

Only meaningful when the credential is a cookie (a browser sends it by itself). For each
state-changing POST the probe sends what another site's page could make a browser
send: a "simple" request (form-encoded, or JSON as text/plain) with a foreign Origin
and Referer and no CSRF token or header. The finding needs both halves: the same request
without the cookie is refused (401/403, or a redirect to a login page) and with the
cookie it succeeds (2xx, or a redirect elsewhere than a login page: a form's
post-redirect-get). A session cookie with SameSite=Lax/Strict is not sent on such
cross-site POSTs by browsers, so the finding is then low rather than high.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from bdev.backend.audit.results import Severity
from bdev.backend.audit.security.auth import Credential
from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import Exchange, ProbeClient, build_path
from bdev.backend.audit.security.probe_config import EVIL_ORIGIN
from bdev.backend.audit.security.probe_cookies import SetCookie
from bdev.backend.audit.security.targets import Target

CWE = "CWE-352"
MAX_OPERATIONS = 6
# Logging in or out is not the state change an attacker is after (and would end the session).
SESSION_ROUTES = re.compile(r"log_?in|log_?out|sign_?in|sign_?out|register|sign_?up|token|session")
# Fields that carry an anti-CSRF token: left out, since a forged request has none.
TOKEN_FIELD = re.compile(r"csrf|xsrf|authenticity_token|^_token$", re.I)
LOGIN_PAGE = re.compile(r"log_?in|sign_?in|auth", re.I)


def _refused(ex: Exchange) -> bool:
    """Turned away for want of a session: 401/403, or sent to a login page."""
    return ex.status in (401, 403) or (
        300 <= ex.status < 400 and bool(LOGIN_PAGE.search(_location(ex)))
    )


def _succeeded(ex: Exchange) -> bool:
    """Done: 2xx, or the usual redirect after a form post (anywhere but a login page)."""
    return 200 <= ex.status < 300 or (
        300 <= ex.status < 400 and bool(_location(ex)) and not LOGIN_PAGE.search(_location(ex))
    )


def _location(ex: Exchange) -> str:
    return ex.response.headers.get("location", "") if ex.response is not None else ""


def check_csrf(
    client: ProbeClient, targets: list[Target], found: FindingSet, credential: Credential | None
) -> str:
    if credential is None or not credential.uses_cookies:
        return "not checked: needs a cookie credential (--auth with a login that sets a cookie)"
    # Only POST: another site's page cannot send PUT, PATCH or DELETE without a CORS
    # preflight (a permissive CORS policy is the CORS probe's finding).
    writes = [
        t for t in targets if t.method == "POST" and not SESSION_ROUTES.search(t.path.lower())
    ]
    writes.sort(key=lambda t: (t.auth_required is not True, bool(t.path_params)))
    cookie_headers = credential.as_headers()
    checked = 0
    for t in writes[:MAX_OPERATIONS]:
        path = build_path(t.path, t.path_values())
        body, content_type = _simple_body(t)
        cross_site = {
            "Origin": EVIL_ORIGIN,
            "Referer": EVIL_ORIGIN + "/",
            "Content-Type": content_type,
        }
        anonymous = client.send(
            t.method, path, endpoint=t.endpoint, content=body, headers=cross_site, anonymous=True
        )
        if not _refused(anonymous):
            continue  # open to everyone, or refused for another reason: nothing to forge
        checked += 1
        ex = client.send(
            t.method,
            path,
            endpoint=t.endpoint,
            content=body,
            headers=cross_site,
            as_user=cookie_headers,
        )
        if _succeeded(ex):
            severity, note = _severity(credential)
            title = (
                f"No CSRF protection: a cross-site {t.method} {t.path} succeeds"
                " with the session cookie"
            )
            finding = probe_finding(
                CWE, severity, title, t.endpoint, ex, anonymous_status=anonymous.status, note=note
            )
            found.add(finding, t.endpoint)
    return (
        f"checked {checked} operation(s)"
        if checked
        else "not checked: no write operation needs the cookie"
    )


def _simple_body(t: Target) -> tuple[bytes, str]:
    """The sample body as a cross-site page could send it without a CORS preflight."""
    body = {k: v for k, v in (t.body or {}).items() if not TOKEN_FIELD.search(k)}
    if t.body_kind == "form" or not body:
        return urlencode({k: str(v) for k, v in body.items()}).encode(), (
            "application/x-www-form-urlencoded"
        )
    return json.dumps(body).encode(), "text/plain"


def _severity(credential: Credential) -> tuple[Severity, str]:
    cookies = [c for line in credential.cookie_lines if (c := SetCookie.parse(line))]
    if cookies and all(c.same_site in {"lax", "strict"} for c in cookies):
        return (
            "low",
            "the session cookie's SameSite attribute keeps browsers from sending it cross-site",
        )
    return "high", "the session cookie has no SameSite=Lax/Strict, so browsers send it cross-site"
