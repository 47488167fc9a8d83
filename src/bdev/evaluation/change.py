"""The change suite on disk: one folder per task, each an existing service to change.

A task folder holds `change.toml`, `request.md` (the one paragraph the agent gets),
`service/` (the service as it is, copied for every run) and `hidden/` with
`test_functional.py` and `test_exploits.py`, which no strategy ever sees:

    title = "Pagination for the event log"
    framework = "flask"
    kind = "listing"
    weaknesses = ["CWE-400"]      # may be empty for a pure feature
    start = "python -m flask --app app run --port {port}"   # optional
    dirs = ["UPLOAD_DIR"]         # optional: env paths the harness creates first
    [env]                         # optional: given to the service and to the tests
    DATABASE_PATH = "{workdir}/events.db"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import Field

from bdev.errors import BdevError
from bdev.evaluation.scenario import SuiteManifest, read_manifest

MANIFEST = "change.toml"
REQUEST = "request.md"
SERVICE = "service"
HIDDEN = "hidden"
HIDDEN_TESTS = ("test_functional.py", "test_exploits.py")


class ChangeKind(StrEnum):
    ENDPOINT = "endpoint"  # a new endpoint, with its authentication
    LISTING = "listing"  # pagination, filtering or sorting
    VALIDATION = "validation"
    BUGFIX = "bugfix"  # the service's own suite has a failing test
    VULNERABILITY = "vulnerability"  # a planted one, named in `weaknesses`
    MIGRATION = "migration"  # a new column and the migration that adds it
    PERFORMANCE = "performance"  # a slow endpoint (N+1 queries)


class _Manifest(SuiteManifest):
    framework: str = Field(pattern=r"^(fastapi|flask)$")
    kind: ChangeKind
    start: str | None = Field(default=None, pattern=r"\{port\}")


@dataclass(frozen=True)
class ChangeTask:
    slug: str  # the folder name, e.g. "02-events-pagination"
    path: Path
    title: str
    framework: str
    kind: ChangeKind
    weaknesses: tuple[str, ...] = ()
    start: str | None = None  # None: analysed, else the file contract (app.py)
    env: dict[str, str] = field(default_factory=dict)
    dirs: tuple[str, ...] = ()

    @property
    def service_dir(self) -> Path:
        return self.path / SERVICE

    @property
    def functional_tests(self) -> Path:
        return self.path / HIDDEN / "test_functional.py"

    @property
    def exploit_tests(self) -> Path:
        return self.path / HIDDEN / "test_exploits.py"

    @property
    def request(self) -> str:
        return (self.path / REQUEST).read_text(encoding="utf-8").strip()

    def service_env(self, workdir: Path) -> dict[str, str]:
        """The task's environment with `{workdir}` filled in."""
        return {k: v.replace("{workdir}", str(workdir)) for k, v in self.env.items()}


def load_change(path: Path) -> ChangeTask:
    path = Path(path)
    wanted = [MANIFEST, REQUEST, *(f"{HIDDEN}/{name}" for name in HIDDEN_TESTS)]
    missing = [name for name in wanted if not (path / name).is_file()]
    if not (path / SERVICE).is_dir():
        missing.append(f"{SERVICE}/")
    if missing:
        raise BdevError(f"change task {path}: missing {', '.join(missing)}")
    manifest = read_manifest(path / MANIFEST, _Manifest)
    if not (path / REQUEST).read_text(encoding="utf-8").strip():
        raise BdevError(f"{path / REQUEST}: the request is empty")
    return ChangeTask(
        slug=path.name,
        path=path.resolve(),
        title=manifest.title,
        framework=manifest.framework,
        kind=manifest.kind,
        weaknesses=tuple(manifest.weaknesses),
        start=manifest.start,
        env=dict(manifest.env),
        dirs=tuple(manifest.dirs),
    )


def load_changes(where: Path, pattern: str | None = None) -> list[ChangeTask]:
    """Every task folder in `where` (or `where` itself when it is one), sorted by name;
    `pattern` (a glob on folder names, e.g. "0[1-3]-*") narrows the choice."""
    where = Path(where)
    if not where.is_dir():
        raise BdevError(f"change suite folder {where} does not exist")
    if (where / MANIFEST).is_file():
        folders = [where]
    else:
        folders = sorted(p.parent for p in where.glob(f"{pattern or '*'}/{MANIFEST}"))
    if not folders:
        what = f"matching {pattern!r} " if pattern else ""
        raise BdevError(f"no change task folders {what}in {where} (each needs a {MANIFEST})")
    return [load_change(p) for p in folders]
