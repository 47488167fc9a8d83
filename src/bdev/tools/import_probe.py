"""Import one module of a workspace and say what fails in its own lines, and the fix.

Not imported by bdev: `importcheck` runs this file's text with `python -c` in a fresh
interpreter inside the sandbox, so it uses the standard library only. It prints one JSON
line, `{"line": N, "error": "...", "fix": "...", "add": "...", "move": "..."}`, when the
failure is the module's own (see `importcheck`); nothing otherwise. `add` is the import
line a name used and never imported needs, when one was found; `move` is the module that
really has a name imported from one that lacks it, when one was found.

The fix is what a developer would look up: where the name really lives. A small model
imports real names from the wrong module (`OAuth2PasswordRequestForm` from
`fastapi.openapi.models`) and, told only that the import fails, sends the same line again
(greenfield scenario 02 at `9cd96d2`: seven Writes, the same import each time). So the
name is looked for among the modules of the package it was imported from (definitions,
and the imports that re-export it), in the modules that package imports it from, and by
spelling among the names the module has; for a name never imported, among importable
modules (`import json`), in the packages the file imports (FastAPI's `Query`), in the
standard library modules most such names come from (also for a name imported from the
wrong package: `from fastapi import HTTPStatus`), and where the file's packages import
it from (`from pydantic import BaseModel` is how FastAPI's own modules get it).
"""

from __future__ import annotations

import ast
import difflib
import importlib
import importlib.util
import json
import os
import re
import sys
import traceback
from collections import Counter
from pathlib import Path

_MISSING = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")
_UNDEFINED = re.compile(r"name '(\w+)' is not defined")
_NAMED = (ImportError, NameError, AttributeError)
_REPORTED = (*_NAMED, TypeError, AssertionError, RuntimeError)
# The names an import lists before the one looked for: in parentheses, over lines; else
# on its line.
_LISTED = r"(?:\([^)]*?|[^#\n(]*?)"
MAX_FILES = 2000  # a package's modules scanned for a name, at most
MAX_TRIES = 6  # candidate modules imported to confirm, at most
MIN_ORIGIN_FILES = 3
# The standard library modules most names a service uses unimported come from
# (`List`, `datetime`, `defaultdict`, `dataclass`, `Enum`, `Path`, `Decimal`, `uuid4`).
_STDLIB_SOURCES = (
    "typing", "datetime", "collections", "dataclasses", "enum", "pathlib", "decimal",
    "uuid", "functools", "contextlib", "http",
)  # fmt: skip


def main(root: str, rel: str) -> None:
    sys.path[:0] = [root] + [p for p in [os.path.join(root, "src")] if os.path.isdir(p)]
    name = rel[:-3].replace("/", ".").removesuffix(".__init__")
    name = name.removeprefix("src.") if rel.startswith("src/") else name
    target = os.path.realpath(os.path.join(root, rel))
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        return  # a package this interpreter lacks says nothing about the file
    except _REPORTED as e:
        frames = traceback.extract_tb(e.__traceback__)
        mine = [f for f in frames if _in_workspace(f.filename, root)]
        # A missing name is the file's when its own line raised it; a framework's
        # complaint (FastAPI checking a route as it is declared) when the file was the
        # last of the workspace's code to run.
        last = frames[-1:] if isinstance(e, _NAMED) else mine[-1:]
        if not (last and mine and os.path.realpath(last[0].filename) == target):
            return
        said = f"{type(e).__name__}: {e}"
        add = missing_import(e, target)
        move = moved_to(e)
        hint = f"add `{add}` to the imports" if add else fix(e, move)
        line = last[0].lineno
        print(json.dumps({"line": line, "error": said, "fix": hint, "add": add, "move": move}))
    except BaseException:  # a database not running, a variable not set, SystemExit
        return


def _in_workspace(filename: str, root: str) -> bool:
    path = os.path.realpath(filename)
    return path.startswith(root + os.sep) and "site-packages" not in path


def fix(error: BaseException, where: str) -> str:
    """For an import of a name its module lacks: where the name is, or what is known."""
    if not (isinstance(error, ImportError) and (found := _MISSING.search(str(error)))):
        return ""
    name, module = found.groups()
    if where:
        return f"`{name}` is in {where}: change the import to `from {where} import {name}`"
    return no_such_name(name, module)


def moved_to(error: BaseException) -> str:
    """For an import of a name its module lacks: the module that has it, or ""."""
    if isinstance(error, ImportError) and (found := _MISSING.search(str(error))):
        return found_in(found.group(1), found.group(2))
    return ""


def missing_import(error: BaseException, target: str) -> str:
    """For a name used but never imported: the import line that gives it, or ""."""
    if isinstance(error, NameError) and (found := _UNDEFINED.search(str(error))):
        return undefined_name(found.group(1), target)
    return ""


