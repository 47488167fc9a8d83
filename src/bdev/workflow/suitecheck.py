"""The service's own code as the check of a program-led change step: it imports, and its
own tests pass.

A change that compiles can still break the endpoint it touches (a `WHERE` after `ORDER
BY`, a response that is no longer a list). When the service has tests, each candidate is
run against them before it is kept: a test that passed before the change and fails after
it is a regression the model is told about at once, with the server's exception when the
test client logged one, instead of a round later through the audit. Tests that failed
before (a bug report's failing test) count too: the candidate that leaves the fewest
failing is the one kept.

Before that, the changed module must import: a module that fails at import time (a test
the model called at module level, a name it misspelt at run time) is rejected whatever
the tests say, since a service that does not start passes nothing.

Both run with the service's interpreter, found the way the audit finds it (and cached,
so the audit that follows builds nothing), and leave the service's SQLite databases as
they found them: every run starts from the same data.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from bdev.backend.audit import environment
from bdev.backend.audit.datastate import sqlite_kept
from bdev.backend.audit.procs import run_bounded
from bdev.backend.audit.testrun import JUNIT_CAPTURE, read_junit, server_error
from bdev.sandbox import confine

RUN_TIMEOUT_S = 120.0
IMPORT_TIMEOUT_S = 30.0
_TEST_FOLDERS = ("tests", "test")
_MESSAGE_LINES = 4


@dataclass
class Outcome:
    """One run of the suite: test id -> why it failed (the last lines of pytest's report,
    and the server's exception), for every test that did not pass."""

    failed: dict[str, str] = field(default_factory=dict)
    passed: int = 0

    def regressions(self, before: Outcome) -> dict[str, str]:
        """Tests failing now that passed before."""
        return {t: why for t, why in self.failed.items() if t not in before.failed}


@dataclass
class Service:
    """The service's code with the interpreter that runs it."""

    root: Path
    python: str
    env: dict[str, str]

    @property
    def has_tests(self) -> bool:
        """Asked each time: bdev's generated tests may have added the folder since."""
        return any((self.root / name).is_dir() for name in _TEST_FOLDERS)

    def import_error(self, file: str) -> str | None:
        """Why `file` (relative to the root) fails to import, in the exception's own last
        line; None when it imports, or when that cannot be told (it did not finish)."""
        module = file.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        run = confine(
            [self.python, "-c", f"import {module}"],
            cwd=self.root, env={**self.env, "PYTHONPATH": str(self.root)},
        )  # fmt: skip
        try:
            with sqlite_kept(self.root):  # a module that creates its database on import
                done = subprocess.run(
                    run.argv, cwd=self.root, env=run.env, capture_output=True, text=True,
                    timeout=IMPORT_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL,
                )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            return None  # e.g. a module that serves at import: not for this check to say
        if done.returncode == 0:
            return None
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return lines[-1][:400] if lines else f"exit code {done.returncode}"

    def run(self) -> Outcome | None:
        """The suite's outcome; None when pytest could not run it (collection errors
        count as failures: they are what a broken module causes)."""
        # Each run starts from the data the service had, not what the last run wrote.
        with tempfile.TemporaryDirectory(prefix="bdev-suite-") as tmp, sqlite_kept(self.root):
            junit = Path(tmp) / "junit.xml"
            done = run_bounded(
                [
                    self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    f"--junitxml={junit}", *JUNIT_CAPTURE,
                ],
                cwd=self.root, timeout_s=RUN_TIMEOUT_S, log=Path(tmp) / "pytest.log", env=self.env,
            )  # fmt: skip
            if done.timed_out or read_junit(junit) is None:
                return None
            return _outcome(junit)


def find_service(root: Path) -> Service | None:
    """The service's interpreter and environment; None when they cannot be made (the
    audit reports why)."""
    with tempfile.TemporaryDirectory(prefix="bdev-suite-env-") as workdir:
        try:
            _, env = environment.prepare(
                root, Path(workdir), python=None, timeout_s=900.0, progress=lambda _t: None
            )
        except environment.EnvironmentFailure:
            return None
    merged = {**os.environ, **env.env}
    merged.pop("PYTHONHOME", None)
    return Service(root, env.python, merged)


def _outcome(junit: Path) -> Outcome:
    outcome = Outcome()
    for case in ET.parse(junit).getroot().iter("testcase"):
        problem = case.find("failure")
        problem = problem if problem is not None else case.find("error")
        if case.find("skipped") is not None and problem is None:
            continue
        test = f"{(case.get('classname') or '').replace('.', '/')}::{case.get('name', '?')}"
        if problem is None:
            outcome.passed += 1
            continue
        text = (problem.text or problem.get("message") or "failed").strip().splitlines()
        why = "\n".join(line for line in text[-_MESSAGE_LINES:] if line.strip())
        raised = server_error(case)
        if raised and raised not in why:
            why += f"\nThe server raised: {raised}"
        outcome.failed[test] = why
    return outcome
