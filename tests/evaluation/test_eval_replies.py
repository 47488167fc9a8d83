"""Counting replies and malformed replies from a run's transcripts."""

import json
from pathlib import Path

from bdev.evaluation.replies import count_replies
from bdev.llm.scripted import ScriptedModel
from bdev.runtime.session import sessions_dir
from support.runtime import agent_def, make_runner

NOT_JSON = "Your reply was not valid JSON: Expecting ',' (col 40)"


class Unreadable(ScriptedModel):
    """Replays turns; a turn whose content is NOT_JSON is a reply its provider could not
    read, as the local model's parser reports one."""

    def complete(self, messages, tools, *, on_text=None):
        response = super().complete(messages, tools, on_text=on_text)
        if response.content == NOT_JSON:
            response.format_errors = [NOT_JSON]
        return response


def test_a_real_loop_transcript_is_counted_by_kind(tmp_path: Path) -> None:
    read = {"tool_calls": [{"name": "LS", "arguments": {}}]}
    turns = [
        {"content": NOT_JSON},  # the provider could not read it
        {"tool_calls": [{"name": "Teleport", "arguments": {}}]},  # no such tool
        read,
        read,  # the same call again: well formed, refused
        {"content": "done"},
    ]
    runner = make_runner(tmp_path, [])
    model = Unreadable.from_turns(turns)
    runner.model_factory = lambda _spec: model
    runner.start("task", agent_def(tmp_path))
    counted = count_replies(tmp_path)
    assert (counted.total, counted.malformed) == (5, 2)
    assert sorted(e.split(".")[0] for e in counted.errors) == [
        "Unknown tool 'Teleport'",
        "Your reply was not valid JSON: Expecting ',' (col 40)",
    ]


def write_transcript(workspace: Path, events: list[dict]) -> None:
    folder = sessions_dir(workspace)
    folder.mkdir(parents=True)
    lines = [e if isinstance(e, str) else json.dumps({"ts": 0, **e}) for e in events]
    (folder / "20261201-000000-abcdef.jsonl").write_text("\n".join(lines) + "\n")


def test_transcripts_from_before_kinds_are_told_apart_by_the_loops_wording(tmp_path):
    call = {"type": "model_call"}
    write_transcript(tmp_path, [
        call, {"type": "format_error", "step": 1, "errors": ["Your reply was cut off at the cap"]},
        call, {"type": "format_error", "step": 2, "errors": ["repeated Write call"]},
        call, {"type": "format_error", "step": 3, "errors": ["Edit: not the first call"]},
        call, {"type": "format_error", "step": 4,
               "errors": ["a final answer before any tool ran (sent back once)"]},
    ])  # fmt: skip
    counted = count_replies(tmp_path)
    assert (counted.total, counted.malformed) == (4, 1)


def test_one_reply_with_several_errors_counts_once_and_refusals_not_at_all(tmp_path):
    call = {"type": "model_call"}
    write_transcript(tmp_path, [
        call,
        {"type": "format_error", "step": 1, "kind": "bad_call", "errors": ["Unknown tool 'A'"]},
        {"type": "format_error", "step": 1, "kind": "bad_call", "errors": ["Unknown tool 'B'"]},
        call,
        {"type": "format_error", "step": 2, "kind": "rejected", "errors": ["no code block"]},
        call,
        {"type": "format_error", "step": 3, "kind": "from-a-later-bdev", "errors": ["?"]},
        "not an event line",
    ])  # fmt: skip
    counted = count_replies(tmp_path)
    assert (counted.total, counted.malformed) == (3, 1)


def test_a_folder_without_transcripts_has_no_replies(tmp_path):
    counted = count_replies(tmp_path)
    assert (counted.total, counted.malformed) == (0, 0)
