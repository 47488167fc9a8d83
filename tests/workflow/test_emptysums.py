"""A bare SUM in the SQL the model wrote defaults to 0 for a row without matches."""

from __future__ import annotations

import sqlite3

from bdev.workflow.emptysums import zero_sums

SUMMARY = '''def summary(db):
    """Each customer's sum(...) of orders."""
    rows = db.execute(
        """SELECT c.id, COUNT(o.id), SUM(o.total_cents)
        FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
        GROUP BY c.id ORDER BY c.id"""
    ).fetchall()
    return [{"id": r[0], "orders": r[1], "total_cents": r[2]} for r in rows]


def untouched(db):
    return db.execute("SELECT SUM(total_cents) FROM orders").fetchone()
'''
REQUEST = "run a fixed number of queries; 0 for a customer without orders"


def _database() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY);"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT, total_cents INT);"
        "INSERT INTO customers VALUES (1), (2); INSERT INTO orders VALUES (1, 1, 250);"
    )
    return db


def _run(source: str) -> list[dict]:
    scope: dict = {}
    exec(compile(source, "app.py", "exec"), scope)
    return scope["summary"](_database())


def test_a_sum_over_a_left_join_is_zero_for_a_row_without_matches() -> None:
    assert _run(SUMMARY)[1]["total_cents"] is None  # what the model's SQL gives
    fixed = zero_sums(SUMMARY, {"summary"}, REQUEST)
    assert _run(fixed) == [
        {"id": 1, "orders": 1, "total_cents": 250},
        {"id": 2, "orders": 0, "total_cents": 0},
    ]
    assert "COALESCE(SUM(o.total_cents), 0)" in fixed
    assert '"""Each customer\'s sum(...) of orders."""' in fixed  # a docstring is no SQL
    # Only the functions the model wrote change.
    assert 'db.execute("SELECT SUM(total_cents) FROM orders")' in fixed


def test_a_sum_already_defaulted_or_a_request_about_null_is_left_alone() -> None:
    defaulted = SUMMARY.replace("SUM(o.total_cents)", "coalesce(sum(o.total_cents), 0)")
    assert zero_sums(defaulted, {"summary"}, REQUEST) == defaulted
    nested = SUMMARY.replace("SUM(o.total_cents)", "IFNULL( SUM(o.total_cents * (1 - 0)), 0)")
    assert zero_sums(nested, {"summary"}, REQUEST) == nested
    assert zero_sums(SUMMARY, {"summary"}, "total_cents is null without orders") == SUMMARY
    assert zero_sums("def summary(:\n", {"summary"}, REQUEST) == "def summary(:\n"


def test_every_bare_sum_of_a_statement_is_wrapped_once() -> None:
    source = (
        'def summary(db):\n    return db.execute("SELECT SUM(a) + sum((b)), '
        'COALESCE(SUM(c), 0) FROM t é")\n'
    )
    assert zero_sums(source, {"summary"}, REQUEST) == (
        'def summary(db):\n    return db.execute("SELECT COALESCE(SUM(a), 0) + '
        'COALESCE(sum((b)), 0), COALESCE(SUM(c), 0) FROM t é")\n'
    )
