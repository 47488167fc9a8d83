"""Measuring a built service: start it, run a scenario's test files against it.

The service is started by `bdev.backend.audit.startup.running_service` (its own process
group, always stopped on exit); the start command comes from the task (a scenario's
`start` and `port`), else from `analyze`, else from the file contract every strategy is
told (app.py, or app/main.py, served by uvicorn).

A task may also constrain what the service is made of (`packages`, `files`):
`constraint_violations` says, one sentence each, where a built service breaks them.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import secrets
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bdev.backend.analyze import analyze
from bdev.backend.audit.procs import free_port, run_bounded
from bdev.backend.audit.startup import Service, running_service
from bdev.backend.facts import BackendFacts
from bdev.errors import BdevError
from bdev.sandbox import Network

# Secrets a service may expect under a common name; fresh for every run, never real.
SECRET_NAMES = ("APP_SECRET", "APP_SECRET_KEY", "SECRET_KEY", "JWT_SECRET")
_CONTRACT = {
    "app.py": "app:app",
    "main.py": "main:app",
    "app/main.py": "app.main:app",
}


class Measured(Protocol):
    """What measuring needs of a task: its hidden test files and the environment it
    declares (a greenfield `Scenario` or a `ChangeTask`)."""

    @property
    def slug(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def dirs(self) -> tuple[str, ...]: ...
    @property
    def functional_tests(self) -> Path: ...
    @property
    def exploit_tests(self) -> Path: ...
    def service_env(self, workdir: Path) -> dict[str, str]: ...


@dataclass
class TestTally:
    """One test file's outcome. `failed` names the tests that failed (for an exploit
    file: the attacks that worked; for a functional file also, one sentence each, the
    task constraints the service breaks); `errors` those whose setup broke (nothing was shown,
    but nothing was checked either, so they also keep `ok` false)."""

    __test__ = False  # not a pytest test class, despite the name

    ran: bool = False  # pytest produced a report
    total: int = 0
    passed: int = 0
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    detail: str = ""  # why it did not run, or pytest's last words when it crashed

    @property
    def ok(self) -> bool:
        return self.ran and self.total > 0 and not self.failed and not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def run_environment(scenario: Measured, workdir: Path) -> dict[str, str]:
    """The environment shared by the service and its tests: the scenario's variables
    (with `{workdir}` filled in) and fresh secrets; the folders it asks for exist."""
    env = {name: secrets.token_hex(16) for name in SECRET_NAMES}
    env.update(scenario.service_env(workdir))
    # The same SQLite file under the other common convention, so that a service written
    # for DATABASE_URL (bdev's skeleton, many apps) stores where the tests look.
    if "DATABASE_PATH" in env and "DATABASE_URL" not in env:
        env["DATABASE_URL"] = f"sqlite:///{env['DATABASE_PATH']}"
    for name in scenario.dirs:
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    return env


def service_facts(root: Path) -> tuple[BackendFacts, str | None]:
    """What `running_service` needs: analysed facts, plus a start command when analysis
    found none (then the file contract decides)."""
    try:
        facts = analyze(root)
    except BdevError:
        facts = BackendFacts(root=str(root))
    if facts.entry_point and facts.entry_point.command:
        return facts, None
    for file, target in _CONTRACT.items():
        if (root / file).is_file():
            return facts, f"python -m uvicorn {target} --host 127.0.0.1 --port {{port}}"
    raise BdevError(f"{root}: no app.py or app/main.py to start")


@contextmanager
def started(
    root: Path,
    env: dict[str, str],
    log: Path,
    timeout_s: float,
    cmd: str | None = None,
    port: int | None = None,
) -> Iterator[Service]:
    """The service in `root`, answering HTTP; StartupError (or BdevError) when it won't.
    `cmd` overrides the analysed or contracted start command: with `{port}` in it, or
    listening on the fixed `port` given with it (a task's "start with python app.py")."""
    facts, found = service_facts(root) if cmd is None else (BackendFacts(root=str(root)), cmd)
    cmd = cmd or found
    with running_service(
        root,
        facts,
        port=port or free_port(),
        cmd=cmd,
        env={**os.environ, **env},
        log=log,
        timeout_s=timeout_s,
    ) as service:
        yield service


def run_test_file(
    test_file: Path,
    suite_root: Path,
    *,
    base_url: str,
    env: dict[str, str],
    workdir: Path,
    timeout_s: float,
    service_dir: Path | None = None,
) -> TestTally:
    """pytest on one scenario test file against base_url; read back its JUnit XML.
    `service_dir`: the built service, which some hidden tests read or import (the
    sandbox's private /tmp would otherwise hide it)."""
    junit = workdir / f"{test_file.stem}.xml"
    junit.unlink(missing_ok=True)
    argv = [
        sys.executable, "-m", "pytest", "-q", "-c", str(suite_root / "pytest.ini"),
        "--rootdir", str(suite_root), f"--junitxml={junit}",
        "--basetemp", str(workdir / f"tmp-{test_file.stem}"), str(test_file),
    ]  # fmt: skip
    completed = run_bounded(
        argv,
        cwd=suite_root,
        timeout_s=timeout_s,
        log=workdir / f"{test_file.stem}.log",
        env={**os.environ, **env, "BASE_URL": base_url},
        network=Network.HOST,  # the tests talk to the running service on the host's loopback
        writable=[service_dir] if service_dir else [],
        # A suite's conftest may share helpers with its sibling suites (the change suite
        # reuses the scenario suite's fixtures).
        readable=[suite_root.parent],
    )
    tally = read_junit(junit)
    if completed.timed_out:
        tally.ran, tally.detail = False, f"pytest did not finish within {timeout_s:g} s"
    elif not tally.ran:
        last_lines = completed.output.strip().splitlines()[-1:]
        tally.detail = last_lines[0] if last_lines else "pytest printed nothing"
    return tally


def read_junit(path: Path) -> TestTally:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return TestTally(detail=f"no readable JUnit report at {path}")
    tally = TestTally(ran=True)
    for case in root.iter("testcase"):
        if case.find("skipped") is not None:
            continue
        tally.total += 1
        if case.find("failure") is not None:
            tally.failed.append(case.get("name", "?"))
        elif case.find("error") is not None:
            tally.errors.append(case.get("name", "?"))
        else:
            tally.passed += 1
    return tally


# --- Task constraints: allowed packages and files -------------------------------------

# Import names whose distribution is named otherwise, for when that distribution is not
# installed here (packages_distributions() only knows installed ones).
IMPORT_DISTRIBUTIONS = {
    "attr": "attrs",
    "bs4": "beautifulsoup4",
    "crypto": "pycryptodome",
    "cv2": "opencv-python",
    "dateutil": "python-dateutil",
    "docx": "python-docx",
    "dotenv": "python-dotenv",
    "fitz": "pymupdf",
    "fpdf": "fpdf2",
    "jose": "python-jose",
    "jwt": "pyjwt",
    "magic": "python-magic",
    "multipart": "python-multipart",
    "openssl": "pyopenssl",
    "pil": "pillow",
    "python_multipart": "python-multipart",
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
}
# What the common frameworks bring along, for when they are not installed here.
KNOWN_DEPENDENCIES = {
    "flask": ("werkzeug", "jinja2", "itsdangerous", "click", "blinker", "markupsafe"),
    "fastapi": ("starlette", "pydantic", "anyio", "typing-extensions", "annotated-doc"),
    "starlette": ("anyio", "typing-extensions"),
    "pydantic": ("pydantic-core", "annotated-types", "typing-extensions", "typing-inspection"),
    "anyio": ("idna", "sniffio", "typing-extensions"),
    "uvicorn": ("click", "h11", "typing-extensions"),
    "jinja2": ("markupsafe",),
    "werkzeug": ("markupsafe",),
    "fpdf2": ("pillow", "fonttools", "defusedxml"),
}
# Folders that tools, not the task, put in a service folder.
TOOL_DIRS = frozenset({".bdev", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})


def normalize(name: str) -> str:
    """A distribution name as PyPI compares them: "Flask_Login" -> "flask-login"."""
    return re.sub(r"[-_.]+", "-", name).lower()


def allowed_distributions(packages: Iterable[str]) -> set[str]:
    """The allowed distributions and everything they depend on (installed metadata, else
    the table of common frameworks)."""
    allowed: set[str] = set()
    todo = [normalize(p) for p in packages]
    while todo:
        name = todo.pop()
        if name in allowed:
            continue
        allowed.add(name)
        todo.extend(KNOWN_DEPENDENCIES.get(name, ()))
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            marker = requirement.partition(";")[2]
            if "extra" in marker:
                continue  # an optional extra, not installed along
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            if match:
                todo.append(normalize(match.group()))
    return allowed


def imported_modules(root: Path) -> dict[str, str]:
    """Top-level names of the absolute imports in every .py file under root, each with
    the file that first imports it (a file that does not parse is skipped: it fails on
    its own)."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if TOOL_DIRS & set(rel.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], rel.as_posix())
    return found


def _local_modules(root: Path) -> set[str]:
    """Names the service itself provides: its modules and packages, at any depth (a
    service may put its folder on sys.path)."""
    local = {p.stem for p in root.rglob("*.py")}
    local |= {p.parent.name for p in root.rglob("__init__.py")}
    return local


def package_violations(root: Path, packages: Iterable[str]) -> list[str]:
    """One sentence per third-party distribution that the service imports and the task
    does not allow (the standard library always is)."""
    allowed = allowed_distributions(packages)
    local = _local_modules(root)
    installed = importlib.metadata.packages_distributions()
    stdlib = sys.stdlib_module_names
    problems: dict[str, str] = {}
    for module, file in imported_modules(root).items():
        if module in stdlib or module in local:
            continue
        dists = [normalize(d) for d in installed.get(module, ())]
        dists = dists or [IMPORT_DISTRIBUTIONS.get(module.lower(), normalize(module))]
        if any(d in allowed for d in dists):
            continue
        dist = dists[0]
        what = module if normalize(module) == dist else f"{module} (from {dist})"
        problems.setdefault(dist, f"{file} imports {what}, which the task does not allow")
    return list(problems.values())


def file_violations(root: Path, files: Iterable[str]) -> list[str]:
    """One sentence per file in the service folder that the task does not allow."""
    allowed = {Path(f).as_posix() for f in files}
    extra = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_dir() or TOOL_DIRS & set(rel.parts) or path.suffix == ".pyc":
            continue
        if rel.as_posix() not in allowed:
            extra.append(rel.as_posix())
    if not extra:
        return []
    only = ", ".join(sorted(allowed)) or "none"
    return [f"has file {name}, which the task does not allow (only {only})" for name in extra]


def constraint_violations(task: Measured, root: Path) -> list[str]:
    """Where the built service in root breaks its task's constraints (packages, files);
    tasks without such fields (change tasks) have none."""
    problems: list[str] = []
    files = getattr(task, "files", None)
    if files is not None:
        problems += file_violations(root, files)
    packages = getattr(task, "packages", None)
    if packages is not None:
        problems += package_violations(root, packages)
    return problems
