"""The start command the project documents: where it is read from (in bdev.backend.startcmd's
stated order), how it is made to listen on the audit's port, that it is what the audit runs
(not the project's development settings), and that every report names it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
import pytest

from bdev import sandbox
from bdev.backend.analyze import analyze
from bdev.backend.audit import startup
from bdev.backend.audit.document import render_html, render_markdown
from bdev.backend.audit.options import AuditOptions
from bdev.backend.audit.procs import free_port
from bdev.backend.audit.report import AuditReport, StartInfo
from bdev.backend.audit.run import run_audit
from bdev.backend.audit.startup import running_service, start_plan
from bdev.backend.bind import bind_shell
from bdev.cli.audit_cmd import scorecard_table
from support.trees import write

SERVICES = Path(__file__).parents[1] / "fixtures" / "services"
needs_bwrap = pytest.mark.skipif(sandbox.executable() is None, reason="no bubblewrap")

APP = """
    import os
    from flask import Flask

    app = Flask(__name__)

    def seed():
        pass

    @app.get("/ping")
    def ping():
        return "pong"

    if __name__ == "__main__":
        seed()
        app.run(port=int(os.environ.get("PORT", "8080")))
"""
EVERY_SOURCE = {
    "requirements.txt": "flask\ngunicorn\n",
    "app.py": APP,
    "Procfile": "release: flask db upgrade\nweb: gunicorn -w 3 app:app\n",
    "Dockerfile": """
        FROM python:3.12 AS build
        CMD ["echo", "build stage"]
        FROM python:3.12-slim
        CMD ["gunicorn", "--bind", "0.0.0.0:8000", \\
             "app:app"]
    """,
    "docker-compose.yml": """
        services:
          db:
            image: postgres
            command: postgres -c fsync=off
          web:
            build: .
            command: ["gunicorn", "-b", "0.0.0.0:9000", "--reload", "app:app"]
    """,
    "gunicorn.conf.py": "bind = '0.0.0.0:7000'\nworkers = 2\n",
}


def chosen(root: Path) -> tuple[list[str], str, str]:
    entry = analyze(root).entry_point
    assert entry is not None
    return entry.command, entry.source, entry.port_note


def test_sources_are_read_in_the_stated_order(tmp_path: Path) -> None:
    root = write(tmp_path, EVERY_SOURCE)
    order = [
        ("Procfile", "Procfile line 2 (web)",
         ["python", "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "-w", "3", "app:app"]),
        ("Dockerfile", "Dockerfile line 4 (CMD)",
         ["python", "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "app:app"]),
        ("docker-compose.yml", "docker-compose.yml services.web.command",
         ["python", "-m", "gunicorn", "-b", "127.0.0.1:{port}", "--reload", "app:app"]),
        ("gunicorn.conf.py", "gunicorn.conf.py (gunicorn configuration)",
         ["python", "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "-c", "gunicorn.conf.py",
          "app:app"]),
        ("app.py", "app.py line 13 (__main__ block; it runs `seed()` first)",
         ["python", "app.py"]),
    ]  # fmt: skip
    for remove, source, command in order:
        found = chosen(root)
        assert found[:2] == (command, source), remove
        (root / remove).unlink()
    # A __main__ block that only serves adds nothing: the framework's own command is used.
    write(root, {"app.py": APP.replace("        seed()\n", "")})
    assert chosen(root)[:2] == (
        ["python", "-m", "flask", "--app", "app:app", "run", "--port", "{port}"],
        "framework default (flask)",
    )


def test_the_others_are_kept_as_alternatives(tmp_path: Path) -> None:
    entry = analyze(write(tmp_path, EVERY_SOURCE)).entry_point
    assert entry is not None
    assert [a.split(":")[0] for a in entry.alternatives] == [
        "Dockerfile line 4 (CMD)",
        "docker-compose.yml services.web.command",
        "gunicorn.conf.py (gunicorn configuration)",
        "app.py line 13 (__main__ block; it runs `seed()` first)",
        "framework default (flask)",
    ]


def test_main_block_port_is_read_from_the_code(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask\n", "app.py": APP})
    assert chosen(tmp_path)[2] == "app.py line 15 reads $PORT"
    fixed = APP.replace('int(os.environ.get("PORT", "8080"))', "8123")
    write(tmp_path, {"app.py": fixed})
    entry = analyze(tmp_path).entry_point
    assert entry is not None and entry.fixed_port == 8123
    assert entry.port_note.startswith("cannot choose the port: app.py line 15 fixes it at 8123")


def test_boot_script_run_by_the_image(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
            "Dockerfile": 'FROM python:3.12\nENTRYPOINT ["./boot.sh"]\n',
            "boot.sh": """
                #!/bin/sh
                # wait for the database, then serve
                flask db upgrade
                exec gunicorn -b :5000 --access-logfile - app:app
            """,
        },
    )
    command, source, _ = chosen(tmp_path)
    assert source == "boot.sh, run by Dockerfile line 2 (ENTRYPOINT)"
    # The script's own steps run first (its comments left out), then its server, rebound.
    assert command == [
        "sh",
        "-c",
        "flask db upgrade && python -m gunicorn -b '127.0.0.1:{port}' --access-logfile - app:app",
    ]


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        ("uvicorn main:app --host 0.0.0.0 --port ${PORT:-8000} --reload",
         ["python", "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "{port}",
          "--reload"]),
        ("hypercorn main:app", ["python", "-m", "hypercorn", "--bind", "127.0.0.1:{port}",
                                "main:app"]),
        ("flask --app app run --debug", ["python", "-m", "flask", "--app", "app", "run",
                                         "--host", "127.0.0.1", "--port", "{port}", "--debug"]),
        ("python server.py --port=$PORT", ["python", "server.py", "--port={port}"]),
    ],
)  # fmt: skip
def test_listen_options_are_rewritten_or_added(line: str, argv: list[str]) -> None:
    assert bind_shell(line).argv == argv


def test_cmd_overrides_and_says_so() -> None:
    facts = analyze(SERVICES / "gunicorn_procfile")
    assert start_plan(facts, None).source == "Procfile line 1 (web)"
    plan = start_plan(facts, "python wsgi.py --port {port}")
    assert (plan.argv, plan.source) == (["python", "wsgi.py", "--port", "{port}"], "--cmd")


def test_every_report_names_the_command_and_its_source(tmp_path: Path) -> None:
    start = StartInfo(
        command="python -m gunicorn --bind 127.0.0.1:40123 wsgi:app",
        source="Procfile line 1 (web)",
        port_note="gunicorn's listen options set to 127.0.0.1:{port}",
    )
    report = AuditReport(root=str(tmp_path), started_at="2026-12-01T12:00:00+00:00", start=start)
    line = "`python -m gunicorn --bind 127.0.0.1:40123 wsgi:app` (from Procfile line 1 (web);"
    assert line in render_markdown(report)
    assert "<code>python -m gunicorn --bind 127.0.0.1:40123 wsgi:app</code>" in render_html(report)
    assert report.to_json()["start"]["source"] == "Procfile line 1 (web)"
    rows = [str(cell) for column in scorecard_table(report).columns for cell in column._cells]
    assert any("from Procfile line 1 (web)" in row for row in rows)
    empty = AuditReport(root=str(tmp_path), started_at="2026-12-01T12:00:00+00:00")
    assert "Start command: none found" in render_markdown(empty)


# --- the documented command, run -------------------------------------------------------------


def _copy(name: str, dest: Path) -> Path:
    return Path(shutil.copytree(SERVICES / name, dest / name))


@needs_bwrap
def test_main_block_that_creates_the_tables_is_what_runs(tmp_path: Path) -> None:
    root = _copy("flask_main_db", tmp_path)
    facts = analyze(root)
    with running_service(
        root, facts, port=free_port(), cmd=None, env={"PATH": "/usr/bin:/bin"},
        log=tmp_path / "svc.log", timeout_s=20, python=sys.executable,
    ) as svc:  # fmt: skip
        assert svc.command[1:] == ["app.py"]
        assert httpx.get(f"{svc.base_url}/notes", timeout=5).status_code == 200
        # A crash answers like the deployment: no Werkzeug debugger from .flaskenv.
        crash = httpx.post(f"{svc.base_url}/notes", json={"no": "body"}, timeout=5)
        assert crash.status_code == 500 and "Werkzeug Debugger" not in crash.text


@needs_bwrap
def test_without_the_deployment_env_the_flaskenv_debugger_would_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the test above: the fixture's .flaskenv really switches debug on."""
    monkeypatch.setattr(startup, "DEPLOYMENT_ENV", {})
    root = _copy("flask_main_db", tmp_path)
    with running_service(
        root, analyze(root), port=free_port(), cmd=None, env={"PATH": "/usr/bin:/bin"},
        log=tmp_path / "svc.log", timeout_s=20, python=sys.executable,
    ) as svc:  # fmt: skip
        crash = httpx.post(f"{svc.base_url}/notes", json={"no": "body"}, timeout=5)
        assert crash.status_code == 500 and "Werkzeug Debugger" in crash.text


