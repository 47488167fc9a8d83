"""The source of a test that fails, to show the model what "right" means.

pytest's report of a failing test says what differed (`{'total_cents': 12500} !=
{'total_cents': 13500}`) but not what went in; the test's own few lines say both. A
bug-fix request names the failing test, and a small model shown only the difference
rewrites the same loop again. bdev's own generated tests are not shown this way: the
request's rules they check are in the prompt already, as a checklist.
"""

from __future__ import annotations

import ast
from pathlib import Path

from bdev.backend.testgen import GENERATED

MAX_LINES = 30  # a longer test is a scenario, not a statement of what is right
MAX_TESTS = 2


def failing_sources(root: Path, failed: dict[str, str]) -> list[tuple[str, str, str]]:
    """(test id, its source, why it failed) for the first failing tests of the
    service's own suite whose source is short enough to show."""
    shown: list[tuple[str, str, str]] = []
    for test_id, why in failed.items():
        source = source_of(root, test_id)
        if source is not None:
            shown.append((test_id, source, why))
        if len(shown) == MAX_TESTS:
            break
    return shown


def source_of(root: Path, test_id: str) -> str | None:
    """The function of `tests/test_x::test_y[param]` (or `...::Class::test_y`), as
    written; None for bdev's generated tests, a missing file, or a long test."""
    file, _, rest = test_id.partition("::")
    path = root / f"{file}.py"
    if not rest or f"{file}.py" == GENERATED or not path.is_file():
        return None
    *classes, name = rest.split("[", 1)[0].split("::")
    try:
        text = path.read_text(encoding="utf-8")
        scope: list[ast.stmt] = ast.parse(text).body
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None
    for class_name in classes:
        found = [n for n in scope if isinstance(n, ast.ClassDef) and n.name == class_name]
        if not found:
            return None
        scope = found[0].body
    for node in scope:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            last = node.end_lineno or node.lineno
            if last - first + 1 > MAX_LINES:
                return None
            return "\n".join(text.splitlines()[first - 1 : last])
    return None
