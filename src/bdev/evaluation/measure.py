"""Measuring a built service: start it, run a scenario's test files against it.

The service is started by `bdev.backend.audit.startup.running_service` (its own process
group, always stopped on exit); the start command comes from `analyze`, else from the
file contract every strategy is told (app.py, or app/main.py, served by uvicorn).
"""

from __future__ import annotations

import os
import secrets
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bdev.backend.analyze import analyze
from bdev.backend.audit.procs import free_port, run_bounded
from bdev.backend.audit.startup import Service, running_service
from bdev.backend.facts import BackendFacts
from bdev.errors import BdevError

# Secrets a service may expect under a common name; fresh for every run, never real.
SECRET_NAMES = ("APP_SECRET_KEY", "SECRET_KEY", "JWT_SECRET")
_CONTRACT = {
    "app.py": "app:app",
    "main.py": "main:app",
    "app/main.py": "app.main:app",
}


class Measured(Protocol):
    """What measuring needs of a task: its hidden test files and the environment it
    declares (a greenfield `Scenario` or a `ChangeTask`)."""

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
    file: the attacks that worked); `errors` those whose setup broke (nothing was shown,
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
    root: Path, env: dict[str, str], log: Path, timeout_s: float, cmd: str | None = None
) -> Iterator[Service]:
    """The service in `root`, answering HTTP; StartupError (or BdevError) when it won't.
    `cmd` (with `{port}`) overrides the analysed or contracted start command."""
    facts, found = service_facts(root) if cmd is None else (BackendFacts(root=str(root)), cmd)
    cmd = cmd or found
    with running_service(
        root,
        facts,
        port=free_port(),
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
) -> TestTally:
    """pytest on one scenario test file against base_url; read back its JUnit XML."""
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
