"""Values passed to `.execute` match the SQL's placeholders.

Asked for a fixed number of queries (change task 12 at `9472785`), the model wrote the
right JOIN and GROUP BY, and passed `(len(data),)` to SQL without a `?`: sqlite3 raised
"Incorrect number of bindings" on every request, and the answer was lost for it, three
rounds running. Where the SQL is a literal and the values a literal tuple or list, the
count is certain before anything runs:

- SQL without any placeholder: the values cannot be used, so they are dropped (the
  call then means what its SQL says; nothing else in the line changes);
- `?` placeholders and another number of values: the answer goes back, told both counts.

Placeholders are counted outside the SQL's quoted strings; SQL with named (`:name`,
`%(name)s`) or `%s` placeholders, a computed SQL text or computed values are not judged.
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.fill.nodes import nodes_in_functions, parsed

_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_OTHER_STYLES = re.compile(r"(?<![:\w]):[A-Za-z_]|%\(|%s")
_STATEMENT = re.compile(r"^\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b", re.I)


def drop_unused_values(source: str, functions: set[str]) -> str:
    """`source` without the literal values passed with placeholder-free SQL in `functions`."""
    spans = [_values_span(call) for call, count in _literal_calls(source, functions) if not count]
    if not spans:
        return source
    # ast columns count UTF-8 bytes: cut the bytes, then decode
    data = source.encode("utf-8")
    offsets = _line_offsets(data)
    for (start_line, start_col), (end_line, end_col) in sorted(spans, reverse=True):
        start = offsets[start_line - 1] + start_col
        end = offsets[end_line - 1] + end_col
        data = data[:start] + data[end:]
    return data.decode("utf-8")


def miscounted_values(source: str, functions: set[str]) -> list[str]:
    """A problem per `.execute` in `functions` whose `?` count differs from its values'."""
    problems = []
    for call, count in _literal_calls(source, functions):
        given = len(_values(call).elts)
        if count and given != count:
            problems.append(
                f"line {call.lineno}: the SQL has {count} `?` and {given} "
                f"value{'s' if given != 1 else ''} {'are' if given != 1 else 'is'} passed "
                "with it: pass one value for each `?`, in order"
            )
    return problems


def _literal_calls(source: str, functions: set[str]) -> list[tuple[ast.Call, int]]:
    """(call, number of `?`) for each `x.execute("SQL", (v, ...))` in `functions` whose
    SQL is a literal statement with `?` placeholders or none at all."""
    tree = parsed(source)
    if tree is None:
        return []
    found = []
    for node in nodes_in_functions(tree, functions):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "execute"
            and len(node.args) == 2
            and not node.keywords
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and isinstance(node.args[1], ast.Tuple | ast.List)
            and not any(isinstance(e, ast.Starred) for e in node.args[1].elts)
        ):
            continue
        sql = _QUOTED.sub("", node.args[0].value)
        if _STATEMENT.match(node.args[0].value) and not _OTHER_STYLES.search(sql):
            found.append((node, sql.count("?")))
    return found


def _values(call: ast.Call) -> ast.Tuple | ast.List:
    values = call.args[1]
    assert isinstance(values, ast.Tuple | ast.List)  # as _literal_calls chose it
    return values


def _values_span(call: ast.Call) -> tuple[tuple[int, int], tuple[int, int]]:
    """From the end of the SQL argument to the end of the values: `, (x,)` goes, a
    trailing comma or comment after it stays."""
    sql, values = call.args[0], _values(call)
    assert sql.end_lineno is not None and sql.end_col_offset is not None
    assert values.end_lineno is not None and values.end_col_offset is not None
    return (sql.end_lineno, sql.end_col_offset), (values.end_lineno, values.end_col_offset)


def _line_offsets(data: bytes) -> list[int]:
    """Where each line of `data` starts, in bytes."""
    offsets, at = [], 0
    for line in data.splitlines(keepends=True):
        offsets.append(at)
        at += len(line)
    return [*offsets, at]
