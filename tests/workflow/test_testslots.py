"""The narrow slots of the generated tests: the model's assert lines stay only when they
compile, break no rule and pass against the service; without a model, the skeleton."""

from __future__ import annotations

from pathlib import Path

from bdev.backend.analyze import analyze
from bdev.backend.audit.report import AuditReport
from bdev.backend.testgen import GENERATED
from bdev.llm.scripted import ScriptedModel
from bdev.workflow.changes import Changes
from bdev.workflow.testgen import check_slots, generate_tests, needs_tests
from bdev.workflow.testslots import assert_lines, mentioned
from support.apps import FASTAPI_APP, MEMBERS_APP, served_document

TASK = (
    'create app.py with a FastAPI GET /health that returns {"status": "ok"}, '
    "and POST /items, with a pytest test"
)


def fenced(*lines: str) -> dict:
    return {"content": "```python\n" + "\n".join(lines) + "\n```"}


def report_for(root: Path, app: str = FASTAPI_APP) -> AuditReport:
    (root / "app.py").write_text(app)
    (root / "requirements.txt").write_text("fastapi\n")
    return AuditReport(
        root=str(root),
        started_at="2026-01-01T00:00:00+00:00",
        facts=analyze(root),
        openapi=served_document(root),
    )


def test_good_asserts_are_kept_and_bad_ones_dropped(tmp_path: Path) -> None:
    report = report_for(tmp_path)
    model = ScriptedModel.from_turns(
        [
            # GET /health: what the request states, with response.json() as small models write it
            fenced('assert response.json() == {"status": "ok"}'),
            # POST /items: compiles, but is false of the service
            fenced('assert data["name"] == "widget"'),
            # GET /items/{item_id}: does not compile
            fenced("assert data ==="),
        ]
    )
    written = generate_tests(tmp_path, TASK, report, model)
    assert written is not None and written.path == GENERATED
    assert "widget" in (tmp_path / GENERATED).read_text()  # not checked yet
    assert check_slots(tmp_path, written, report)  # the file changed: audit again
    text = (tmp_path / GENERATED).read_text()
    assert 'assert data == {"status": "ok"}' in text
    assert "widget" not in text and "===" not in text
    notes = "\n".join(written.notes + written.checked)
    assert "GET /health: checks" in notes
    assert "POST /items: dropped" in notes and "its test failed" in notes
    # The request names POST /items with its method: GET /items/{item_id} is not asked.
    assert "GET /items/{item_id}" not in notes
    assert "test_get_health_matches_the_request" in text
    assert "bdev wrote tests/test_api_generated.py" in written.summary()
    assert [f.split(": ")[0] for f in written.failed] == [
        '`assert data["name"] == "widget"` (POST /items)'
    ]


def test_failing_expectations_stay_while_a_round_follows_and_are_reused(tmp_path: Path) -> None:
    report = report_for(tmp_path)
    model = ScriptedModel.from_turns(
        [
            fenced('assert data == {"status": "ok"}'),
            fenced('assert data["name"] == "widget"'),
            fenced("NONE"),
        ]
    )
    written = generate_tests(tmp_path, TASK, report, model)
    assert written is not None
    assert not check_slots(tmp_path, written, report, keep_failing=True)  # nothing dropped
    assert "widget" in (tmp_path / GENERATED).read_text()
    assert "POST /items: kept for the next round" in "\n".join(written.checked)
    # The next round asks the model nothing: the same expectations are checked again.
    again = generate_tests(tmp_path, TASK, report, None, reuse=written.slots)
    assert again is not None and [s.lines for s in again.slots] == [s.lines for s in written.slots]
    assert check_slots(tmp_path, again, report)  # the last round: the failing one leaves
    assert "widget" not in (tmp_path / GENERATED).read_text()


def test_without_a_model_only_the_skeleton_is_written(tmp_path: Path) -> None:
    written = generate_tests(tmp_path, TASK, report_for(tmp_path), None)
    assert written is not None and written.notes == [] and written.changed
    assert not check_slots(tmp_path, written, report_for(tmp_path))
    text = (tmp_path / GENERATED).read_text()
    assert "matches_the_request" not in text and "test_get_health_succeeds" in text
    again = generate_tests(tmp_path, TASK, report_for(tmp_path), None)
    assert again is not None and not again.changed  # same text: no need to audit again


