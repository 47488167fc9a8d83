"""Values passed to `.execute` match the SQL's placeholders (`workflow.bindings`)."""

from __future__ import annotations

import sqlite3

from bdev.workflow.bindings import drop_unused_values, miscounted_values

# Change task 12 at 9472785: the right query, with a value and no `?` for it.
SUMMARY = '''def summary(conn):
    data = []
    for row in conn.execute(
        """
        SELECT c.id, COUNT(o.id) AS orders  -- 'é?'
        FROM customers AS c LEFT JOIN orders AS o ON c.id = o.customer_id
        GROUP BY c.id
        """,
        (len(data),),  # limit the rows
    ):
        data.append(dict(row))
    return data
'''


def _db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    db.executescript(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY);"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER);"
        "INSERT INTO customers VALUES (1);"
    )
    return db


def test_values_for_sql_without_placeholders_are_dropped_and_the_query_runs() -> None:
    namespace: dict[str, object] = {}
    exec(SUMMARY, namespace)
    try:
        namespace["summary"](_db())  # type: ignore[operator]
        raise AssertionError("the answer as sent should fail")
    except sqlite3.ProgrammingError as e:
        assert "bindings" in str(e)
    fixed = drop_unused_values(SUMMARY, {"summary"})
    assert '""",  # limit the rows' in fixed and "len(data)" not in fixed
    exec(fixed, namespace)
    assert namespace["summary"](_db()) == [{"id": 1, "orders": 0}]  # type: ignore[operator]
    assert drop_unused_values(SUMMARY, {"other"}) == SUMMARY
    assert miscounted_values(fixed, {"summary"}) == []


def test_a_wrong_number_of_values_goes_back_with_both_counts() -> None:
    code = (
        "def find(conn, a, b):\n"
        "    conn.execute(\"SELECT 1 FROM t WHERE x = ? AND y = '?'\", (a, b))\n"
        '    conn.execute("SELECT 1 FROM t WHERE x = ? AND y = ?", [a])\n'
        '    conn.execute("SELECT 1 FROM t WHERE x = ?", (a,))\n'  # right
        '    conn.execute("SELECT 1 FROM t WHERE x = :x", (a, b))\n'  # named: not judged
        '    conn.execute("SELECT 1 FROM t WHERE x = %s", (a, b))\n'  # psycopg: not judged
        "    conn.execute(SQL, (a, b))\n"  # computed SQL: not judged
    )
    assert miscounted_values(code, {"find"}) == [
        "line 2: the SQL has 1 `?` and 2 values are passed with it: pass one value for "
        "each `?`, in order",
        "line 3: the SQL has 2 `?` and 1 value is passed with it: pass one value for "
        "each `?`, in order",
    ]
    assert drop_unused_values(code, {"find"}) == code
