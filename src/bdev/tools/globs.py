"""Glob filters with gitignore semantics, shared by Glob, Grep and LS.

A pattern without a slash matches a name at any depth (`*.py`), one with a slash is
anchored to the search root (`src/**/*.ts`), `{a,b}` alternatives are expanded and a
leading `!` excludes. That is how ripgrep's `--glob` reads patterns, so both Grep
engines select the same files. pathspec does the gitignore matching; it has no brace
syntax, hence the small expander here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pathspec import GitIgnoreSpec

_BRACES = re.compile(r"\{([^{}]*)\}")


def expand_braces(pattern: str) -> list[str]:
    """`*.{ts,tsx}` -> [`*.ts`, `*.tsx`]; nested and repeated groups expand too."""
    m = _BRACES.search(pattern)
    if m is None:
        return [pattern]
    head, tail = pattern[: m.start()], pattern[m.end() :]
    out: list[str] = []
    for option in m.group(1).split(","):
        out.extend(expand_braces(head + option + tail))
    return out


@dataclass(frozen=True)
class GlobFilter:
    """Selects relative file paths by include and exclude patterns."""

    include: GitIgnoreSpec | None
    exclude: GitIgnoreSpec | None

    @classmethod
    def from_patterns(cls, patterns: list[str]) -> GlobFilter:
        inc: list[str] = []
        exc: list[str] = []
        for raw in patterns:
            target = exc if raw.startswith("!") else inc
            target.extend(expand_braces(raw.removeprefix("!")))
        return cls(
            GitIgnoreSpec.from_lines(inc) if inc else None,
            GitIgnoreSpec.from_lines(exc) if exc else None,
        )

    def matches(self, rel_path: str) -> bool:
        if self.include is not None and not self.include.match_file(rel_path):
            return False
        return not (self.exclude is not None and self.exclude.match_file(rel_path))


def split_globs(value: str | None) -> list[str]:
    """The Grep `glob` argument may hold several patterns separated by spaces."""
    return value.split() if value else []
