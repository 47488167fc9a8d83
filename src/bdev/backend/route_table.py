"""Run by the service's own interpreter, never imported by bdev: import the application and
print its route table as the framework itself sees it.

Standard library only, and no syntax newer than Python 3.8, since the service's Python
may be older than bdev's. bdev.backend.introspect passes it with `python -c` and one JSON
argument: {"path": sys.path entry, "module": ..., "attr": ..., "factory": bool}, or for
Django {"path": ..., "django_settings": settings module}. The answer is one line, MARKER
followed by JSON: {"framework", "routes": [{methods, path, handler, module, file, line}],
"omitted": routes the framework itself provides (static files, docs, Django's admin)}.
Methods null: the framework routes every method to the view and nothing declares which
(a plain Django function view), so bdev takes them from the code.
"""

import asyncio
import contextlib
import importlib
import inspect
import json
import os
import re
import sys

MARKER = "@@bdev-route-table@@"
FRAMEWORK_PACKAGES = ("flask", "werkzeug", "starlette", "fastapi", "aiohttp")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
# Views Django serves itself: static and media files (under DEBUG).
DJANGO_PROVIDED_VIEWS = ("django.views.static", "django.contrib.staticfiles.views")


def unwrapped(func):
    """The function under its decorators (functools.wraps chains)."""
    with contextlib.suppress(ValueError):  # a cycle of __wrapped__
        return inspect.unwrap(func)
    return func


def describe(handler):
    """Name, module, file and line of a view, through decorators and class-based views."""
    target = unwrapped(getattr(handler, "view_class", None) or handler)
    name = getattr(target, "__name__", type(target).__name__)
    module = getattr(target, "__module__", "") or ""
    try:
        path = inspect.getsourcefile(target)
    except TypeError:
        path = None
    try:  # DRF's @api_view class has its function's module but no source lines
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        line = None
    return {"handler": name, "module": module, "file": path, "line": line}


