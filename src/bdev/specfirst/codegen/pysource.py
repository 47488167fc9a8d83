"""Tidying generated Python: dropping unused imports, merging modules, ruff format.

The pruning is hand-written (a few lines of `ast`) so that output is clean even where
ruff is not installed; ruff, when present, only formats and sorts.
"""

from __future__ import annotations

import ast
import copy
import itertools
import re
import subprocess
from collections.abc import Set
from pathlib import Path

from bdev.backend.pyast import dotted
from bdev.executables import find_executable


def prune_imports(source: str) -> str:
    """Remove names imported at module level but never used (respecting `__all__`)."""
    tree = ast.parse(source)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            used.add(node.value)  # names listed in __all__
    lines = source.splitlines()
    edits: list[tuple[int, int, str | None]] = []
    for node in tree.body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        keep = [a for a in node.names if (a.asname or a.name.split(".")[0]) in used]
        if len(keep) != len(node.names):
            node.names = keep
            edits.append(
                (node.lineno, node.end_lineno or node.lineno, ast.unparse(node) if keep else None)
            )
    for start, end, text in reversed(edits):
        lines[start - 1 : end] = [text] if text else []
    return "\n".join(lines) + "\n"


def merge_modules(modules: list[str]) -> str:
    """One module from several: imports hoisted and merged, the first docstring kept.

    Imports between the merged modules (`from app... import`) are dropped.
    """
    plain: dict[str, None] = {}
    names: dict[str, dict[str, None]] = {}
    bodies: list[str] = []
    docstring = None
    for source in modules:
        tree = ast.parse(source)
        body_start = 0
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                docstring = docstring or ast.get_source_segment(source, node)
            elif isinstance(node, ast.Import):
                plain.update(dict.fromkeys(_alias(a) for a in node.names))
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if module != "app" and not module.startswith("app."):
                    names.setdefault(module, {}).update(
                        dict.fromkeys(_alias(a) for a in node.names)
                    )
            else:
                break
            body_start = node.end_lineno or 0
        bodies.append("\n".join(source.splitlines()[body_start:]).strip("\n"))
    future = names.pop("__future__", {})
    head = [docstring or '"""Generated service."""']
    head += [f"from __future__ import {', '.join(future)}"] if future else []
    head += [f"import {name}" for name in sorted(plain)]
    head += [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(names.items())]
    return "\n".join(head) + "\n\n\n" + "\n\n\n".join(bodies) + "\n"


def _alias(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def ruff_tidy(files: list[Path], cwd: Path) -> bool:
    """Sort imports and format with ruff if it is installed; False when it is not."""
    ruff = find_executable("ruff")
    if not ruff or not files:
        return False
    names = [str(f) for f in files]
    common = ["--quiet", "--no-cache", "--isolated", "--line-length", "100"]
    for args in (["check", "--select", "I,F401", "--fix"], ["format"]):
        subprocess.run(
            [ruff, *args, *common, *names], cwd=cwd, capture_output=True, timeout=60, check=False
        )
    return True


# A module-level value that can be dropped unread: literals and names, built with none
# of these calls doing more than building it.
_PURE_CALLS = frozenset({
    "compile", "frozenset", "set", "tuple", "dict", "list", "Lock", "RLock", "int", "float",
    "str", "bool", "get", "getenv", "loads", "monotonic", "getLogger",
})  # fmt: skip


def prune_definitions(source: str, keep: Set[str] = frozenset()) -> tuple[str, list[str]]:
    """Remove the module-level functions, classes and constants nothing uses (and then
    the imports only they used), with the comment lines directly above each; names in
    `keep` (those the tests use) stay. A decorated definition is used by its decorator
    (a route, a handler), and a statement with effects is never removed. Returns the
    source and the names removed.

    The generated service carries helpers for every kind of operation (passwords,
    tokens, files, subprocesses, the store); the filled slots use a few. What none uses
    is dead weight in the file a user reads, and lines no test can reach."""
    source = _drop_unread_keywords(source, keep)
    tree = ast.parse(source)
    own = {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)
    }  # building a value of the module's own (`Store.from_env()`) only builds it
    candidates: dict[str, ast.stmt] = {}
    for node in tree.body:
        name = _definition_name(node, own)
        if name and name not in keep and not name.startswith("__"):
            candidates[name] = node
    uses = {name: _names_in(node) - {name} for name, node in candidates.items()}
    roots: set[str] = set(keep)
    for node in tree.body:
        if _definition_name(node, own) not in candidates:
            roots |= _names_in(node)
    live: set[str] = set()
    todo = [n for n in roots if n in candidates]
    while todo:
        name = todo.pop()
        if name not in live:
            live.add(name)
            todo.extend(n for n in uses[name] if n in candidates and n not in live)
    dead = [name for name in candidates if name not in live]
    if not dead:
        return source, []
    lines = source.splitlines()
    for name in reversed(dead):  # bottom up, so earlier line numbers hold
        node = candidates[name]
        start = node.lineno
        while start > 1 and lines[start - 2].lstrip().startswith("#"):
            start -= 1  # its comment goes with it
        del lines[start - 1 : node.end_lineno]
    text = "\n".join(lines) + "\n"
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return prune_imports(text), dead


