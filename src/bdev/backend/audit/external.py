"""The security engineer's steps (static scan, probes, conformance), called through
lazy imports: until a module exists, or when one crashes, its step reads "error" with
the reason, and the rest of the audit carries on."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bdev.backend.audit.results import StepResult
from bdev.backend.facts import BackendFacts

CONFORMANCE_TIMEOUT_S = 120.0


def _load(module: str, func: str) -> Callable[..., Any] | str:
    """The function, or why it cannot be had."""
    try:
        return getattr(importlib.import_module(f"bdev.backend.audit.{module}"), func)
    except (ImportError, AttributeError) as e:
        return f"bdev.backend.audit.{module}.{func} unavailable: {e}"


def _call(step: str, module: str, func: str, *args: Any) -> StepResult:
    start = time.monotonic()
    target = _load(module, func)
    if isinstance(target, str):
        return StepResult(name=step, status="error", summary=target)
    try:
        result: StepResult = target(*args)
    except Exception as e:  # a broken step must not cost the audit its other results
        return StepResult(
            name=step,
            status="error",
            duration_s=time.monotonic() - start,
            summary=f"{module}.{func} crashed: {type(e).__name__}: {e}",
        )
    # Our step names, whatever the provider calls its result ("security-static", ...).
    result = result.model_copy(update={"name": step})
    if not result.duration_s:
        result.duration_s = time.monotonic() - start
    return result


def static_security(root: Path, facts: BackendFacts) -> StepResult:
    return _call("security", "security", "run_static_security", root, facts)


def probes(base_url: str, facts: BackendFacts, openapi: dict | None) -> StepResult:
    return _call("probes", "probes", "run_probes", base_url, facts, openapi)


def conformance(base_url: str, openapi: dict | None) -> StepResult:
    available = _load("conformance", "run_conformance")
    if isinstance(available, str):
        return StepResult(name="conformance", status="error", summary=available)
    if openapi is None:
        return StepResult(
            name="conformance", status="skipped", summary="the service serves no OpenAPI document"
        )
    return _call(
        "conformance", "conformance", "run_conformance", base_url, openapi, CONFORMANCE_TIMEOUT_S
    )


def fetch_openapi(base_url: str, facts: BackendFacts) -> dict | None:
    fetch = _load("conformance", "fetch_openapi")
    if isinstance(fetch, str):
        return None
    try:
        return fetch(base_url, facts)
    except Exception:  # no document is a normal outcome; conformance then says "skipped"
        return None
