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
    assert "no such column: member" in problem
    assert "boards has id, owner, title" in problem


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
