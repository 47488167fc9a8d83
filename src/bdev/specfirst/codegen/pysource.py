"""Tidying generated Python: dropping unused imports, merging modules, ruff format.

The pruning is hand-written (a few lines of `ast`) so that output is clean even where
ruff is not installed; ruff, when present, only formats and sorts.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

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
