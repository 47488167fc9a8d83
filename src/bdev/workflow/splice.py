"""Splice: an answer's code into the module it was written for.

A small model asked for one function often answers with the whole module. Only what the
answer adds is kept: the function being replaced, definitions of names the module does
not have yet, statements it does not hold (compared by syntax tree, so quoting and
spacing do not matter). The answer's imports are added after the module's own, except
imports of the module itself and `__future__` ones; a handler answered without its route
decorator keeps the one it had.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

_DEF = re.compile(r"^(?:async\s+)?def\s")


def _imports(tree: ast.Module, code: str, module: str) -> list[str]:
    """The answer's top-level import lines. Imports from the module itself (`from app
    import app` written into app.py) are dropped: the code lands in that module, and the
    import would be circular; so are `__future__` ones."""
    lines = code.splitlines()
    kept: list[str] = []
    for node in tree.body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        source = (node.module or "") if isinstance(node, ast.ImportFrom) else ""
        # The module's own future imports stand: one added below others would not compile.
        if source in (module, "__future__") or source.endswith(f".{module}"):
            continue
        kept += lines[node.lineno - 1 : node.end_lineno or node.lineno]
    return kept


def _with_imports(source_lines: list[str], imports: list[str]) -> list[str]:
    """`imports` the module lacks, added after its last top-level import."""
    have = {line.strip() for line in source_lines}
    missing = [line for line in imports if line.strip() not in have]
    if not missing:
        return source_lines
    tree = ast.parse("\n".join(source_lines))
    ends = [
        n.end_lineno or n.lineno for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)
    ]
    at = max(ends) if ends else 0
    return source_lines[:at] + missing + source_lines[at:]


def replace_function(source: str, name: str, answer: ast.Module, code: str, module: str) -> str:
    """`source` with the module-level function `name` (decorators included) replaced by
    the answer's new code, and the answer's imports added."""
    imports = _imports(answer, code, module)
    body = _new_code(answer, code, source, keep=name)
    lines = source.splitlines()
    node = next(
        n
        for n in ast.parse(source).body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
    )
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    last = node.end_lineno or node.lineno
    answered = [
        n
        for n in answer.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
    ]
    if node.decorator_list and not any(n.decorator_list for n in answered):
        # An answer without the decorator keeps the route: the prompt asked for it, and
        # a handler that lost `@app.get(...)` is no longer reached at all.
        at = next((i for i, ln in enumerate(body) if _DEF.match(ln) and f" {name}(" in ln), None)
        if at is not None:
            body = body[:at] + lines[first : node.lineno - 1] + body[at:]
    return "\n".join(_with_imports(lines[:first] + body + lines[last:], imports))


def add_code(source: str, answer: ast.Module, code: str, module: str) -> str:
    """`source` with the answer's new code added before a `if __name__ == "__main__":`
    block (or at the end), and its imports added."""
    imports = _imports(answer, code, module)
    body = _new_code(answer, code, source, keep="")
    lines = source.splitlines()
    at = next((i for i, line in enumerate(lines) if line.startswith("if __name__")), len(lines))
    return "\n".join(_with_imports([*lines[:at], "", "", *body, "", *lines[at:]], imports))


def _new_code(answer: ast.Module, code: str, source: str, keep: str) -> list[str]:
    """The answer's statements that add something: `keep` (the function being replaced)
    and definitions of names the module does not have yet. A small model asked for one
    function often answers with the whole module; its copies of what is already there
    (the app object, the models, the other routes, a `__main__` block) are left out."""
    held = ast.parse(source).body
    have = _top_level_names(held)
    statements = {ast.dump(n) for n in held}  # by meaning: quotes and spacing aside
    lines = code.splitlines()
    kept: list[str] = []
    for node in answer.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if not _adds(node, keep, have, statements):
            continue
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno, *(d.lineno for d in decorators)]) - 1
        kept += [*lines[first : node.end_lineno or node.lineno], "", ""]
    return _trim_blank(kept)


def not_taken(source: str, answer: ast.Module, kept: set[str]) -> list[str]:
    """Names the answer redefines differently from the module, outside `kept` (what the
    slot takes): the splice leaves them out, and feedback about the run must say so, or
    the model is told about code it believes it changed."""
    held = {
        name: ast.dump(node) for node in ast.parse(source).body for name in _top_level_names([node])
    }
    return sorted(
        name
        for node in answer.body
        for name in _top_level_names([node])
        if name not in kept and name in held and held[name] != ast.dump(node)
    )


def _adds(node: ast.stmt, keep: str, have: set[str], statements: set[str]) -> bool:
    """Whether an answer's statement belongs in the module: it is `keep`, defines a
    name the module lacks, or is some other statement the module does not hold yet."""
    names = _top_level_names([node])
    if keep and keep in names:
        return True
    if names:
        return not names <= have
    return not _is_main_block(node) and ast.dump(node) not in statements


def _top_level_names(nodes: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _is_main_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def module_name(path: Path) -> str:
    return path.stem if path.name != "__init__.py" else path.parent.name


def _trim_blank(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines
