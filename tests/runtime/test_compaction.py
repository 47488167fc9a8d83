"""A long run on a small context window: old tool results are shortened, only for the model."""

from __future__ import annotations

from pathlib import Path

from bdev.agents.registry import AgentRegistry
from bdev.config import load_config
from bdev.llm.base import Message, ModelResponse, ToolCall, ToolSpec, Usage, prompt_room
from bdev.llm.estimate import estimate_tokens
from bdev.llm.scripted import ScriptedModel
from bdev.runtime.compaction import KEEP_LAST, Compactor, _size
from bdev.runtime.limits import RunStatus
from bdev.runtime.runner import Runner
from support.runtime import agent_def, events

CODE = "".join(f"def handler_{i}(request):\n    return {{'n': {i}}}\n\n" for i in range(40))
TOOLS = [ToolSpec("Read", "Read a file.", {"type": "object", "properties": {}})]


def _turn(i: int) -> list[Message]:
    read = ToolCall(f"r{i}", "Read", {"file_path": f"m{i}.py"})
    write = ToolCall(f"w{i}", "Write", {"file_path": f"m{i}.py", "content": CODE[:400]})
    return [
        Message("assistant", "", [read]),
        Message("tool", CODE, tool_call_id=f"r{i}", name="Read"),
        Message("assistant", "", [write]),
        Message("tool", f"Wrote m{i}.py", tool_call_id=f"w{i}", name="Write"),
    ]


def _conversation(turns: int) -> list[Message]:
    task = Message("user", "Add a handler. " + "The service is a FastAPI app. " * 20)
    messages = [Message("system", "You are a backend developer."), task]
    for i in range(turns):
        messages += _turn(i)
    return messages


def _tokens(messages: list[Message]) -> int:
    return sum(_size(m) for m in messages)


def test_a_conversation_that_fits_is_shown_as_it_is() -> None:
    messages = _conversation(2)
    compactor = Compactor(room=_tokens(messages) + 500)
    assert compactor.view(messages, TOOLS) == messages
    assert compactor.shortened == 0


def test_old_results_are_shortened_for_the_model_only() -> None:
    messages = _conversation(6)
    whole = [Message.from_dict(m.to_dict()) for m in messages]
    room = _tokens(messages) // 2
    compactor = Compactor(room=room)
    shown = compactor.view(messages, TOOLS)

    assert messages == whole  # the conversation itself (the transcript's) is untouched
    assert _tokens(shown) < room
    # The task and the system prompt stay whole; so do the last few messages.
    assert shown[:2] == messages[:2]
    assert shown[-KEEP_LAST:] == messages[-KEEP_LAST:]
    # The oldest read says what it was and how to get it again.
    assert shown[3].content.startswith("[earlier Read result, 121 lines")
    assert "call the tool again" in shown[3].content
    # The model's own calls stay whole: a placeholder in one, it writes as a file's text.
    assert shown[4] == messages[4] and shown[4].tool_calls[0].arguments["content"] == CODE[:400]
    # A short result ("Wrote m0.py") is kept: replacing it would save nothing.
    assert shown[5].content == "Wrote m0.py"


