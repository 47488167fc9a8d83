"""Step 3: are the migrations reversible? Up, all the way down, and up again.

Only ever run against a throwaway database (the runner passes its URL): a downgrade
to base drops every table.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

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
    if tool == "alembic":
        plan = _alembic_plan(root, python)
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


def _alembic_plan(root: Path, python: str) -> Plan | str:
    if not (root / "alembic.ini").is_file():
        return f"alembic is used but {root / 'alembic.ini'} was not found"
    alembic = [python, "-m", "alembic"]
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
