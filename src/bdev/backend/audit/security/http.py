"""The probes' HTTP side: loopback only, a fixed request budget, evidence for every finding."""

from __future__ import annotations

import ipaddress
import json as jsonlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from bdev.errors import BdevError

BODY_EXCERPT = 500
# Request bodies up to this size are kept whole (a finding's request must be resendable).
REQUEST_BODY_KEPT = 16 * 1024
# The response headers worth keeping as evidence (the rest is noise).
EVIDENCE_HEADERS = {
    "content-type",
    "server",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "x-content-type-options",
    "x-frame-options",
    "content-security-policy",
    "strict-transport-security",
    "www-authenticate",
    "location",
    "set-cookie",
}


class BudgetExhausted(Exception):
    """The probe run used all the requests it was allowed."""


def require_loopback(base_url: str) -> None:
    """Active probes attack what they hit, so they only ever hit this machine."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise BdevError(
        f"refusing to probe {base_url!r}: security probes only run against a loopback "
        "address (127.0.0.1, ::1 or localhost)"
    )


@dataclass
class Exchange:
    """One request and what came back (response None when the request failed)."""

    method: str
    url: str
    endpoint: str  # "GET /users": the operation, for de-duplication
    request_headers: dict[str, str]  # every header the probe set, credentials included
    request_body: str  # the body as sent; an excerpt beyond REQUEST_BODY_KEPT
    response: httpx.Response | None
    error: str = ""

    @property
    def status(self) -> int:
        return self.response.status_code if self.response is not None else 0

    @property
    def text(self) -> str:
        return self.response.text if self.response is not None else ""

    def evidence(self, focus: str = "") -> dict[str, Any]:
        """Request and response for a finding; the body excerpt is centred on `focus` (the
        text that proves the finding) when it lies beyond the first 500 characters."""
        request: dict[str, Any] = {"method": self.method, "url": self.url}
        if self.request_headers:
            request["headers"] = self.request_headers
        if self.request_body:
            request["body"] = self.request_body
        if self.response is None:
            return {"request": request, "response": {"error": self.error}}
        headers: dict[str, str] = {}
        for k, v in self.response.headers.multi_items():
            if k.lower() in EVIDENCE_HEADERS:  # several Set-Cookie lines stay one per line
                headers[k] = f"{headers[k]}\n{v}" if k in headers else v
        return {
            "request": request,
            "response": {
                "status": self.status,
                "headers": headers,
                "body": self._excerpt(focus),
            },
        }

    def _excerpt(self, focus: str) -> str:
        at = self.text.find(focus) if focus else -1
        start = max(0, at - BODY_EXCERPT // 2) if at + len(focus) > BODY_EXCERPT else 0
        return self.text[start : start + BODY_EXCERPT]


@dataclass
class ProbeClient:
    base_url: str
    timeout_s: float = 5.0
    max_requests: int = 400
    max_seconds: float = 180.0  # a service that hangs on every request still ends the run
    # Called with every exchange: passive checks (stack traces, debug pages) look at all traffic.
    observers: list[Callable[[Exchange], None]] = field(default_factory=list)
    # Tests hand in an httpx.MockTransport; the audit always talks to the real socket.
    transport: httpx.BaseTransport | None = None
    # Sent with every request unless the probe asks for another identity or none (--auth).
    auth_headers: dict[str, str] = field(default_factory=dict)
    sent: int = 0

    def __post_init__(self) -> None:
        require_loopback(self.base_url)
        self._deadline = time.monotonic() + self.max_seconds
        self.base_url = self.base_url.rstrip("/")
        # No cookies kept and no redirects followed: each probe sees exactly one answer,
        # and sends exactly the identity it chose (a kept session cookie would make an
        # "anonymous" request logged in). httpx keeps cookies unless its jar refuses them.
        self._http = httpx.Client(
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            timeout=self.timeout_s,
            follow_redirects=False,
            trust_env=False,
            transport=self.transport,
        )

    def close(self) -> None:
        self._http.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        endpoint: str = "",
        headers: dict[str, str] | None = None,
        json: Any = None,
        form: dict[str, str] | None = None,
        content: bytes | None = None,
        timeout_s: float | None = None,
        as_user: dict[str, str] | None = None,
        anonymous: bool = False,
    ) -> Exchange:
        """Send `path` (already encoded, query included) to the service, with the client's
        credentials unless `as_user` (another identity's headers) or `anonymous` says
        otherwise."""
        if self.sent >= self.max_requests:
            raise BudgetExhausted(f"{self.max_requests} requests")
        if time.monotonic() > self._deadline:
            raise BudgetExhausted(f"{self.max_seconds:.0f} seconds")
        self.sent += 1
        url = self.base_url + path
        identity = {} if anonymous else (self.auth_headers if as_user is None else as_user)
        headers = {**identity, **(headers or {})}
        if json is not None:
            content = jsonlib.dumps(json).encode()
            headers = {"Content-Type": "application/json", **headers}
        elif form is not None:
            content = urlencode(form).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        body_text = ""
        if content is not None:
            body_text = content[:REQUEST_BODY_KEPT].decode(errors="replace")
            if len(content) > REQUEST_BODY_KEPT:
                body_text = body_text[:200] + f"... ({len(content)} bytes)"
        ex = Exchange(
            method,
            url,
            endpoint or f"{method} {path.split('?')[0]}",
            headers,
            body_text,
            None,
        )
        try:
            # httpx.URL keeps an already percent-encoded path and query as given.
            ex.response = self._http.request(
                method,
                httpx.URL(url),
                headers=headers,
                content=content,
                timeout=timeout_s or self.timeout_s,
            )
        except httpx.HTTPError as e:
            ex.error = f"{type(e).__name__}: {e}"
        for observe in self.observers:
            observe(ex)
        return ex


def encode(value: str) -> str:
    """Percent-encode a parameter value completely (slashes too)."""
    return quote(value, safe="")


def build_path(
    template: str, path_values: dict[str, str], query: dict[str, str] | None = None
) -> str:
    """Fill `{name}` placeholders and append a query; values must be encoded already, so a
    probe can send exactly the bytes it means (`..%2f` stays `..%2f`)."""
    path = template
    for name, value in path_values.items():
        path = path.replace("{" + name + "}", value)
    if query:
        path += "?" + "&".join(f"{encode(k)}={v}" for k, v in query.items())
    return path
