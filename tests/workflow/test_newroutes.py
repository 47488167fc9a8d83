"""An answer for a new route must add it (`workflow.newroutes`)."""

from __future__ import annotations

from bdev.workflow.guided import _shape
from bdev.workflow.newroutes import missing_routes

MODULE = """from flask import Flask

app = Flask(__name__)


@app.post("/items")
def add_item():
    return "", 201


@app.route("/items/<sku>")
def get_item(sku):
    return sku
"""

RESTOCK = ["POST /items/{}/restock"]


def test_a_new_route_that_is_there_passes() -> None:
    answer = '@app.post("/items/<sku>/restock")\ndef restock(sku):\n    return sku\n'
    assert missing_routes(RESTOCK, MODULE, answer, MODULE + "\n\n" + answer, _shape) == []
    routed = answer.replace(
        '.post("/items/<sku>/restock")', '.route("/items/<s>/restock", methods=["POST"])'
    )
    assert missing_routes(RESTOCK, MODULE, routed, MODULE + "\n\n" + routed, _shape) == []


def test_a_route_whose_function_reuses_a_name_is_named_as_the_reason() -> None:
    # Change task 10 at 9472785: the new route's function was called `add_item`, so the
    # splice kept the module's own `add_item` and added no route.
    answer = '@app.post("/items/<sku>/restock")\ndef add_item(sku):\n    return sku\n'
    (problem,) = missing_routes(RESTOCK, MODULE, answer, MODULE, _shape)
    assert "named `add_item`" in problem and "a name of its own" in problem


def test_an_answer_without_the_route_goes_back_and_other_styles_are_not_judged() -> None:
    answer = "def restock(sku):\n    return sku\n"
    (problem,) = missing_routes(RESTOCK, MODULE, answer, MODULE + "\n\n" + answer, _shape)
    assert problem.startswith("Your answer adds no POST /items/{}/restock route")
    # GET where POST was asked is not the route either.
    wrong = '@app.get("/items/<sku>/restock")\ndef restock(sku):\n    return sku\n'
    assert missing_routes(RESTOCK, MODULE, wrong, MODULE + "\n\n" + wrong, _shape)
    # A module that routes through a table (no route decorators at all) is not judged.
    table = "from aiohttp import web\n\nasync def h(r):\n    return 1\n"
    assert missing_routes(RESTOCK, table, "x = 1\n", table + "x = 1\n", _shape) == []
