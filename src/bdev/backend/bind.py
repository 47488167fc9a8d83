"""Make a documented start command listen where the audit chooses: 127.0.0.1 and `{port}`.

`$PORT` in any form becomes `{port}` (the audit also sets PORT in the environment). Python
servers the audit knows get their host/port options rewritten, or added when missing, and
run as `python -m <server>` so that the service's own interpreter runs them. Anything
else keeps its arguments; `Bound.note` then says how the port is chosen, or that it
cannot be.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

HOST = "127.0.0.1"
PORT_VAR = re.compile(r"\$\{PORT(?:[:]?[-=][^}]*)?\}|\$PORT\b")
# Console script -> (module for `python -m`, host:port option(s), port option(s), host option(s))
SERVERS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "gunicorn": ("gunicorn", ("-b", "--bind"), (), ()),
    "hypercorn": ("hypercorn", ("-b", "--bind"), (), ()),
    "uvicorn": ("uvicorn", (), ("--port",), ("--host",)),
    "daphne": ("daphne", (), ("-p", "--port"), ("-b", "--bind")),
    "flask": ("flask", (), ("-p", "--port"), ("-h", "--host")),
    "waitress-serve": ("waitress", ("--listen",), ("--port",), ("--host",)),
    "aiohttp.web": ("aiohttp.web", (), ("-P", "--port"), ("-H", "--hostname")),
}
_MODULES = {module: name for name, (module, *_rest) in SERVERS.items()}
_SHELL_OPERATORS = re.compile(r"\s*(?:&&|\|\||;)\s*")


@dataclass(frozen=True)
class Bound:
    argv: list[str]  # "{port}" marks where the audit's port goes
    note: str  # how the port is chosen


def _server(argv: list[str]) -> tuple[str, int] | None:
    """(server name, index of its first option) for `gunicorn ...`, `python -m uvicorn ...`."""
    if not argv:
        return None
    program = argv[0].rsplit("/", 1)[-1]
    if program in SERVERS:
        return program, 1
    if re.fullmatch(r"python[\d.]*", program) and len(argv) > 2 and argv[1] == "-m":
        name = _MODULES.get(argv[2])
        return (name, 3) if name else None
    return None


def _set_option(args: list[str], names: tuple[str, ...], value: str) -> tuple[list[str], bool]:
    """Every `--opt X`, `--opt=X`, `-oX` of `names` set to `value` (the first kept)."""
    out: list[str] = []
    found = False
    i = 0
    while i < len(args):
        arg = args[i]
        name = next(
            (n for n in names if arg == n or arg.startswith(n + "=") or _short_glued(arg, n)),
            None,
        )
        if name is None:
            out.append(arg)
            i += 1
            continue
        if not found:
            out += [name, value]
            found = True
        i += 1 if arg != name else 2  # skip the value given separately
    return out, found


def _short_glued(arg: str, name: str) -> bool:
    return len(name) == 2 and arg.startswith(name) and len(arg) > 2 and arg[2] != "="


def bind_argv(argv: list[str]) -> Bound:
    """One command (no shell operators) made to listen on HOST:{port}."""
    argv = [PORT_VAR.sub("{port}", a) for a in argv]
    # `exec gunicorn ...`, `FLASK_ENV=production flask run`: the server comes after these.
    n = 0
    while n < len(argv) and (argv[n] == "exec" or re.fullmatch(r"\w+=.*", argv[n])):
        n += 1
    assignments = [a for a in argv[:n] if a != "exec"]
    lead, argv = (["env", *assignments] if assignments else []), argv[n:]
    found = _server(argv)
    if found is not None and found[0] == "flask" and "run" not in argv:
        found = None  # `flask db upgrade`: a command, not the server
    if found is None:
        if any("{port}" in a for a in argv):
            return Bound([*lead, *argv], "the command takes $PORT")
        return Bound([*lead, *argv], "")
    name, start = found
    module, hostport, port_opts, host_opts = SERVERS[name]
    head, args = ["python", "-m", module], argv[start:]
    if name == "flask" and "run" in args:  # options belong after `run`
        at = args.index("run") + 1
        before, args = args[:at], args[at:]
        head += before
    if hostport and not port_opts:
        args, _ = _set_option(args, hostport, f"{HOST}:{{port}}")
        if hostport[-1] not in args and hostport[0] not in args:
            args = [hostport[-1], f"{HOST}:{{port}}", *args]
    else:
        if hostport:  # waitress --listen: drop it in favour of --host/--port
            args, _ = _set_option(args, hostport, f"{HOST}:{{port}}")
            args = _drop(args, hostport)
        args, has_port = _set_option(args, port_opts, "{port}")
        args, has_host = _set_option(args, host_opts, HOST)
        added = ([] if has_host else [host_opts[-1], HOST]) + (
            [] if has_port else [port_opts[-1], "{port}"]
        )
        args = [*added, *args]
    return Bound([*lead, *head, *args], f"{name}'s listen options set to {HOST}:{{port}}")


def _drop(args: list[str], names: tuple[str, ...]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in names:
            skip = True
            continue
        if any(arg.startswith(n + "=") for n in names):
            continue
        out.append(arg)
    return out


def bind_shell(text: str) -> Bound:
    """A shell command line (Procfile, Dockerfile shell form, compose string): one plain
    command becomes an argv; a chain (`a && b`) runs under `sh -c`, each part rewritten."""
    parts = _SHELL_OPERATORS.split(text.strip())
    operators = _SHELL_OPERATORS.findall(text.strip())
    try:
        split = [shlex.split(p) for p in parts]
    except ValueError:
        return Bound(["sh", "-c", PORT_VAR.sub("{port}", text)], "")
    bound = [bind_argv(words) for words in split]
    if len(bound) == 1 and not re.search(r"[|<>`]|\$\(", text):
        return bound[0]
    chained = shlex.join(bound[0].argv)
    for op, b in zip(operators, bound[1:], strict=True):
        chained += f" {op.strip()} {shlex.join(b.argv)}"
    notes = [b.note for b in bound if b.note]
    return Bound(["sh", "-c", chained], notes[-1] if notes else "")
