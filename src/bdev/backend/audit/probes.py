"""The active half of the security audit: probe a running service over HTTP.

Probes only ever target loopback, send at most `MAX_REQUESTS` requests (each with a
timeout, all within `ProbeClient.max_seconds`) and never send DELETE. Write operations
do receive probe bodies (a few records may be created), so point this at a throwaway
instance, as `bdev audit` does.
Severities follow `security/rubric.py`; findings are kept once per (CWE, operation).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bdev.backend.audit.results import StepResult
from bdev.backend.audit.security.debug import debug_in_code
from bdev.backend.audit.security.findings import FindingSet
from bdev.backend.audit.security.http import BudgetExhausted, ProbeClient, require_loopback
from bdev.backend.audit.security.probe_access import check_missing_auth, check_oversized_body
from bdev.backend.audit.security.probe_config import (
    check_cors,
    check_debug,
    check_error_pages,
    check_headers,
    observer,
)
from bdev.backend.audit.security.probe_injection import check_path_traversal, check_sql_injection
from bdev.backend.audit.security.rubric import count_by_severity, step_status
from bdev.backend.audit.security.targets import Target, build_targets
from bdev.backend.facts import BackendFacts

MAX_REQUESTS = 400

Check = Callable[[ProbeClient, list[Target], FindingSet], None]


def run_probes(
    base_url: str, facts: BackendFacts, openapi: dict | None, timeout_s: float = 5.0
) -> StepResult:
    """Probe the service at `base_url`; name "security-probes"."""
    started = time.monotonic()
    require_loopback(base_url)
    targets = build_targets(facts, openapi)
    found = FindingSet()
    client = ProbeClient(base_url, timeout_s, MAX_REQUESTS, observers=[observer(found)])
    checks: list[tuple[str, Check]] = [
        ("headers", check_headers),
        ("cors", check_cors),
        ("debug", check_debug),
        ("sql-injection", check_sql_injection),
        ("path-traversal", check_path_traversal),
        ("missing-auth", partial(check_missing_auth, openapi=openapi)),
        ("error-pages", check_error_pages),
        ("oversized-body", check_oversized_body),  # last: the slowest requests
    ]
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
    if data["budget_exhausted"]:
        summary += f" (stopped early after {data['stopped_after']})"
    return StepResult(
        name="security-probes",
        status=step_status(findings),
        duration_s=round(time.monotonic() - started, 3),
        summary=summary,
        data=data,
        findings=findings,
    )
