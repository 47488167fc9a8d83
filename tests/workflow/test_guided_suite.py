"""A program-led change is checked against the service's own tests before it is kept."""

from __future__ import annotations

from pathlib import Path

from bdev.runtime.limits import RunStatus
from bdev.runtime.session import find_session, read_events
from bdev.workflow.guided import GuidedRun
from support.runtime import make_runner, write_agent

BUGGY = "def total(xs):\n    return sum(xs)\n\n\ndef discounted(cents, pct):\n    return cents\n"
TESTS = (
    "from calc import discounted, total\n\n\n"
    "def test_total():\n    assert total([1, 2]) == 3\n\n\n"
    "def test_discount():\n    assert discounted(1000, 10) == 900\n"
)
BREAKS_TOTAL = BUGGY.replace("sum(xs)", "sum(xs) + 1")
STILL_BUGGY = BUGGY.replace("return cents", "return int(cents)")
FIXED = BUGGY.replace("return cents", "return cents - cents * pct // 100")
FIXED_FUNCTION = "def discounted(cents, pct):\n    return cents - cents * pct // 100\n"
REQUEST = "fix discounted() in calc.py: the discount is never applied"


def fenced(code: str) -> dict[str, str]:
    return {"content": f"```python\n{code}```\n"}


def _service(workspace: Path) -> None:
    (workspace / "calc.py").write_text(BUGGY)
    (workspace / "tests").mkdir()
    (workspace / "tests" / "test_calc.py").write_text(TESTS)


def _run(workspace: Path, turns: list[dict]) -> tuple[str, RunStatus, list[dict]]:
    return _run_request(workspace, REQUEST, turns)


def _run_request(
    workspace: Path, request: str, turns: list[dict]
) -> tuple[str, RunStatus, list[dict]]:
    write_agent(workspace / ".claude" / "agents", "dev", tools="Read, Write, Bash")
    runner = make_runner(workspace, turns)
    session_id, result = GuidedRun(runner).start(request, runner.registry.get("dev"))
    return session_id, result.status, read_events(find_session(workspace, session_id))


def _prompts(events: list[dict]) -> list[str]:
    return [
        e["message"]["content"]
        for e in events
        if e["type"] == "message" and e["message"]["role"] == "user"
    ]


def test_a_change_that_breaks_a_passing_test_goes_back_with_the_failure(workspace: Path) -> None:
    _service(workspace)
    _, status, events = _run(workspace, [fenced(BREAKS_TOTAL), fenced(STILL_BUGGY), fenced(FIXED)])
    assert status is RunStatus.COMPLETED
    assert (workspace / "calc.py").read_text() == FIXED
    checks = [e for e in events if e["type"] == "check"]
    assert [len(c["failing"]) for c in checks] == [2, 1, 0]
    prompts = _prompts(events)
    assert "tests/test_calc::test_total passed before your change and fails with it" in prompts[1]
    assert "assert 4 == 3" in prompts[1]
    # The second answer broke nothing but left the bug: told so, as a plain failure.
    assert "Test tests/test_calc::test_discount fails" in prompts[2]
    assert "passed before" not in prompts[2]


def test_without_a_passing_answer_the_one_that_broke_least_is_kept(workspace: Path) -> None:
    _service(workspace)
    both_wrong = BUGGY.replace("sum(xs)", "sum(xs) + 1")
    (workspace / "calc.py").write_text(both_wrong)  # two tests fail before the change
    _, status, events = _run(
        workspace,
        [fenced(both_wrong + "\n\nX = 1\n"), fenced(STILL_BUGGY), fenced("def total(:\n")],
    )
    assert status is RunStatus.COMPLETED  # the audit and the next round take it on
    assert (workspace / "calc.py").read_text() == STILL_BUGGY  # the fewest failing
    kept = [e for e in events if e["type"] == "check" and "kept" in e]
    assert [(k["kept"], k["failing"]) for k in kept] == [(2, ["tests/test_calc::test_discount"])]


