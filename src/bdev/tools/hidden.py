"""Files that Read deny rules hide from the search tools (Grep, Glob, LS).

`Read(.env)` must keep `.env` out of every tool's output, not only Read's: a denied
file is neither searched nor listed, and the tool says how many it left out, so the
model knows why something it expected is missing (and cannot ask around the rule).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bdev.tools.base import ToolContext
from bdev.tools.walk import iter_files


@dataclass
class Hider:
    """Filters workspace-relative paths through the context's Read deny rules,
    remembering each path it hid."""

    ctx: ToolContext
    hidden: set[str] = field(default_factory=set)

    def hides(self, rel: str) -> bool:
        denied = self.ctx.read_denied
        if denied is None or not denied(rel):
            return False
        self.hidden.add(rel)
        return True

    def scan(self, root: Path, top: Path) -> frozenset[str]:
        """Every denied file under `top` (or `top` itself), relative to `root`."""
        if self.ctx.read_denied is None:
            return frozenset()
        paths = [str(top)] if top.is_file() else (e.path for e in iter_files(str(top)))
        return frozenset(r for p in paths if self.hides(r := os.path.relpath(p, root)))

    def note(self) -> str:
        """A line for the tool's output, or "" when nothing was hidden."""
        n = len(self.hidden)
        if not n:
            return ""
        return f"({n} {'file' if n == 1 else 'files'} hidden by Read deny rules)"


def with_note(text: str, hider: Hider) -> str:
    note = hider.note()
    return f"{text}\n{note}" if note else text
