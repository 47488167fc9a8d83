"""Does a handler need credentials? Deterministic guesses from names and dependencies.

Each route gets an `Auth`: a level and the code that shows it.

- "required": an auth-like dependency or decorator, a read of the Authorization header,
  or a view that refuses anonymous callers;
- "optional": the same dependency asked for as optional (`Depends(x(required=False))`,
  `Optional[User]`, `auto_error=False`, `@jwt_required(optional=True)`), or a view that
  looks at the user (`current_user.is_authenticated`) without refusing anyone;
- "none": nothing of the kind, and always for login and registration endpoints, whose
  credentials are their input rather than their precondition;
- None (unclear): something global, such as an app-wide auth middleware, that may or may
  not cover the route.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

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
# A dependency or decorator that lets anonymous callers through.
OPTIONAL_NAME = re.compile(r"optional|maybe|if_?any|or_?none|anonymous|allow_?anon", re.I)
_OPTIONAL_FLAGS = (("required", False), ("auto_error", False), ("optional", True))
# What a view reads to learn who the caller is (Flask-Login, flask-jwt-extended, sessions,
# aiohttp-security).
USER_CHECK = re.compile(
    r"is_authenticated|is_anonymous|get_jwt_identity|authorized_userid|get_current_user"
    r"|verify_jwt_in_request|\bg\.user\b|session\b.*user|user\w*.*\bin session"
)
# Words of a login/registration endpoint's handler name or last path segment.
LOGIN_WORDS = frozenset(
    {"login", "signin", "signup", "register", "registration", "token", "tokens",
     "authenticate", "authorize"}
)  # fmt: skip
# ... unless the name says it acts on a token or session the caller already has.
NOT_LOGIN_WORDS = frozenset(
    {"refresh", "revoke", "logout", "signout", "delete", "verify", "validate", "introspect"}
)
_REFUSALS = re.compile(r"abort|HTTPUnauthorized|HTTPForbidden|HTTPException|redirect|raise")

Level = str  # "none" | "optional" | "required"


@dataclass(frozen=True)
class Auth:
    level: Level | None  # None: unclear (a global hook may or may not cover the route)
    evidence: str

    @property
    def required(self) -> bool | None:
        return None if self.level is None else self.level == "required"


NO_AUTH = Auth("none", "no auth decorator, dependency or credential check found")
_RANK = {"required": 3, None: 2, "optional": 1, "none": 0}


def strongest(*found: Auth | None) -> Auth:
    """Required wins over unclear, which wins over optional, then none."""
    given = [a for a in found if a is not None]
    return max(given, key=lambda a: _RANK[a.level], default=NO_AUTH)


def is_login_endpoint(handler: str, path: str) -> bool:
    """`login`, `user_login`, `signUp`, `get_token`, or a path ending in /login, /tokens..."""
    words = re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", handler).lower())
    segments = [s for s in path.lower().split("/") if s and not s.startswith(("{", "<"))]
    last = re.sub(r"[-_]", "", segments[-1]) if segments else ""
    joined = {"".join(words[i : i + 2]) for i in range(len(words))}  # sign_in -> signin
    said = set(words) | joined | {last}
    return bool(said & LOGIN_WORDS) and not said & NOT_LOGIN_WORDS


def _optional_call(call: ast.Call) -> bool:
    return any(
        isinstance(v := keyword(call, name), ast.Constant) and v.value is flag
        for name, flag in _OPTIONAL_FLAGS
    )


def _is_optional_annotation(node: ast.expr | None) -> bool:
    """`Optional[User]`, `User | None`, `Union[User, None]`."""
    if node is None:
        return False
    text = ast.unparse(node)
    return bool(re.search(r"^Optional\[|\|\s*None\b|\bNone\s*\||^Union\[.*None", text))


def _true_when_anonymous(test: ast.expr) -> bool:
    """`not current_user.is_authenticated`, `g.user is None`, `current_user.is_anonymous`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return not _true_when_anonymous(test.operand)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        other = test.comparators[0]
        none = isinstance(other, ast.Constant) and other.value is None
        return none and isinstance(test.ops[0], ast.Is | ast.Eq)
    return "is_anonymous" in ast.unparse(test)


