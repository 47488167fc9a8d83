"""Collecting probe findings: one per (CWE, operation), the most severe one kept.

A probe finding carries the exchange that shows it as `Finding.request` / `.response`
(so the report can print a `curl` that reproduces it) as well as in `evidence`.
"""

from __future__ import annotations

from bdev.backend.audit.results import Finding, HttpRequest, HttpResponse, Severity
from bdev.backend.audit.security.http import Exchange
from bdev.backend.audit.security.rubric import ORDER


class FindingSet:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], Finding] = {}

    def add(self, finding: Finding, endpoint: str) -> None:
        key = (finding.cwe, endpoint)
        kept = self._by_key.get(key)
        if kept is None or ORDER[finding.severity] > ORDER[kept.severity]:
            self._by_key[key] = finding

    def has(self, cwe: str, endpoint: str) -> bool:
        return (cwe, endpoint) in self._by_key

    def all(self) -> list[Finding]:
        return sorted(self._by_key.values(), key=lambda f: (-ORDER[f.severity], f.cwe, f.location))


def probe_finding(
    cwe: str,
    severity: Severity,
    title: str,
    location: str,
    ex: Exchange,
    focus: str = "",
    **extra: object,
) -> Finding:
    """A finding whose evidence is the request that showed it and the answer it got."""
    evidence = ex.evidence(focus)
    answer = evidence["response"]
    return Finding(
        cwe=cwe,
        severity=severity,
        title=title,
        location=location,
        evidence={**evidence, **extra},
        tool="probe",
        request=http_request(ex),
        response=HttpResponse(
            status=answer.get("status"),
            headers=answer.get("headers", {}),
            excerpt=answer.get("body", ""),
            error=answer.get("error", ""),
        ),
    )


def http_request(ex: Exchange) -> HttpRequest:
    """The request of an exchange, as sent (bodies beyond http.REQUEST_BODY_KEPT: an excerpt)."""
    return HttpRequest(
        method=ex.method, url=ex.url, headers=dict(ex.request_headers), body=ex.request_body
    )
