"""The ripgrep engine: runs the real `rg` binary and parses its NUL-separated output.

rg is told to behave like the pure-Python engine (no .gitignore, hidden files searched,
the shared SKIP_DIRS excluded, symlinks not followed) so both give the same answers.
"""

from __future__ import annotations

import re
import subprocess

from bdev.executables import find_executable
from bdev.tools.base import ToolError
from bdev.tools.grep.query import GrepQuery, Line
from bdev.tools.walk import SKIP_DIRS

# "12:text" for a match, "12-text" for a context line (after the NUL that ends the path).
_NUMBERED = re.compile(rb"(\d+)([:-])")


def find_rg() -> str | None:
    """The rg binary: the one the `ripgrep` wheel installs next to Python, else on PATH."""
    return find_executable("rg")


class RipgrepEngine:
    name = "ripgrep"

    def __init__(self, binary: str) -> None:
        self.binary = binary

    def files(self, q: GrepQuery) -> list[str]:
        out = self._run(q, ["--files-with-matches"])
        return [_rel(p) for p in out.split(b"\0") if p]

    def counts(self, q: GrepQuery) -> dict[str, int]:
        out = self._run(q, ["--count"])
        result: dict[str, int] = {}
        for row in out.splitlines():
            path, _, n = row.partition(b"\0")
            result[_rel(path)] = int(n)
        return result

    def lines(self, q: GrepQuery) -> dict[str, list[Line]]:
        extra = ["--line-number", f"--before-context={q.before}", f"--after-context={q.after}"]
        out = self._run(q, extra)
        result: dict[str, list[Line]] = {}
        for row in out.split(b"\n"):
            path, nul, rest = row.partition(b"\0")
            if not nul:
                continue  # the "--" between context groups; the formatter redraws them
            m = _NUMBERED.match(rest)
            if m is None:
                continue
            text = rest[m.end() :].decode("utf-8", errors="replace").removesuffix("\r")
            line = Line(int(m.group(1)), text, m.group(2) == b":")
            result.setdefault(_rel(path), []).append(line)
        return result

    def _run(self, q: GrepQuery, mode_args: list[str]) -> bytes:
        args = [
            self.binary,
            "--no-config",
            "--no-ignore",
            "--hidden",
            "--no-messages",
            "--color=never",
            "--null",
            "--with-filename",
            *mode_args,
        ]
        if q.ignore_case:
            args.append("--ignore-case")
        if q.multiline:
            args += ["--multiline", "--multiline-dotall"]
        if q.file_type:
            args += ["--type", q.file_type]
        for g in q.globs:
            args += ["--glob", g]
        # Last, so they win over a user's include globs.
        for d in sorted(SKIP_DIRS):
            args += ["--glob", f"!{d}"]
        target = q.target.relative_to(q.root).as_posix()
        args += ["--regexp", q.pattern, "./" if target == "." else f"./{target}"]
        proc = subprocess.run(args, cwd=q.root, capture_output=True, stdin=subprocess.DEVNULL)
        # 0: matches, 1: none, 2: an error (may come with results when a file was unreadable).
        if proc.returncode == 2 and proc.stderr.strip():
            message = proc.stderr.decode("utf-8", errors="replace").strip()
            message = message.removeprefix("rg: ")
            raise ToolError(f"grep failed: {message}")
        return proc.stdout


def _rel(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").removeprefix("./")
