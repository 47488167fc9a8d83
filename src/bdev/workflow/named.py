"""The code's own name for a setting the request names.

"Support agents (the usernames listed in `SUPPORT_AGENTS`) may see all tickets": the
request names the environment variable, the code reads it once at import,
`AGENTS = {n.strip() for n in os.environ.get("SUPPORT_AGENTS", "").split(",") ...}`,
and a small model, not connecting the two, invents an `agent` column instead. For
each name the request puts in backticks that the code has only as a string, this says
which module-level variable holds its value, with the line that reads it.
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.fill.nodes import parsed

_BACKTICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")
MAX_LINE = 120


def backticked(text: str) -> list[str]:
    """The identifiers `text` puts in backticks, in order, each once."""
    return list(dict.fromkeys(_BACKTICKED.findall(text)))


def names_for(request: str, code: str | None) -> list[str]:
    """One line per setting the request names that a module variable holds."""
    tree = parsed(code) if code else None
    if code is None or tree is None:
        return []
    defined = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    } | {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    out = []
    for name in backticked(request):
        if name in defined:
            continue
        for node in tree.body:
            target = _assigned(node)
            if target is None or target == name or not _has_string(node, name):
                continue
            line = ast.get_source_segment(code, node) or ""
            line = line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."
            out.append(f"`{target}` holds what the request calls `{name}`: {line}")
            break
    return out


def _assigned(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, ast.AnnAssign):
        target = node.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _has_string(node: ast.AST, text: str) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == text for n in ast.walk(node))
