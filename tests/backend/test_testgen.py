"""bdev's generated API tests: written from the OpenAPI document and the route analysis,
they pass on a correct service and fail on one that breaks its contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.backend.analyze import analyze
from bdev.backend.testgen import (
    GENERATED,
    app_target,
    operations,
    render_module,
    write_module,
)
from bdev.backend.testgen.schema import example, out_of_bounds, resolve
from support.apps import FASTAPI_APP, served_document
from support.apps import run_generated as run_outcomes

# Each breaks one part of the contract: the documented status, the body's schema, auth.
FASTAPI_BROKEN = (
    FASTAPI_APP.replace("status_code=201, response_model=Item", "response_model=Item")
    .replace('return {"status": "ok"}', 'return {"status": 1}')
    .replace("def health() -> dict[str, str]:", "def health():")
    .replace("token: str = Depends(require_token)", "")
)

FLASK_APP = """from flask import Flask, jsonify, request

app = Flask(__name__)
ITEMS: dict[int, dict] = {}


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.post("/items")
def create_item():
    body = request.get_json(silent=True) or {}
    name, quantity = body.get("name"), body.get("quantity")
    if not isinstance(name, str) or not 1 <= len(name) <= 20:
        return jsonify(error="name: 1 to 20 characters"), 400
    if not isinstance(quantity, int) or not 0 <= quantity <= 100:
        return jsonify(error="quantity: 0 to 100"), 400
    item = {"id": len(ITEMS) + 1, "name": name, "quantity": quantity}
    ITEMS[item["id"]] = item
    return jsonify(item), 201


@app.get("/items/<int:item_id>")
def get_item(item_id: int):
    if item_id not in ITEMS:
        return jsonify(error="not found"), 404
    return jsonify(ITEMS[item_id])


@app.get("/admin/stats")
def stats():
    if request.headers.get("Authorization") != "Bearer secret":
        return jsonify(error="unauthorized"), 401
    return jsonify(items=len(ITEMS))