def found_in(name: str, module: str) -> str:
    """For `from module import name` that fails: the module that has `name`: one of the
    package's own, one the package imports it from, or the standard library's."""
    top = module.split(".")[0]
    return (
        _exported_by(name, _package_modules(top, name))
        or _exported_by(name, _origins(top, name, set()))
        or _exported_by(name, list(_STDLIB_SOURCES), len(_STDLIB_SOURCES))
    )


def no_such_name(name: str, module: str) -> str:
    """For `from module import name` that fails and `name` is nowhere: its spelling."""
    top = module.split(".")[0]
    loaded = sys.modules.get(module)
    names = [n for n in dir(loaded) if not n.startswith("_")] if loaded else []
    if close := difflib.get_close_matches(name, names, n=1, cutoff=0.75):
        return f"{module} has `{close[0]}`: `from {module} import {close[0]}`"
    return f"no module of {top} has `{name}`"


def undefined_name(name: str, target: str) -> str:
    """For a name used but never imported: the import line that gives it, when found.
    Looked for first in the packages the file imports (FastAPI's `Query`), then where
    their own modules import it from: the standard library and the file's packages at
    once, another package only when several of their modules do (FastAPI's modules take
    `BaseModel` from pydantic; one aiohttp module taking a `Query` from yarl says nothing
    about a FastAPI app's)."""
    if _is_module(name):
        return f"import {name}"
    tops = _imported_packages(target)
    where = (
        _exported_by(name, tops, len(tops))
        or _exported_by(name, list(_STDLIB_SOURCES), len(_STDLIB_SOURCES))
        or _exported_by(name, [m for top in tops for m in _origins(top, name, set(tops))])
    )
    return f"from {where} import {name}" if where else ""


def _exported_by(name: str, modules: list[str], tries: int = MAX_TRIES) -> str:
    """The first of `modules` (of the first `tries`) that imports and has `name`."""
    for module in modules[:tries]:
        try:
            if hasattr(importlib.import_module(module), name):
                return module
        except BaseException:  # any module that fails to import is passed over
            continue
    return ""


def _package_modules(top: str, name: str) -> list[str]:
    """The modules of package `top` that define `name` or import it (so re-export it),
    shortest dotted name first: `fastapi.security` before `fastapi.security.oauth2`."""
    found = [module for module, text in _package_files(top) if _mentions(text, name)]
    return sorted(found, key=lambda m: (m.count("."), len(m)))


def _origins(top: str, name: str, known: set[str]) -> list[str]:
    """The modules package `top`'s own files import `name` from (absolute imports), the
    most used first: where `name` comes from when `top` does not define it. A module of
    the standard library or of `known` counts at once; another when at least
    MIN_ORIGIN_FILES files import the name from it."""
    word = re.escape(name)
    pattern = re.compile(rf"^\s*from\s+([\w.]+)\s+import\s+{_LISTED}\b{word}\b", re.M)
    counts = Counter(
        module
        for _, text in _package_files(top)
        for module in {m.group(1) for m in pattern.finditer(text)}
    )
    trusted = known | set(sys.stdlib_module_names) | {top}
    return [
        module
        for module, n in counts.most_common()
        if module.split(".")[0] in trusted or n >= MIN_ORIGIN_FILES
    ]


def _mentions(text: str, name: str) -> bool:
    word = re.escape(name)
    defined = rf"^(?:class|def|async def)\s+{word}\b|^{word}\s*[:=]"
    imported = rf"^\s*(?:from\s+\S+\s+)?import\s+{_LISTED}\b{word}\b"
    return re.search(f"{defined}|{imported}", text, re.M) is not None


_files: dict[str, list[tuple[str, str]]] = {}


def _package_files(top: str) -> list[tuple[str, str]]:
    """(dotted module name, source) for each module of the installed package `top`."""
    if top in _files:
        return _files[top]
    out: list[tuple[str, str]] = []
    spec = importlib.util.find_spec(top) if _is_module(top) else None
    for location in (spec.submodule_search_locations or []) if spec else []:
        base = Path(location)
        for path in sorted(base.rglob("*.py"))[:MAX_FILES]:
            parts = [top, *path.relative_to(base).with_suffix("").parts]
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            try:
                out.append((module, path.read_text(encoding="utf-8", errors="replace")))
            except OSError:
                continue
    _files[top] = out
    return out


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _imported_packages(target: str) -> list[str]:
    """The top-level packages the file imports (absolute imports), in order."""
    try:
        tree = ast.parse(Path(target).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    tops: list[str] = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        tops += [n.split(".")[0] for n in names if n.split(".")[0] not in tops]
    return tops


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
