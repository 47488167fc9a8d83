"""The backend workflow end to end with the scripted model and a real audit:
a failing gate, a fix round, a passing run, and reports built from measurements only."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bdev import trust
from bdev.backend.audit.options import AuditOptions
from bdev.config import GatesConfig, load_config, user_config_path
from bdev.workflow.backend import WorkflowOptions, run_backend_workflow
from support.runtime import make_runner, write_agent

APP = """from fastapi import FastAPI, Request
from pydantic import BaseModel

app = FastAPI(title="items")
ITEMS = [{"id": i, "name": f"item {i}"} for i in range(1, 31)]


class Item(BaseModel):
    id: int
    name: str


class Page(BaseModel):
    items: list[Item]
    total: int


@app.middleware("http")
async def security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["Strict-Transport-Security"] = "max-age=63072000"
    return response


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/items", response_model=Page)
def list_items(limit: int = 10, offset: int = 0) -> Page:
    limit = max(1, min(limit, 100))
    offset = max(0, offset)
    return Page(items=ITEMS[offset : offset + limit], total=len(ITEMS))
"""

TESTS = """from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_health():
    assert client.get("/health").json() == {"status": "ok"}


def test_pagination():
    page = client.get("/v1/items", params={"limit": 5, "offset": 10}).json()
    assert [i["id"] for i in page["items"]] == [11, 12, 13, 14, 15]
    assert page["total"] == 30


def test_limit_is_bounded():
    assert len(client.get("/v1/items", params={"limit": 1000}).json()["items"]) == 30
"""


def write(path: str, content: str) -> dict:
    return {"name": "Write", "arguments": {"file_path": path, "content": content}}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_failing_gate_fix_round_then_ready(workspace: Path) -> None:
    (workspace / ".bdev").mkdir()
    (workspace / ".bdev" / "config.toml").write_text(
        # This test is about the flow, not this machine's speed under a parallel test run.
        "[gates]\np95_max_ms = 5000\n[audit]\nduration_s = 1\nconcurrency = 2\n"
    )
    # A looser gate in a project's own config needs the user's trust (bdev.trust).
    trust.trust(workspace, workspace / ".bdev" / "config.toml", user_config_path().parent)
    write_agent(workspace / ".claude" / "agents", "backend-dev", tools="Read, Write, Bash")
    turns = [
        # Round 1: a small model's classic: a plan in prose, no tool call.
        {"content": "Plan: 1. write app/main.py 2. write tests. Coverage will be 99%."},
        # Round 2: the service, but no tests.
        {
            "tool_calls": [
                write("app/__init__.py", ""),
                write("app/main.py", APP),
                write("requirements.txt", "fastapi\nuvicorn\nhttpx\n"),
            ]
        },
        {"content": "Done. Test coverage 99%, p95 1ms, security A+."},
        # No test names the new endpoint: bdev writes them, and asks the model only for
        # the expectation the request states (one checked slot).
        {"content": '```python\nassert isinstance(data["items"], list)\n```'},
    ]
    runner = make_runner(workspace, turns, mode="bypassPermissions", **{"gates.max_rounds": 3})
    config = load_config(workspace, {"gates.max_rounds": 3})
    definition = runner.registry.get("backend-dev")
    result = run_backend_workflow(
        runner,
        "add GET /v1/items with limit/offset pagination",
        definition,
        WorkflowOptions.from_config(config),
    )

    assert result.rounds == 2
    assert result.status == "ready", [g for g in result.gates if not g.passed]
    assert (workspace / "tests" / "test_api_generated.py").is_file()
    events = [
        json.loads(x)
        for x in (workspace / ".bdev" / "sessions" / f"{result.session_id}.jsonl")
        .read_text()
        .splitlines()
    ]
    kinds = [e["type"] for e in events]
    assert kinds.index("context_request") < kinds.index("context_response") < kinds.index("gates")
    request = next(e for e in events if e["type"] == "context_request")
    assert request["request_type"] == "get_backend_context"
    rounds = [e["gates"] for e in events if e["type"] == "gates"]
    assert not next(g for g in rounds[0] if g["name"] == "changes")["passed"]
    assert next(g for g in rounds[1] if g["name"] == "changes")["passed"]
    assert next(g for g in rounds[1] if g["name"] == "tests")["passed"]
    feedback = [
        e["message"]["content"]
        for e in events
        if e["type"] == "message"
        and e["message"]["role"] == "user"
        and "bdev measured your work" in e["message"]["content"]
    ]
    assert len(feedback) == 1 and "You changed no file" in feedback[0]

    report_dir = workspace / ".bdev" / "reports" / result.session_id
    delivery = json.loads((report_dir / "delivery.json").read_text())
    audit = json.loads((report_dir / "audit.json").read_text())
    assert delivery["status"] == "ready"
    assert {g["name"] for g in delivery["gates"]} >= {
        "tests",
        "coverage",
        "latency_p95",
        "security",
        "openapi",
        "health",
    }
    assert all(g["evidence"] for g in delivery["gates"])
    measured = audit["tests"]["coverage_percent"]
    assert delivery["progress"]["progress"]["test_coverage"] == f"{measured:.0f}%"
    assert delivery["progress"]["progress"]["endpoints_created"] == 2
    assert "app/main.py" in delivery["changes"]["added"]
    assert (report_dir / "delivery.md").read_text().startswith("# Delivery report: ready")
    # The model claimed 99% coverage and a 1 ms p95; only measurements reach the report.
    if round(measured) != 99:
        text = json.dumps(delivery)
        assert "99%" not in text
    assert "p95 1ms" not in delivery["notification"]
    assert f"{audit['latency_ms']['p95']:.0f} ms" in delivery["notification"]


def test_no_gates_skips_the_readiness_phase(workspace: Path) -> None:
    write_agent(workspace / ".claude" / "agents", "backend-dev", tools="Write")
    runner = make_runner(workspace, [{"content": "nothing to do"}])
    definition = runner.registry.get("backend-dev")
    result = run_backend_workflow(runner, "task", definition, WorkflowOptions(run_gates=False))
    assert result.status == "not checked"
    assert not (workspace / ".bdev" / "reports").exists()


HEALTH_APP = """from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""
README_TASK = (
    'create app.py with a FastAPI GET /health that returns {"status": "ok"}, with a pytest test'
)


