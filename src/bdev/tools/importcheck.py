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
route is declared; StaticFiles given a folder that is not there).

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

# Run as `python -c SCRIPT ROOT REL`: imports the module REL under its dotted name (so
# `if __name__ == "__main__":` blocks stay closed) and prints the failure when its last
# frame is that file's.
_SCRIPT = """
import importlib, json, os, sys, traceback
root, rel = sys.argv[1], sys.argv[2]
sys.path[:0] = [root] + [p for p in [os.path.join(root, "src")] if os.path.isdir(p)]
name = rel[:-3].replace("/", ".").removesuffix(".__init__")
if name.startswith("src."):
    name = name[4:]
target = os.path.realpath(os.path.join(root, rel))

def ours(frame):
    path = os.path.realpath(frame.filename)
    return path.startswith(root + os.sep) and "site-packages" not in path

try:
    importlib.import_module(name)
except ModuleNotFoundError:
    pass
except (ImportError, NameError, AttributeError, TypeError, AssertionError, RuntimeError) as e:
    frames = traceback.extract_tb(e.__traceback__)
    mine = [f for f in frames if ours(f)]
    # A missing name is the file's when its own line raised it; a framework's complaint
    # (FastAPI checking a route as it is declared) when the file was the last of the
    # workspace's code to run.
    named = isinstance(e, (ImportError, NameError, AttributeError))
    last = frames[-1:] if named else mine[-1:]
    if last and mine and os.path.realpath(last[0].filename) == target:
        print(json.dumps([last[0].lineno, type(e).__name__ + ": " + str(e)]))
except BaseException:
    pass
"""

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
    line, error = found
    return f"\nNote: importing it fails at line {line}: {_WHERE.sub('', error)}"


def _failure(python: str, root: Path, rel: str) -> tuple[int, str] | None:
    with tempfile.TemporaryDirectory(prefix="bdev-import-") as tmp:
        # A module that opens a relative SQLite file at import leaves it here, not in
        # the workspace (which the sandbox keeps read-only for this).
        env = {
            **os.environ,
            "PYTHONDONTWRITEBYTECODE": "1",
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'check.db'}",
        }
        argv = [python, "-c", _SCRIPT, str(root), rel]
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
        line, error = json.loads(last[0]) if last else (None, None)
    except ValueError:
        return None
    return (line, error) if isinstance(line, int) and isinstance(error, str) else None
