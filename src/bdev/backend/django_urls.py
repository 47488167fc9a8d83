"""Endpoints from Django URLconfs: `urlpatterns` with path()/re_path()/url() and include(),
followed where the target is a literal module name or an imported module.

Django routes every method to a view, so methods come from the view: the handlers a
class-based view defines, `@require_http_methods`/`@api_view` lists, or comparisons
with `request.method`; a plain function view counts as GET.
"""

from __future__ import annotations

import ast
import re

from bdev.backend.auth import AUTH_NAME, combine
from bdev.backend.facts import Endpoint, Location
from bdev.backend.pyast import arg, const_str, dotted, last_name, str_list
from bdev.backend.pyindex import PyIndex, PyModule
from bdev.backend.routes import HTTP_METHODS, join

DECORATOR_METHODS = {
    "require_GET": ["GET"],
    "require_POST": ["POST"],
    "require_safe": ["GET", "HEAD"],
}
# Generic class-based views by the words in their base class names.
GENERIC_VIEW_METHODS = [
    ("ListCreate", ["GET", "POST"]),
    ("RetrieveUpdateDestroy", ["GET", "PUT", "PATCH", "DELETE"]),
    ("Create", ["GET", "POST"]),
    ("Form", ["GET", "POST"]),
    ("Update", ["GET", "POST", "PUT", "PATCH"]),
    ("Delete", ["GET", "POST", "DELETE"]),
    ("Destroy", ["DELETE"]),
]
AUTH_MIXINS = re.compile(r"LoginRequired|PermissionRequired|UserPassesTest", re.IGNORECASE)
OPEN_PERMISSIONS = {"AllowAny"}


def _route(path: str, regex: bool) -> str:
    if regex:  # "^items/(?P<pk>[0-9]+)/$" -> "items/(?P<pk>[0-9]+)/"
        path = path.removeprefix("^").removesuffix("$")
    return path


