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
