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
A grade from the static scan alone (the service did not start, or the probes reached no
endpoint) says so in `scope` and `label` ("A+ (static only)"), and then "no high/critical
findings" can fail but never pass: nothing at run time was looked at.

Latency: an endpoint whose load answers were mostly 4xx/5xx timed error pages, so its
percentiles are reported (`not_checked`) but judge nothing; the p95 target is checked on
the other endpoints, and is "not checked" when none is left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeGuard

from pydantic import BaseModel, Field

from bdev.backend.audit.load import bound_note
from bdev.backend.audit.results import ChecklistItem, Finding, StepResult
from bdev.backend.audit.security.merge import merge_findings
from bdev.backend.audit.security.rubric import example_credentials
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
    measured_on: str | None = None  # the worst endpoint's responses, e.g. "100% 2xx/3xx"
    # Endpoints whose percentiles timed mostly error responses: "GET /x: p95 2.1 ms
    # measured on 100% 404". They never pass (or set) the p95 above.
    not_checked: list[str] = Field(default_factory=list)


class SecurityScore(BaseModel):
    grade: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    # What the grade rests on: "static + probes", "static only", "probes only", or None.
    scope: str | None = None
    label: str | None = None  # the grade as shown: "A+", or "A+ (static only)"


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
    if load and load.status in ("ok", "failed") and load.data.get("endpoints"):
        score.latency_ms = _latency(load)
        score.error_rate = load.data.get("error_rate")

    # One finding per weakness across the steps, worst first (security/merge.py).
    found = [f for name in FINDING_STEPS if name in by_name for f in by_name[name].findings]
    findings = merge_findings(found, facts, root)
    looked = any(by_name.get(n) and by_name[n].status in ("ok", "failed") for n in SECURITY_STEPS)
    letter = grade(findings) if looked else None
    scope = _scope(by_name) if looked else None
    score.security = SecurityScore(
        grade=letter,
        findings=findings,
        counts=dict(Counter(f.severity for f in findings)),
        scope=scope,
        label=None if letter is None else (f"{letter} ({scope})" if scope != BOTH else letter),
    )
    score.checklist = checklist(
        by_name, score, facts, root, security_looked=looked, targets=targets or GatesConfig()
    )
    return score


BOTH = "static + probes"


def _scope(by_name: dict[str, StepResult]) -> str:
    """Which kinds of looking the grade rests on (a step that ran and reached the code)."""
    static, probes = (
        by_name.get(n) is not None and by_name[n].status in ("ok", "failed") for n in SECURITY_STEPS
    )
    if static and probes:
        return BOTH
    return "static only" if static else "probes only"