def test_bdev_writes_the_tests_a_small_model_only_claims(workspace: Path) -> None:
    """The README's job: the model writes app.py and says it wrote a test; bdev writes
    tests/test_api_generated.py, the model fills only the request's expectation, and the
    audit measures the suite again before the gates decide."""
    write_agent(workspace / ".claude" / "agents", "backend-dev", tools="Read, Write")
    turns = [
        {"tool_calls": [write("app.py", HEALTH_APP), write("requirements.txt", "fastapi\n")]},
        {"content": "Done: app.py and a pytest test in tests/test_app.py, all passing."},
        # The one slot, for GET /health, as a small model writes it.
        {"content": '```python\nassert response.json() == {"status": "ok"}\n```'},
    ]
    runner = make_runner(workspace, turns)
    slow_steps = {"services", "migrations", "conformance", "probes", "load", "security"}
    options = WorkflowOptions(
        gates=GatesConfig(p95_max_ms=None, openapi=False, max_rounds=1),
        # This machine's interpreter has FastAPI: no environment is built.
        audit=AuditOptions(python=sys.executable, skip=frozenset(slow_steps)),
    )
    lines: list[str] = []
    result = run_backend_workflow(
        runner, README_TASK, runner.registry.get("backend-dev"), options, lines.append
    )

    generated = workspace / "tests" / "test_api_generated.py"
    text = generated.read_text()
    assert text.startswith("# bdev:generated-tests")
    assert "def test_get_health_succeeds" in text
    assert 'assert data == {"status": "ok"}' in text
    gates = {g.name: g for g in result.gates}
    assert gates["tests"].passed, gates["tests"].evidence
    assert gates["tests"].measured["passed"] == 2  # the skeleton's test and the slot's
    assert gates["coverage"].passed and gates["health"].passed and gates["changes"].passed
    # Only the security scan, skipped here, keeps the run from `ready`.
    assert [g.name for g in result.gates if not g.passed] == ["security"]
    assert any("bdev wrote tests/test_api_generated.py" in line for line in lines)
    delivery = json.loads((result.report_dir / "delivery.json").read_text())
    assert "bdev wrote tests/test_api_generated.py" in delivery["notification"]
    assert delivery["changes"]["added"] == ["app.py", "requirements.txt"]  # the agent's own
