"""The keys a handler returns from SQL rows are its SELECT's column names.

A request that spells out its response, "a JSON list of `{"book_id", "title",
"borrowed_at"}`", is often answered with `SELECT b.id, b.title, l.borrowed_at ...` and
`dict(row)`: the rows come back with `id`, not `book_id`, and every client reading
`book_id` breaks. `alias_columns` names such a column as the request does
(`b.id AS book_id`) when exactly one unnamed column can be the missing field (its name
ends the field's: `id` for `book_id`) and no table the statement reads has the field
itself (then `loans.id` is not the book's id); anything less certain is left as it is.
Hand-written: the select list is split on its top-level commas, which covers the
plain column lists handlers write; no SQL parser is needed for that.
"""

from __future__ import annotations

import ast
import re

from bdev.workflow.sqlcheck import table_columns

# A brace group of quoted names, optionally with values: {"book_id", "title"} or
# {"id": 1, "title": "..."}. One after the word "body" describes a request, not a reply.
_BRACES = re.compile(r"""\{\s*("\w+"\s*(?::[^,{}]*)?(?:,\s*"\w+"\s*(?::[^,{}]*)?)*)\}""")
_NAME = re.compile(r'"(\w+)"\s*(?::[^,{}]*)?')
_BODY_BEFORE = re.compile(r"\bbody\W+(?:\w+\W+){0,2}$", re.I)
_SELECT = re.compile(r"^\s*SELECT\s+(?:DISTINCT\s+)?(.*?)\s+FROM\s", re.I | re.S)
_ALIASED = re.compile(r"\s+(?:AS\s+)?[\"'`]?(\w+)[\"'`]?\s*$", re.I)
# A table after FROM or JOIN, with its alias if it has one.
_FROM = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.I)
_KEYWORDS = frozenset(
    {
        "WHERE",
        "JOIN",
        "LEFT",
        "RIGHT",
        "INNER",
        "OUTER",
        "CROSS",
        "ON",
        "GROUP",
        "ORDER",
        "LIMIT",
        "USING",
        "NATURAL",
        "HAVING",
        "UNION",
    }
)
_COLUMN = re.compile(r"^(?:\w+\.)?(\w+)$")


def response_fields(request: str) -> list[str]:
    """The field names of the one response shape the request spells out in braces;
    [] when it spells out none, or more than one."""
    found = [
        [n.group(1) for n in _NAME.finditer(m.group(1))]
        for m in _BRACES.finditer(request)
        if not _BODY_BEFORE.search(request[: m.start()].replace("`", ""))
    ]
    return found[0] if len(found) == 1 else []


def alias_columns(source: str, functions: set[str], fields: list[str]) -> str:
    """`source` with, in the SQL strings of `functions`, a column renamed to the field
    the request names in its place (see the module docstring)."""
    if not fields or not functions:
        return source
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    tables = table_columns(source)
    edits: list[tuple[ast.Constant, str, str]] = []  # the literal, its SQL, the new SQL
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions:
            for const in ast.walk(node):
                if isinstance(const, ast.Constant) and isinstance(const.value, str):
                    sql = _aliased(const.value, fields, tables)
                    if sql is not None:
                        edits.append((const, const.value, sql))
    lines = source.splitlines(keepends=True)
    for const, old, sql in sorted(
        edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True
    ):
        if const.lineno != const.end_lineno:
            continue  # a multi-line literal: its quoting is not worth redoing here
        line = lines[const.lineno - 1].encode()
        start, end = const.col_offset, const.end_col_offset or 0
        literal = line[start:end].decode()
        if literal[:1] not in ("'", '"') or old not in literal:
            continue  # a prefixed or escaped literal: left alone
        new = literal.replace(old, sql, 1).encode()
        lines[const.lineno - 1] = (line[:start] + new + line[end:]).decode()
    return "".join(lines)


def _aliased(sql: str, fields: list[str], tables: dict[str, list[str]]) -> str | None:
    """`sql` with its one candidate column aliased, or None when nothing is certain (or
    when a table it reads has the field itself: then that column is what is missing)."""
    match = _SELECT.match(sql)
    if match is None:
        return None
    items = _top_level_split(match.group(1))
    names: list[str | None] = []
    plain: list[bool] = []  # a bare column, no alias
    for item in items:
        column = _COLUMN.match(item.strip())
        alias = None if column else _ALIASED.search(item)
        names.append(column.group(1) if column else alias.group(1) if alias else None)
        plain.append(column is not None)
    if None in names or "*" in match.group(1):
        return None
    missing = [f for f in fields if f not in names]
    if len(missing) != 1:
        return None
    field = missing[0]
    fits = [
        i
        for i, name in enumerate(names)
        if plain[i] and name not in fields and field.endswith(f"_{name}")
    ]
    if len(fits) != 1:
        return None
    item = items[fits[0]]
    if field in tables.get(_table_of(item.strip(), sql) or "", []):
        return None  # its own table has the field: that column is the one to select
    start = match.start(1) + sum(len(i) + 1 for i in items[: fits[0]])
    head, tail = sql[:start], sql[start:]
    renamed = item.rstrip() + f" AS {field}" + item[len(item.rstrip()) :]
    return head + tail.replace(item, renamed, 1)


def _table_of(column: str, sql: str) -> str | None:
    """The table a select-list column comes from: by its qualifier (`b.id`, the table
    or its alias), else the statement's only table; None when unsure."""
    named = {}
    for m in _FROM.finditer(sql):
        table, alias = m.group(1), m.group(2)
        named[table] = table
        if alias and alias.upper() not in _KEYWORDS:
            named[alias] = table
    if "." in column:
        return named.get(column.split(".", 1)[0])
    tables = set(named.values())
    return tables.pop() if len(tables) == 1 else None


def _top_level_split(text: str) -> list[str]:
    """`text` split at the commas outside parentheses."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items
