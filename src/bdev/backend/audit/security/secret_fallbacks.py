"""Secrets written into the code as the fallback of a configuration read (CWE-798).

`SECRET_KEY = os.environ.get("SECRET_KEY") or "s3cr3t-k3y"` reads like configuration,
yet every deployment that forgets the variable runs with a key anyone can read in the
repository (Flask sessions and JWTs signed with it can then be forged). The forms found:

    X = <config read> or "literal"
    os.getenv("X", "literal"), os.environ.get("X", "literal"), environ.get("X", "literal")
    os.environ.setdefault("X", "literal")
    config.get(..., default="literal"), config("X", default="literal")   (decouple)
    env("X", default="literal"), env.str("X", "literal")                 (environs)
    parser.get(section, "x", fallback="literal")                         (configparser)

A read without a fallback (`os.environ["SECRET_KEY"]`, `os.getenv("SECRET_KEY")`) is
what it should be and is never reported. Placeholder-looking fallbacks ("change-me") are
reported too, as medium rather than high: they show the author meant them for
development, yet they are the key in use wherever the variable is unset.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bdev.backend.audit.results import Finding
from bdev.backend.audit.security.sources import parsed_python_files
from bdev.backend.configuration import NOT_A_SECRET_NAME, PLACEHOLDER, SECRET_NAME
from bdev.backend.pyast import const_str, dotted

# Receivers whose reads are configuration: os.environ, a settings/config object, environs.
_CONFIG_RECEIVER = re.compile(r"(^|\.)(environ|env|config|conf|settings|getenv|parser)$", re.I)
_READ_METHODS = {"get", "getenv", "setdefault", "str", "config", "env"}
# A fallback that names another variable or a template is not itself a secret.
_NOT_A_VALUE = re.compile(r"^\s*$|^\$\{|^\{\{|^%\(|^[A-Z][A-Z0-9_]*$")


def fallback_secrets(root: Path) -> list[Finding]:
    findings: list[Finding] = []
    for _path, rel, source, tree in parsed_python_files(root):
        lines = source.splitlines()
        seen: set[int] = set()
        for node, name, value in _fallbacks(tree):
            if node.lineno in seen:  # `getenv("K", "x") or "y"` is one weakness
                continue
            seen.add(node.lineno)
            findings.append(_finding(rel, node.lineno, name, value, lines))
    return findings


def _fallbacks(tree: ast.AST) -> list[tuple[ast.stmt | ast.expr, str, str]]:
    """(node, secret name, fallback) for each configuration read with a literal fallback."""
    found: list[tuple[ast.stmt | ast.expr, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n for t in targets if (n := _target_name(t))]
            for name in names:
                value = _or_fallback(node.value, name) if node.value is not None else ""
                if value:
                    found.append((node, name, value))
        if isinstance(node, ast.Call):
            name, value = _call_fallback(node)
            if name:
                found.append((node, name, value))
    return found


def _target_name(node: ast.AST) -> str:
    if isinstance(node, ast.Subscript):  # app.config["SECRET_KEY"] = ...
        return const_str(node.slice) or ""
    return dotted(node).rsplit(".", 1)[-1]


def _or_fallback(value: ast.AST, name: str) -> str:
    """The literal of `<config read> or "literal"` assigned to a secret-like name."""
    if not (isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or)):
        return ""
    *reads, last = value.values
    literal = const_str(last)
    found = (
        literal is not None
        and any(_is_config_read(r) for r in reads)
        and (_secret_name(name) or any(_secret_name(_read_key(r)) for r in reads))
        and _is_value(literal)
    )
    return literal if found and literal else ""


def _call_fallback(call: ast.Call) -> tuple[str, str]:
    """(secret name, fallback) when `call` is a configuration read with a literal default."""
    if not _is_config_read(call):
        return "", ""
    keys = [s for a in call.args if (s := const_str(a)) is not None]
    default = next((kw.value for kw in call.keywords if kw.arg in ("default", "fallback")), None)
    if (
        default is None
        and len(call.args) == 2
        and dotted(call.func).rsplit(".", 1)[-1]
        in (
            "get",
            "getenv",
            "setdefault",
            "str",
        )
    ):
        key, default = const_str(call.args[0]), call.args[1]
        keys = [key] if key is not None else []
    elif default is not None:
        keys = keys[-1:]  # configparser: get(section, option, fallback=...) -> the option
    literal = const_str(default)
    if literal is None or not _is_value(literal):
        return "", ""
    return next((k for k in keys if _secret_name(k)), ""), literal


def _is_config_read(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = dotted(node.func)
    if name in ("os.getenv", "getenv", "config", "env"):
        return True
    receiver, _, method = name.rpartition(".")
    return method in _READ_METHODS and bool(_CONFIG_RECEIVER.search(receiver))


def _read_key(node: ast.AST) -> str:
    if isinstance(node, ast.Call) and node.args:
        return const_str(node.args[0]) or ""
    return ""


def _secret_name(name: str) -> bool:
    return bool(name) and bool(SECRET_NAME.search(name)) and not NOT_A_SECRET_NAME.search(name)


def _is_value(literal: str) -> bool:
    return len(literal) >= 3 and not _NOT_A_VALUE.search(literal)


def _finding(rel: str, line: int, name: str, value: str, lines: list[str]) -> Finding:
    snippet = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    placeholder = bool(PLACEHOLDER.search(value))
    return Finding(
        cwe="CWE-798",
        severity="medium" if placeholder else "high",
        severity_reason=(
            "the fallback reads as a development placeholder, but it is the key in use"
            " wherever the variable is unset"
            if placeholder
            else ""
        ),
        title=f"Hard-coded fallback secret for {name}: used whenever the variable is unset",
        location=f"{rel}:{line}",
        evidence={"file": rel, "line": line, "name": name, "snippet": _mask(snippet)},
        tool="secrets",
        sources=["bdev secret-fallback"],
    )


def _mask(text: str) -> str:
    """String literals cut to their first 3 characters: show where, never spread it."""
    return re.sub(r"""(['"])([^'"]{0,3})[^'"]*\1""", r"\1\2***\1", text)
