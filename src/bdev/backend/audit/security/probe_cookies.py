"""Session cookies without their protective flags (CWE-1004 HttpOnly, CWE-1275 SameSite,
CWE-614 Secure), read from every Set-Cookie the probes receive (login answers included).

Which cookies count: those a login set, and those named like a session (session, sid,
auth, token, jwt, remember...). CSRF-token cookies are left out: pages must read them.
Severity: no HttpOnly is medium (script can steal the session), no SameSite low, no
Secure low, since the audit talks plain HTTP on loopback and cannot tell whether the
deployment adds TLS (the flag only matters there, but then it matters).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bdev.backend.audit.results import Severity
from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import Exchange

SESSION_LIKE = re.compile(r"sess|sid|auth|token|jwt|login|remember|identity|user", re.I)
NOT_SESSION = re.compile(r"csrf|xsrf", re.I)
FLAGS: list[tuple[str, str, Severity]] = [
    ("httponly", "CWE-1004", "medium"),
    ("samesite", "CWE-1275", "low"),
    ("secure", "CWE-614", "low"),
]


@dataclass(frozen=True)
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str]  # lower-cased names; flags map to ""

    @classmethod
    def parse(cls, line: str) -> SetCookie | None:
        first, *rest = line.split(";")
        name, sep, value = first.partition("=")
        if not sep or not name.strip():
            return None
        attrs = {}
        for part in rest:
            key, _, val = part.partition("=")
            attrs[key.strip().lower()] = val.strip()
        return cls(name.strip(), value.strip().strip('"'), attrs)

    @property
    def clears(self) -> bool:
        """A deletion (empty value or already expired), not a cookie being handed out."""
        return (
            not self.value
            or self.attributes.get("max-age", "1").lstrip("-") == "0"
            or (self.attributes.get("max-age", "").startswith("-"))
        )

    @property
    def same_site(self) -> str:
        return self.attributes.get("samesite", "").lower()


def session_like(cookie: SetCookie, login: bool = False) -> bool:
    return not NOT_SESSION.search(cookie.name) and (login or bool(SESSION_LIKE.search(cookie.name)))


def cookie_observer(found: FindingSet, login_names: set[str]) -> Callable[[Exchange], None]:
    """Check the flags of every session cookie in every answer; `login_names` (filled in
    once logged in) are the cookies a login set, whatever their names."""

    def observe(ex: Exchange) -> None:
        if ex.response is None:
            return
        for line in ex.response.headers.get_list("set-cookie"):
            cookie = SetCookie.parse(line)
            if cookie is None or cookie.clears:
                continue
            if session_like(cookie, cookie.name in login_names):
                report_flags(found, cookie, ex)

    return observe


def report_flags(found: FindingSet, cookie: SetCookie, ex: Exchange) -> None:
    where = f"Set-Cookie {cookie.name} ({ex.endpoint})"
    for flag, cwe, severity in FLAGS:
        if flag == "samesite":
            missing = cookie.same_site not in {"lax", "strict"}
        else:
            missing = flag not in cookie.attributes
        if not missing:
            continue
        what = (
            "SameSite=Lax/Strict"
            if flag == "samesite"
            else {"httponly": "HttpOnly"}.get(flag, "Secure")
        )
        title = f"Session cookie '{cookie.name}' is set without {what}"
        finding = probe_finding(
            cwe, severity, title, where, ex, focus=cookie.name, cookie=cookie.name
        )
        found.add(finding, f"cookie {cookie.name}")
