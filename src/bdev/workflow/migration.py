"""A new numbered migration file, checked before it is written.

SQL is run after every earlier migration on an empty in-memory SQLite database (when
they are SQLite's dialect: another dialect is not judged here); Python must parse.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

from bdev.fsutil import write_text_atomic
from bdev.workflow.locate import NUMBERED

_ANY_FENCE = re.compile(r"```[\w+-]*[ \t]*\n(.*?)(?:```|\Z)", re.S)


def write_migration(path: Path, answer: str) -> list[str]:
    """A new migration file: SQL is checked by running every migration before it, then
    this one, on an empty in-memory SQLite database (when they are SQLite's dialect);
    Python must parse."""
    match = _ANY_FENCE.search(answer)
    text = (match.group(1) if match else answer).strip() + "\n"
    if path.suffix == ".py":
        try:
            ast.parse(text)
        except SyntaxError as e:
            return [f"Line {e.lineno}: {e.msg}. Send the whole migration again, fixed."]
    else:
        problem = _sqlite_problem(path, text)
        if problem:
            return [f"The migration fails on a database with the earlier ones applied: {problem}"]
    write_text_atomic(path, text)
    return []


def _sqlite_problem(path: Path, sql: str) -> str | None:
    """Why `sql` fails after the earlier migrations on an empty SQLite database; None
    when it runs, or when the earlier ones do not (another dialect: not checked here)."""
    db = sqlite3.connect(":memory:")
    try:
        try:
            for _, earlier in earlier_migrations(path):
                db.executescript(earlier)
        except sqlite3.Error:
            return None
        try:
            db.executescript(sql)
        except sqlite3.Error as e:
            return str(e)
        return None
    finally:
        db.close()


def earlier_migrations(path: Path) -> list[tuple[str, str]]:
    """(name, text) of the numbered migrations before `path` in its folder, in order."""
    found = sorted(p for p in path.parent.glob("*") if NUMBERED.match(p.name) and p != path)
    return [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in found]
