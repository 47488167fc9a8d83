"""A web app inside a handler body: framework imports, routes, servers, `__main__` blocks.

Small models have seen many whole Flask scripts and write one into the slot: `from flask
import ...`, `@app.route`, `app = Flask(__name__)`, `if __name__ == "__main__": app.run()`.
The skeleton already serves every route and turns the handler's return value into the
response, so inside a handler these fail at import, register a route on some other app at
each request, or start a second server. Ordinary imports stay allowed (`imports` drops
or adds them).
"""

from __future__ import annotations

import ast

WEB_FRAMEWORKS = frozenset(
    {
        "flask_login", "flask_jwt_extended", "flask_httpauth",
        "flask", "fastapi", "starlette", "django", "bottle", "aiohttp", "tornado", "sanic",
        "quart", "falcon", "pyramid", "cherrypy", "werkzeug", "litestar", "uvicorn",
        "gunicorn", "hypercorn", "waitress", "wsgiref", "http.server", "socketserver",
    }
)  # fmt: skip
_APP_CLASSES = {"Flask", "FastAPI", "APIRouter", "Blueprint", "Starlette", "Bottle", "Sanic"}
_ROUTE_METHODS = {
    "route", "get", "post", "put", "patch", "delete", "head", "options", "api_route",
    "websocket", "add_url_rule", "add_api_route", "include_router", "register_blueprint",
    "mount", "errorhandler", "exception_handler", "middleware", "before_request",
}  # fmt: skip
# Registering a route by call; decorators may use any of _ROUTE_METHODS.
_ROUTE_CALLS = {
    "add_url_rule", "add_api_route", "add_route", "include_router", "register_blueprint",
    "mount",
}  # fmt: skip
_APP_NAMES = {"app", "application", "server", "httpd"}
_SERVER_CALLS = {"uvicorn.run", "hypercorn.run", "waitress.serve", "web.run_app", "run_simple"}
_SERVER_METHODS = {"run", "serve_forever", "listen", "run_server"}
_RETURN_INSTEAD = "return a dict, list or str (raise ApiError for errors)"
# What an imported framework name was for, in the skeleton's terms: the refusal says what
# to use instead, which a small model acts on better than a bare "no".
_INSTEAD = {
    **dict.fromkeys(
        ("Depends", "Security", "OAuth2PasswordBearer", "HTTPBearer",
         "HTTPAuthorizationCredentials", "APIKeyHeader", "APIKeyCookie", "session", "g"),
        "the route already checked the caller's credentials: use the `principal` parameter "
        "(principal['sub'] is the caller's id)",
    ),
    **dict.fromkeys(
        ("current_user", "login_required", "login_user", "jwt_required", "get_jwt_identity"),
        "the route already checked the caller's credentials: use the `principal` parameter "
        "(principal['sub'] is the caller's id)",
    ),
    **dict.fromkeys(
        ("UploadFile", "File", "Form", "FileStorage", "request", "Header", "Cookie"),
        "the route already parsed the request: use the function's parameters (an uploaded "
        "file is an Upload with .filename and .content bytes)",
    ),
    **dict.fromkeys(
        ("render_template", "render_template_string", "Markup", "escape", "Jinja2Templates"),
        "return the page as a str, with user text passed through html.escape",
    ),
    **dict.fromkeys(
        ("Response", "make_response", "send_file", "FileResponse", "StreamingResponse"),
        "return the content (bytes or str); for headers or cookies return "
        "Reply(content, headers={...}, cookies={...})",
    ),
    **dict.fromkeys(
        ("set_cookie",),
        "return Reply(content, cookies={name: value}) to set a cookie",
    ),
}  # fmt: skip
_SERVED = "the skeleton already serves this route"
# Parameters the route fills in; a body that rebinds one loses what the route gave it.
_GIVEN = {
    "principal": "the route passes the authenticated caller in it (None when anonymous)",
    "store": "the route passes the service's store in it",
}


def stray_problems(statements: list[ast.stmt]) -> list[tuple[int, str]]:
    """(line, problem) of each web-app construct in a body, at most one per line."""
    found: dict[int, str] = {}
    for node in ast.walk(ast.Module(body=statements, type_ignores=[])):
        problem = _problem(node)
        if problem:
            found.setdefault(problem[0], problem[1])
    return sorted(found.items())


