"""The tests step names the failing tests with pytest's own words, for the feedback."""

from __future__ import annotations

from pathlib import Path

from bdev.backend.audit.report import AuditReport
from bdev.backend.audit.results import StepResult
from bdev.backend.audit.testrun import MAX_FAILURES, read_failures
from bdev.workflow.backend import gate_feedback
from bdev.workflow.gates import GateResult

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="0" tests="3">
<testcase classname="tests.test_api" name="test_ok" time="0.01"/>
<testcase classname="tests.test_api" name="test_list" time="0.01">
<failure message="assert 500 == 200">def test_list():
&gt;       assert call("GET", "/events").status == 200
E       sqlite3.OperationalError: near "WHERE": syntax error</failure></testcase>
<testcase classname="tests.test_api" name="test_boom" time="0.01">
<error message="failed on setup">E   fixture 'db' not found</error></testcase>
</testsuite></testsuites>
"""


def test_failures_name_the_test_and_its_error(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    failures = read_failures(path)
    assert [f["test"] for f in failures] == [
        "tests/test_api::test_list",
        "tests/test_api::test_boom",
    ]
    assert 'near "WHERE": syntax error' in failures[0]["message"]
    assert "fixture 'db' not found" in failures[1]["message"]
    assert read_failures(tmp_path / "missing.xml") == []

    extra = "".join(
        f'<testcase classname="t" name="x{i}"><failure>E boom {i}</failure></testcase>'
        for i in range(10)
    )
    many = JUNIT.replace("</testsuite>", extra + "</testsuite>")
    path.write_text(many)
    assert len(read_failures(path)) == MAX_FAILURES


def test_the_feedback_shows_the_failing_tests(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    report = AuditReport(root=str(tmp_path), started_at="now")
    report.steps.append(
        StepResult(
            name="tests",
            status="failed",
            summary="1 passed, 1 failed, 1 errors",
            data={"failures": read_failures(path)},
        )
    )
    gate = GateResult(name="tests", passed=False, evidence="1 passed, 2 failed or errored")
    text = gate_feedback([gate], report)
    assert "Failing test tests/test_api::test_list" in text
    assert 'near "WHERE": syntax error' in text


def test_the_servers_exception_logged_during_a_test_is_named(tmp_path: Path) -> None:
    # A Flask test client answers 500 and logs the exception; pytest puts the log in the
    # report's system-out (JUNIT_CAPTURE). The test itself only sees `None` for a body.
    logged = JUNIT.replace(
        "fixture 'db' not found</error></testcase>",
        "fixture 'db' not found</error><system-out>ERROR app: Exception on /events [GET]\n"
        'Traceback (most recent call last):\n  File "app.py", line 9, in list_events\n'
        "sqlite3.ProgrammingError: Incorrect number of bindings supplied.\n"
        "</system-out></testcase>",
    )
    path = tmp_path / "junit.xml"
    path.write_text(logged)
    boom = read_failures(path)[1]
    assert boom["message"].endswith(
        "The server raised, while the test ran: sqlite3.ProgrammingError: "
        "Incorrect number of bindings supplied."
    )
    assert "server raised" not in read_failures(path)[0]["message"]  # nothing was logged


def test_a_program_led_round_hears_only_what_code_can_fix(tmp_path: Path) -> None:
    report = AuditReport(root=str(tmp_path), started_at="now")
    report.steps.append(StepResult(name="startup", status="error", summary="exit code 1: boom"))
    gates = [
        GateResult("tests", False, "1 passed, 1 failed", {"passed": 1}),
        GateResult("coverage", False, "40% < 80%", 40.0),
        GateResult("security", False, "1 finding above medium: CWE-89 at app.py:9", {"g": "C"}),
        GateResult("openapi", False, "not measured: the service serves no OpenAPI document"),
        GateResult("health", False, "no health endpoint found"),
    ]
    expected = ["`assert call('GET', '/e', params={'limit': 'x'}).status == 400`: 200 != 400"]
    text = gate_feedback(gates, report, guided=True, expected=expected)
    assert "- tests:" in text and "- security: 1 finding above medium" in text
    assert "coverage" not in text and "openapi" not in text and "health" not in text
    assert "The service did not start: exit code 1: boom" in text
    assert "bdev's tests of what the request states failed" in text and expected[0] in text
    # The free loop's agent still hears every gate: it can add a health route itself.
    assert "health" in gate_feedback(gates, report)