@needs_bwrap
def test_procfile_gunicorn_command_serves_on_the_audit_port(tmp_path: Path) -> None:
    root = _copy("gunicorn_procfile", tmp_path)
    port = free_port()
    with running_service(
        root, analyze(root), port=port, cmd=None, env={"PATH": "/usr/bin:/bin"},
        log=tmp_path / "svc.log", timeout_s=30, python=sys.executable,
    ) as svc:  # fmt: skip
        assert svc.command[:3] == [sys.executable, "-m", "gunicorn"]
        assert f"127.0.0.1:{port}" in svc.command
        assert svc.source == "Procfile line 1 (web)"
        assert httpx.get(f"{svc.base_url}/items", timeout=5).json() == []


@needs_bwrap
def test_audit_runs_the_documented_command_on_introspected_routes(tmp_path: Path) -> None:
    """The audit reads the routes from the framework in the service's environment, starts
    the command the Procfile documents, and its report (JSON and Markdown) says which."""
    root = _copy("gunicorn_procfile", tmp_path)
    skip = frozenset({"tests", "migrations", "conformance", "probes", "load", "security"})
    options = AuditOptions(python=sys.executable, skip=skip, startup_timeout_s=30)
    report = run_audit(root, options)
    assert report.step("startup") is not None and report.step("startup").status == "ok"
    assert report.facts is not None and report.facts.routes_method == "introspection"
    assert {(e.method, e.path) for e in report.facts.endpoints} == {
        ("GET", "/items"),
        ("GET", "/healthz"),
    }
    assert report.start is not None and report.start.source == "Procfile line 1 (web)"
    assert report.start.command.startswith(f"{sys.executable} -m gunicorn --workers 2 --bind")
    assert report.to_json()["start"]["command"] == report.start.command
    assert f"`{report.start.command}` (from Procfile line 1 (web)" in render_markdown(report)
