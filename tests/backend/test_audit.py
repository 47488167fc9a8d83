"""The audit's steps on real processes: a tiny stdlib HTTP service written into tmp_path,
a real pytest+coverage run, real wrk load. No PostgreSQL here (see test_audit_services)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bdev.backend.audit import load as load_mod
from bdev.backend.audit.document import render_html, render_markdown, write_report
from bdev.backend.audit.load import Target, measure, measure_ceiling, run_load
from bdev.backend.audit.options import AuditOptions, parse_skip
from bdev.backend.audit.results import Finding, StepResult
from bdev.backend.audit.run import run_audit
from bdev.backend.audit.scorecard import build_scorecard, grade
from bdev.backend.audit.startup import StartupError, running_service
from bdev.backend.audit.testrun import run_tests
from bdev.backend.facts import BackendFacts, Endpoint, EntryPoint
from bdev.errors import BdevError

pytestmark = pytest.mark.slow  # starts real services and test suites

SERVER = '''
"""A tiny JSON service on the standard library: python server.py PORT."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def answer(path):
    if path == "/health":
        return 200, {"status": "ok"}
    if path == "/items":
        return 200, [{"id": 1, "name": "pen"}]
    if path == "/boom":
        return 500, {"error": "boom"}
    return 404, {"error": "not found"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status, body = answer(self.path)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    print("listening", flush=True)
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''

TESTS = """
from server import answer


def test_health():
    assert answer("/health") == (200, {"status": "ok"})


def test_items():
    assert answer("/items")[0] == 200
"""


def make_service(root: Path, extra_tests: str = "") -> BackendFacts:
    (root / "tests").mkdir(parents=True)
    (root / "server.py").write_text(SERVER)
    (root / "tests" / "test_server.py").write_text(TESTS + textwrap.dedent(extra_tests))
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    return BackendFacts(
        root=str(root),
        language="python",
        entry_point=EntryPoint(file="server.py", command=["python", "server.py", "{port}"]),
        endpoints=[
            Endpoint(method="GET", path=p, handler="answer")
            for p in ("/health", "/items", "/i/{x}")
        ],
        health_endpoints=["/health"],
    )


@pytest.fixture
def service(tmp_path: Path) -> tuple[Path, BackendFacts]:
    root = tmp_path / "svc"
    return root, make_service(root)


needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
FAST = {"duration_s": 1.0, "concurrency": 2, "test_timeout_s": 60}


# --- tests + coverage --------------------------------------------------------------------


def test_tests_step_counts_failures_and_measures_coverage(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    make_service(root, "\ndef test_broken():\n    assert answer('/nope')[0] == 200\n")
    work = tmp_path / "work"
    work.mkdir()
    step = run_tests(root, work, timeout_s=60, env={"PATH": "/usr/bin:/bin"})
    assert step.status == "failed"
    assert (step.data["passed"], step.data["failed"], step.data["errors"]) == (2, 1, 0)
    # server.py: answer() runs, the HTTP handler never does; tests are not counted.
    assert 10 < step.data["coverage_percent"] < 80
    assert "test_broken" in step.data["output_tail"]


def test_hanging_suite_times_out_and_keeps_partial_output(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    make_service(root, "\ndef test_hangs():\n    import time\n    time.sleep(120)\n")
    work = tmp_path / "work"
    work.mkdir()
    # 10 s leaves a loaded CI machine time to start pytest and run the two quick tests.
    step = run_tests(root, work, timeout_s=10, env={"PATH": "/usr/bin:/bin"})
    assert step.status == "error"
    assert step.summary == "test suite timed out after 10 s"
    assert step.data["timed_out"] is True
    assert step.duration_s < 30
    assert ".." in step.data["output_tail"]  # the two tests that passed before the hang


def test_suite_that_cannot_be_collected_says_why(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    make_service(root, "\nimport no_such_module_here\n")
    work = tmp_path / "work"
    work.mkdir()
    step = run_tests(root, work, timeout_s=60, env={"PATH": "/usr/bin:/bin"})
    assert step.status == "error"
    assert step.summary.endswith("No module named 'no_such_module_here'")
    assert step.data["errors"] == 1


# --- start-up ----------------------------------------------------------------------------


def test_service_starts_and_health_is_checked(service, tmp_path: Path) -> None:
    root, facts = service
    port = load_mod.free_port()
    with running_service(
        root, facts, port=port, cmd=None, env={"PATH": "/usr/bin:/bin"},
        log=tmp_path / "svc.log", timeout_s=15,
    ) as svc:  # fmt: skip
        assert svc.health == [
            {"path": "/health", "status_code": 200, "ok": True, "body": '{"status": "ok"}'}
        ]
        pid = svc.proc.pid
    assert svc.proc.poll() is not None, f"service {pid} still running after the context"


def test_service_that_fails_to_start_reports_its_log_tail(service, tmp_path: Path) -> None:
    root, facts = service
    cmd = f"{sys.executable} -c \"import sys; print('missing SECRET_KEY'); sys.exit(3)\" {{port}}"
    with (
        pytest.raises(StartupError, match=r"exited with code 3[\s\S]*missing SECRET_KEY"),
        running_service(
            root,
            facts,
            port=load_mod.free_port(),
            cmd=cmd,
            env={},
            log=tmp_path / "svc.log",
            timeout_s=15,
        ),  # fmt: skip
    ):
        pass


def _gone(pid: int, within_s: float = 5.0) -> bool:
    """True once `pid` no longer runs (absent, or a zombie awaiting its reaper)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def _none_running(arg: str, within_s: float = 5.0) -> bool:
    """True once no live process has `arg` among its arguments."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not _pids_with(arg):
            return True
        time.sleep(0.1)
    return False


def _pids_with(arg: str) -> list[int]:
    """Live (not zombie) processes with `arg` among their arguments."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or arg.encode() not in (proc / "cmdline").read_bytes():
                continue
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def test_service_that_never_answers_is_stopped_with_its_children(service, tmp_path: Path) -> None:
    root, facts = service
    # Found by its arguments: a PID written from inside the sandbox is its namespace's own.
    marker = f"60.{os.getpid()}{time.monotonic_ns() % 10_000}"
    code = (
        f"import subprocess, time; child = subprocess.Popen(['sleep', {marker!r}]);"
        " print('booting', flush=True); time.sleep(60)"
    )
    with (
        pytest.raises(StartupError, match=r"did not answer HTTP within 2 s; log tail:\nbooting"),
        running_service(
            root,
            facts,
            port=load_mod.free_port(),
            cmd=f"{sys.executable} -c {code!r} {{port}}",
            env={"PATH": "/usr/bin:/bin"},
            log=tmp_path / "svc.log",
            timeout_s=2,
        ),  # fmt: skip
    ):
        pass
    assert _none_running(marker), "the service's child outlived the audit"


def test_port_in_use_is_refused_before_starting(service, tmp_path: Path) -> None:
    root, facts = service
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BdevError, match=f"--port {port}: the port is already in use"):
            run_audit(root, AuditOptions(port=port), facts=facts)
        with (
            pytest.raises(StartupError, match="already in use"),
            running_service(
                root, facts, port=port, cmd=None, env={}, log=tmp_path / "l", timeout_s=5
            ),
        ):
            pass


# --- load --------------------------------------------------------------------------------


@needs_wrk
def test_wrk_load_with_generator_ceiling(service, tmp_path: Path) -> None:
    root, facts = service
    port = load_mod.free_port()
    with running_service(
        root, facts, port=port, cmd=None, env={"PATH": "/usr/bin:/bin"},
        log=tmp_path / "svc.log", timeout_s=15,
    ) as svc:  # fmt: skip
        step = run_load(
            svc.base_url, facts, concurrency=2, duration_s=1, max_requests=100_000, workdir=tmp_path
        )
        boom = measure(
            "wrk", svc.base_url, Target(path="/boom"),
            concurrency=2, duration_s=1, max_requests=50, workdir=tmp_path,
        )  # fmt: skip
    data = step.data
    assert step.status == "ok" and data["generator"] == "wrk"
    # /i/{x} has a path parameter: not loaded, and said so.
    assert [e["target"] for e in data["endpoints"]] == ["GET /health", "GET /items"]
    assert data["not_loaded"] == ["GET /i/{x}: path parameters"]
    assert data["ceiling"]["requests"] > 0 and data["ceiling"]["p95_ms"] > 0
    for run in data["endpoints"]:
        assert run["requests"] > 0 and run["error_rate"] == 0
        assert 0 < run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"]
        assert run["bound_by"] in ("service", "generator")
    # Every 500 counts as an error, and the request cap holds.
    assert boom.error_rate == 1.0 and boom.non_2xx_3xx == boom.requests
    assert 0 < boom.requests <= 60


def test_httpx_fallback_generator_measures(tmp_path: Path) -> None:
    ceiling = measure_ceiling("httpx", concurrency=2, duration_s=0.5, workdir=tmp_path)
    assert ceiling.requests > 10 and ceiling.error_rate == 0
    assert ceiling.p50_ms is not None and ceiling.p50_ms <= ceiling.p99_ms


def test_load_refuses_non_loopback(tmp_path: Path) -> None:
    with pytest.raises(BdevError, match="loopback"):
        measure("wrk", "http://10.0.0.1:80", Target(path="/"), concurrency=1, duration_s=1,
                max_requests=1, workdir=tmp_path)  # fmt: skip


def test_scenario_file_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "scenario.yaml"
    bad.write_text("requests:\n  - method: GET\n")
    with pytest.raises(BdevError, match=r"scenario field requests\.0\.path"):
        load_mod.load_scenario(bad)


# --- scorecard ---------------------------------------------------------------------------


def _f(severity: str, tool: str = "bandit") -> Finding:
    return Finding(cwe="CWE-1", severity=severity, title="t", location="a.py:1", tool=tool)


@pytest.mark.parametrize(
    ("severities", "letter"),
    [
        ([], "A+"),
        (["info", "info"], "A+"),
        (["low"], "A"),
        (["medium", "low"], "B"),
        (["medium"] * 4, "C"),
        (["high"], "C"),
        (["high", "high"], "D"),
        (["critical"], "F"),
    ],
)
def test_grade_rubric(severities: list[str], letter: str) -> None:
    assert grade([_f(s) for s in severities]) == letter


def _security(pip_audit: dict, findings: list[Finding] | None = None) -> StepResult:
    return StepResult(
        name="security", status="ok", data={"pip_audit": pip_audit}, findings=findings or []
    )


def test_unreachable_pip_audit_is_not_checked_never_pass(tmp_path: Path) -> None:
    facts = BackendFacts(root=str(tmp_path))
    unreachable = {
        "status": "not checked",
        "audited": [],
        "skipped": [{"name": "flask", "reason": "Dependency not found on PyPI"}],
    }
    checks = {
        c.name: c for c in build_scorecard([_security(unreachable)], facts, tmp_path).checklist
    }
    deps = checks["dependencies without known vulnerabilities"]
    assert deps.status == "not checked" and "Dependency not found on PyPI" in deps.evidence

    clean = {"status": "pass", "audited": [{"name": "flask"}], "skipped": []}
    checks = {c.name: c for c in build_scorecard([_security(clean)], facts, tmp_path).checklist}
    assert checks["dependencies without known vulnerabilities"].status == "pass"

    vulnerable = _security({"status": "fail", "skipped": []}, [_f("high", "pip-audit")])
    score = build_scorecard([vulnerable], facts, tmp_path)
    checks = {c.name: c for c in score.checklist}
    assert checks["dependencies without known vulnerabilities"].status == "fail"
    assert checks["no high/critical findings"].status == "fail"
    assert score.security.grade == "C"


def test_nothing_measured_means_not_checked(tmp_path: Path) -> None:
    score = build_scorecard([], BackendFacts(root=str(tmp_path)), tmp_path)
    statuses = {c.name: c.status for c in score.checklist}
    assert score.security.grade is None
    for name in ("tests pass", "p95 < 100 ms", "OpenAPI conformance", "no high/critical findings"):
        assert statuses[name] == "not checked"
    assert statuses["health endpoint"] == "fail"  # none declared: a fact, not a guess


# --- whole audit -------------------------------------------------------------------------


@needs_wrk
def test_full_audit_json_keys_reports_and_progress(service, tmp_path: Path) -> None:
    root, facts = service
    messages: list[str] = []
    options = AuditOptions(**FAST, skip=parse_skip("security"))
    report = run_audit(root, options, messages.append, facts=facts)

    data = json.loads(json.dumps(report.to_json()))
    assert {"endpoints", "tests", "latency_ms", "security", "checklist", "steps"} <= set(data)
    assert data["endpoints"] == 3
    assert data["tests"]["passed"] == 2 and data["tests"]["failed"] == 0
    assert data["tests"]["coverage_percent"] > 0
    assert {"p50", "p95", "p99"} <= set(data["latency_ms"])
    assert data["latency_ms"]["p95"] > 0 and data["latency_ms"]["generator"] == "wrk"
    assert {"grade", "findings"} <= set(data["security"])
    steps = {s["name"]: s["status"] for s in data["steps"]}
    assert steps["tests"] == "ok" and steps["startup"] == "ok" and steps["load"] == "ok"
    assert steps["security"] == "skipped" and steps["services"] == "skipped"
    assert "tests: running" in messages and any(m.startswith("load: ok") for m in messages)

    md, html = tmp_path / "r.md", tmp_path / "r.html"
    write_report(report, md)
    write_report(report, html)
    assert "| p95 < 100 ms |" in md.read_text() and "## Latency per endpoint" in md.read_text()
    assert "<td>GET /health</td>" in html.read_text()
    with pytest.raises(BdevError, match=r"use \.md or \.html"):
        write_report(report, tmp_path / "r.pdf")


def test_audit_keeps_earlier_steps_when_the_service_will_not_start(service) -> None:
    root, facts = service
    options = AuditOptions(
        **FAST, startup_timeout_s=10, skip=parse_skip("security"),
        cmd=f"{sys.executable} -c \"raise SystemExit('cannot bind <script>')\" {{port}}",
    )  # fmt: skip
    report = run_audit(root, options, facts=facts)
    startup = report.step("startup")
    assert startup.status == "error" and "cannot bind <script>" in startup.summary
    assert report.tests.passed == 2  # measured before start-up failed
    for name in ("conformance", "probes", "load"):
        assert report.step(name).status == "skipped"
    checks = {c.name: c.status for c in report.checklist}
    assert checks["service starts"] == "fail" and checks["p95 < 100 ms"] == "not checked"
    assert "&lt;script&gt;" in render_html(report)  # evidence is escaped in HTML
    assert "| startup | error |" in render_markdown(report)


def test_not_a_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BdevError, match="does not look like a backend"):
        run_audit(tmp_path, AuditOptions(), facts=BackendFacts(root=str(tmp_path)))
    with pytest.raises(BdevError, match="nowhere: not a directory"):
        run_audit(tmp_path / "nowhere", AuditOptions())


def test_a_service_bdev_cannot_provide_is_an_error_not_a_silent_pass(service) -> None:
    root, facts = service
    facts.services = ["mongodb"]
    skip = parse_skip("tests,migrations,startup,security")
    report = run_audit(root, AuditOptions(skip=skip), facts=facts)
    step = report.step("services")
    assert step.status == "error" and step.summary == "bdev cannot provide mongodb"


def test_bad_options_are_refused() -> None:
    with pytest.raises(BdevError, match="unknown step lod"):
        AuditOptions(skip=parse_skip("lod,security"))
    with pytest.raises(BdevError, match="--concurrency"):
        AuditOptions(concurrency=0)


@needs_wrk
def test_cli_prints_one_json_object(service, monkeypatch) -> None:
    import typer
    from typer.testing import CliRunner

    from bdev.backend.audit import run as runner
    from bdev.cli.audit_cmd import audit

    root, facts = service
    monkeypatch.setattr(runner, "_analyze", lambda _root: facts)
    app = typer.Typer()
    app.command()(audit)
    result = CliRunner().invoke(
        app, [str(root), "--json", "--duration", "1", "--concurrency", "2", "--skip", "security"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tests"]["passed"] == 2 and data["latency_ms"]["p95"] > 0
    assert "load" in result.stderr  # progress went to stderr


WRITES_DATA = """

def test_registers_into_the_services_database():
    import sqlite3

    with sqlite3.connect("data.db") as db:
        db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT UNIQUE)")
        db.execute("INSERT INTO users VALUES ('alice')")  # fails once alice is there
    with sqlite3.connect("made-by-tests.db") as db:
        db.execute("CREATE TABLE t (x)")
"""


def test_the_audit_leaves_the_services_databases_as_it_found_them(tmp_path: Path) -> None:
    import sqlite3

    root = tmp_path / "svc"
    facts = make_service(root, WRITES_DATA)
    with sqlite3.connect(root / "data.db") as db:
        db.execute("CREATE TABLE users (name TEXT UNIQUE)")
        db.execute("INSERT INTO users VALUES ('ada')")
    db.close()
    options = AuditOptions(**FAST, skip=parse_skip("security,startup,load,conformance,probes"))
    for _ in range(2):  # the second audit meets the same data as the first
        data = run_audit(root, options, lambda _m: None, facts=facts).to_json()
        assert data["tests"]["passed"] == 3 and data["tests"]["failed"] == 0, data["tests"]
    with sqlite3.connect(root / "data.db") as db:
        assert [r[0] for r in db.execute("SELECT name FROM users")] == ["ada"]
    db.close()
    assert not (root / "made-by-tests.db").exists()