def test_once_shortened_the_beginning_stays_the_same_until_the_window_fills_again() -> None:
    messages = _conversation(6)
    compactor = Compactor(room=_tokens(messages) * 7 // 10)
    first = compactor.view(messages, TOOLS)
    shortened = compactor.shortened
    # One more small turn: nothing more is shortened, so the model's cached prompt holds.
    messages += [Message("assistant", "", [ToolCall("g", "Glob", {"pattern": "*.py"})])]
    messages += [Message("tool", "m0.py", tool_call_id="g", name="Glob")]
    second = compactor.view(messages, TOOLS)
    assert compactor.shortened == shortened
    assert second[: len(first)] == first
    # Many more turns: the room fills again, and more is shortened.
    for i in range(6, 9):
        messages += _turn(i)
    assert _tokens(compactor.view(messages, TOOLS)) < compactor.room
    assert compactor.shortened > shortened


def test_the_tool_schemas_count_against_the_room() -> None:
    messages = _conversation(3)
    big = [ToolSpec(f"T{i}", "A tool. " * 50, {"type": "object"}) for i in range(10)]
    fits = Compactor(room=_tokens(messages) + 100)
    assert fits.view(messages, TOOLS) == messages
    crowded = Compactor(room=_tokens(messages) + 100)
    crowded.view(messages, big)
    assert crowded.shortened > 0


def test_the_room_is_the_window_less_the_longest_reply() -> None:
    class Small:
        name = "small"
        n_ctx = 8192
        max_tokens = 1024
        max_file_tokens = 2048

    class Remote:
        name = "remote"

    assert prompt_room(Small()) == 8192 - 2048  # type: ignore[arg-type]
    assert prompt_room(Remote()) is None  # type: ignore[arg-type]


class _WindowedScript(ScriptedModel):
    """A scripted model with a small context window, recording what it was shown."""

    n_ctx = 3000
    max_tokens = 500
    shown: list[list[Message]]

    def complete(self, messages, tools, *, on_text=None) -> ModelResponse:  # type: ignore[override]
        self.shown.append(list(messages))
        response = super().complete(messages, tools, on_text=on_text)
        size = sum(estimate_tokens(m.content) for m in messages)
        response.usage = Usage(input_tokens=size)
        return response


def test_a_long_run_on_a_small_window_shows_the_model_less_and_keeps_the_transcript(
    workspace: Path,
) -> None:
    for i in range(5):
        (workspace / f"m{i}.py").write_text(CODE)
    turns = [{"tool_calls": [{"name": "Read", "arguments": {"file_path": f"m{i}.py"}}]}
             for i in range(5)] + [{"content": "Read them all."}]  # fmt: skip
    model = _WindowedScript.from_turns(turns)
    model.shown = []
    config = load_config(workspace, {"permissions.mode": "bypassPermissions"})
    registry = AgentRegistry(project_root=workspace, user_dir=workspace / "no-user-agents")
    runner = Runner(
        workspace=workspace, config=config, registry=registry,
        model_factory=lambda spec: model, model_override="scripted:test",
    )  # fmt: skip
    sid, result = runner.start("read the modules", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED

    last = model.shown[-1]
    reads = [m.content for m in last if m.role == "tool"]
    # The first reads shortened, or (this window is small) left out with their calls.
    whole = [r for r in reads if CODE.rstrip("\n").splitlines()[-1] in r]
    assert len(whole) < 5
    assert reads[0].startswith("[earlier Read result") or "left out to save room" in "".join(
        m.content for m in last if m.role == "user"
    )
    assert reads[-1] in whole  # the last one, whole
    # The transcript holds every result whole, and says how much the model saw shortened.
    evs = events(workspace, sid)
    logged = [e["message"]["content"] for e in evs
              if e["type"] == "message" and e["message"]["role"] == "tool"]  # fmt: skip
    assert all("earlier Read result" not in c for c in logged)
    assert any(e.get("shortened") for e in evs if e["type"] == "model_call")


def test_an_old_reply_that_was_sent_back_is_shortened_too() -> None:
    """As in change task 02: three replies cut off at the 2,048-token cap stayed in the
    conversation, and the window filled however many results were shortened."""
    cut = Message("assistant", '<tool_call>\n{"name": "Write", ' + "x = 1\\n" * 400)
    told = Message("user", "Your reply was cut off at the cap of 2048 tokens per reply.")
    messages = _conversation(1) + [cut, told] * 3 + _turn(1)
    compactor = Compactor(room=_tokens(messages) // 2)
    shown = compactor.view(messages, TOOLS)
    assert shown[6].content == "[earlier reply, 2 lines: left out to save room]"
    assert shown[7] == told  # what the model was told stays
    assert _tokens(shown) < compactor.room


def _rewrites(n: int) -> list[Message]:
    """n steps that each write the whole module again: calls no stub may shorten."""
    steps: list[Message] = []
    for i in range(n):
        write = ToolCall(f"w{i}", "Write", {"file_path": "app.py", "content": CODE})
        steps += [Message("assistant", "", [write])]
        steps += [Message("tool", "Updated app.py", tool_call_id=f"w{i}", name="Write")]
    return steps


def test_when_shortening_is_not_enough_the_oldest_steps_are_left_out_whole() -> None:
    messages = _conversation(1) + _rewrites(8)
    compactor = Compactor(room=_tokens(messages) // 2)
    shown = compactor.view(messages, TOOLS)

    assert _tokens(shown) < compactor.room
    assert compactor.dropped > 0 and compactor.dropped % 2 == 0  # calls with their results
    # The system prompt and the task stay, then one line saying what was left out.
    assert shown[:2] == messages[:2]
    assert shown[2].role == "user" and f"{compactor.dropped} earlier messages" in shown[2].content
    # No result is shown without its call, and the newest steps are whole.
    assert shown[3].role == "assistant" and shown[3].tool_calls
    assert shown[-KEEP_LAST:] == messages[-KEEP_LAST:]
    calls = {c.id for m in shown for c in m.tool_calls}
    assert all(m.tool_call_id in calls for m in shown if m.role == "tool")
    # What was left out stays out, and the next turn's view begins the same way.
    dropped = compactor.dropped
    messages += [Message("assistant", "", [ToolCall("g", "Glob", {"pattern": "*.py"})])]
    messages += [Message("tool", "app.py", tool_call_id="g", name="Glob")]
    again = compactor.view(messages, TOOLS)
    assert compactor.dropped == dropped and again[: len(shown)] == shown


def test_the_last_steps_are_never_left_out() -> None:
    messages = _conversation(0) + _rewrites(2)
    compactor = Compactor(room=10)  # nothing would fit
    shown = compactor.view(messages, TOOLS)
    assert shown[-KEEP_LAST:] == messages[-KEEP_LAST:]
