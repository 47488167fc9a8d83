"""The active half of the security audit: probe a running service over HTTP.

Probes only ever target loopback, send at most `MAX_REQUESTS` requests (each with a
timeout, all within `ProbeClient.max_seconds`) and send DELETE only to objects they
created themselves (the IDOR check). Write operations do receive probe bodies (records
are created), so point this at a throwaway instance, as `bdev audit` does.

With credentials (`auth`, and `auth2` for a second user) every probe is sent as user A,
so routes behind a login are covered; the checks that need a credential (JWT
signatures, CSRF, IDOR) say "not checked" in the step's data when they had none.
Severities follow `security/rubric.py`; findings are kept once per (CWE, operation).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bdev.backend.audit.results import StepResult
from bdev.backend.audit.security.auth import AuthSpec, Credential, LoginFailed, obtain
from bdev.backend.audit.security.debug import debug_in_code
from bdev.backend.audit.security.findings import FindingSet
from bdev.backend.audit.security.http import BudgetExhausted, ProbeClient, require_loopback
from bdev.backend.audit.security.probe_access import check_missing_auth, check_oversized_body
from bdev.backend.audit.security.probe_cmdi import check_command_injection
from bdev.backend.audit.security.probe_config import (
    check_cors,
    check_debug,
    check_error_pages,
    check_headers,
    observer,
)
from bdev.backend.audit.security.probe_cookies import SetCookie, cookie_observer, report_flags
from bdev.backend.audit.security.probe_csrf import check_csrf
from bdev.backend.audit.security.probe_idor import check_idor
from bdev.backend.audit.security.probe_injection import (
    check_path_traversal,
    check_sql_injection,
    check_sql_injection_headers,
)
from bdev.backend.audit.security.probe_jwt import check_jwt
from bdev.backend.audit.security.probe_redirect import check_open_redirect
from bdev.backend.audit.security.probe_ssti import check_ssti
from bdev.backend.audit.security.probe_xss import check_reflected_xss, check_stored_xss
from bdev.backend.audit.security.rubric import count_by_severity, step_status
from bdev.backend.audit.security.targets import Target, build_targets
from bdev.backend.audit.traffic import Traffic
from bdev.backend.facts import BackendFacts

MAX_REQUESTS = 1500

Check = Callable[[ProbeClient, list[Target], FindingSet], None]


def run_probes(
    base_url: str,
    facts: BackendFacts,
    openapi: dict | None,
    timeout_s: float = 5.0,
    *,
    auth: AuthSpec | None = None,
    auth2: AuthSpec | None = None,
    marker_dir: Path | None = None,
) -> StepResult:
    """Probe the service at `base_url`; name "security-probes". `auth`/`auth2`: user A's
    and user B's credentials; `marker_dir`: a directory the service can write and bdev
    can read at the same path (the command-injection marker files go there)."""
    started = time.monotonic()
    require_loopback(base_url)
    targets = build_targets(facts, openapi)
    found = FindingSet()
    login_cookies: set[str] = set()
    traffic = Traffic()
    client = ProbeClient(
        base_url,
        timeout_s,
        MAX_REQUESTS,
        observers=[observer(found), cookie_observer(found, login_cookies), traffic.observe],
    )
    data: dict = {"targets": len(targets), "checks_run": [], "budget_exhausted": False}
    try:
        first = client.send("GET", "/", endpoint="GET /")
        if first.response is None:
            return StepResult(
                name="security-probes",
                status="error",
                duration_s=round(time.monotonic() - started, 3),
                summary=f"service not reachable at {base_url}: {first.error}",
                data=data,
            )
        users = _log_in(client, {"user_a": auth, "user_b": auth2}, data, found, login_cookies)
        user_a, user_b = users.get("user_a"), users.get("user_b")
        if user_a is not None:
            client.auth_headers = user_a.as_headers()
        notes: dict[str, Any] = data.setdefault("auth_checks", {})
        checks: list[tuple[str, Check]] = [
            ("headers", check_headers),
            ("cors", check_cors),
            ("debug", check_debug),
            ("sql-injection", check_sql_injection),
            ("sql-injection-headers", check_sql_injection_headers),
            ("path-traversal", check_path_traversal),
            ("template-injection", check_ssti),
            ("reflected-xss", check_reflected_xss),
            ("open-redirect", check_open_redirect),
            ("command-injection", partial(check_command_injection, marker_dir=marker_dir)),
            ("missing-auth", partial(check_missing_auth, openapi=openapi)),
            ("jwt", lambda c, t, f: notes.__setitem__("jwt", check_jwt(c, t, f, user_a))),
            ("csrf", lambda c, t, f: notes.__setitem__("csrf", check_csrf(c, t, f, user_a))),
            (
                "idor",
                lambda c, t, f: notes.__setitem__("idor", check_idor(c, t, f, user_a, user_b)),
            ),
            ("stored-xss", check_stored_xss),
            ("error-pages", check_error_pages),
            ("oversized-body", check_oversized_body),  # last: the slowest requests
        ]
        for name, check in checks:
            check(client, targets, found)
            data["checks_run"].append(name)
    except BudgetExhausted as e:
        data["budget_exhausted"] = True
        data["stopped_after"] = str(e)
    finally:
        client.close()

    root = Path(facts.root)
    for f in debug_in_code(root) if root.is_dir() else []:
        found.add(f, f.location)

    findings = found.all()
    data["requests"] = client.sent
    data["by_severity"] = count_by_severity(findings)
    summary = f"{len(findings)} findings from {client.sent} requests to {len(targets)} operations"
    failed = [f"{who}: {why}" for who, why in data.get("auth", {}).items() if "failed" in why]
    if failed:
        summary += f" (login failed, probed without it: {'; '.join(failed)})"
    if data["budget_exhausted"]:
        summary += f" (stopped early after {data['stopped_after']})"
    unreached = _not_reached(traffic, targets, data)
    return StepResult(
        name="security-probes",
        status="error" if unreached else step_status(findings),
        summary=unreached
        or f"{summary}; reached {len(data['operations_reached'])} of"
        f" {len(data['operations_probed'])} operations",
        duration_s=round(time.monotonic() - started, 3),
        data=data,
        findings=findings,
    )


def _not_reached(traffic: Traffic, targets: list[Target], data: dict) -> str:
    """Record what the probes reached; when that is no operation (every request got 404
    or no answer), the summary that makes the step "not checked" (status "error")."""
    operations = [t.endpoint for t in targets]
    reached = traffic.reached(operations or None)
    data["reached"] = traffic.table()
    data["operations_reached"] = reached
    data["operations_probed"] = operations or sorted(traffic.counts)
    if reached:
        return ""
    seen = "; ".join(f"{ep} {codes}" for ep, codes in data["reached"].items())
    return (
        "not checked: the probes reached no endpoint (every request got 404, 405 or no"
        f" answer): {seen or 'no request sent'}"
    )


def _log_in(
    client: ProbeClient,
    specs: dict[str, AuthSpec | None],
    data: dict,
    found: FindingSet,
    login_cookies: set[str],
) -> dict[str, Credential]:
    """Each given identity's credential; a failed login is recorded, not fatal."""
    users: dict[str, Credential] = {}
    for who, spec in specs.items():
        if spec is None:
            continue
        try:
            credential = obtain(client, spec)
        except LoginFailed as e:
            data.setdefault("auth", {})[who] = f"failed: {e}"
            continue
        users[who] = credential
        data.setdefault("auth", {})[who] = credential.source
        login_cookies.update(credential.cookies)
        # The login answer went by before its cookies were known to be the session's.
        for line in credential.cookie_lines:
            cookie = SetCookie.parse(line)
            if cookie is not None and credential.login is not None:
                report_flags(found, cookie, credential.login)
    return users
