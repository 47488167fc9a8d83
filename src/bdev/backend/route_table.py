"""Run by the service's own interpreter, never imported by bdev: import the application and
print its route table as the framework itself sees it.

Standard library only, and no syntax newer than Python 3.8, since the service's Python
may be older than bdev's. bdev.backend.introspect passes it with `python -c` and one JSON
argument: {"path": sys.path entry, "module": ..., "attr": ..., "factory": bool}. The answer
is one line, MARKER followed by JSON: {"framework", "routes": [{methods, path, handler,
module, file, line}], "omitted": routes the framework itself provides (static files, docs)}.
"""

import asyncio
import contextlib
import importlib
import inspect
import json
import os
import sys

MARKER = "@@bdev-route-table@@"
FRAMEWORK_PACKAGES = ("flask", "werkzeug", "starlette", "fastapi", "aiohttp")


def describe(handler):
    """Name, module, file and line of a view, through decorators and class-based views."""
    target = getattr(handler, "view_class", None) or handler
    with contextlib.suppress(ValueError):  # a cycle of __wrapped__
        target = inspect.unwrap(target)
    name = getattr(target, "__name__", type(target).__name__)
    module = getattr(target, "__module__", "") or ""
    try:
        path = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        path, line = None, None
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
    module = importlib.import_module(spec["module"])
    app = getattr(module, spec["attr"])
    if spec.get("factory"):
        app = build(app)
    framework, routes = route_table(app)
    root = os.path.realpath(spec["root"])
    kept, omitted = [], []
    for route in routes:
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
