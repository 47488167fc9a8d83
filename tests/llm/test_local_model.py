"""End to end with the real embedded model: a tool call, KV reuse, the persisted prefix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.llm import catalog
from bdev.llm.base import Message, ToolSpec

pytestmark = pytest.mark.model

READ = ToolSpec(
    "Read",
    "Read a file from the workspace.",
    {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]},
)
BASH = ToolSpec(
    "Bash",
    "Run a shell command.",
    {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
)
SYSTEM = Message("system", "You are a backend developer. Act only through the tools.")


@pytest.fixture(scope="module")
def model_file() -> Path:
    pytest.importorskip("llama_cpp")
    try:
        return catalog.ensure_installed()
    except Exception as e:  # parts not installed: nothing to test here
        pytest.skip(f"embedded model not available: {e}")


def test_tool_call_prefix_reuse_and_persisted_prefix(
    model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bdev.llm.local.model import LocalModel

    monkeypatch.setenv("BDEV_CACHE_DIR", str(tmp_path))  # an empty prefix-state store
    turn1 = [SYSTEM, Message("user", "Read the file src/app.py.")]
    streamed: list[str] = []

    model = LocalModel(model_path=model_file, n_ctx=2048, max_tokens=64, constrained=False)
    first = model.complete(turn1, [READ, BASH], on_text=streamed.append)

    assert [c.name for c in first.tool_calls] == ["Read"], first
    assert first.tool_calls[0].arguments["file_path"].endswith("app.py")
    assert first.finish_reason == "tool_calls"
    assert first.usage.output_tokens > 0 and first.usage.cached_tokens == 0
    assert model.last_stats.prefix_source == "evaluated"
    assert streamed  # text arrived through on_text
    prefix_tokens = model.last_stats.prefix_tokens

    # Turn 2 in the same instance: everything up to the new messages is reused.
    turn2 = [
        *turn1,
        Message("assistant", first.content, first.tool_calls),
        Message("tool", "print('hello')\n", tool_call_id=first.tool_calls[0].id, name="Read"),
    ]
    second = model.complete(turn2, [READ, BASH])
    assert model.last_stats.prefix_source == "kv"
    assert second.usage.cached_tokens > prefix_tokens
    model.close()

    # A new instance (as in a new process) loads the prefix state from disk and, with
    # the same seed, answers turn 1 the same way.
    assert list((tmp_path / "prefix-states").glob("*.kvstate"))
    again = LocalModel(model_path=model_file, n_ctx=2048, max_tokens=64, constrained=False)
    replay = again.complete(turn1, [READ, BASH])
    assert again.last_stats.prefix_source == "disk"
    assert replay.usage.cached_tokens == prefix_tokens
    assert [(c.name, c.arguments) for c in replay.tool_calls] == [
        (c.name, c.arguments) for c in first.tool_calls
    ]
    again.close()


def test_constrained_reply_is_one_valid_action_even_when_asked_for_prose(
    model_file: Path,
) -> None:
    from bdev.llm.local.model import LocalModel

    model = LocalModel(model_path=model_file, n_ctx=2048, max_tokens=96)
    chat = [SYSTEM, Message("user", "Explain in two paragraphs what a REST API is.")]
    reply = model.complete(chat, [READ, BASH])
    # Either one call with valid arguments, or finish with its summary: never free prose
    # alongside calls, never a format error.
    assert reply.format_errors == []
    assert len(reply.tool_calls) <= 1
    if reply.tool_calls:
        call = reply.tool_calls[0]
        assert call.name in ("Read", "Bash") and call.arguments
    else:
        assert reply.content and reply.finish_reason == "stop"
    assert reply.max_output_tokens == 96

    # A cap too small for any call: the one error left, and it names the cap.
    tiny = LocalModel(model_path=model_file, n_ctx=2048, max_tokens=6)
    cut = tiny.complete([SYSTEM, Message("user", "Read src/app.py.")], [READ, BASH])
    assert cut.tool_calls == [] and "cap of 6 tokens" in cut.format_errors[0]
    model.close()
    tiny.close()


def test_an_opened_reply_is_continued_not_restarted(model_file: Path) -> None:
    from bdev.llm.local.model import LocalModel

    model = LocalModel(model_path=model_file, n_ctx=2048, max_tokens=48)
    opening = "```python\ndef add(a: int, b: int) -> int:\n"
    chat = [Message("user", "Write add(a, b) returning their sum."), Message("assistant", opening)]
    reply = model.complete(chat, [])
    # What comes back is the rest of the function, never the opening again.
    assert "def add" not in reply.content and "return" in reply.content
    assert reply.usage.output_tokens <= 48
    model.close()