def _latency(load: StepResult) -> LatencyScore:
    """The worst endpoint among those whose latency timed mostly successful answers."""
    runs = load.data.get("endpoints", [])
    measured = [r for r in runs if r.get("p95_ms") is not None]
    judged = [r for r in measured if not r.get("mostly_errors")]
    score = LatencyScore(
        generator=load.data.get("generator"),
        ceiling=load.data.get("ceiling"),
        per_endpoint=runs,
        not_checked=[
            f"{r['target']}: p95 {r['p95_ms']:.1f} ms measured on {r.get('measured_on', 'errors')}"
            for r in measured
            if r.get("mostly_errors")
        ],
    )
    if not judged:
        return score
    worst = max(judged, key=lambda r: r["p95_ms"])
    return score.model_copy(
        update={
            "p50": worst["p50_ms"],
            "p95": worst["p95_ms"],
            "p99": worst["p99_ms"],
            "endpoint": worst["target"],
            "bound_by": worst.get("bound_by"),
            "measured_on": worst.get("measured_on"),
        }
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
        _severity(score.security, security_looked, steps.get("probes")),
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
    # The environment lacked a module: the suite said nothing about the code.
    unexercised = not _ran(tests) or bool(tests.data.get("environment_problem"))
    if not _ran(tests) or unexercised:
        items = [_item("tests pass", None, _why_not(tests, "tests"))]
    else:
        ok = tests.status == "ok" and not t.failed and not t.errors and bool(t.passed)
        items = [_item("tests pass", ok, tests.summary)]
    if targets.coverage_min is None:
        return items  # the coverage gate is switched off in [gates]
    name = f"line coverage >= {targets.coverage_min:g}%"
    if t.coverage_percent is None or unexercised:
        why = "no coverage measured" if _ran(tests) else _why_not(tests, "tests")
        if tests is not None and tests.status == "error":
            why = f"no coverage measured: {tests.summary}"
        return [*items, _item(name, None, why)]
    passed = t.coverage_percent >= targets.coverage_min
    return [*items, _item(name, passed, f"{t.coverage_percent:.1f}% of lines")]


def _load_items(
    load: StepResult | None, score: Scorecard, targets: GatesConfig
) -> list[ChecklistItem]:
    lat = score.latency_ms
    error_rate = f"error rate < {100 * ERROR_RATE_TARGET:g}%"
    p95 = f"p95 < {targets.p95_max_ms:g} ms" if targets.p95_max_ms is not None else None
    why = _why_not(load, "load") if not _ran(load) else load.summary
    reached = _reached(load)
    items = []
    if p95 and targets.p95_max_ms is not None:
        if lat.p95 is None:
            unjudged = "; ".join(lat.not_checked)
            on_errors = f"latency measured on errors: {unjudged}" if unjudged else why
            items.append(_item(p95, None, on_errors))
        else:
            where = f"worst p95 {lat.p95:.1f} ms on {lat.endpoint}"
            how = f" ({lat.generator}{bound_note(lat.bound_by)}, measured on {lat.measured_on})"
            unjudged = f"; not checked: {'; '.join(lat.not_checked)}" if lat.not_checked else ""
            items.append(_item(p95, lat.p95 < targets.p95_max_ms, where + how + unjudged))
    if score.error_rate is None:
        return [*items, _item(error_rate, None, why)]
    rate = score.error_rate
    failed = f"{100 * rate:.2f}% of requests under load failed (non-2xx/3xx or socket error)"
    return [*items, _item(error_rate, rate < ERROR_RATE_TARGET, failed + reached)]


def _reached(load: StepResult | None) -> str:
    reached = load.data.get("reached") if load is not None else None
    if not reached:
        return ""
    return "; reached: " + "; ".join(f"{target} {codes}" for target, codes in reached.items())


def _severity(sec: SecurityScore, looked: bool, probes: StepResult | None) -> ChecklistItem:
    """Fails on any high/critical finding; passes only when the running service was probed
    too: a clean static scan of a service that never answered shows nothing about it."""
    name = "no high/critical findings"
    if not looked:
        return _item(name, None, "no security step ran")
    severe = sec.counts.get("critical", 0) + sec.counts.get("high", 0)
    counts = ", ".join(f"{n} {s}" for s, n in sec.counts.items()) or "no findings"
    evidence = f"grade {sec.label or sec.grade}; {counts}"
    if severe == 0 and sec.scope == "static only":
        why = _why_not(probes, "probes") if probes is not None else "probes step not run"
        return _item(name, None, f"{evidence}; not checked at run time: {why}")
    return _item(name, severe == 0, evidence)


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
        # Example and CI credentials (docker-compose, .env.example, tests) are not the
        # deployment's secrets: they are low findings, not a failed item.
        where = [
            f"{s.location.file}:{s.location.line}"
            for s in facts.secrets
            if not example_credentials(s.location.file)
        ]
        found = ("found at " + ", ".join(where[:5])) if where else "none found in the code"
        items.append(_item("no hard-coded secrets", not where, found))
    return items


def _health(startup: StepResult | None, facts: BackendFacts | None) -> ChecklistItem:
    declared = facts.health_endpoints if facts else []
    down = startup is not None and startup.status in ("error", "skipped")
    if not declared and not down:
        return _item("health endpoint", False, "no health endpoint found in the code")
    if not _ran(startup) or startup.status == "error":
        said = f"{', '.join(declared)} declared" if declared else "none found in the code"
        return _item("health endpoint", None, f"{said}; not checked: the service was not running")
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
    vulnerable = [f for f in security.findings if f.cwe == "CWE-1395"]
    info = security.data.get("pip_audit")
    if not isinstance(info, dict):
        return _item(name, None, "the security step reported no dependency audit")
    skipped = info.get("skipped") or []
    if vulnerable or info.get("status") == "fail":
        return _item(name, False, f"{len(vulnerable)} vulnerable dependency finding(s)")
    if info.get("status") == "pass" and not skipped:
        audited = len(info.get("audited") or [])
        checker = info.get("checker") or "pip-audit"
        return _item(name, True, f"{checker}: {audited} dependencies looked up, none vulnerable")
    why = info.get("reason") or (skipped[0].get("reason") if skipped else "") or "incomplete"
    return _item(name, None, f"{len(skipped)} dependencies not audited: {why}")
