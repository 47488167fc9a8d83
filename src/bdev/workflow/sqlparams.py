"""Request values formatted into SQL text become SQL parameters.

Asked to close an injection in

    where = f"lower(email) LIKE '%@{domain.lower()}'"
    sql = f"SELECT ... WHERE {where}"
    if status:
        sql += f" AND status = '{status}'"
    return rows(sql + " ORDER BY name")

a 1.5B model rewrites the lines around the f-strings and keeps the f-strings, however
the remedy is put to it. The rewrite is mechanical, so the program makes it:

    sql_params: dict[str, object] = {}
    sql_params["domain"] = "%@" + _like(domain.lower())
    where = "lower(email) LIKE :domain ESCAPE '\\'"
    ...
    return rows(sql + " ORDER BY name", sql_params)

Each quoted SQL literal holding a request value (a handler parameter, a value read from
`request`, or a name computed from one) becomes a named parameter; so does an unquoted
value compared with `=`, `<`, `LIKE` ..., or given to `LIMIT`/`OFFSET`. Inside a LIKE
pattern the value's own `%`, `_` and `\\` are escaped, so it matches as the text it is
(the pattern's `%` from the code keeps its meaning). The parameters reach the query
through the call that runs it: `.execute(sql)` or a helper of the module taking the
SQL and its arguments (`rows(sql, args=())`).

Only sqlite3 code (named `:name` parameters) and only when every step is certain: a
value built in a loop, SQL that already has `?` parameters, or a query run where the
parameters cannot be passed leaves the code as it was, and the model's own answer is
checked as before. Hand-written: SQL fragments are split on quotes, which is all the
SQL a handler formats needs; no SQL parser is needed for that.
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.fill.nodes import is_docstring

PARAMS = "sql_params"

# SQL text: its keywords (AND and OR only in capitals: in lower case they are English).
_SQL_WORDS = re.compile(
    r"(?i:\b(?:SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WHERE|LIKE|ORDER\s+BY)\b)|\b(?:AND|OR)\b"
)
_SQLITE = re.compile(r"^\s*(?:import sqlite3|from sqlite3 import)", re.M)
# Before an unquoted value: a comparison, LIKE, LIMIT or OFFSET.
_COMPARED = re.compile(r"(?:=|<>|!=|<|>|\bLIKE|\bLIMIT|\bOFFSET)\s*$", re.I)
# Before an opening quote: LIKE and any functions wrapped round the pattern.
_LIKE_BEFORE = re.compile(r"\bLIKE\s*((?:\w+\s*\(\s*)*)$", re.I)
_SIMPLE = ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Return | ast.Expr
_LOOPS = ast.For | ast.AsyncFor | ast.While | ast.comprehension | ast.Lambda

# A piece of a SQL string expression: literal text, or a value formatted into it.
Piece = str | ast.expr


def parameterize(source: str, functions: set[str]) -> str:
    """`source` with request values in the SQL text of `functions` passed as parameters;
    unchanged when there is nothing to do or any step is uncertain (see the docstring)."""
    if not functions or not _SQLITE.search(source):
        return source
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    helpers = _sql_helpers(tree)
    edits: list[tuple[int, int, int, str]] = []  # start, end, order, text
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions:
            found = _Function(node, helpers, lines).edits()
            if found is None:
                return source
            edits += found
    if not edits:
        return source
    text = source
    for start, end, _, new in sorted(edits, key=lambda e: (e[0], e[2]), reverse=True):
        text = text[:start] + new + text[end:]
    try:
        ast.parse(text)
    except SyntaxError:
        return source
    return text


def _sql_helpers(tree: ast.Module) -> set[str]:
    """The module's functions that take SQL and its arguments: two or more positional
    parameters, the second passed on to an `.execute(...)`."""
    found = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or len(node.args.args) < 2:
            continue
        second = node.args.args[1].arg
        for call in ast.walk(node):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "execute"
                and len(call.args) >= 2
                and isinstance(call.args[1], ast.Name)
                and call.args[1].id == second
            ):
                found.add(node.name)
    return found


class _Function:
    """The rewrite of one handler: which values are request data, which SQL strings hold
    them, and where the parameters are declared, filled and passed."""

    def __init__(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, helpers: set[str], lines: list[str]
    ) -> None:
        self.node = node
        self.helpers = helpers
        self.lines = lines
        self.offsets = [0]
        for line in lines:
            self.offsets.append(self.offsets[-1] + len(line))
        self.parents = {c: p for p in ast.walk(node) for c in ast.iter_child_nodes(p)}
        self.inputs = _request_values(node)
        self.texts = _text_params(node)
        self.keys: set[str] = set()
        self.found: list[tuple[int, int, int, str]] = []

    def at(self, line: int, col: int) -> int:
        return self.offsets[line - 1] + len(self.lines[line - 1].encode()[:col].decode())

    def add(self, start: int, end: int, text: str) -> None:
        """One edit; edits at one place land in the order they are added."""
        self.found.append((start, end, len(self.found) + 1, text))

    def edits(self) -> list[tuple[int, int, int, str]] | None:
        """The function's edits; [] when it formats no request value into SQL, None when
        it does but the rewrite is not certain."""
        if any(isinstance(n, ast.Name) and n.id == PARAMS for n in ast.walk(self.node)):
            return None
        strings = _sql_strings(self.node, self.parents)
        if any("?" in _text(_pieces(expr)) for _, expr in strings):
            return None  # `?` parameters already: sqlite3 takes one style per query
        rewritten = [expr for statement, expr in strings if self._rewrite(statement, expr)]
        if not rewritten:
            return []
        if not self._pass_params(rewritten):
            return None
        body = self.node.body
        first = body[1] if is_docstring(body[0]) and len(body) > 1 else body[0]
        indent = self.lines[first.lineno - 1][: first.col_offset]
        start = self.at(first.lineno, 0)
        self.found.append((start, start, 0, f"{indent}{PARAMS}: dict[str, object] = {{}}\n"))
        return self.found

    def _is_input(self, expr: ast.expr) -> bool:
        return any(isinstance(n, ast.Name) and n.id in self.inputs for n in ast.walk(expr))

    def _rewrite(self, statement: ast.stmt, expr: ast.expr) -> bool:
        """Edit one SQL string and fill its values into the parameters just before its
        statement; False (no edit) when it holds no request value, or when that cannot be
        done with certainty."""
        pieces = _pieces(expr)
        if not any(isinstance(p, ast.expr) and self._is_input(p) for p in pieces):
            return False
        if not isinstance(statement, _SIMPLE) or _in_loop(self.node, statement, self.parents):
            return False
        line = self.lines[statement.lineno - 1]
        if line[: statement.col_offset].strip():
            return False  # `if x: sql += ...` on one line
        sql, values = self._split(pieces)
        if sql is None or not values:
            return False
        indent = line[: statement.col_offset]
        start = self.at(statement.lineno, 0)
        for key, value in values:
            self.add(start, start, f"{indent}{PARAMS}[{key!r}] = {value}\n")
        self.add(
            self.at(expr.lineno, expr.col_offset),
            self.at(expr.end_lineno or expr.lineno, expr.end_col_offset or 0),
            sql,
        )
        return True

    def _split(self, pieces: list[Piece]) -> tuple[str | None, list[tuple[str, str]]]:
        """The SQL string's new source and its parameters (key, value source); None when
        its quotes do not pair up (text, not SQL) or a LIKE pattern cannot be closed."""
        out: list[Piece] = []  # the new string's pieces
        values: list[tuple[str, str]] = []
        quoted: list[Piece] | None = None  # the pieces of an open quoted literal
        closing: int | None = None  # `)` still to pass before a LIKE's ESCAPE clause
        for piece in pieces:
            if isinstance(piece, ast.expr):
                if closing is not None:
                    return None, []
                if quoted is not None:
                    quoted.append(piece)
                elif self._is_input(piece) and _COMPARED.search(_text(out)):
                    key = self._key(piece)
                    values.append((key, ast.unparse(piece)))
                    out.append(f":{key}")
                else:
                    out.append(piece)
                continue
            for char in piece:
                if closing:
                    if char == ")":
                        closing -= 1
                    elif not char.isspace():
                        return None, []
                    out.append(char)
                    if closing == 0:
                        out.append(_ESCAPE)
                        closing = None
                    continue
                if char != "'":
                    (quoted if quoted is not None else out).append(char)
                elif quoted is None:
                    quoted = []
                elif not any(isinstance(p, ast.expr) and self._is_input(p) for p in quoted):
                    out += ["'", *quoted, "'"]  # a literal of the code's own
                    quoted = None
                else:
                    like = _LIKE_BEFORE.search(_text(out))
                    first = next(p for p in quoted if isinstance(p, ast.expr))
                    key = self._key(first)
                    values.append((key, _literal_value(quoted, self.texts, like is not None)))
                    out.append(f":{key}")
                    quoted = None
                    if like is not None:
                        closing = like.group(1).count("(")
                        if closing == 0:
                            out.append(_ESCAPE)
                            closing = None
        if quoted is not None or closing is not None:
            return None, []
        return _source(out), values

    def _key(self, expr: ast.expr) -> str:
        names = [n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and n.id in self.inputs]
        base = names[0] if names else "value"
        key, n = base, 2
        while key in self.keys:
            key, n = f"{base}_{n}", n + 1
        self.keys.add(key)
        return key

    def _pass_params(self, rewritten: list[ast.expr]) -> bool:
        """Add the parameters to every call that runs the rewritten SQL; False when there
        is none, or one that already has arguments."""
        carriers = _carriers(self.node, rewritten)
        runs = 0
        for call in ast.walk(self.node):
            if not isinstance(call, ast.Call) or not call.args:
                continue
            runs_sql = (isinstance(call.func, ast.Attribute) and call.func.attr == "execute") or (
                isinstance(call.func, ast.Name) and call.func.id in self.helpers
            )
            if not runs_sql or not _mentions(call.args[0], carriers, rewritten):
                continue
            if len(call.args) != 1 or call.keywords:
                return False
            end = self.at(call.args[0].end_lineno or 0, call.args[0].end_col_offset or 0)
            self.add(end, end, f", {PARAMS}")
            runs += 1
        return runs > 0


_ESCAPE = " ESCAPE '\\'"
# String methods whose result is text whenever their subject is.
_TEXT_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title"})


def _request_values(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The handler's parameters, names read from `request`, and names computed from
    either (but not SQL text built from them)."""
    args = function.args
    found = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} - {"self", "cls"}
    found.add("request")
    changed = True
    while changed:
        changed = False
        for node in ast.walk(function):
            if not (
                isinstance(node, ast.Assign | ast.AnnAssign)
                and node.value is not None
                and isinstance(target := _target(node), ast.Name)
                and target.id not in found
            ):
                continue
            if _SQL_WORDS.search(_text(_pieces(node.value))):
                continue
            if any(isinstance(n, ast.Name) and n.id in found for n in ast.walk(node.value)):
                found.add(target.id)
                changed = True
    return found


