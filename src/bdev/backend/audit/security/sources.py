"""The service's own Python sources, each read and parsed once per walk: what the
static rules (debug mode, fallback secrets) look through."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

SKIP_DIRS = {"tests", "test", ".venv", "venv", "env", "node_modules", ".git", "site-packages"}
MAX_FILES = 2000


def python_files(root: Path) -> list[Path]:
    """The service's own Python files (no tests, virtualenvs or vendored trees), capped."""
    files: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)  # prune: never walk a venv
        files += [Path(folder) / n for n in sorted(names) if n.endswith(".py")]
    return files[:MAX_FILES]


def parsed_python_files(root: Path) -> Iterator[tuple[Path, str, str, ast.Module]]:
    """(path, path relative to root, text, tree) of each of them that parses."""
    for path in python_files(root):
        try:
            source = path.read_text(errors="replace")
            tree = ast.parse(source)
        except (OSError, SyntaxError, ValueError):
            continue
        yield path, path.relative_to(root).as_posix(), source, tree
