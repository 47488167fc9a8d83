"""The files of a codebase, read once: a walk that skips what nobody wrote by hand
(VCS data, dependencies, virtualenvs, build output) and a cache of parsed Python.
"""

from __future__ import annotations

import ast
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        "__pycache__",
        ".venv",
        "venv",
        ".env",
        "env",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".idea",
        ".vscode",
        "site-packages",
        "build",
        "dist",
        "target",  # Rust, Maven
        "vendor",  # Go, Ruby, PHP
        "bin",
        "obj",  # .NET
        "htmlcov",
        ".next",
        ".gradle",
    }
)
MAX_TEXT_BYTES = 1_000_000  # larger files are data or generated, not code worth reading


def _skipped(dirpath: Path, name: str) -> bool:
    if name in SKIP_DIRS or name.endswith(".egg-info"):
        return True
    # A virtualenv under any name carries this marker.
    return (dirpath / name / "pyvenv.cfg").exists()


@dataclass
class SourceTree:
    root: Path
    files: list[str] = field(default_factory=list)  # posix paths relative to root, sorted
    _text: dict[str, str] = field(default_factory=dict, repr=False)
    _ast: dict[str, ast.Module | None] = field(default_factory=dict, repr=False)

    @classmethod
    def scan(cls, root: Path) -> SourceTree:
        files: list[str] = []
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not _skipped(here, d))
            rel = here.relative_to(root)
            files.extend((rel / f).as_posix() for f in filenames)
        return cls(root=root, files=sorted(files))

    @cached_property
    def python_files(self) -> list[str]:
        return [f for f in self.files if f.endswith(".py")]

    @cached_property
    def directories(self) -> set[str]:
        return {str(PurePosixPath(f).parent) for f in self.files}

    def named(self, *names: str) -> list[str]:
        """Files with one of these base names, shallowest first."""
        found = [f for f in self.files if PurePosixPath(f).name in names]
        return sorted(found, key=lambda f: (f.count("/"), f))

    def text(self, rel: str) -> str:
        if rel not in self._text:
            path = self.root / rel
            try:
                too_big = path.stat().st_size > MAX_TEXT_BYTES
                self._text[rel] = "" if too_big else path.read_text(errors="replace")
            except OSError:
                self._text[rel] = ""
        return self._text[rel]

    def module(self, rel: str) -> ast.Module | None:
        """The parsed file, or None when it is not valid Python (for this interpreter)."""
        if rel not in self._ast:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SyntaxWarning)  # invalid escapes in old code
                    self._ast[rel] = ast.parse(self.text(rel), filename=rel)
            except (SyntaxError, ValueError):
                self._ast[rel] = None
        return self._ast[rel]


def is_test_file(rel: str) -> bool:
    path = PurePosixPath(rel)
    if path.name == "conftest.py":
        return True
    if path.name.startswith("test_") or path.stem.endswith(("_test", ".test", ".spec", "_spec")):
        return True
    return any(part in ("tests", "test", "__tests__", "spec") for part in path.parts[:-1])
