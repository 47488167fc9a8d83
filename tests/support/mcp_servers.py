"""A minimal MCP server for tests, written with the SDK's FastMCP, and ways to run it.

The server file goes into the test's workspace: stdio servers run in the sandbox, whose
private /tmp would hide a file elsewhere under the test's tmp_path.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ADDER = '''
import os
import sys
from pathlib import Path

from mcp.server.fastmcp import FastMCP

if os.environ.get("ADDER_MARK"):  # proves that the server was started at all
    Path(os.environ["ADDER_MARK"]).write_text("started")

server = FastMCP("adder")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def record(note: str) -> str:
    """Append a note to notes.txt in the working directory."""
    with open("notes.txt", "a") as f:
        f.write(note + "\\n")
    return "recorded"


@server.tool()
def getenv(name: str) -> str:
    """The server's own environment variable `name`."""
    return os.environ.get(name, "<unset>")


@server.tool()
async def wait(seconds: float) -> str:
    """Sleep, then answer (without blocking the server's other calls)."""
    import anyio

    await anyio.sleep(seconds)
    return "waited"


@server.tool()
def crash() -> str:
    """End the server process at once, mid-call."""
    os._exit(3)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        server.settings.port = int(sys.argv[2])
        server.run("streamable-http")
    else:
        server.run("stdio")
'''


def write_adder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "adder_server.py"
    path.write_text(ADDER, encoding="utf-8")
    return path


def stdio_config(server: Path, **env: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"command": sys.executable, "args": [str(server)]}
    if env:
        entry["env"] = env
    return entry


def config_file(path: Path, servers: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def http_adder(server: Path) -> Iterator[str]:
    """The adder over streamable HTTP on a free loopback port; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(server), "http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url, timeout=1)
                break  # any answer: it listens
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the HTTP MCP server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
