"""LS and Glob: finding files by name.

Both walk with the shared rules in walk.py (no symlinks followed, dependency and cache
directories skipped) and show paths relative to the workspace, which Read accepts.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.globs import GlobFilter
from bdev.tools.hidden import Hider, with_note
from bdev.tools.schema import STRING, array_of, object_schema
from bdev.tools.walk import SKIP_DIRS, iter_files
from bdev.tools.workspace import display_path, resolve_path, workspace_root

MAX_LS_ENTRIES = 500
MAX_GLOB_RESULTS = 100


class LSTool:
    name = "LS"
    description = "List a directory as a tree (dirs end in /). ignore: glob patterns to skip."
    parameters = object_schema({"path": STRING, "ignore": array_of(STRING)})
    brief = "List a directory as a tree."
    small_params = ("path",)
    read_only = True

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        root = workspace_root(ctx.workspace)
        top = resolve_path(ctx.workspace, args.get("path") or ".")
        shown = display_path(root, top)
        if not top.exists():
            raise ToolError(f"{shown}: no such directory")
        if not top.is_dir():
            raise ToolError(f"{shown}: is a file, not a directory (use Read)")
        ignore = list(args.get("ignore") or [])
        lines: list[str] = [f"{shown}/"]
        hider = Hider(ctx)
        truncated = self._tree(top, top, ignore, 1, lines, _Hiding(hider, root))
        if truncated:
            lines.append(f"(listing stopped at {MAX_LS_ENTRIES} entries; list a subdirectory)")
        return with_note("\n".join(lines), hider)

    def _tree(
        self,
        top: Path,
        current: Path,
        ignore: list[str],
        depth: int,
        out: list[str],
        hiding: _Hiding,
    ) -> bool:
        """Append entries below `current` to `out`; True when the entry cap was hit."""
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as e:
            out.append(f"{'  ' * depth}(cannot list: {e.strerror})")
            return False
        for entry in entries:
            rel = Path(entry.path).relative_to(top).as_posix()
            if entry.name in SKIP_DIRS or _ignored(entry.name, rel, ignore):
                continue
            if hiding.hides(entry.path):
                continue
            if len(out) > MAX_LS_ENTRIES:
                return True
            indent = "  " * depth
            if entry.is_symlink():
                # Shown but never entered: the target may lie outside the workspace.
                out.append(f"{indent}{entry.name}@")
            elif entry.is_dir():
                out.append(f"{indent}{entry.name}/")
                if self._tree(top, Path(entry.path), ignore, depth + 1, out, hiding):
                    return True
            else:
                out.append(f"{indent}{entry.name}")
        return False


class _Hiding:
    """LS's view of a Hider: absolute entry paths, relative to the workspace root."""

    def __init__(self, hider: Hider, root: Path) -> None:
        self.hider, self.root = hider, root

    def hides(self, path: str) -> bool:
        return self.hider.hides(os.path.relpath(path, self.root))


def _ignored(name: str, rel: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel, p) for p in patterns)


def _missing_folder(pattern: str, top: Path, root: Path) -> str:
    """A pattern that starts with a folder `top` does not have (`service/*`, when the
    workspace is that folder): said, since the pattern is relative to `top`."""
    first = pattern.removeprefix("./").split("/", 1)[0]
    if "/" not in pattern or not first or any(c in first for c in "*?[{") or first == "..":
        return ""
    if (top / first).exists():
        return ""
    where = "the workspace" if top == root else display_path(root, top)
    return f" (the pattern is relative to {where}, which has no `{first}`)"


class GlobTool:
    name = "Glob"
    description = (
        "Find files by glob pattern (e.g. **/*.py, src/**/*.{ts,tsx}); newest first. "
        "A pattern without / matches at any depth."
    )
    parameters = object_schema({"pattern": STRING, "path": STRING}, "pattern")
    brief = "Find files by glob pattern, e.g. src/**/*.py."
    read_only = True

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        root = workspace_root(ctx.workspace)
        top = resolve_path(ctx.workspace, args.get("path") or ".")
        if not top.is_dir():
            raise ToolError(f"{display_path(root, top)}: no such directory")
        pattern = args["pattern"]
        if not pattern.strip():
            raise ToolError("pattern is empty; give a glob such as **/*.py")
        wanted = GlobFilter.from_patterns([pattern.removeprefix("./")])
        hider = Hider(ctx)
        found: list[tuple[float, str]] = []
        for entry in iter_files(str(top)):
            if wanted.matches(os.path.relpath(entry.path, top)):
                rel = display_path(root, Path(entry.path))
                if not hider.hides(rel):
                    found.append((entry.stat(follow_symlinks=False).st_mtime, rel))
        if not found:
            return with_note("No files found" + _missing_folder(pattern, top, root), hider)
        # Newest first, like Claude Code: the files just edited are usually the ones
        # wanted next. Ties (same mtime) fall back to the name for a stable order.
        found.sort(key=lambda t: (-t[0], t[1]))
        lines = [rel for _, rel in found[:MAX_GLOB_RESULTS]]
        if len(found) > MAX_GLOB_RESULTS:
            lines.append(
                f"(showing {MAX_GLOB_RESULTS} of {len(found)} files; narrow the pattern or path)"
            )
        return with_note("\n".join(lines), hider)
