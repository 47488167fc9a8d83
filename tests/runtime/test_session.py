"""Transcripts: appended per event, torn lines tolerated, conversation rebuilt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bdev.errors import BdevError
from bdev.llm.base import Message, ToolCall
from bdev.runtime.events import Emitter
from bdev.runtime.session import Transcript, find_session, load_session


def test_each_event_is_on_disk_as_soon_as_it_is_emitted(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    t = Transcript(path)
    emit = Emitter(t)
    emit("session_start", session_id="s", agent="a", model="m", task="t")
    assert json.loads(path.read_text().splitlines()[0])["type"] == "session_start"
    emit("message", message=Message("user", "hi").to_dict())
    assert len(path.read_text().splitlines()) == 2  # no close() needed: flushed per event
    t.close()


def test_a_torn_last_line_is_ignored_and_pending_calls_found(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    emit = Emitter(Transcript(path))
    emit("session_start", session_id="s", agent="a", model="m", task="t")
    emit("message", message=Message("user", "go").to_dict())
    call = ToolCall("call_1", "Bash", {"command": "true"})
    emit("message", message=Message("assistant", "", [call]).to_dict())
    with path.open("a") as f:
        f.write('{"type": "message", "message": {"role": "to')  # killed mid-write
    record = load_session(path)
    assert [m.role for m in record.messages] == ["user", "assistant"]
    assert record.pending_tool_calls() == [call]
    assert record.end is None and record.steps == 1


def test_not_a_transcript(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"type": "other"}\n')
    with pytest.raises(BdevError, match="not a bdev transcript"):
        load_session(path)


def test_find_session_by_unique_prefix(tmp_path: Path) -> None:
    d = tmp_path / ".bdev" / "sessions"
    d.mkdir(parents=True)
    (d / "20260101-000000-aaaaaa.jsonl").write_text("")
    (d / "20260101-000000-aaabbb.jsonl").write_text("")
    assert find_session(tmp_path, "20260101-000000-aaaaaa").name.startswith("20260101")
    with pytest.raises(BdevError, match="ambiguous"):
        find_session(tmp_path, "20260101-000000-aaa")
    with pytest.raises(BdevError, match="no session"):
        find_session(tmp_path, "zzz")


def test_appending_after_a_torn_line_starts_a_line_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    emit = Emitter(Transcript(path))
    emit("session_start", session_id="s", agent="a", model="m", task="t")
    with path.open("a") as f:
        f.write('{"type": "message", "message": {"role": "to')  # killed mid-write
    Emitter(Transcript(path))("resume", session_id="s")  # the next process appends
    lines = path.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["session_start", "resume"]
    assert load_session(path).damaged_line is None


def test_damage_in_the_middle_is_named_and_the_session_ends_before_it(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    emit = Emitter(Transcript(path))
    emit("session_start", session_id="s", agent="a", model="m", task="t")
    emit("message", message=Message("user", "go").to_dict())
    with path.open("ab") as f:
        f.write(b"\x00\xffgarbage\n")
    emit = Emitter(Transcript(path))
    emit("message", message=Message("assistant", "done").to_dict())
    emit("end", status="completed")
    record = load_session(path)
    assert record.damaged_line == 3
    assert [m.role for m in record.messages] == ["user"] and record.end is None
