"""A handler's second check of a rule bdev's `request_rules` enforces is removed."""

from __future__ import annotations

import textwrap

import pytest

from bdev.workflow.rechecks import drop_rechecks

FLASK = textwrap.dedent(
    """
    @app.post("/signups")
    @request_rules(status=400, closed=True, body={'name': {'type': 'string'}, 'age': {}})
    def sign_up():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error="send a JSON object"), 400
        if not (1 <= len(body.get("name", "")) <= 80):
            return jsonify(error="bad name"), 400
        if body.get("age", 0) < 16:
            return jsonify(error="too young"), 400
        if body.get("name") == "root":
            return jsonify(error="taken"), 409
        return jsonify(id=1), 201
    """
)

FASTAPI = textwrap.dedent(
    """
    @app.get('/products', dependencies=[request_rules(status=422, query={'sort': {}})])
    def list_products(s, q: str | None = None, sort: str | None = None):
        if sort not in ['name', '-name']:
            raise HTTPException(422, "invalid sort parameter")
        if q and sort:
            raise HTTPException(status_code=422, detail="no")
        if sort == "name":
            abort(422)
        return []
    """
)


def test_flask_rechecks_of_covered_fields_go_and_the_rest_stays() -> None:
    out = drop_rechecks(FLASK, {"sign_up"})
    assert "bad name" not in out and "too young" not in out
    assert "send a JSON object" in out  # the body's shape: no rule of bdev's covers it
    assert '"taken"), 409' in out  # another status: the handler's own logic
    compile(out, "app.py", "exec")


def test_fastapi_rechecks_go_unless_they_read_something_else() -> None:
    out = drop_rechecks(FASTAPI, {"list_products"})
    assert "invalid sort parameter" not in out and "abort(422)" not in out
    assert 'detail="no"' in out  # reads `q`, which bdev's rules do not cover
    compile(out, "app.py", "exec")


@pytest.mark.parametrize(
    ("code", "functions"),
    [
        (FLASK, {"other"}),  # not a function the model wrote
        (FLASK.replace("@request_rules", "@login_required"), {"sign_up"}),  # no rules
        # The check is all the block holds: removing it would leave the block empty.
        (
            "@request_rules(status=400, body={'n': {}})\ndef f():\n    if True:\n"
            "        if n > 3:\n            abort(400)\n",
            {"f"},
        ),
    ],
)
def test_nothing_else_changes(code: str, functions: set[str]) -> None:
    assert drop_rechecks(code, functions) == code
