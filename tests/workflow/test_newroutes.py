"""An answer for a new route must add it (`workflow.newroutes`)."""

from __future__ import annotations

from bdev.workflow.locate import shape
from bdev.workflow.newroutes import missing_routes, own_names

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
    assert missing_routes(RESTOCK, MODULE, MODULE + "\n\n" + answer, shape) == []
    routed = answer.replace(
        '.post("/items/<sku>/restock")', '.route("/items/<s>/restock", methods=["POST"])'
    )
    assert missing_routes(RESTOCK, MODULE, MODULE + "\n\n" + routed, shape) == []


def test_an_answer_without_the_route_goes_back_and_other_styles_are_not_judged() -> None:
    answer = "def restock(sku):\n    return sku\n"
    (problem,) = missing_routes(RESTOCK, MODULE, MODULE + "\n\n" + answer, shape)
    assert problem.startswith("Your answer adds no POST /items/{}/restock route")
    # GET where POST was asked is not the route either.
    wrong = '@app.get("/items/<sku>/restock")\ndef restock(sku):\n    return sku\n'
    assert missing_routes(RESTOCK, MODULE, MODULE + "\n\n" + wrong, shape)
    # A module that routes through a table (no route decorators at all) is not judged.
    table = "from aiohttp import web\n\nasync def h(r):\n    return 1\n"
    assert missing_routes(RESTOCK, table, table + "x = 1\n", shape) == []


def test_a_new_route_that_reuses_a_name_is_renamed_after_its_route() -> None:
    # Change task 10 at 6852ace: four answers of nine named the restock route `add_item`
    # and went back; the model never chose another name.
    answer = (
        '@app.post("/items")\ndef add_item():\n    return "", 201\n\n\n'
        '@app.post("/items/<sku>/restock")\ndef add_item(sku):\n    return sku\n'
    )
    renamed = own_names(RESTOCK, MODULE, answer, shape)
    assert renamed == answer.replace("def add_item(sku)", "def post_items_restock(sku)")
    assert missing_routes(RESTOCK, MODULE, MODULE + "\n\n" + renamed, shape) == []


def test_renaming_leaves_new_names_and_routes_the_module_has_alone() -> None:
    fresh = '@app.post("/items/<sku>/restock")\ndef restock(sku):\n    return sku\n'
    assert own_names(RESTOCK, MODULE, fresh, shape) == fresh
    # The module's own route, copied back under its own name, stays a copy.
    copy = '@app.route("/items/<sku>")\ndef get_item(sku):\n    return sku\n'
    assert own_names(["GET /items/{}"], MODULE, copy, shape) == copy
    # A free name is found when the obvious one is taken too.
    taken = MODULE + "\n\ndef post_items_restock():\n    pass\n"
    reused = '@app.post("/items/<sku>/restock")\ndef add_item(sku):\n    return sku\n'
    assert "def post_items_restock_2(sku)" in own_names(RESTOCK, taken, reused, shape)
    assert own_names(RESTOCK, MODULE, "def (:\n", shape) == "def (:\n"
