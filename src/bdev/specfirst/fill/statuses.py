"""Errors a handler raises that its operation does not document.

The spec is the contract: a client of `GET /pages/{name}` that documents only 200 does not
expect a 404, and the task's words usually say why ("a page nobody visited has 0 visits,
not an error"). A small model raises 404 for anything missing by habit, so a literal
`raise ApiError(404, ...)` the operation does not document is sent back with the
statuses it does document. Statuses any handler may need stay allowed: 400/422 for bad
input, 401/403 where the route checks credentials, 500; so does any status the task's
words name (a spec that forgot its 404 while the task asks for one), and everything when
the operation documents a `default` response.
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.plan import Operation

_ALWAYS = frozenset({400, 422, 500})


def undocumented_errors(body: str, op: Operation, describe: str = "") -> list[str]:
    """One problem per undocumented status the body raises (a literal first argument)."""
    if "default" in op.responses:
        return []
    try:
        tree = ast.parse(body)
    except SyntaxError:
        return []  # compile reports it
    allowed = {int(s) for s in op.responses if s.isdigit()} | _ALWAYS
    allowed |= {int(n) for n in re.findall(r"\b([1-5]\d\d)\b", describe)}
    ranges = {s[0] for s in op.responses if s.upper().endswith("XX")}
    if op.security:
        allowed |= {401, 403}
    problems: dict[int, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        call = node.exc
        if not (isinstance(call.func, ast.Name) and call.func.id == "ApiError" and call.args):
            continue
        status = call.args[0]
        if not (isinstance(status, ast.Constant) and type(status.value) is int):
            continue
        if status.value in allowed or status.value in problems or str(status.value)[0] in ranges:
            continue
        documented = ", ".join(sorted(s for s in op.responses if s.isdigit())) or "none"
        problems[status.value] = (
            f"line {node.lineno}: {op.method.upper()} {op.path} documents no "
            f"{status.value} (its responses: {documented}); reread the requirements: "
            f"that case is not an error here, or it is one of those"
        )
    return list(problems.values())
