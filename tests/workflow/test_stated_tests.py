"""bdev's tests of the rules a request states, run against services that keep them and
services that do not (`workflow.stated_tests`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.backend.openapi import route_shape
from bdev.backend.testgen.operations import Operation, Request
from bdev.workflow.stated import read_stated
from bdev.workflow.stated_tests import stated_slots
from support.rules import rule_test_results

LISTING = """\
`GET /notes` gets `size` (default 5, from 1 to 50) and an optional `tag` that keeps only
notes with exactly that tag; `order`, one of `title` or `-title`. A bad `size` or `order`
is answered with 400.
"""

KEEPS_RULES = """\
from flask import Flask, jsonify, request

app = Flask(__name__)
NOTES = [{"id": i, "title": t, "tag": g} for i, (t, g) in enumerate(
    [("b", "x"), ("a", "y"), ("c", "x")], 1)]


@app.get("/notes")
def list_notes():
    raw = request.args.get("size", "5")
    if not raw.isdigit() or not 1 <= int(raw) <= 50:
        return jsonify(error="size"), 400
    order = request.args.get("order")
    if order not in (None, "title", "-title"):
        return jsonify(error="order"), 400
    rows = [n for n in NOTES if request.args.get("tag") in (None, n["tag"])]
    if order:
        rows = sorted(rows, key=lambda n: n["title"], reverse=order.startswith("-"))
    return jsonify(rows[: int(raw)])
"""

IGNORES_RULES = """\
from flask import Flask, jsonify

app = Flask(__name__)
NOTES = [{"id": i, "title": t, "tag": g} for i, (t, g) in enumerate(
    [("b", "x"), ("a", "y"), ("c", "x")], 1)]


@app.get("/notes")
def list_notes():
    return jsonify(NOTES)
"""

SIGNUP = """\
`POST /members` checks its body: `nick` is a string of 2 to 12 characters and `age` is a
whole JSON number from 18 to 99. Anything invalid answers 400, and no other fields are
accepted.
"""

VALIDATES = """\
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/members")
def add_member():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != {"nick", "age"}:
        return jsonify(error="fields"), 400
    nick, age = body["nick"], body["age"]
    if not isinstance(nick, str) or not 2 <= len(nick) <= 12 or not nick.isprintable():
        return jsonify(error="nick"), 400
    if type(age) is not int or not 18 <= age <= 99:
        return jsonify(error="age"), 400
    return jsonify(nick=nick, age=age), 201
"""

ACCEPTS_ANYTHING = """\
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/members")
def add_member():
    body = request.get_json(silent=True) or {}
    if "nick" not in body or "age" not in body:
        return jsonify(error="fields"), 400
    return jsonify(body), 201
"""


def test_a_listing_that_keeps_the_rules_passes_every_check(tmp_path: Path) -> None:
    results = rule_test_results(tmp_path, KEEPS_RULES, LISTING)
    assert all(results.values()), results
    assert {
        "test_get_notes_size_below_minimum_is_refused",
        "test_get_notes_size_above_maximum_is_refused",
        "test_get_notes_size_default_is_5",
        "test_get_notes_tag_keeps_only_matches",
        "test_get_notes_order_title_descending_orders",
        "test_get_notes_order_unknown_choice_is_refused",
    } <= set(results)


def test_a_listing_that_ignores_the_rules_fails_the_refusals_and_orderings(
    tmp_path: Path,
) -> None:
    results = rule_test_results(tmp_path, IGNORES_RULES, LISTING)
    failed = {name for name, ok in results.items() if not ok}
    assert "test_get_notes_size_above_maximum_is_refused" in failed
    assert "test_get_notes_order_unknown_choice_is_refused" in failed
    assert "test_get_notes_tag_keeps_only_matches" in failed
    assert "test_get_notes_order_title_descending_orders" in failed
    # Values inside the rules are answered either way: those tests pass.
    assert results["test_get_notes_size_maximum_is_accepted"]


@pytest.mark.parametrize(("app", "all_pass"), [(VALIDATES, True), (ACCEPTS_ANYTHING, False)])
def test_body_rules_are_checked_with_a_complete_body(
    tmp_path: Path, app: str, all_pass: bool
) -> None:
    results = rule_test_results(tmp_path, app, SIGNUP)
    assert "test_post_members_age_boolean_is_refused" in results
    assert "test_post_members_valid_body_is_accepted" in results  # the body is complete
    assert results["test_post_members_valid_body_is_accepted"]
    assert all(results.values()) is all_pass, results
    if not all_pass:
        assert not results["test_post_members_age_boolean_is_refused"]
        assert not results["test_post_members_unknown_field_is_refused"]


def test_an_open_body_gets_only_refusal_checks(tmp_path: Path) -> None:
    task = SIGNUP.replace(", and no other fields are\naccepted", "")
    results = rule_test_results(tmp_path, ACCEPTS_ANYTHING, task)
    assert results
    assert all(name.endswith("_is_refused") for name in results), results


def test_an_operation_behind_credentials_gets_none() -> None:
    op = Operation("get_notes", "GET", "/notes", True, Request("GET", "/notes"), 200, None)
    assert stated_slots(read_stated(LISTING, route_shape=route_shape), op) == []