def test_no_answer_that_breaks_a_passing_test_is_kept(workspace: Path) -> None:
    _service(workspace)
    _, status, events = _run(workspace, [fenced(BREAKS_TOTAL)] * 3)
    assert status is RunStatus.FORMAT_ERRORS
    assert (workspace / "calc.py").read_text() == BUGGY  # as the request found it
    kept = [e for e in events if e["type"] == "check" and "kept" in e]
    assert [k["kept"] for k in kept] == [None]
    end = next(e for e in events if e["type"] == "end")
    assert "every answer broke tests that passed before" in end["detail"]
    assert "test_total passed before your change and fails with it" in end["detail"]


def test_until_an_answer_is_kept_a_later_round_may_take_one_that_breaks_nothing(
    workspace: Path,
) -> None:
    _service(workspace)
    write_agent(workspace / ".claude" / "agents", "dev", tools="Read, Write, Bash")
    runner = make_runner(workspace, [fenced(BREAKS_TOTAL)] * 3 + [fenced(STILL_BUGGY)])
    guided = GuidedRun(runner)
    session_id, first = guided.start(REQUEST, runner.registry.get("dev"))
    assert first.status is RunStatus.FORMAT_ERRORS
    assert (workspace / "calc.py").read_text() == BUGGY
    # The code is still as the request found it: an answer that breaks nothing is a step
    # towards the request, though as many tests fail as before.
    _, later = guided.resume(session_id, "Test tests/test_calc::test_discount fails")
    assert later.status is RunStatus.COMPLETED
    assert (workspace / "calc.py").read_text() == STILL_BUGGY


def test_a_later_round_never_leaves_the_code_worse(workspace: Path) -> None:
    _service(workspace)
    write_agent(workspace / ".claude" / "agents", "dev", tools="Read, Write, Bash")
    turns = [fenced(STILL_BUGGY), fenced(BREAKS_TOTAL), fenced(BREAKS_TOTAL), fenced(BUGGY)]
    runner = make_runner(workspace, turns)
    guided = GuidedRun(runner)
    session_id, first = guided.start(REQUEST, runner.registry.get("dev"))
    # Round 1: nothing passes, nothing breaks: the answer is kept, a step towards the request.
    assert first.status is RunStatus.COMPLETED
    assert (workspace / "calc.py").read_text() == STILL_BUGGY
    _, later = guided.resume(session_id, "Test tests/test_calc::test_discount fails")
    # Round 2: one answer broke a passing test, one more did too, one changed nothing that
    # counts: none beats the code the first round left, so that code stays.
    assert later.status is RunStatus.FORMAT_ERRORS
    assert (workspace / "calc.py").read_text() == STILL_BUGGY
    events = read_events(find_session(workspace, session_id))
    kept = [e for e in events if e["type"] == "check" and "kept" in e]
    assert [k["kept"] for k in kept] == [1, None]


def test_a_request_naming_no_file_goes_to_the_function_the_failing_test_calls(
    workspace: Path,
) -> None:
    _service(workspace)
    (workspace / "app.py").write_text("from calc import total\n\nSTARTED = True\n")
    request = "Discounts are never applied; the service's failing test shows it. Fix it."
    _, status, events = _run_request(workspace, request, [fenced(FIXED_FUNCTION)])
    assert status is RunStatus.COMPLETED
    located = next(e for e in events if e["type"] == "phase" and e["name"] == "locate")
    assert located["file"] == "calc.py"
    assert located["reason"] == "the service's failing tests call it"
    assert (workspace / "calc.py").read_text() == FIXED
    first = _prompts(events)[0]
    assert "Change only the function `discounted` so that" in first
    # The failing test is shown as written, with what pytest said about it.
    assert "The service's tests that fail now" in first
    assert "def test_discount():\n    assert discounted(1000, 10) == 900\n```" in first
    assert "test_total" not in first  # it passes


def test_culprits_follow_calls_and_requested_routes(workspace: Path) -> None:
    from bdev.backend.analyze import analyze
    from bdev.workflow.culprits import culprits

    _service(workspace)
    (workspace / "app.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/items/{item_id}")\ndef read_item(item_id: int) -> dict:\n    return {}\n'
    )
    (workspace / "requirements.txt").write_text("fastapi\n")
    (workspace / "tests" / "test_api.py").write_text(
        "from app import app\nfrom fastapi.testclient import TestClient\n\n\n"
        "def test_read():\n    assert TestClient(app).get('/items/7?full=1').status_code == 200\n"
    )
    facts = analyze(workspace)
    failing = ["tests/test_calc::test_discount", "tests/test_api::test_read", "tests/gone::x"]
    assert culprits(workspace, failing, facts) == [
        ("calc.py", "discounted"),
        ("app.py", "read_item"),
    ]