def flask_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        methods = set(rule.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")  # added by Flask for every GET
        if getattr(rule, "provide_automatic_options", False):
            methods.discard("OPTIONS")
        view = app.view_functions.get(rule.endpoint)
        if view is None:
            continue
        route = {"methods": sorted(methods), "path": rule.rule}
        route.update(describe(view))
        routes.append(route)
    return routes


def starlette_routes(routes, prefix=""):
    found = []
    for route in routes:
        path = prefix + (getattr(route, "path", "") or "")
        endpoint = getattr(route, "endpoint", None)
        contexts = getattr(route, "effective_route_contexts", None)
        if endpoint is None and callable(contexts):  # newer FastAPI's included routers
            found += starlette_routes(list(contexts()), prefix)
            continue
        if endpoint is None:
            inner = getattr(route, "routes", None)  # Mount, Host, a sub-application
            if inner:
                found += starlette_routes(inner, path)
            continue
        methods = getattr(route, "methods", None)
        if not methods:
            continue  # a WebSocket route
        methods = set(methods)
        if "GET" in methods:
            methods.discard("HEAD")
        entry = {"methods": sorted(methods), "path": path}
        entry.update(describe(endpoint))
        found.append(entry)
    return found


def aiohttp_routes(app):
    found = []
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if sub is not None and hasattr(sub, "router"):
            found += aiohttp_routes(sub)  # its resources already carry the prefix
            continue
        info = resource.get_info()
        path = info.get("path") or info.get("formatter") or getattr(resource, "canonical", "")
        routes = list(resource)
        methods = {r.method for r in routes}
        for route in routes:
            if route.method == "HEAD" and "GET" in methods:
                continue
            entry = {"methods": [route.method], "path": path}
            entry.update(describe(route.handler))
            found.append(entry)
    return found


def route_table(app):
    framework = type(app).__module__.split(".")[0]
    if hasattr(app, "url_map") and hasattr(app, "view_functions"):
        return framework, flask_routes(app)
    if hasattr(app, "router") and hasattr(app.router, "resources"):
        return framework, aiohttp_routes(app)
    routes = getattr(app, "routes", None)
    if routes is not None:
        return framework, starlette_routes(routes)
    raise SystemExit("not an application bdev can read: " + type(app).__name__)


def django_table(settings):
    """Django's own resolver, set up as manage.py would (its settings by default)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    # Imported by name: Django is the audited service's, never bdev's own dependency.
    importlib.import_module("django").setup()
    resolver = importlib.import_module("django.urls").get_resolver()
    return django_routes(resolver.url_patterns, "/")


def django_routes(patterns, prefix):
    found = []
    for entry in patterns:
        path = prefix + django_path(entry.pattern)
        inner = getattr(entry, "url_patterns", None)  # a URLResolver: include(), admin
        if inner is not None:
            if getattr(entry, "app_name", None) == "admin":  # every AdminSite's urls
                found.append({"path": path, "provided": True})
            else:
                found += django_routes(inner, path)
            continue
        view = entry.callback
        if getattr(unwrapped(view), "__module__", "") in DJANGO_PROVIDED_VIEWS:
            found.append({"path": path, "provided": True})
            continue
        # Django's View.as_view sets view_class, DRF's ViewSet.as_view only cls.
        target = getattr(view, "view_class", None) or getattr(view, "cls", None) or view
        route = {"methods": django_methods(view, target), "path": path}
        route.update(describe(target))
        found.append(route)
    return found


def django_path(pattern):
    """path() converters as {name}; a regex as Django itself reverses it (the spelling
    with the most parameters, when groups are optional)."""
    text = str(pattern)
    if hasattr(pattern, "_route"):
        return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", text)
    normalize = importlib.import_module("django.utils.regex_helper").normalize
    spelled, _params = max(normalize(text), key=lambda p: len(p[1]))
    spelled = re.sub(r"%\(_(\d+)\)s", r"{arg\1}", spelled)  # an unnamed group
    return re.sub(r"%\((\w+)\)s", r"{\1}", spelled)


def django_methods(view, target):
    """What the view answers: a ViewSet's actions, the handlers a class-based view
    implements, or a method list a decorator closed over; None when nothing says."""
    actions = getattr(view, "actions", None)
    if isinstance(actions, dict) and actions:
        return sorted(m.upper() for m in actions)
    if inspect.isclass(target):
        given = getattr(view, "view_initkwargs", None) or getattr(view, "initkwargs", None) or {}
        names = given.get("http_method_names") or getattr(target, "http_method_names", None) or ()
        methods = set()
        for name in names:
            handler = getattr(target, name, None)
            if handler is None:
                continue
            home = (getattr(handler, "__module__", "") or "").split(".")[0]
            if name == "options" and home in ("django", "rest_framework"):
                continue  # answered by the framework for every view
            methods.add(name.upper())
        if "GET" in methods:
            methods.discard("HEAD")
        return sorted(methods) or None
    return declared_methods(view)


def declared_methods(view):
    """A method list in a decorator's closure, as @require_http_methods([...]) and
    @require_POST keep it, looked for down the chain of __wrapped__."""
    func = view
    for _ in range(20):  # a cycle of __wrapped__ ends here
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if (
                isinstance(value, (list, tuple, set, frozenset))
                and value
                and all(isinstance(v, str) and v.upper() in HTTP_METHODS for v in value)
            ):
                methods = {v.upper() for v in value}
                if "GET" in methods:
                    methods.discard("HEAD")
                return sorted(methods)
        func = getattr(func, "__wrapped__", None)
        if func is None:
            return None
    return None


def build(factory):
    """Call an application factory: no arguments, or aiohttp's (argv) convention."""
    required = [
        p
        for p in inspect.signature(factory).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    app = factory([]) if len(required) == 1 else factory()
    if inspect.isawaitable(app):
        app = asyncio.new_event_loop().run_until_complete(app)
    return app


def main():
    spec = json.loads(sys.argv[1])
    sys.path.insert(0, spec["path"])
    os.chdir(spec["path"])
    if spec.get("django_settings"):
        framework, routes = "django", django_table(spec["django_settings"])
    else:
        module = importlib.import_module(spec["module"])
        app = getattr(module, spec["attr"])
        if spec.get("factory"):
            app = build(app)
        framework, routes = route_table(app)
    root = os.path.realpath(spec["root"])
    kept, omitted = [], []
    for route in routes:
        if route.get("provided"):
            omitted.append(route["path"])
            continue
        path = route["file"]
        real = os.path.realpath(path) if path else ""
        ours = real.startswith(root + os.sep) and "site-packages" not in real
        if ours:
            route["file"] = os.path.relpath(real, root)
            kept.append(route)
        elif route["module"].split(".")[0] in FRAMEWORK_PACKAGES:
            omitted.append(route["path"])
        else:
            route["file"] = None
            kept.append(route)
    answer = {"framework": framework, "routes": kept, "omitted": omitted}
    sys.stdout.write("\n" + MARKER + json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
