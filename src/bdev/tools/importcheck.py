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

Two mistakes whose fix is certain are made good in the file, and the result says so: a
name used and never imported gets its import, and a name imported from a module that
lacks it, when another module has it, is imported from there instead. Told the line to
write, the model put it in place of another import, turn after turn (greenfield 02 at
`731d2e4`), or sent the same wrong import again (02 at `9cd96d2`: seven Writes).

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
# The name and module of an import that fails; `import_probe` has the same pattern, as it
# runs alone in the sandbox and imports nothing of bdev.
_MISSING = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")


MAX_FIXED = 3  # imports added or moved in one file in one check, at most


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
    done: list[str] = []  # what bdev made good, said on the result's first line
    statements: set[str] = set()  # the import lines it wrote, each once
    failure = ""
    while (found := _failure(python, root.resolve(), rel)) is not None:
        if len(done) < MAX_FIXED and (fixed := _fix(path, found, statements)):
            done.append(fixed)
            continue
        hint = f"; {found.fix}" if found.fix else ""
        error = _WHERE.sub("", found.error)
        failure = f"\nNote: importing it fails at line {found.line}: {error}{hint}"
        break
    # A "Note:" of its own saying what bdev did was copied into the file by the embedded
    # model (greenfield 01 at `f00905a`); a clause on the first line was not.
    return "".join(f"; bdev {clause}" for clause in done) + failure


@dataclass(frozen=True)
class _Failure:
    line: int
    error: str
    fix: str  # what to do about it, in words ("" when nothing was found)
    add: str  # the import line a name never imported needs ("" when none)
    move: str  # the module that has a name imported from one that lacks it ("" when none)


def _fix(path: Path, found: _Failure, fixed: set[str]) -> str:
    """Make good a failure whose fix is certain, once per import line; what was done,
    or "" when nothing was. A name never imported gets its import; a name imported from
    a module that lacks it is imported from the one that has it, or, when none has it
    and the file never uses it, taken out of the import (greenfield 03 at `64fb6ca`: an
    import of twenty names, one invented, and ten steps spent on that line)."""
    wrong = _MISSING.search(found.error)
    if not (found.add or wrong):
        return ""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    changed: tuple[str, int] | None = None
    if found.add:
        statement, name = found.add, found.add.rpartition(" ")[2]
        changed = _with_import(text, statement)
        at = changed[1] if changed else 0
        said = f"added `{statement}` as line {at} (`{name}` was never imported)"
    elif wrong:
        name, module = wrong[1], wrong[2]
        rest, alias = _without_import(text, found.line, name, module)
        if found.move and rest:
            statement = f"from {found.move} import {name}" + (f" as {alias}" if alias else "")
            changed = _with_import(rest, statement)
            said = f"made it `{statement}` ({module} does not have `{name}`)"
        elif rest and not _uses(rest, alias or name):
            statement, changed = f"-{module}.{name}", (rest, 0)
            said = f"took `{name}` out of the import from {module} (no module has it; unused)"
    if changed is None or statement in fixed:
        return ""
    try:
        write_text_atomic(path, changed[0])
    except OSError:
        return ""
    fixed.add(statement)
    return said


def _uses(text: str, name: str) -> bool:
    """Whether module `text` uses `name` anywhere (True when it does not parse)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return True
    return any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(tree))


def _without_import(text: str, line: int, name: str, module: str) -> tuple[str, str]:
    """`text` with `name` taken out of the top-level `from module import ...` at `line`,
    and the name it was imported as ("" for its own); ("", "") when there is no such
    statement, or code shares its last line."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return "", ""
    statement = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            and node.module == module
            and not node.level
            and node.lineno <= line <= (node.end_lineno or node.lineno)
            and any(alias.name == name for alias in node.names)
        ),
        None,
    )
    if statement is None:
        return "", ""
    lines = text.splitlines(keepends=True)
    first, last = statement.lineno - 1, statement.end_lineno or statement.lineno
    tail = lines[last - 1][(statement.end_col_offset or 0) :].rstrip("\n")
    if tail.strip() and not tail.strip().startswith("#"):  # `; x = 1`: left alone
        return "", ""
    alias = next(a.asname or "" for a in statement.names if a.name == name)
    statement.names = [a for a in statement.names if a.name != name]
    ending = "\n" if lines[last - 1].endswith("\n") else ""
    lines[first:last] = [ast.unparse(statement) + tail + ending] if statement.names else []
    return "".join(lines), alias


def _with_import(text: str, statement: str) -> tuple[str, int] | None:
    """`text` with `statement` after its leading imports (its docstring, else at the
    top), and the line it is on; None when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
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
    return "".join(lines), after + 1


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
    line, error = said.get("line"), said.get("error")
    if not (isinstance(line, int) and isinstance(error, str)):
        return None
    text = {k: v if isinstance(v := said.get(k), str) else "" for k in ("fix", "add", "move")}
    return _Failure(line, error, **text)
