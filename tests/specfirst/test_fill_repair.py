"""Framework idioms in a slot body rewritten into the skeleton's own terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from specfirst_support import MINIMAL, load_service, plan_for

from bdev.llm.scripted import ScriptedModel
from bdev.specfirst import Options, generate, slots_for
from bdev.specfirst.fill import SlotFiller
from bdev.specfirst.fill.repair import repair

FASTAPI_HABITS = '''```python
from fastapi import HTTPException
from fastapi.responses import JSONResponse

def archive_item(*, item_id: int, store: Store) -> Any:
    item = store.get("items", item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="no such item")
    item = store.update("items", item_id, {"status": "archived"})
    return JSONResponse(content=item, status_code=200)
```'''


def test_the_idioms_and_their_imports() -> None:
    body = [
        "from flask import abort, jsonify, send_file",
        "if not ok:",
        "    abort(404)",
        "if other:",
        "    raise HTTPException(400)",
        "if name:",
        "    return send_file(name)",
        "return jsonify(done=True)",
    ]
    lines, notes = repair(body)
    assert lines == [
        "from flask import send_file",  # still needed: the checks will refuse it
        "if not ok:",
        "    raise ApiError(404, 'not found')",
        "if other:",
        "    raise ApiError(400, 'bad request')",
        "if name:",
        "    return send_file(name)",
        "return {'done': True}",
    ]
    assert "dropped unused imports: abort, jsonify" in notes


def test_a_body_without_framework_habits_is_left_as_written() -> None:
    body = ["row = store.get('items', item_id)  # keep me", "return row"]
    assert repair(body) == (body, [])


def test_a_fastapi_habit_body_is_accepted_and_answers(tmp_path: Path, monkeypatch) -> None:
    plan = plan_for("items.yaml")
    options = Options(framework="fastapi", allowed=MINIMAL)
    out = tmp_path / "service"
    generate(plan, options, out)
    model = ScriptedModel.from_turns([{"content": FASTAPI_HABITS}])
    (slot,) = slots_for(plan)
    report = SlotFiller(plan, out, model).fill(slot)
    assert (report.status, report.attempts) == ("implemented", 1), report.problems
    service = load_service(out, plan, options, monkeypatch)
    service.call("POST", "/items", json={"name": "pen", "price": 1})
    status, item, _ = service.call("POST", "/items/1/archive")
    assert (status, item["status"]) == (200, "archived")
    status, payload, _ = service.call("POST", "/items/99/archive")
    assert status == 404 and "no such item" in str(payload)


@pytest.mark.parametrize("bad", ["def f(:", "x = ("])
def test_unparseable_bodies_are_left_for_compile_to_report(bad: str) -> None:
    assert repair([bad]) == ([bad], [])


