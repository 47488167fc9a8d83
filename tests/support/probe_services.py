"""Start one of the Flask fixture services under tests/fixtures/services for the probe
tests: flawed (default) or with every planted flaw fixed (`safe=True`, FIXTURE_SAFE=1)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bdev.backend.audit.procs import free_port, stop_group, wait_for_port

SERVICES = Path(__file__).parents[1] / "fixtures" / "services"


@contextlib.contextmanager
def fixture_service(name: str, *, safe: bool = False) -> Iterator[str]:
    """The base URL of the fixture `name` running on a free port, until the block ends."""
    port = free_port()
    env = {**os.environ, "FIXTURE_SAFE": "1" if safe else "0"}
    command = [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)]
    proc = subprocess.Popen(
        command, cwd=SERVICES / name, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        if not wait_for_port(port, timeout_s=20):
            raise RuntimeError(f"{name} did not start listening on port {port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc)
