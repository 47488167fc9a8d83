"""Claude through Anthropic's Messages API (or any server that speaks it).

Always streams. The stream is read event by event rather than through the SDK's
`messages.stream()` helper: the helper raises on a tool input that is not valid JSON and
the whole turn is lost, while we want that turn back with the error in `format_errors`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import anthropic

from bdev.errors import BdevError
from bdev.llm import failures
from bdev.llm.base import Message, ModelResponse, TextCallback, ToolCall, ToolSpec, Usage

_NO_KEY = "no-key-needed"
_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
}


class AnthropicModel:
    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120,
        max_retries: int = 3,
        max_tokens: int = 4096,
        name: str | None = None,
    ) -> None:
        base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        api_key = api_key or os.environ.get("ANTHROPIC_API_KEY") or None
        if api_key is None and base_url is None:
            raise BdevError(
                f"no API key for anthropic:{model}; set ANTHROPIC_API_KEY or pass --api-key"
            )
        self.model = model
        self.name = name or f"anthropic:{model}"
        self.max_tokens = max_tokens
        # Retries with exponential backoff and jitter are the SDK's (see failures.py).
        self._client = anthropic.Anthropic(
            api_key=api_key or _NO_KEY,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
        )
        self._where = failures.Endpoint(
            url=str(self._client.base_url).rstrip("/"),
            model=model,
            key_env="ANTHROPIC_API_KEY",
            url_env="ANTHROPIC_BASE_URL",
            timeout=timeout,
            max_retries=max_retries,
        )

    def complete(
        self,
        messages: list[Message],
        tools: list[ToolSpec],
        *,
        on_text: TextCallback | None = None,
    ) -> ModelResponse:
        system, wire_messages = to_anthropic_messages(messages)
        request: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": wire_messages,
        }
        if system:
            request["system"] = system
        if tools:
            request["tools"] = [to_anthropic_tool(t) for t in tools]
        try:
            turn = _Turn(model=self.model)
            with self._client.messages.create(**request, stream=True) as stream:
                for event in stream:
                    turn.add(event, on_text)
        except anthropic.APITimeoutError as e:
            raise failures.timeout_error(self._where) from e
        except anthropic.APIConnectionError as e:
            raise failures.connection_error(e, self._where) from e
        except anthropic.APIStatusError as e:
            if e.status_code < 400:  # an error event inside a 200 stream (e.g. overloaded)
                raise failures.stream_error(e.message, self._where) from e
            raise failures.status_error(e.status_code, e.body, e.message, self._where) from e
        except anthropic.APIError as e:
            raise failures.stream_error(e.message, self._where) from e
        return turn.response()


@dataclass
class _Block:
    kind: str  # "text" | "tool_use" | anything else (ignored)
    text: str = ""
    tool_id: str = ""
    tool_name: str = ""
    json_parts: list[str] = field(default_factory=list)


@dataclass
class _Turn:
    """Accumulates the raw stream events of one reply."""

    model: str
    blocks: dict[int, _Block] = field(default_factory=dict)
    stop_reason: str | None = None
    usage: Usage = field(default_factory=Usage)

    def add(self, event: Any, on_text: TextCallback | None) -> None:
        if event.type == "message_start":
            self.model = event.message.model or self.model
            self._take_usage(event.message.usage)
        elif event.type == "content_block_start":
            block = event.content_block
            self.blocks[event.index] = _Block(
                kind=block.type,
                text=getattr(block, "text", "") or "",
                tool_id=getattr(block, "id", "") or "",
                tool_name=getattr(block, "name", "") or "",
            )
        elif event.type == "content_block_delta":
            block = self.blocks.setdefault(event.index, _Block(kind="unknown"))
            if event.delta.type == "text_delta":
                block.text += event.delta.text
                if on_text is not None:
                    on_text(event.delta.text)
            elif event.delta.type == "input_json_delta":
                block.json_parts.append(event.delta.partial_json)
        elif event.type == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            self._take_usage(event.usage)

    def _take_usage(self, raw: Any) -> None:
        # Counts on message_delta are running totals: overwrite, never add. Our
        # input_tokens is the whole prompt (as OpenAI counts it), cached part included.
        fresh = getattr(raw, "input_tokens", None)
        read = getattr(raw, "cache_read_input_tokens", None)
        written = getattr(raw, "cache_creation_input_tokens", None)
        if fresh is not None or read is not None:
            self.usage.cached_tokens = read or self.usage.cached_tokens
            self.usage.input_tokens = (fresh or 0) + (read or 0) + (written or 0)
        if getattr(raw, "output_tokens", None) is not None:
            self.usage.output_tokens = raw.output_tokens

    def response(self) -> ModelResponse:
        reason = self.stop_reason or "stop"
        out = ModelResponse(
            usage=self.usage, finish_reason=_STOP_REASONS.get(reason, reason), model=self.model
        )
        texts: list[str] = []
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if block.kind == "text":
                texts.append(block.text)
            elif block.kind == "tool_use":
                raw = "".join(block.json_parts)
                try:
                    args = json.loads(raw, strict=False) if raw.strip() else {}
                except json.JSONDecodeError as e:
                    out.format_errors.append(
                        f"The input of your {block.tool_name} call is not valid JSON "
                        f"({e.msg} at column {e.colno}); send it again as one JSON object."
                    )
                    continue
                if not isinstance(args, dict):
                    out.format_errors.append(
                        f"The input of your {block.tool_name} call must be a JSON object."
                    )
                    continue
                out.tool_calls.append(
                    ToolCall(id=block.tool_id, name=block.tool_name, arguments=args)
                )
        out.content = "".join(texts)
        return out


def to_anthropic_messages(messages: list[Message]) -> tuple[str, list[dict[str, Any]]]:
    """(system prompt, messages): roles must alternate, so same-role neighbours merge.

    That is what puts consecutive tool results into one user message, as the API asks.
    """
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            system.append(m.content)
            continue
        role = "assistant" if m.role == "assistant" else "user"
        blocks = _blocks(m)
        if not blocks:
            continue  # the API rejects empty content
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    for message in out:
        # Tool results must come first in a user message.
        message["content"].sort(key=lambda b: b["type"] != "tool_result")
    return "\n\n".join(s for s in system if s), out


def _blocks(m: Message) -> list[dict[str, Any]]:
    if m.role == "tool":
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": m.tool_call_id or ""}
        if m.content:  # the API refuses an empty text; no content is fine
            block["content"] = m.content
        if m.is_error:
            block["is_error"] = True
        return [block]
    blocks: list[dict[str, Any]] = []
    if m.content.strip():
        blocks.append({"type": "text", "text": m.content})
    for call in m.tool_calls:
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
    return blocks


def to_anthropic_tool(tool: ToolSpec) -> dict[str, Any]:
    return {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
