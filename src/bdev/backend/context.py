"""The answer to an agent's `get_backend_context` request (seed 002's context query):
tech stack, architecture patterns, database systems, API requirements, performance
targets and integration points, all taken from BackendFacts.

Performance targets are the backend checklist's defaults and are labelled as targets:
nothing here has been measured (that is the audit's job).
"""

from __future__ import annotations

import copy
from typing import Any

from bdev.backend.facts import BackendFacts

MAX_LISTED_ENDPOINTS = 100  # keeps the answer small enough for a model's context

PERFORMANCE_TARGETS: dict[str, Any] = {
    "kind": "targets",  # not measurements
    "response_time_p95_ms": {"target": "< 100", "measured": None},
    "test_coverage_percent": {"target": ">= 80", "measured": None},
    "note": "Defaults from the backend development checklist; run `bdev audit` to measure.",
}


def _endpoint_line(method: str, path: str, auth: bool | None) -> str:
    flag = {True: " [auth]", False: "", None: " [auth unclear]"}[auth]
    return f"{method} {path}{flag}"


def context_response(facts: BackendFacts) -> dict[str, Any]:
    endpoints = facts.endpoints
    listed = [
        _endpoint_line(e.method, e.path, e.auth_required) for e in endpoints[:MAX_LISTED_ENDPOINTS]
    ]
    entry = facts.entry_point
    return {
        "tech_stack": {
            "language": facts.language,
            "framework": facts.framework,
            "dependencies": facts.dependencies,
            "entry_point": entry.app or entry.file if entry else None,
            "start_command": entry.command if entry else [],
            "dockerfile": facts.dockerfile,
            "ci": facts.ci,
            "test_framework": facts.tests.framework,
            "test_count": facts.tests.count,
        },
        "architecture_patterns": facts.architecture_patterns,
        "database_systems": {
            "databases": facts.data.databases,
            "orm": facts.data.orm,
            "models": facts.data.models,
            "migration_tool": facts.data.migration_tool,
            "migration_revisions": len(facts.data.migration_revisions),
            "raw_sql_sites": len(facts.data.raw_sql_sites),
            "services_needed": facts.services,
        },
        "api_requirements": {
            "endpoint_count": len(endpoints),
            "authenticated": sum(1 for e in endpoints if e.auth_required),
            "endpoints": listed,
            "more_endpoints": max(0, len(endpoints) - MAX_LISTED_ENDPOINTS),
            "health_endpoints": facts.health_endpoints,
            "openapi_document": facts.openapi_document,
        },
        "performance_targets": copy.deepcopy(PERFORMANCE_TARGETS),
        "integration_points": facts.integration_points,
    }
