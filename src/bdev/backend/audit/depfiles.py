"""What a service declares it needs: its dependency files, read without running anything.

Sources: `requirements*.txt` anywhere in the tree (and the files they include with -r/-c),
`pyproject.toml` (PEP 621 dependencies plus test/dev extras and dependency groups, or
Poetry's tables), `poetry.lock`, `Pipfile`; and the Python version it asks for
(`.python-version`, Pipfile `[requires]`, `requires-python`, Poetry's `python`).

Requirements files go to the installer as they are (`-r`), so pip's own syntax keeps
its meaning; they are also parsed here, to count, name and check what they ask for.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bdev.backend.audit import poetry_deps
from bdev.backend.tree import SKIP_DIRS

# Extras / groups that hold what the test suite needs, by their usual names.
TEST_GROUPS = frozenset({"test", "tests", "testing", "dev", "develop", "development"})
_SKIP = SKIP_DIRS | {".bdev", ".nox", ".direnv"}
_REQ_FILE = re.compile(r"^requirements.*\.txt$", re.IGNORECASE)


@dataclass(frozen=True)
class Declared:
    """One requirement as the service states it, and the file that states it."""

    text: str  # a PEP 508 line ("fastapi==0.99.1", "psycopg[binary]>=3 ; python_version>'3.8'")
    source: str  # path relative to the service root

    @property
    def name(self) -> str | None:
        try:
            return canonicalize_name(Requirement(self.text).name)
        except InvalidRequirement:
            return None


@dataclass
class PythonRequest:
    """The interpreter the project asks for: one minor version, and/or a range."""

    version: tuple[int, int] | None = None  # from .python-version or Pipfile
    version_source: str = ""
    specifier: str | None = None  # PEP 440, from requires-python or Poetry's python
    specifier_source: str = ""


@dataclass
class Dependencies:
    root: Path
    files: list[str] = field(default_factory=list)  # every file read, relative to root
    requirement_files: list[Path] = field(default_factory=list)  # handed over with -r
    declared: list[Declared] = field(default_factory=list)  # all of them, parsed
    generated: list[str] = field(default_factory=list)  # from TOML/lock files, for the installer
    # requirements.txt lines bdev cannot check against an installed set (-e, paths, URLs)
    opaque: list[Declared] = field(default_factory=list)
    python: PythonRequest = field(default_factory=PythonRequest)

    @property
    def empty(self) -> bool:
        return not self.files

    def names(self) -> set[str]:
        return {n for d in self.declared if (n := d.name)}

    def content_digest(self) -> str:
        """Hash of what decides the environment: requirement files' bytes (includes too)
        and the requirements derived from TOML/lock files."""
        h = hashlib.sha256()
        for rel in sorted(f for f in self.files if f.endswith(".txt")):
            h.update(rel.encode() + b"\0" + (self.root / rel).read_bytes() + b"\0")
        for line in sorted(self.generated):
            h.update(line.encode() + b"\n")
        return h.hexdigest()


def read_dependencies(root: Path) -> Dependencies:
    deps = Dependencies(root=root)
    for path in find_requirement_files(root):
        deps.requirement_files.append(path)
        _read_requirements(path, deps, seen=set())
    pyproject = _toml(root / "pyproject.toml")
    lock = root / "poetry.lock"
    if pyproject is not None:
        deps.files.append("pyproject.toml")
        _python_from_pyproject(pyproject, deps.python)
    if lock.is_file():
        deps.files.append("poetry.lock")
        _add(deps, poetry_deps.from_lock(_toml(lock) or {}, root, TEST_GROUPS), "poetry.lock")
    elif pyproject is not None:
        _add(deps, pep621_requirements(pyproject), "pyproject.toml")
        poetry = pyproject.get("tool", {}).get("poetry", {})
        _add(deps, poetry_deps.from_pyproject(poetry, root, TEST_GROUPS), "pyproject.toml")
    python_version = root / ".python-version"
    if python_version.is_file():  # read first: the most specific pin wins
        deps.files.append(".python-version")
        first = next(iter(python_version.read_text(errors="replace").split()), "")
        _set_version(deps.python, first, ".python-version")
    pipfile = _toml(root / "Pipfile")
    if pipfile is not None:
        deps.files.append("Pipfile")
        _add(deps, pipfile_requirements(pipfile, root), "Pipfile")
        version = str(pipfile.get("requires", {}).get("python_version", ""))
        _set_version(deps.python, version, "Pipfile [requires] python_version")
    return deps


def find_requirement_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP
            and not d.endswith(".egg-info")
            and not (Path(here) / d / "pyvenv.cfg").exists()
        )
        found += [Path(here) / f for f in sorted(files) if _REQ_FILE.match(f)]
    return found


# --- requirements.txt -------------------------------------------------------------------------


def _read_requirements(
    path: Path, deps: Dependencies, seen: set[Path], *, constraints: bool = False
) -> None:
    """Parse one requirements file; an included constraints file is only recorded (its
    bytes are part of the cache key) since it adds no requirement of its own."""
    path = path.resolve()
    if path in seen or not path.is_file():
        return
    seen.add(path)
    rel = _rel(path, deps.root)
    if rel not in deps.files:
        deps.files.append(rel)
    if constraints:
        return
    for line in _logical_lines(path.read_text(errors="replace")):
        option, _, value = line.partition(" ") if line.startswith("-") else ("", "", line)
        if option.startswith("--") and "=" in option:
            option, _, value = option.partition("=")
        value = value.strip()
        if option in ("-r", "--requirement", "-c", "--constraint"):
            is_constraint = option in ("-c", "--constraint")
            _read_requirements(path.parent / value, deps, seen, constraints=is_constraint)
        elif option in ("-e", "--editable"):
            deps.opaque.append(Declared(value, rel))
        elif not option:
            text = _strip_trailing_options(value)
            try:
                Requirement(text)
                deps.declared.append(Declared(text, rel))
            except InvalidRequirement:
                deps.opaque.append(Declared(text, rel))  # a path or a bare URL


def _strip_trailing_options(value: str) -> str:
    """ "flask==3.0 --hash=sha256:..." -> "flask==3.0"."""
    return re.split(r"\s+--?[a-zA-Z]", value, maxsplit=1)[0].strip()


def _logical_lines(text: str) -> list[str]:
    """Lines with comments dropped and backslash continuations joined, as pip reads them."""
    joined = re.sub(r"\\\r?\n", " ", text)
    lines = []
    for raw in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line:
            lines.append(line)
    return lines


# --- pyproject.toml (PEP 621, PEP 735) and Pipfile --------------------------------------------


def pep621_requirements(pyproject: dict[str, Any]) -> list[str]:
    """[project].dependencies, the test/dev extras, and the test/dev dependency groups.
    An extra that names the project itself ("svc[test]") is expanded, not installed."""
    project = pyproject.get("project", {})
    own = canonicalize_name(str(project.get("name", ""))) if project.get("name") else None
    extras: dict[str, list[str]] = project.get("optional-dependencies", {}) or {}
    out: list[str] = []

    def add_extra(name: str, seen: set[str]) -> None:
        if name in seen or name not in extras:
            return
        seen.add(name)
        for text in extras[name]:
            add(text, seen)

    def add(text: str, seen: set[str]) -> None:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            out.append(text)  # the installer will say what is wrong with it
            return
        if own and canonicalize_name(req.name) == own:
            for extra in req.extras:
                add_extra(extra, seen)
        else:
            out.append(text)

    for text in project.get("dependencies", []) or []:
        add(text, set())
    seen: set[str] = set()
    for name in sorted(extras):
        if canonicalize_name(name) in TEST_GROUPS:
            add_extra(name, seen)
    groups: dict[str, list[Any]] = pyproject.get("dependency-groups", {}) or {}
    for name in sorted(groups):
        if canonicalize_name(name) in TEST_GROUPS:
            out += _group(groups, name, set())
    return _unique(out)


def _group(groups: dict[str, list[Any]], name: str, seen: set[str]) -> list[str]:
    if name in seen:
        return []
    seen.add(name)
    out: list[str] = []
    for item in groups.get(name, []):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and "include-group" in item:
            out += _group(groups, str(item["include-group"]), seen)
    return out


def pipfile_requirements(pipfile: dict[str, Any], root: Path) -> list[str]:
    out: list[str] = []
    for section in ("packages", "dev-packages"):
        for name, spec in (pipfile.get(section) or {}).items():
            out.append(_pipfile_line(name, spec, root))
    return _unique(out)


def _pipfile_line(name: str, spec: Any, root: Path) -> str:
    if isinstance(spec, str):
        return name if spec.strip() in ("", "*") else f"{name}{spec.strip()}"
    if not isinstance(spec, dict):
        return name
    extras = f"[{','.join(spec['extras'])}]" if spec.get("extras") else ""
    if spec.get("git"):
        ref = f"@{spec['ref']}" if spec.get("ref") else ""
        head = f"{name}{extras} @ git+{str(spec['git']).removeprefix('git+')}{ref}"
    elif spec.get("path") or spec.get("file"):
        target = str(spec.get("path") or spec.get("file"))
        url = target if "://" in target else (root / target).resolve().as_uri()
        head = f"{name}{extras} @ {url}"
    else:
        version = str(spec.get("version", "*")).strip()
        head = f"{name}{extras}{'' if version in ('', '*') else version}"
    markers = spec.get("markers")
    return f"{head} ; {markers}" if markers else head


# --- the Python version asked for -------------------------------------------------------------


def _python_from_pyproject(pyproject: dict[str, Any], request: PythonRequest) -> None:
    spec = pyproject.get("project", {}).get("requires-python")
    if spec:
        request.specifier, request.specifier_source = str(spec), "pyproject.toml requires-python"
        return
    poetry = pyproject.get("tool", {}).get("poetry", {})
    poetry_python = (poetry.get("dependencies") or {}).get("python")
    if isinstance(poetry_python, str) and poetry_python.strip() not in ("", "*"):
        request.specifier = poetry_deps.constraint_to_pep440(poetry_python)
        request.specifier_source = "pyproject.toml [tool.poetry.dependencies] python"


def _set_version(request: PythonRequest, text: str, source: str) -> None:
    """Keep the first exact version found."""
    match = re.match(r"^(?:python-?|cpython-?)?(\d+)\.(\d+)", text.strip())
    if match and request.version is None:
        request.version = (int(match[1]), int(match[2]))
        request.version_source = source


# --- helpers ----------------------------------------------------------------------------------


def _toml(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return tomllib.loads(path.read_text(errors="replace"))
    except tomllib.TOMLDecodeError:
        return {}  # a broken file declares nothing we can read; the installer would fail too


def _add(deps: Dependencies, lines: list[str], source: str) -> None:
    deps.generated += lines
    deps.declared += [Declared(line, source) for line in lines]


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
