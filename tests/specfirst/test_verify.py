"""Verification: spec-derived tests run, failures routed to the operation that owns them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from specfirst_support import ARCHIVE_ANSWER, MINIMAL, SPECS, plan_for

from bdev.backend.audit.results import Finding, StepResult
from bdev.llm.scripted import ScriptedModel
from bdev.specfirst.pipeline import build_service
from bdev.specfirst.verify import Router

pytestmark = pytest.mark.slow  # starts generated services and their suites

# A LookupError on every call: the service answers 500 and logs the traceback.
CRASHING = """```python
def archive_item(*, item_id: int, store: Store) -> Any:
    return {"status": ["archived"][item_id]}
```"""


def _built_with_one_refill(tmp_path: Path, model: ScriptedModel) -> Any:
    """The items service built by `model`, verified by its tests, one re-fill allowed."""
    return build_service(
        SPECS / "items.yaml",
        tmp_path / "svc",
        describe=None,
        model=model,
        allowed=MINIMAL,
        verify_checks=("tests",),
        verify_rounds=1,
        audit=False,
    )


def test_a_failing_test_is_routed_back_and_the_slot_refilled(tmp_path: Path) -> None:
    model = ScriptedModel.from_turns([{"content": CRASHING}, {"content": ARCHIVE_ANSWER}])
    report = build_service(
        SPECS / "items.yaml",
        tmp_path / "svc",
        describe="Archiving an item sets its status to archived.",
        model=model,
        allowed=MINIMAL,
        verify_checks=("tests",),
        verify_rounds=1,
        audit=False,
    )
    first, second = report.verification
    (failure,) = [f for f in first.failures if f.operation_id]
    assert failure.operation_id == "archive_item"
    assert failure.check == "test_documented_status[archive_item]"
    assert "IndexError" in failure.evidence  # the service's traceback travels with it
    assert second.failures == [] and re.match(r"(\d+)/\1 passed", second.steps["tests"])
    assert report.implemented_by_model == ["archive_item"]
    assert report.failing_verification == [] and report.not_implemented == []
    (slot,) = report.slots
    assert (slot.refills, slot.attempts) == (1, 2)
    handlers = (tmp_path / "svc/app/handlers.py").read_text()
    assert '"archived"' in handlers and "[item_id]" not in handlers
    saved = json.loads((Path(report.report_path or "") / "build.json").read_text())
    assert saved["implemented_by_model"] == ["archive_item"]


def test_a_slot_still_failing_is_not_counted_as_done(tmp_path: Path) -> None:
    model = ScriptedModel.from_turns([{"content": CRASHING}] * 2)
    report = _built_with_one_refill(tmp_path, model)
    assert report.implemented_by_model == []
    assert report.failing_verification == ["archive_item"]
    assert len(report.verification) == 2


def test_a_refill_that_gives_back_the_failing_body_is_sent_back(tmp_path: Path) -> None:
    # Sampled alike, the model answers the re-fill with the body that failed.
    answers = [CRASHING, CRASHING, ARCHIVE_ANSWER]
    model = ScriptedModel.from_turns([{"content": a} for a in answers])
    report = _built_with_one_refill(tmp_path, model)
    (slot,) = report.slots
    assert (slot.refills, slot.attempts) == (1, 3)  # the repeat was refused, not accepted
    assert report.implemented_by_model == ["archive_item"]


def test_router_maps_tests_requests_and_code_locations(tmp_path: Path) -> None:
    plan = plan_for("items.yaml")
    handlers = tmp_path / "app" / "handlers.py"
    handlers.parent.mkdir()
    handlers.write_text("def other():\n    pass\n\n\ndef archive_item():\n    return 1\n")
    router = Router(plan, tmp_path, ["archive_item"])
    assert router.by_test("test_documented_status[archive_item]") == "archive_item"
    assert router.by_test("test_rejects_invalid_input[archive_item-missing-required]") == (
        "archive_item"
    )
    assert router.by_test("test_documented_status[get_item]") is None  # not a written slot
    assert router.by_request("POST", "/items/7/archive?x=1") == "archive_item"
    assert router.by_request("GET", "/items/7/archive") is None
    assert router.by_location("app/handlers.py:6") == "archive_item"
    assert router.by_location("app/handlers.py:2") is None
    step = StepResult(
        name="probes",
        status="failed",
        findings=[
            Finding(cwe="CWE-89", severity="high", title="SQLi", location="POST /items/1/archive")
        ],
    )
    (failure,) = router.probes(step)
    assert (failure.operation_id, failure.check) == ("archive_item", "CWE-89 SQLi")
    conformance = StepResult(
        name="conformance",
        status="failed",
        data={
            "failures": [
                {
                    "operation": "POST /items/{itemId}/archive",
                    "check": "ST103 Undocumented status code",
                    "example": "Received: 422\nDocumented: 200",
                },
                {
                    "operation": "POST /items/{itemId}/archive",
                    "check": "ST100 Server error",
                    "example": "Received: 500",
                },
            ]
        },
    )
    validation, crash = router.conformance(conformance)
    assert validation.operation_id is None  # the skeleton's validation, not the body's
    assert crash.operation_id == "archive_item"
    assert list(router.document()["paths"]) == ["/items/{itemId}/archive"]


# Needs the folder the task names: a KeyError (500) where the setting is missing.
NEEDS_FOLDER = """```python
def archive_item(*, item_id: int, store: Store) -> Any:
    if not os.path.isdir(os.environ["ARCHIVE_DIR"]):
        raise RuntimeError("the archive folder is missing")
    item = store.update("items", item_id, {"status": "archived"})
    if item is None:
        raise ApiError(404, "no such item")
    return item
```"""


def test_the_task_s_settings_are_given_to_the_tests_and_the_service(tmp_path: Path) -> None:
    from bdev.specfirst.constraints import read_constraints

    describe = (
        "Archiving an item sets its status to archived. Archives are kept in the folder "
        "from the ARCHIVE_DIR environment variable."
    )
    report = build_service(
        SPECS / "items.yaml",
        tmp_path / "svc",
        describe=describe,
        model=ScriptedModel.from_turns([{"content": NEEDS_FOLDER}]),
        allowed=MINIMAL,
        constraints=read_constraints(describe),
        verify_checks=("tests", "conformance"),
        verify_rounds=0,
        audit=False,
    )
    assert report.implemented_by_model == ["archive_item"], report.verification[0].failures
    (only,) = report.verification
    assert not [f for f in only.failures if f.operation_id == "archive_item"]


def test_verification_gives_each_setting_by_what_its_name_says(tmp_path: Path) -> None:
    from bdev.specfirst.codegen.options import Options
    from bdev.specfirst.verify import verification_env

    options = Options(settings=("UPLOAD_DIR", "REPORT_FILE", "ADMIN_TOKEN", "MODE"))
    env = verification_env(tmp_path, options)
    assert Path(env["UPLOAD_DIR"]).is_dir()
    assert Path(env["REPORT_FILE"]).parent.is_dir() and not Path(env["REPORT_FILE"]).exists()
    assert env["ADMIN_TOKEN"] and "MODE" not in env  # a name that says nothing is not guessed


def test_a_live_server_error_gets_its_handler_s_traceback(tmp_path: Path) -> None:
    from bdev.specfirst.verify import Failure, with_tracebacks

    log = (
        '127.0.0.1 - "GET /health" 200\nTraceback (most recent call last):\n'
        '  File "/srv/app.py", line 9, in list_files\n    return rows[0]\n'
        "IndexError: list index out of range\n"
        '127.0.0.1 - "POST /files" 500\nTraceback (most recent call last):\n'
        '  File "/srv/app.py", line 40, in upload_file_route\n    result = upload_file(body)\n'
        '  File "/srv/app.py", line 21, in upload_file\n    size = body.file.filesize\n'
        "AttributeError: 'Upload' object has no attribute 'filesize'\n"
        '127.0.0.1 - "POST /files" 500\n'
    )
    request = "ST101 Server error\n[500] Internal Server Error\ncurl -X POST " + "x" * 600
    failures = [
        Failure(operation_id="upload_file", source="conformance", check="ST101", evidence=request),
        Failure(operation_id="upload_file", source="conformance", check="ST103", evidence="422"),
    ]
    with_tracebacks(failures, log, Path("/srv"))
    first, other = failures
    assert first.evidence.startswith("service traceback: ")
    assert "size = body.file.filesize" in first.evidence
    assert "AttributeError: 'Upload' object has no attribute 'filesize'" in first.evidence
    assert "IndexError" not in first.evidence and len(first.evidence) <= 500
    assert other.evidence == "422"  # not a server error: left as it was


CREATE_LINK = """```python
def create_link(*, body: CreateLinkBody, store: Store) -> Any:
    row = store.create("links", {"url": body.url})
    return {"code": str(row["id"]), "url": body.url}
```"""
# Right for a code that does not exist (404), a crash for one that does.
GET_LINK_CRASHING = """```python
def get_link(*, code: str, store: Store) -> Any:
    row = store.require("links", code)
    return {"code": code, "url": row["url"], "port": int(row["url"])}
```"""
GET_LINK = """```python
def get_link(*, code: str, store: Store) -> Any:
    row = store.require("links", code)
    return {"code": code, "url": row["url"]}
```"""


def test_what_a_post_made_is_read_back_by_the_model_s_read(tmp_path: Path) -> None:
    answers = [CREATE_LINK, GET_LINK_CRASHING, GET_LINK]
    model = ScriptedModel.from_turns([{"content": a} for a in answers])
    report = build_service(
        SPECS / "links.yaml",
        tmp_path / "svc",
        describe=None,
        model=model,
        allowed=MINIMAL,
        verify_checks=("tests",),
        verify_rounds=1,
        audit=False,
    )
    first, second = report.verification
    (failure,) = [f for f in first.failures if f.operation_id]
    # The status test's unknown code got its 404; only reading a made link crashed.
    assert failure.check == "test_reads_what_was_created[get_link]"
    assert "ValueError" in failure.evidence
    assert second.failures == [] and report.failing_verification == []
