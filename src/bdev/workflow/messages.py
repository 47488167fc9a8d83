"""The messages of the backend workflow, in the shapes the seed definitions use, built by
code from measurements. A number a model wrote never enters them: each figure is read
from the audit report and carries a pointer to where it was measured.
"""

from __future__ import annotations

from typing import Any

from bdev.backend.audit.report import AuditReport
from bdev.workflow.gates import GateResult

CONTEXT_QUERY = (
    "Backend context needed: tech stack, architecture patterns, database systems, "
    "API requirements, performance targets, and integration points."
)
NOT_MEASURED = "not measured"


def context_request(agent: str) -> dict[str, Any]:
    return {
        "requesting_agent": agent,
        "request_type": "get_backend_context",
        "payload": {"query": CONTEXT_QUERY},
    }


def context_response(agent: str, context: dict[str, Any]) -> dict[str, Any]:
    """bdev answers the request itself, from `analyze` (the files, not a model)."""
    return {
        "responding_agent": "bdev-analyze",
        "requesting_agent": agent,
        "request_type": "get_backend_context",
        "payload": context,
    }


def progress(agent: str, status: str, report: AuditReport, endpoints_before: int) -> dict[str, Any]:
    """The seed's progress event, each figure from the audit with its evidence path."""
    cov = report.tests.coverage_percent
    p95 = report.latency_ms.p95
    return {
        "agent": agent,
        "status": status,
        "progress": {
            "endpoints_created": max(report.endpoints - endpoints_before, 0),
            "test_coverage": f"{cov:.0f}%" if cov is not None else NOT_MEASURED,
            "response_time_p95": f"{p95:.0f}ms" if p95 is not None else NOT_MEASURED,
            # The label says "(static only)" when the running service was never probed.
            "security_score": report.security.label or report.security.grade or NOT_MEASURED,
        },
        "evidence": {
            "endpoints_created": f"analyze: {report.endpoints} endpoints now, "
            f"{endpoints_before} before [audit.json#/endpoints]",
            "test_coverage": "coverage.py line coverage [audit.json#/tests/coverage_percent]",
            "response_time_p95": "load generator percentiles [audit.json#/latency_ms]",
            "security_score": "graded findings [audit.json#/security]",
        },
    }


def delivery_notification(
    report: AuditReport, gates: list[GateResult], endpoints_before: int
) -> str:
    """The one-paragraph delivery summary, written from measurements alone."""
    created = max(report.endpoints - endpoints_before, 0)
    cov = report.tests.coverage_percent
    p95 = report.latency_ms.p95
    failing = [g for g in gates if not g.passed]
    cov_text = f"{cov:.0f}% line coverage" if cov is not None else "coverage not measured"
    p95_text = (
        f"a p95 response time of {p95:.0f} ms at the audited load"
        if p95 is not None
        else "latency not measured"
    )
    grade = report.security.label or report.security.grade
    counts = report.security.counts
    if grade:
        worst = ", ".join(f"{n} {sev}" for sev, n in sorted(counts.items()) if n) or "no findings"
        sec_text = f"security grade {grade} ({worst})"
    else:
        sec_text = "security not measured"
    tests = report.tests
    tests_text = (
        f"{tests.passed} tests passing and {(tests.failed or 0) + (tests.errors or 0)} failing"
        if tests.passed is not None
        else "tests not run"
    )
    head = "Backend services completed." if not failing else "Backend work is not ready yet."
    body = (
        f" The service has {report.endpoints} API endpoints ({created} new), with "
        f"{tests_text}, {cov_text} and {p95_text}; {sec_text}."
    )
    if failing:
        body += " Failing gates: " + "; ".join(f"{g.name} ({g.evidence})" for g in failing) + "."
    else:
        body += f" All {len(gates)} readiness gates passed."
    return head + body + " Every figure was measured by bdev's audit (see audit.json)."
