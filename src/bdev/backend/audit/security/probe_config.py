"""Configuration probes: security headers (CWE-693), CORS (CWE-942), debug mode
(CWE-489/CWE-215) and stack traces in error responses (CWE-209).

Stack traces and debug pages are watched for in *every* response the probes get (the
`observer`), since an injection payload is often what makes them appear.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from bdev.backend.audit.results import Severity
from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import Exchange, ProbeClient, build_path
from bdev.backend.audit.security.targets import WRITE_METHODS, Target

EVIL_ORIGIN = "https://evil.example"

STACK_TRACE = re.compile(
    "|".join(
        [
            r"Traceback \(most recent call last\)",  # Python
            r'File "[^"\n]+", line \d+',  # Python frame
            r"\bat [\w$.]+\([\w$]+\.java:\d+\)",  # Java frame
            r"\n\s+at .+\(.+:\d+:\d+\)",  # Node.js frame
            r"\b(?:[a-z_]\w*\.)+[A-Z]\w*(?:Error|Exception)\b",  # module.qualified.ClassError
        ]
    )
)
WERKZEUG_DEBUGGER = re.compile(r"Werkzeug Debugger|__debugger__=yes")
DJANGO_DEBUG = re.compile(r"you have <code>DEBUG = True</code>")


def observer(found: FindingSet) -> Callable[[Exchange], None]:
    """Look at each exchange for leaked stack traces and debug error pages."""

    def observe(ex: Exchange) -> None:
        if ex.status < 400:
            return
        where = ex.endpoint
        if WERKZEUG_DEBUGGER.search(ex.text) or DJANGO_DEBUG.search(ex.text):
            title = "Debug mode: the framework's debug error page is served"
            # A service-wide setting: one finding, wherever it first showed.
            found.add(probe_finding("CWE-489", "high", title, where, ex), "service")
        match = STACK_TRACE.search(ex.text)
        if match:
            title = f"Stack trace in a {ex.status} response"
            found.add(
                probe_finding("CWE-209", "medium", title, where, ex, focus=match.group(0)),
                ex.endpoint,
            )

    return observe


def sample_get(client: ProbeClient, targets: list[Target]) -> Exchange:
    """A successful GET to judge headers by: a parameterless endpoint if one answers 2xx."""
    first = None
    for t in [t for t in targets if t.method == "GET" and not t.path_params][:5]:
        ex = client.send("GET", t.path, endpoint=t.endpoint)
        first = first or ex
        if 200 <= ex.status < 300:
            return ex
    return first or client.send("GET", "/", endpoint="GET /")


def check_headers(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    ex = sample_get(client, targets)
    if ex.response is None:
        return
    h = ex.response.headers
    csp = h.get("content-security-policy", "")
    missing = []
    if h.get("x-content-type-options", "").lower() != "nosniff":
        missing.append("X-Content-Type-Options: nosniff")
    if "x-frame-options" not in h and "frame-ancestors" not in csp:
        missing.append("X-Frame-Options (or CSP frame-ancestors)")
    if not csp:
        missing.append("Content-Security-Policy")
    if "strict-transport-security" not in h:
        missing.append("Strict-Transport-Security")
    if not missing:
        return
    # HSTS only matters behind TLS, which a loopback audit never sees: info on its own.
    severity: Severity = "info" if missing == ["Strict-Transport-Security"] else "low"
    title = "Missing security headers: " + ", ".join(missing)
    found.add(
        probe_finding("CWE-693", severity, title, ex.endpoint, ex, missing=missing), "service"
    )


def check_cors(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    candidates = [t for t in targets if t.method == "GET" and not t.path_params][:1]
    path = candidates[0].path if candidates else "/"
    # With a cookie, as a browser would send: some CORS layers only reflect the Origin then.
    headers = {"Origin": EVIL_ORIGIN, "Cookie": "session=bdevprobe"}
    ex = client.send("GET", path, headers=headers, endpoint=f"GET {path}")
    if ex.response is None:
        return
    allow_origin = ex.response.headers.get("access-control-allow-origin", "")
    credentials = ex.response.headers.get("access-control-allow-credentials", "").lower() == "true"
    if allow_origin == EVIL_ORIGIN and credentials:
        title = "CORS: any Origin is reflected and credentials are allowed"
        found.add(probe_finding("CWE-942", "high", title, ex.endpoint, ex), "service")
    elif allow_origin == "*" and credentials:
        title = "CORS: wildcard origin together with Allow-Credentials: true"
        found.add(probe_finding("CWE-942", "medium", title, ex.endpoint, ex), "service")


def check_debug(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    """Ask for the debuggers' own pages; harmless when they are off (a plain 404)."""
    console = client.send("GET", "/console", endpoint="GET /console")
    if (
        console.status == 200
        and "Werkzeug" in console.text
        and "CONSOLE_MODE = true" in (console.text)
    ):
        # Its PIN is derivable by anyone who can read a few files (see CWE-22): critical.
        title = "Debug mode: the Werkzeug interactive console (code execution) is reachable"
        found.add(probe_finding("CWE-489", "critical", title, "GET /console", console), "service")
        return
    asset = client.send("GET", "/?__debugger__=yes&cmd=resource&f=debugger.js", endpoint="GET /")
    if (
        asset.response is not None
        and asset.status == 200
        and "javascript" in asset.response.headers.get("content-type", "")
    ):
        title = "Debug mode: the Werkzeug debugger is active"
        found.add(
            probe_finding("CWE-215", "high", title, "GET /?__debugger__=yes", asset), "service"
        )
    # Django's technical 404 page (and the observer, for Werkzeug's) shows DEBUG = True.
    missing = f"/bdev-probe-{secrets.token_hex(4)}"
    client.send("GET", missing, endpoint="GET /{not-found}")


def check_error_pages(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    """Malformed input to each operation; the observer judges the answers."""
    for t in targets:
        if t.method in WRITE_METHODS:
            path = build_path(t.path, t.path_values())
            client.send(
                t.method,
                path,
                content=b'{"bdev": ',
                endpoint=t.endpoint,
                headers={"Content-Type": "application/json"},
            )
        elif t.method == "GET" and "integer" in t.path_params.values():
            bad = {n: "not-a-number" for n, k in t.path_params.items() if k == "integer"}
            client.send("GET", build_path(t.path, t.path_values(**bad)), endpoint=t.endpoint)
