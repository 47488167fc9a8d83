from __future__ import annotations

import json
import socket
import time

import pytest
from llm_fake_server import (
    FAST_RETRY,
    FakeServer,
    Reply,
    openai_chunks,
    openai_completion,
    openai_error,
    openai_tool_call,
)

from bdev.errors import BdevError
from bdev.llm.base import Message, ModelError, ToolCall, ToolSpec
from bdev.llm.openai_compat import OpenAICompatModel

TOOLS = [
    ToolSpec("Read", "Read a file", {"type": "object", "properties": {"file_path": {}}}),
    ToolSpec("Write", "Write a file", {"type": "object", "properties": {"file_path": {}}}),
]
HELLO = [Message("system", "You are terse."), Message("user", "hi")]


def model(server: FakeServer, **kw: object) -> OpenAICompatModel:
    kw.setdefault("max_retries", 2)
    kw.setdefault("timeout", 5)
    return OpenAICompatModel("fake-model", base_url=f"{server.url}/v1", api_key="sk-test", **kw)


def test_plain_reply_with_usage(fake_server: FakeServer) -> None:
    fake_server.script(Reply(body=openai_completion("Hello!", usage=(31, 4), cached=10)))
    reply = model(fake_server).complete(HELLO, TOOLS)

    assert reply.content == "Hello!"
    assert reply.tool_calls == [] and reply.format_errors == []
    assert reply.finish_reason == "stop"
    assert reply.usage.to_dict() == {"input_tokens": 31, "output_tokens": 4, "cached_tokens": 10}
    seen = fake_server.requests[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer sk-test"
    assert seen.body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "hi"},
    ]
    assert [t["function"]["name"] for t in seen.body["tools"]] == ["Read", "Write"]
    assert seen.body["tools"][0]["type"] == "function"
    assert "stream" not in seen.body


def test_structured_tool_calls_keep_server_ids_and_number_missing_ones(
    fake_server: FakeServer,
) -> None:
    calls = [
        openai_tool_call("srv_a", "Read", '{"file_path": "a.py"}'),
        openai_tool_call(None, "Write", '{"file_path": "b.py", "content": "x"}'),
    ]
    fake_server.script(
        Reply(body=openai_completion(None, tool_calls=calls, finish_reason="tool_calls"))
    )
    history = [*HELLO, Message("assistant", tool_calls=[ToolCall("old", "Read", {})])]
    reply = model(fake_server).complete(history, TOOLS)

    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [
        ("srv_a", "Read", {"file_path": "a.py"}),
        # One call already in the conversation, so the generated id continues from it.
        ("call_2", "Write", {"file_path": "b.py", "content": "x"}),
    ]
    assert reply.finish_reason == "tool_calls"
    assert reply.content == ""


def test_garbled_tool_arguments_become_format_errors(fake_server: FakeServer) -> None:
    calls = [
        openai_tool_call("c1", "Read", '{"file_path": "a.py"'),
        openai_tool_call("c2", "Read", '{"file_path": "ok.py"}'),
    ]
    fake_server.script(
        Reply(body=openai_completion(None, tool_calls=calls, finish_reason="tool_calls"))
    )
    reply = model(fake_server).complete(HELLO, TOOLS)

    assert [c.id for c in reply.tool_calls] == ["c2"]
    assert len(reply.format_errors) == 1
    assert "Read" in reply.format_errors[0] and "not valid JSON" in reply.format_errors[0]


def test_tool_calls_written_in_text_are_parsed(fake_server: FakeServer) -> None:
    text = (
        'Reading it.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "x"}}\n</tool_call>'
    )
    fake_server.script(Reply(body=openai_completion(text)))
    reply = model(fake_server).complete(HELLO, TOOLS)

    assert reply.content == "Reading it."
    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [
        ("call_0", "Read", {"file_path": "x"})
    ]
    assert reply.finish_reason == "tool_calls"


def test_history_is_sent_in_openai_shape(fake_server: FakeServer) -> None:
    fake_server.script(Reply(body=openai_completion("done")))
    history = [
        *HELLO,
        Message(
            "assistant", "Let me look.", tool_calls=[ToolCall("c1", "Read", {"file_path": "é"})]
        ),
        Message("tool", "no such file", tool_call_id="c1", name="Read", is_error=True),
    ]
    model(fake_server).complete(history, TOOLS)

    sent = fake_server.requests[0].body["messages"]
    assert sent[2] == {
        "role": "assistant",
        "content": "Let me look.",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "Read", "arguments": '{"file_path": "é"}'},
            }
        ],
    }
    assert sent[3] == {"role": "tool", "tool_call_id": "c1", "content": "Error: no such file"}


