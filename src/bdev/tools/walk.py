"""Walking a directory tree the way the search tools agree on.

Symlinks are never followed (a link could lead out of the workspace or loop), and
dependency, VCS and cache directories are skipped: they are large and never what an
agent is looking for. Ripgrep is run with the same exclusions so both engines agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

SKIP_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
    }
)


def iter_files(top: str) -> Iterator[os.DirEntry[str]]:
    """Yield every regular file under `top` (depth first), skipping links and SKIP_DIRS."""
    stack = [top]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue  # unreadable directory: skip it like rg does
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS:
                    stack.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                yield entry
