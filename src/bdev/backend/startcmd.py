"""The start command the project itself documents, and where it says so.

Looked for in this order; the first found is used, the others are kept as alternatives:

1. `Procfile`, its `web:` process: the declaration of how the web process is served.
2. `Dockerfile`, the last stage's `ENTRYPOINT`/`CMD`: what the built image runs.
3. A compose file (`docker-compose.yml`, `compose.yaml`, ...), the `command:` of a
   service built from this directory: what local orchestration runs.
4. A gunicorn configuration file (`gunicorn.conf.py`, `gunicorn_config.py`, ...): implies
   `gunicorn -c FILE APP`, with its `wsgi_app` or the analysed application.
5. A `__main__` block that prepares something before serving (creates tables, seeds data,
   reads configuration): `python FILE` (or `python -m PACKAGE`). A block that only serves
   (`app.run(...)`, `uvicorn.run(...)`) adds nothing to the framework's own command, which
   lets the audit choose the port, so it is not used.
6. The framework's own command for the analysed application (`flask run`, `uvicorn`, ...).

uvicorn has no configuration file of its own; its command lines come from 1-3. Every
command is made to listen on 127.0.0.1 and the audit's port (bdev.backend.bind); when the
code fixes the port, `fixed_port` says which, and the note says so.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

from bdev.backend.bind import Bound, bind_argv, bind_shell
from bdev.backend.pyast import const_str, dotted, keyword, last_name
from bdev.backend.pyindex import PyIndex, PyModule
from bdev.backend.tree import SourceTree

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
GUNICORN_CONFIGS = ("gunicorn.conf.py", "gunicorn_config.py", "gunicorn_conf.py", "gunicorn.py")
# Calls that serve an application from a `__main__` block.
SERVE_CALLS = {"run", "run_app", "serve", "run_simple", "socketio.run"}
# Assignments in a `__main__` block that only set up serving.
SERVE_SETTINGS = re.compile(r"port|host|debug|environ|getenv|ArgumentParser|parse_args", re.I)
_PREFERRED_SERVICES = ("web", "app", "api", "backend", "server")


@dataclass(frozen=True)
class StartCommand:
    command: list[str]  # "{port}" is filled in by the audit
    source: str  # e.g. "Procfile line 1"
    port_note: str = ""  # how the audit's port reaches the service, or why it cannot
    fixed_port: int | None = None  # the port the code binds whatever the audit says


@dataclass
class Found:
    chosen: StartCommand | None = None
    alternatives: list[StartCommand] = field(default_factory=list)


def documented_start(
    tree: SourceTree, index: PyIndex, app_target: str | None, default: StartCommand | None
) -> Found:
    """Every documented start command in the module docstring's order; `default` is the
    framework's own command for the analysed app, `app_target` its "module:attr"."""
    found = [
        *_procfile(tree),
        *_dockerfile(tree),
        *_compose(tree),
        *_gunicorn_config(tree, app_target),
        *_main_blocks(index),
    ]
    if default is not None and default.command:
        found.append(default)
    found = [_with_code_port(c, tree, index) for c in found]
    return Found(found[0], found[1:]) if found else Found()


def _command(bound: Bound, source: str) -> StartCommand:
    return StartCommand(bound.argv, source, bound.note)


# --- 1. Procfile ----------------------------------------------------------------------------


def _procfile(tree: SourceTree) -> list[StartCommand]:
    if "Procfile" not in tree.files:
        return []
    for number, line in enumerate(tree.text("Procfile").splitlines(), 1):
        kind, _, text = line.partition(":")
        if kind.strip() == "web" and text.strip():
            return [_command(bind_shell(text), f"Procfile line {number} (web)")]
    return []


# --- 2. Dockerfile --------------------------------------------------------------------------


