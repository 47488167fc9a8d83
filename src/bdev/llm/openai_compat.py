"""Any OpenAI-compatible chat-completions server: OpenAI itself, vLLM, llama.cpp, Ollama.

Streams when the caller wants the text as it comes (`on_text`), otherwise asks for one
reply. Servers that run small models often put tool calls in the text instead of
`tool_calls`; those are parsed out with `parse_tool_calls`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import openai

from bdev.errors import BdevError
from bdev.llm import failures
from bdev.llm.base import Message, ModelResponse, TextCallback, ToolCall, ToolSpec, Usage
from bdev.llm.toolcall_text import parse_tool_calls

# Servers on localhost usually need no key, but the SDK insists on one.
_NO_KEY = "sk-no-key-needed"


class OpenAICompatModel:
    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120,
        max_retries: int = 3,
        name: str | None = None,
    ) -> None:
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if api_key is None and base_url is None:
            raise BdevError(
                f"no API key for openai:{model}; set OPENAI_API_KEY or pass --api-key "
                "(or --base-url for a local OpenAI-compatible server)"
            )
        self.model = model
        self.name = name or f"openai:{model}"
        # Retries with exponential backoff and jitter are the SDK's (see failures.py).
        self._client = openai.OpenAI(
            api_key=api_key or _NO_KEY,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
        )
        self._where = failures.Endpoint(
            url=str(self._client.base_url).rstrip("/"),
            model=model,
            key_env="OPENAI_API_KEY",
            url_env="OPENAI_BASE_URL",
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
        request: dict[str, Any] = {"model": self.model, "messages": to_openai_messages(messages)}
        if tools:
            request["tools"] = [to_openai_tool(t) for t in tools]
        try:
            reply = self._once(request) if on_text is None else self._streamed(request, on_text)
        except openai.APITimeoutError as e:
            raise failures.timeout_error(self._where) from e
        except openai.APIConnectionError as e:
            raise failures.connection_error(e, self._where) from e
        except openai.APIStatusError as e:
            raise failures.status_error(e.status_code, e.body, e.message, self._where) from e
        except openai.APIError as e:  # e.g. an error event in the middle of a stream
            raise failures.stream_error(e.message, self._where) from e
        if not reply.usage_seen:
            reply.usage = _estimate_usage(request, reply)
        return self._finish(reply, messages, tools)

    # -- one reply, whole or streamed ------------------------------------------------

    def _once(self, request: dict[str, Any]) -> _Reply:
        completion = self._client.chat.completions.create(**request)
        reply = _Reply(model=completion.model or self.model)
        if completion.choices:
            choice = completion.choices[0]
            reply.text = choice.message.content or ""
            reply.finish_reason = choice.finish_reason or "stop"
            for call in choice.message.tool_calls or []:
                function = getattr(call, "function", None)
                if function is not None:
                    reply.calls.append(_RawCall(call.id, function.name, function.arguments or ""))
        if completion.usage is not None:
            reply.usage, reply.usage_seen = _usage(completion.usage), True
        return reply

    def _streamed(self, request: dict[str, Any], on_text: TextCallback) -> _Reply:
        stream = self._client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        reply = _Reply(model=self.model)
        texts: list[str] = []
        by_index: dict[int, _RawCall] = {}  # deltas name the call they extend by index
        with stream:
            for chunk in stream:
                reply.model = chunk.model or reply.model
                if chunk.usage is not None:  # the last chunk, with include_usage
                    reply.usage, reply.usage_seen = _usage(chunk.usage), True
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        texts.append(delta.content)
                        on_text(delta.content)
                    for part in delta.tool_calls or []:
                        call = by_index.setdefault(part.index, _RawCall())
                        call.id = part.id or call.id
                        if part.function is not None:
                            call.name += part.function.name or ""
                            call.arguments += part.function.arguments or ""
                    if choice.finish_reason:
                        reply.finish_reason = choice.finish_reason
        reply.text = "".join(texts)
        reply.calls = [by_index[i] for i in sorted(by_index)]
        return reply

    # -- from raw reply to ModelResponse ---------------------------------------------

    def _finish(
        self, reply: _Reply, messages: list[Message], tools: list[ToolSpec]
    ) -> ModelResponse:
        # Ids are numbered after the calls already in the conversation, so they stay
        # unique and come out the same when a session is resumed.
        first = sum(len(m.tool_calls) for m in messages)
        response = ModelResponse(
            content=reply.text,
            usage=reply.usage,
            finish_reason=reply.finish_reason,
            model=reply.model,
        )
        for raw in reply.calls:
            if not raw.name:
                response.format_errors.append("A tool call came without a tool name.")
                continue
            args, error = _decode_arguments(raw.name, raw.arguments)
            if error is not None:
                response.format_errors.append(error)
                continue
            call_id = raw.id or f"call_{first + len(response.tool_calls)}"
            response.tool_calls.append(ToolCall(id=call_id, name=raw.name, arguments=args))
        if not reply.calls and tools and reply.text:
            parsed = parse_tool_calls(reply.text, [t.name for t in tools], first_index=first)
            if parsed.calls or parsed.errors:
                response.content = parsed.content
                response.format_errors += parsed.errors
                response.tool_calls = parsed.calls
                if parsed.calls and response.finish_reason == "stop":
                    response.finish_reason = "tool_calls"
        return response


@dataclass
class _RawCall:
    id: str | None = None
    name: str = ""
    arguments: str = ""  # JSON text, decoded only once complete


@dataclass
class _Reply:
    """What came back, before tool calls are decoded."""

    model: str
    text: str = ""
    finish_reason: str = "stop"
    calls: list[_RawCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    usage_seen: bool = False


def to_openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            content = m.content
            if m.is_error and not content.lower().startswith("error"):
                content = f"Error: {content}"  # the format has no error flag
            out.append({"role": "tool", "tool_call_id": m.tool_call_id or "", "content": content})
        elif m.role == "assistant" and m.tool_calls:
            out.append(
                {
                    "role": "assistant",
                    "content": m.content or None,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {
                                "name": c.name,
                                "arguments": json.dumps(c.arguments, ensure_ascii=False),
                            },
                        }
                        for c in m.tool_calls
                    ],
                }
            )
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def to_openai_tool(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


def _decode_arguments(name: str, raw: str) -> tuple[dict[str, Any], str | None]:
    if not raw.strip():
        return {}, None
    try:
        args = json.loads(raw, strict=False)
    except json.JSONDecodeError as e:
        return {}, (
            f"The arguments of your {name} call are not valid JSON ({e.msg} at column "
            f"{e.colno}); send them again as one JSON object."
        )
    if not isinstance(args, dict):
        return {}, f"The arguments of your {name} call must be a JSON object."
    return args, None


def _usage(raw: Any) -> Usage:
    details = getattr(raw, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) or 0
    return Usage(
        input_tokens=raw.prompt_tokens or 0,
        output_tokens=raw.completion_tokens or 0,
        cached_tokens=cached,
    )


def _estimate_usage(request: dict[str, Any], reply: _Reply) -> Usage:
    # Some servers send no usage (older llama.cpp builds ignore include_usage). Limits and
    # cost still need a figure, so count ~4 characters per token, as the scripted model does.
    prompt_chars = len(json.dumps(request["messages"])) + len(json.dumps(request.get("tools", [])))
    out_chars = len(reply.text) + sum(len(c.arguments) for c in reply.calls)
    return Usage(input_tokens=prompt_chars // 4, output_tokens=out_chars // 4)
