"""Step 3: are the migrations reversible? Up, all the way down, and up again.

Only ever run against a throwaway database (the runner passes its URL): a downgrade
to base drops every table.

Layouts: Django (`manage.py migrate`), Alembic with `alembic.ini` at the root or in a
sub-folder (`alembic -c`), and Flask-Migrate (`migrations/alembic.ini` with an `env.py`
that uses `flask_migrate` / `current_app`), run the way Flask-Migrate does: `flask db
upgrade` / `downgrade base` with FLASK_APP set. When the first step cannot even import
its environment, reversibility was not exercised: "not checked" (status "error") with
the reason, "environment: ..." when a module the environment should provide is missing.
"""

from __future__ import annotations

import configparser
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bdev.backend.audit.envproblem import environment_problem, missing_import
from bdev.backend.audit.procs import run_bounded, tail
from bdev.backend.audit.results import StepResult
from bdev.backend.facts import BackendFacts
from bdev.sandbox import Network


def run_migrations(
    root: Path,
    facts: BackendFacts,
    workdir: Path,
    env: dict[str, str],
    timeout_s: float,
    python: str = sys.executable,
) -> StepResult:
    """`python` is the service's interpreter: the migrations import its models."""
    tool = facts.data.migration_tool
    start = time.monotonic()
    layout = alembic_layout(root) if tool in ("alembic", None) else None
    plan: Plan | str
    if layout is not None and layout.flask_migrate:
        tool = "flask-migrate"
        plan = _flask_migrate_plan(layout, python)
        env = {**env, **_flask_app(facts, env)}
    elif layout is not None or tool == "alembic":
        tool = "alembic"
        plan = _alembic_plan(root, layout, python)
    elif tool == "django":
        plan = _django_plan(root, python)
    else:
        return StepResult(name="migrations", status="skipped", summary="no migration tool found")
    if isinstance(plan, str):
        return StepResult(
            name="migrations", status="error", summary=plan, duration_s=time.monotonic() - start
        )

    # A database server (bdev's throwaway PostgreSQL) is reached over the host's loopback;
    # a SQLite file needs no network at all.
    on_sqlite = env.get("DATABASE_URL", "sqlite").startswith("sqlite")
    network = Network.NONE if on_sqlite else Network.HOST
    checks: list[dict] = []
    for i, (label, argv) in enumerate(plan):
        run = run_bounded(
            argv, cwd=root, timeout_s=timeout_s, log=workdir / f"migrate-{i}.log", env=env,
            network=network,
        )  # fmt: skip
        ok = run.returncode == 0
        checks.append(
            {
                "step": label,
                "command": " ".join(argv[2:]) if argv[0] == python else " ".join(argv),
                "status": "pass" if ok else "fail",
                "duration_s": round(run.duration_s, 3),
                "output_tail": tail(run.output, 20),
                **({"timed_out": True} if run.timed_out else {}),
            }
        )
        if not ok:
            break  # later steps only make sense on top of a successful one

    failed = [c for c in checks if c["status"] == "fail"]
    data: dict[str, Any] = {
        "tool": tool,
        "checks": checks,
        "database": env.get("DATABASE_URL", ""),
        "python": python,
    }
    data["reversible"] = not failed and len(checks) == len(plan)
    if tool == "flask-migrate":
        data["flask_app"] = env.get("FLASK_APP") or "flask's own discovery (app.py, wsgi.py)"
    unexercised = _could_not_import(root, checks) if len(checks) == 1 and failed else None
    if unexercised:
        data["reversible"] = None
        data["environment_problem"] = unexercised
        return StepResult(
            name="migrations",
            status="error",  # not checked: the migrations never ran
            duration_s=time.monotonic() - start,
            summary=f"{tool}: not checked: {unexercised}",
            data=data,
        )
    if failed:
        why = "timed out" if failed[0].get("timed_out") else "failed"
        summary = f"{tool}: {failed[0]['step']} {why}"
    else:
        summary = f"{tool}: " + ", ".join(c["step"] for c in checks) + " all succeeded"
    return StepResult(
        name="migrations",
        status="failed" if failed else "ok",
        duration_s=time.monotonic() - start,
        summary=summary,
        data=data,
    )


Plan = list[tuple[str, list[str]]]
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "site-packages", "__pycache__"}
_FLASK_MIGRATE = ("flask_migrate", "current_app")


