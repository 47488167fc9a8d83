"""Step 7: the scorecard, built only from what the steps measured.

Security grade rubric (findings from static analysis, secrets, dependency audit,
active probes and conformance, counted by severity):

    F   any critical finding
    D   two or more high findings
    C   one high finding, or four or more medium findings
    B   one to three medium findings
    A   only low findings
    A+  no finding above "info"

No grade (None) when no security step (static scan or probes) ran at all: a grade is
never given for something that was not looked at. docs/audit.md carries the same table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeGuard

from pydantic import BaseModel, Field

from bdev.backend.audit.load import bound_note
from bdev.backend.audit.results import ChecklistItem, Finding, StepResult
from bdev.backend.facts import BackendFacts
from bdev.config import GatesConfig

ERROR_RATE_TARGET = 0.01
SECURITY_STEPS = ("security", "probes")
FINDING_STEPS = ("security", "probes", "conformance")


class TestsScore(BaseModel):
    __test__ = False  # not a pytest test class, despite the name

    passed: int | None = None
    failed: int | None = None
    errors: int | None = None
    coverage_percent: float | None = None


class LatencyScore(BaseModel):
    """The worst endpoint's percentiles (by p95), with every endpoint's in `per_endpoint`."""

    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    endpoint: str | None = None
    bound_by: str | None = None  # "service" or "generator"
    generator: str | None = None
    ceiling: dict[str, Any] | None = None
    per_endpoint: list[dict[str, Any]] = Field(default_factory=list)


class SecurityScore(BaseModel):
    grade: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)


class Scorecard(BaseModel):
    endpoints: int = 0
    tests: TestsScore = Field(default_factory=TestsScore)
    latency_ms: LatencyScore = Field(default_factory=LatencyScore)
    error_rate: float | None = None
    security: SecurityScore = Field(default_factory=SecurityScore)
    checklist: list[ChecklistItem] = Field(default_factory=list)


def grade(findings: list[Finding]) -> str:
    """The letter for a set of findings, per the rubric in this module's docstring."""
    n = Counter(f.severity for f in findings)
    if n["critical"]:
        return "F"
    if n["high"] >= 2:
        return "D"
    if n["high"] == 1 or n["medium"] >= 4:
        return "C"
    if n["medium"]:
        return "B"
    if n["low"]:
        return "A"
    return "A+"


def build_scorecard(
    steps: list[StepResult],
    facts: BackendFacts | None,
    root: Path,
    targets: GatesConfig | None = None,
) -> Scorecard:
    by_name = {s.name: s for s in steps}
    tests = by_name.get("tests")
    load = by_name.get("load")

    score = Scorecard(endpoints=len(facts.endpoints) if facts else 0)
    if tests and tests.status != "skipped":
        score.tests = TestsScore.model_validate(tests.data)
    if load and load.status == "ok":
        score.latency_ms = _latency(load)
        score.error_rate = load.data.get("error_rate")

    findings = [f for name in FINDING_STEPS if name in by_name for f in by_name[name].findings]
    looked = any(by_name.get(n) and by_name[n].status in ("ok", "failed") for n in SECURITY_STEPS)
    score.security = SecurityScore(
        grade=grade(findings) if looked else None,
        findings=findings,
        counts=dict(Counter(f.severity for f in findings)),
    )
    score.checklist = checklist(
        by_name, score, facts, root, security_looked=looked, targets=targets or GatesConfig()
    )
    return score


def _latency(load: StepResult) -> LatencyScore:
    runs = load.data.get("endpoints", [])
    worst = max((r for r in runs if r.get("p95_ms") is not None), key=lambda r: r["p95_ms"])
    return LatencyScore(
        p50=worst["p50_ms"],
        p95=worst["p95_ms"],
        p99=worst["p99_ms"],
        endpoint=worst["target"],
        bound_by=worst.get("bound_by"),
        generator=load.data.get("generator"),
        ceiling=load.data.get("ceiling"),
        per_endpoint=runs,
    )


# --- the production checklist -------------------------------------------------------------


def _item(name: str, ok: bool | None, evidence: str) -> ChecklistItem:
    status = "not checked" if ok is None else ("pass" if ok else "fail")
    return ChecklistItem(name=name, status=status, evidence=evidence)


def _ran(step: StepResult | None) -> TypeGuard[StepResult]:
    return step is not None and step.status != "skipped"


def _why_not(step: StepResult | None, label: str) -> str:
    """Why a skipped step measured nothing: its own summary says (e.g. --skip, or the
    service's environment could not be built)."""
    if step is None:
        return f"{label} step not run"
    return step.summary or f"{label} step skipped"


def checklist(
    steps: dict[str, StepResult],
    score: Scorecard,
    facts: BackendFacts | None,
    root: Path,
    *,
    security_looked: bool,
    targets: GatesConfig,
) -> list[ChecklistItem]:
    """One item per readiness question, in the order the report shows them; a question
    whose step did not run is "not checked" with the step's own reason."""
    startup = steps.get("startup")
    return [
        *_test_items(steps.get("tests"), score.tests, targets),
        _from_step("service starts", startup, "start-up", ok=lambda s: s.status != "error"),
        _health(startup, facts),
        *_load_items(steps.get("load"), score, targets),
        _from_step("OpenAPI conformance", steps.get("conformance"), error_unchecked=True),
        _severity(score.security, security_looked),
        _dependencies(steps.get("security")),
        _from_step("migrations reversible", steps.get("migrations"), error_unchecked=True),
        *_repository_items(facts, root),
    ]


