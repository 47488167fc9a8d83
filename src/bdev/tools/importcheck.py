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

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from bdev.sandbox import SandboxUnavailable, active, confine

TIMEOUT_S = 15.0

# What runs in the sandbox: a script of the standard library only (see its docstring).
_PROBE = Path(__file__).with_name("import_probe.py")

# `cannot import name 'X' from 'fastapi' (/long/path/fastapi/__init__.py)`: the path
# says nothing to the model.
_WHERE = re.compile(r" \((?:/|[A-Za-z]:\\)[^()]*\)$")


def import_note(python: str | None, root: Path, path: Path) -> str:
    """For a Python file under `root` that parses: where and why importing it fails, to
    append to the tool's result; "" when it imports, or the failure is not the file's."""
    if python is None or path.suffix != ".py" or not active().enabled:
        return ""
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return ""
    found = _failure(python, root.resolve(), rel)
    if found is None:
        return ""
    line, error, fix = found
    hint = f"; {fix}" if fix else ""
    return f"\nNote: importing it fails at line {line}: {_WHERE.sub('', error)}{hint}"


def _failure(python: str, root: Path, rel: str) -> tuple[int, str, str] | None:
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
    line, error, fix = (said.get(k) for k in ("line", "error", "fix"))
    if not (isinstance(line, int) and isinstance(error, str)):
        return None
    return line, error, fix if isinstance(fix, str) else ""