@dataclass(frozen=True)
class AlembicLayout:
    ini: str | None  # alembic.ini relative to the root, when there is one
    directory: str  # the folder holding env.py ("migrations", "alembic", ...)
    flask_migrate: bool  # env.py reads its configuration from the Flask app


def alembic_layout(root: Path) -> AlembicLayout | None:
    """The project's Alembic set-up: an alembic.ini (the root's first, then the
    shallowest) or, without one, a folder whose env.py uses Flask-Migrate."""
    inis = sorted(_find(root, "alembic.ini"), key=lambda p: (len(p.parts), str(p)))
    envs = sorted(_find(root, "env.py"), key=lambda p: (len(p.parts), str(p)))
    for ini in inis:
        beside = next((e.parent for e in envs if e.parent == ini.parent), None)
        # Flask-Migrate keeps alembic.ini beside env.py; plain Alembic names the folder.
        folder = beside or _script_location(root, ini)
        return AlembicLayout(ini.as_posix(), folder.as_posix(), _uses_flask(root / folder))
    flask_envs = [
        e for e in envs if _uses_flask(root / e.parent) and (root / e.parent / "versions").is_dir()
    ]
    if flask_envs:
        return AlembicLayout(None, flask_envs[0].parent.as_posix(), True)
    return None


def _find(root: Path, name: str, depth: int = 3) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = [] if len(rel.parts) >= depth else [d for d in dirs if d not in SKIP_DIRS]
        if name in files:
            found.append(rel / name)
    return found


def _uses_flask(folder: Path) -> bool:
    try:
        text = (folder / "env.py").read_text(errors="replace")
    except OSError:
        return False
    return any(word in text for word in _FLASK_MIGRATE)


def _script_location(root: Path, ini: Path) -> Path:
    """The ini's script_location, relative to the root (where alembic runs)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(root / ini)
    except configparser.Error:
        return Path("alembic")
    where = parser.get("alembic", "script_location", fallback="alembic")
    return Path(where.replace("%(here)s", str(ini.parent)))


def _flask_app(facts: BackendFacts, env: dict[str, str]) -> dict[str, str]:
    """FLASK_APP for `flask db`: the environment's own, else the analysed Flask app;
    else none, and flask finds app.py / wsgi.py (or .flaskenv) itself."""
    if env.get("FLASK_APP"):
        return {}
    app = facts.entry_point.app if facts.entry_point and facts.framework == "flask" else None
    return {"FLASK_APP": app} if app else {}


def _flask_migrate_plan(layout: AlembicLayout, python: str) -> Plan:
    db = [python, "-m", "flask", "db"]
    where = ["--directory", layout.directory]
    return [
        ("flask db upgrade", [*db, "upgrade", *where]),
        ("flask db downgrade base", [*db, "downgrade", *where, "base"]),
        ("flask db upgrade again", [*db, "upgrade", *where]),
    ]


def _could_not_import(root: Path, checks: list[dict]) -> str | None:
    """Why the first step never got to run a migration, when it is an import failure."""
    output = checks[0]["output_tail"]
    problem = environment_problem(root, output)
    if problem:
        return f"environment: {problem}"
    failed = missing_import(output)
    return f"the migration environment could not be imported: {failed[1]}" if failed else None


def _alembic_plan(root: Path, layout: AlembicLayout | None, python: str) -> Plan | str:
    if layout is None or layout.ini is None:
        return f"alembic is used but no alembic.ini was found under {root}"
    alembic = [python, "-m", "alembic", "-c", layout.ini]
    return [
        ("upgrade head", [*alembic, "upgrade", "head"]),
        ("downgrade base", [*alembic, "downgrade", "base"]),
        ("upgrade head again", [*alembic, "upgrade", "head"]),
    ]


def _django_plan(root: Path, python: str) -> Plan | str:
    manage = root / "manage.py"
    if not manage.is_file():
        return f"django migrations are used but {manage} was not found"
    # Django has no single "downgrade everything": unapply each of the project's own
    # apps (those with a migrations package in the tree); framework apps stay put.
    apps = sorted(
        {
            p.parent.parent.name
            for p in root.rglob("migrations/__init__.py")
            if ".venv" not in p.parts and "site-packages" not in p.parts
        }
    )
    py = [python, str(manage)]
    plan: Plan = [("migrate", [*py, "migrate", "--noinput"])]
    plan += [(f"migrate {app} zero", [*py, "migrate", app, "zero", "--noinput"]) for app in apps]
    plan.append(("migrate again", [*py, "migrate", "--noinput"]))
    return plan