def _text_params(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters annotated `str` (or `str | None`): formatted, they are their own text."""
    args = function.args
    return {
        a.arg
        for a in args.posonlyargs + args.args + args.kwonlyargs
        if a.annotation is not None
        and ast.unparse(a.annotation).replace(" ", "") in ("str", "str|None", "Optional[str]")
    }


def _target(node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> ast.expr | None:
    if isinstance(node, ast.Assign):
        return node.targets[0] if len(node.targets) == 1 else None
    return node.target


def _sql_strings(
    function: ast.FunctionDef | ast.AsyncFunctionDef, parents: dict[ast.AST, ast.AST]
) -> list[tuple[ast.stmt, ast.expr]]:
    """Every outermost string expression with SQL in its text (an f-string, or `+` of
    strings), with the statement it is in, in source order."""
    found = []
    for node in ast.walk(function):
        if not isinstance(node, ast.JoinedStr | ast.BinOp):
            continue
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.BinOp | ast.FormattedValue):
            continue  # part of a larger one
        if not _SQL_WORDS.search(_text(_pieces(node))):
            continue
        statement: ast.AST | None = parent
        while statement is not None and not isinstance(statement, ast.stmt):
            statement = parents.get(statement)
        if isinstance(statement, ast.stmt):
            found.append((statement, node))
    return sorted(found, key=lambda f: (f[1].lineno, f[1].col_offset))


def _pieces(expr: ast.expr) -> list[Piece]:
    """A string expression as literal text and the values formatted into it."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.JoinedStr):
        out: list[Piece] = []
        for value in expr.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.append(value.value)
            elif isinstance(value, ast.FormattedValue):
                plain = value.conversion == -1 and value.format_spec is None
                out.append(value.value if plain else ast.JoinedStr([value]))
        return out
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _pieces(expr.left) + _pieces(expr.right)
    return [expr]


def _text(pieces: list[Piece]) -> str:
    return "".join(p if isinstance(p, str) else "{}" for p in pieces)


def _merged(pieces: list[Piece]) -> list[Piece]:
    """`pieces` with neighbouring text joined into one string."""
    out: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _source(pieces: list[Piece]) -> str:
    """Source of a string made of `pieces`: a plain literal, or an f-string."""
    merged = _merged(pieces)
    if all(isinstance(p, str) for p in merged):
        return repr(_text(merged))
    values: list[ast.expr] = [
        ast.Constant(p) if isinstance(p, str) else ast.FormattedValue(p, -1, None) for p in merged
    ]
    return ast.unparse(ast.JoinedStr(values))


def _literal_value(quoted: list[Piece], texts: set[str], escape: bool) -> str:
    """Source of the text a quoted literal held, as one `+` of its parts; inside a LIKE
    pattern the formatted values have their wildcards escaped."""
    parts: list[ast.expr] = []
    for piece in _merged(quoted):
        if isinstance(piece, str):
            parts.append(ast.Constant(piece))
            continue
        value = piece if _is_text(piece, texts) else _call("str", piece)
        if escape:
            for old, new in (("\\", "\\\\"), ("%", "\\%"), ("_", "\\_")):
                value = ast.Call(
                    ast.Attribute(value, "replace", ast.Load()),
                    [ast.Constant(old), ast.Constant(new)],
                    [],
                )
        parts.append(value)
    joined = parts[0]
    for part in parts[1:]:
        joined = ast.BinOp(joined, ast.Add(), part)
    return ast.unparse(joined)


def _is_text(expr: ast.expr, texts: set[str]) -> bool:
    """Whether the value is certainly a str already (so `str(...)` would be noise)."""
    if isinstance(expr, ast.Name):
        return expr.id in texts
    if isinstance(expr, ast.JoinedStr):
        return True
    return (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in _TEXT_METHODS
        and _is_text(expr.func.value, texts)
    )


def _call(name: str, arg: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), [arg], [])


def _carriers(
    function: ast.FunctionDef | ast.AsyncFunctionDef, rewritten: list[ast.expr]
) -> set[str]:
    """Names that hold (part of) a rewritten SQL string."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in ast.walk(function):
            if not isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                continue
            target = _target(node)
            if (
                isinstance(target, ast.Name)
                and target.id not in found
                and node.value is not None
                and _mentions(node.value, found, rewritten)
            ):
                found.add(target.id)
                changed = True
    return found


def _mentions(expr: ast.AST, names: set[str], nodes: list[ast.expr]) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id in names) or any(n is m for m in nodes)
        for n in ast.walk(expr)
    )


def _in_loop(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    statement: ast.stmt,
    parents: dict[ast.AST, ast.AST],
) -> bool:
    node: ast.AST | None = parents.get(statement)
    while node is not None and node is not function:
        if isinstance(node, _LOOPS):
            return True
        node = parents.get(node)
    return False
