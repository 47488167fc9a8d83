"""Poetry's dependency tables and lock file, as PEP 508 lines any installer takes.

Poetry writes constraints its own way (`^1.2`, `~1.2.3`, a bare `1.2.3` meaning `==`);
they are translated here. An `a || b` alternative has no PEP 440 equivalent and is left
unconstrained: the resolver then picks a version, which is closer than refusing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

_TOKEN = re.compile(r"(\^|~=|~|==|!=|>=|<=|>|<|=)?\s*([0-9][\w.*+!-]*)")


def constraint_to_pep440(constraint: str) -> str:
    """'^1.2.3' -> '>=1.2.3,<2', '~1.2' -> '>=1.2,<1.3', '1.2.*' -> '==1.2.*', '*' -> ''."""
    text = constraint.strip()
    if not text or text == "*" or "||" in text:
        return ""
    parts: list[str] = []
    for op, version in _TOKEN.findall(text):
        if op == "^":
            parts += [f">={version}", f"<{_bump(version, caret=True)}"]
        elif op == "~":
            parts += [f">={version}", f"<{_bump(version, caret=False)}"]
        elif op in ("", "="):
            parts.append(f"=={version}")
        else:
            parts.append(f"{op}{version}")
    return ",".join(parts)


def _bump(version: str, *, caret: bool) -> str:
    """The exclusive upper bound of a caret or tilde range."""
    try:
        release = list(Version(version.rstrip(".*")).release)
    except InvalidVersion:
        release = [int(p) for p in re.findall(r"\d+", version)[:3]] or [0]
    given = len(version.split("."))
    release = [*release, 0, 0, 0][: max(given, 1)]
    if caret:
        # The left-most non-zero part is bumped; all zeros: the last part given.
        index = next((i for i, n in enumerate(release) if n), len(release) - 1)
    else:
        index = 1 if len(release) >= 2 else 0
    return ".".join(str(n) for n in [*release[:index], release[index] + 1])


def from_pyproject(poetry: dict[str, Any], root: Path, test_groups: frozenset[str]) -> list[str]:
    """[tool.poetry.dependencies] (not python, not optional ones), the legacy
    dev-dependencies table, and the test/dev groups."""
    tables: list[dict[str, Any]] = [poetry.get("dependencies") or {}]
    tables.append(poetry.get("dev-dependencies") or {})
    for name, group in sorted((poetry.get("group") or {}).items()):
        if canonicalize_name(name) in test_groups and isinstance(group, dict):
            tables.append(group.get("dependencies") or {})
    out: list[str] = []
    for table in tables:
        for name, spec in table.items():
            if name.lower() == "python":
                continue
            for one in spec if isinstance(spec, list) else [spec]:
                line = _line(name, one, root)
                if line:
                    out.append(line)
    return list(dict.fromkeys(out))


def _line(name: str, spec: Any, root: Path) -> str | None:
    if isinstance(spec, str):
        return f"{name}{constraint_to_pep440(spec)}"
    if not isinstance(spec, dict) or spec.get("optional"):
        return None  # optional ones come only with an extra of the project
    extras = f"[{','.join(spec['extras'])}]" if spec.get("extras") else ""
    if spec.get("git"):
        ref = spec.get("rev") or spec.get("tag") or spec.get("branch")
        head = f"{name}{extras} @ git+{spec['git']}{'@' + ref if ref else ''}"
    elif spec.get("path"):
        head = f"{name}{extras} @ {(root / str(spec['path'])).resolve().as_uri()}"
    elif spec.get("url"):
        head = f"{name}{extras} @ {spec['url']}"
    else:
        head = f"{name}{extras}{constraint_to_pep440(str(spec.get('version', '*')))}"
    markers = spec.get("markers")
    return f"{head} ; {markers}" if markers else head


def from_lock(lock: dict[str, Any], root: Path, test_groups: frozenset[str]) -> list[str]:
    """Every locked package of the main and test/dev groups, pinned."""
    wanted = {"main", *test_groups}
    out: list[str] = []
    for pkg in lock.get("package", []) or []:
        name, version = pkg.get("name"), pkg.get("version")
        if not name or not version or pkg.get("optional"):
            continue
        groups = pkg.get("groups") or ([pkg["category"]] if pkg.get("category") else [])
        if groups and not wanted & set(groups):
            continue
        head = _locked(name, str(version), pkg.get("source") or {}, root)
        markers = _markers(pkg.get("markers"), wanted)
        out.append(f"{head} ; {markers}" if markers else head)
    return list(dict.fromkeys(out))


def _locked(name: str, version: str, source: dict[str, Any], root: Path) -> str:
    kind, url = source.get("type"), str(source.get("url", ""))
    if kind == "git":
        ref = source.get("resolved_reference") or source.get("reference")
        return f"{name} @ git+{url}{'@' + ref if ref else ''}"
    if kind in ("directory", "file"):
        return f"{name} @ {(root / url).resolve().as_uri()}"
    if kind == "url":
        return f"{name} @ {url}"
    return f"{name}=={version}"


def _markers(markers: Any, groups: set[str]) -> str:
    """A lock's markers: one string, or (Poetry 2) one per group, any of which applies."""
    if isinstance(markers, str):
        return markers
    if isinstance(markers, dict):
        chosen = [str(m) for g, m in markers.items() if g in groups]
        return " or ".join(f"({m})" for m in chosen)
    return ""