def _dockerfile(tree: SourceTree) -> list[StartCommand]:
    if "Dockerfile" not in tree.files:
        return []
    entrypoint: tuple[int, list[str] | str] | None = None
    cmd: tuple[int, list[str] | str] | None = None
    for number, instruction, text in _instructions(tree.text("Dockerfile")):
        if instruction == "FROM":  # a new stage: only the last one's matter
            entrypoint = cmd = None
        elif instruction in ("CMD", "ENTRYPOINT"):
            parsed = _exec_form(text)
            if instruction == "CMD":
                cmd = (number, parsed)
            else:
                entrypoint, cmd = (number, parsed), None  # ENTRYPOINT resets an earlier CMD
    if entrypoint is None and cmd is None:
        return []
    value: list[str] | str
    if entrypoint is not None and (isinstance(entrypoint[1], str) or cmd is None):
        line, value = entrypoint
        source = f"Dockerfile line {line} (ENTRYPOINT)"
    elif entrypoint is not None and cmd is not None:
        cmd_words = cmd[1] if isinstance(cmd[1], list) else ["sh", "-c", cmd[1]]
        line, value = entrypoint[0], [*entrypoint[1], *cmd_words]
        source = f"Dockerfile lines {entrypoint[0]} (ENTRYPOINT) and {cmd[0]} (CMD)"
    else:
        assert cmd is not None
        line, value = cmd
        source = f"Dockerfile line {line} (CMD)"
    script = _script_in_tree(tree, value if isinstance(value, list) else _split(value))
    if script is not None:
        return [_command(bind_shell(script[1]), f"{script[0]}, run by {source}")]
    bound = bind_argv(value) if isinstance(value, list) else bind_shell(value)
    return [_command(bound, source)]


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # unbalanced quotes: not a script call we can read
        return []


def _instructions(text: str) -> list[tuple[int, str, str]]:
    """(line number, INSTRUCTION, value) with continuation lines joined."""
    out: list[tuple[int, str, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        instruction, _, value = full.partition(" ")
        out.append((start, instruction.upper(), value.strip()))
    return out


def _exec_form(value: str) -> list[str] | str:
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, list) and all(isinstance(w, str) for w in parsed):
            return parsed
    return value


def _script_in_tree(tree: SourceTree, words: list[str]) -> tuple[str, str] | None:
    """A boot script of the project (`./boot.sh`, `sh entrypoint.sh`): (file, its text)
    with `exec "$@"` left out, since the script is run as the whole command."""
    if words and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash") and len(words) > 1:
        words = words[1:]
    if not words:
        return None
    name = PurePosixPath(words[0]).name
    matches = [f for f in tree.files if PurePosixPath(f).name == name and f.count("/") == 0]
    if not matches or not (name.endswith(".sh") or tree.text(matches[0]).startswith("#!")):
        return None
    lines = [
        line
        for line in tree.text(matches[0]).splitlines()
        if line.strip() and not line.lstrip().startswith("#") and '"$@"' not in line
    ]
    return (matches[0], " && ".join(lines)) if lines else None


# --- 3. compose -----------------------------------------------------------------------------


def _compose(tree: SourceTree) -> list[StartCommand]:
    for name in COMPOSE_FILES:
        if name not in tree.files:
            continue
        try:
            data = yaml.safe_load(tree.text(name))
        except yaml.YAMLError:
            return []
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            return []
        built = {
            key: svc
            for key, svc in services.items()
            if isinstance(svc, dict) and _builds_here(svc.get("build")) and svc.get("command")
        }
        if not built:
            return []
        key = next((k for k in _PREFERRED_SERVICES if k in built), next(iter(built)))
        command = built[key]["command"]
        source = f"{name} services.{key}.command"
        if isinstance(command, list):
            return [_command(bind_argv([str(w) for w in command]), source)]
        return [_command(bind_shell(str(command)), source)]
    return []


def _builds_here(build: object) -> bool:
    context = build.get("context", ".") if isinstance(build, dict) else build
    return isinstance(context, str) and context.rstrip("/") in (".", "./")


# --- 4. gunicorn configuration --------------------------------------------------------------


def _gunicorn_config(tree: SourceTree, app_target: str | None) -> list[StartCommand]:
    for name in GUNICORN_CONFIGS:
        if name not in tree.files:
            continue
        module = tree.module(name)
        wsgi_app = None
        if module is not None:
            for node in module.body:
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "wsgi_app" for t in node.targets
                ):
                    wsgi_app = const_str(node.value)
        target = wsgi_app or app_target
        if target is None:
            return []
        bound = bind_argv(["gunicorn", "-c", name, *([] if wsgi_app else [target])])
        return [_command(bound, f"{name} (gunicorn configuration)")]
    return []


# --- 5. __main__ blocks ---------------------------------------------------------------------


