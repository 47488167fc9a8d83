"""Step 1: the service's own test suite under coverage.

`coverage run -m pytest` in the service directory, results read from a JUnit XML file
(sturdier than scraping pytest's summary line, which plugins reword) and the line-coverage
percent from `coverage json`.

pytest runs `unittest.TestCase` suites too, but its default file pattern (`test_*.py`)
misses `tests.py` and the like: `unittest_files` finds those, and they are passed to
pytest explicitly (see `discovery`). A suite that cannot run because the environment
lacks a module is "not checked: environment: ...", never a failure (`envproblem`).
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from bdev.backend.audit.discovery import discovery
from bdev.backend.audit.envproblem import environment_problem
from bdev.backend.audit.procs import run_bounded, tail
from bdev.backend.audit.results import StepResult, StepStatus
from bdev.backend.audit.unittest_output import FAILED_IMPORT, parse_unittest, unittest_failures

# Test code and virtualenvs would inflate the percent: measure the service's own code.
# Anchored at the root: a bare "*/tests/*" would omit everything when the service
# itself lives under some tests/ folder (as fixtures do).
OMIT = (
    "tests/*", "*/tests/*", "*test_*.py", "*_test.py", "*conftest.py", ".venv/*", "venv/*",
    "tests.py", "*/tests.py",
)  # fmt: skip


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
    found = discovery(root, paths)
    coverage = [
        python, "-m", "coverage", "run",
        f"--source={coverage_source(root)}", f"--omit={omit_patterns(root)}",
    ]  # fmt: skip
    if found.runner == "django":
        runner = ["manage.py", *found.args]
    else:
        runner = ["-m", "pytest", "-q", *found.args]
        coverage += ["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
                     *JUNIT_CAPTURE, *found.args]  # fmt: skip
    run = run_bounded(
        coverage if found.runner == "pytest" else [*coverage, *runner],
        cwd=root, timeout_s=timeout_s, log=workdir / "pytest.log", env=env,
    )  # fmt: skip
    data: dict = {
        "command": shlex.join(["coverage", "run", *runner]),
        "runner": found.runner,
        "discovery": found.how,
        "python": python,
        "output_tail": tail(run.output),
    }

    if run.timed_out:
        data.update(passed=None, failed=None, errors=None, coverage_percent=None)
        return StepResult(
            name="tests", status="error", duration_s=time.monotonic() - start,
            summary=f"test suite timed out after {timeout_s:g} s", data={**data, "timed_out": True},
        )  # fmt: skip

    if found.runner == "django":
        counts = parse_unittest(run.output)
        failures = unittest_failures(run.output)
    else:
        counts = read_junit(junit) or parse_summary(run.output)
        failures = read_failures(junit)
    if counts:
        data.update(counts)
        data["failures"] = failures
    else:
        data.update(passed=None, failed=None, errors=None, skipped=None)
    data["exit_code"] = run.returncode
    ran = run.returncode in _RAN and counts is not None
    if ran and FAILED_IMPORT in run.output and environment_problem(root, run.output):
        ran = False  # unittest turned a module it could not import into an "error"
    # Coverage of a suite that did not run measures nothing: None ("not checked").
    data["coverage_percent"] = (
        _coverage_percent(root, workdir, cov_json, env, python) if ran else None
    )

    status: StepStatus
    none_ran = counts is not None and not any(counts.values())  # unittest: "Ran 0 tests"
    if run.returncode == _NO_TESTS or (found.runner == "django" and none_ran):
        status, summary = "failed", "no tests were collected"
    elif not ran and (problem := environment_problem(root, run.output)):
        status, summary = "error", f"not checked: environment: {problem}"
        data["environment_problem"] = problem
    elif not ran or counts is None:
        status = "error"
        summary = (
            f"{found.runner} could not run the suite (exit code {run.returncode}):"
            f" {_why(run.output)}"
        )
    else:
        status = "ok" if run.returncode == 0 else "failed"
        summary = f"{counts['passed']} passed, {counts['failed']} failed, {counts['errors']} errors"
        if found.added:
            summary += f" (with {', '.join(found.added)}, beyond pytest's default pattern)"
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