def test_assert_lines_are_checked_one_by_one() -> None:
    assert assert_lines("NONE") == ([], "the request states nothing about it")
    assert assert_lines("```python\nassert data['a'] == 1\nprint(1)\n```") == (
        ["assert data['a'] == 1"],
        "",
    )
    lines, why = assert_lines("```python\nassert eval('1')\n```")
    assert not lines and "eval" in why
    lines, why = assert_lines("```python\nassert data ===\n```")
    assert not lines and "does not compile" in why
    lines, why = assert_lines("The answer is ok.")
    assert not lines and "no assert" in why


def test_tests_are_needed_for_an_endpoint_no_test_names(tmp_path: Path) -> None:
    report = report_for(tmp_path)
    report.tests.passed = 1  # the agent's suite ran
    added = Changes(added=["app.py"])
    assert needs_tests(tmp_path, report, None, added)
    (tmp_path / "tests").mkdir()
    named = "\n".join(f'client.get("{p}")' for p in ("/health", "/items", "/admin/stats"))
    (tmp_path / "tests" / "test_app.py").write_text(named)
    assert not needs_tests(tmp_path, report, None, added)
    report.tests.passed = 0  # nothing ran: bdev writes them whatever the files say
    assert needs_tests(tmp_path, report, None, added)


def test_a_program_led_round_gets_tests_for_every_endpoint_it_changed(tmp_path: Path) -> None:
    report = report_for(tmp_path)
    report.tests.passed = 1
    (tmp_path / "tests").mkdir()
    named = "\n".join(f'client.get("{p}")' for p in ("/health", "/items", "/admin/stats"))
    (tmp_path / "tests" / "test_app.py").write_text(named)
    changed = Changes(modified=["app.py"])
    assert not needs_tests(tmp_path, report, None, changed)  # the agent's tests name them
    assert needs_tests(tmp_path, report, None, changed, program_led=True)


def test_an_operation_is_mentioned_by_its_whole_path_and_method() -> None:
    from bdev.backend.testgen.operations import Check, Operation, Request

    def op(method: str, path: str) -> Operation:
        found = Operation(f"{method}{path}", method, path, False, Request(method, path), 200, None)
        found.checks = [Check(f"test_{found.name}_succeeds", "", found.request, "success", 200)]
        return found

    ops = [op("POST", "/loans"), op("GET", "/me/loans")]
    ops += [op("GET", "/events"), op("POST", "/events")]
    assert [o.name for o in mentioned("Add `GET /me/loans`.", ops)] == ["GET/me/loans"]
    assert [o.name for o in mentioned("Paginate `GET /events`.", ops)] == ["GET/events"]
    assert [o.name for o in mentioned("Events (/events) are slow.", ops)] == [
        "GET/events",
        "POST/events",
    ]
    # A longer path under a route does not name it: a new sub-route is not the old one.
    ops += [op("GET", "/items/<sku>"), op("GET", "/tickets/{id}")]
    restock = "Add `POST /items/<sku>/restock` that adds stock."
    assert mentioned(restock, ops) == []
    assert [o.name for o in mentioned("Show `/items/<sku>` and /tickets/7.", ops)] == [
        "GET/items/<sku>",
        "GET/tickets/{id}",
    ]
    assert [o.name for o in mentioned("Fix `GET /tickets/{ticket_id}`.", ops)] == [
        "GET/tickets/{id}"
    ]
    assert mentioned("Fix `/tickets/{id}/notes` and /tickets/{id}.", ops)[0].path == "/tickets/{id}"


def test_an_endpoint_behind_a_login_that_the_request_names_is_tested_signed_in(
    tmp_path: Path,
) -> None:
    task = "Add `GET /me/notes`, the calling member's notes; it needs the bearer token."
    written = generate_tests(tmp_path, task, report_for(tmp_path, MEMBERS_APP), None)
    assert written is not None
    text = (tmp_path / GENERATED).read_text()
    assert "def test_get_me_notes_succeeds" in text and "auth = signed_in()" in text
    assert written.notes == ["1 tests signed in as a new user (POST /register, then POST /login)"]
    # Where the request speaks of roles, a new user may rightly be refused: no such test.
    admin = task + " Only admins may list other members' notes."
    written = generate_tests(tmp_path, admin, report_for(tmp_path, MEMBERS_APP), None)
    assert written is not None and written.notes == []
    assert "signed_in" not in (tmp_path / GENERATED).read_text()