class DjangoUrls:
    def __init__(self, index: PyIndex) -> None:
        self.index = index
        self.endpoints: list[Endpoint] = []

    def run(self, root_urlconf: str | None) -> list[Endpoint]:
        confs = [m for m in self.index.all if m.name.split(".")[-1] == "urls"]
        included: set[str] = set()
        for mod in confs:
            for node in mod.nodes:
                if isinstance(node, ast.Call) and last_name(node.func) == "include":
                    target = self._include_target(mod, node)
                    if target:
                        included.add(target.name)
        roots = [m for m in confs if m.name == root_urlconf] or [
            m for m in confs if m.name not in included
        ]
        for mod in roots:
            self._urlconf(mod, "/", frozenset())
        return self.endpoints

    def _include_target(self, mod: PyModule, call: ast.Call) -> PyModule | None:
        target = call.args[0] if call.args else None
        if isinstance(target, ast.Tuple) and target.elts:  # include(("app.urls", "ns"))
            target = target.elts[0]
        name = const_str(target)
        if name is not None:
            return self.index.modules.get(name)
        symbol = self.index.resolve(mod, target) if target is not None else None
        return symbol.module if symbol is not None and symbol.name is None else None

    def _urlconf(self, mod: PyModule, prefix: str, seen: frozenset[str]) -> None:
        if mod.name in seen:
            return
        for node in mod.tree.body:
            targets: list[ast.Name] = []
            if isinstance(node, ast.Assign):
                targets = [t for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                targets = [node.target]
            else:
                continue
            if any(t.id == "urlpatterns" for t in targets):
                self._patterns(mod, node.value, prefix, seen | {mod.name})

    def _patterns(self, mod: PyModule, value: ast.AST, prefix: str, seen: frozenset) -> None:
        """A list literal of patterns (or a sum of them, as in `[...] + [...]`)."""
        if isinstance(value, ast.BinOp):
            self._patterns(mod, value.left, prefix, seen)
            self._patterns(mod, value.right, prefix, seen)
        for entry in _elts(value):
            if isinstance(entry, ast.Call):
                self._pattern(mod, entry, prefix, seen)

    def _pattern(self, mod: PyModule, call: ast.Call, prefix: str, seen: frozenset[str]) -> None:
        kind = last_name(call.func)
        if kind not in ("path", "re_path", "url") or len(call.args) < 2:
            return
        route = const_str(call.args[0])
        if route is None:
            return
        full = join(prefix, _route(route, regex=kind != "path"))
        view = call.args[1]
        if isinstance(view, ast.Call) and last_name(view.func) == "include":
            target = self._include_target(mod, view)
            if target is not None:
                self._urlconf(target, full, seen)
            elif view.args:  # include([path(...), ...])
                self._patterns(mod, view.args[0], full, seen)
            return
        wrapped_auth = False
        while isinstance(view, ast.Call) and last_name(view.func) != "as_view" and view.args:
            wrapped_auth = wrapped_auth or bool(AUTH_NAME.search(last_name(view.func)))
            view = view.args[0]  # login_required(views.profile)
        if isinstance(view, ast.Call):  # ItemView.as_view()
            view = view.func.value if isinstance(view.func, ast.Attribute) else view.func
        symbol = self.index.resolve(mod, view)
        node = symbol.node if symbol is not None else None
        if symbol is not None and isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            methods, auth = _view_methods(node), combine(wrapped_auth, _view_auth(node))
            location = Location(file=symbol.module.rel, line=node.lineno)
        else:
            methods, auth = ["GET"], True if wrapped_auth else None
            location = Location(file=mod.rel, line=call.lineno)
        for method in methods:
            self.endpoints.append(
                Endpoint(
                    method=method,
                    path=full,
                    handler=last_name(view) or dotted(view),
                    location=location,
                    auth_required=auth,
                )
            )


def _view_methods(view: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[str]:
    if isinstance(view, ast.ClassDef):
        defined = [
            n.name.upper()
            for n in view.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name in HTTP_METHODS
        ]
        if defined:
            return defined
        bases = " ".join(last_name(b) for b in view.bases)
        return next((m for word, m in GENERIC_VIEW_METHODS if word in bases), ["GET"])
    for deco in view.decorator_list:
        name = last_name(deco)
        if name in DECORATOR_METHODS:
            return DECORATOR_METHODS[name]
        if name in ("require_http_methods", "api_view") and isinstance(deco, ast.Call):
            listed = str_list(arg(deco, 0, "http_method_names"))
            if listed:
                return [m.upper() for m in listed]
    compared = {
        text.upper()
        for node in ast.walk(view)
        if isinstance(node, ast.Compare) and dotted(node.left).endswith("request.method")
        for c in [*node.comparators, *(e for n in node.comparators for e in _elts(n))]
        if (text := const_str(c))
    }
    return ["GET", *sorted(compared - {"GET"})]


def _elts(node: ast.AST) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.List | ast.Tuple | ast.Set) else []


def _view_auth(view: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    if isinstance(view, ast.ClassDef):
        if any(AUTH_MIXINS.search(last_name(b)) for b in view.bases):
            return True
        for node in view.body:  # DRF: permission_classes = [IsAuthenticated]
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "permission_classes" for t in node.targets
            ):
                names = {last_name(e) for e in _elts(node.value)}
                return bool(names - OPEN_PERMISSIONS)
        return False
    for deco in view.decorator_list:
        if last_name(deco) == "permission_classes" and isinstance(deco, ast.Call):
            names = {last_name(e) for e in _elts(deco.args[0])} if deco.args else set()
            return bool(names - OPEN_PERMISSIONS)
        if last_name(deco) not in DECORATOR_METHODS and AUTH_NAME.search(last_name(deco)):
            return True
    return False


def root_urlconf(index: PyIndex) -> str | None:
    """ROOT_URLCONF from the settings module, when it is a plain string."""
    for mod in index.all:
        if "settings" not in mod.name:
            continue
        value = mod.defs.get("ROOT_URLCONF")
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
    return None


def find_endpoints(index: PyIndex) -> list[Endpoint]:
    return DjangoUrls(index).run(root_urlconf(index))
