"""What the agent changed in the workspace, measured by comparing file snapshots.

An agent that only talks (a small model writing a plan instead of calling tools) leaves
the workspace as it was; the readiness gates must not call such a run delivered just
because the code it started from was already in good shape.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

# Our own records and tool caches are not the agent's work.
IGNORED_DIRS = {
    ".git",
    ".bdev",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "node_modules",
    ".venv",
    "venv",
    ".hypothesis",
}
IGNORED_FILES = {".coverage", "coverage.json", "coverage.xml"}


def snapshot(root: Path) -> dict[str, str]:
    """relative path -> content hash, for every file the agent could have written."""
    files: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
        for name in filenames:
            if name in IGNORED_FILES or name.startswith(".coverage"):
                continue
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            digest = hashlib.sha1(usedforsecurity=False)
            try:
                with path.open("rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        digest.update(block)
            except OSError:
                continue
            files[str(path.relative_to(root))] = digest.hexdigest()
    return files


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.modified or self.deleted)

    def summary(self) -> str:
        if not self.any:
            return "no file was added, changed or deleted"
        parts = []
        for label, paths in (
            ("added", self.added),
            ("changed", self.modified),
            ("deleted", self.deleted),
        ):
            if paths:
                shown = ", ".join(paths[:5]) + (
                    f" (+{len(paths) - 5} more)" if len(paths) > 5 else ""
                )
                parts.append(f"{label} {shown}")
        return "; ".join(parts)


def diff(before: dict[str, str], after: dict[str, str]) -> Changes:
    return Changes(
        added=sorted(set(after) - set(before)),
        modified=sorted(p for p in set(before) & set(after) if before[p] != after[p]),
        deleted=sorted(set(before) - set(after)),
    )
