"""Workspace confinement: every path a tool touches must resolve inside the workspace.

Relative paths are taken from the workspace root; absolute paths are accepted only when
they point inside it. Resolving follows symlinks, so `..` tricks and links that lead out
of the workspace are both caught by one check on the final, real path.
"""

from __future__ import annotations

from pathlib import Path

from bdev.tools.base import ToolError


def workspace_root(workspace: Path) -> Path:
    """The workspace as a real (symlink-free) absolute path."""
    return workspace.resolve()


def resolve_path(workspace: Path, path: str) -> Path:
    """Resolve `path` (as the model gave it) to a real path inside `workspace`.

    Raises ToolError naming the path when it is empty or leads outside the workspace.
    """
    if not isinstance(path, str) or not path.strip():
        raise ToolError("path is empty; give a path relative to the workspace")
    if "\0" in path:
        raise ToolError(f"{path!r}: a path cannot contain a NUL character")
    root = workspace_root(workspace)
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root / candidate
    # strict=False: the file may not exist yet (Write), but existing links are followed.
    real = candidate.resolve()
    if not real.is_relative_to(root):
        raise ToolError(f"{path}: outside the workspace {root}; only paths inside it are allowed")
    return real


def is_inside(root: Path, path: Path) -> bool:
    """Whether `path` (after following symlinks) stays inside the real `root`."""
    return path.resolve().is_relative_to(root)


def display_path(root: Path, path: Path) -> str:
    """How a path is shown to the model: relative to the workspace, '.' for the root."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return str(path)
    return rel.as_posix() if rel.parts else "."
