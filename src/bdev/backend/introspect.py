"""Routes as the framework sees them: import the application in the service's own
environment and read its route table (Flask's `url_map`, Starlette/FastAPI's `routes`
through mounts and routers, aiohttp's `app.router` with sub-applications, Django's URL
resolver after `django.setup()` with the settings manage.py names).

The import runs the service's code, so it runs in the sandbox: no network, the service's
tree read-only (importing must not create its database before the audit's migration
check does), a scratch folder as the working directory. The script it runs is
bdev.backend.route_table (standard library only). Whatever goes wrong (an import error,
a missing setting, a timeout) is the reason given for falling back to static analysis.

Each route keeps what static analysis knows about its handler (auth level and evidence,
request/response models), matched by file and handler name; a handler static analysis did
not reach is classified from its own code.
"""

from __future__ import annotations

import ast
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bdev.backend import route_table
from bdev.backend.audit.procs import run_bounded, tail
from bdev.backend.auth import AuthInspector, strongest
from bdev.backend.entry import app_object, django_settings
from bdev.backend.facts import BackendFacts, Endpoint, Location
from bdev.backend.pyindex import PyIndex
from bdev.backend.routes import handler_auth_of, route_auth

TIMEOUT_S = 60.0
INTROSPECTED = ("flask", "fastapi", "starlette", "aiohttp", "django")


@dataclass
class RouteTable:
    endpoints: list[Endpoint] | None  # None: the framework could not be asked
    note: str  # what was read, or why it could not be
    omitted: list[str] = field(default_factory=list)  # routes the framework provides itself


def introspect(
    root: Path,
    index: PyIndex,
    framework: str | None,
    static: list[Endpoint],
    *,
    python: str,
    env: dict[str, str] | None = None,
    workdir: Path | None = None,
    timeout_s: float = TIMEOUT_S,
) -> RouteTable:
    """The app's own route table, merged with what static analysis knows of each handler."""
    if framework not in INTROSPECTED:
        why = f"{framework}: not read from the framework" if framework else "no known framework"
        return RouteTable(None, why)
    target = _target(root, index, framework)
    if isinstance(target, str):
        return RouteTable(None, target)
    spec, what = target
    with tempfile.TemporaryDirectory(prefix="bdev-routes-", dir=workdir) as scratch:
        run = run_bounded(
            [python, "-c", Path(route_table.__file__).read_text(), json.dumps(spec)],
            cwd=Path(scratch),
            timeout_s=timeout_s,
            log=Path(scratch) / "routes.log",
            env={**(env or {}), "PYTHONDONTWRITEBYTECODE": "1"},
            readable=[root],
        )
    if run.timed_out:
        return RouteTable(None, f"importing {what} took over {timeout_s:g} s")
    answer = _answer(run.output)
    if run.returncode != 0 or answer is None:
        last = tail(run.output, 1).strip() or f"exit code {run.returncode}"
        return RouteTable(None, f"importing {what} failed: {last}")
    endpoints = _merge(answer.get("routes", []), static, index)
    omitted = [str(p) for p in answer.get("omitted", [])]
    note = f"{len(endpoints)} routes from {what} ({answer.get('framework')})"
    if omitted:
        shown = ", ".join(omitted[:4]) + (" ..." if len(omitted) > 4 else "")
        note += f"; left out, served by the framework itself: {shown}"
    return RouteTable(endpoints, note, omitted)


def _target(root: Path, index: PyIndex, framework: str) -> tuple[dict, str] | str:
    """What route_table imports, and its name for the notes; or why there is nothing."""
    if framework == "django":
        settings = django_settings(index)
        if settings is None:
            return "no DJANGO_SETTINGS_MODULE default found (manage.py, wsgi.py, asgi.py)"
        folder, name = settings
        path = str(root / folder) if folder else str(root)
        return {"root": str(root), "path": path, "django_settings": name}, f"{name} URLconf"
    found = app_object(index, framework)
    if found is None:
        return "no application object found to import"
    mod, name, factory = found
    spec = {
        "root": str(root),
        "path": str(root / mod.root) if mod.root else str(root),
        "module": mod.name,
        "attr": name,
        "factory": factory,
    }
    return spec, f"{mod.name}:{name}{'()' if factory else ''}"


def use_table(facts: BackendFacts, table: RouteTable, static: list[Endpoint]) -> None:
    """Put the framework's routes into `facts`, or keep the static ones and say why."""
    if table.endpoints is None:
        facts.routes_method = "static"
        facts.routes_note = f"read from the code; not from the framework: {table.note}"
        facts.endpoints = static
        return
    facts.routes_method, facts.routes_note = "introspection", table.note
    facts.endpoints = table.endpoints


def _answer(output: str) -> dict | None:
    for line in reversed(output.splitlines()):
        if line.startswith(route_table.MARKER):
            try:
                parsed = json.loads(line[len(route_table.MARKER) :])
            except ValueError:
                return None
            return parsed if isinstance(parsed, dict) else None
    return None


def _merge(routes: list[dict], static: list[Endpoint], index: PyIndex) -> list[Endpoint]:
    by_method = {(e.location.file, e.handler, e.method): e for e in static if e.location}
    by_handler = {(e.location.file, e.handler): e for e in static if e.location}
    # Django routes every method to a plain function view: the code says which it handles.
    static_methods: dict[tuple[str, str], list[str]] = {}
    for e in static:
        if e.location:
            static_methods.setdefault((e.location.file, e.handler), []).append(e.method)
    inspector = AuthInspector(index)
    merged: dict[tuple[str, str], Endpoint] = {}
    for route in routes:
        file = str(route["file"]) if route.get("file") else None
        handler, path = str(route.get("handler")), str(route["path"])
        methods = route.get("methods") or static_methods.get((file or "", handler)) or ["GET"]
        for method in methods:
            known = by_method.get((file or "", handler, method)) or by_handler.get(
                (file or "", handler)
            )
            if known is not None:
                auth, evidence = known.auth, known.auth_evidence
                location = known.location
                models = (known.request_model, known.response_model)
            else:
                found = _classify(index, inspector, file, handler, path)
                auth, evidence = found
                line = route.get("line")
                location = Location(file=file, line=int(line)) if file and line else None
                models = (None, None)
            merged[(method, path)] = Endpoint(
                method=method,
                path=path,
                handler=handler,
                location=location,
                auth=auth,
                auth_evidence=evidence,
                request_model=models[0],
                response_model=models[1],
                source="introspection",
            )
    return list(merged.values())


def _classify(
    index: PyIndex, inspector: AuthInspector, file: str | None, handler: str, path: str
) -> tuple:
    """Auth of a handler static analysis did not reach as a route: from its own code."""
    mod = index.by_file.get(file) if file else None
    node = None
    if mod is not None:
        node = next(
            (
                n
                for n in mod.nodes
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == handler
            ),
            None,
        )
    if mod is None or node is None:
        return None, "the handler's code was not found in the tree"
    found = route_auth(handler, path, strongest(handler_auth_of(inspector, mod, node)))
    return found.level, found.evidence