def _main_blocks(index: PyIndex) -> list[StartCommand]:
    found = []
    for mod in sorted(index.all, key=lambda m: (m.rel.count("/"), m.rel)):
        block = _main_block(mod)
        if block is None:
            continue
        serve = [n for n in ast.walk(block) if isinstance(n, ast.Call) and _serves(n)]
        if not serve:
            continue
        prepares = [s for s in block.body if not _only_serves(s)]
        if not prepares:
            continue  # only serves: the framework's command does the same
        if PurePosixPath(mod.rel).name == "__main__.py":
            argv = ["python", "-m", mod.name.removesuffix(".__main__")]
        else:
            argv = ["python", mod.rel]
        what = ast.unparse(prepares[0]).splitlines()[0]
        source = f"{mod.rel} line {block.lineno} (__main__ block; it runs `{what}` first)"
        found.append(StartCommand(argv, source))
    return found


def _main_block(mod: PyModule) -> ast.If | None:
    if PurePosixPath(mod.rel).name == "__main__.py":
        return ast.If(test=ast.Constant(True), body=mod.tree.body, orelse=[], lineno=1)
    for node in mod.tree.body:
        if isinstance(node, ast.If) and re.fullmatch(
            r"__name__\s*==\s*['\"]__main__['\"]", ast.unparse(node.test)
        ):
            return node
    return None


def _serves(call: ast.Call) -> bool:
    name = dotted(call.func)
    return last_name(call.func) in SERVE_CALLS and name not in ("asyncio.run", "subprocess.run")


def _only_serves(stmt: ast.stmt) -> bool:
    """Imports, the serve call itself, and reading the port/host/debug settings."""
    if isinstance(stmt, ast.Import | ast.ImportFrom | ast.Pass):
        return True
    text = ast.unparse(stmt)
    if isinstance(stmt, ast.Expr) and re.search(r"\.add_argument\(", text):
        return True  # command-line options for the port and host
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return _serves(stmt.value)
    if isinstance(stmt, ast.Assign | ast.AnnAssign):
        return bool(SERVE_SETTINGS.search(text))
    return False


# --- the port the code binds ----------------------------------------------------------------


def _with_code_port(command: StartCommand, tree: SourceTree, index: PyIndex) -> StartCommand:
    """For `python FILE` and `python -m PKG`: does the serving call read $PORT, fix a port,
    or take a --port argument?"""
    if command.port_note or any("{port}" in w for w in command.command):
        return command
    mod = _module_run(command.command, index)
    block = _main_block(mod) if mod is not None else None
    if mod is None or block is None:
        if command.command and command.command[0] == "sh":
            return command  # a script: its own lines say how it listens
        return _note(command, "cannot choose the port: the command has no port option;"
                     " the audit sets PORT and waits on its port")  # fmt: skip
    for call in (n for n in ast.walk(block) if isinstance(n, ast.Call) and _serves(n)):
        port = keyword(call, "port")
        text = ast.unparse(port) if port is not None else ""
        if re.search(r"\bPORT\b", text):
            return _note(command, f"{mod.rel} line {call.lineno} reads $PORT")
        if isinstance(port, ast.Constant) and isinstance(port.value, int):
            return StartCommand(
                command.command,
                command.source,
                f"cannot choose the port: {mod.rel} line {call.lineno} fixes it at"
                f" {port.value}; the audit uses that port",
                port.value,
            )
    if re.search(r"add_argument\(\s*['\"]--port['\"]", ast.unparse(block)):
        return _note(
            StartCommand([*command.command, "--port", "{port}"], command.source),
            f"{mod.rel} takes --port",
        )
    return _note(command, f"cannot choose the port: {mod.rel} does not say how it listens;"
                 " the audit sets PORT and waits on its port")  # fmt: skip


def _module_run(argv: list[str], index: PyIndex) -> PyModule | None:
    words = argv[1:] if argv and re.fullmatch(r"python[\d.]*", argv[0]) else []
    if len(words) >= 2 and words[0] == "-m":
        package = index.modules.get(words[1])
        main = index.modules.get(f"{words[1]}.__main__")
        return main or package
    if words and words[0].endswith(".py"):
        return index.by_file.get(words[0].removeprefix("./"))
    return None


def _note(command: StartCommand, note: str) -> StartCommand:
    return StartCommand(command.command, command.source, note, command.fixed_port)
