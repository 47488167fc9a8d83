"""Endpoints declared in Python code: FastAPI, Starlette, Flask and aiohttp.

Three passes over every module: find the objects routes hang on (apps, routers,
blueprints, route tables), how they are mounted on each other (prefixes), then the
routes themselves, as decorators or as registration calls.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TypeGuard

from bdev.backend.auth import (
    AUTH_HOOK_NAME,
    AUTH_NAME,
    Auth,
    AuthInspector,
    is_login_endpoint,
    reads_authorization,
    strongest,
    view_user_check,
)
from bdev.backend.constants import resolve_str
from bdev.backend.facts import Endpoint, Location
from bdev.backend.pyast import arg, const_str, dotted, keyword, last_name, str_list
from bdev.backend.pyindex import PyIndex, PyModule

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
# Constructor name -> kind; the variable it is assigned to is what routes attach to.
OWNER_TYPES = {
    "FastAPI": "app",
    "Starlette": "app",
    "Flask": "app",
    "Application": "app",  # aiohttp.web.Application
    "APIRouter": "router",
    "Blueprint": "router",
    "RouteTableDef": "router",
}
# FastAPI parameter defaults that are never a request body.
NOT_BODY = {"Depends", "Security", "Query", "Path", "Header", "Cookie", "Form", "File"}

# Calls that register a route (besides aiohttp's web.get(...) and friends).
REGISTRATION_CALLS = {
    "Route",
    "add_api_route",
    "add_route",
    "add_url_rule",
    *(f"add_{m}" for m in HTTP_METHODS),
}
Key = tuple[str, str]  # (module name, variable name)
Handler = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass
class Mount:
    parent: Key
    prefix: str | None  # None: not given (a Flask blueprint then keeps its own url_prefix)
    auth: Auth | None


@dataclass
class Owner:
    kind: str  # "app" | "router"
    flask: bool
    prefix: str = ""
    # What guards all its routes: dependencies, a blueprint hook; level None: an auth
    # middleware/hook that may cover its routes.
    auth: Auth | None = None
    mounts: list[Mount] = field(default_factory=list)


def _mount_prefixes(index: PyIndex, mod: PyModule) -> dict[int, str]:
    """Starlette `Mount("/p", routes=[...])`: the prefix for each node inside a Mount.
    The walk is breadth-first, so an inner Mount overrides what its outer one set."""
    prefixes: dict[int, str] = {}
    for node in mod.nodes:
        if isinstance(node, ast.Call) and last_name(node.func) == "Mount":
            path = resolve_str(index, mod, arg(node, 0, "path"))
            if path is not None:
                inner = join(prefixes.get(id(node), ""), path)
                prefixes.update((id(n), inner) for n in ast.walk(node) if n is not node)
    return prefixes


def join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return prefix.rstrip("/") + "/" + path.lstrip("/")


def _class_methods(cls: ast.ClassDef) -> list[str]:
    """HTTP methods a class-based view answers: the ones it defines."""
    return [
        n.name.upper()
        for n in cls.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name in HTTP_METHODS
    ]


class RouteFinder:
    def __init__(self, index: PyIndex) -> None:
        self.index = index
        self.auth = AuthInspector(index)
        self.owners: dict[Key, Owner] = {}
        self.endpoints: list[Endpoint] = []

    def run(self) -> list[Endpoint]:
        mods = list(self.index.all)
        for mod in mods:
            self._find_owners(mod)
        for mod in mods:
            self._find_mounts(mod)
        for mod in mods:
            self._find_routes(mod)
        unique = {(e.method, e.path, e.handler): e for e in self.endpoints}
        return list(unique.values())

    # -- pass 1: apps, routers, blueprints ---------------------------------------------
    def _find_owners(self, mod: PyModule) -> None:
        for node in mod.nodes:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            kind = OWNER_TYPES.get(last_name(node.value.func))
            if kind is None:
                continue
            call = node.value
            name = last_name(call.func)
            prefix_kw = "url_prefix" if name == "Blueprint" else "prefix"
            prefix = resolve_str(self.index, mod, keyword(call, prefix_kw))
            owner = Owner(
                kind=kind,
                flask=name in ("Flask", "Blueprint"),
                prefix=prefix or "",
                auth=self.auth.dependencies_list(mod, keyword(call, "dependencies")),
            )
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.owners[(mod.name, target.id)] = owner

    def _owner_key(self, mod: PyModule, expr: ast.AST) -> Key | None:
        if isinstance(expr, ast.Attribute) and expr.attr == "router":  # aiohttp app.router
            return self._owner_key(mod, expr.value) or self._symbol_key(mod, expr)
        if isinstance(expr, ast.Call):  # add_subapp("/admin", admin_app()): what it returns
            return self._returned_owner(mod, expr)
        return self._symbol_key(mod, expr)

    def _returned_owner(self, mod: PyModule, call: ast.Call) -> Key | None:
        symbol = self.index.resolve(mod, call.func)
        fn = symbol.node if symbol is not None else None
        if symbol is None or not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        for node in ast.walk(fn):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
                key = (symbol.module.name, node.value.id)
                if key in self.owners:
                    return key
        return None

    def _symbol_key(self, mod: PyModule, expr: ast.AST) -> Key | None:
        if isinstance(expr, ast.Name) and (mod.name, expr.id) in self.owners:
            return (mod.name, expr.id)
        symbol = self.index.resolve(mod, expr)
        if symbol is None or symbol.name is None:
            return None
        key = (symbol.module.name, symbol.name)
        return key if key in self.owners else None

    # -- pass 2: prefixes and global auth ----------------------------------------------
    def _find_mounts(self, mod: PyModule) -> None:
        for node in mod.nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._hooks(mod, node)
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method = node.func.attr
            parent = self._owner_key(mod, node.func.value)
            if parent is None:
                continue
            if method in ("include_router", "register_blueprint") and node.args:
                child = self._owner_key(mod, node.args[0])
                prefix_kw = "prefix" if method == "include_router" else "url_prefix"
                prefix = resolve_str(self.index, mod, keyword(node, prefix_kw))
                auth = self.auth.dependencies_list(mod, keyword(node, "dependencies"))
            elif method in ("mount", "add_subapp") and len(node.args) >= 2:
                child = self._owner_key(mod, node.args[1])
                prefix, auth = resolve_str(self.index, mod, node.args[0]), None
            elif method == "add_middleware" and node.args:
                name = last_name(node.args[0])
                if AUTH_HOOK_NAME.search(name):
                    unclear = Auth(None, f"app-wide middleware {name} may cover it")
                    self.owners[parent].auth = strongest(self.owners[parent].auth, unclear)
                continue
            elif method == "before_request" and node.args:
                self._hook(mod, parent, node.args[0])
                continue
            else:
                continue
            if child is not None and child != parent:
                self.owners[child].mounts.append(Mount(parent, prefix, auth))

    def _hooks(self, mod: PyModule, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """`@app.middleware("http")` and `@bp.before_request` functions that check auth."""
        for deco in fn.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            if isinstance(target, ast.Attribute) and target.attr in (
                "middleware",
                "before_request",
            ):
                key = self._owner_key(mod, target.value)
                if key is not None:
                    self._hook(mod, key, fn)

    def _hook(self, mod: PyModule, key: Key, fn: ast.AST) -> None:
        if isinstance(fn, ast.Name):
            symbol = self.index.resolve(mod, fn)
            fn = symbol.node if symbol and symbol.node is not None else fn
        name = getattr(fn, "name", None) or last_name(fn)
        if AUTH_HOOK_NAME.search(name) or reads_authorization(fn):
            owner = self.owners[key]
            # A blueprint's hook guards all its routes; an app-wide one usually exempts
            # some (health, login), so it only makes the answer unclear.
            if owner.kind == "router":
                owner.auth = Auth("required", f"before-request hook {name} on {key[1]}")
            else:
                unclear = Auth(None, f"app-wide hook {name} may cover it")
                owner.auth = strongest(owner.auth, unclear)

    def _prefixes(self, key: Key | None, seen: frozenset[Key] = frozenset()) -> list[tuple]:
        """(full prefix, auth inherited from routers/mounts) for each place it is mounted."""
        if key is None:
            return [("", None)]
        owner = self.owners[key]
        if not owner.mounts or key in seen:
            return [(owner.prefix, owner.auth)]
        result = []
        for mount in owner.mounts:
            for parent_prefix, parent_auth in self._prefixes(mount.parent, seen | {key}):
                if owner.flask:  # register_blueprint(url_prefix=) replaces the blueprint's own
                    own = mount.prefix if mount.prefix is not None else owner.prefix
                    prefix = join(parent_prefix, own)
                else:  # include_router(prefix=) comes before the router's own prefix
                    prefix = join(join(parent_prefix, mount.prefix or ""), owner.prefix)
                result.append((prefix, strongest(parent_auth, mount.auth, owner.auth)))
        return result

    # -- pass 3: routes ----------------------------------------------------------------
    def _find_routes(self, mod: PyModule) -> None:
        prefixes = _mount_prefixes(self.index, mod)
        for node in mod.nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                for deco in node.decorator_list:
                    if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute):
                        self._decorator(mod, node, deco)
            elif isinstance(node, ast.Call):
                name = last_name(node.func)
                if name in REGISTRATION_CALLS or name in HTTP_METHODS:
                    self._call(mod, node, name, prefixes.get(id(node), ""))

    def _decorator(self, mod: PyModule, handler: Handler, deco: ast.Call) -> None:
        assert isinstance(deco.func, ast.Attribute)
        attr = deco.func.attr
        if attr not in (*HTTP_METHODS, "route", "api_route", "view"):
            return
        key = self._owner_key(mod, deco.func.value)
        first = resolve_str(self.index, mod, arg(deco, 0, "path"))
        second = resolve_str(self.index, mod, arg(deco, 1, "path"))
        path: str | None
        if attr == "route" and second is not None and first is not None:
            methods, path = [first.upper()], second  # aiohttp: routes.route("GET", "/x")
        else:
            path = first if first is not None else const_str(keyword(deco, "rule"))
            if attr in HTTP_METHODS:
                methods = [attr.upper()]
            elif isinstance(handler, ast.ClassDef):
                methods = _class_methods(handler)
            else:
                methods = [m.upper() for m in str_list(keyword(deco, "methods"))] or ["GET"]
        if path is None or (key is None and not path.startswith("/")):
            return  # not a route, or an unknown object whose method happens to match
        own_auth = self.auth.dependencies_list(mod, keyword(deco, "dependencies"))
        response = keyword(deco, "response_model")
        self._add(mod, key, methods, path, handler, deco.lineno, own_auth, response)

    def _call(self, mod: PyModule, call: ast.Call, name: str, prefix: str) -> None:
        base = call.func.value if isinstance(call.func, ast.Attribute) else None
        key = self._owner_key(mod, base) if base is not None else None
        strings = [resolve_str(self.index, mod, a) for a in call.args]
        aiohttp_web = base is not None and self._is_aiohttp_web(mod, base)
        # `app.router.add_route(...)` on an app passed in as a parameter (setup_routes(app)):
        # aiohttp's router, even though the app object is not known here.
        if key is None and isinstance(base, ast.Attribute) and base.attr == "router":
            key = ("", "")  # no owner: no prefix, no inherited auth
        if name == "Route" and strings and strings[0] is not None and len(call.args) > 1:
            # Starlette Route(path, endpoint, methods=[...])
            methods = [m.upper() for m in str_list(keyword(call, "methods"))]
            self._add_call(mod, None, methods, join(prefix, strings[0]), call.args[1], call)
        elif name in ("add_api_route", "add_route") and key and len(call.args) >= 2:
            if len(call.args) >= 3 and strings[0] and strings[1]:  # aiohttp (method, path, h)
                self._add_call(mod, key, [strings[0].upper()], strings[1], call.args[2], call)
            elif strings[0] is not None:
                methods = [m.upper() for m in str_list(keyword(call, "methods"))]
                self._add_call(mod, key, methods, strings[0], call.args[1], call)
        elif name == "add_url_rule" and key and strings and strings[0] is not None:
            view = keyword(call, "view_func") or (call.args[2] if len(call.args) > 2 else None)
            methods = [m.upper() for m in str_list(keyword(call, "methods"))]
            if view is not None:
                self._add_call(mod, key, methods, strings[0], view, call)
        elif name[4:] in HTTP_METHODS and name.startswith("add_") and key and len(strings) >= 2:
            if strings[0] is not None:  # aiohttp app.router.add_get("/x", handler)
                self._add_call(mod, key, [name[4:].upper()], strings[0], call.args[1], call)
        elif aiohttp_web and name in HTTP_METHODS and len(strings) >= 2 and strings[0] is not None:
            # web.get("/x", handler) in app.add_routes([...])
            self._add_call(mod, None, [name.upper()], strings[0], call.args[1], call)

    def _is_aiohttp_web(self, mod: PyModule, base: ast.expr) -> bool:
        name = dotted(base)
        return mod.imports.get(name.split(".")[0], "").startswith("aiohttp") or name in (
            "web",
            "aiohttp.web",
        )

    def _add_call(
        self,
        mod: PyModule,
        key: Key | None,
        methods: list[str],
        path: str,
        endpoint: ast.expr,
        call: ast.Call,
    ) -> None:
        if (
            isinstance(endpoint, ast.Call)
            and isinstance(endpoint.func, ast.Attribute)
            and last_name(endpoint.func) == "as_view"
        ):
            endpoint = endpoint.func.value
        symbol = self.index.resolve(mod, endpoint)
        node = symbol.node if symbol else None
        handler_mod = symbol.module if symbol else mod
        if isinstance(node, ast.ClassDef):
            methods = methods or _class_methods(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            node = None
        self._add(
            handler_mod,
            key,
            methods or ["GET"],
            path,
            node,
            call.lineno,
            None,
            None,
            fallback=(mod, last_name(endpoint)),
        )

    def _add(
        self,
        mod: PyModule,
        key: Key | None,
        methods: list[str],
        path: str,
        handler: Handler | None,
        line: int,
        own_auth: Auth | None,
        response: ast.expr | None,
        fallback: tuple[PyModule, str] | None = None,
    ) -> None:
        if handler is None:  # the view is defined outside the tree: locate the call
            assert fallback is not None
            mod, handler_name, handler_auth = fallback[0], fallback[1], None
        else:
            handler_name, line = handler.name, handler.lineno
            handler_auth = strongest(own_auth, handler_auth_of(self.auth, mod, handler))
        request_model, response_model = self._models(handler, response)
        for prefix, inherited in self._prefixes(key if key != ("", "") else None):
            full = join(prefix, path)
            full = full if full.startswith("/") else "/" + full
            auth = route_auth(handler_name, full, strongest(handler_auth, inherited))
            for method in methods:
                self.endpoints.append(
                    Endpoint(
                        method=method,
                        path=full,
                        handler=handler_name,
                        location=Location(file=mod.rel, line=line),
                        auth=auth.level,
                        auth_evidence=auth.evidence,
                        request_model=request_model,
                        response_model=response_model,
                    )
                )

    def _models(self, handler: Handler | None, response: ast.expr | None) -> tuple:
        """FastAPI request/response bodies: annotations naming the project's pydantic models."""
        if not isinstance(handler, ast.FunctionDef | ast.AsyncFunctionDef):
            return None, ast.unparse(response) if response is not None else None
        models = self.index.pydantic_models

        def names_model(node: ast.expr | None) -> TypeGuard[ast.expr]:
            return node is not None and any(
                isinstance(n, ast.Name) and n.id in models for n in ast.walk(node)
            )

        request = None
        args = handler.args
        defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
        params = list(zip(args.args, defaults, strict=True))
        params += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
        for param, default in params:
            annotation = param.annotation
            if isinstance(annotation, ast.Subscript) and last_name(annotation.value) == "Annotated":
                inner = annotation.slice
                parts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                markers = {last_name(p) for p in parts[1:]}
                annotation = None if markers & NOT_BODY else parts[0]
            if isinstance(default, ast.Call) and last_name(default.func) in NOT_BODY:
                continue
            if names_model(annotation):
                request = ast.unparse(annotation)
                break
        if response is None and names_model(handler.returns):
            response = handler.returns
        return request, ast.unparse(response) if response is not None else None


def handler_auth_of(inspector: AuthInspector, mod: PyModule, handler: Handler) -> Auth | None:
    """What the handler itself shows: its dependencies, decorators, header reads, checks."""
    if isinstance(handler, ast.ClassDef):
        base = next((last_name(b) for b in handler.bases if AUTH_NAME.search(last_name(b))), "")
        if base:
            return Auth("required", f"class {handler.name}({base})")
        if reads_authorization(handler):
            return Auth("required", f"{handler.name} reads the Authorization header")
        return view_user_check(handler)
    declared = strongest(inspector.function(mod, handler), inspector.decorators(handler))
    if declared.level != "none":
        return declared
    return view_user_check(handler)


def route_auth(handler: str, path: str, found: Auth) -> Auth:
    """A login or registration endpoint takes credentials; it never requires them."""
    if found.level in ("required", None) and is_login_endpoint(handler, path):
        return Auth("none", f"login/registration endpoint ({found.evidence})")
    return found


def find_endpoints(index: PyIndex) -> list[Endpoint]:
    return RouteFinder(index).run()
