"""The pure-Python engine, used when no `rg` binary is available.

Same file selection as the ripgrep engine (walk.py's rules, gitignore-style globs),
Python's `re` for matching. Matching is line by line like rg, so a pattern such as
`a\\s+b` never matches across a line break unless multiline is asked for; a single
search over the whole file first skips the (usual) files that cannot match.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterator
from pathlib import Path

from bdev.tools.base import ToolError
from bdev.tools.globs import GlobFilter
from bdev.tools.grep.query import GrepQuery, Line
from bdev.tools.walk import iter_files

# The common part of ripgrep's built-in type table (`rg --type-list`).
FILE_TYPES: dict[str, list[str]] = {
    "py": ["*.py", "*.pyi"],
    "js": ["*.js", "*.jsx", "*.mjs", "*.cjs", "*.vue"],
    "ts": ["*.ts", "*.tsx", "*.mts", "*.cts"],
    "go": ["*.go"],
    "rust": ["*.rs"],
    "java": ["*.java", "*.jsp", "*.jspx", "*.properties"],
    "kotlin": ["*.kt", "*.kts"],
    "ruby": ["*.rb", "*.gemspec", "Gemfile", "Rakefile"],
    "php": ["*.php"],
    "c": ["*.c", "*.h"],
    "cpp": ["*.cpp", "*.hpp", "*.cc", "*.hh", "*.cxx", "*.hxx", "*.h"],
    "cs": ["*.cs"],
    "sh": ["*.sh", "*.bash", "*.zsh"],
    "sql": ["*.sql", "*.psql"],
    "html": ["*.html", "*.htm", "*.ejs"],
    "css": ["*.css", "*.scss"],
    "json": ["*.json"],
    "yaml": ["*.yaml", "*.yml"],
    "toml": ["*.toml", "Cargo.lock"],
    "md": ["*.md", "*.markdown", "*.mdx"],
    "markdown": ["*.md", "*.markdown", "*.mdx"],
    "txt": ["*.txt"],
    "xml": ["*.xml", "*.xsd", "*.xsl"],
    "docker": ["*Dockerfile*"],
    "make": ["Makefile", "makefile", "GNUmakefile", "*.mk", "*.mak"],
}


class PythonEngine:
    name = "python"

    def files(self, q: GrepQuery) -> list[str]:
        rx = _compile(q)
        return [rel for rel, text in self._texts(q) if _match_lines(rx, text, q.multiline, 1)]

    def counts(self, q: GrepQuery) -> dict[str, int]:
        rx = _compile(q)
        result: dict[str, int] = {}
        for rel, text in self._texts(q):
            n = len(_match_lines(rx, text, q.multiline))
            if n:
                result[rel] = n
        return result

    def lines(self, q: GrepQuery) -> dict[str, list[Line]]:
        rx = _compile(q)
        result: dict[str, list[Line]] = {}
        for rel, text in self._texts(q):
            hits = _match_lines(rx, text, q.multiline)
            if hits:
                result[rel] = _with_context(_split_lines(text), hits, q.before, q.after)
        return result

    def _texts(self, q: GrepQuery) -> Iterator[tuple[str, str]]:
        """(relative path, decoded text) of every selected, non-binary file."""
        for path in _candidates(q):
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if b"\0" in data:  # binary, skipped as rg skips it
                continue
            rel = Path(path).relative_to(q.root).as_posix()
            yield rel, data.decode("utf-8", errors="replace")


def _candidates(q: GrepQuery) -> Iterator[str]:
    for path in _selected(q):
        if os.path.relpath(path, q.root) not in q.skip:
            yield path


def _selected(q: GrepQuery) -> Iterator[str]:
    if q.target.is_file():
        yield str(q.target)
        return
    patterns = list(q.globs)
    if q.file_type:
        if q.file_type not in FILE_TYPES:
            known = ", ".join(sorted(FILE_TYPES))
            raise ToolError(f"unknown file type {q.file_type!r} (known: {known})")
        type_filter = GlobFilter.from_patterns(FILE_TYPES[q.file_type])
    else:
        type_filter = None
    glob_filter = GlobFilter.from_patterns(patterns) if patterns else None
    root = str(q.root)
    for entry in iter_files(str(q.target)):
        if glob_filter or type_filter:
            # Relative to the workspace, not the searched folder: rg matches globs
            # against paths as it prints them, and it runs in the workspace.
            rel = os.path.relpath(entry.path, root)
            if glob_filter and not glob_filter.matches(rel):
                continue
            if type_filter and not type_filter.matches(rel):
                continue
        yield entry.path


def _compile(q: GrepQuery) -> re.Pattern[str]:
    flags = re.MULTILINE
    if q.ignore_case:
        flags |= re.IGNORECASE
    if q.multiline:
        flags |= re.DOTALL
    try:
        return re.compile(q.pattern, flags)
    except re.error as e:
        raise ToolError(f"grep failed: invalid pattern {q.pattern!r}: {e}") from e


def _split_lines(text: str) -> list[str]:
    # rg's notion of a line: split on \n only (str.splitlines also splits on \x0c etc.).
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _match_lines(rx: re.Pattern[str], text: str, multiline: bool, stop: int = 0) -> list[int]:
    """0-based indices of matching lines (up to `stop` of them when stop > 0)."""
    if rx.search(text) is None:
        return []
    if multiline:
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        # A final "\n" ends the last line; it does not start another one.
        n_lines = len(starts) - 1 if text.endswith("\n") else len(starts)
        hit: set[int] = set()
        for m in rx.finditer(text):
            first = bisect.bisect_right(starts, m.start()) - 1
            last = bisect.bisect_right(starts, max(m.end() - 1, m.start())) - 1
            hit.update(range(first, min(last, n_lines - 1) + 1))
        return sorted(hit)[: stop or None]
    found: list[int] = []
    for i, line in enumerate(_split_lines(text)):
        if rx.search(line):
            found.append(i)
            if len(found) == stop:
                break
    return found


def _with_context(lines: list[str], hits: list[int], before: int, after: int) -> list[Line]:
    hit_set = set(hits)
    shown: set[int] = set()
    for i in hits:
        shown.update(range(max(0, i - before), min(len(lines), i + after + 1)))
    return [Line(i + 1, lines[i], i in hit_set) for i in sorted(shown)]
