"""SQL in a changed function names only columns its tables have.

A small model asked who may see a ticket writes `WHERE owner = ? OR agent = ?` for a
table with no `agent` column; the service starts, and the query fails on the first
request. When the service creates its tables with SQL bdev can read (CREATE TABLE in
its code, numbered `.sql` migrations), each complete SQL statement of the functions
the model wrote is compiled by SQLite against those tables (`EXPLAIN`, nothing runs),
and an unknown column goes back with the columns of the statement's own tables and the
table that has it, if one does (shown every table, a 1.5B model rewrote the whole
module). Statements on tables bdev could not build are not judged: only "no such
column" is reported. The same tables give the columns a SELECT returns (it is run on
them, empty), so reading `row["role"]` from rows that have no `role` goes back too.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

from bdev.specfirst.fill.nodes import parsed

_STATEMENT = re.compile(r"^\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)
_CREATE = re.compile(r"\bCREATE\s+TABLE\b", re.I)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_UNKNOWN = re.compile(r"no such column: ([\w.]+)")
_TABLES = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+[\"`]?(\w+)", re.I)
_NUMBERED_SQL = re.compile(r"^\d+_.*\.sql$")
MIGRATION_FOLDERS = ("migrations", "db/migrations")


def unknown_columns(code: str, functions: set[str], workspace: Path | None = None) -> list[str]:
    """A problem per statement of `functions` that names a column its table lacks."""
    tree = parsed(code)
    if tree is None or not functions:
        return []
    db = _schema(tree, workspace)
    if db is None:
        return []
    try:
        return [
            problem
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions
            for problem in [*_problems(db, node), *_unknown_keys(db, node)]
        ]
    finally:
        db.close()


def table_columns(code: str, workspace: Path | None = None) -> dict[str, list[str]]:
    """The columns of each table the service creates (as far as bdev can read it)."""
    tree = parsed(code)
    db = _schema(tree, workspace) if tree is not None else None
    if db is None:
        return {}
    try:
        return _columns(db)
    finally:
        db.close()


def tables_of(sql: str) -> list[str]:
    """The tables a statement reads or writes, by name, in order."""
    return list(dict.fromkeys(_TABLES.findall(sql)))


def _schema(tree: ast.Module, workspace: Path | None) -> sqlite3.Connection | None:
    """An in-memory database with the tables the service creates; None without any."""
    schema = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and _CREATE.search(n.value)
    ]
    schema += _migrations(workspace)
    if not schema:
        return None
    db = sqlite3.connect(":memory:")
    for script in schema:
        try:
            db.executescript(script)
        except sqlite3.Error:
            continue  # another dialect, or depends on what failed: not ours to judge
    return db


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
            unknown = _UNKNOWN.search(str(e))
            if unknown is not None:
                out.append(f"line {node.lineno}: {_explained(db, sql, unknown.group(1))}")
    return out


def _unknown_keys(
    db: sqlite3.Connection, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[str]:
    """`row["owner"]` where `row` holds the rows of a SELECT without an `owner` column:
    a KeyError (a 500) on the first request. The SELECT is run on the empty tables for
    its column names; names assigned more than once are not judged."""
    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.For):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    value = node.iter if isinstance(node, ast.For) else node.value
                    assigned.setdefault(target.id, []).append(value or target)
    rows: dict[str, tuple[str, list[str]]] = {}
    for name, values in assigned.items():
        sql = _select_of(values[0], rows) if len(values) == 1 else None
        if sql is not None:
            columns = _result_columns(db, sql)
            if columns:
                rows[name] = (sql, columns)
    out: list[tuple[int, str]] = []
    for node in ast.walk(function):
        if not (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            continue
        holder = node.value
        if isinstance(holder, ast.Subscript) and isinstance(holder.slice, ast.Constant):
            holder = holder.value  # found[0]["owner"]
        if isinstance(holder, ast.Name) and holder.id in rows:
            sql, columns = rows[holder.id]
            if node.slice.value not in columns:
                said = (
                    f"line {node.lineno}: `{ast.unparse(node)}` reads a column that the rows "
                    f"of {sql.strip()!r} do not have (they have {', '.join(columns)})"
                )
                out.append((node.lineno, said))
    return [said for _, said in sorted(out)]


def _select_of(value: ast.expr, rows: dict[str, tuple[str, list[str]]]) -> str | None:
    """The SELECT whose rows `value` holds: a call given the SQL as its first argument
    (`query(...)`, `conn.execute(...).fetchone()`)."""
    for node in ast.walk(value):
        if (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and re.match(r"\s*SELECT\b", node.args[0].value, re.I)
        ):
            return node.args[0].value
    return None


def _result_columns(db: sqlite3.Connection, sql: str) -> list[str]:
    """The column names of a SELECT, run on the (empty) tables; [] when it does not run."""
    names = _NAMED.findall(sql)
    params: dict[str, None] | tuple[None, ...] = (
        dict.fromkeys(names) if names else (None,) * sql.count("?")
    )
    try:
        cursor = db.execute(sql, params)
    except sqlite3.Error:
        return []
    return [d[0] for d in cursor.description or []]


def _explained(db: sqlite3.Connection, sql: str, column: str) -> str:
    """What is wrong, in the terms of the statement's own tables: their columns, and
    which other table has the column (to join), if one does."""
    columns = _columns(db)
    used = [t for t in tables_of(sql) if t in columns]
    bare = column.rsplit(".", 1)[-1]
    said = "; ".join(f"{t} has {', '.join(columns[t])}" for t in used)
    elsewhere = [t for t in columns if t not in used and bare in columns[t]]
    hint = (
        f"`{bare}` is a column of {' and '.join(elsewhere)}: JOIN it"
        if elsewhere
        else f"no table has `{bare}`"
    )
    return f"no such column `{column}` in {sql.strip()!r}: {said}; {hint}"


def _columns(db: sqlite3.Connection) -> dict[str, list[str]]:
    return {
        table: [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }


def _migrations(workspace: Path | None) -> list[str]:
    if workspace is None:
        return []
    found = []
    for folder in MIGRATION_FOLDERS:
        for path in sorted((workspace / folder).glob("*.sql")):
            if _NUMBERED_SQL.match(path.name):
                found.append(path.read_text(encoding="utf-8", errors="replace"))
    return found
