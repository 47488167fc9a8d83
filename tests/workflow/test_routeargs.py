"""A Flask route function takes only its URL's variables."""

from __future__ import annotations

from bdev.workflow.routeargs import unfilled_arguments

FLASK = """from flask import Flask, request

app = Flask(__name__)


@app.post("/shelves/<int:shelf_id>/books/<isbn>")
def shelve(shelf_id: int, isbn: str, copies: int):
    return {}


@app.route("/shelves/<int:shelf_id>", methods=["GET"])
def shelf(shelf_id, page=1):
    return {}
"""


def test_a_parameter_the_url_does_not_give_goes_back() -> None:
    (problem,) = unfilled_arguments(FLASK, {"shelve", "shelf"})
    assert problem.startswith("line 7: Flask calls `shelve` with the URL's variables only")
    assert "(isbn, shelf_id)" in problem and "`copies`" in problem
    assert "request.get_json" in problem


def test_fastapi_and_other_functions_are_not_judged() -> None:
    fastapi = FLASK.replace("from flask import Flask, request", "from fastapi import FastAPI")
    assert unfilled_arguments(fastapi, {"shelve"}) == []
    assert unfilled_arguments(FLASK, {"shelf"}) == []
    assert unfilled_arguments(FLASK + "\ndef helper(a, b):\n    return a\n", {"helper"}) == []
