"""The service's own tests as the check of a program-led change step.

A change that compiles can still break the endpoint it touches (a `WHERE` after `ORDER
BY`, a response that is no longer a list). When the service has tests, each candidate is
run against them before it is kept: a test that passed before the change and fails after
it is a regression the model is told about at once, with the server's exception when the
test client logged one, instead of a round later through the audit. Tests that failed
before (a bug report's failing test) count too: the candidate that leaves the fewest
failing is the one kept.

The tests run with the service's interpreter, found the way the audit finds it (and
cached, so the audit that follows builds nothing).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bdev.backend.audit import environment
from bdev.backend.audit.procs import run_bounded
from bdev.backend.audit.testrun import JUNIT_CAPTURE, read_junit, server_error

RUN_TIMEOUT_S = 120.0
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
class Suite:
    """The service's tests and the interpreter that runs them."""

    root: Path
    python: str
    env: dict[str, str]

    def run(self) -> Outcome | None:
        """The suite's outcome; None when pytest could not run it (collection errors
        count as failures: they are what a broken module causes)."""
        with tempfile.TemporaryDirectory(prefix="bdev-suite-") as tmp:
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


def find_suite(root: Path) -> Suite | None:
    """The service's test suite, ready to run; None when it has no tests folder or its
    environment cannot be made (the audit reports why)."""
    if not any((root / name).is_dir() for name in _TEST_FOLDERS):
        return None
    with tempfile.TemporaryDirectory(prefix="bdev-suite-env-") as workdir:
        try:
            _, env = environment.prepare(
                root, Path(workdir), python=None, timeout_s=900.0, progress=lambda _t: None
            )
        except environment.EnvironmentFailure:
            return None
    merged = {**os.environ, **env.env}
    merged.pop("PYTHONHOME", None)
    return Suite(root, env.python, merged)


def _outcome(junit: Path) -> Outcome:
    import xml.etree.ElementTree as ET

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
