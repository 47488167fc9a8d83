"""Adding the imports a written body forgot, when the name is unambiguous.

A small model often calls `now_iso()` or `datetime.now()` without importing it. When an
undefined name is something the skeleton defines, or a standard-library module, the
import is added at the top of the body instead of costing the model a retry.
"""

from __future__ import annotations

import ast
import sys
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


def import_for(name: str, code: str, exports: dict[str, str]) -> str | None:
    """The import line that defines `name` for `code`, or None when unsure."""
    if name in exports:
        return f"from {exports[name]} import {name}"
    if name == "datetime" and ("datetime.datetime" in code or "datetime.date(" in code):
        return "import datetime"
    if name in _FROM_STDLIB:
        return _FROM_STDLIB[name]
    if name in sys.stdlib_module_names and not name.startswith("_"):
        return f"import {name}"
    return None
