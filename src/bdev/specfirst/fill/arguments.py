"""Request data among a program's arguments is passed through `not_option`.

`run_command(["getent", "hosts", host])` runs no shell, yet `host=--help` (or `-s`, or
`--output=/tmp/x` for some programs) is read by the program as an option: argument
injection (CWE-88). Putting `--` before the value would end the options, but not every
program honours it, so the program wraps the value instead: `not_option(host)` answers
400 for a value starting with `-` and passes anything else through unchanged. Which
elements hold request data is the data-flow pass's answer (`flow.option_arguments`);
a list built elsewhere is left to the check, which names the same fix.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable

from bdev.specfirst.fill.flow import option_arguments


def guard_options(body: list[str], sources: Iterable[str]) -> tuple[list[str], list[str]]:
    """The body with each argument that may be taken as an option wrapped in
    `not_option(...)`, and a note when any was."""
    source = "def _slot():\n" + textwrap.indent("\n".join(body), "    ")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return body, []
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    where = option_arguments(function.body, sources)
    if not where:
        return body, []
    wrapped: list[str] = []

    class _Wrap(ast.NodeTransformer):
        def generic_visit(self, node: ast.AST) -> ast.AST:
            super().generic_visit(node)
            if isinstance(node, ast.List | ast.Tuple):
                node.elts = [self._guarded(e) for e in node.elts]
            return node

        def _guarded(self, element: ast.expr) -> ast.expr:
            if (getattr(element, "lineno", 0), getattr(element, "col_offset", 0)) not in where:
                return element
            wrapped.append(ast.unparse(element))
            guard = ast.Call(ast.Name("not_option", ast.Load()), [element], [])
            return ast.copy_location(guard, element)

    _Wrap().visit(function)
    ast.fix_missing_locations(tree)
    lines = [line.removeprefix("    ") for line in ast.unparse(function).splitlines()[1:]]
    return lines, [f"not_option() around {', '.join(dict.fromkeys(wrapped))} (argument injection)"]
