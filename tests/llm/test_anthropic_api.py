from __future__ import annotations

import socket

import pytest
from llm_fake_server import FAST_RETRY, FakeServer, Reply, anthropic_error, anthropic_events

from bdev.errors import BdevError
from bdev.llm.anthropic_api import AnthropicModel
from bdev.llm.base import Message, ModelError, ToolCall, ToolSpec

TOOLS = [ToolSpec("Read", "Read a file", {"type": "object", "properties": {"file_path": {}}})]
HELLO = [Message("system", "Be brief."), Message("user", "hi")]


def model(server: FakeServer, **kw: object) -> AnthropicModel:
    kw.setdefault("max_retries", 2)
    kw.setdefault("timeout", 5)
    return AnthropicModel("claude-fake", base_url=server.url, api_key="key-test", **kw)


def test_streamed_text_usage_and_request_shape(fake_server: FakeServer) -> None:
    fake_server.script(
        Reply(events=anthropic_events([{"text": "Hello there"}], usage=(50, 3), cache_read=30))
    )
    pieces: list[str] = []
    reply = model(fake_server, max_tokens=321).complete(HELLO, TOOLS, on_text=pieces.append)

    assert "".join(pieces) == "Hello there" and len(pieces) == 2
    assert reply.content == "Hello there"
    assert reply.finish_reason == "stop"
    # input_tokens counts the whole prompt, the cached part included.
    assert reply.usage.to_dict() == {"input_tokens": 80, "output_tokens": 3, "cached_tokens": 30}
    assert reply.model == "claude-fake"
    seen = fake_server.requests[0]
    assert seen.path == "/v1/messages"
    # Older SDKs send x-api-key, newer ones a bearer token: either carries our key.
    assert "key-test" in seen.headers.get("x-api-key", seen.headers.get("authorization", ""))
    assert seen.body["system"] == "Be brief."
    assert seen.body["max_tokens"] == 321
    assert seen.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert seen.body["tools"] == [
        {
            "name": "Read",
            "description": "Read a file",
            "input_schema": {"type": "object", "properties": {"file_path": {}}},
        }
    ]


def test_tool_use_blocks_become_calls(fake_server: FakeServer) -> None:
    blocks = [
        {"text": "Looking."},
        {"tool": "Read", "id": "toolu_1", "json": ['{"file_', 'path": "a.py"}']},
        {"tool": "Read", "id": "toolu_2", "json": []},
    ]
    fake_server.script(Reply(events=anthropic_events(blocks, stop_reason="tool_use")))
    reply = model(fake_server).complete(HELLO, TOOLS)

    assert reply.content == "Looking."
    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [
        ("toolu_1", "Read", {"file_path": "a.py"}),
        ("toolu_2", "Read", {}),
    ]
    assert reply.finish_reason == "tool_calls"


def test_garbled_tool_input_goes_to_format_errors(fake_server: FakeServer) -> None:
    blocks = [
        {"tool": "Read", "id": "t1", "json": ['{"file_path": a.py}']},
        {"tool": "Read", "id": "t2", "json": ['{"file_path": "b.py"}']},
    ]
    fake_server.script(Reply(events=anthropic_events(blocks, stop_reason="tool_use")))
    reply = model(fake_server).complete(HELLO, TOOLS)

    assert [c.id for c in reply.tool_calls] == ["t2"]
    assert len(reply.format_errors) == 1 and "not valid JSON" in reply.format_errors[0]


def test_max_tokens_maps_to_length(fake_server: FakeServer) -> None:
    fake_server.script(
        Reply(events=anthropic_events([{"text": "def f("}], stop_reason="max_tokens"))
    )
    assert model(fake_server).complete(HELLO, TOOLS).finish_reason == "length"


def test_history_merges_tool_results_and_carries_is_error(fake_server: FakeServer) -> None:
    fake_server.script(Reply(events=anthropic_events([{"text": "ok"}])))
    calls = [ToolCall("t1", "Read", {"file_path": "a"}), ToolCall("t2", "Read", {"file_path": "b"})]
    history = [
        *HELLO,
        Message("assistant", "", tool_calls=calls),
        Message("tool", "A", tool_call_id="t1", name="Read"),
        Message("tool", "missing", tool_call_id="t2", name="Read", is_error=True),
        Message("user", "Now fix it."),
    ]
    model(fake_server).complete(history, TOOLS)

    sent = fake_server.requests[0].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"] == [
        {"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": "a"}},
        {"type": "tool_use", "id": "t2", "name": "Read", "input": {"file_path": "b"}},
    ]
    assert sent[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "t1", "content": "A"},
        {"type": "tool_result", "tool_use_id": "t2", "content": "missing", "is_error": True},
        {"type": "text", "text": "Now fix it."},
    ]


def test_401_names_the_key_variable(fake_server: FakeServer) -> None:
    fake_server.script(
        Reply(status=401, body=anthropic_error(401, "authentication_error", "invalid x-api-key"))
    )
    with pytest.raises(ModelError) as err:
        model(fake_server).complete(HELLO, TOOLS)
    assert str(err.value).startswith(f"401 from {fake_server.url}")
    assert "ANTHROPIC_API_KEY" in str(err.value) and "invalid x-api-key" in str(err.value)
    assert len(fake_server.requests) == 1


def test_429_then_success_is_retried(fake_server: FakeServer) -> None:
    fake_server.script(
        Reply(
            status=429, body=anthropic_error(429, "rate_limit_error", "slow"), headers=FAST_RETRY
        ),
        Reply(events=anthropic_events([{"text": "fine"}])),
    )
    assert model(fake_server).complete(HELLO, TOOLS).content == "fine"
    assert len(fake_server.requests) == 2


def test_repeated_overload_exhausts_retries(fake_server: FakeServer) -> None:
    overloaded = Reply(
        status=529, body=anthropic_error(529, "overloaded_error", "Overloaded"), headers=FAST_RETRY
    )
    fake_server.script(overloaded, overloaded)
    with pytest.raises(ModelError, match=r"529 from .*after 1 retries.*Overloaded") as err:
        model(fake_server, max_retries=1).complete(HELLO, TOOLS)
    assert err.value.retryable
    assert len(fake_server.requests) == 2


def test_error_event_inside_the_stream(fake_server: FakeServer) -> None:
    events = anthropic_events([{"text": "partial"}])[:3]
    events.append(("error", anthropic_error(529, "overloaded_error", "Overloaded")))
    fake_server.script(Reply(events=events))
    with pytest.raises(ModelError, match="broke off its answer"):
        model(fake_server).complete(HELLO, TOOLS)


def test_slow_server_times_out(fake_server: FakeServer) -> None:
    fake_server.script(Reply(events=anthropic_events([{"text": "late"}]), delay=2))
    with pytest.raises(ModelError, match=r"no answer from .* within 0.3 s"):
        model(fake_server, timeout=0.3, max_retries=0).complete(HELLO, TOOLS)


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = AnthropicModel("claude-x", base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(ModelError, match=r"could not connect to .*ANTHROPIC_BASE_URL"):
        m.complete(HELLO, TOOLS)


def test_missing_key_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(BdevError, match="ANTHROPIC_API_KEY"):
        AnthropicModel("claude-sonnet-4")
