"""How a service's routes identify their caller, to show a small model writing a new route.

Asked for `GET /me/loans` "with the same bearer token as borrowing", a 1.5B model took the
member's id as a query parameter (anyone could read anyone's loans) although `borrow`,
a few lines above, takes it from the token's dependency. The program reads that idiom
from the file instead of hoping the model does:

    FastAPI  a route parameter `member: Annotated[int, Depends(member_id)]` (or
             `= Depends(...)`, `Security(...)`) whose dependency reads credentials or
             answers 401;
    Flask    a decorator defined in the file that reads credentials or answers 401
             (`@token_required`), or one named for logins (`@login_required`).

Only the file's own source is read (an AST pass, nothing runs).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "route", "api_route"})
_CREDENTIAL_WORDS = re.compile(
    r"Authorization|HTTPBearer|HTTPAuthorizationCredentials|OAuth2|APIKey|Security|"
    r"token|api_key|x-api-key|session\s*\[|session\.get\(|current_user|401",
    re.IGNORECASE,
)
_LOGIN_DECORATOR = re.compile(r"login|auth|token|require", re.IGNORECASE)


@dataclass(frozen=True)
class CallerIdiom:
    route: str  # the existing route function that shows it
    text: str  # the parameter or decorator, as written there
    kind: str  # "parameter" or "decorator"

    def hint(self) -> str:
        if self.kind == "parameter":
            return (
                f"Routes in this file that need the caller take it as a parameter, as "
                f"`{self.route}` does: `{self.text}`. A new route that acts for the caller "
                "takes it the same way; never as a query or path parameter."
            )
        return (
            f"Routes in this file that need the caller are decorated `@{self.text}`, as "
            f"`{self.route}` is. A new route that acts for the caller uses it too."
        )


def caller_idiom(source: str) -> CallerIdiom | None:
    """The first route in `source` that identifies its caller, and how it does."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    credential = {name for name, fn in functions.items() if _reads_credentials(source, fn)}
    found: list[CallerIdiom] = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or not _is_route(fn):
            continue
        for arg in [*fn.args.args, *fn.args.kwonlyargs]:
            text = _parameter_text(source, fn, arg)
            if text and any(name in credential for name in _dependencies(text)):
                found.append(CallerIdiom(fn.name, text, "parameter"))
        for decorator in fn.decorator_list:
            name = _decorator_name(decorator)
            if name and (name in credential or _LOGIN_DECORATOR.search(name)):
                found.append(CallerIdiom(fn.name, ast.unparse(decorator), "decorator"))
    # A route that names the caller (`member: ...`) shows more than one that discards it.
    named = [f for f in found if not f.text.startswith("_")]
    return next(iter(named or found), None)


def _is_route(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in fn.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in _ROUTE_METHODS:
            return True
    return False


def _reads_credentials(source: str, fn: ast.FunctionDef) -> bool:
    return bool(_CREDENTIAL_WORDS.search(ast.get_source_segment(source, fn) or ""))


def _parameter_text(
    source: str, fn: ast.FunctionDef | ast.AsyncFunctionDef, arg: ast.arg
) -> str | None:
    """`name: annotation = default` of one parameter, as written."""
    annotation = ast.get_source_segment(source, arg.annotation) if arg.annotation else None
    default = _default_of(fn, arg)
    text = arg.arg + (f": {annotation}" if annotation else "")
    if default is not None:
        text += f" = {ast.get_source_segment(source, default)}"
    return text if "Depends(" in text or "Security(" in text else None


def _default_of(fn: ast.FunctionDef | ast.AsyncFunctionDef, arg: ast.arg) -> ast.expr | None:
    positional = fn.args.args
    if arg in positional:
        offset = len(positional) - len(fn.args.defaults)
        index = positional.index(arg) - offset
        return fn.args.defaults[index] if index >= 0 else None
    index = fn.args.kwonlyargs.index(arg)
    return fn.args.kw_defaults[index]


def _dependencies(text: str) -> list[str]:
    return re.findall(r"(?:Depends|Security)\(\s*([A-Za-z_][A-Za-z0-9_]*)", text)


def _decorator_name(decorator: ast.expr) -> str | None:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute) and target.attr not in _ROUTE_METHODS:
        return target.attr
    return None
