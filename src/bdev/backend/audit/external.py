"""The steps that look at the service from outside (static security scan, probes,
conformance), each guarded: when one crashes its step reads "error" with the reason, and
the rest of the audit carries on."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bdev.backend.audit.conformance import fetch_openapi as _fetch_openapi
from bdev.backend.audit.conformance import run_conformance
from bdev.backend.audit.probes import run_probes
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.security.static import run_static_security
from bdev.backend.facts import BackendFacts


def _call(step: str, target: Callable[..., StepResult], *args: Any, **kwargs: Any) -> StepResult:
    start = time.monotonic()
    try:
        result = target(*args, **kwargs)
    except Exception as e:  # a broken step must not cost the audit its other results
        return StepResult(
            name=step,
            status="error",
            duration_s=time.monotonic() - start,
            summary=f"{target.__module__}.{target.__name__} crashed: {type(e).__name__}: {e}",
        )
    # Our step names, whatever the provider calls its result ("security-static", ...).
    result = result.model_copy(update={"name": step})
    if not result.duration_s:
        result.duration_s = time.monotonic() - start
    return result


def static_security(root: Path, facts: BackendFacts) -> StepResult:
    return _call("security", run_static_security, root, facts)


def probes(base_url: str, facts: BackendFacts, openapi: dict | None, **options: Any) -> StepResult:
    """`options`: run_probes' keywords (auth, auth2, marker_dir)."""
    return _call("probes", run_probes, base_url, facts, openapi, **options)


def conformance(base_url: str, openapi: dict | None) -> StepResult:
    if openapi is None:
        return StepResult(
            name="conformance", status="skipped", summary="the service serves no OpenAPI document"
        )
    return _call("conformance", run_conformance, base_url, openapi)


def fetch_openapi(base_url: str, facts: BackendFacts) -> dict | None:
    try:
        return _fetch_openapi(base_url, facts)
    except Exception:  # no document is a normal outcome; conformance then says "skipped"
        return None
