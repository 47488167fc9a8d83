"""Sessions: an append-only JSONL transcript per run, and rebuilding a run from it.

Each event is one line, written and flushed to the OS as it happens, so a killed process
loses at most the line it was writing; `load` ignores such a torn last line. (No fsync per
event: it would cost milliseconds a step and only guards against the machine itself
going down, which is not what resume is for.)
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bdev.errors import BdevError
from bdev.llm.base import Message
from bdev.runtime.events import Event, EventType

SESSIONS_DIR = Path(".bdev") / "sessions"


def sessions_dir(workspace: Path) -> Path:
    return workspace / SESSIONS_DIR


def new_session_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


class Transcript:
    """The writing side: an event sink that appends to `<workspace>/.bdev/sessions/ID.jsonl`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        self._file.write(json.dumps(event.to_dict(), ensure_ascii=False, default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


@dataclass
class SessionRecord:
    """What a transcript says about a run: its settings, conversation and outcome."""

    id: str
    path: Path
    start: dict[str, Any]
    messages: list[Message] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None

    @property
    def steps(self) -> int:
        return sum(1 for m in self.messages if m.role == "assistant")

    def pending_tool_calls(self) -> list[Any]:
        """Tool calls of the last assistant message that have no result yet (killed mid-step)."""
        last = next((m for m in reversed(self.messages) if m.role == "assistant"), None)
        if last is None:
            return []
        answered = {m.tool_call_id for m in self.messages if m.role == "tool"}
        return [c for c in last.tool_calls if c.id not in answered]


def read_events(path: Path) -> list[dict[str, Any]]:
    events = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a torn last line from a killed process: everything before it stands
    return events


def find_session(workspace: Path, session_id: str) -> Path:
    directory = sessions_dir(workspace)
    exact = directory / f"{session_id}.jsonl"
    if exact.is_file():
        return exact
    matches = sorted(directory.glob(f"{session_id}*.jsonl")) if directory.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise BdevError(f"no session {session_id!r} in {directory}")
    names = ", ".join(p.stem for p in matches)
    raise BdevError(f"session id {session_id!r} is ambiguous: {names}")


def load_session(path: Path) -> SessionRecord:
    events = read_events(path)
    if not events or events[0].get("type") != EventType.SESSION_START:
        raise BdevError(f"{path}: not a bdev transcript (no session_start event)")
    record = SessionRecord(id=path.stem, path=path, start=events[0], events=events)
    for e in events:
        # Sub-agents write to the same transcript; only the top-level conversation resumes.
        if e.get("type") == EventType.MESSAGE and not e.get("depth"):
            record.messages.append(Message.from_dict(e["message"]))
        elif e.get("type") == EventType.END and not e.get("depth"):
            record.end = e
    return record


def list_sessions(workspace: Path) -> list[SessionRecord]:
    directory = sessions_dir(workspace)
    if not directory.is_dir():
        return []
    records = []
    for path in sorted(directory.glob("*.jsonl")):
        try:
            records.append(load_session(path))
        except BdevError:
            continue
    return records
