"""Every dependency a service declares, from every manifest format, for the advisory check.

`depfiles.read_dependencies` reads what the installer uses (requirements*.txt anywhere
with their -r includes, pyproject.toml PEP 621 and Poetry, poetry.lock, Pipfile). The
vulnerability check also wants what only describes a package: `Pipfile.lock` (exact
pins), `setup.cfg` `[options] install_requires` and `setup.py`'s `setup(install_requires=
[...])`, which is parsed, never run. These are kept apart so the environment build does
not change.

`pinned()` then gives one (name, version) per package: a lock's version first, else an
`==` pin in any file; packages pinned nowhere are listed as not checkable.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bdev.backend.audit.depfiles import TEST_GROUPS, Declared, read_dependencies
from bdev.backend.pyast import const_str, dotted
from bdev.backend.tree import SKIP_DIRS

_LOCKS = ("poetry.lock", "Pipfile.lock")


@dataclass
class Manifests:
    files: list[str] = field(default_factory=list)  # every manifest read, relative to root
    declared: list[Declared] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be parsed


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    source: str  # the file that pins it


def read_manifests(root: Path) -> Manifests:
    deps = read_dependencies(root)
    out = Manifests(files=list(deps.files), declared=list(deps.declared))
    for reader, name in ((_pipfile_lock, "Pipfile.lock"), (_setup_cfg, "setup.cfg")):
        for path in _find(root, name):
            _take(out, root, path, reader)
    for path in _find(root, "setup.py"):
        _take(out, root, path, _setup_py)
    return out


def pinned(declared: list[Declared]) -> tuple[list[Pin], list[dict[str, str]]]:
    """(one pin per package, [{name, reason}] for packages with no single version)."""
    pins: dict[str, Pin] = {}
    loose: dict[str, str] = {}
    for d in sorted(declared, key=lambda d: not d.source.endswith(_LOCKS)):  # locks first
        try:
            req = Requirement(d.text)
        except InvalidRequirement:
            continue
        name = canonicalize_name(req.name)
        specs = list(req.specifier)
        exact = len(specs) == 1 and specs[0].operator in ("==", "===")
        exact = exact and "*" not in specs[0].version
        if exact and name not in pins:
            pins[name] = Pin(name, specs[0].version, d.source)
        elif not exact:
            loose.setdefault(name, f"not pinned to one version in {d.source}: {d.text}")
    unpinned = [{"name": n, "reason": why} for n, why in sorted(loose.items()) if n not in pins]
    return sorted(pins.values(), key=lambda p: p.name), unpinned


# --- the formats depfiles does not read ---------------------------------------------------------


def _find(root: Path, name: str) -> list[Path]:
    """`name` at the root and in sub-projects (monorepos), never inside virtualenvs."""
    found = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        if name in files:
            found.append(Path(here) / name)
    return found


def _take(out: Manifests, root: Path, path: Path, reader: Callable[[Path], list[str]]) -> None:
    rel = path.relative_to(root).as_posix()
    try:
        lines = reader(path)
    except (OSError, ValueError, SyntaxError, configparser.Error) as e:
        out.problems.append(f"{rel}: {type(e).__name__}: {e}")
        return
    out.files.append(rel)
    out.declared += [Declared(line, rel) for line in lines]


def _pipfile_lock(path: Path) -> list[str]:
    lock = json.loads(path.read_text(errors="replace"))
    lines = []
    for section in ("default", "develop"):
        for name, spec in (lock.get(section) or {}).items():
            version = str((spec or {}).get("version", "")) if isinstance(spec, dict) else ""
            lines.append(f"{name}{version}" if version.startswith("==") else name)
    return lines


def _setup_cfg(path: Path) -> list[str]:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read_string(path.read_text(errors="replace"))
    lines = _cfg_list(cfg.get("options", "install_requires", fallback=""))
    if cfg.has_section("options.extras_require"):
        for extra, value in cfg.items("options.extras_require"):
            if canonicalize_name(extra) in TEST_GROUPS:
                lines += _cfg_list(value)
    return lines


def _cfg_list(value: str) -> list[str]:
    """setup.cfg's dangling list: one requirement a line, comments dropped."""
    lines = (x.split(" #", 1)[0].strip() for x in value.splitlines())
    return [x for x in lines if x and not x.startswith("#")]


def _setup_py(path: Path) -> list[str]:
    """install_requires (and test/dev extras) of `setup(...)`, when they are literals or
    names bound to literals at module level; anything computed is left out."""
    tree = ast.parse(path.read_text(errors="replace"))
    bound = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    lines: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and dotted(node.func).rsplit(".", 1)[-1] == "setup":
            for kw in node.keywords:
                value = kw.value
                if isinstance(value, ast.Name):  # install_requires=REQUIREMENTS
                    value = bound.get(value.id, value)
                if kw.arg == "install_requires":
                    lines += _strings(value)
                elif kw.arg == "extras_require" and isinstance(value, ast.Dict):
                    for key, extra in zip(value.keys, value.values, strict=True):
                        if canonicalize_name(const_str(key) or "") in TEST_GROUPS:
                            lines += _strings(extra)
    return lines


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.List | ast.Tuple):
        return [s for e in node.elts if (s := const_str(e))]
    return []
