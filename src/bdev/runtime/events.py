"""Events: everything that happens in a run, as plain records.

The loop emits them; sinks consume them (the transcript file, the terminal, a
stream-json printer). A sink never changes the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    type: str
    data: dict[str, Any]
    ts: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "ts": round(self.ts, 3), **self.data}


EventSink = Callable[[Event], None]


class Emitter:
    """Fans one event out to every sink, in order."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks: list[EventSink] = list(sinks)

    def add(self, sink: EventSink) -> None:
        self.sinks.append(sink)

    def __call__(self, type: str, **data: Any) -> Event:
        event = Event(type, data)
        for sink in self.sinks:
            sink(event)
        return event