def test_streaming_text_calls_on_text_per_delta(fake_server: FakeServer) -> None:
    deltas = [{"role": "assistant", "content": ""}, {"content": "Hel"}, {"content": "lo"}]
    fake_server.script(Reply(events=openai_chunks(deltas, usage=(40, 2))))
    pieces: list[str] = []
    reply = model(fake_server).complete(HELLO, TOOLS, on_text=pieces.append)

    assert pieces == ["Hel", "lo"]
    assert reply.content == "Hello"
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (40, 2)
    body = fake_server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_streaming_assembles_tool_call_deltas(fake_server: FakeServer) -> None:
    deltas = [
        {"tool_calls": [{"index": 0, "id": "s1", "function": {"name": "Write", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"file_path": '}}]},
        {"tool_calls": [{"index": 1, "function": {"name": "Read", "arguments": '{"file'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '"a.py"}'}}]},
        {"tool_calls": [{"index": 1, "function": {"arguments": '_path": "b"}'}}]},
    ]
    fake_server.script(Reply(events=openai_chunks(deltas, finish_reason="tool_calls")))
    reply = model(fake_server).complete(HELLO, TOOLS, on_text=lambda _: None)

    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [
        ("s1", "Write", {"file_path": "a.py"}),
        ("call_1", "Read", {"file_path": "b"}),
    ]
    assert reply.finish_reason == "tool_calls"


def test_stream_without_usage_gets_an_estimate(fake_server: FakeServer) -> None:
    fake_server.script(Reply(events=openai_chunks([{"content": "x" * 40}], usage=None)))
    reply = model(fake_server).complete(HELLO, TOOLS, on_text=lambda _: None)

    assert reply.usage.output_tokens == 10
    assert reply.usage.input_tokens > 0


def test_truncated_reply_reports_length(fake_server: FakeServer) -> None:
    fake_server.script(Reply(body=openai_completion("def f(", finish_reason="length")))
    reply = model(fake_server).complete(HELLO, TOOLS)
    assert reply.finish_reason == "length"
    assert reply.content == "def f("


def test_401_names_the_endpoint_and_the_key_variable(fake_server: FakeServer) -> None:
    fake_server.script(Reply(status=401, body=openai_error(401, "Incorrect API key")))
    with pytest.raises(ModelError) as err:
        model(fake_server).complete(HELLO, TOOLS)

    message = str(err.value)
    assert message.startswith(f"401 from {fake_server.url}/v1")
    assert "OPENAI_API_KEY" in message and "Incorrect API key" in message
    assert not err.value.retryable
    assert len(fake_server.requests) == 1  # never retried


def test_404_says_model_not_found(fake_server: FakeServer) -> None:
    fake_server.script(Reply(status=404, body=openai_error(404, "no such model")))
    with pytest.raises(ModelError, match="model 'fake-model' or the endpoint was not found"):
        model(fake_server).complete(HELLO, TOOLS)


def test_429_then_success_is_retried(fake_server: FakeServer) -> None:
    fake_server.script(
        Reply(status=429, body=openai_error(429, "slow down"), headers=FAST_RETRY),
        Reply(body=openai_completion("made it")),
    )
    reply = model(fake_server).complete(HELLO, TOOLS)
    assert reply.content == "made it"
    assert len(fake_server.requests) == 2


def test_repeated_500_exhausts_retries(fake_server: FakeServer) -> None:
    failure = Reply(status=500, body=openai_error(500, "boom"), headers=FAST_RETRY)
    fake_server.script(failure, failure, failure, Reply(body=openai_completion("too late")))
    with pytest.raises(ModelError) as err:
        model(fake_server, max_retries=2).complete(HELLO, TOOLS)

    assert "500 from" in str(err.value) and "after 2 retries" in str(err.value)
    assert err.value.retryable
    assert len(fake_server.requests) == 3


def test_slow_server_times_out(fake_server: FakeServer) -> None:
    fake_server.script(Reply(body=openai_completion("late"), delay=2))
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"no answer from .* within 0.3 s"):
        model(fake_server, timeout=0.3, max_retries=0).complete(HELLO, TOOLS)
    assert time.monotonic() - started < 1.5


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = OpenAICompatModel("m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(ModelError, match=rf"could not connect to http://127.0.0.1:{port}/v1"):
        m.complete(HELLO, TOOLS)


def test_missing_key_for_the_public_api_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(BdevError, match="OPENAI_API_KEY"):
        OpenAICompatModel("gpt-4o")


def test_arguments_round_trip_through_json(fake_server: FakeServer) -> None:
    args = {"file_path": "a.py", "content": 'print("hi")\n'}
    call = openai_tool_call("c", "Write", json.dumps(args))
    fake_server.script(Reply(body=openai_completion("", tool_calls=[call])))
    reply = model(fake_server).complete(HELLO, TOOLS)
    assert reply.tool_calls[0].arguments == args
