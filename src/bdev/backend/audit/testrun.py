"""Step 1: the service's own test suite under coverage.

`coverage run -m pytest` in the service directory, results read from a JUnit XML file
(sturdier than scraping pytest's summary line, which plugins reword) and the line-coverage
percent from `coverage json`.
"""

from __future__ import annotations

import json
import re
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from bdev.backend.audit.procs import run_bounded, tail
from bdev.backend.audit.results import StepResult, StepStatus

# Test code and virtualenvs would inflate the percent: measure the service's own code.
# Anchored at the root: a bare "*/tests/*" would omit everything when the service
# itself lives under some tests/ folder (as fixtures do).
OMIT = ("tests/*", "*/tests/*", "*test_*.py", "*_test.py", "*conftest.py", ".venv/*", "venv/*")


def omit_patterns(root: Path) -> str:
    return ",".join(f"{root}/{pattern}" for pattern in OMIT)


# Captured logs and output go into the JUnit report: a web framework's test client turns
# the server's exception into a 500 and logs it, and that log says what actually broke.
JUNIT_CAPTURE = ("-o", "junit_logging=all", "-o", "junit_log_passing_tests=false")

# pytest exit codes (pytest.ExitCode) that mean "the suite ran".
_RAN = {0, 1}
_NO_TESTS = 5


def coverage_source(root: Path) -> Path:
    """The code to measure: src/ when the project uses that layout, else the root."""
    src = root / "src"
    return src if src.is_dir() else root


def run_tests(
    root: Path,
    workdir: Path,
    timeout_s: float,
    env: dict[str, str],
    python: str = sys.executable,
    paths: tuple[str, ...] = (),
) -> StepResult:
    """`env` is the complete environment for the suite (throwaway service URLs included);
    `python` the service's interpreter, which has pytest and coverage; `paths` what to
    run (default: what pytest discovers)."""
    start = time.monotonic()
    junit = workdir / "junit.xml"
    cov_json = workdir / "coverage.json"
    env = {**env, "COVERAGE_FILE": str(workdir / ".coverage")}
    run = run_bounded(
        [
            python, "-m", "coverage", "run",
            f"--source={coverage_source(root)}", f"--omit={omit_patterns(root)}",
            "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
            *JUNIT_CAPTURE, *paths,
        ],
        cwd=root, timeout_s=timeout_s, log=workdir / "pytest.log", env=env,
    )  # fmt: skip
    data: dict = {
        "command": "coverage run -m pytest -q",
        "python": python,
        "output_tail": tail(run.output),
    }

    if run.timed_out:
        data.update(passed=None, failed=None, errors=None, coverage_percent=None)
        return StepResult(
            name="tests", status="error", duration_s=time.monotonic() - start,
            summary=f"test suite timed out after {timeout_s:g} s", data={**data, "timed_out": True},
        )  # fmt: skip

    counts = read_junit(junit) or parse_summary(run.output)
    if counts:
        data.update(counts)
        data["failures"] = read_failures(junit)
    else:
        data.update(passed=None, failed=None, errors=None, skipped=None)
    data["exit_code"] = run.returncode
    data["coverage_percent"] = (
        _coverage_percent(root, workdir, cov_json, env, python) if counts else None
    )

    status: StepStatus
    if run.returncode == _NO_TESTS:
        status, summary = "failed", "no tests were collected"
    elif run.returncode not in _RAN or counts is None:
        status = "error"
        summary = f"pytest could not run the suite (exit code {run.returncode}): {_why(run.output)}"
    else:
        status = "ok" if run.returncode == 0 else "failed"
        summary = f"{counts['passed']} passed, {counts['failed']} failed, {counts['errors']} errors"
        if data["coverage_percent"] is not None:
            summary += f"; line coverage {data['coverage_percent']:.1f}%"
    return StepResult(
        name="tests", status=status, duration_s=time.monotonic() - start, summary=summary, data=data
    )


def read_junit(path: Path) -> dict[str, int] | None:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in total:
            total[key] += int(suite.get(key, 0))
    failed, errors, skipped = total["failures"], total["errors"], total["skipped"]
    return {
        "passed": total["tests"] - failed - errors - skipped,
        "failed": failed,
        "errors": errors,
        "skipped": skipped,
    }


MAX_FAILURES = 5  # reported with their messages; the counts cover the rest
_MESSAGE_CHARS = 400


def read_failures(path: Path) -> list[dict[str, str]]:
    """The first failing or erroring tests of a JUnit report: `test` (file::name) and
    `message`, pytest's own words for what went wrong (its last lines, which name the
    assertion or the exception)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return []
    out: list[dict[str, str]] = []
    for case in root.iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            continue
        where = (case.get("classname") or "").replace(".", "/")
        text = (problem.text or problem.get("message") or "").strip()
        message = "\n".join(text.splitlines()[-8:])[-_MESSAGE_CHARS:]
        raised = server_error(case)
        if raised and raised not in message:
            message += f"\nThe server raised, while the test ran: {raised}"
        out.append({"test": f"{where}::{case.get('name', '?')}", "message": message})
        if len(out) == MAX_FAILURES:
            break
    return out


_RAISED = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b.*)$", re.M)


def server_error(case: ET.Element) -> str | None:
    """The last exception a test case's captured output shows after a traceback (what a
    test client logged as the server's error), e.g. `sqlite3.OperationalError: near
    "WHERE": syntax error`; None when there is none."""
    captured = "\n".join((e.text or "") for e in case if e.tag in ("system-out", "system-err"))
    at = captured.rfind("Traceback (most recent call last)")
    if at < 0:
        return None
    found = _RAISED.findall(captured[at:])
    return found[-1].strip()[:_MESSAGE_CHARS] if found else None


_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)")


def parse_summary(output: str) -> dict[str, int] | None:
    """Fallback: read pytest's last summary line, e.g. "3 passed, 1 failed in 0.1s"."""
    for line in reversed(output.splitlines()):
        found = _COUNT.findall(line)
        if found:
            counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
            for number, word in found:
                counts["errors" if word.startswith("error") else word] += int(number)
            return counts
    return None


def _why(output: str) -> str:
    """The first error pytest printed ("E   ModuleNotFoundError: ..."), else its last line."""
    lines = output.strip().splitlines() or ["no output"]
    first_error = next((line for line in lines if line.startswith("E   ")), None)
    return (first_error or lines[-1]).removeprefix("E").strip()


def _coverage_percent(
    root: Path, workdir: Path, out: Path, env: dict[str, str], python: str
) -> float | None:
    # Same cwd and interpreter as `coverage run`: the project's own coverage config and
    # coverage version apply to both.
    run = run_bounded(
        [python, "-m", "coverage", "json", "-q", "-o", str(out)],
        cwd=root, timeout_s=60, log=workdir / "coverage.log", env=env,
    )  # fmt: skip
    if run.returncode != 0:
        return None
    try:
        return round(float(json.loads(out.read_text())["totals"]["percent_covered"]), 2)
    except (OSError, ValueError, KeyError):
        return None
