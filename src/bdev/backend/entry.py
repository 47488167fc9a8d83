"""Where the application object lives and the command that serves it on a port."""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import PurePosixPath

from bdev.backend.facts import EntryPoint
from bdev.backend.pyast import const_str, last_name
from bdev.backend.pyindex import PyIndex, PyModule
from bdev.backend.startcmd import StartCommand, documented_start
from bdev.backend.tree import SourceTree

APP_TYPES = {
    "fastapi": ("FastAPI",),
    "starlette": ("Starlette",),
    "flask": ("Flask",),
    "aiohttp": ("Application",),
}
PREFERRED_FILES = ("main.py", "app.py", "asgi.py", "wsgi.py", "server.py", "api.py", "__init__.py")


def _rank(mod: PyModule) -> tuple:
    """Entry modules first: conventional names, shallow paths."""
    name = PurePosixPath(mod.rel).name
    preferred = PREFERRED_FILES.index(name) if name in PREFERRED_FILES else len(PREFERRED_FILES)
    return (preferred, mod.rel.count("/"), mod.rel)


def _app_objects(mod: PyModule, types: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(module-level app variable, factory function) built from one of `types`."""
    variable = factory = None
    for node in mod.tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if last_name(node.value.func) in types and isinstance(node.targets[0], ast.Name):
                variable = variable or node.targets[0].id
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and factory is None:
            builds = any(
                isinstance(n, ast.Call) and last_name(n.func) in types for n in ast.walk(node)
            )
            if builds and re.search(r"create|make|build|factory|app", node.name):
                factory = node.name
    return variable, factory


def app_object(index: PyIndex, framework: str | None) -> tuple[PyModule, str, bool] | None:
    """(module, name, is a factory) of the application object, the one `find_entry` uses."""
    types = APP_TYPES.get(framework or "")
    if types is None:
        return None
    assert framework is not None
    candidates = [m for m in index.all if any(i.startswith(framework) for i in m.imported)]
    for mod in sorted(candidates, key=_rank):
        variable, factory = _app_objects(mod, types)
        if variable is not None:
            return mod, variable, False
        if factory is not None:
            return mod, factory, True
    return None


def _settings_default(mod: PyModule) -> str | None:
    """The settings module in `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "...")`."""
    for node in mod.nodes:
        if (
            isinstance(node, ast.Call)
            and last_name(node.func) == "setdefault"
            and len(node.args) >= 2
            and const_str(node.args[0]) == "DJANGO_SETTINGS_MODULE"
        ):
            return const_str(node.args[1])
    return None


def django_settings(index: PyIndex) -> tuple[str, str] | None:
    """(folder it is imported from, settings module) of a Django project: the default
    manage.py sets, else the one wsgi.py/asgi.py set; the folder is the settings
    package's import root, else manage.py's own folder (Django's sys.path[0])."""
    found = [(m, name) for m in index.all if (name := _settings_default(m))]
    found.sort(key=lambda f: (PurePosixPath(f[0].rel).name != "manage.py", _rank(f[0])))
    if not found:
        return None
    setter, name = found[0]
    settings = index.modules.get(name)
    if settings is not None:
        return settings.root, name
    folder = str(PurePosixPath(setter.rel).parent)
    return ("" if folder == "." else folder), name


def _app_dir(mod: PyModule) -> list[str]:
    return ["--app-dir", mod.root] if mod.root else []


def _python_entry(index: PyIndex, framework: str) -> EntryPoint | None:
    types = APP_TYPES[framework]
    candidates = [m for m in index.all if any(i.startswith(framework) for i in m.imported)]
    for mod in sorted(candidates, key=_rank):
        variable, factory = _app_objects(mod, types)
        if variable is None and factory is None:
            continue
        if framework in ("fastapi", "starlette"):
            target = f"{mod.name}:{variable or factory}"
            command = ["python", "-m", "uvicorn", target, *_app_dir(mod)]
            if variable is None:
                command.append("--factory")
            command += ["--host", "127.0.0.1", "--port", "{port}"]
            return EntryPoint(file=mod.rel, app=target, command=command)
        if framework == "flask":
            # `flask --app` has no app-dir option but accepts a file path and finds the
            # package root itself.
            where = mod.rel if mod.root else mod.name
            target = f"{where}:{variable}" if variable else f"{where}:{factory}()"
            command = ["python", "-m", "flask", "--app", target, "run", "--port", "{port}"]
            return EntryPoint(file=mod.rel, app=target, command=command)
        # aiohttp's runner wants a function taking argv and returning the application.
        target = f"{mod.name}:{factory or variable}"
        command = (
            ["python", "-m", "aiohttp.web", "-H", "127.0.0.1", "-P", "{port}", target]
            if factory
            else []
        )
        return EntryPoint(file=mod.rel, app=target, command=command)
    return None


def _django_entry(tree: SourceTree) -> EntryPoint | None:
    manage = tree.named("manage.py")
    if not manage:
        return None
    text = tree.text(manage[0])
    settings = re.search(r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]", text)
    app = None
    if settings:
        app = settings.group(1).rsplit(".", 1)[0] + ".wsgi:application"
    command = ["python", manage[0], "runserver", "{port}", "--noreload"]
    return EntryPoint(file=manage[0], app=app, command=command)


def _node_entry(tree: SourceTree) -> EntryPoint | None:
    manifests = tree.named("package.json")
    if not manifests:
        return None
    try:
        data = json.loads(tree.text(manifests[0]))
    except ValueError:
        return None
    main = data.get("main") if isinstance(data.get("main"), str) else None
    # Node services take their port from the environment, so there is no {port} to fill.
    start = (data.get("scripts") or {}).get("start")
    command = ["npm", "start"] if start else (["node", main] if main else [])
    return EntryPoint(file=main or manifests[0], command=command)


def find_entry(
    tree: SourceTree, index: PyIndex, language: str | None, framework: str | None
) -> EntryPoint | None:
    """The application and the command that serves it: the one the project documents
    (bdev.backend.startcmd, in its stated order), else the framework's own."""
    entry = _framework_entry(tree, index, language, framework)
    if language != "python":
        return entry
    default = None
    if entry is not None and entry.command:
        note = "the framework's own port option" if "{port}" in entry.command else ""
        default = StartCommand(entry.command, f"framework default ({framework})", note)
    found = documented_start(tree, index, entry.app if entry else None, default)
    if found.chosen is None:
        return entry
    chosen = found.chosen
    entry = entry or EntryPoint(file=_first_word_file(chosen.command))
    entry.command, entry.source = chosen.command, chosen.source
    entry.port_note, entry.fixed_port = chosen.port_note, chosen.fixed_port
    entry.alternatives = [f"{c.source}: {shlex.join(c.command)}" for c in found.alternatives]
    return entry


def _first_word_file(argv: list[str]) -> str:
    return next((w for w in argv if w.endswith(".py")), argv[0] if argv else "")


def _framework_entry(
    tree: SourceTree, index: PyIndex, language: str | None, framework: str | None
) -> EntryPoint | None:
    if framework == "django":
        return _django_entry(tree)
    if framework in APP_TYPES:
        return _python_entry(index, framework)
    if language in ("javascript", "typescript"):
        return _node_entry(tree)
    if language == "go" and tree.named("main.go"):
        return EntryPoint(file=tree.named("main.go")[0], command=["go", "run", "."])
    return None
