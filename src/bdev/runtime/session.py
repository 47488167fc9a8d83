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
        _drop_torn_line(path)
        self._file = path.open("a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        self._file.write(json.dumps(event.to_dict(), ensure_ascii=False, default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _drop_torn_line(path: Path) -> None:
    """Cut a last line that a killed process left half-written, so that events appended
    now start on a line of their own instead of being glued to the torn one."""
    if not path.is_file():
        return
    with path.open("rb+") as f:
        size = f.seek(0, 2)
        if size == 0:
            return
        f.seek(max(0, size - 65536))
        tail = f.read()
        if tail.endswith(b"\n"):
            return
        cut = tail.rfind(b"\n")
        keep = size - len(tail) + cut + 1 if cut >= 0 else (0 if size <= 65536 else None)
        if keep is None:  # one line longer than the tail read: leave it, but end it
            f.write(b"\n")
        else:
            f.truncate(keep)


@dataclass
class SessionRecord:
    """What a transcript says about a run: its settings, conversation and outcome."""

    id: str
    path: Path
    start: dict[str, Any]
    messages: list[Message] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    damaged_line: int | None = None  # the first unreadable line before the last event

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
    """Every readable event; lines that are not events are skipped (see `scan_events`)."""
    return [event for _, event in scan_events(path)[0]]


def scan_events(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[int]]:
    """The readable events with their line numbers (from 1), and the numbers of the
    lines that are not events: a torn last line from a killed process, or damage in the
    middle of the file."""
    events: list[tuple[int, dict[str, Any]]] = []
    bad: list[int] = []
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                event = json.loads(raw.decode("utf-8", errors="replace"))
            except json.JSONDecodeError:
                event = None
            if isinstance(event, dict):
                events.append((number, event))
            elif raw.strip():
                bad.append(number)
    return events, bad


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
    """The session in `path`. A damaged line in the middle ends what counts: resuming
    continues from the last event before it (`damaged_line` says where), since what
    followed cannot be trusted to be complete."""
    numbered, bad = scan_events(path)
    if not numbered or numbered[0][1].get("type") != EventType.SESSION_START:
        raise BdevError(f"{path}: not a bdev transcript (no session_start event)")
    damaged = next((n for n in bad if n < numbered[-1][0]), None)
    events = [e for n, e in numbered if damaged is None or n < damaged]
    record = SessionRecord(
        id=path.stem, path=path, start=events[0], events=events, damaged_line=damaged
    )
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