def test_a_candidate_the_module_cannot_import_goes_back(workspace: Path) -> None:
    _service(workspace)
    at_import = FIXED + "\n\nassert total([1]) == 2, 'checked at import'\n"
    _, status, events = _run(workspace, [fenced(at_import), fenced(FIXED)])
    assert status is RunStatus.COMPLETED and (workspace / "calc.py").read_text() == FIXED
    errors = [e["errors"] for e in events if e["type"] == "format_error"]
    assert errors == [
        ["With your code in it, `calc.py` fails when it is imported: "
         "AssertionError: checked at import"]
    ]  # fmt: skip


def test_tests_added_after_the_first_round_check_the_next(workspace: Path) -> None:
    (workspace / "calc.py").write_text(BUGGY)
    write_agent(workspace / ".claude" / "agents", "dev", tools="Read, Write, Bash")
    runner = make_runner(workspace, [fenced(STILL_BUGGY), fenced(BREAKS_TOTAL), fenced(FIXED)])
    guided = GuidedRun(runner)
    session_id, _ = guided.start(REQUEST, runner.registry.get("dev"))  # no tests: kept as is
    assert (workspace / "calc.py").read_text() == STILL_BUGGY
    (workspace / "tests").mkdir()  # as bdev's generated tests do after a round
    (workspace / "tests" / "test_calc.py").write_text(TESTS)
    guided.resume(session_id, "tests/test_calc::test_discount fails")
    assert (workspace / "calc.py").read_text() == FIXED  # BREAKS_TOTAL was checked and refused


def test_an_answer_computing_the_documented_helper_again_goes_back(workspace: Path) -> None:
    documented = BUGGY.replace(
        "def discounted(cents, pct):\n    return cents\n",
        "def percent_of(cents, pct):\n"
        '    """pct% of cents, to the nearest cent; halves round up."""\n'
        "    return (cents * pct + 50) // 100\n\n\n"
        "def discounted(cents, pct):\n    return cents - percent_of(cents, 0)\n",
    )
    (workspace / "calc.py").write_text(documented)
    (workspace / "tests").mkdir()
    (workspace / "tests" / "test_calc.py").write_text(TESTS)
    own = documented.replace("percent_of(cents, 0)", "cents * pct // 100")
    helper = documented.replace("percent_of(cents, 0)", "percent_of(cents, pct)")
    request = "fix discounted() in calc.py: the discount, to the nearest cent with halves up"
    _, status, events = _run_request(workspace, request, [fenced(own), fenced(helper)])
    assert status is RunStatus.COMPLETED
    assert "return cents - percent_of(cents, pct)" in (workspace / "calc.py").read_text()
    errors = [e["errors"] for e in events if e["type"] == "format_error"]
    assert len(errors) == 1 and "no longer calls `percent_of`" in errors[0][0]


def test_feedback_says_which_parts_of_the_answer_were_left_out(workspace: Path) -> None:
    _service(workspace)
    (workspace / "app.py").write_text("from calc import total\n\nSTARTED = True\n")
    request = "Discounts are never applied; the service's failing test shows it. Fix it."
    # The whole module back, with `total` rewritten too: only `discounted` is taken, so the
    # failure that follows is about a file in which `total` is as it was.
    also_total = STILL_BUGGY.replace("sum(xs)", "sum(x for x in xs)")
    _, status, events = _run_request(workspace, request, [fenced(also_total), fenced(FIXED)])
    assert status is RunStatus.COMPLETED
    assert (workspace / "calc.py").read_text() == FIXED
    retry = _prompts(events)[1]
    assert "Test tests/test_calc::test_discount fails" in retry
    assert "only `discounted` was used; your changes to `total` were left out" in retry
    # An answer that copies the rest unchanged is not told anything was left out.
    (workspace / "calc.py").write_text(BUGGY)
    _, _, events = _run_request(workspace, request, [fenced(STILL_BUGGY), fenced(FIXED)])
    assert "Test tests/test_calc::test_discount fails" in _prompts(events)[1]
    assert not any("were left out" in p for p in _prompts(events))
