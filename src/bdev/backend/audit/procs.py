"""Child processes for the audit: free ports, bounded runs, process-group shutdown.

Every process the audit starts gets its own session (process group), so stopping it
also stops whatever it spawned (uvicorn workers, pytest-xdist, reloaders). The code under
audit runs inside the sandbox (bdev.sandbox) unless it is disabled: the workspace and the
log's folder (the audit's workdir) writable, loopback-only network unless asked.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bdev.sandbox import Network, confine

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """True when something already accepts connections on (host, port), or it can't be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        if s.connect_ex((host, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def wait_for_port(port: int, timeout_s: float, host: str = LOOPBACK) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.1)
    return False


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def read_tail(path: Path, lines: int = 40) -> str:
    try:
        return tail(path.read_text(errors="replace"), lines)
    except OSError:
        return ""


def stop_group(proc: subprocess.Popen, grace_s: float = 5.0, sig: int = signal.SIGTERM) -> None:
    """Stop a process started with start_new_session=True and all of its children."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace_s)
    # Children may outlive a parent that exited on SIGTERM: sweep the group either way.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)


@dataclass
class Completed:
    """The outcome of a bounded run; `output` holds stdout+stderr even after a timeout."""

    returncode: int | None  # None when it timed out
    output: str
    duration_s: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_bounded(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    log: Path,
    env: Mapping[str, str] | None = None,
    network: Network = Network.NONE,
    sandboxed: bool = True,
    writable: Sequence[Path] = (),
    readable: Sequence[Path] = (),
) -> Completed:
    """Run argv to completion or until timeout_s, output going to `log`.

    Output goes to a file rather than a pipe so that a child that hangs (or a grandchild
    that keeps the pipe open) can neither block us nor lose what it printed so far.
    `sandboxed=False` only for bdev's own tools (the installers of the environment step);
    `writable`: folders besides `cwd` and the log's that the command may use; `readable`:
    folders it only reads.
    """
    start = time.monotonic()
    if sandboxed:
        confined = confine(
            argv,
            cwd=cwd,
            env=env,
            writable=[log.parent, *writable],
            network=network,
            readable=readable,
        )
        argv, env = confined.argv, confined.env
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            stop_group(proc, grace_s=3.0)
    return Completed(code, log.read_text(errors="replace"), time.monotonic() - start)
