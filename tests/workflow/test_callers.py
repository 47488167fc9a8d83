"""How a service's routes take their caller, shown to the model writing a new route."""

from __future__ import annotations

from bdev.workflow.callers import caller_idiom

FASTAPI = """
from typing import Annotated
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

app = FastAPI()
bearer = HTTPBearer(auto_error=False)


def db():
    return None


def member_id(cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> int:
    if cred is None:
        raise HTTPException(401)
    return 1


@app.get("/books")
def list_books(conn=Depends(db)) -> list[int]:
    return []


@app.post("/books", status_code=201)
def add_book(_: Annotated[int, Depends(member_id)]) -> dict:
    return {}


@app.post("/books/{book_id}/borrow")
def borrow(book_id: int, member: Annotated[int, Depends(member_id)]) -> dict:
    return {}
"""

FLASK = """
from functools import wraps
from flask import Flask, abort, request

app = Flask(__name__)


def admin_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.headers.get("X-API-Key") != "k":
            abort(401)
        return view(*args, **kwargs)
    return wrapper


@app.get("/items")
def items():
    return []


@app.post("/items")
@admin_only
def add_item():
    return {}
"""


def test_a_fastapi_route_s_credential_dependency_is_found() -> None:
    idiom = caller_idiom(FASTAPI)
    assert idiom is not None
    # The database dependency is not a caller, and the route that names one is preferred.
    assert (idiom.route, idiom.text) == ("borrow", "member: Annotated[int, Depends(member_id)]")
    assert "never as a query or path parameter" in idiom.hint()


def test_a_flask_decorator_that_checks_credentials_is_found() -> None:
    idiom = caller_idiom(FLASK)
    assert idiom is not None and (idiom.route, idiom.text, idiom.kind) == (
        "add_item",
        "admin_only",
        "decorator",
    )
    assert "decorated `@admin_only`" in idiom.hint()


def test_no_idiom_without_authenticated_routes() -> None:
    public = FLASK.replace("@admin_only\n", "")
    assert caller_idiom(public) is None
    assert caller_idiom("def broken(:\n") is None


def test_the_new_route_prompt_carries_the_idiom() -> None:
    from bdev.workflow.guided import _caller_hint

    hint = _caller_hint(FASTAPI)
    assert hint is not None and "Depends(member_id)" in hint
    assert _caller_hint(None) is None
