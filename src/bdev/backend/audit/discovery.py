"""Which runner the suite step uses, with which arguments, and how the tests were found.

pytest collects `unittest.TestCase` classes, but only from files matching its
`python_files` pattern (default `test_*.py` and `*_test.py`): the `tests.py` of a
unittest-style project is never looked at. When such files exist and the project's
pytest configuration does not choose the files itself (`python_files`, `testpaths`),
pytest's `python_files` is widened to their names (`-o python_files=...`): its own
discovery then collects them with everything else. (Naming them next to `.` does not
work: pytest drops one of the two as a duplicate.)

Django suites (`django.test` in the test files, a `manage.py`, and no pytest-django
settings) need Django's settings and test database: they run with `manage.py test`.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# pytest's defaults: a file it would collect on its own.
DEFAULT_PATTERNS = ("test_*.py", "*_test.py")
# Named like a test module, so worth opening: tests.py, testing_api.py, test.py ...
CANDIDATE = "test*.py"
SKIP_DIRS = {"node_modules", "site-packages", "__pycache__", "build", "dist", "venv", "env"}
_SETTINGS = ("python_files", "testpaths")
INI_FILES = (("pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))
PYTEST_DJANGO_HINTS = ("DJANGO_SETTINGS_MODULE", "--ds", "django_find_project")
MAX_FILES = 2000  # files looked at; a tree larger than this is not a service

Runner = Literal["pytest", "django"]


@dataclass(frozen=True)
class Discovery:
    args: tuple[str, ...]  # the runner's arguments (paths relative to the root)
    how: str  # for the report: which discovery ran, and what was added to it
    added: tuple[str, ...] = ()  # the files found beyond pytest's default pattern
    runner: Runner = "pytest"


def discovery(root: Path, given: tuple[str, ...] = ()) -> Discovery:
    if given:
        return Discovery(given, f"the paths given: {', '.join(given)}")
    files = list(_test_named_files(root))
    if _django_suite(root, files):
        return Discovery(
            ("test", "--noinput", "-v", "2"),
            "Django's runner (manage.py test): the tests use django.test and pytest has no"
            " Django settings",
            runner="django",
        )
    if _configured(root):
        return Discovery((), "pytest's discovery as the project configures it")
    missed = unittest_files(root, files)
    if not missed:
        return Discovery((), "pytest's default discovery (test_*.py, *_test.py)")
    names = sorted({Path(m).name for m in missed})
    return Discovery(
        ("-o", "python_files=" + " ".join([*DEFAULT_PATTERNS, *names])),
        "pytest's discovery with python_files widened to the unittest files its default"
        f" pattern (test_*.py) misses: {', '.join(missed)}",
        tuple(missed),
    )


def unittest_files(root: Path, files: list[str] | None = None) -> list[str]:
    """Files named test*.py that pytest's default patterns miss and that define a
    TestCase subclass (relative paths, sorted); `files`: the test-named files, if known."""
    named = _test_named_files(root) if files is None else files
    return sorted(f for f in named if _missed_by_pytest(f) and _defines_test_case(root / f))


def _test_named_files(root: Path) -> Iterator[str]:
    """Files named like test modules (test*.py, *_test.py), outside virtualenvs and
    hidden folders, in a stable order."""
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(files):
            seen += 1
            if seen > MAX_FILES:
                return
            if fnmatch.fnmatch(name, CANDIDATE) or fnmatch.fnmatch(name, "*_test.py"):
                yield (Path(folder) / name).relative_to(root).as_posix()


def _missed_by_pytest(rel: str) -> bool:
    return not any(fnmatch.fnmatch(Path(rel).name, p) for p in DEFAULT_PATTERNS)


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None


def _defines_test_case(path: Path) -> bool:
    tree = _parse(path)
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
                if name.endswith("TestCase"):
                    return True
    return False


def _uses_django_test(path: Path) -> bool:
    tree = _parse(path)
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.test"):
            return True
        if isinstance(node, ast.Import) and any(
            a.name.startswith("django.test") for a in node.names
        ):
            return True
    return False


def _django_suite(root: Path, files: list[str]) -> bool:
    if not (root / "manage.py").is_file() or _pytest_django(root):
        return False
    return any(_uses_django_test(root / f) for f in files)


def _pytest_django(root: Path) -> bool:
    """True when pytest is set up for Django (pytest-django's settings or a conftest
    that configures them): pytest then runs the Django suite itself."""
    for name in ("pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "conftest.py"):
        try:
            text = (root / name).read_text(errors="replace")
        except OSError:
            continue
        if any(hint in text for hint in PYTEST_DJANGO_HINTS) or (
            name == "conftest.py" and "django" in text
        ):
            return True
    return False


def _configured(root: Path) -> bool:
    """True when the project's pytest configuration says which files to collect."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            options = tomllib.loads(pyproject.read_text())
        except (OSError, tomllib.TOMLDecodeError):
            options = {}
        section = options.get("tool", {}).get("pytest", {}).get("ini_options", {})
        if any(key in section for key in _SETTINGS):
            return True
    for name, section in INI_FILES:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(root / name)
        except configparser.Error:
            continue
        if parser.has_section(section) and any(parser.has_option(section, k) for k in _SETTINGS):
            return True
    return False
