"""Throwaway PostgreSQL/Redis and migration checks on the alembic_pg fixture, plus whole
audits of the fixture services. Needs Debian's postgresql and redis-server packages."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import psycopg
import pytest

from bdev.backend.audit.migrations import run_migrations
from bdev.backend.audit.options import AuditOptions, parse_skip
from bdev.backend.audit.run import run_audit
from bdev.backend.audit.services import find_pg_bin, find_redis_server, throwaway_services
from bdev.backend.facts import BackendFacts, DataLayer, Endpoint, EntryPoint

pytestmark = pytest.mark.slow  # starts PostgreSQL and Redis servers

FIXTURES = Path(__file__).parents[1] / "fixtures" / "services"

needs_pg = pytest.mark.skipif(
    find_pg_bin() is None, reason="PostgreSQL server binaries (initdb) not found"
)
needs_redis = pytest.mark.skipif(find_redis_server() is None, reason="no redis-server")
needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
UVICORN = ["python", "-m", "uvicorn", "app.main:app", "--port", "{port}"]


def _copy(name: str, dest: Path) -> Path:
    # A copy: the audit's processes write caches (and SQLite files) next to the code.
    return Path(
        shutil.copytree(FIXTURES / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    )


def alembic_facts(root: Path) -> BackendFacts:
    paths = ["/health", "/ready", "/notes", "/notes/{note_id}", "/stats"]
    return BackendFacts(
        root=str(root),
        language="python",
        framework="fastapi",
        entry_point=EntryPoint(file="app/main.py", app="app.main:app", command=UVICORN),
        endpoints=[Endpoint(method="GET", path=p, handler="h") for p in paths],
        health_endpoints=["/health", "/ready"],
        data=DataLayer(orm=["sqlalchemy"], migration_tool="alembic", databases=["postgresql"]),
        services=["postgresql"],
    )


@pytest.mark.services
@needs_pg
@needs_redis
def test_throwaway_postgres_and_redis_come_and_go() -> None:
    with throwaway_services(["postgresql", "redis"]) as started:
        env = started.env
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            assert conn.execute("select current_database()").fetchone() == ("app",)
        with socket.create_connection(("127.0.0.1", started.details["redis"]["port"])) as r:
            r.sendall(b"PING\r\n")
            assert r.recv(16) == b"+PONG\r\n"
        ports = [started.details[n]["port"] for n in ("postgresql", "redis")]
    for port in ports:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"


@pytest.mark.services
@needs_pg
def test_alembic_up_down_up_on_throwaway_postgres(tmp_path: Path) -> None:
    root = _copy("alembic_pg", tmp_path)
    with throwaway_services(["postgresql"]) as started:
        env = {"PATH": "/usr/bin:/bin", **started.env}
        step = run_migrations(root, alembic_facts(root), tmp_path, env, timeout_s=120)
        with psycopg.connect(started.env["DATABASE_URL"]) as conn:
            tables = {r[0] for r in conn.execute("select tablename from pg_tables")}
    assert step.status == "ok", step.data
    assert [c["step"] for c in step.data["checks"]] == [
        "upgrade head", "downgrade base", "upgrade head again",
    ]  # fmt: skip
    assert step.data["reversible"] is True
    assert {"notes", "notebooks", "alembic_version"} <= tables


@pytest.mark.services
@needs_pg
def test_irreversible_migration_fails_at_downgrade(tmp_path: Path) -> None:
    root = _copy("alembic_pg", tmp_path)
    second = root / "migrations" / "versions" / "0002_notebooks_and_done.py"
    text = second.read_text().replace(
        "def downgrade() -> None:\n",
        "def downgrade() -> None:\n    raise NotImplementedError('one way only')\n",
    )
    second.write_text(text)
    with throwaway_services(["postgresql"]) as started:
        env = {"PATH": "/usr/bin:/bin", **started.env}
        step = run_migrations(root, alembic_facts(root), tmp_path, env, timeout_s=120)
    assert step.status == "failed"
    assert step.summary == "alembic: downgrade base failed"
    assert "one way only" in step.data["checks"][-1]["output_tail"]
    assert step.data["reversible"] is False


@pytest.mark.services
@needs_pg
@needs_wrk
def test_full_audit_of_alembic_pg(tmp_path: Path) -> None:
    root = _copy("alembic_pg", tmp_path)
    options = AuditOptions(duration_s=1, concurrency=2, skip=parse_skip("security"))
    report = run_audit(root, options, facts=alembic_facts(root))
    steps = {s.name: s for s in report.steps}
    for name in ("tests", "services", "migrations", "startup", "load"):
        assert steps[name].status == "ok", (name, steps[name].summary)
    # /ready ran SELECT 1 on the throwaway PostgreSQL the migrations had just built.
    assert {h["path"]: h["status_code"] for h in steps["startup"].data["health"]} == {
        "/health": 200,
        "/ready": 200,
    }
    assert steps["load"].data["error_rate"] == 0  # /notes and /stats hit real tables
    checks = {c.name: c.status for c in report.checklist}
    assert checks["migrations reversible"] == "pass"
    assert checks["tests pass"] == "pass" and checks["line coverage >= 80%"] == "pass"
    assert json.loads(json.dumps(report.to_json()))["tests"]["passed"] == 5


@needs_wrk
def test_full_audit_of_good_fastapi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy("good_fastapi", tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "items.db"))
    facts = BackendFacts(
        root=str(root),
        language="python",
        framework="fastapi",
        entry_point=EntryPoint(file="app/main.py", app="app.main:app", command=UVICORN),
        endpoints=[
            Endpoint(method="GET", path="/health", handler="health"),
            Endpoint(method="GET", path="/items", handler="list_items", auth_required=True),
        ],
        health_endpoints=["/health", "/ready"],
        dockerfile="Dockerfile",
    )
    options = AuditOptions(duration_s=1, concurrency=2, skip=parse_skip("security,probes"))
    report = run_audit(root, options, facts=facts)
    assert report.step("tests").status == "ok", report.step("tests").summary
    assert report.tests.failed == 0 and report.tests.passed > 0
    assert report.step("startup").status == "ok"
    load = report.step("load").data
    # The routes are read from the running framework, not from the facts handed in: the
    # items router's reads are public, so they are loaded too (writes never are).
    assert report.facts is not None and report.facts.routes_method == "introspection"
    assert [e["target"] for e in load["endpoints"]] == ["GET /health", "GET /ready", "GET /items"]
    assert load["not_loaded"] == ["GET /items/{item_id}: path parameters"]
    checks = {c.name: c.status for c in report.checklist}
    assert checks["Dockerfile present"] == "pass" and checks["health endpoint"] == "pass"
