"""Debug mode switched on in the code (CWE-489), for when HTTP alone cannot show it.

A debugger that only wakes on an unhandled error, or a `debug=True` that takes effect in
production because of how the service is launched there, is invisible to a polite probe;
the source still says it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from bdev.backend.audit.results import Finding
from bdev.backend.audit.security.sources import parsed_python_files


def debug_in_code(root: Path) -> list[Finding]:
    findings = []
    for path, rel, source, tree in parsed_python_files(root):
        lines = source.splitlines()
        for node in ast.walk(tree):
            what = _debug_switch(node, settings_file=path.name.startswith("settings"))
            if what:
                line = getattr(node, "lineno", 0)
                findings.append(
                    Finding(
                        cwe="CWE-489",
                        severity="medium",
                        title=f"Debug mode enabled in code: {what}",
                        location=f"{rel}:{line}",
                        evidence={
                            "file": rel,
                            "line": line,
                            "snippet": lines[line - 1].strip() if 0 < line <= len(lines) else "",
                        },
                        tool="ast",
                    )
                )
    return findings


def _debug_switch(node: ast.AST, *, settings_file: bool) -> str:
    """A short description when `node` turns debug mode on, else ""."""
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name == "DebuggedApplication":
            return "Werkzeug DebuggedApplication"
        if name in {"run", "update"} and any(
            k.arg in {"debug", "DEBUG"} and _is_true(k.value) for k in node.keywords
        ):
            return f"{name}(debug=True)"
    if isinstance(node, ast.Assign) and _is_true(node.value):
        for target in node.targets:
            # app.debug = True
            if isinstance(target, ast.Attribute) and target.attr == "debug":
                return "app.debug = True"
            # app.config["DEBUG"] = True
            if isinstance(target, ast.Subscript) and _const(target.slice) == "DEBUG":
                return 'config["DEBUG"] = True'
            # Django: DEBUG = True in settings.py
            if settings_file and isinstance(target, ast.Name) and target.id == "DEBUG":
                return "DEBUG = True in settings"
    return ""


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _const(node: ast.AST) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
