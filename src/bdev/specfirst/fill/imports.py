"""Adding the imports a written body forgot, when the name is unambiguous.

A small model often calls `now_iso()` or `datetime.now()` without importing it. When an
undefined name is something the skeleton defines, or a standard-library module, the
import is added at the top of the body instead of costing the model a retry.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import importlib.util
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

# Names whose usual import is a from-import of a standard module.
_FROM_STDLIB = {
    "datetime": "from datetime import datetime",
    "date": "from datetime import date",
    "timedelta": "from datetime import timedelta",
    "timezone": "from datetime import timezone",
    "UTC": "from datetime import UTC",
    "Path": "from pathlib import Path",
    "UUID": "from uuid import UUID",
    "uuid4": "from uuid import uuid4",
    "Any": "from typing import Any",
    "Counter": "from collections import Counter",
    "defaultdict": "from collections import defaultdict",
    "Decimal": "from decimal import Decimal",
    "Thread": "from threading import Thread",
    "Lock": "from threading import Lock",
    "BytesIO": "from io import BytesIO",
    "StringIO": "from io import StringIO",
    "ZipFile": "from zipfile import ZipFile",
    "escape": "from html import escape",
    "CompletedProcess": "from subprocess import CompletedProcess",
}
# Third-party names a body uses without importing them, and their usual import; added
# only when the package is installed and the task allows it.
_FROM_PACKAGES = {
    "FPDF": ("fpdf", "from fpdf import FPDF"),
    "fpdf": ("fpdf", "import fpdf"),
    "Image": ("PIL", "from PIL import Image"),
    "PIL": ("PIL", "import PIL"),
    "jwt": ("jwt", "import jwt"),
}
# The skeleton's own modules (package layout) whose top-level names a body may use.
_SKELETON_MODULES = ("security", "store", "models")


def skeleton_exports(root: Path, single_file: bool) -> dict[str, str]:
    """{name: module} for the generated package; empty for a single file (all in scope)."""
    if single_file:
        return {}
    exports: dict[str, str] = {}
    for name in _SKELETON_MODULES:
        path = root / "app" / f"{name}.py"
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            for defined in _defined(node):
                if not defined.startswith("_"):
                    exports.setdefault(defined, f"app.{name}")
    return exports


def _defined(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def import_for(
    name: str,
    code: str,
    exports: dict[str, str],
    allows: Callable[[str], bool] | None = None,
) -> str | None:
    """The import line that defines `name` for `code`, or None when unsure.
    `allows`: the task's package list, for names from third-party packages."""
    if name in exports:
        return f"from {exports[name]} import {name}"
    if name in _FROM_PACKAGES:
        module, line = _FROM_PACKAGES[name]
        usable = not _absent(module) and (allows is None or _not_allowed(module, allows) is None)
        return line if usable else None
    if name == "datetime" and ("datetime.datetime" in code or "datetime.date(" in code):
        return "import datetime"
    if name in _FROM_STDLIB:
        return _FROM_STDLIB[name]
    if name in sys.stdlib_module_names and not name.startswith("_"):
        return f"import {name}"
    return None


def module_scope(source: str) -> set[str]:
    """Names a module defines or imports at its top level (what a body sees)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            names |= set(_defined(node))
    return names


def clean_imports(
    body: list[str], scope: set[str], allows: Callable[[str], bool] | None = None
) -> tuple[list[str], list[str]]:
    """The body without imports of names already in scope; problems for imports of
    modules that do not exist here (a small model invents `from api import ApiError`),
    and, with `allows` (the task's package list), of packages the task does not allow."""
    wrapped = "def _slot():\n" + "\n".join(f"    {line}" for line in body)
    try:
        function = ast.parse(wrapped).body[0]
    except SyntaxError:
        return body, []  # compile() reports it with a better message
    assert isinstance(function, ast.FunctionDef)
    drop: set[int] = set()
    problems = []
    used = _names_used(function)
    for node in function.body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        names = [(a.asname or a.name).split(".")[0] for a in node.names]
        lines = range(node.lineno - 1, (node.end_lineno or node.lineno))
        if all(n in scope for n in names):
            drop.update(i - 1 for i in lines)  # -1: the wrapper's def line
            continue
        module = (node.module or "") if isinstance(node, ast.ImportFrom) else node.names[0].name
        top = module.split(".")[0]
        missing = bool(top) and top not in sys.stdlib_module_names and _absent(top)
        if missing and all(n in scope or n not in used for n in names):
            # An invented module whose names nothing needs (HTTPException, once rewritten).
            drop.update(i - 1 for i in lines)
            continue
        if missing:
            provided = [n for n in names if n in scope]
            hint = f"; {', '.join(provided)} already exist here" if provided else ""
            problems.append(f"line {node.lineno - 1}: there is no module {module!r}{hint}")
        elif allows is not None and (outside := _not_allowed(top, allows)):
            problems.append(
                f"line {node.lineno - 1}: {module!r} comes from {outside}, which the task "
                "does not allow: use the standard library or what the service already imports"
            )
    return [line for i, line in enumerate(body) if i not in drop], problems


def _absent(module: str) -> bool:
    return importlib.util.find_spec(module) is None


def _names_used(function: ast.FunctionDef) -> set[str]:
    """Names the body reads, outside its import statements."""
    return {
        n.id
        for statement in function.body
        if not isinstance(statement, ast.Import | ast.ImportFrom)
        for n in ast.walk(statement)
        if isinstance(n, ast.Name)
    }


def _not_allowed(top: str, allows: Callable[[str], bool]) -> str | None:
    """The distribution providing module `top` when the task does not allow it; None for
    the standard library, the service's own modules, and allowed packages."""
    if top in sys.stdlib_module_names:
        return None
    providers = _distributions().get(top, [])
    names = [re.sub(r"[-_.]+", "-", d).lower() for d in providers]
    if not names or any(allows(n) for n in names):
        return None
    return names[0]


@functools.cache
def _distributions() -> Mapping[str, list[str]]:
    """Import name -> distributions, read once: it scans every installed distribution,
    and a refused slot asks for each of its imports."""
    return importlib.metadata.packages_distributions()
