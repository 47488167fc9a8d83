"""Keeping a long run inside a small context window.

The embedded model has 8,192 tokens for the system prompt, the tool schemas, the whole
conversation and its next reply. A run that reads a few service files and writes a
module twice fills that in 8-20 steps, and the next reply is cut off mid-call. Before
that happens, the oldest bulky tool results (and replies that were sent back, such as
one cut off at the cap) are replaced by one line saying what they were. The transcript
keeps everything; only what the model is shown shrinks.

The model's own calls are never shortened, even a Write's long `content`: shown a
placeholder in a call of its own, a small model writes the placeholder as a file's
content the next time (a constrained change run did, turn after turn). When shortening
results is not enough (a run that wrote a 900-token module eight times), the oldest
steps are left out whole, each call with its result, behind one line that says so:
nothing of them is left to imitate, and the files they wrote are on disk to Read.

What was replaced stays replaced (`Compactor` remembers how far it went), so the
conversation's beginning, and with it the model's cached prompt, changes only when the
window fills again, not on every turn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from bdev.llm.base import Message, ToolSpec
from bdev.llm.estimate import estimate_tokens

# The last messages are never shortened: the call being worked on and its result.
KEEP_LAST = 4
# Shorter than this, a result is left as it is: its stub would save nothing.
_BULKY = 200  # characters
# Compacting goes down to this share of the room, so that it is not needed again at once.
_TARGET = 0.6


@dataclass
class Compactor:
    """Shows the model a conversation that fits `room` tokens (by `estimate_tokens`,
    which over-counts: a conversation it fits also fits the real tokenizer)."""

    room: int
    shortened: int = 0  # messages[:shortened] are shown with their bulky results replaced
    dropped: int = 0  # then this many messages after the task's are left out, whole steps

    def view(self, messages: list[Message], tools: list[ToolSpec]) -> list[Message]:
        shown = [_stub(m) if i < self.shortened else m for i, m in enumerate(messages)]
        start = _after_task(messages)
        total = sum(estimate_tokens(json.dumps(vars(t))) for t in tools)
        total += sum(_size(m) for m in shown[:start] + shown[start + self.dropped :])
        if total > self.room:
            target = int(self.room * _TARGET)
            last = len(messages) - KEEP_LAST
            while self.shortened < last and total > target:
                i = self.shortened
                shown[i] = _stub(messages[i])
                if not start <= i < start + self.dropped:  # a step left out counts nothing
                    total -= _size(messages[i]) - _size(shown[i])
                self.shortened += 1
            # Stubs could not make room: whole steps go, down to the target too.
            while total > self.room or (self.dropped and total > target):
                end = _step_end(messages, start + self.dropped)
                if end > last:
                    break
                total -= sum(_size(m) for m in shown[start + self.dropped : end])
                self.dropped = end - start
        if not self.dropped:
            return shown
        note = Message(
            "user",
            f"[{self.dropped} earlier messages (calls and their results) are left out to "
            "save room. The files are as those calls left them: Read one to see it now.]",
        )
        return [*shown[:start], note, *shown[start + self.dropped :]]


def _after_task(messages: list[Message]) -> int:
    """The index after the first user message (the task): what comes before is kept."""
    first = next((i for i, m in enumerate(messages) if m.role == "user"), len(messages))
    return first + 1


def _step_end(messages: list[Message], i: int) -> int:
    """The end of the step starting at `i`: a reply with calls takes its results along
    (a result without its call is no valid conversation); any other message is alone."""
    end = i + 1
    if i < len(messages) and messages[i].tool_calls:
        while end < len(messages) and messages[end].role == "tool":
            end += 1
    return end


def _size(message: Message) -> int:
    calls = "".join(json.dumps(c.to_dict()) for c in message.tool_calls)
    return estimate_tokens(message.content + calls) + 4  # the role's tags


def _stub(message: Message) -> Message:
    """`message`, a bulky tool result or a bulky reply without a call (one that was sent
    back: cut off, or not a call) replaced by a line saying what it was; any other message
    (the system prompt, the user's turns, the model's calls) as it is."""
    if len(message.content) <= _BULKY:
        return message
    lines = message.content.count("\n") + 1
    if message.role == "tool":
        return replace(
            message,
            content=f"[earlier {message.name or 'tool'} result, {lines} lines: left out to "
            "save room; call the tool again if you need it]",
        )
    if message.role == "assistant" and not message.tool_calls:
        return replace(message, content=f"[earlier reply, {lines} lines: left out to save room]")
    return message
