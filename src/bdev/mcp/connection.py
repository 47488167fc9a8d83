"""One MCP server's session, run on a background event loop behind a synchronous API.

bdev's agent loop is synchronous and the SDK is async, so each run keeps one asyncio
loop on a daemon thread (`LoopThread`); every server's session lives there as one task
that opens the transport, initialises, lists the tools, then waits to be told to stop
(anyio's cancel scopes must be left by the task that entered them). `call_tool` hands a
coroutine to that loop and waits with a timeout.

A server that dies is noticed where its messages end: the transport's read stream is
relayed through `_relay`, which records why the stream ended; pending requests then fail
with the SDK's "Connection closed", and later calls fail at once. Both reach the model as
a `ToolError` naming the server and the end of its stderr, never as a crash.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp import ClientSession, McpError, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import SessionMessage

from bdev import sandbox
from bdev.errors import BdevError
from bdev.mcp.config import HttpServer, ServerSpec, StdioServer
from bdev.tools.base import ToolError

T = TypeVar("T")
_STOP_WAIT_S = 5.0  # for a server to shut down when the run ends
_STDERR_TAIL = 1500  # bytes of a server's stderr quoted in an error


class LoopThread:
    """An asyncio event loop running on its own daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="bdev-mcp", daemon=True)
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """The coroutine's result; TimeoutError (after cancelling it) past `timeout`."""
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError from None

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(_STOP_WAIT_S)
        if not self._thread.is_alive():
            self.loop.close()


