"""Nothing passes unexercised: what the audit's steps reached is reported, and a verdict
rests only on traffic that reached the service, code that ran and environments that
imported. Real services from tests/fixtures/services, copied into tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bdev.backend.audit import environment
from bdev.backend.audit.discovery import discovery, unittest_files
from bdev.backend.audit.document import render_html, render_markdown
from bdev.backend.audit.envproblem import environment_problem
from bdev.backend.audit.load import measure, run_load
from bdev.backend.audit.migrations import alembic_layout, run_migrations
from bdev.backend.audit.options import AuditOptions, parse_skip
from bdev.backend.audit.probes import run_probes
from bdev.backend.audit.procs import free_port
from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.results import Finding, StepResult
from bdev.backend.audit.run import run_audit
from bdev.backend.audit.scorecard import build_scorecard
from bdev.backend.audit.startup import Service, running_service
from bdev.backend.audit.testrun import run_tests
from bdev.backend.audit.unittest_output import parse_unittest, unittest_failures
from bdev.backend.facts import BackendFacts, Endpoint, EntryPoint
from bdev.workflow.gates import GateConfig, evaluate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "services"
PATH = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def copy_fixture(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def workdir(tmp_path: Path, name: str = "work") -> Path:
    work = tmp_path / name
    work.mkdir(exist_ok=True)
    return work


def checks(steps: list[StepResult], facts: BackendFacts, root: Path) -> dict:
    return {c.name: c for c in build_scorecard(steps, facts, root).checklist}


def report_of(steps: list[StepResult], facts: BackendFacts, root: Path) -> AuditReport:
    score = build_scorecard(steps, facts, root)
    return AuditReport(**dict(score), root=str(root), started_at="2026-12-01T00:00:00+00:00",
                       steps=steps, facts=facts)  # fmt: skip


# --- a service whose routes answer 404 (the analysed paths lack its /api prefix) ---------


def orders_facts(root: Path, *paths: str) -> BackendFacts:
    return BackendFacts(
        root=str(root),
        language="python",
        entry_point=EntryPoint(file="server.py", command=["python", "server.py", "{port}"]),
        endpoints=[Endpoint(method="GET", path=p, handler="do_GET") for p in paths],
    )


@pytest.fixture
def notfound(tmp_path: Path) -> Iterator[tuple[Service, Path]]:
    root = copy_fixture("notfound_everywhere", tmp_path)
    with running_service(
        root, orders_facts(root, "/orders"), port=free_port(), cmd=None, env=PATH,
        log=tmp_path / "service.log", timeout_s=15,
    ) as service:  # fmt: skip
        yield service, root


LOAD = {"concurrency": 2, "duration_s": 1.0, "max_requests": 300}


@pytest.mark.slow
def test_latency_of_404s_is_reported_as_such_and_never_passes(notfound, tmp_path: Path) -> None:
    service, root = notfound
    facts = orders_facts(root, "/orders")
    load = run_load(service.base_url, facts, workdir=tmp_path, **LOAD)

    run = load.data["endpoints"][0]
    assert run["status_counts"].keys() == {"404"} and run["status_counts"]["404"] == run["requests"]
    assert run["measured_on"] == "100% 404" and run["mostly_errors"] is True
    assert load.data["reached"] == {"GET /orders": f"404×{run['requests']}"}
    assert load.status == "failed" and "latency not checked" in load.summary
    assert f"GET /orders 404×{run['requests']}" in load.summary

    report = report_of([load], facts, root)
    assert report.latency_ms.p95 is None  # no headline p95 from error pages
    assert "measured on 100% 404" in report.latency_ms.not_checked[0]
    by_name = {c.name: c for c in report.checklist}
    assert by_name["p95 < 100 ms"].status == "not checked"
    assert "measured on 100% 404" in by_name["p95 < 100 ms"].evidence
    assert by_name["error rate < 1%"].status == "fail"  # measured: every answer was a 404
    assert "reached: GET /orders 404×" in by_name["error rate < 1%"].evidence
    gate = {g.name: g for g in evaluate(report, GateConfig())}["latency_p95"]
    assert not gate.passed and "measured only on error responses" in gate.evidence
    assert "| load | GET /orders | 404×" in render_markdown(report)
    assert "<td>GET /orders</td><td>404×" in render_html(report)


@pytest.mark.slow
def test_p95_is_judged_on_the_endpoints_that_answered(notfound, tmp_path: Path) -> None:
    service, root = notfound
    facts = orders_facts(root, "/api/orders", "/orders")
    load = run_load(service.base_url, facts, workdir=tmp_path, **LOAD)
    assert load.status == "ok" and load.data["worst"] == "GET /api/orders"
    assert load.data["reached"]["GET /api/orders"].startswith("200×")
    assert load.data["latency_not_checked"][0].startswith("GET /orders: p95")

    score = build_scorecard([load], facts, root)
    assert score.latency_ms.endpoint == "GET /api/orders"
    assert score.latency_ms.measured_on == "100% 2xx/3xx"
    p95 = {c.name: c for c in score.checklist}["p95 < 100 ms"]
    assert "not checked: GET /orders: p95" in p95.evidence and "100% 404" in p95.evidence
    # The fallback generator counts codes the same way.
    other = "httpx" if load.data["generator"] == "wrk" else "wrk"
    if shutil.which(other) or other == "httpx":
        from bdev.backend.audit.load import Target

        run = measure(other, service.base_url, Target(path="/orders"), concurrency=2,
                      duration_s=0.5, max_requests=50, workdir=tmp_path)  # fmt: skip
        assert run.status_counts == {"404": run.requests} and run.mostly_errors


@pytest.mark.slow
def test_probes_that_reach_no_endpoint_are_not_checked(notfound) -> None:
    service, root = notfound
    facts = orders_facts(root, "/orders")
    facts.endpoints.append(Endpoint(method="POST", path="/orders", handler="do_POST"))
    step = run_probes(service.base_url, facts, None)
    assert step.status == "error"
    assert step.summary.startswith("not checked: the probes reached no endpoint")
    assert step.data["operations_reached"] == []
    assert step.data["reached"]["GET /orders"].startswith("404×")
    assert step.data["reached"]["POST /orders"].startswith("404×")
    # Findings seen on the way (the 404 pages' headers) are kept, but grade nothing.
    score = build_scorecard([step.model_copy(update={"name": "probes"})], facts, root)
    assert score.security.grade is None

    reachable = run_probes(service.base_url, orders_facts(root, "/api/orders"), None)
    assert reachable.status != "error" and reachable.data["operations_reached"] == [
        "GET /api/orders"
    ]
    assert "reached 1 of 1 operations" in reachable.summary


# --- a service that crashes while importing ----------------------------------------------


@pytest.mark.slow
def test_a_service_that_did_not_start_is_not_checked_at_run_time(tmp_path: Path) -> None:
    root = copy_fixture("crash_at_import", tmp_path)
    facts = BackendFacts(
        root=str(root),
        language="python",
        entry_point=EntryPoint(file="app.py", command=["python", "app.py", "{port}"]),
        endpoints=[Endpoint(method="GET", path="/orders", handler="do_GET")],
        health_endpoints=["/health"],
    )
    options = AuditOptions(startup_timeout_s=15, skip=parse_skip("tests,migrations"))
    report = run_audit(root, options, facts=facts)

    assert report.step("startup").status == "error"
    assert "KeyError: 'ORDERS_DATABASE_URL'" in report.step("startup").summary
    for name in ("conformance", "probes", "load"):
        step = report.step(name)
        assert step.status == "skipped"
        assert step.summary.startswith("not checked: the service did not start (the service ")
    by_name = {c.name: c for c in report.checklist}
    assert by_name["service starts"].status == "fail"
    for name in ("health endpoint", "p95 < 100 ms", "error rate < 1%", "OpenAPI conformance"):
        assert by_name[name].status == "not checked", by_name[name]
    # The static scan ran; the grade says it is all there is.
    assert report.step("security").status in ("ok", "failed")
    sec = report.security
    assert sec.scope == "static only" and sec.label == f"{sec.grade} (static only)"
    severe = by_name["no high/critical findings"]
    assert severe.status == "not checked" and "(static only)" in severe.evidence
    assert "the service did not start" in severe.evidence
    gate = {g.name: g for g in evaluate(report, GateConfig())}["security"]
    assert not gate.passed and "not measured at run time" in gate.evidence
    assert f"| security grade | {sec.label} |" in render_markdown(report)


def test_static_only_grade_can_fail_but_not_pass(tmp_path: Path) -> None:
    facts = BackendFacts(root=str(tmp_path))
    critical = Finding(cwe="CWE-798", severity="critical", title="key", location="a.py:1")
    static = StepResult(name="security", status="failed", findings=[critical])
    why = "not checked: the service did not start"
    probes = StepResult(name="probes", status="skipped", summary=why)
    score = build_scorecard([static, probes], facts, tmp_path)
    assert score.security.label == "F (static only)"
    assert {c.name: c for c in score.checklist}["no high/critical findings"].status == "fail"

    clean_static = StepResult(name="security", status="ok")
    probed = StepResult(name="probes", status="ok", summary="0 findings")
    score = build_scorecard([clean_static, probed], facts, tmp_path)
    assert score.security.scope == "static + probes" and score.security.label == "A+"
    assert {c.name: c for c in score.checklist}["no high/critical findings"].status == "pass"


def test_health_is_not_checked_when_the_service_did_not_start(tmp_path: Path) -> None:
    facts = BackendFacts(root=str(tmp_path))  # no health endpoint found in the code
    down = StepResult(name="startup", status="error", summary="exited with code 1")
    health = {c.name: c for c in build_scorecard([down], facts, tmp_path).checklist}
    assert health["health endpoint"].status == "not checked"
    up = StepResult(name="startup", status="ok", data={"health": []})
    health = {c.name: c for c in build_scorecard([up], facts, tmp_path).checklist}
    assert health["health endpoint"].status == "fail"  # it ran, and nothing was declared


# --- test suites: unittest discovery, environment problems --------------------------------


@pytest.mark.slow
def test_a_unittest_suite_in_tests_py_is_found_run_and_covered(tmp_path: Path) -> None:
    root = copy_fixture("unittest_only", tmp_path)
    step = run_tests(root, workdir(tmp_path), 60, PATH, sys.executable)
    assert step.status == "ok", step.summary
    assert (step.data["passed"], step.data["failed"], step.data["errors"]) == (3, 0, 0)
    assert step.data["runner"] == "pytest" and "tests.py" in step.data["discovery"]
    assert "python_files=test_*.py *_test.py tests.py" in step.data["command"]
    # inventory.py is measured (report() never runs); tests.py itself is not counted.
    assert 50 < step.data["coverage_percent"] < 100
    items = checks([step], BackendFacts(root=str(root)), root)
    assert items["tests pass"].status == "pass"
    assert items["line coverage >= 80%"].status == "pass"


def test_discovery_widens_only_what_pytest_would_miss(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    (root / "pkg").mkdir(parents=True)
    (root / "tests.py").write_text("import unittest\nclass T(unittest.TestCase):\n    pass\n")
    django_style = "from django.test import TestCase\nclass A(TestCase): ...\n"
    (root / "pkg" / "testcases.py").write_text(django_style)
    (root / "testing.py").write_text("def helper():\n    return 1\n")  # no TestCase: left alone
    (root / "test_plain.py").write_text("def test_x():\n    assert True\n")  # pytest finds it
    (root / ".venv").mkdir()
    (root / ".venv" / "tests.py").write_text("import unittest\nclass T(unittest.TestCase): ...\n")
    assert unittest_files(root) == ["pkg/testcases.py", "tests.py"]
    found = discovery(root)
    assert found.args == ("-o", "python_files=test_*.py *_test.py testcases.py tests.py")
    assert discovery(root, ("tests/",)).args == ("tests/",)
    (root / "pytest.ini").write_text("[pytest]\npython_files = check_*.py\n")
    assert discovery(root).args == ()  # the project chose its files itself
    assert "configures" in discovery(root).how
    # django.test with a manage.py: Django's runner, unless pytest-django is set up.
    (root / "manage.py").write_text("# django\n")
    assert discovery(root).runner == "django"
    (root / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = shop.settings\n")
    assert discovery(root).runner == "pytest"


@pytest.mark.slow
def test_a_missing_third_party_module_is_not_a_test_failure(tmp_path: Path) -> None:
    root = copy_fixture("unittest_only", tmp_path)
    (root / "test_geo.py").write_text("import geoalchemy2\n\ndef test_x():\n    assert True\n")
    step = run_tests(root, workdir(tmp_path), 60, PATH, sys.executable)
    assert step.status == "error"
    assert step.summary.startswith("not checked: environment: third-party module missing")
    assert step.summary.endswith("No module named 'geoalchemy2'")
    assert step.data["coverage_percent"] is None
    items = checks([step], BackendFacts(root=str(root)), root)
    assert items["tests pass"].status == "not checked"
    assert items["line coverage >= 80%"].status == "not checked"
    assert "geoalchemy2" in items["tests pass"].evidence

    # The project's own broken import is the project's failure, not the environment's.
    (root / "test_geo.py").write_text("from inventory import no_such_name\n")
    step = run_tests(root, workdir(tmp_path, "work2"), 60, PATH, sys.executable)
    assert step.status == "error" and "environment" not in step.summary
    assert checks([step], BackendFacts(root=str(root)), root)["tests pass"].status == "fail"


def build_env(root: Path, work: Path) -> tuple[str, dict[str, str]]:
    """The fixture's own environment (PyPI, or uv's cache); skipped, saying why, when
    it cannot be built here."""
    try:
        _, built = environment.prepare(
            root, work, python=None, timeout_s=600, progress=lambda _m: None
        )
    except environment.EnvironmentFailure as e:
        pytest.skip(f"the fixture's environment could not be built here: {e.result.summary}")
    env = {**PATH, **built.env}
    env.pop("PYTHONHOME", None)
    return built.python, env


@pytest.mark.slow
def test_a_django_suite_in_tests_py_runs_with_manage_py_test(tmp_path: Path) -> None:
    root = copy_fixture("django_unittest", tmp_path)
    work = workdir(tmp_path)
    python, env = build_env(root, work)
    step = run_tests(root, work, 120, env, python)
    assert step.status == "ok", step.data["output_tail"]
    assert step.data["runner"] == "django"
    assert step.data["command"] == "coverage run manage.py test --noinput -v 2"
    assert (step.data["passed"], step.data["failed"], step.data["errors"]) == (4, 0, 0)
    assert step.data["coverage_percent"] > 50  # views.py measured; tests.py omitted

    (root / "inventory" / "tests.py").write_text(
        (root / "inventory" / "tests.py").read_text()
        + "\n    def test_wrong(self):\n        self.assertTrue(in_stock('ink'))\n"
    )
    step = run_tests(root, workdir(tmp_path, "work2"), 120, env, python)
    assert step.status == "failed"
    assert (step.data["passed"], step.data["failed"], step.data["errors"]) == (4, 1, 0)
    assert "test_wrong" in step.data["failures"][0]["test"]
    assert "AssertionError: False is not true" in step.data["failures"][0]["message"]


def test_unittest_output_is_read_from_a_real_run(tmp_path: Path) -> None:
    (tmp_path / "test_mixed.py").write_text(
        "import unittest\n"
        "class T(unittest.TestCase):\n"
        "    def test_ok(self):\n        pass\n"
        "    def test_fails(self):\n        self.assertEqual(1, 2)\n"
        "    def test_breaks(self):\n        raise KeyError('gone')\n"
        "    @unittest.skip('later')\n    def test_skipped(self):\n        pass\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "unittest", "-v", "test_mixed"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert parse_unittest(output) == {"passed": 1, "failed": 1, "errors": 1, "skipped": 1}
    failures = {f["test"].split()[0]: f["message"] for f in unittest_failures(output)}
    assert "AssertionError: 1 != 2" in failures["test_fails"]
    assert "KeyError: 'gone'" in failures["test_breaks"]
    assert parse_unittest("Traceback (most recent call last):\nImportError: x") is None


def test_environment_problems_are_told_from_the_projects_own(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    missing = "E   ModuleNotFoundError: No module named 'flask_sqlalchemy'"
    assert "third-party" in (environment_problem(tmp_path, missing) or "")
    own = "ModuleNotFoundError: No module named 'app.models'"
    assert environment_problem(tmp_path, own) is None
    stdlib = "ModuleNotFoundError: No module named 'tkinter'"
    assert "standard-library" in (environment_problem(tmp_path, stdlib) or "")
    version = "ImportError: cannot import name 'url_quote' from 'werkzeug.urls'"
    assert "cannot import name 'url_quote'" in (environment_problem(tmp_path, version) or "")
    assert environment_problem(tmp_path, "AssertionError: 1 != 2") is None


# --- migrations: an environment that cannot import; Flask-Migrate -------------------------


@pytest.mark.slow
def test_a_migration_env_missing_a_module_is_not_checked(tmp_path: Path) -> None:
    root = copy_fixture("migration_missing_module", tmp_path)
    work = workdir(tmp_path)
    facts = BackendFacts(root=str(root), language="python")
    facts.data.migration_tool = "alembic"
    env = {**PATH, "DATABASE_URL": f"sqlite:///{work / 'm.sqlite3'}"}
    step = run_migrations(root, facts, work, env, 60, sys.executable)
    assert step.status == "error"
    assert step.summary == (
        "alembic: not checked: environment: third-party module missing from the service's"
        " environment: No module named 'geoalchemy2'"
    )
    assert step.data["reversible"] is None
    assert step.data["checks"][0]["command"] == "alembic -c alembic.ini upgrade head"
    item = checks([step], facts, root)["migrations reversible"]
    assert item.status == "not checked" and "geoalchemy2" in item.evidence


def test_flask_migrate_layout_is_found(tmp_path: Path) -> None:
    root = copy_fixture("flask_migrate_app", tmp_path)
    layout = alembic_layout(root)
    assert layout is not None and layout.flask_migrate
    assert (layout.ini, layout.directory) == ("migrations/alembic.ini", "migrations")
    plain = alembic_layout(FIXTURES / "migration_missing_module")
    assert plain is not None and not plain.flask_migrate
    assert (plain.ini, plain.directory) == ("alembic.ini", "migrations")


@pytest.mark.slow
def test_flask_migrate_without_flask_migrate_installed_is_not_checked(tmp_path: Path) -> None:
    root = copy_fixture("flask_migrate_app", tmp_path)
    work = workdir(tmp_path)
    facts = BackendFacts(root=str(root), language="python", framework="flask")
    facts.entry_point = EntryPoint(file="app.py", app="app:app")
    env = {**PATH, "DATABASE_URL": f"sqlite:///{work / 'm.sqlite3'}"}
    # bdev's own interpreter has Flask but not Flask-Migrate.
    step = run_migrations(root, facts, work, env, 60, sys.executable)
    assert step.status == "error" and step.data["tool"] == "flask-migrate"
    assert "not checked: environment" in step.summary and "flask_migrate" in step.summary
    assert step.data["flask_app"] == "app:app"


@pytest.mark.slow
def test_flask_migrate_runs_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    root = copy_fixture("flask_migrate_app", tmp_path)
    work = workdir(tmp_path)
    python, env = build_env(root, work)
    facts = BackendFacts(root=str(root), language="python", framework="flask")
    facts.entry_point = EntryPoint(file="app.py", app="app:app")
    env["DATABASE_URL"] = f"sqlite:///{work / 'm.sqlite3'}"
    step = run_migrations(root, facts, work, env, 120, python)
    assert step.status == "ok", step.data["checks"]
    assert step.data["reversible"] is True
    assert [c["command"] for c in step.data["checks"]] == [
        "flask db upgrade --directory migrations",
        "flask db downgrade --directory migrations base",
        "flask db upgrade --directory migrations",
    ]
    assert "Running downgrade 0001" in step.data["checks"][1]["output_tail"]
    assert checks([step], facts, root)["migrations reversible"].status == "pass"
