"""Access probes: privileged routes answering without credentials (CWE-306) and request
bodies of any size accepted (CWE-400/CWE-770).

Only safe methods are used to test authentication: a DELETE that works would destroy the
data it proves unprotected.
"""

from __future__ import annotations

import re

from bdev.backend.audit.results import Severity
from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import ProbeClient, build_path
from bdev.backend.audit.security.targets import WRITE_METHODS, Target

# Paths that should never be public.
ADMIN_LIKE = re.compile(r"admin|internal|manage|superuser|staff|private|secret|config|settings")
# Paths that usually are not public in a service that has authentication at all.
PRIVATE_LIKE = re.compile(r"users?\b|accounts?\b|delete|members|roles|permissions|billing|orders")
CREDENTIAL_FIELDS = re.compile(
    r'"(password\w*|passwd|pwd|\w*_hash|secret\w*|api_?key|token)"', re.I
)
BIG_BODY_BYTES = 10 * 1024 * 1024


def uses_auth(targets: list[Target], openapi: dict | None) -> bool:
    schemes = ((openapi or {}).get("components") or {}).get("securitySchemes")
    return bool(schemes) or any(t.auth_required or t.secured_in_spec for t in targets)


def _first_segment(path: str) -> str:
    return next((p for p in path.split("/") if p), "")


def check_missing_auth(
    client: ProbeClient, targets: list[Target], found: FindingSet, openapi: dict | None
) -> None:
    has_auth = uses_auth(targets, openapi)
    # Reads guarded next to this one; guarded writes beside open reads are the usual design.
    protected_segments = {
        _first_segment(t.path) for t in targets if t.auth_required and t.method == "GET"
    }
    for t in targets:
        if t.method != "GET" or t.auth_required or t.secured_in_spec:
            continue
        admin = bool(ADMIN_LIKE.search(t.path.lower()))
        # facts say this read is open while reads beside it need credentials.
        odd_one_out = t.auth_required is False and _first_segment(t.path) in protected_segments
        private = has_auth and bool(PRIVATE_LIKE.search(t.path.lower()))
        if not (admin or odd_one_out or private):
            continue
        ex = client.send("GET", build_path(t.path, t.path_values()), endpoint=t.endpoint)
        if not 200 <= ex.status < 300:
            continue
        leaks = CREDENTIAL_FIELDS.search(ex.text)
        severity: Severity = "high" if admin or leaks else "medium"
        title = f"No authentication on {t.path}" + (
            f" (response includes {leaks.group(1)!r})" if leaks else ""
        )
        found.add(probe_finding("CWE-306", severity, title, t.endpoint, ex), t.endpoint)


def check_oversized_body(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    """Send ~10 MB to at most two write operations; a 2xx means no size limit."""
    writes = [t for t in targets if t.method in WRITE_METHODS]
    writes.sort(key=lambda t: (bool(t.path_params), t.auth_required is True))
    for t in writes[:2]:
        field = (t.body_string_fields or ["data"])[0]
        body = {**(t.body or {}), field: "A" * BIG_BODY_BYTES}
        ex = client.send(
            t.method,
            build_path(t.path, t.path_values()),
            json=body,
            endpoint=t.endpoint,
            timeout_s=max(client.timeout_s, 30.0),
        )
        if 200 <= ex.status < 300:
            title = f"A {BIG_BODY_BYTES // (1024 * 1024)} MB request body is accepted"
            found.add(
                probe_finding("CWE-400", "medium", title, t.endpoint, ex, also="CWE-770"),
                t.endpoint,
            )
