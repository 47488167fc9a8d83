"""The JSON body a handler reads, from its code (`backend.testgen.bodies`)."""

from __future__ import annotations

from pathlib import Path

from bdev.backend.facts import Endpoint, Location
from bdev.backend.testgen.bodies import inferred_body
from bdev.backend.testgen.schema import example

FLASK = """
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/orders")
def add_order():
    payload = request.get_json(silent=True) or {}
    customer, note = payload.get("customer"), payload.get("note")
    if not isinstance(customer, str):
        return jsonify(error="customer"), 400
    qty = payload["quantity"]
    if not isinstance(qty, int):
        return jsonify(error="quantity"), 400
    total = payload.get("total_cents")
    return jsonify(customer=customer, note=note, quantity=qty, total_cents=total), 201


@app.post("/ping")
def ping():
    return jsonify(ok=True)


@app.post("/direct")
def direct():
    return jsonify(name=request.json["name"])
"""

FASTAPI = """
from fastapi import FastAPI
from pydantic import BaseModel, EmailStr, Field

app = FastAPI()


class NewUser(BaseModel):
    email: EmailStr
    nick: str = Field(min_length=3, max_length=20)
    age: int = Field(ge=18)
    bio: str | None = None


@app.post("/users", status_code=201)
def add_user(body: NewUser):
    return body
"""


def endpoint(tmp_path: Path, source: str, handler: str, method: str = "POST") -> Endpoint:
    (tmp_path / "app.py").write_text(source)
    return Endpoint(
        method=method, path="/x", handler=handler, location=Location(file="app.py", line=1)
    )


def test_a_flask_handler_names_the_keys_it_reads_and_their_types(tmp_path: Path) -> None:
    schema = inferred_body(tmp_path, endpoint(tmp_path, FLASK, "add_order"))
    assert schema is not None
    props = schema["properties"]
    assert list(props) == ["customer", "note", "quantity", "total_cents"]
    assert props["customer"]["type"] == "string"  # its isinstance check
    assert props["quantity"]["type"] == "integer"  # its isinstance check
    assert props["total_cents"]["type"] == "integer"  # the name says a number
    body = example(schema)
    assert isinstance(body["quantity"], int) and isinstance(body["customer"], str)


def test_a_handler_reading_no_body_has_none(tmp_path: Path) -> None:
    assert inferred_body(tmp_path, endpoint(tmp_path, FLASK, "ping")) is None


def test_request_json_read_directly(tmp_path: Path) -> None:
    schema = inferred_body(tmp_path, endpoint(tmp_path, FLASK, "direct"))
    assert schema is not None and list(schema["properties"]) == ["name"]


def test_a_fastapi_handler_takes_its_pydantic_model(tmp_path: Path) -> None:
    schema = inferred_body(tmp_path, endpoint(tmp_path, FASTAPI, "add_user"))
    assert schema is not None
    assert schema["required"] == ["email", "nick", "age"]
    assert schema["properties"]["nick"] == {"type": "string", "minLength": 3, "maxLength": 20}
    assert schema["properties"]["email"] == {"type": "string", "format": "email"}
    body = example(schema)
    assert body["age"] >= 18 and 3 <= len(body["nick"]) <= 20 and "@" in body["email"]


def test_an_unreadable_file_gives_none(tmp_path: Path) -> None:
    missing = Endpoint(
        method="POST", path="/x", handler="h", location=Location(file="nope.py", line=1)
    )
    assert inferred_body(tmp_path, missing) is None