def view_user_check(fn: ast.AST) -> Auth | None:
    """A view that looks at the caller itself: required when the anonymous branch refuses
    (abort, raise, redirect, 401/403), otherwise optional."""
    for node in ast.walk(fn):
        if not isinstance(node, ast.If) or not USER_CHECK.search(ast.unparse(node.test)):
            continue
        anonymous = node.body if _true_when_anonymous(node.test) else node.orelse
        text = "\n".join(ast.unparse(s) for s in anonymous)
        where = f"line {node.lineno}: if {ast.unparse(node.test)}"
        if _REFUSALS.search(text) or re.search(r"\b40[13]\b", text):
            return Auth("required", f"the view refuses anonymous callers ({where})")
        return Auth("optional", f"the view checks the user without requiring one ({where})")
    return None


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

    def dependency(self, mod: PyModule, call: ast.Call, depth: int = 0) -> Auth | None:
        """Is `Depends(x)` / `Security(x)` an authentication dependency, and how strict?"""
        shown = ast.unparse(call)
        target = _depends_target(call)
        if target is None:
            return Auth("required", shown) if last_name(call.func) == "Security" else None
        optional = False
        if isinstance(target, ast.Call):  # Depends(require_role("admin")), x(required=False)
            optional = _optional_call(target)
            target = target.func
        name = last_name(target)
        level = "optional" if optional or OPTIONAL_NAME.search(name) else "required"
        symbol = self.index.resolve(mod, target) if depth <= 3 else None
        node = symbol.node if symbol is not None else None
        if isinstance(node, ast.Call) and last_name(node.func) in SECURITY_CLASSES:
            optional = optional or _optional_call(node)  # HTTPBearer(auto_error=False)
            return Auth("optional" if optional else "required", f"{shown}: {ast.unparse(node)}")
        if AUTH_NAME.search(name) or last_name(call.func) == "Security":
            return Auth(level, shown)
        if symbol is not None and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found = self.function(symbol.module, node, depth + 1)
            if found is not None and found.level == "required" and optional:
                return Auth("optional", shown)
            return Auth(found.level, f"{shown} -> {found.evidence}") if found else None
        return None

    def dependencies_list(self, mod: PyModule, value: ast.expr | None) -> Auth | None:
        """`dependencies=[Depends(a), ...]` on a route, router or app."""
        if not isinstance(value, ast.List | ast.Tuple):
            return None
        found = [
            self.dependency(mod, e)
            for e in value.elts
            if isinstance(e, ast.Call) and last_name(e.func) in ("Depends", "Security")
        ]
        return strongest(*found) if any(found) else None

    def function(
        self, mod: PyModule, fn: ast.FunctionDef | ast.AsyncFunctionDef, depth: int = 0
    ) -> Auth | None:
        """A handler or dependency function asks for credentials (or may use them)."""
        args = fn.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        defaults: list[ast.expr | None] = [None] * (
            len(args.posonlyargs) + len(args.args) - len(args.defaults)
        )
        defaults += [*args.defaults, *args.kw_defaults]
        found = [self._param(mod, p, d, depth) for p, d in zip(params, defaults, strict=False)]
        if any(found):
            return strongest(*found)
        body = ast.Module(body=fn.body, type_ignores=[])
        if reads_authorization(body):
            return Auth("required", f"{fn.name} reads the Authorization header")
        return None

    def _param(
        self, mod: PyModule, param: ast.arg, default: ast.expr | None, depth: int
    ) -> Auth | None:
        calls = [default] if isinstance(default, ast.Call) else []
        annotation = param.annotation
        if isinstance(annotation, ast.Name):  # CurrentUser = Annotated[User, Depends(...)]
            alias = self.index.resolve(mod, annotation)
            if alias is not None and isinstance(alias.node, ast.Subscript):
                mod, annotation = alias.module, alias.node
        optional_type = _is_optional_annotation(annotation) or (
            isinstance(default, ast.Constant) and default.value is None
        )
        if annotation is not None:
            # Annotated[User, Depends(get_current_user)]
            calls += [n for n in ast.walk(annotation) if isinstance(n, ast.Call)]
            if {last_name(n) for n in ast.walk(annotation)} & CREDENTIAL_TYPES:
                # Optional credentials are usually checked in the body: still required.
                return Auth("required", f"parameter {param.arg}: {ast.unparse(annotation)}")
        for call in calls:
            name = last_name(call.func)
            if name in ("Depends", "Security"):
                found = self.dependency(mod, call, depth)
                if found is not None and found.level == "required" and optional_type:
                    shown = ast.unparse(annotation) if annotation is not None else "None"
                    return Auth("optional", f"{param.arg}: {shown} = {ast.unparse(call)}")
                if found is not None:
                    return found
            if name in ("Header", "Cookie"):
                header = const_str(keyword(call, "alias")) or param.arg
                if re.search(r"authorization|api_?key|token", header, re.IGNORECASE):
                    return Auth("required", f"parameter {param.arg} = {ast.unparse(call)}")
        return None

    def decorators(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Auth | None:
        """Flask/Django style: @login_required, @jwt_required(), @requires_auth, ..."""
        for deco in fn.decorator_list:
            name = last_name(deco)
            if name in ROUTE_DECORATOR_ATTRS:
                continue
            if AUTH_NAME.search(name) or AUTH_NAME.search(dotted(deco)):
                optional = isinstance(deco, ast.Call) and _optional_call(deco)
                optional = optional or bool(OPTIONAL_NAME.search(name))
                return Auth("optional" if optional else "required", f"@{ast.unparse(deco)}")
        return None
