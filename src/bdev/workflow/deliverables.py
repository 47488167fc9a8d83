"""The deliverables checklist of the seeds (OpenAPI document, migrations with rollback,
Dockerfile, tests, benchmark results, security scan report, runbook), each checked on
the files and the audit: present, missing, or not applicable."""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from bdev.backend.audit.report import AuditReport
from bdev.backend.facts import BackendFacts

Status = Literal["present", "missing", "not applicable"]
SKIP_DIRS = {".git", ".bdev", "node_modules", ".venv", "venv", "__pycache__", "build", "dist"}
OPENAPI_NAMES = ("openapi.json", "openapi.yaml", "openapi.yml", "swagger.json", "swagger.yaml")
RUNBOOK_NAMES = ("runbook.md", "runbook.rst", "operations.md", "ops.md")


@dataclass
class Deliverable:
    name: str
    status: Status
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _files(root: Path, names: tuple[str, ...]) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if any(part in SKIP_DIRS for part in path.relative_to(root).parts):
            continue
        if path.is_file() and path.name.lower() in names:
            found.append(path)
    return found


def _rel(root: Path, paths: list[Path]) -> str:
    return ", ".join(str(p.relative_to(root)) for p in paths[:3])


def _downgrade_is_real(path: Path) -> bool:
    """An Alembic revision can be rolled back when its downgrade() does something."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "downgrade":
            body = [n for n in node.body if not isinstance(n, ast.Expr | ast.Pass)]
            return bool(body)
    return False


def check(root: Path, facts: BackendFacts, report: AuditReport | None) -> list[Deliverable]:
    items: list[Deliverable] = []

    docs = _files(root, OPENAPI_NAMES)
    conformance = report.step("conformance") if report else None
    if docs:
        items.append(Deliverable("OpenAPI document", "present", _rel(root, docs)))
    elif conformance is not None and conformance.status in ("ok", "failed"):
        items.append(Deliverable("OpenAPI document", "present", "served by the running service"))
    else:
        items.append(Deliverable("OpenAPI document", "missing", "no file and none served"))

    tool = facts.data.migration_tool
    if tool == "alembic":
        versions = [p for p in root.rglob("versions/*.py") if not p.name.startswith("__")]
        irreversible = [p for p in versions if not _downgrade_is_real(p)]
        migrations = report.step("migrations") if report else None
        if not versions:
            items.append(
                Deliverable(
                    "migrations with rollback", "missing", "alembic configured, no revision files"
                )
            )
        elif irreversible:
            items.append(
                Deliverable(
                    "migrations with rollback",
                    "missing",
                    f"no real downgrade() in {_rel(root, irreversible)}",
                )
            )
        else:
            ran = f"; audit: {migrations.summary}" if migrations else ""
            items.append(
                Deliverable(
                    "migrations with rollback",
                    "present",
                    f"{len(versions)} revisions with downgrade(){ran}",
                )
            )
    elif tool == "django":
        items.append(
            Deliverable(
                "migrations with rollback",
                "present",
                "Django migrations (reversible unless RunPython lacks reverse)",
            )
        )
    elif facts.data.orm or facts.data.databases:
        items.append(
            Deliverable(
                "migrations with rollback",
                "missing",
                f"uses {', '.join(facts.data.orm or facts.data.databases)} "
                "without a migration tool",
            )
        )
    else:
        items.append(Deliverable("migrations with rollback", "not applicable", "no database"))

    items.append(
        Deliverable("Dockerfile", "present", facts.dockerfile)
        if facts.dockerfile
        else Deliverable("Dockerfile", "missing", "no Dockerfile in the tree")
    )
    items.append(
        Deliverable("tests", "present", f"{facts.tests.count} tests ({facts.tests.framework})")
        if facts.tests.count
        else Deliverable("tests", "missing", "no test functions found")
    )

    load = report.step("load") if report else None
    if load is not None and load.status == "ok":
        items.append(
            Deliverable("benchmark results", "present", "load figures in audit.json#/latency_ms")
        )
    else:
        why = load.summary if load else "the audit did not run a load test"
        items.append(Deliverable("benchmark results", "missing", why))

    scans = [s for s in (report.steps if report else []) if s.name in ("security", "probes")]
    if any(s.status in ("ok", "failed") for s in scans):
        items.append(Deliverable("security scan report", "present", "audit.json#/security"))
    else:
        items.append(Deliverable("security scan report", "missing", "no security step ran"))

    runbooks = _files(root, RUNBOOK_NAMES)
    items.append(
        Deliverable("runbook", "present", _rel(root, runbooks))
        if runbooks
        else Deliverable("runbook", "missing", "no RUNBOOK.md (how to run, deploy, roll back)")
    )
    return items