def _from_step(
    name: str,
    step: StepResult | None,
    label: str | None = None,
    ok: Callable[[StepResult], bool] = lambda s: s.status == "ok",
    *,
    error_unchecked: bool = False,  # a step that could not run answered nothing
) -> ChecklistItem:
    if not _ran(step) or (error_unchecked and step.status == "error"):
        return _item(name, None, _why_not(step, label or name))
    return _item(name, ok(step), step.summary)


def _test_items(
    tests: StepResult | None, t: TestsScore, targets: GatesConfig
) -> list[ChecklistItem]:
    if not _ran(tests):
        items = [_item("tests pass", None, _why_not(tests, "tests"))]
    else:
        ok = tests.status == "ok" and not t.failed and not t.errors and bool(t.passed)
        items = [_item("tests pass", ok, tests.summary)]
    if targets.coverage_min is None:
        return items  # the coverage gate is switched off in [gates]
    name = f"line coverage >= {targets.coverage_min:g}%"
    if t.coverage_percent is None:
        why = "no coverage measured" if _ran(tests) else _why_not(tests, "tests")
        return [*items, _item(name, None, why)]
    passed = t.coverage_percent >= targets.coverage_min
    return [*items, _item(name, passed, f"{t.coverage_percent:.1f}% of lines")]


def _load_items(
    load: StepResult | None, score: Scorecard, targets: GatesConfig
) -> list[ChecklistItem]:
    lat = score.latency_ms
    error_rate = f"error rate < {100 * ERROR_RATE_TARGET:g}%"
    p95 = f"p95 < {targets.p95_max_ms:g} ms" if targets.p95_max_ms is not None else None
    if lat.p95 is None:
        why = load.summary if _ran(load) else "load step skipped"
        return [*([_item(p95, None, why)] if p95 else []), _item(error_rate, None, why)]
    items = []
    if p95 and targets.p95_max_ms is not None:
        where = f"worst p95 {lat.p95:.1f} ms on {lat.endpoint}"
        how = f" ({lat.generator}{bound_note(lat.bound_by)})"
        items.append(_item(p95, lat.p95 < targets.p95_max_ms, where + how))
    rate = score.error_rate or 0.0
    failed = f"{100 * rate:.2f}% of requests under load failed (non-2xx/3xx or socket error)"
    return [*items, _item(error_rate, rate < ERROR_RATE_TARGET, failed)]


def _severity(sec: SecurityScore, looked: bool) -> ChecklistItem:
    name = "no high/critical findings"
    if not looked:
        return _item(name, None, "no security step ran")
    severe = sec.counts.get("critical", 0) + sec.counts.get("high", 0)
    counts = ", ".join(f"{n} {s}" for s, n in sec.counts.items()) or "no findings"
    return _item(name, severe == 0, f"grade {sec.grade}; {counts}")


def _repository_items(facts: BackendFacts | None, root: Path) -> list[ChecklistItem]:
    dockerfile = (facts.dockerfile if facts else None) or (
        "Dockerfile" if (root / "Dockerfile").is_file() else None
    )
    ci = facts.ci if facts else []
    items = [
        _item("Dockerfile present", bool(dockerfile), dockerfile or "no Dockerfile"),
        _item("CI configured", bool(ci), ", ".join(ci) or "no CI configuration found"),
    ]
    if facts is not None:
        where = [f"{s.location.file}:{s.location.line}" for s in facts.secrets]
        found = ("found at " + ", ".join(where[:5])) if where else "none found in the code"
        items.append(_item("no hard-coded secrets", not where, found))
    return items


def _health(startup: StepResult | None, facts: BackendFacts | None) -> ChecklistItem:
    declared = facts.health_endpoints if facts else []
    if not declared:
        return _item("health endpoint", False, "no health endpoint found in the code")
    if not _ran(startup) or startup.status == "error":
        return _item("health endpoint", None, f"{', '.join(declared)} declared; service not up")
    checks = startup.data.get("health", [])
    ok = bool(checks) and all(c["ok"] for c in checks)
    evidence = "; ".join(f"GET {c['path']} -> {c['status_code']}" for c in checks)
    return _item("health endpoint", ok, evidence)


def _dependencies(security: StepResult | None) -> ChecklistItem:
    """Pass only on positive evidence that every dependency was looked up: an unreachable
    vulnerability service must read as "not checked", never as clean."""
    name = "dependencies without known vulnerabilities"
    if security is None or security.status in ("skipped", "error"):
        return _item(name, None, security.summary if security else "security step not run")
    vulnerable = [f for f in security.findings if f.tool == "pip-audit"]
    info = security.data.get("pip_audit")
    if not isinstance(info, dict):
        return _item(name, None, "the security step reported no dependency audit")
    skipped = info.get("skipped") or []
    if vulnerable or info.get("status") == "fail":
        return _item(name, False, f"{len(vulnerable)} vulnerable dependency finding(s)")
    if info.get("status") == "pass" and not skipped:
        audited = len(info.get("audited") or [])
        return _item(name, True, f"pip-audit looked up all {audited} dependencies: none vulnerable")
    why = info.get("reason") or (skipped[0].get("reason") if skipped else "") or "incomplete"
    return _item(name, None, f"{len(skipped)} dependencies not audited: {why}")
