"""A real HTTP server that plays scripted replies, for testing the providers offline.

It speaks whatever the test scripts: JSON bodies with any status, or server-sent events,
optionally after a delay. The SDK clients talk to it over a real socket, so retries,
timeouts and streaming are exercised as they happen in production.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

# Makes the SDKs retry after 1 ms instead of their 0.5 s+ backoff.
FAST_RETRY = {"retry-after-ms": "1"}


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    # Server-sent events as (event name or None, data); data that is not a str is JSON.
    events: list[tuple[str | None, Any]] | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any


class FakeServer:
    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Seen] = []
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def script(self, *replies: Reply) -> None:
        self.replies.clear()
        self.requests.clear()
        self.replies.extend(replies)

    # -- the app -----------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        body = json.loads(raw) if raw else None
        self.requests.append(Seen(request.url.path, dict(request.headers), body))
        reply = self.replies.popleft() if self.replies else _exhausted()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.events is not None:
            return StreamingResponse(
                _sse(reply.events),
                status_code=reply.status,
                media_type="text/event-stream",
                headers=reply.headers,
            )
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST", "GET"])])
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="error", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake model server did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)


def _exhausted() -> Reply:
    return Reply(status=500, body={"error": {"message": "test script exhausted"}})


async def _sse(events: list[tuple[str | None, Any]]) -> AsyncIterator[bytes]:
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        head = f"event: {name}\n" if name else ""
        yield f"{head}data: {text}\n\n".encode()


# -- OpenAI chat-completions wire shapes ----------------------------------------


def openai_completion(
    content: str | None = "",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str = "stop",
    usage: tuple[int, int] | None = (12, 7),
    cached: int = 0,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }
    if usage is not None:
        body["usage"] = {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
            "prompt_tokens_details": {"cached_tokens": cached},
        }
    return body


def openai_tool_call(call_id: str | None, name: str, arguments: str) -> dict[str, Any]:
    call: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if call_id is not None:
        call["id"] = call_id
    return call


def openai_chunks(
    deltas: list[dict[str, Any]],
    *,
    finish_reason: str = "stop",
    usage: tuple[int, int] | None = (12, 7),
) -> list[tuple[str | None, Any]]:
    """A streamed reply: one chunk per delta, then the finish, the usage and [DONE]."""

    def chunk(choices: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> Any:
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "fake-model",
            "choices": choices,
        }
        return (None, body | (extra or {}))

    events = [chunk([{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
    events.append(chunk([{"index": 0, "delta": {}, "finish_reason": finish_reason}]))
    if usage is not None:
        totals = {"prompt_tokens": usage[0], "completion_tokens": usage[1]}
        events.append(chunk([], {"usage": totals | {"total_tokens": sum(usage)}}))
    events.append((None, "[DONE]"))
    return events


def openai_error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "error", "code": status}}


# -- Anthropic Messages wire shapes ---------------------------------------------


def anthropic_events(
    blocks: list[dict[str, Any]],
    *,
    stop_reason: str = "end_turn",
    usage: tuple[int, int] = (20, 9),
    cache_read: int = 0,
) -> list[tuple[str | None, Any]]:
    """A streamed Messages reply.

    Blocks are {"text": str} or {"tool": name, "id": str, "json": [partial JSON strings]}.
    """
    start_usage = {
        "input_tokens": usage[0],
        "output_tokens": 1,
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": 0,
    }
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-fake",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": message})
    ]
    for i, block in enumerate(blocks):
        if "text" in block:
            start = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": t} for t in _pieces(block["text"])]
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["tool"], "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in block["json"]]
        begin = {"type": "content_block_start", "index": i, "content_block": start}
        events.append(("content_block_start", begin))
        for delta in deltas:
            events.append(
                ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta})
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": usage[1]},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def anthropic_error(status: int, kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _pieces(text: str) -> list[str]:
    # Split in two so that streaming really delivers more than one delta.
    half = max(1, len(text) // 2)
    return [p for p in (text[:half], text[half:]) if p]
