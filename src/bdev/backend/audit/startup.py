"""Step 4: start the service, wait until it answers HTTP, check its health endpoints.

The service runs in its own process group with output to a log file; `running_service`
always stops the whole group on exit, and a start-up failure carries the log's tail.
It runs in the sandbox (bdev.sandbox) on the host's network namespace: bdev measures it
from outside over 127.0.0.1 (the module docstring of bdev.sandbox says why).

The command is `--cmd`, else the one the project documents (bdev.backend.startcmd gives
the order). The run is the deployment, not development: the project's dotenv files
(`.flaskenv`, `.env`) may switch Flask's debugger on for `flask run`, so DEPLOYMENT_ENV
switches it off; a command that asks for debug itself (`--debug`, `app.run(debug=True)`)
keeps it, since that is how the project is served.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bdev.backend.audit.procs import LOOPBACK, port_in_use, read_tail, stop_group
from bdev.backend.audit.results import StepResult
from bdev.backend.facts import BackendFacts
from bdev.sandbox import Network, confine

# Set for the service's run (over bdev's own environment too); dotenv loaders never
# override what the environment already has.
DEPLOYMENT_ENV = {"FLASK_DEBUG": "0", "FLASK_ENV": "production"}


class StartupError(Exception):
    """The service did not come up; the message says why (with the log's tail)."""


@dataclass
class Service:
    base_url: str
    port: int
    command: list[str]
    log: Path
    proc: subprocess.Popen
    health: list[dict] = field(default_factory=list)
    ready_after_s: float = 0.0
    source: str = ""  # where the command comes from


@dataclass(frozen=True)
class StartPlan:
    argv: list[str]  # "{port}" still in it
    source: str  # "--cmd", "Procfile line 1 (web)", ...
    port_note: str = ""

    @property
    def text(self) -> str:
        return shlex.join(self.argv)


def start_plan(facts: BackendFacts, cmd: str | None) -> StartPlan:
    """The command that starts the service and where it comes from: --cmd, the one the
    project documents, or a guess from the application object."""
    entry = facts.entry_point
    if cmd:
        return StartPlan(shlex.split(cmd), "--cmd")
    if entry and entry.command:
        return StartPlan(list(entry.command), entry.source or "analysis", entry.port_note)
    if entry and entry.app and facts.framework == "flask":
        argv = ["python", "-m", "flask", "--app", entry.app, "run", "--port", "{port}"]
        return StartPlan(argv, "guess from the Flask application object")
    if entry and entry.app:
        argv = ["python", "-m", "uvicorn", entry.app, "--port", "{port}"]
        return StartPlan(argv, "guess from the ASGI application object")
    raise StartupError("no start command found: pass one with --cmd 'CMD {port}'")


def start_command(
    facts: BackendFacts, cmd: str | None, port: int, python: str = sys.executable
) -> list[str]:
    """The argv that starts the service on `port`: --cmd, the analysed one, or a guess."""
    argv = [arg.replace("{port}", str(port)) for arg in start_plan(facts, cmd).argv]
    # Run with the service's interpreter: the one the tests ran under; a bare "python"
    # may not exist or may be another environment.
    if argv[0] in ("python", "python3"):
        argv[0] = python
    return argv


def probe_path(facts: BackendFacts) -> str:
    return facts.health_endpoints[0] if facts.health_endpoints else "/"


@contextlib.contextmanager
def running_service(
    root: Path,
    facts: BackendFacts,
    *,
    port: int,
    cmd: str | None,
    env: dict[str, str],
    log: Path,
    timeout_s: float,
    python: str = sys.executable,
) -> Iterator[Service]:
    if port_in_use(port) and not _only_time_wait(port):
        raise StartupError(
            f"port {port} is already in use on {LOOPBACK}: choose another with --port"
        )
    argv = start_command(facts, cmd, port, python)
    base_url = f"http://{LOOPBACK}:{port}"
    if not _runnable(argv[0], root, env.get("PATH")):  # said here: bwrap would only log it
        raise StartupError(f"could not run {shlex.join(argv)}: no such command")
    confined = confine(
        argv, cwd=root, env={**env, **DEPLOYMENT_ENV, "PORT": str(port)}, writable=[log.parent],
        network=Network.HOST,
    )  # fmt: skip
    with log.open("wb") as out:
        try:
            proc = subprocess.Popen(
                confined.argv, cwd=root, env=confined.env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        except OSError as e:
            raise StartupError(f"could not run {shlex.join(argv)}: {e.strerror}") from e
    try:
        ready_after = _wait_until_answering(proc, base_url, probe_path(facts), log, timeout_s)
        source = start_plan(facts, cmd).source
        service = Service(base_url, port, argv, log, proc, ready_after_s=ready_after, source=source)
        service.health = [check_endpoint(base_url, path) for path in facts.health_endpoints]
        yield service
    finally:
        stop_group(proc)


def _runnable(program: str, root: Path, path: str | None) -> bool:
    if "/" in program:
        return shutil.which(str(root / program)) is not None  # relative to the service
    return shutil.which(program, path=path) is not None


def _only_time_wait(port: int) -> bool:
    """True when nothing listens on the port and a server could bind it: connections of
    an earlier service there linger in TIME_WAIT (a fixed port, e.g. a task's 5000),
    which servers bind past with SO_REUSEADDR."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        if s.connect_ex((LOOPBACK, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _wait_until_answering(
    proc: subprocess.Popen, base_url: str, path: str, log: Path, timeout_s: float
) -> float:
    start = time.monotonic()
    with httpx.Client(base_url=base_url, timeout=2.0, trust_env=False) as client:
        while time.monotonic() - start < timeout_s:
            if proc.poll() is not None:
                raise StartupError(
                    f"the service exited with code {proc.returncode} during start-up{_tail(log)}"
                )
            try:
                client.get(path)  # any HTTP answer, even a 404, means it is serving
                return time.monotonic() - start
            except httpx.HTTPError:
                time.sleep(0.2)
    raise StartupError(f"the service did not answer HTTP within {timeout_s:g} s{_tail(log)}")


def _tail(log: Path) -> str:
    text = read_tail(log)
    return f"; log tail:\n{text}" if text.strip() else "; it printed nothing"


def check_endpoint(base_url: str, path: str) -> dict:
    try:
        response = httpx.get(base_url + path, timeout=5.0, trust_env=False)
    except httpx.HTTPError as e:
        return {"path": path, "status_code": None, "ok": False, "error": str(e) or type(e).__name__}
    return {
        "path": path,
        "status_code": response.status_code,
        "ok": response.is_success,
        "body": response.text[:200],
    }


def startup_result(service: Service, duration_s: float) -> StepResult:
    unhealthy = [h for h in service.health if not h["ok"]]
    summary = f"answering on {service.base_url} after {service.ready_after_s:.1f} s"
    if service.health:
        summary += (
            f"; {len(service.health) - len(unhealthy)}/{len(service.health)} health checks ok"
        )
    else:
        summary += "; no health endpoint declared"
    return StepResult(
        name="startup",
        status="failed" if unhealthy else "ok",
        duration_s=duration_s,
        summary=summary,
        data={
            "command": shlex.join(service.command),
            "command_source": service.source,
            "base_url": service.base_url,
            "ready_after_s": round(service.ready_after_s, 3),
            "health": service.health,
        },
    )
