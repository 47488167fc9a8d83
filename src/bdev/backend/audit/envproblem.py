"""Tell an environment problem from a failure of the service's own code.

A suite that cannot collect because a third-party package is missing, or a migration
environment that cannot import one, says nothing about the tests or the migrations:
the audit reports those as "not checked: environment: <reason>", never as a failure.
The rule: the import that failed names a module that is not part of the project (not a
file or package under its root or `src/`), i.e. one the environment should provide.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# Python's own wording; the last match in the output is the one that stopped the run.
_NOT_FOUND = re.compile(r"(?:ModuleNotFoundError|ImportError): No module named '([\w.]+)'")
_CANNOT_IMPORT = re.compile(r"ImportError: cannot import name '(\w+)' from '([\w.]+)'")
# Outside tracebacks (a CLI that catches the error, e.g. flask's "No such command").
_NO_FLASK_DB = re.compile(r"No such command '(db)'")


def project_module(root: Path, name: str) -> bool:
    """True when `name`'s top-level package is the project's own code."""
    top = name.split(".")[0]
    for base in (root, root / "src"):
        if (base / f"{top}.py").is_file() or (base / top).is_dir():
            return True
    return False


def missing_import(output: str) -> tuple[str, str] | None:
    """(module, Python's message) of the last failed import in `output`, else None."""
    found: list[tuple[int, str, str]] = []
    for m in _NOT_FOUND.finditer(output):
        found.append((m.start(), m.group(1), f"No module named '{m.group(1)}'"))
    for m in _CANNOT_IMPORT.finditer(output):
        message = f"cannot import name '{m.group(1)}' from '{m.group(2)}'"
        found.append((m.start(), m.group(2), message))
    if not found:
        return None
    _, module, message = max(found)
    return module, message


def environment_problem(root: Path, output: str) -> str | None:
    """The reason, when `output` shows that the environment lacks a module the project
    needs (third-party or standard library); None when the failure is the project's own."""
    failed = missing_import(output)
    if failed is None:
        if _NO_FLASK_DB.search(output):
            return "`flask db` is not available: Flask-Migrate is not installed in it"
        return None
    module, message = failed
    if project_module(root, module):
        return None
    kind = "standard-library" if module.split(".")[0] in sys.stdlib_module_names else "third-party"
    return f"{kind} module missing from the service's environment: {message}"
