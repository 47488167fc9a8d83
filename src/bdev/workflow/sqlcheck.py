"""SQL in a changed function names only columns its tables have.

A small model asked who may see a ticket writes `WHERE owner = ? OR agent = ?` for a
table with no `agent` column; the service starts, and the query fails on the first
request. When the service creates its tables with SQL bdev can read (CREATE TABLE in
its code, numbered `.sql` migrations), each complete SQL statement of the functions
the model wrote is compiled by SQLite against those tables (`EXPLAIN`, nothing runs),
and an unknown column goes back with the table's real columns. Statements on tables
bdev could not build are not judged: only "no such column" is reported.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

_STATEMENT = re.compile(r"^\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)
_CREATE = re.compile(r"\bCREATE\s+TABLE\b", re.I)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_NUMBERED_SQL = re.compile(r"^\d+_.*\.sql$")
MIGRATION_FOLDERS = ("migrations", "db/migrations")


def unknown_columns(code: str, functions: set[str], workspace: Path | None = None) -> list[str]:
    """A problem per statement of `functions` that names a column its table lacks."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    schema = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and _CREATE.search(n.value)
    ]
    schema += _migrations(workspace)
    if not schema or not functions:
        return []
    db = sqlite3.connect(":memory:")
    try:
        for script in schema:
            try:
                db.executescript(script)
            except sqlite3.Error:
                continue  # another dialect, or depends on what failed: not ours to judge
        return [
            problem
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions
            for problem in _problems(db, node)
        ]
    finally:
        db.close()


def _problems(
    db: sqlite3.Connection, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[str]:
    joined = {id(v) for n in ast.walk(function) if isinstance(n, ast.JoinedStr) for v in n.values}
    out = []
    for node in ast.walk(function):
        if not (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in joined  # a piece of an f-string is not a statement
            and _STATEMENT.match(node.value)
        ):
            continue
        sql = node.value
        names = _NAMED.findall(sql)
        params: dict[str, None] | tuple[None, ...] = (
            dict.fromkeys(names) if names else (None,) * sql.count("?")
        )
        try:
            db.execute(f"EXPLAIN {sql}", params)
        except sqlite3.Error as e:
            if "no such column" in str(e):
                out.append(f"line {node.lineno}: {e} in {sql.strip()!r}; {_columns(db)}")
    return out


def _columns(db: sqlite3.Connection) -> str:
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    described = []
    for table in tables:
        columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
        described.append(f"{table} has {', '.join(columns)}")
    return "; ".join(described)


def _migrations(workspace: Path | None) -> list[str]:
    if workspace is None:
        return []
    found = []
    for folder in MIGRATION_FOLDERS:
        for path in sorted((workspace / folder).glob("*.sql")):
            if _NUMBERED_SQL.match(path.name):
                found.append(path.read_text(encoding="utf-8", errors="replace"))
    return found
