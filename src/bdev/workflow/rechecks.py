"""A handler's own second check of a rule bdev's `request_rules` already enforces goes.

bdev puts the request's parameter rules on a route as code (`guards`) and asks the model
for the handler's logic only; a small model checks them again anyway, and gets them
wrong: `if sort not in [...]: raise HTTPException(422)` refuses the request that leaves
`sort` out, `... or not email.isalnum()` refuses every address. `drop_rechecks` removes
an `if` whose condition reads only parameters the route's `request_rules` covers (and
the body they come in) and whose only statement answers the very status those rules
answer with: the rule is enforced either way, and right.
"""

from __future__ import annotations

import ast

from bdev.workflow.guards import DECORATOR

# Names a re-check may use besides the parameters and the body: builtins and `re`.
_NEUTRAL = frozenset(
    {"len", "isinstance", "int", "float", "str", "bool", "type", "re", "any", "all", "set"}
)


def drop_rechecks(source: str, functions: set[str]) -> str:
    """`source` with the re-checks of `functions` that carry bdev's rules removed."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    spans: list[tuple[int, int]] = []  # first and last line of each `if` to drop
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions:
            rules = _rules_of(node)
            if rules is not None:
                spans += _rechecks(node, *rules)
    if not spans:
        return source
    lines = source.splitlines(keepends=True)
    for first, last in sorted(spans, reverse=True):
        del lines[first - 1 : last]
    text = "".join(lines)
    try:
        ast.parse(text)  # a block left empty: keep the code as it was
    except SyntaxError:
        return source
    return text


def _rules_of(handler: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, set[str]] | None:
    """(the status, the parameter names) of the handler's `request_rules(...)`."""
    for decorator in handler.decorator_list:
        for call in ast.walk(decorator):
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", "") == DECORATOR):
                continue
            status, names = None, set()
            for kw in call.keywords:
                if kw.arg == "status" and isinstance(kw.value, ast.Constant):
                    status = kw.value.value
                elif kw.arg in ("query", "body") and isinstance(kw.value, ast.Dict):
                    names |= {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
            if isinstance(status, int) and names:
                return status, {str(n) for n in names}
    return None


def _rechecks(
    handler: ast.FunctionDef | ast.AsyncFunctionDef, status: int, names: set[str]
) -> list[tuple[int, int]]:
    bodies = _body_names(handler)
    spans = []
    for node in ast.walk(handler):
        if not isinstance(node, ast.If) or node.orelse or len(node.body) != 1:
            continue
        if _answers(node.body[0]) != status:
            continue
        used = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
        keys = {
            c.value
            for c in ast.walk(node.test)
            if isinstance(c, ast.Constant) and isinstance(c.value, str)
        }
        reads = (used | keys) & names
        if reads and used <= names | bodies | _NEUTRAL:
            spans.append((node.lineno, node.end_lineno or node.lineno))
    return spans


def _body_names(handler: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Variables holding the request's JSON body: `body = request.get_json(...)`, or a
    parameter the framework fills with it."""
    names = {a.arg for a in handler.args.args if a.arg in ("body", "payload", "data")}
    for node in ast.walk(handler):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and "json" in ast.unparse(node.value)
        ):
            names.add(node.targets[0].id)
    return names


def _answers(stmt: ast.stmt) -> int | None:
    """The status a statement answers with: `raise HTTPException(422, ...)`,
    `abort(400)`, `return jsonify(...), 400`; None for anything else."""
    call = None
    if isinstance(stmt, ast.Raise) and isinstance(stmt.exc, ast.Call):
        call = stmt.exc
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
    elif isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Tuple):
        last = stmt.value.elts[-1] if stmt.value.elts else None
        return (
            last.value if isinstance(last, ast.Constant) and isinstance(last.value, int) else None
        )
    if call is None:
        return None
    name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
    if name not in ("HTTPException", "abort"):
        return None
    first = call.args[0] if call.args else None
    for kw in call.keywords:
        if kw.arg in ("status_code", "code"):
            first = kw.value
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, int) else None
