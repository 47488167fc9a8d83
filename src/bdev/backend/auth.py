"""Does a handler need credentials? Deterministic guesses from names and dependencies.

True: an auth-like dependency, decorator or read of the Authorization header;
False: nothing of the kind; None (decided by the caller): something global, such as an
auth middleware, that may or may not cover the endpoint.
"""

from __future__ import annotations

import ast
import re

from bdev.backend.pyast import const_str, dotted, keyword, last_name
from bdev.backend.pyindex import PyIndex, PyModule

# Names of dependencies and decorators that stand for "the caller must be known".
AUTH_NAME = re.compile(
    r"auth|current_?user|token|oauth|bearer|api_?key|jwt|login|principal|credential"
    r"|permission|role|scope|admin|secur|protect",
    re.IGNORECASE,
)
# Middleware and before-request hooks: stricter, since "security_headers" guards nothing.
AUTH_HOOK_NAME = re.compile(
    r"auth|login|token|jwt|bearer|api_?key|credential|current_?user", re.IGNORECASE
)
# FastAPI's security classes: a variable made from one is an auth dependency.
SECURITY_CLASSES = {
    "HTTPBearer",
    "HTTPBasic",
    "HTTPDigest",
    "OAuth2",
    "OAuth2PasswordBearer",
    "OAuth2AuthorizationCodeBearer",
    "OpenIdConnect",
    "APIKeyHeader",
    "APIKeyQuery",
    "APIKeyCookie",
}
CREDENTIAL_TYPES = {"HTTPAuthorizationCredentials", "HTTPBasicCredentials", "SecurityScopes"}
ROUTE_DECORATOR_ATTRS = {"route", "get", "post", "put", "patch", "delete", "api_route"}


def combine(*flags: bool | None) -> bool | None:
    """True wins over None (unclear) which wins over False."""
    if any(f is True for f in flags):
        return True
    return None if any(f is None for f in flags) else False


def reads_authorization(node: ast.AST) -> bool:
    """The code looks at the Authorization header (or Flask's `request.authorization`)."""
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Attribute)
            and sub.attr == "authorization"
            and dotted(sub.value).endswith("request")
        ):
            return True
        text = const_str(sub)
        if text is not None and text.lower() in ("authorization", "http_authorization"):
            return True
    return False


def _depends_target(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return keyword(call, "dependency")


class AuthInspector:
    """Follows FastAPI dependencies across modules (a few levels deep)."""

    def __init__(self, index: PyIndex) -> None:
        self.index = index

    def dependency(self, mod: PyModule, call: ast.Call, depth: int = 0) -> bool:
        """Is `Depends(x)` / `Security(x)` an authentication dependency?"""
        if last_name(call.func) == "Security":
            return True
        target = _depends_target(call)
        if target is None:
            return False
        if isinstance(target, ast.Call):  # Depends(require_role("admin"))
            if AUTH_NAME.search(last_name(target.func)):
                return True
            target = target.func
        if AUTH_NAME.search(last_name(target)):
            return True
        symbol = self.index.resolve(mod, target)
        if symbol is None or symbol.node is None or depth > 3:
            return False
        node = symbol.node
        if isinstance(node, ast.Call):  # bearer = HTTPBearer()
            return last_name(node.func) in SECURITY_CLASSES
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return self.function(symbol.module, node, depth + 1)
        return False

    def dependencies_list(self, mod: PyModule, value: ast.expr | None) -> bool:
        """`dependencies=[Depends(a), ...]` on a route, router or app."""
        if not isinstance(value, ast.List | ast.Tuple):
            return False
        return any(
            isinstance(e, ast.Call)
            and last_name(e.func) in ("Depends", "Security")
            and self.dependency(mod, e)
            for e in value.elts
        )

    def function(self, mod: PyModule, fn: ast.FunctionDef | ast.AsyncFunctionDef, depth=0) -> bool:
        """A handler or dependency function asks for credentials."""
        args = fn.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        defaults: list[ast.expr | None] = [None] * (
            len(args.posonlyargs) + len(args.args) - len(args.defaults)
        )
        defaults += [*args.defaults, *args.kw_defaults]
        for param, default in zip(params, defaults, strict=False):
            if self._param(mod, param, default, depth):
                return True
        body = ast.Module(body=fn.body, type_ignores=[])
        return reads_authorization(body)

    def _param(self, mod: PyModule, param: ast.arg, default: ast.expr | None, depth: int) -> bool:
        calls = [default] if isinstance(default, ast.Call) else []
        annotation = param.annotation
        if isinstance(annotation, ast.Name):  # CurrentUser = Annotated[User, Depends(...)]
            alias = self.index.resolve(mod, annotation)
            if alias is not None and isinstance(alias.node, ast.Subscript):
                mod, annotation = alias.module, alias.node
        if annotation is not None:
            # Annotated[User, Depends(get_current_user)]
            calls += [n for n in ast.walk(annotation) if isinstance(n, ast.Call)]
            if {last_name(n) for n in ast.walk(annotation)} & CREDENTIAL_TYPES:
                return True
        for call in calls:
            name = last_name(call.func)
            if name in ("Depends", "Security") and self.dependency(mod, call, depth):
                return True
            if name in ("Header", "Cookie"):
                header = const_str(keyword(call, "alias")) or param.arg
                if re.search(r"authorization|api_?key|token", header, re.IGNORECASE):
                    return True
        return False

    def decorators(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Flask/Django style: @login_required, @jwt_required(), @requires_auth, ..."""
        for deco in fn.decorator_list:
            name = last_name(deco)
            if name in ROUTE_DECORATOR_ATTRS:
                continue
            if AUTH_NAME.search(name) or AUTH_NAME.search(dotted(deco)):
                return True
        return False
