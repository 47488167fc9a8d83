"""The standard remedy for the weakness a change request names, as a line of its prompt.

"Fix the path traversal", "make it run a fixed number of queries", "fix the SQL
injection": a 1.5B model knows these words but not the remedy, and answers with
something that looks busy (`secure_filename` of the request body; a second loop). Each
entry is one well-known fact of how the weakness is closed, chosen by the request's
words and by what the code it changes uses (SQLAlchemy or plain SQL), and made concrete
with the names that code defines where that is certain (the relationships a query could
load at once). A short table of remedies, not of tasks: it names the technique, never
the handler's logic.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Remedy:
    words: re.Pattern[str]  # what the request says
    uses: re.Pattern[str] | None  # what the code must use for the remedy to fit
    text: str


_SQLALCHEMY = re.compile(r"\bsqlalchemy\b")
_PLAIN_SQL = re.compile(r"\b(sqlite3|psycopg2?|pymysql|\.execute\()")

REMEDIES = (
    Remedy(
        re.compile(r"\bpath traversal\b|\boutside (?:its|the|their) (?:folder|dir)", re.I),
        None,
        "keep a requested name inside its folder by resolving it first: base = "
        "os.path.realpath(FOLDER); full = os.path.realpath(os.path.join(base, name)); the "
        "name is inside only if os.path.commonpath([base, full]) == base. Check that before "
        "reading or creating anything, answer the request's error status otherwise, and "
        "use `full` from then on (names with subfolders inside stay valid; "
        "secure_filename and basename would drop their folders)",
    ),
    Remedy(
        re.compile(r"\bSQL injection\b|\binjection\b", re.I),
        _PLAIN_SQL,
        "pass every request value to SQL as a parameter, never by formatting it into the "
        'string: conn.execute("SELECT ... WHERE kind = ? AND name LIKE ?", (kind, "%" + '
        "name)) (sqlite3 writes ?, psycopg %s); the value is then plain text, quotes "
        "included, and a LIKE pattern is built in Python before it is passed",
    ),
    Remedy(
        re.compile(
            r"\bN\s*\+\s*1\b|\bfixed number of (?:SQL )?queries\b|"
            r"\b(?:one|a|an?other|two) (?:more )?(?:SQL )?quer(?:y|ies) "
            r"(?:per|for (?:each|every))\b|"
            r"\bfor (?:each|every) \w+ it runs\b",
            re.I,
        ),
        _PLAIN_SQL,
        "counts and sums per row come from one query: LEFT JOIN the child table on its "
        "parent id and GROUP BY the parent's id, selecting COUNT(child.id) and "
        "COALESCE(SUM(child.amount), 0) (0 for a parent without children), instead of a "
        "query inside the loop",
    ),
    Remedy(
        re.compile(
            r"\bauthori[sz]ation\b|\bIDOR\b|\bother (?:people|users|customers|members)'s\b|"
            r"\bonly (?:see|read|change|edit|update|delete) their own\b",
            re.I,
        ),
        None,
        "object-level authorization: load the row first, then answer as the request says "
        "for someone else's (often 404, as for a missing row, so that its existence does "
        "not leak) unless the caller owns it (the row's owner column equals the current "
        "user) or has the role the request names; a listing filters its query by owner "
        "(WHERE owner = ?) for callers without that role; a field only a role may set "
        "answers 403 for the others before anything is written",
    ),
    Remedy(
        re.compile(r"\bconstant time\b|\btiming\b", re.I),
        None,
        "hmac.compare_digest(a, b) compares two secrets in constant time (both str or both bytes)",
    ),
)


def remedies_for(request: str, code: str | None) -> list[str]:
    """The remedies the request's words call for, that fit the code it changes."""
    out = []
    for remedy in REMEDIES:
        if not remedy.words.search(request):
            continue
        if remedy.uses is not None and not (code and remedy.uses.search(code)):
            continue
        out.append(remedy.text)
    if _N_PLUS_ONE.search(request) and code and _SQLALCHEMY.search(code):
        out += _eager_loading(code)
    return out


_INJECTION = REMEDIES[1].words
_N_PLUS_ONE = REMEDIES[2].words


def closes_injection(request: str) -> bool:
    """Whether the request asks to close an injection."""
    return bool(_INJECTION.search(request))


def _eager_loading(code: str) -> list[str]:
    """SQLAlchemy's remedy for a query per row, with the code's own relationships."""
    loads = [f"{cls}.{attr}" for cls, attr in _relationships(code)]
    if not loads:
        return []
    first = loads[0]
    owner = first.split(".")[0]
    return [
        "SQLAlchemy loads a relationship for every row in one more query with "
        "`from sqlalchemy.orm import selectinload` and "
        f"select({owner}).options(selectinload({first})).order_by(...) "
        f"(this code's relationships: {', '.join(loads)}); the loop then reads "
        "the loaded attribute and runs no query of its own"
    ]