def _definition_name(node: ast.stmt, own: set[str]) -> str | None:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return None if node.decorator_list else node.name
    targets = (
        node.targets if isinstance(node, ast.Assign)
        else [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None
        else []
    )  # fmt: skip
    if len(targets) != 1 or not isinstance(targets[0], ast.Name):
        return None
    assert isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
    value = node.value
    for sub in ast.walk(value):
        if isinstance(sub, ast.Call):
            func = sub.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            base = func
            while isinstance(base, ast.Attribute):
                base = base.value
            if called not in _PURE_CALLS and getattr(base, "id", None) not in own:
                return None
        elif isinstance(sub, ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr):
            return None
    return targets[0].id


def _names_in(node: ast.AST) -> set[str]:
    """The names `node` reads, also inside strings that are whole names (a forward
    reference `"Store"`, an `__all__` entry) and `global` statements."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Global | ast.Nonlocal):
            found.update(sub.names)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            found.update(re.findall(r"[A-Za-z_]\w*", sub.value))
    return found


def _drop_unread_keywords(source: str, keep: Set[str]) -> str:
    """A module-level function's keyword-only parameter its body never reads is dropped,
    with the keyword its callers in the module pass (a handler that needs no store is
    not handed one). Only for a function the module does nothing with but call."""
    tree = ast.parse(source)
    named = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    unread: dict[str, tuple[ast.FunctionDef, set[str]]] = {}
    for node in tree.body:
        if (
            not isinstance(node, ast.FunctionDef)
            or node.decorator_list
            or node.name in keep
            or node.body[0].lineno == node.lineno
            or named.count(node.name) != sum(c.func.id == node.name for c in calls)  # type: ignore[attr-defined]
        ):
            continue
        body = set().union(*(_names_in(stmt) for stmt in node.body))
        names = {a.arg for a in node.args.kwonlyargs} - body
        if names:
            unread[node.name] = (node, names)
    if not unread:
        return source
    edits: list[tuple[tuple[int, int, int, int], str]] = []
    for node, names in unread.values():
        pairs = zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
        kept = [(a, d) for a, d in pairs if a.arg not in names]
        header = copy.copy(node)  # the signature alone, printed again without them
        header.args = copy.copy(node.args)
        header.args.kwonlyargs = [a for a, _ in kept]
        header.args.kw_defaults = [d for _, d in kept]
        header.body, header.decorator_list = [ast.Pass()], []
        text = ast.unparse(ast.fix_missing_locations(header)).splitlines()[0]
        edits.append(((node.lineno, 0, node.body[0].lineno - 1, -1), text))
    for call in calls:
        if call.func.id in unread:  # type: ignore[attr-defined]
            drop = unread[call.func.id][1]  # type: ignore[attr-defined]
            call.keywords = [k for k in call.keywords if k.arg not in drop]
            span = (call.lineno, call.col_offset, call.end_lineno or 0, call.end_col_offset or 0)
            edits.append((span, ast.unparse(call)))
    edits.sort(reverse=True)
    for (later, _), (earlier, _) in itertools.pairwise(edits):
        if earlier[2] >= later[0]:
            return source  # nested or overlapping: left as it is rather than half done
    lines = source.splitlines()
    for (row, col, end_row, end_col), text in edits:
        if end_col == -1:  # a whole header: its lines
            lines[row - 1 : end_row] = [text]
            continue
        first, last = lines[row - 1], lines[end_row - 1]
        lines[row - 1 : end_row] = (first[:col] + text + last[end_col:]).splitlines()
    return "\n".join(lines) + "\n"


def names_imported(sources: list[str], module: str) -> set[str]:
    """What `sources` (the service's tests) import from `module` by name, and read as
    attributes of it (`import app; app.store`)."""
    found: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        parent, _, leaf = module.rpartition(".")
        aliases = {module}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == module:
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and parent and node.module == parent:
                # `from app import handlers`: then `handlers.name`
                aliases.update(a.asname or a.name for a in node.names if a.name == leaf)
            elif isinstance(node, ast.Import):
                aliases.update(a.asname or a.name for a in node.names if a.name == module)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and dotted(node.value) in aliases:
                found.add(node.attr)
    return found
