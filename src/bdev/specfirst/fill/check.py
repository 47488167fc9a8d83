"""Checking a filled slot at once: forbidden constructs, ruff (F, E9, B, S) and an import.

Every problem is one line the model can act on ("line 3: ..."), with line numbers
relative to the function body it wrote. `forbidden` joins three passes: request data
followed into sinks (`flow`), the per-call rules below (a construct that is wrong
whatever data it gets), and a web app written into the body (`stray`). Where a flow and
a per-call rule flag the same line for the same reason, the flow's message (it names the
parameter) is the one sent.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from bdev.executables import find_executable
from bdev.sandbox import SandboxUnavailable, confine
from bdev.specfirst.codegen.slots import PROVIDED_NAMES
from bdev.specfirst.fill.flow import (
    find_flows,
    free_names,
    is_source,
    safe_yaml_load,
    sources_from_signature,
)
from bdev.specfirst.fill.nodes import dotted
from bdev.specfirst.fill.stray import stray_problems

# Ruff rules: pyflakes (F), syntax errors (E9), bugbear (B), bandit (S). Left out: unused
# imports/variables and f-strings without placeholders (harmless in a body), S105 (any
# comparison with "password" looks like a hard-coded secret), S311 (random is fine for
# non-secret choices), B904 (`raise ApiError(400, ...)` in an `except` without `from`: the
# answer is the same; a small model spent whole slots on it).
RUFF_SELECT = "F,E9,B,S"
RUFF_IGNORE = "B904,F401,F541,F841,S105,S311"
_SQL_CALLS = {"execute", "executemany", "executescript"}
_SHELL_FUNCS = {"system", "popen", "popen2", "popen3", "spawnl", "spawnv", "execl", "execv"}
_UNSAFE_MODULES = {"pickle": "loads", "marshal": "loads", "shelve": "open"}
_WEAK_HASHES = {"md5", "sha1"}
# pathlib reads and writes: like open(), only on a path that safe_join built.
_PATH_IO = {"open", "read_text", "write_text", "read_bytes", "write_bytes"}
_NOT_PATHS = {"os", "io", "codecs", "gzip", "bz2", "lzma", "tarfile", "zipfile", "webbrowser"}
# The generated Store's methods and their parameters (see templates/store.py.j2).
STORE_METHODS = {
    "create": ("table", "doc"),
    "get": ("table", "id"),
    "list": ("table", "limit", "offset", "filters"),
    "count": ("table", "filters"),
    "replace": ("table", "id", "doc"),
    "update": ("table", "id", "changes"),
    "delete": ("table", "id"),
    "find": ("table", "field", "value"),
    "increment": ("table", "id", "field", "by"),
    "require": ("table", "id"),
}


def request_sources(signature: str) -> list[str]:
    """The parameters of a handler's signature that carry request data, and Flask's
    global `request` (in scope in a single-file Flask service)."""
    params = sources_from_signature(signature)
    return [*(n for n, kind in params.items() if is_source(n, kind)), "request"]


def forbidden(code: str, sources: Iterable[str] | None = None, *, operation: str = "") -> list[str]:
    """What the security rules reject in `code` (a function body, as a module).

    `sources`: the handler's parameters that carry request data (`request_sources`);
    None takes the names the body reads but never binds. `operation` (its id) picks
    the advice for an expression evaluator.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        wrapped = "def _slot():\n" + "\n".join(f"    {line}" for line in code.splitlines())
        try:
            tree = ast.parse(wrapped)
        except SyntaxError as e:  # not code at all: say so, as compile would
            return [f"line {(e.lineno or 1) - 1}: SyntaxError: {e.msg}"]
        offset = 1
    else:
        offset = 0
    body = tree.body if offset == 0 else _function_body(tree)
    if sources is None:
        sources = free_names(body, known=PROVIDED_NAMES | sys.stdlib_module_names)
    flows = find_flows(body, sources, operation=operation)
    covered = {(f.line, f.kind) for f in flows}
    found = [(f.line - offset, f"line {f.line - offset}: {f.message}") for f in flows]
    safe_names = _names_from_safe_join(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        problem = _check_call(node, safe_names)
        if problem and (node.lineno, problem[0]) not in covered:
            found.append((node.lineno - offset, f"line {node.lineno - offset}: {problem[1]}"))
    found += [(n - offset, f"line {n - offset}: {p}") for n, p in stray_problems(body)]
    return [text for _, text in sorted(found, key=lambda item: item[0])]


def _function_body(tree: ast.Module) -> list[ast.stmt]:
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    return function.body


def _check_call(node: ast.Call, safe_names: set[str]) -> tuple[str, str] | None:
    """(kind, message) of a call the rules reject; the kind is the one `flow` uses for
    the same danger, so a flow's message can stand in for it."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else None
    attr = func.attr if isinstance(func, ast.Attribute) else None
    value = func.value if isinstance(func, ast.Attribute) else None
    owner = value.id if isinstance(value, ast.Name) else None
    if name in ("eval", "exec", "compile", "__import__"):
        return "code", (
            f"{name}() runs arbitrary code; parse the input instead (int(), float(), json.loads)"
        )
    if any(k.arg == "shell" and _truthy(k.value) for k in node.keywords):
        return "shell", "shell=True runs a shell; call run_command([program, arg, ...], timeout=10)"
    if owner == "os" and attr in _SHELL_FUNCS:
        return "shell", (
            f"os.{attr}() runs a shell; call run_command([program, arg, ...], timeout=10)"
        )
    if owner == "subprocess":
        return "subprocess", (
            f"subprocess.{attr}() directly; call run_command([program, arg, ...]) instead"
        )
    if name == "run_command" and node.args and _is_string_built(node.args[0]):
        return "process", "run_command() needs a list of arguments, not one command string"
    if attr in _SQL_CALLS and node.args and _is_string_built(node.args[0], constant=False):
        return "sql", (
            "SQL built from strings (injection); use the store helpers, or a constant query"
            " with ? placeholders and the values as a tuple"
        )
    if owner in _UNSAFE_MODULES and attr in ("load", "loads", "open"):
        return "deserialise", f"{owner}.{attr}() can run code from the data; use json"
    if owner == "yaml" and attr == "load" and not safe_yaml_load(node):
        return "deserialise", "yaml.load() can build any object; use yaml.safe_load()"
    if owner == "hashlib" and attr in _WEAK_HASHES:
        return "hash", f"hashlib.{attr} is a weak hash; use hash_password() for passwords"
    if owner == "store" and attr is not None:
        problem = _store_call(attr, node)
        if problem:
            return "store", problem
    if owner == "store" and attr in ("list", "count") and _query_filter(node):
        return "store", (
            "store filters match exact values only ({field: value}); for a search, a range or"
            " a case-insensitive match, list the rows and filter them in Python"
        )
    path_io = (
        attr in _PATH_IO
        and owner not in _NOT_PATHS
        and not _in_memory(node)
        and not _is_class(value)
    )
    if path_io and value is not None and not _from_safe_join(value, safe_names):
        return "path", (
            f".{attr}() on a path not made by safe_join(base, part); build the path with it"
        )
    if name == "open" and node.args and not _from_safe_join(node.args[0], safe_names):
        return "path", "open() of a path not made by safe_join(base, part); build the path with it"
    return None


def _is_class(value: ast.expr | None) -> bool:
    """`Image` or `PIL.Image` in `Image.open(data)`: a class (or module) whose open()
    takes the file as its argument, not a path object it is called on. Request data
    reaching that argument is the data-flow check's business (`sinks.PATH_CALLS`)."""
    last = value.attr if isinstance(value, ast.Attribute) else getattr(value, "id", "")
    return value is not None and bool(last) and last[0].isupper() and dotted(value) != ""


def _in_memory(node: ast.Call) -> bool:
    """`Image.open(io.BytesIO(data))`, `ZipFile(...).open(...)` on a stream: no path is
    opened (a request value reaching a real path is the data-flow check's business)."""
    first = node.args[0] if node.args else None
    if not isinstance(first, ast.Call):
        return False
    func = first.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in ("BytesIO", "StringIO")


def _store_call(method: str, node: ast.Call) -> str | None:
    """A call the Store cannot take: a method it lacks, or arguments it has no name for."""
    if method not in STORE_METHODS:
        return f"the store has no method {method}(); it has {', '.join(STORE_METHODS)}"
    params = STORE_METHODS[method]
    wrong = [k.arg for k in node.keywords if k.arg is not None and k.arg not in params]
    if wrong or len(node.args) > len(params):
        what = f"no parameter {wrong[0]!r}" if wrong else "too many arguments"
        return f"store.{method}({', '.join(params)}): {what}; sort or filter rows in Python"
    given = set(params[: len(node.args)]) | {k.arg for k in node.keywords}
    missing = [p for p in params if p not in given and p not in _OPTIONAL_STORE_PARAMS]
    if missing and not any(isinstance(a, ast.Starred) for a in node.args):
        # The call as it should read, with what was given kept: a small model fixes a
        # call it is shown better than one it is told about.
        given_args = {**dict(zip(params, node.args, strict=False)),
                      **{k.arg: k.value for k in node.keywords if k.arg}}  # fmt: skip
        shown = ", ".join(
            ast.unparse(given_args[p]) if p in given_args else f"<{p}>"
            for p in params
            if p in given_args or p not in _OPTIONAL_STORE_PARAMS
        )
        return f"store.{method}() needs its {missing[0]}: store.{method}({shown})"
    key = node.args[1] if len(node.args) > 1 and params[1:2] == ("id",) else None
    if isinstance(key, ast.Dict | ast.List | ast.Set | ast.Tuple):
        # `store.get("users", {"name": n})`: the id is one value; a field is found by find.
        return (
            f"store.{method}(table, id, ...) takes the row's id as one value, not "
            f"{ast.unparse(key)}; to look a row up by a field: store.find(table, field, value)"
        )
    field = node.args[2] if method == "increment" and len(node.args) > 2 else None
    if isinstance(field, ast.Constant) and not isinstance(field.value, str):
        # `store.increment("links", "code", 1)`: a number where the field's name goes.
        return (
            f"store.increment(table, id, field, by=1): the third argument is the name of "
            f"the field to count ('visits'), not {field.value!r}; a counter is not an id "
            "generator (store.create gives a new row its id)"
        )
    return None


# The Store's parameters with defaults (see templates/store.py.j2).
_OPTIONAL_STORE_PARAMS = {"limit", "offset", "filters", "by"}


def _query_filter(node: ast.Call) -> bool:
    """A Mongo- or Django-style query where the store takes {field: exact value}."""
    given = [k.value for k in node.keywords if k.arg == "filters"]
    if isinstance(node.func, ast.Attribute) and node.func.attr in ("list", "count"):
        given += node.args[3:4] if node.func.attr == "list" else node.args[1:2]
    for value in given:
        if not isinstance(value, ast.Dict):
            continue
        for key, item in zip(value.keys, value.values, strict=True):
            text = key.value if isinstance(key, ast.Constant) else None
            odd_key = isinstance(text, str) and (text.startswith("$") or "__" in text)
            if odd_key or isinstance(item, ast.Dict | ast.List | ast.Set | ast.Tuple):
                return True
    return False


def _truthy(node: ast.expr) -> bool:
    return not (isinstance(node, ast.Constant) and not node.value)


def _is_string_built(node: ast.expr, *, constant: bool = True) -> bool:
    """An f-string, a concatenation or %-format, a .format() call (or any str constant)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        lists = ast.List | ast.Tuple | ast.ListComp
        return not (isinstance(node.left, lists) or isinstance(node.right, lists))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format"
    return constant and isinstance(node, ast.Constant) and isinstance(node.value, str)


def _names_from_safe_join(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_safe_join_call(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _is_safe_join_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "safe_join"
    )


def _from_safe_join(node: ast.expr, safe_names: set[str]) -> bool:
    """safe_join(...), a name bound to one, or `Path()` of either (the same path)."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        func = node.func
        is_path = (isinstance(func, ast.Name) and func.id == "Path") or (
            isinstance(func, ast.Attribute) and func.attr == "Path"
        )
        if is_path:
            return _from_safe_join(node.args[0], safe_names)
    return _is_safe_join_call(node) or (isinstance(node, ast.Name) and node.id in safe_names)


def ruff_problems(path: Path, first: int, last: int) -> list[tuple[str, str, int]] | None:
    """(code, message, line) of ruff findings within lines first..last; None without ruff."""
    ruff = find_executable("ruff")
    if not ruff:
        return None
    cmd = [
        ruff, "check", "--isolated", "--no-cache", "--output-format", "json",
        "--target-version", "py311", "--line-length", "100",
        "--select", RUFF_SELECT, "--ignore", RUFF_IGNORE, str(path),
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        found = json.loads(done.stdout or "[]")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    out = []
    for item in found:
        row = int((item.get("location") or {}).get("row", 0))
        if first <= row <= last:
            out.append((str(item.get("code") or "E999"), str(item.get("message", "")), row))
    return out


def import_problem(root: Path, module: str, timeout_s: float = 60.0) -> str | None:
    """Import the service's module in a fresh interpreter, in the sandbox: the last error
    line, or None. It runs in a scratch folder, so a store that opens a relative SQLite
    file leaves nothing in the service's folder, and with APP_ENV=dev, so a service that
    reads its secret under another name (APP_SECRET) still imports."""
    with tempfile.TemporaryDirectory(prefix="bdev-fill-") as tmp:
        env = {
            **os.environ,
            "APP_SECRET_KEY": "bdev-fill-check-secret-0123456789",
            "APP_ENV": "dev",
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'check.db'}",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        }
        argv = [sys.executable, "-c", f"import {module}"]
        try:
            confined = confine(argv, cwd=Path(tmp), env=env, readable=[root])
            done = subprocess.run(
                confined.argv, cwd=tmp, env=confined.env, capture_output=True, text=True,
                timeout=timeout_s, check=False,
            )  # fmt: skip
        except SandboxUnavailable as e:
            return str(e)
        except subprocess.TimeoutExpired:
            return f"importing {module} did not finish in {timeout_s:g} s"
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"importing {module} failed"
