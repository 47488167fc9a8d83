"""The request's stated rules written into the service as code (`workflow.guards`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bdev.backend.openapi import route_shape
from bdev.workflow.guards import BEGIN, DECORATOR, FOLDED, folded, guard
from bdev.workflow.stated import read_stated
from support.rules import rule_test_results

LISTING = (
    "`GET /notes` gets `size` (default 5, from 1 to 50) and `order`, one of `title` or "
    "`-title`. A bad `size` or `order` is answered with 400."
)

NAIVE_FLASK = '''"""Notes."""

from flask import Flask, jsonify, request

app = Flask(__name__)
NOTES = [{"id": 1, "title": "b"}, {"id": 2, "title": "a"}]


def helper():
    return 1


@app.get("/notes")
def list_notes():
    size = int(request.args.get("size", 5))
    rows = sorted(NOTES, key=lambda n: n["title"], reverse=request.args.get("order") == "-title")
    return jsonify(rows[:size] if request.args.get("order") else NOTES[:size])


@app.post("/notes")
def add_note():
    return jsonify(request.get_json()), 201
'''

NAIVE_FASTAPI = """from fastapi import FastAPI

app = FastAPI()


@app.get("/notes", status_code=200)
def list_notes(size: str = "5", order: str | None = None):
    return [{"id": 1, "title": "a"}][: int(size)]
"""

SIGNUP = (
    "`POST /members` checks its body: `nick` is a string of 2 to 12 characters (store it "
    "trimmed) and `age` is a whole JSON number from 18 to 99. Anything invalid answers 400, "
    "and no other fields are accepted."
)

STORES_ANYTHING = """from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/members")
def add_member():
    return jsonify(request.get_json()), 201
"""


def stated(task: str):
    return read_stated(task, route_shape=route_shape)


def test_flask_handlers_get_a_decorator_and_the_module_one_checker() -> None:
    guarded = guard(NAIVE_FLASK, stated(LISTING), "flask")
    assert guarded.routes == ["GET /notes"]
    tree = ast.parse(guarded.text)
    handler = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "list_notes"
    )
    names = [ast.unparse(d).split("(")[0] for d in handler.decorator_list]
    assert names == ["app.get", DECORATOR]  # the route registers the checked handler
    other = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "add_note")
    assert len(other.decorator_list) == 1  # POST /notes: the request states nothing about it
    assert guarded.text.count(BEGIN) == 1
    assert guarded.text.index(BEGIN) > guarded.text.index("from flask import")
    compile(guarded.text, "app.py", "exec")


def test_guarding_again_replaces_rather_than_adds() -> None:
    once = guard(NAIVE_FLASK, stated(LISTING), "flask").text
    assert guard(once, stated(LISTING), "flask").text == once
    changed = guard(once, stated(LISTING.replace("from 1 to 50", "from 1 to 10")), "flask").text
    assert changed.count(f"@{DECORATOR}(") == 1
    assert "'maximum': 10" in changed and "'maximum': 50" not in changed


def test_a_naive_flask_handler_keeps_the_rules_once_guarded(tmp_path: Path) -> None:
    before = rule_test_results(tmp_path, NAIVE_FLASK, LISTING)
    assert not before["test_get_notes_size_not_a_number_is_refused"]  # a 500, unguarded
    assert not before["test_get_notes_order_unknown_choice_is_refused"]
    guarded = guard(NAIVE_FLASK, stated(LISTING), "flask").text
    after = rule_test_results(tmp_path, guarded, LISTING)
    refusals = {name: ok for name, ok in after.items() if name.endswith("_is_refused")}
    assert refusals and all(refusals.values()), refusals
    assert after["test_get_notes_size_maximum_is_accepted"]


def test_body_rules_refuse_bad_fields_and_trim_what_is_stored(tmp_path: Path) -> None:
    guarded = guard(STORES_ANYTHING, stated(SIGNUP), "flask").text
    results = rule_test_results(tmp_path, guarded, SIGNUP)
    assert all(results.values()), results
    assert results["test_post_members_nick_is_trimmed"]
    assert results["test_post_members_age_boolean_is_refused"]
    assert results["test_post_members_unknown_field_is_refused"]


def test_fastapi_routes_get_a_dependency(tmp_path: Path) -> None:
    guarded = guard(NAIVE_FASTAPI, stated(LISTING), "fastapi")
    assert guarded.routes == ["GET /notes"]
    assert f"dependencies=[{DECORATOR}(status=400" in guarded.text
    assert "status_code=200" in guarded.text  # the route's own arguments stay
    results = rule_test_results(tmp_path, guarded.text, LISTING)
    refusals = {name: ok for name, ok in results.items() if name.endswith("_is_refused")}
    assert refusals and all(refusals.values()), refusals


@pytest.mark.parametrize("framework", ["django", None])
def test_other_frameworks_are_left_alone(framework: str | None) -> None:
    assert guard(NAIVE_FLASK, stated(LISTING), framework).text == NAIVE_FLASK


def test_a_request_without_rules_changes_nothing() -> None:
    assert guard(NAIVE_FLASK, stated("Make `GET /notes` faster."), "flask").routes == []


def test_the_prompt_shows_the_checker_folded_and_an_answer_echoing_the_fold_gets_it_back() -> None:
    guarded = guard(NAIVE_FLASK, stated(LISTING), "flask").text
    shown = folded(guarded)
    assert BEGIN not in shown and FOLDED in shown
    assert len(shown.splitlines()) < len(guarded.splitlines()) - 50
    # A whole-file answer copies the fold line: the checker comes back in its place, once.
    again = guard(shown, stated(LISTING), "flask").text
    assert again.count(BEGIN) == 1 and FOLDED not in again
    compile(again, "app.py", "exec")