def _problem(node: ast.AST) -> tuple[int, str] | None:
    line = getattr(node, "lineno", 1)
    if isinstance(node, ast.Import | ast.ImportFrom):
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and not node.level:
            modules = [node.module or ""]
        framework = next((m for m in modules if _is_framework(m)), None)
        if framework:
            names = [a.name for a in node.names]
            instead = next((_INSTEAD[n] for n in names if n in _INSTEAD), _RETURN_INSTEAD)
            return line, f"no {framework} import inside the handler: {_SERVED}; {instead}"
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        given = [t.id for t in targets if isinstance(t, ast.Name) and t.id in _GIVEN]
        if given:
            return line, f"do not assign `{given[0]}`: {_GIVEN[given[0]]}"
    if isinstance(node, ast.Yield | ast.YieldFrom):
        return line, "no yield in a handler: it answers once; return the result"
    if isinstance(node, ast.While) and _forever(node):
        return line, (
            "no endless `while True:` loop in a handler: it would never answer (work that "
            "runs in the background is not a handler's; compute the answer and return it)"
        )
    if isinstance(node, ast.If) and _is_main_check(node.test):
        return line, f'no `if __name__ == "__main__":` block in a handler: {_SERVED}'
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Attribute) and target.attr in _ROUTE_METHODS:
                route = f"no route (@{ast.unparse(target)}) inside a handler: {_SERVED}"
                return decorator.lineno, route
    if isinstance(node, ast.Call):
        problem = _call_problem(node)
        return (line, problem) if problem else None
    if _reads_framework_request(node):
        return line, f"no Flask `request` in a handler: {_INSTEAD['request']}"
    return None


def is_scaffolding(node: ast.stmt) -> bool:
    """A top-level statement of a whole web app rather than of a handler: a view (a
    function with a route decorator), `app = Flask(...)`, a server start, the
    `__main__` block."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return any(
            isinstance(t := (d.func if isinstance(d, ast.Call) else d), ast.Attribute)
            and t.attr in _ROUTE_METHODS
            for d in node.decorator_list
        )
    if isinstance(node, ast.If):
        return _is_main_check(node.test)
    value = node.value if isinstance(node, ast.Assign | ast.Expr) else None
    return isinstance(value, ast.Call) and _call_problem(value) is not None


# What a handler would read from Flask's global request; its parameters already hold it.
_REQUEST_PARTS = {
    "args", "form", "files", "json", "get_json", "headers", "cookies", "data", "get_data",
    "values", "stream", "method", "path", "url", "remote_addr",
}  # fmt: skip


def _reads_framework_request(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr in _REQUEST_PARTS
        and isinstance(node.value, ast.Name)
        and node.value.id == "request"
    )


def _call_problem(node: ast.Call) -> str | None:
    name = ast.unparse(node.func)
    if name.rsplit(".", 1)[-1] in ("Thread", "Timer", "start_new_thread"):
        return (
            f"no thread started in a handler ({name}()): one more would run on every "
            "request; for a count of seconds since the service started use seconds_up()"
        )
    method = node.func.attr if isinstance(node.func, ast.Attribute) else None
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    on_app = isinstance(owner, ast.Name) and owner.id in _APP_NAMES
    if name.rsplit(".", 1)[-1] in _APP_CLASSES:
        return f"no new web app ({name}()) inside a handler: {_SERVED}; {_RETURN_INSTEAD}"
    if name in _SERVER_CALLS or (on_app and method in _SERVER_METHODS):
        return f"no server start ({name}()) inside a handler: {_SERVED}"
    if method in _ROUTE_CALLS:
        return f"no route ({name}()) inside a handler: {_SERVED}"
    return None


def _is_framework(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in WEB_FRAMEWORKS)


def _forever(loop: ast.While) -> bool:
    """`while True:` (or `while 1:`) with no break or return inside."""
    constant = isinstance(loop.test, ast.Constant) and bool(loop.test.value)
    leaves = (ast.Break, ast.Return, ast.Raise)
    return constant and not any(isinstance(n, leaves) for n in ast.walk(loop))


def _is_main_check(test: ast.expr) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = {ast.unparse(test.left), ast.unparse(test.comparators[0])}
    return "__name__" in sides and any("__main__" in s for s in sides)