"""

FLASK_BROKEN = (
    FLASK_APP.replace("return jsonify(item), 201", "return jsonify(item), 200")
    .replace('jsonify(status="ok")', 'jsonify(status=["ok"])')
    .replace('!= "Bearer secret"', '== "never"')
    .replace("not 0 <= quantity <= 100", "False")
)

ITEM = {
    "type": "object",
    "required": ["name", "quantity"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 20},
        "quantity": {"type": "integer", "minimum": 0, "maximum": 100},
    },
}


def json_of(schema: dict) -> dict:
    return {"description": "", "content": {"application/json": {"schema": schema}}}


REF = "#/components/schemas/"
FLASK_DOC = {
    "openapi": "3.0.3",
    "info": {"title": "items", "version": "1"},
    "paths": {
        "/health": {
            "get": {
                "responses": {
                    "200": json_of(
                        {
                            "type": "object",
                            "required": ["status"],
                            "properties": {"status": {"type": "string"}},
                        }
                    )
                }
            }
        },
        "/items": {
            "post": {
                "requestBody": {"required": True, **json_of({"$ref": REF + "ItemIn"})},
                "responses": {"201": json_of({"$ref": REF + "Item"})},
            }
        },
        "/items/{item_id}": {
            "get": {
                "parameters": [
                    {
                        "name": "item_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {"200": json_of({"$ref": REF + "Item"})},
            }
        },
        "/admin/stats": {"get": {"responses": {"200": {"description": "counts"}}}},
    },
    "components": {
        "schemas": {
            "ItemIn": ITEM,
            "Item": {
                "allOf": [
                    {"$ref": REF + "ItemIn"},
                    {"required": ["id"], "properties": {"id": {"type": "integer"}}},
                ]
            },
        }
    },
}


def run_generated(root: Path) -> dict[str, bool]:
    """Run the generated module in a fresh pytest: test name -> passed."""
    return {name: result == "passed" for name, result in run_outcomes(root).items()}


def generate(root: Path, app: str, doc: dict | None) -> str:
    (root / "app.py").write_text(app)
    (root / "requirements.txt").write_text("fastapi\nflask\n")
    if doc is None:
        doc = served_document(root)
    facts = analyze(root)
    target = app_target(facts)
    assert target is not None
    path = write_module(root, render_module(target, operations(facts, doc)))
    assert path == root / GENERATED
    return path.read_text()


@pytest.mark.parametrize(
    ("app", "broken", "doc"),
    [(FASTAPI_APP, FASTAPI_BROKEN, None), (FLASK_APP, FLASK_BROKEN, FLASK_DOC)],
    ids=["fastapi", "flask"],
)
def test_generated_module_passes_on_the_service_and_fails_when_it_breaks(
    tmp_path: Path, app: str, broken: str, doc: dict | None
) -> None:
    text = generate(tmp_path, app, doc)
    assert text.startswith("# bdev:generated-tests")
    compile(text, GENERATED, "exec")
    results = run_generated(tmp_path)
    assert results and all(results.values()), results
    assert set(results) >= {
        "test_get_health_succeeds",
        "test_post_items_succeeds",
        "test_post_items_rejects_missing_name",
        "test_post_items_rejects_quantity_out_of_bounds",
        "test_get_items_item_id_succeeds",  # a round trip: created by POST /items first
        "test_get_admin_stats_requires_credentials",
    }

    (tmp_path / "app.py").write_text(broken)
    results = run_generated(tmp_path)
    failed = {name for name, ok in results.items() if not ok}
    assert {
        "test_post_items_succeeds",  # 200 where 201 is documented
        "test_get_health_succeeds",  # a body breaking the documented schema
        "test_get_admin_stats_requires_credentials",  # no auth check
    } <= failed, results
    assert results["test_post_items_rejects_missing_name"]


def test_a_file_someone_else_wrote_is_never_overwritten(tmp_path: Path) -> None:
    mine = tmp_path / GENERATED
    mine.parent.mkdir()
    mine.write_text("def test_mine():\n    assert True\n")
    assert write_module(tmp_path, "# bdev:generated-tests\n") is None
    assert mine.read_text().startswith("def test_mine")
    mine.write_text("# bdev:generated-tests\nold\n")
    assert write_module(tmp_path, "# bdev:generated-tests\nnew\n") == mine
    assert mine.read_text().endswith("new\n")


def test_values_follow_examples_enums_and_bounds() -> None:
    doc = {"components": {"schemas": {"Kind": {"enum": ["a", "b"]}}}}
    schema = resolve(
        {
            "type": "object",
            "required": ["kind", "n", "tag", "email", "note"],
            "properties": {
                "kind": {"$ref": "#/components/schemas/Kind"},
                "n": {"type": "integer", "exclusiveMinimum": 5, "maximum": 9},
                "tag": {"type": "string", "minLength": 6},
                "email": {"type": "string", "format": "email"},
                "note": {"type": "string", "example": "hi"},
            },
        },
        doc,
        strip=False,
    )
    assert example(schema) == {
        "kind": "a", "n": 6, "tag": "textxx", "email": "user@example.com", "note": "hi"
    }  # fmt: skip
    assert out_of_bounds({"type": "integer", "minimum": 0.0}) == (-1, "minimum 0")
    assert out_of_bounds({"type": "string", "maxLength": 2}) == ("xxx", "maxLength 2")
    assert out_of_bounds({"type": "string"}) is None


def test_a_ref_cycle_resolves_to_anything() -> None:
    node_schema = {"properties": {"next": {"$ref": REF + "Node"}}}
    doc = {"components": {"schemas": {"Node": node_schema}}}
    node = resolve({"$ref": REF + "Node"}, doc)
    assert node == {"properties": {"next": {}}}


def test_the_audit_installs_what_the_generated_module_imports(tmp_path: Path) -> None:
    from bdev.backend.audit import environment

    assert not environment._has_generated_tests(tmp_path)
    write_module(tmp_path, "# bdev:generated-tests\n")
    assert environment._has_generated_tests(tmp_path)
    assert set(environment.GENERATED_TESTS_TOOLS) == {"jsonschema", "httpx"}