def _relationships(code: str) -> list[tuple[str, str]]:
    """(class, attribute) of every `x = relationship(...)` / `x: Mapped[...] =
    relationship(...)` in the code's classes."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found = []
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for node in cls.body:
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            called = value.func if isinstance(value, ast.Call) else None
            name = getattr(called, "id", None) or getattr(called, "attr", None)
            if isinstance(target, ast.Name) and name == "relationship":
                found.append((cls.name, target.id))
    return found


# Calls that run a query: DB-API's execute, SQLAlchemy's session helpers.
_QUERY_CALLS = frozenset({"execute", "executemany", "scalars", "scalar", "query"})


_TRAVERSAL = REMEDIES[0].words
# A request that keeps names with folders: "names may contain subfolders", "nested paths".
_SUBFOLDERS = re.compile(
    r"\bsub-?(?:folders?|director(?:y|ies)|dirs?)\b|\bnested (?:folders|directories|paths)\b",
    re.I,
)
# Calls that keep only a name's last part: werkzeug's secure_filename turns `2024/q1.csv`
# into `2024_q1.csv`, basename into `q1.csv`.
_FLATTENING = frozenset({"secure_filename", "basename"})


def unremedied(request: str, code: str, functions: set[str]) -> list[str]:
    """What still contradicts the request in the functions the model wrote: a query
    inside a loop when it asks for a fixed number of queries; request values formatted
    into SQL text when it asks to close an injection; a name flattened when it asks to
    close a path traversal and keep subfolders."""
    n_plus_one = bool(_N_PLUS_ONE.search(request))
    injection = bool(_INJECTION.search(request))
    flattening = bool(_TRAVERSAL.search(request) and _SUBFOLDERS.search(request))
    if not (n_plus_one or injection or flattening):
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    problems = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions
        ):
            continue
        for line in _queries_in_loops(node) if n_plus_one else []:
            problems.append(
                f"line {line}: this query runs once per row of the loop around it, and "
                "the request asks for a fixed number of queries: fetch what every row "
                "needs in one query before the loop (see Useful), and only read it "
                "inside the loop"
            )
        for line in _formatted_sql(node) if injection else []:
            problems.append(
                f"line {line}: a request value is formatted into the SQL text, which is "
                "the injection the request asks to close: write ? in the SQL and pass the "
                "value in the parameters tuple (see Useful)"
            )
        for line, call in _flattening_calls(node) if flattening else []:
            problems.append(
                f"line {line}: {call}() drops the folders of a name such as `a/b.txt`, and "
                "the request says names may hold subfolders: keep the name whole, resolve "
                "the joined path and check that it stays inside the folder (see Useful)"
            )
    return problems


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {a.arg for a in function.args.args + function.args.kwonlyargs}


def _flattening_calls(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[int, str]]:
    """(line, name) of the calls in `function` that keep only the last part of one of
    its parameters (the name a route was given)."""
    inputs = _parameters(function)
    found = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in _FLATTENING and any(
            isinstance(n, ast.Name) and n.id in inputs for a in node.args for n in ast.walk(a)
        ):
            found.add((node.lineno, name))
    return sorted(found)


_SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|AND|OR|LIKE|ORDER BY)\b", re.I)


def _formatted_sql(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    """Lines where SQL text is built from request values: an f-string, `%` or `+` with
    SQL words in its literal parts and a parameter of the handler (or a value read from
    `request`) in its formatted parts."""
    inputs = _parameters(function)
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and any(isinstance(n, ast.Name) and n.id == "request" for n in ast.walk(node.value))
        ):
            inputs.add(node.targets[0].id)
    lines = []
    for node in ast.walk(function):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            parts: list[ast.AST] = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            literal = node.left if isinstance(node.left, ast.Constant) else None
            text = literal.value if literal is not None and isinstance(literal.value, str) else ""
            parts = [node.right]
        else:
            continue
        if not _SQL_WORDS.search(text):
            continue
        if any(isinstance(n, ast.Name) and n.id in inputs for p in parts for n in ast.walk(p)):
            lines.append(node.lineno)
    return sorted(set(lines))


def _queries_in_loops(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    """Lines of query calls run once per turn of a loop (not in what it iterates over)."""
    lines = []
    for loop in ast.walk(function):
        inner: list[ast.AST]
        if isinstance(loop, ast.For | ast.While):
            inner = list(loop.body)
        elif isinstance(loop, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            inner = [loop.elt]
        elif isinstance(loop, ast.DictComp):
            inner = [loop.key, loop.value]
        else:
            continue
        for part in inner:
            for call in ast.walk(part):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in _QUERY_CALLS
                ):
                    lines.append(call.lineno)
    return sorted(set(lines))