class Connection:
    """A started MCP server: its tools, and calls to them."""

    def __init__(
        self,
        spec: ServerSpec,
        loop: LoopThread,
        *,
        workspace: Path,
        start_timeout: float,
        call_timeout: float,
    ) -> None:
        self.spec = spec
        self.tools: list[types.Tool] = []
        self._loop = loop
        self._workspace = workspace
        self._start_timeout = start_timeout
        self._call_timeout = call_timeout
        self._session: ClientSession | None = None
        self._stop: asyncio.Event | None = None
        self._task: concurrent.futures.Future[None] | None = None
        self._ended: str | None = None  # why the session ended, once it has
        # The server's stderr (stdio): read back with pread, since the child writes
        # through a descriptor that shares this file's offset.
        self._stderr = tempfile.TemporaryFile(  # noqa: SIM115  # lives until close()
            mode="w+", encoding="utf-8", errors="replace"
        )

    @property
    def label(self) -> str:
        return f"MCP server {self.spec.name!r} (from {self.spec.origin})"

    def start(self) -> list[types.Tool]:
        """Start the server and list its tools; a BdevError naming it when that fails."""
        server = self.spec.server
        if isinstance(server, StdioServer) and not _runnable(server.command, self._workspace):
            raise BdevError(f"{self.label}: {server.command!r}: no such program")
        ready: concurrent.futures.Future[list[types.Tool]] = concurrent.futures.Future()
        self._task = self._loop.submit(self._lifecycle(ready))
        try:
            self.tools = ready.result(self._start_timeout)
        except concurrent.futures.TimeoutError:
            self.close()
            raise BdevError(
                f"{self.label} did not start within {self._start_timeout:g} s "
                f"(MCP_TIMEOUT sets the limit, in milliseconds){self._stderr_tail()}"
            ) from None
        except BdevError as e:
            raise BdevError(f"{self.label} could not start: {e}") from None
        except Exception as e:
            raise BdevError(
                f"{self.label} could not start: {_describe(e)}{self._stderr_tail()}"
            ) from None
        return self.tools

    def call_tool(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        """Call one tool; a ToolError when the server is gone, times out or fails."""
        session = self._session
        if session is None:
            raise ToolError(self._gone())
        timeout = self._call_timeout
        coro = session.call_tool(name, arguments, read_timeout_seconds=timedelta(seconds=timeout))
        try:
            # The SDK's own timeout answers first; this one only guards a stuck loop.
            return self._loop.run(coro, timeout + 5)
        except TimeoutError:
            raise ToolError(self._timed_out(name)) from None
        except McpError as e:
            if e.error.code == types.CONNECTION_CLOSED or self._ended is not None:
                raise ToolError(self._gone()) from None
            if e.error.code == httpx.codes.REQUEST_TIMEOUT:
                raise ToolError(self._timed_out(name)) from None
            raise ToolError(f"{self.label}: {name} failed: {e.error.message}") from None
        except Exception as e:  # the transport failed (HTTP error, broken pipe)
            if self._ended is not None:
                raise ToolError(self._gone()) from None
            raise ToolError(f"{self.label}: {name} failed: {_describe(e)}") from None

    def close(self) -> None:
        """Stop the session (the SDK closes stdin, then terminates the process)."""
        stop, task = self._stop, self._task
        if stop is not None:
            self._loop.loop.call_soon_threadsafe(stop.set)
        if task is not None:
            try:
                task.result(_STOP_WAIT_S)
            except concurrent.futures.TimeoutError:
                task.cancel()
            except BaseException:  # already recorded in _ended
                pass
        self._ended = self._ended or "closed at the end of the run"
        self._stderr.close()

    # -- on the event loop ---------------------------------------------------------

    async def _lifecycle(self, ready: concurrent.futures.Future[list[types.Tool]]) -> None:
        try:
            async with self._transport() as (read, write):
                relay_in, relay_out = anyio.create_memory_object_stream[SessionMessage | Exception](
                    0
                )
                async with anyio.create_task_group() as group:
                    group.start_soon(self._relay, read, relay_in)
                    async with ClientSession(relay_out, write) as session:
                        await session.initialize()
                        tools = await _all_tools(session)
                        self._stop = asyncio.Event()
                        self._session = session
                        ready.set_result(tools)
                        await self._stop.wait()
                    group.cancel_scope.cancel()
        except BaseException as e:  # a failed start, or the server's end: both recorded
            if not ready.done():
                ready.set_exception(e if isinstance(e, Exception) else RuntimeError(repr(e)))
            self._ended = self._ended or _describe(e)
            if not isinstance(e, Exception):
                raise  # cancellation and exits go on up
        finally:
            self._session = None
            self._ended = self._ended or "the session ended"

    async def _relay(
        self,
        source: MemoryObjectReceiveStream[SessionMessage | Exception],
        sink: MemoryObjectSendStream[SessionMessage | Exception],
    ) -> None:
        """Pass the server's messages on; when they stop, the server is gone."""
        try:
            async with sink:
                async for message in source:
                    await sink.send(message)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            return  # our side closed first: a normal shutdown
        if self._stop is None or not self._stop.is_set():
            self._ended = self._ended or "the server closed its connection (it exited?)"

    @asynccontextmanager
    async def _transport(
        self,
    ) -> AsyncIterator[
        tuple[
            MemoryObjectReceiveStream[SessionMessage | Exception],
            MemoryObjectSendStream[SessionMessage],
        ]
    ]:
        server = self.spec.server
        if isinstance(server, HttpServer):
            timeout = httpx.Timeout(30.0, read=max(300.0, self._call_timeout))
            async with (
                httpx.AsyncClient(headers=server.headers, timeout=timeout) as client,
                streamable_http_client(server.url, http_client=client) as (read, write, _),
            ):
                yield read, write
        else:
            params = stdio_parameters(server, self._workspace)
            async with stdio_client(params, errlog=self._stderr) as (read, write):
                yield read, write

    # -- messages ------------------------------------------------------------------

    def _gone(self) -> str:
        why = self._ended or "the connection closed"
        return (
            f"{self.label} is not running ({why}); its tools cannot be used for the rest "
            f"of this run{self._stderr_tail()}"
        )

    def _timed_out(self, name: str) -> str:
        return (
            f"{self.label}: {name} gave no answer within {self._call_timeout:g} s "
            "(MCP_TOOL_TIMEOUT sets the limit, in milliseconds)"
        )

    def _stderr_tail(self) -> str:
        if self._stderr.closed:
            return ""
        fd = self._stderr.fileno()
        size = os.fstat(fd).st_size
        tail = os.pread(fd, _STDERR_TAIL, max(0, size - _STDERR_TAIL)).decode(errors="replace")
        lines = [line for line in tail.strip().splitlines() if line.strip()][-6:]
        return ("; its stderr ends:\n" + "\n".join(lines)) if lines else ""


def stdio_parameters(server: StdioServer, workspace: Path) -> StdioServerParameters:
    """How to start a stdio server: in the workspace, inside the sandbox when it is on
    (no network; the paths on its command line readable; its configured `env` passed)."""
    argv = [server.command, *server.args]
    box = sandbox.active()
    if not box.enabled:
        return StdioServerParameters(
            command=argv[0], args=argv[1:], env=dict(server.env) or None, cwd=workspace
        )
    # The paths its command line and its environment name (PYTHONPATH, a config file).
    named = [*argv, *(p for v in server.env.values() for p in v.split(os.pathsep))]
    readable = [Path(a) for a in named if os.path.isabs(a) and os.path.exists(a)]
    confined = sandbox.confine(
        argv,
        cwd=workspace,
        env={**os.environ, **server.env},
        sandbox=replace(box, pass_env=(*box.pass_env, *server.env)),
        readable=readable,
    )
    return StdioServerParameters(
        command=confined.argv[0], args=confined.argv[1:], env=confined.env, cwd=workspace
    )


def _runnable(command: str, workspace: Path) -> bool:
    """A name found on PATH, or a path (relative ones from the workspace, where it runs)."""
    if "/" in command:
        return os.access(workspace / command, os.X_OK)
    return shutil.which(command) is not None


async def _all_tools(session: ClientSession) -> list[types.Tool]:
    tools: list[types.Tool] = []
    cursor: str | None = None
    while True:
        page = await session.list_tools(
            params=types.PaginatedRequestParams(cursor=cursor) if cursor else None
        )
        tools += page.tools
        cursor = page.nextCursor
        if not cursor:
            return tools


def _describe(error: BaseException) -> str:
    """The innermost useful message of an error (anyio wraps them in groups)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    if isinstance(error, McpError):
        return error.error.message
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"{error.filename}: no such program"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
