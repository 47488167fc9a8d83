"""Keeping a long run inside a small context window.

The embedded model has 8,192 tokens for the system prompt, the tool schemas, the whole
conversation and its next reply. A run that reads a few service files and writes a
module twice fills that in 8-20 steps, and the next reply is cut off mid-call. Before
that happens, the oldest bulky parts of the conversation (tool results, and the text a
Write or Edit carried) are replaced by one line saying what they were. The transcript
keeps everything; only what the model is shown shrinks.

What was replaced stays replaced (`Compactor` remembers how far it went), so the
conversation's beginning, and with it the model's cached prompt, changes only when the
window fills again, not on every turn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from bdev.llm.base import Message, ToolCall, ToolSpec
from bdev.llm.estimate import estimate_tokens

# The last messages are never shortened: the call being worked on and its result.
KEEP_LAST = 4
# Shorter than this, a result or argument is left as it is: its stub would save nothing.
_BULKY = 200  # characters
# Compacting goes down to this share of the room, so that it is not needed again at once.
_TARGET = 0.6
# The arguments whose text a Write, Edit or MultiEdit carried into the conversation.
_BULKY_ARGUMENTS = ("content", "old_string", "new_string", "edits", "new_source")


@dataclass
class Compactor:
    """Shows the model a conversation that fits `room` tokens (by `estimate_tokens`,
    which over-counts: a conversation it fits also fits the real tokenizer)."""

    room: int
    shortened: int = 0  # messages[:shortened] are shown with their bulky parts replaced

    def view(self, messages: list[Message], tools: list[ToolSpec]) -> list[Message]:
        shown = [_stub(m) if i < self.shortened else m for i, m in enumerate(messages)]
        total = sum(estimate_tokens(json.dumps(vars(t))) for t in tools)
        total += sum(_size(m) for m in shown)
        if total > self.room:
            target = int(self.room * _TARGET)
            last = len(messages) - KEEP_LAST
            while self.shortened < last and total > target:
                i = self.shortened
                shown[i] = _stub(messages[i])
                total -= _size(messages[i]) - _size(shown[i])
                self.shortened += 1
        return shown


def _size(message: Message) -> int:
    calls = "".join(json.dumps(c.to_dict()) for c in message.tool_calls)
    return estimate_tokens(message.content + calls) + 4  # the role's tags


def _stub(message: Message) -> Message:
    """`message` with its bulky parts replaced by a line saying what they were. The
    system prompt and the user's turns (the task, feedback) are kept whole."""
    if message.role == "tool" and len(message.content) > _BULKY:
        lines = message.content.count("\n") + 1
        return replace(
            message,
            content=f"[earlier {message.name or 'tool'} result, {lines} lines: left out to "
            "save room; call the tool again if you need it]",
        )
    if message.role == "assistant" and message.tool_calls:
        return replace(message, tool_calls=[_stub_call(c) for c in message.tool_calls])
    return message


def _stub_call(call: ToolCall) -> ToolCall:
    arguments = dict(call.arguments)
    for key in _BULKY_ARGUMENTS:
        value = arguments.get(key)
        text = value if isinstance(value, str) else json.dumps(value)
        if value is not None and len(text) > _BULKY:
            arguments[key] = f"[{text.count(chr(10)) + 1} lines, left out to save room]"
    return replace(call, arguments=arguments)
