"""A sum over no rows is 0 in the answer's SQL, as the JSON it feeds expects.

SQL's `SUM` of no rows is NULL, not 0. Asked to fold a per-row query into one JOIN
(change task 12 at `9472785`), the model wrote `LEFT JOIN orders ... SUM(o.total_cents)`
where the code it replaced had `coalesce(sum(total_cents), 0)`: a customer without
orders then got `"total_cents": null`. In the literal SQL of the functions the model
wrote, a bare `SUM(...)` becomes `COALESCE(SUM(...), 0)`; one already inside
`COALESCE(`/`IFNULL(` stays. Nothing changes when the request speaks of null or None
(then NULL may be what it wants). SQL built at run time and ORM expressions
(`func.sum`) are not touched: their text is not certain before they run.
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.fill.nodes import nodes_in_functions, parsed

_SUM = re.compile(r"\bSUM\s*\(", re.I)
_DEFAULTED = re.compile(r"\b(?:COALESCE|IFNULL|ISNULL|NVL)\s*\(\s*$", re.I)
_QUERY = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b", re.I)  # SQL, not a docstring
_SPEAKS_OF_NULL = re.compile(r"\bnull\b|\bNone\b", re.I)


def zero_sums(source: str, functions: set[str], request: str) -> str:
    """`source` with each bare SUM in the literal SQL of `functions` defaulting to 0."""
    if _SPEAKS_OF_NULL.search(request):
        return source
    tree = parsed(source)
    if tree is None:
        return source
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []  # (line, column in characters, old text)
    for node in nodes_in_functions(tree, functions):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _SUM.search(node.value)
            and _QUERY.search(node.value)
            and (text := ast.get_source_segment(source, node)) is not None
            and len(_SUM.findall(text)) == len(_SUM.findall(node.value))
        ):
            edits.append((node.lineno, _column(lines, node), text))
    out = source
    for line, column, text in sorted(edits, reverse=True):
        start = sum(len(ln) for ln in lines[: line - 1]) + column
        out = out[:start] + _defaulted(text) + out[start + len(text) :]
    return out


def _column(lines: list[str], node: ast.expr) -> int:
    """The node's start column in characters (ast counts UTF-8 bytes)."""
    return len(lines[node.lineno - 1].encode("utf-8")[: node.col_offset].decode("utf-8"))


def _defaulted(sql: str) -> str:
    """`sql` with every SUM(...) not already inside COALESCE/IFNULL wrapped in one."""
    out, at = [], 0
    for match in _SUM.finditer(sql):
        if match.start() < at or _DEFAULTED.search(sql[: match.start()]):
            continue
        end = _closing(sql, match.end())
        if end is None:
            continue
        out += [sql[at : match.start()], f"COALESCE({sql[match.start() : end]}, 0)"]
        at = end
    return "".join([*out, sql[at:]])


def _closing(sql: str, start: int) -> int | None:
    """The index just after the `)` that closes the `(` before `start`."""
    depth = 1
    for i in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[i], 0)
        if depth == 0:
            return i + 1
    return None
