"""A task's stated constraints, honoured by the build: one file that serves itself on the
stated address, the stated environment names, nothing beside it, and refusals out loud."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from specfirst_support import SPECS

from bdev.backend.audit.procs import free_port
from bdev.errors import BdevError
from bdev.specfirst.constraints import read_constraints
from bdev.specfirst.pipeline import build_service
from bdev.specfirst.verify import verify


def task_text(framework: str, port: int, packages: str) -> str:
    return (
        f"Build the API above with {framework}. You are not allowed to use anything besides "
        f"the standard library and the following packages: {packages}. Put all code in one "
        "file! Do not create any additional files! The server must start with `python "
        f"app.py` and listen on 0.0.0.0:{port}. The token signing secret comes in the "
        "APP_SECRET environment variable, and the SQLite database lives at the path in the "
        "DB_FILE environment variable."
    )


def imported_roots(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize(
    ("framework", "packages", "third_party"),
    [
        ("FastAPI", "fastapi, uvicorn, pydantic", {"fastapi", "uvicorn", "pydantic", "starlette"}),
        ("Flask", "Flask, pydantic", {"flask", "pydantic", "werkzeug"}),
    ],
)
def test_one_file_serves_itself_with_the_stated_names(
    tmp_path: Path, framework: str, packages: str, third_party: set[str]
) -> None:
    port = free_port()
    constraints = read_constraints(task_text(framework, port, packages))
    notes: list[str] = []
    out = tmp_path / "svc"
    report = build_service(
        SPECS / "auth.yaml",
        out,
        describe=None,
        model=None,
        framework="flask" if framework == "Flask" else "fastapi",
        constraints=constraints,
        audit=False,
        progress=notes.append,
    )
    # Echoed before anything was generated, and kept in the report.
    assert notes[0] == f"constraint: framework: {framework.lower()}"
    assert f"serve: on 0.0.0.0:{port}" in report.constraints
    assert report.unmet_constraints == []
    # Nothing beside the one file but bdev's own folder (tests, plan, reports).
    assert sorted(p.name for p in out.iterdir()) == [".bdev", "app.py"]
    assert (out / ".bdev/tests/test_api.py").is_file()
    source = (out / "app.py").read_text()
    assert 'openapi.json").read_text' not in source
    assert imported_roots(source) - set(sys.stdlib_module_names) <= third_party

    # The generated tests pass from where they were put.
    result = verify(
        _plan(out), out, [], checks=("tests",), options=_options(constraints, framework)
    )
    assert result.failures == [], result.failures

    # `python app.py` serves on the stated port with the stated variables only.
    env = {k: v for k, v in os.environ.items() if k not in ("APP_SECRET_KEY", "DATABASE_URL")}
    env |= {"APP_SECRET": "s" * 40, "DB_FILE": str(tmp_path / "data.db")}
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=out, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        document = _get(f"http://127.0.0.1:{port}/openapi.json", process)
        assert document["info"]["title"] == "Accounts API"
        registered = httpx.post(
            f"http://127.0.0.1:{port}/auth/register",
            json={"email": "ann@example.com", "password": "correct-horse-1"},
        )
        assert registered.status_code == 201, registered.text
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "data.db").is_file()


def test_what_cannot_be_met_is_named(tmp_path: Path) -> None:
    text = (
        "Use FastAPI. You may only use fastapi and pydantic. Write it all in a single file "
        "named server.py and start it with `gunicorn server:app`. It listens on port 8080."
    )
    report = build_service(
        SPECS / "items.yaml",
        tmp_path / "svc",
        describe=None,
        model=None,
        constraints=read_constraints(text),
        audit=False,
    )
    unmet = " | ".join(report.unmet_constraints)
    assert "not server.py" in unmet
    assert "not `gunicorn server:app`" in unmet
    assert "uvicorn is not among the allowed packages" in unmet


def test_a_framework_outside_the_list_is_refused(tmp_path: Path) -> None:
    text = "Only use the following packages: flask, pyjwt."
    with pytest.raises(BdevError, match="a fastapi service needs fastapi"):
        build_service(
            SPECS / "items.yaml",
            tmp_path / "svc",
            describe=None,
            model=None,
            framework="fastapi",
            constraints=read_constraints(text),
            audit=False,
        )
    assert not (tmp_path / "svc").exists()


def _plan(out: Path):  # type: ignore[no-untyped-def]
    from bdev.specfirst.plan import ServicePlan

    return ServicePlan.model_validate_json((out / ".bdev/plan.json").read_text())


def _options(constraints, framework: str):  # type: ignore[no-untyped-def]
    from bdev.specfirst.codegen.options import Options
    from bdev.specfirst.pipeline import honour

    chosen = "flask" if framework == "Flask" else "fastapi"
    return honour(constraints, Options(framework=chosen))[0]


def _get(url: str, process: subprocess.Popen[str]) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"app.py exited: {err}")
        try:
            response = httpx.get(url, timeout=2)
            return response.json()  # type: ignore[no-any-return]
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


def test_the_import_check_works_under_the_tasks_names_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    from bdev.specfirst.fill.check import import_problem

    text = task_text("Flask", 5000, "Flask, pydantic")
    out = tmp_path / "svc"
    build_service(
        SPECS / "auth.yaml", out, describe=None, model=None, framework="flask",
        constraints=read_constraints(text), audit=False,
    )  # fmt: skip
    # The service reads APP_SECRET and DB_FILE; neither is set here.
    assert import_problem(out, "app") is None
    assert sorted(p.name for p in out.iterdir()) == [".bdev", "app.py"]
