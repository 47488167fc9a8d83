"""Generated tests that sign in as a new user: an endpoint behind a login is tested as a
member would call it, so a handler that refuses everyone is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.backend.analyze import analyze
from bdev.backend.testgen import app_target, operations, render_module, write_module
from bdev.backend.testgen.operations import add_signed_in_checks, sign_in
from support.apps import MEMBERS_APP as MEMBERS
from support.apps import run_generated, served_document

# The mistake a small model made in that task: a role check no member passes.
REFUSES_EVERYONE = MEMBERS.replace(
    'return [{"owner": name}]', 'raise HTTPException(403, "access denied")'
)

# A Flask login that registers on first use (as change task 08's helpdesk does).
FLASK_LOGIN = """import secrets

from flask import Flask, jsonify, request

app = Flask(__name__)
TOKENS: dict[str, str] = {}


@app.post("/login")
def login():
    body = request.get_json(silent=True) or {}
    if not isinstance(body.get("username"), str) or not isinstance(body.get("password"), str):
        return jsonify(error="username and password"), 400
    token = secrets.token_hex(8)
    TOKENS[token] = body["username"]
    return jsonify(session={"access_token": token})


@app.get("/me")
def me():
    name = TOKENS.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
    if name is None:
        return jsonify(error="unauthorized"), 401
    return jsonify(name=name)
"""

FLASK_DOC = {
    "openapi": "3.0.3",
    "info": {"title": "me", "version": "1"},
    "paths": {
        "/login": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["username", "password"],
                                "properties": {
                                    "username": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "a token"}},
            }
        },
        "/me": {
            "get": {
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "who"}},
            }
        },
    },
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
}


def generate(root: Path, app: str, doc: dict | None, names: set[str]) -> tuple[str, int]:
    (root / "app.py").write_text(app)
    if doc is None:
        doc = served_document(root)
    facts = analyze(root)
    ops = operations(facts, doc)
    signer = sign_in(ops)
    assert signer is not None
    added = add_signed_in_checks(ops, names, signer)
    target = app_target(facts)
    assert target is not None
    path = write_module(root, render_module(target, ops))
    assert path is not None
    return path.read_text(), added


@pytest.mark.slow
def test_a_route_behind_the_token_is_tested_signed_in_as_a_new_member(tmp_path: Path) -> None:
    text, added = generate(tmp_path, MEMBERS, None, {"get_me_notes"})
    assert added == 1
    assert "def signed_in()" in text and "auth = signed_in()" in text
    results = run_generated(tmp_path)
    assert results["test_get_me_notes_succeeds"] == "passed", results
    assert results["test_get_me_notes_requires_credentials"] == "passed"  # no cookie leaks
    assert all(v == "passed" for v in results.values()), results

    (tmp_path / "app.py").write_text(REFUSES_EVERYONE)
    results = run_generated(tmp_path)
    assert results["test_get_me_notes_succeeds"] == "failed"
    assert results["test_get_me_notes_requires_credentials"] == "passed"


@pytest.mark.slow
def test_a_flask_login_that_registers_on_first_use(tmp_path: Path) -> None:
    _, added = generate(tmp_path, FLASK_LOGIN, FLASK_DOC, {"get_me"})
    assert added == 1
    results = run_generated(tmp_path)
    assert results["test_get_me_succeeds"] == "passed", results
    assert results["test_get_me_requires_credentials"] == "passed"
    # A login that answers no token: not checked, never passed.
    (tmp_path / "app.py").write_text(FLASK_LOGIN.replace("access_token", "session_id"))
    assert run_generated(tmp_path)["test_get_me_succeeds"] == "skipped"


def test_no_signed_in_test_without_a_login_that_takes_a_password(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(MEMBERS.replace("password", "pin_code"))
    ops = operations(analyze(tmp_path), served_document(tmp_path))
    assert sign_in(ops) is None
