"""SQL in a changed function is compiled against the tables the service creates."""

from __future__ import annotations

from pathlib import Path

from bdev.workflow.sqlcheck import unknown_columns

SERVICE = '''
import sqlite3

conn = sqlite3.connect("x.db")
conn.executescript("""
    CREATE TABLE IF NOT EXISTS boards (id INTEGER PRIMARY KEY, owner TEXT, title TEXT);
""")


def mine(user):
    return conn.execute("SELECT id, title FROM boards WHERE owner = ? OR member = ?", (user, user))


def named(user):
    return conn.execute("SELECT id FROM boards WHERE owner = :user", {"user": user})


def other_table(user):
    return conn.execute("SELECT id FROM cards WHERE whatever = ?", (user,))


def built(field):
    return conn.execute(f"SELECT {field} FROM boards WHERE id = ?", (1,))
'''


def test_an_unknown_column_goes_back_with_the_real_ones() -> None:
    (problem,) = unknown_columns(SERVICE, {"mine"})
    assert "no such column `member`" in problem
    assert problem.endswith("boards has id, owner, title; no table has `member`")


def test_a_column_of_another_table_is_pointed_to() -> None:
    code = SERVICE.replace(
        "CREATE TABLE IF NOT EXISTS boards",
        "CREATE TABLE cards (id INTEGER PRIMARY KEY, board_id INTEGER, member TEXT);\n"
        "    CREATE TABLE IF NOT EXISTS boards",
    )
    (problem,) = unknown_columns(code, {"mine"})
    assert problem.endswith("boards has id, owner, title; `member` is a column of cards: JOIN it")


def test_known_columns_and_statements_bdev_cannot_judge_pass() -> None:
    # named parameters; a table bdev has no schema for; SQL built by an f-string
    assert unknown_columns(SERVICE, {"named", "other_table", "built"}) == []
    assert unknown_columns(SERVICE.replace("CREATE TABLE", "CREATE VIEW"), {"mine"}) == []


def test_numbered_migrations_are_part_of_the_schema(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_boards.sql").write_text(
        "CREATE TABLE boards (id INTEGER PRIMARY KEY, owner TEXT, title TEXT);"
    )
    code = SERVICE.replace("CREATE TABLE IF NOT EXISTS boards", "-- boards are migrated")
    assert unknown_columns(code, {"mine"}) == []  # no schema without the migrations
    assert "member" in unknown_columns(code, {"mine"}, tmp_path)[0]
    (tmp_path / "migrations" / "0002_member.sql").write_text(
        "ALTER TABLE boards ADD COLUMN member TEXT;"
    )
    assert unknown_columns(code, {"mine"}, tmp_path) == []


def test_a_row_key_its_select_does_not_return_goes_back() -> None:
    code = (
        SERVICE
        + """

def board(conn, board_id, user):
    row = conn.execute("SELECT * FROM boards WHERE id = ?", (board_id,)).fetchone()
    found = conn.execute("SELECT id, title AS name FROM boards").fetchall()
    if row["owner"] != user and row["role"] != "admin":
        return None
    return row["title"], found[0]["name"], found[0]["title"]
"""
    )
    problems = unknown_columns(code, {"board"})
    assert [p.split(":")[0] for p in problems] == ["line 29", "line 31"]
    assert "`row['role']` reads a column that the rows of 'SELECT * FROM boards" in problems[0]
    assert "(they have id, owner, title)" in problems[0]
    assert "`found[0]['title']`" in problems[1] and "(they have id, name)" in problems[1]
