"""After a Python file is written: does it import?

A small model writes names that do not exist (`from fastapi import BackgroundTask`,
`from passlib.utils import get_password_hash`) or uses a name it never imported
(`class Note(BaseModel)` with no import). The file parses, and the mistake shows only
when the service fails to start, many steps later (greenfield scenarios 03, 07 and 11 of
the constrained loop at `4c2f249` never started for this). So the module is imported at
once, in a fresh interpreter inside the sandbox, and a failure that lies in the file
itself goes back with Write's or Edit's result: an ImportError, NameError or
AttributeError raised by one of its own lines (the traceback's last frame is there), or a
TypeError, AssertionError or RuntimeError raised while its own line ran, with no other
workspace file after it (`Query(enum=...)`; FastAPI refusing a parameter's type as the
route is declared; StaticFiles given a folder that is not there). With a missing name
goes where it really is, when that can be found (`import_probe`).

Anything else says nothing about the edit and gives no note: a package this interpreter
lacks (ModuleNotFoundError; the service may have its own environment), a database that
is not running or a variable not set (OSError, KeyError, a settings class's
ValidationError), a module that blocks (it is stopped at the time limit). Importing runs the
workspace's code, so it only ever happens inside the sandbox; with the sandbox off there
is no check.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bdev.fsutil import write_text_atomic
from bdev.sandbox import SandboxUnavailable, active, confine

TIMEOUT_S = 15.0

# What runs in the sandbox: a script of the standard library only (see its docstring).
_PROBE = Path(__file__).with_name("import_probe.py")

# `cannot import name 'X' from 'fastapi' (/long/path/fastapi/__init__.py)`: the path
# says nothing to the model.
_WHERE = re.compile(r" \((?:/|[A-Za-z]:\\)[^()]*\)$")


MAX_ADDED = 3  # imports added to one file in one check, at most


def import_note(python: str | None, root: Path, path: Path) -> str:
    """For a Python file under `root` that parses: where and why importing it fails, to
    append to the tool's result; "" when it imports, or the failure is not the file's.

    A name used and never imported whose import was found is added to the file's
    imports (said in the result) and the file checked again: the embedded model, told
    which line to add, replaced another import with it, turn after turn (greenfield 02 at
    `731d2e4`: `List` and `Query`, each missing in turn, for 20 steps)."""
    if python is None or path.suffix != ".py" or not active().enabled:
        return ""
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return ""
    notes: list[str] = []
    added: set[str] = set()
    while (found := _failure(python, root.resolve(), rel)) is not None:
        addable = found.add and found.add not in added and len(added) < MAX_ADDED
        if addable and (line := _add_import(path, found.add)) is not None:
            added.add(found.add)
            name = found.add.split()[-1]
            notes.append(
                f"bdev added `{found.add}` as line {line}: `{name}` was used and never imported"
            )
            continue
        hint = f"; {found.fix}" if found.fix else ""
        error = _WHERE.sub("", found.error)
        notes.append(f"importing it fails at line {found.line}: {error}{hint}")
        break
    return "".join(f"\nNote: {note}" for note in notes)


@dataclass(frozen=True)
class _Failure:
    line: int
    error: str
    fix: str  # what to do about it, in words ("" when nothing was found)
    add: str  # the import line a name never imported needs ("" when none)


def _add_import(path: Path, statement: str) -> int | None:
    """Put `statement` after the file's leading imports (its docstring, else at the top);
    the line it is on, or None when the file cannot be read, parsed or written."""
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    after = 0
    for i, node in enumerate(tree.body):
        docstring = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if not (docstring or isinstance(node, ast.Import | ast.ImportFrom)):
            break
        after = node.end_lineno or node.lineno
    lines = text.splitlines(keepends=True)
    if after and not lines[after - 1].endswith("\n"):
        lines[after - 1] += "\n"
    lines.insert(after, statement + "\n")
    try:
        write_text_atomic(path, "".join(lines))
    except OSError:
        return None
    return after + 1


def _failure(python: str, root: Path, rel: str) -> _Failure | None:
    with tempfile.TemporaryDirectory(prefix="bdev-import-") as tmp:
        # A module that opens a relative SQLite file at import leaves it here, not in
        # the workspace (which the sandbox keeps read-only for this).
        env = {
            **os.environ,
            "PYTHONDONTWRITEBYTECODE": "1",
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'check.db'}",
        }
        argv = [python, "-c", _PROBE.read_text(encoding="utf-8"), str(root), rel]
        try:
            confined = confine(argv, cwd=Path(tmp), env=env, readable=[root])
            done = subprocess.run(
                confined.argv, cwd=tmp, env=confined.env, capture_output=True, text=True,
                timeout=TIMEOUT_S, check=False,
            )  # fmt: skip
        except (SandboxUnavailable, OSError, subprocess.TimeoutExpired):
            return None
    last = done.stdout.strip().splitlines()[-1:] if done.returncode == 0 else []
    try:
        said = json.loads(last[0]) if last else {}
    except ValueError:
        return None
    line, error, fix, add = (said.get(k) for k in ("line", "error", "fix", "add"))
    if not (isinstance(line, int) and isinstance(error, str)):
        return None
    text = {k: v if isinstance(v, str) else "" for k, v in (("fix", fix), ("add", add))}
    return _Failure(line, error, **text)
