"""A file name tested with `str.isalnum()` or `str.isalpha()`.

"A file name that is not a plain file name gets 400": a small model checks
`name.isalnum()`, which refuses every name with an extension (`notes.txt`), so the
upload answers 400 to everything. The generated tests cannot see it (400 is documented),
so the check is made on the code.
"""

from __future__ import annotations

import ast

_CHAR_CLASS = frozenset({"isalnum", "isalpha", "isidentifier", "isdecimal", "isdigit"})
_FILE_NAME_SUFFIXES = ("filename", "file_name")


def refuses_every_file_name(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    named = _names_holding_a_file_name(tree)
    problems = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in _CHAR_CLASS or node.args:
            continue
        subject = node.func.value
        if _is_file_name(subject, named):
            problems.append(
                f"line {node.lineno}: .{node.func.attr}() is False for every file name with an "
                "extension ('notes.txt'); a plain file name is one with no folder: "
                "Path(name).name == name and name not in ('', '.', '..')"
            )
    return problems


def _is_file_name(node: ast.expr, named: set[str]) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "filename":
        return True
    return isinstance(node, ast.Name) and node.id in named


def _names_holding_a_file_name(tree: ast.AST) -> set[str]:
    """Names bound to an upload's `.filename`, or themselves named like a file name."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and (
                    _is_file_name(node.value, set()) or target.id.endswith(_FILE_NAME_SUFFIXES)
                ):
                    names.add(target.id)
        elif isinstance(node, ast.arg) and node.arg.endswith(_FILE_NAME_SUFFIXES):
            names.add(node.arg)
    return names
