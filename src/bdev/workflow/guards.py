"""The request's stated rules as code in the service: bdev validates, the model implements.

A 1.5B model asked for pagination writes the query well enough, but validates `limit`
with Flask's `type=int`, which turns "abc" into the default instead of a 400, or with
`int()`, which turns it into a 500. Input validation is where a change goes wrong and
where it turns into a weakness (CWE-20), and it is exactly what the request's words
fix (`workflow.stated`). So the program writes it: one small, readable checker in the
module, and on each handler the request names a decorator (Flask) or a dependency
(FastAPI) carrying that route's rules as data. The model's slot is then only the logic.

The checker is plain Python, written once into the module between two marker comments
so a later run replaces it rather than adding a second copy; a person may edit the rules
in the decorator like any other code. Other frameworks get no guard: the rules still
reach the model as a checklist, and bdev's tests still check them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from bdev.backend.openapi import route_shape
from bdev.workflow.stated import Rule, Stated

BEGIN = "# --- request rules: written by bdev from the change request ---"
END = "# --- end of request rules ---"
FOLDED = "# (bdev's request-rules checker and `request_rules` are here: not shown, kept as is)"
DECORATOR = "request_rules"
GUARDED = ("flask", "fastapi")  # the frameworks whose handlers get their rules as code
_ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "route", "api_route"}

_CHECKER = f'''{BEGIN}
def _rule_problem(name, value, rule, from_query=False):
    """Why `value` breaks `rule` (the request's words as a small JSON Schema), or None."""
    import datetime
    import re

    kind = rule.get("type")
    if value is None:
        return None if rule.get("nullable") else f"{{name}} must not be null"
    if from_query and kind in ("integer", "number"):
        text = value.strip()
        if kind == "integer" and not re.fullmatch(r"[+-]?\\d+", text):
            return f"{{name}} must be a whole number"
        try:
            value = int(text) if kind == "integer" else float(text)
        except ValueError:
            return f"{{name}} must be a number"
    if kind == "integer" and type(value) is not int:
        return f"{{name}} must be a whole number"
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"{{name}} must be a number"
    if kind == "string" and not isinstance(value, str):
        return f"{{name}} must be a string"
    if kind == "boolean" and not isinstance(value, bool):
        return f"{{name}} must be true or false"
    if isinstance(value, str) and re.search(r"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]", value):
        return f"{{name}} must not contain control characters"
    if isinstance(value, str) and rule.get("trimmed"):
        value = value.strip()
    if "enum" in rule and value not in rule["enum"]:
        return f"{{name}} must be one of " + ", ".join(map(str, rule["enum"]))
    if "minimum" in rule and value < rule["minimum"]:
        return f"{{name}} must be at least {{rule['minimum']}}"
    if "maximum" in rule and value > rule["maximum"]:
        return f"{{name}} must be at most {{rule['maximum']}}"
    if "minLength" in rule and len(value) < rule["minLength"]:
        return f"{{name}} must have at least {{rule['minLength']}} characters"
    if "maxLength" in rule and len(value) > rule["maxLength"]:
        return f"{{name}} must have at most {{rule['maxLength']}} characters"
    if rule.get("format") == "date":
        try:
            ok = bool(re.fullmatch(r"\\d{{4}}-\\d{{2}}-\\d{{2}}", value))
            ok = ok and datetime.date.fromisoformat(value) is not None
        except ValueError:
            ok = False
        if not ok:
            return f"{{name}} must be a date (YYYY-MM-DD)"
    if rule.get("format") == "email" and not re.fullmatch(
        r"[^@\\s\\x00-\\x1f]+@[^@\\s\\x00-\\x1f]+\\.[^@\\s\\x00-\\x1f]+", value
    ):
        return f"{{name}} must be an email address"
    return None


def _rules_problem(args, body, query, fields, closed):
    """The first rule the request breaks: its query `args`, then its JSON `body`."""
    for name, rule in query.items():
        raw = args.get(name)
        if raw is not None:
            problem = _rule_problem(name, raw, rule, from_query=True)
            if problem:
                return problem
    if not fields:
        return None
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    extra = sorted(set(body) - set(fields)) if closed else []
    if extra:
        return f"{{extra[0]}} is not an accepted field"
    for name, rule in fields.items():
        if name not in body:
            if rule.get("required"):
                return f"{{name}} is required"
            continue
        problem = _rule_problem(name, body[name], rule)
        if problem:
            return problem
        if rule.get("trimmed") and isinstance(body[name], str):
            body[name] = body[name].strip()
    return None
'''

_FLASK = f'''

def {DECORATOR}(status=400, closed=False, query=None, body=None):
    """Answer `status` with {{"error": ...}} when the request breaks the route's rules."""
    import functools

    def wrap(handler):
        @functools.wraps(handler)
        def checked(*args, **kwargs):
            from flask import jsonify, request

            data = request.get_json(silent=True) if body else None
            problem = _rules_problem(request.args, data, query or {{}}, body or {{}}, closed)
            if problem:
                return jsonify(error=problem), status
            return handler(*args, **kwargs)

        return checked

    return wrap
{END}
'''

_FASTAPI = f'''

def {DECORATOR}(status=422, closed=False, query=None, body=None):
    """A dependency answering `status` when the request breaks the route's rules."""
    from fastapi import Depends, HTTPException, Request

    async def check(request: Request) -> None:
        data = None
        if body:
            try:
                data = await request.json()
            except ValueError:
                data = None
        problem = _rules_problem(request.query_params, data, query or {{}}, body or {{}}, closed)
        if problem:
            raise HTTPException(status_code=status, detail=problem)

    return Depends(check)
{END}
'''


@dataclass
class Guarded:
    text: str
    routes: list[str]  # "GET /events" for each handler that got its rules


def guard(source: str, stated: Stated, framework: str | None) -> Guarded:
    """`source` with the checker and each named handler's rules in place (replacing
    bdev's earlier ones); unchanged for other frameworks or when no handler is found."""
    if framework not in GUARDED or not stated.rules:
        return Guarded(source, [])
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return Guarded(source, [])
    edits: list[tuple[int, int, list[str]]] = []  # (first line, last line, new lines)
    routes: list[str] = []
    lines = source.splitlines()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        route = route_of(node)
        if route is None:
            continue
        rules = stated.for_route(*route)
        if not rules or all(r.route is None for r in rules):
            continue
        status = stated.error_status or (400 if framework == "flask" else 422)
        call = _call(rules, stated, status)
        edit = _edit(lines, node, framework, call)
        if edit is not None:
            edits.append(edit)
            routes.append(f"{route[0]} {route[1]}")
    if not edits:
        return Guarded(source, [])
    for first, last, new in sorted(edits, reverse=True):
        lines[first - 1 : last] = new
    text = _with_checker("\n".join(lines) + "\n", framework)
    return Guarded(text, routes)


def folded(source: str) -> str:
    """`source` with the checker's body left out, for a prompt: the model needs to know it
    is there, not to read (and echo back) its ninety lines."""
    if BEGIN not in source or END not in source:
        return source
    before, _, rest = source.partition(BEGIN)
    _, _, after = rest.partition(END)
    return f"{before}{FOLDED}{after}"


def reading_hint(stated: Stated, framework: str | None) -> str:
    """How the handler reads a checked value, in the framework's usual words: a small
    model told only "the values are checked" re-checks them, often wrongly (it tested
    `isinstance(limit, int)` on the query string and refused every request)."""
    examples = []
    for rule in stated.rules[:2]:
        default = rule.schema.get("default")
        cast = {"integer": "int", "number": "float"}.get(rule.kind or "")
        if rule.where == "query" and framework == "flask":
            args = [repr(rule.name)] + ([repr(default)] if default is not None else [])
            args += [f"type={cast}"] if cast else []
            examples.append(f"`{rule.name} = request.args.get({', '.join(args)})`")
        elif rule.where == "query":
            kind = cast or "str"
            value = repr(default) if default is not None else "None"
            hint = kind if default is not None else f"{kind} | None"
            examples.append(f"a parameter `{rule.name}: {hint} = {value}`")
        elif framework == "flask":
            examples.append(f'`request.get_json()["{rule.name}"]`')
    return "; ".join(examples)


def route_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, str] | None:
    """(METHOD, path shape) of a handler's route decorator: `@app.get("/x")`,
    `@bp.route("/x", methods=["POST"])`; None when it has none or several methods."""
    for decorator in node.decorator_list:
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
            continue
        name = decorator.func.attr
        if name not in _ROUTE_METHODS or not decorator.args:
            continue
        path = decorator.args[0]
        if not (isinstance(path, ast.Constant) and isinstance(path.value, str)):
            continue
        if name in ("route", "api_route"):
            methods = next((k.value for k in decorator.keywords if k.arg == "methods"), None)
            names = (
                [e.value for e in methods.elts if isinstance(e, ast.Constant)]
                if isinstance(methods, ast.List | ast.Tuple)
                else ["GET"]
            )
            if len(names) != 1:
                return None
            method = str(names[0]).upper()
        else:
            method = name.upper()
        return method, route_shape(path.value)
    return None


def _call(rules: list[Rule], stated: Stated, status: int) -> str:
    query = {r.name: _schema(r) for r in rules if r.where == "query"}
    body = {r.name: _schema(r) for r in rules if r.where == "body"}
    args = [f"status={status}"]
    if stated.closed and body:
        args.append("closed=True")
    if query:
        args.append(f"query={query!r}")
    if body:
        args.append(f"body={body!r}")
    return f"{DECORATOR}({', '.join(args)})"


def _schema(rule: Rule) -> dict[str, Any]:
    schema = {k: v for k, v in rule.schema.items() if k not in ("example", "default")}
    if rule.nullable:
        schema["nullable"] = True
    if rule.trimmed:
        schema["trimmed"] = True
    if rule.required:
        schema["required"] = True
    return schema


def _edit(
    lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef, framework: str, call: str
) -> tuple[int, int, list[str]] | None:
    """The lines of the handler's decorators with its rules attached: a decorator under
    the route's (Flask), or `dependencies=[...]` in the route's call (FastAPI)."""
    decorators = node.decorator_list
    first, last = decorators[0].lineno, node.lineno - 1
    head = [
        line
        for d in decorators
        if not _is_ours(d)
        for line in lines[d.lineno - 1 : (d.end_lineno or d.lineno)]
    ]
    indent = re.match(r"\s*", lines[first - 1]).group(0)  # type: ignore[union-attr]
    if framework == "flask":
        route = next(i for i, d in enumerate(decorators) if not _is_ours(d) and _route_of_one(d))
        offset = sum(
            (d.end_lineno or d.lineno) - d.lineno + 1
            for d in decorators[: route + 1]
            if not _is_ours(d)
        )
        return first, last, [*head[:offset], f"{indent}@{call}", *head[offset:]]
    # FastAPI: the route decorator's own call gets the dependency.
    for d in decorators:
        if not _route_of_one(d) or not isinstance(d, ast.Call):
            continue
        keywords = [k for k in d.keywords if k.arg == "dependencies"]
        if keywords and DECORATOR not in ast.unparse(keywords[0].value):
            return None  # the route has dependencies of its own: leave them be
        kept = [k for k in d.keywords if k.arg != "dependencies"]
        new = ast.Call(d.func, d.args, [*kept, ast.keyword("dependencies", _parse(f"[{call}]"))])
        rest = [
            line
            for other in decorators
            if other is not d
            for line in lines[other.lineno - 1 : (other.end_lineno or other.lineno)]
        ]
        return first, last, [f"{indent}@{ast.unparse(new)}", *rest]
    return None


def _route_of_one(decorator: ast.expr) -> bool:
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in _ROUTE_METHODS
    )


def _is_ours(decorator: ast.expr) -> bool:
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Name)
        and decorator.func.id == DECORATOR
    )


def _parse(expression: str) -> ast.expr:
    return ast.parse(expression, mode="eval").body


def _with_checker(source: str, framework: str) -> str:
    """`source` with the checker between its markers, after the imports: replaced when
    it is there already."""
    block = _CHECKER + (_FLASK if framework == "flask" else _FASTAPI)
    if FOLDED in source and BEGIN not in source:  # a whole-file answer to a folded prompt
        return source.replace(FOLDED, block.strip("\n"), 1)
    if BEGIN in source and END in source:
        before, _, rest = source.partition(BEGIN)
        _, _, after = rest.partition(END)
        return before + block.rstrip("\n") + after
    tree = ast.parse(source)
    ends = [
        n.end_lineno or n.lineno
        for n in tree.body
        if isinstance(n, ast.Import | ast.ImportFrom)
        or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and n is tree.body[0])
    ]
    at = max(ends) if ends else 0
    lines = source.splitlines()
    return "\n".join([*lines[:at], "", "", *block.strip("\n").splitlines(), "", *lines[at:]]) + "\n"
