"""Gates and messages from a constructed audit report: every figure comes from it."""

from __future__ import annotations

from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.results import Finding, StepResult
from bdev.backend.audit.scorecard import LatencyScore, SecurityScore
from bdev.backend.audit.scorecard import TestsScore as Measured
from bdev.workflow import messages
from bdev.workflow.gates import GateConfig, evaluate


def report(**kw) -> AuditReport:
    r = AuditReport(root="/x", started_at="2026-11-22T00:00:00+00:00", endpoints=7)
    r.tests = Measured(passed=12, failed=0, errors=0, coverage_percent=43.2)
    r.latency_ms = LatencyScore(p50=20.0, p95=123.4, p99=200.0, endpoint="GET /items")
    high = Finding(cwe="CWE-89", severity="high", title="SQL injection", location="GET /q")
    r.security = SecurityScore(grade="C", findings=[high], counts={"high": 1})
    r.steps = [
        StepResult(name="tests", status="ok"),
        StepResult(
            name="startup",
            status="ok",
            data={"health": [{"path": "/health", "ok": True, "status_code": 200}]},
        ),
        StepResult(
            name="conformance",
            status="ok",
            data={
                "operations": 7,
                "operations_tested": 7,
                "server_errors": 0,
                "schema_violations": 0,
            },
        ),
        StepResult(name="load", status="ok"),
    ]
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def by_name(gates):
    return {g.name: g for g in gates}


def test_each_default_gate_reads_its_measurement() -> None:
    g = by_name(evaluate(report(), GateConfig()))
    assert g["tests"].passed and "12 passed" in g["tests"].evidence
    assert not g["coverage"].passed and "43.2% < 80%" in g["coverage"].evidence
    assert not g["latency_p95"].passed and "123.4 ms" in g["latency_p95"].evidence
    assert not g["security"].passed and "CWE-89" in g["security"].evidence
    assert g["openapi"].passed and g["health"].passed
    assert all("audit.json#" in x.evidence for x in g.values())


def test_thresholds_are_configurable() -> None:
    cfg = GateConfig(coverage_min=40, p95_max_ms=150, max_severity="high")
    g = by_name(evaluate(report(), cfg))
    assert g["coverage"].passed and g["latency_p95"].passed and g["security"].passed


def test_a_missing_measurement_fails_its_gate() -> None:
    r = report(tests=Measured(), latency_ms=LatencyScore(), security=SecurityScore())
    r.steps = [StepResult(name="tests", status="error", summary="timed out after 300 s")]
    g = by_name(evaluate(r, GateConfig()))
    assert not any(x.passed for x in g.values())
    assert "not measured: timed out after 300 s" in g["tests"].evidence
    assert "not measured" in g["openapi"].evidence and "not measured" in g["health"].evidence


def test_progress_and_notification_carry_measured_figures_only() -> None:
    r = report()
    gates = evaluate(r, GateConfig())
    p = messages.progress("backend-developer", "implementing", r, endpoints_before=3)
    assert p["progress"] == {
        "endpoints_created": 4,
        "test_coverage": "43%",
        "response_time_p95": "123ms",
        "security_score": "C",
    }
    assert set(p["evidence"]) == set(p["progress"])
    text = messages.delivery_notification(r, gates, endpoints_before=3)
    assert text.startswith("Backend work is not ready yet.")
    assert "7 API endpoints (4 new)" in text and "43% line coverage" in text
    assert "123 ms" in text and "security grade C" in text and "coverage" in text


def test_unmeasured_progress_says_so() -> None:
    r = report(tests=Measured(), latency_ms=LatencyScore(), security=SecurityScore())
    p = messages.progress("backend-developer", "implementing", r, endpoints_before=0)
    assert p["progress"]["test_coverage"] == "not measured"
    assert p["progress"]["response_time_p95"] == "not measured"
    assert p["progress"]["security_score"] == "not measured"


def test_context_messages_have_the_seed_shape() -> None:
    req = messages.context_request("backend-developer")
    assert req["requesting_agent"] == "backend-developer"
    assert req["request_type"] == "get_backend_context"
    assert "tech stack" in req["payload"]["query"]
    resp = messages.context_response("backend-developer", {"tech_stack": ["python"]})
    assert resp["request_type"] == "get_backend_context" and resp["payload"]["tech_stack"]


def test_the_openapi_gate_fails_on_its_target_only_and_names_the_rest() -> None:
    """As the change suite's library service measured: only 401s and a 409 the document
    does not list (FastAPI lists no HTTPException status)."""
    undocumented = {"check": "ST103 Undocumented status code", "operation": "GET /me/loans"}
    r = report()
    step = r.step("conformance")
    step.status, step.data["failures"] = "failed", [undocumented] * 6
    g = by_name(evaluate(r, GateConfig()))["openapi"]
    assert g.passed
    assert g.evidence.startswith(
        "7 operations exercised, 0 server errors, 0 schema violations; outside the target: "
        "6 other failed checks (ST103 Undocumented status code x6)"
    )
    violation = {"check": "ST108 Response violates schema", "operation": "GET /items"}
    step.data.update(schema_violations=1, failures=[violation, undocumented])
    g = by_name(evaluate(r, GateConfig()))["openapi"]
    assert not g.passed and "1 schema violations; outside the target: 1 other" in g.evidence
