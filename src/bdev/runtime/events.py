"""Events: everything that happens in a run, as plain records.

The loop emits them; sinks consume them (the transcript file, the terminal, a
stream-json printer). A sink never changes the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """Every kind of event; the value is the `type` field of the serialised record."""

    # The loop and the runner.
    SESSION_START = "session_start"
    RESUME = "resume"
    MESSAGE = "message"
    MODEL_CALL = "model_call"
    FORMAT_ERROR = "format_error"
    CHECK = "check"  # a program-led change step ran the service's tests on a candidate
    PERMISSION = "permission"
    TOOL_START = "tool_start"
    TOOL_END = "tool_end"
    TODOS = "todos"
    SUBAGENT_START = "subagent_start"
    HANDOFF = "handoff"  # bdev.team: work handed to or from this session's agent
    HOOK = "hook"  # one hook command ran: its event, command, exit code and decision
    # A definition field refused or clamped, or a model fallback (once per run).
    WARNING = "warning"
    END = "end"
    # The backend workflow.
    PHASE = "phase"
    CONTEXT_REQUEST = "context_request"
    CONTEXT_RESPONSE = "context_response"
    GATES = "gates"
    PROGRESS = "progress"
    DELIVERY = "delivery"
    # Spec-first: each slot the model filled (or re-filled), each verification round.
    SLOT = "slot"
    SLOT_ATTEMPT = "slot_attempt"  # one answer for a slot: its text and what was rejected
    VERIFY = "verify"


class FormatError(StrEnum):
    """The `kind` of a format_error event. The first two are replies that were not one
    valid action; the rest are well-formed replies the loop sent back or did not run."""

    REPLY = "reply"  # the provider could not read one action from the reply
    BAD_CALL = "bad_call"  # a call to a tool that is not there, or with invalid arguments
    REPEAT = "repeat"  # the same call as the one just before: not run again
    EXTRA_CALL = "extra_call"  # a small model's second call in one reply: not run
    EARLY_FINAL = "early_final"  # a final answer before any tool ran (sent back once)
    EMPTY_FINAL = "empty_final"  # a final answer with no words in it (sent back once)
    FILES_MISSING = "files_missing"  # a final answer while files it named do not exist
    NOTHING_CHANGED = "nothing_changed"  # a final answer after every change was refused
    # A program-led step's answer (a code block, a section) that its checks refused.
    REJECTED = "rejected"

    @property
    def malformed(self) -> bool:
        return self in (FormatError.REPLY, FormatError.BAD_CALL)


@dataclass
class Event:
    type: EventType
    data: dict[str, Any]
    ts: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type.value, "ts": round(self.ts, 3), **self.data}


EventSink = Callable[[Event], None]


class Emitter:
    """Fans one event out to every sink, in order."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks: list[EventSink] = list(sinks)

    def add(self, sink: EventSink) -> None:
        self.sinks.append(sink)

    def __call__(self, type: EventType, **data: Any) -> Event:
        event = Event(EventType(type), data)
        for sink in self.sinks:
            sink(event)
        return event
