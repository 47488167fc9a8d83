"""Rows returned as dicts carry the field names the request spells out."""

from __future__ import annotations

import sqlite3

import pytest

from bdev.workflow.columns import alias_columns, response_fields

REQUEST = (
    "Add `GET /me/loans`, which returns the member's loans as a JSON list of "
    '`{"book_id", "title", "borrowed_at"}`, most recent first.'
)
HANDLER = """
def my_loans(c):
    sql = "SELECT b.id, b.title, l.borrowed_at FROM books b JOIN loans l ON b.id = l.book_id"
    return [dict(r) for r in c.execute(sql)]


def books(c):
    return [dict(r) for r in c.execute("SELECT id, title FROM books")]
"""


def _db() -> sqlite3.Connection:
    c = sqlite3.connect(":memory:")
    c.row_factory = sqlite3.Row
    c.executescript(
        "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT);"
        "CREATE TABLE loans (book_id INTEGER, member_id INTEGER, borrowed_at TEXT);"
        "INSERT INTO books VALUES (7, 'Emma');"
        "INSERT INTO loans VALUES (7, 1, '2026-01-01');"
    )
    return c


def _run(code: str, name: str, *args: object) -> object:
    scope: dict[str, object] = {}
    exec(code, scope)
    return scope[name](_db(), *args)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("request_text", "fields"),
    [
        (REQUEST, ["book_id", "title", "borrowed_at"]),
        ('It answers `{"id": 3, "title": "Emma"}`.', ["id", "title"]),
        # A request body is no response.
        ('It takes a JSON body `{"quantity": N}` and answers 200.', []),
        # Two shapes: which is which cannot be told.
        ('Answers `{"id": 1}`, or 400 with `{"error": "..."}`.', []),
        ("Add pagination.", []),
    ],
)
def test_the_response_shape_a_request_spells_out(request_text: str, fields: list[str]) -> None:
    assert response_fields(request_text) == fields


def test_the_one_column_that_can_be_the_missing_field_is_named_so() -> None:
    assert _run(HANDLER, "my_loans") == [{"id": 7, "title": "Emma", "borrowed_at": "2026-01-01"}]
    fixed = alias_columns(HANDLER, {"my_loans"}, response_fields(REQUEST))
    assert "SELECT b.id AS book_id, b.title, l.borrowed_at FROM" in fixed
    assert _run(fixed, "my_loans") == [{"book_id": 7, "title": "Emma", "borrowed_at": "2026-01-01"}]
    # Only the functions the model wrote: the existing listing keeps its own keys.
    assert _run(fixed, "books") == [{"id": 7, "title": "Emma"}]


@pytest.mark.parametrize(
    "select",
    [
        "SELECT b.id AS book_id, b.title, l.borrowed_at FROM books b",  # already right
        "SELECT * FROM books",  # which columns: unknown
        "SELECT b.id, l.id, b.title, l.borrowed_at FROM books b",  # two could be
        "SELECT b.id, b.name FROM books b",  # two fields missing
        "SELECT COUNT(*), b.title, l.borrowed_at FROM books b",  # an unnamed expression
    ],
)
def test_anything_less_certain_is_left_alone(select: str) -> None:
    code = f'def my_loans(c):\n    return c.execute("{select}")\n'
    assert alias_columns(code, {"my_loans"}, ["book_id", "title", "borrowed_at"]) == code


SCHEMA = (
    '_ = """CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT);\n'
    'CREATE TABLE loans (id INTEGER PRIMARY KEY, book_id INTEGER, borrowed_at TEXT);"""\n\n'
)


@pytest.mark.parametrize(
    ("select", "aliased"),
    [
        # loans has its own book_id: its id is the loan's, and book_id is what is missing
        ("SELECT id, title, borrowed_at FROM loans WHERE id = 1", False),
        ("SELECT l.id, b.title, l.borrowed_at FROM loans l JOIN books b", False),
        # books has no book_id: its id is the book's
        ("SELECT b.id, b.title, l.borrowed_at FROM loans l JOIN books b", True),
    ],
)
def test_a_column_is_not_renamed_to_a_field_its_own_table_has(select: str, aliased: bool) -> None:
    code = f'{SCHEMA}def my_loans(c):\n    return c.execute("{select}")\n'
    fixed = alias_columns(code, {"my_loans"}, ["book_id", "title", "borrowed_at"])
    assert ("AS book_id" in fixed) is aliased
