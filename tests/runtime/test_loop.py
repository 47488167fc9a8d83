"""The agent loop driven by the scripted model: tools run, errors go back, limits stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from bdev.llm.scripted import ScriptedModel
from bdev.runtime.limits import RunStatus
from support.runtime import agent_def, events, make_runner, write_agent


def test_writes_a_file_and_finishes(workspace: Path) -> None:
    turns = [
        {
            "content": "I'll write it.",
            "tool_calls": [
                {"name": "Write", "arguments": {"file_path": "hello.txt", "content": "hi\n"}}
            ],
        },
        {"tool_calls": [{"name": "Read", "arguments": {"file_path": "hello.txt"}}]},
        {"content": "Done: hello.txt holds hi."},
    ]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("write hello.txt", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    assert result.final == "Done: hello.txt holds hi."
    assert (workspace / "hello.txt").read_text() == "hi\n"
    evs = events(workspace, sid)
    assert evs[0]["type"] == "session_start" and evs[-1]["type"] == "end"
    tool_msgs = [
        e["message"] for e in evs if e["type"] == "message" and e["message"]["role"] == "tool"
    ]
    assert "hi" in tool_msgs[1]["content"]  # Read's output went back to the model
    assert result.usage.input_tokens > 0 and result.steps == 3


def test_unknown_tool_and_bad_arguments_go_back_as_errors(workspace: Path) -> None:
    turns = [
        {"tool_calls": [{"name": "Teleport", "arguments": {}}]},
        {"tool_calls": [{"name": "Write", "arguments": {"content": "no path"}}]},
        {"content": "gave up"},
    ]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    tool_msgs = [
        e["message"]
        for e in events(workspace, sid)
        if e["type"] == "message" and e["message"]["role"] == "tool"
    ]
    assert tool_msgs[0]["is_error"] and "Unknown tool 'Teleport'" in tool_msgs[0]["content"]
    assert tool_msgs[1]["is_error"] and "file_path" in tool_msgs[1]["content"]
    # Both are in the transcript as malformed calls, by step.
    told = [(e["step"], e["kind"]) for e in events(workspace, sid) if e["type"] == "format_error"]
    assert told == [(1, "bad_call"), (2, "bad_call")]


def test_malformed_calls_in_a_row_stop_the_run(workspace: Path) -> None:
    bad = {"tool_calls": [{"name": "Nope", "arguments": {}}]}
    runner = make_runner(workspace, [bad] * 10, **{"limits.max_format_errors": 3})
    _, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.FORMAT_ERRORS
    assert result.steps == 3


def test_a_good_call_resets_the_malformed_count(workspace: Path) -> None:
    bad = {"tool_calls": [{"name": "Nope", "arguments": {}}]}
    good = {"tool_calls": [{"name": "LS", "arguments": {"path": "."}}]}
    turns = [bad, bad, good, bad, bad, {"content": "ok"}]
    runner = make_runner(workspace, turns, **{"limits.max_format_errors": 3})
    _, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED


def test_a_call_repeated_word_for_word_is_not_run_again(workspace: Path) -> None:
    write = {
        "tool_calls": [{"name": "Write", "arguments": {"file_path": "a.py", "content": "x = 1\n"}}]
    }
    turns = [write, write, {"content": "done"}]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    tool_msgs = [
        e["message"]
        for e in events(workspace, sid)
        if e["type"] == "message" and e["message"]["role"] == "tool"
    ]
    assert not tool_msgs[0].get("is_error") and tool_msgs[0]["content"].startswith("Created")
    assert tool_msgs[1]["is_error"] and tool_msgs[1]["content"].startswith("Not run")
    starts = [e for e in events(workspace, sid) if e["type"] == "tool_start"]
    assert len(starts) == 1  # the repeat never reached the tool


def test_a_loop_of_repeats_ends_the_run(workspace: Path) -> None:
    ls = {"tool_calls": [{"name": "LS", "arguments": {"path": "."}}]}
    runner = make_runner(workspace, [ls] * 10, **{"limits.max_format_errors": 3})
    _, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.FORMAT_ERRORS and result.steps == 4
    # Well formed, only refused: the end does not call them malformed.
    assert result.detail == "3 turns in a row repeating the call before them (well formed, not run)"


def test_the_end_of_wasted_turns_names_each_kind(workspace: Path) -> None:
    ls = {"tool_calls": [{"name": "LS", "arguments": {"path": "."}}]}
    bad = [{"tool_calls": [{"name": "Nope", "arguments": {"n": n}}]} for n in range(3)]
    turns = [ls, ls, bad[0], bad[1]]  # LS runs, then one repeat and two unknown tools
    runner = make_runner(workspace, turns, **{"limits.max_format_errors": 3})
    _, result = runner.start("task", agent_def(workspace))
    assert result.detail == (
        "3 turns in a row without a call that ran (2 malformed, 1 repeating the call before)"
    )
    runner = make_runner(workspace, bad, **{"limits.max_format_errors": 3})
    _, result = runner.start("task", agent_def(workspace))
    assert result.detail == "3 malformed tool-call turns in a row"


def test_a_model_going_round_in_circles_is_sampled_warmer(workspace: Path) -> None:
    write = {
        "tool_calls": [{"name": "Write", "arguments": {"file_path": "a.py", "content": "x\n"}}]
    }
    read = {"tool_calls": [{"name": "Read", "arguments": {"file_path": "a.py"}}]}
    other = {"tool_calls": [{"name": "Read", "arguments": {"file_path": "b.py"}}]}
    # The Write comes back after a Read (not refused: not the call just before), twice.
    turns = [write, read, write, read, other, {"content": "done"}]
    seen: list[float] = []

    class Recording(ScriptedModel):
        temperature = 0.2

        def complete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(self.temperature)
            return super().complete(*args, **kwargs)

    model = Recording.from_turns(turns)
    runner = make_runner(workspace, [])
    runner.model_factory = lambda spec: model
    sid, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    # After the second Write and the second Read, each a call made just before: warmer,
    # and back to the configured setting once a new call is made.
    assert seen == pytest.approx([0.2, 0.2, 0.2, 0.5, 0.8, 0.2])
    warmer = [e.get("warmer") for e in events(workspace, sid) if e["type"] == "model_call"]
    assert warmer == [None, None, None, 1, 2, None]
    assert model.temperature == 0.2  # restored after each call


def test_replies_sent_back_are_warmed_counted_as_malformed_and_not_contradicted(
    workspace: Path,
) -> None:
    """As the embedded model did in a constrained change run: the same reply, stopped
    where a string began repeating (no call in it), four times over."""
    from bdev.llm.base import ModelResponse

    why = "Your reply began repeating the same lines and was stopped there."
    seen: list[float] = []

    class Cut(ScriptedModel):
        temperature = 0.2

        def complete(self, messages, tools, *, on_text=None):  # type: ignore[no-untyped-def]
            seen.append(self.temperature)
            return ModelResponse(content="<tool_call>{", finish_reason="length",
                                 format_errors=[why])  # fmt: skip

    model = Cut.from_turns([])
    runner = make_runner(workspace, [], **{"limits.max_format_errors": 4})
    runner.model_factory = lambda spec: model
    sid, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.FORMAT_ERRORS
    assert result.detail == "4 malformed tool-call turns in a row"
    assert seen == pytest.approx([0.2, 0.5, 0.8, 1.0])
    told = [e["errors"] for e in events(workspace, sid) if e["type"] == "format_error"]
    assert told == [[why]] * 4  # not also "cut off by the output limit"


def test_step_limit(workspace: Path) -> None:
    ls = {"tool_calls": [{"name": "LS", "arguments": {"path": "."}}]}
    runner = make_runner(workspace, [ls] * 10, **{"limits.max_steps": 4})
    sid, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.MAX_STEPS and result.steps == 4
    assert events(workspace, sid)[-1]["status"] == "max_steps"


def test_token_limit(workspace: Path) -> None:
    ls = {"content": "x" * 4000, "tool_calls": [{"name": "LS", "arguments": {"path": "."}}]}
    runner = make_runner(workspace, [ls] * 10, **{"limits.max_tokens": 1500})
    _, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.TOKEN_LIMIT


def test_headless_default_mode_denies_writes(workspace: Path) -> None:
    turns = [
        {"tool_calls": [{"name": "Write", "arguments": {"file_path": "x.txt", "content": "x"}}]},
        {"content": "could not write"},
    ]
    runner = make_runner(workspace, turns, mode="default")
    sid, result = runner.start("task", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    assert not (workspace / "x.txt").exists()
    evs = events(workspace, sid)
    assert any(e["type"] == "permission" and e["action"] == "deny" for e in evs)


def test_plan_mode_allows_reading_only(workspace: Path) -> None:
    (workspace / "a.txt").write_text("content\n")
    turns = [
        {
            "tool_calls": [
                {"name": "Read", "arguments": {"file_path": "a.txt"}},
                {
                    "name": "Edit",
                    "arguments": {
                        "file_path": "a.txt",
                        "old_string": "content",
                        "new_string": "changed",
                    },
                },
            ]
        },
        {"content": "planned"},
    ]
    runner = make_runner(workspace, turns, mode="plan")
    sid, _ = runner.start("task", agent_def(workspace))
    assert (workspace / "a.txt").read_text() == "content\n"
    tool_msgs = [
        e["message"]
        for e in events(workspace, sid)
        if e["type"] == "message" and e["message"]["role"] == "tool"
    ]
    assert not tool_msgs[0].get("is_error") and tool_msgs[1].get("is_error")


def test_allow_rule_lets_bash_run_in_default_mode(workspace: Path) -> None:
    turns = [
        {"tool_calls": [{"name": "Bash", "arguments": {"command": "echo hi > out.txt"}}]},
        {"content": "done"},
    ]
    runner = make_runner(
        workspace, turns, mode="default", **{"permissions.allow": ["Bash(echo:*)"]}
    )
    runner.start("task", agent_def(workspace))
    assert (workspace / "out.txt").read_text() == "hi\n"


def test_agent_only_gets_the_tools_its_definition_names(workspace: Path) -> None:
    turns = [
        {"tool_calls": [{"name": "Bash", "arguments": {"command": "touch made.txt"}}]},
        {"content": "done"},
    ]
    runner = make_runner(workspace, turns)
    sid, _ = runner.start("task", agent_def(workspace, tools="Read, Grep"))
    assert not (workspace / "made.txt").exists()
    start = events(workspace, sid)[0]
    assert start["tools"] == ["Read", "Grep"]


def test_task_runs_a_subagent_with_its_own_context_and_tools(workspace: Path) -> None:
    write_agent(workspace / ".claude" / "agents", "helper", tools="Read, Write")
    turns = [
        {
            "tool_calls": [
                {
                    "name": "Task",
                    "arguments": {
                        "description": "make a file",
                        "prompt": "write sub.txt",
                        "subagent_type": "helper",
                    },
                }
            ]
        },
        # The sub-agent's turns (same scripted model, fresh conversation).
        {
            "tool_calls": [
                {"name": "Write", "arguments": {"file_path": "sub.txt", "content": "from sub"}}
            ]
        },
        {"content": "sub.txt written"},
        # Back in the parent.
        {"content": "the helper wrote sub.txt"},
    ]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("delegate", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    assert (workspace / "sub.txt").read_text() == "from sub"
    evs = events(workspace, sid)
    sub_msgs = [e for e in evs if e["type"] == "message" and e.get("depth") == 1]
    assert sub_msgs[0]["message"]["role"] == "system"
    assert sub_msgs[1]["message"]["content"] == "write sub.txt"  # fresh context: its prompt only
    parent_tool = next(
        e["message"]
        for e in evs
        if e["type"] == "message" and not e.get("depth") and e["message"]["role"] == "tool"
    )
    assert "sub.txt written" in parent_tool["content"]


def test_task_with_unknown_subagent_is_a_tool_error(workspace: Path) -> None:
    turns = [
        {
            "tool_calls": [
                {
                    "name": "Task",
                    "arguments": {"description": "x", "prompt": "y", "subagent_type": "ghost"},
                }
            ]
        },
        {"content": "ok"},
    ]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("delegate", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    tool = next(
        e["message"]
        for e in events(workspace, sid)
        if e["type"] == "message" and e["message"]["role"] == "tool"
    )
    assert tool["is_error"] and "ghost" in tool["content"]


def _small(workspace: Path) -> None:
    (workspace / ".bdev").mkdir(exist_ok=True)
    (workspace / ".bdev" / "config.toml").write_text('[models."scripted:test"]\nsmall = true\n')


def test_a_small_model_s_answer_before_any_tool_ran_is_sent_back_once(workspace: Path) -> None:
    _small(workspace)
    write = {"tool_calls": [{"name": "Write", "arguments": {"file_path": "a.txt", "content": "a"}}]}
    turns = [{"content": "Built the service."}, write, {"content": "Wrote a.txt."}]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("write a.txt", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED and result.final == "Wrote a.txt."
    assert (workspace / "a.txt").read_text() == "a" and result.steps == 3
    told = [e for e in events(workspace, sid) if e["type"] == "format_error"]
    assert told[0]["errors"] == ["a final answer before any tool ran (sent back once)"]
    # Only once: a model that insists is taken at its word.
    runner = make_runner(workspace, [{"content": "Nothing to do."}] * 2)
    _, result = runner.start("say hi", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED and result.steps == 2


def test_a_small_model_s_repeated_call_bars_its_tool_from_the_next_reply(
    workspace: Path,
) -> None:
    # Greenfield 01-06 at b9fa3d5: the same Write again and again until the run ended,
    # refused as a repeat, or run after a Read and "Unchanged".
    write = {"tool_calls": [{"name": "Write", "arguments": {"file_path": "a.txt", "content": "a"}}]}
    read = {"tool_calls": [{"name": "Read", "arguments": {"file_path": "a.txt"}}]}
    ls = {"tool_calls": [{"name": "LS", "arguments": {"path": "."}}]}
    turns = [write, write, read, write, ls, read, write, ls, {"content": "Wrote a.txt."}]
    seen: list[frozenset[str]] = []

    class Recording(ScriptedModel):
        barred: frozenset[str] = frozenset()

        def complete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(self.barred)
            return super().complete(*args, **kwargs)

    for small in (True, False):
        if small:
            _small(workspace)
        else:
            (workspace / ".bdev" / "config.toml").unlink()
        seen.clear()
        model = Recording.from_turns(turns)
        runner = make_runner(workspace, [])
        runner.model_factory = lambda spec, model=model: model
        sid, result = runner.start("write a.txt", agent_def(workspace))
        assert result.status is RunStatus.COMPLETED
        # Only after a call made before, and only on a small model; while it makes none
        # but those, the bars add up (the Read, the Write, the LS: each made before).
        none, w = frozenset(), frozenset({"Write"})
        expected = [
            none,
            none,
            w,
            none,
            w,
            none,
            {"Read"},
            {"Read", "Write"},
            {"LS", "Read", "Write"},
        ]
        assert seen == (expected if small else [none] * 9)
        barred = [e.get("barred") for e in events(workspace, sid) if e["type"] == "model_call"]
        assert barred == [sorted(b) or None for b in expected] if small else [None] * 9
        assert model.barred == frozenset()  # restored after the call


def test_a_small_model_s_wordless_final_answer_is_sent_back_once(workspace: Path) -> None:
    # The plain loop on a change task (2026-12-03): a Write, then "```\n```" as its answer.
    _small(workspace)
    write = {"tool_calls": [{"name": "Write", "arguments": {"file_path": "a.txt", "content": "a"}}]}
    turns = [write, {"content": "```\n```"}, {"content": "Wrote a.txt and read it back."}]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("write a.txt", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED and result.steps == 3
    assert result.final == "Wrote a.txt and read it back."
    told = [e for e in events(workspace, sid) if e["type"] == "format_error"]
    assert [(e["kind"], e["errors"]) for e in told] == [
        ("empty_final", ["a final answer with no words in it (sent back once)"])
    ]
    # Only once; and an answer with words, even one word, is taken.
    for answers, steps in [(["", "  "], 3), (["Done."], 2)]:
        runner = make_runner(workspace, [write, *({"content": a} for a in answers)])
        _, result = runner.start("write a.txt", agent_def(workspace))
        assert result.status is RunStatus.COMPLETED and result.steps == steps


def test_wordless_replies() -> None:
    from bdev.runtime.loop import _wordless

    for text in ["", " \n", "```\n```", "```python\n\n```", "~~~\n~~~"]:
        assert _wordless(text), text
    for text in ["Done.", "```\nok\n```", "`x`"]:
        assert not _wordless(text), text


def test_a_large_model_may_answer_without_tools(workspace: Path) -> None:
    runner = make_runner(workspace, [{"content": "Hi."}])
    _, result = runner.start("say hi", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED and result.steps == 1


def test_a_final_answer_without_the_file_the_task_names_is_sent_back_once(
    workspace: Path,
) -> None:
    look = {"tool_calls": [{"name": "LS", "arguments": {"path": "."}}]}
    write = {"tool_calls": [{"name": "Write", "arguments": {"file_path": "app.py", "content": ""}}]}
    turns = [look, {"content": "Created app.py and tested it."}, write, {"content": "Done."}]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("create app.py with a FastAPI GET /health", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED and result.final == "Done."
    assert (workspace / "app.py").exists() and result.steps == 4
    told = [e for e in events(workspace, sid) if e["type"] == "format_error"]
    assert told[0]["errors"] == ["a final answer while app.py does not exist"]
    runner = make_runner(workspace, [look, {"content": "No."}, {"content": "Still no."}])
    _, result = runner.start("write notes.md", agent_def(workspace))
    assert result.final == "Still no." and result.steps == 3  # asked once only


def test_files_a_task_asks_for_by_name() -> None:
    from bdev.runtime.promised import promised_files

    assert promised_files("create app.py with a FastAPI GET /health") == ["app.py"]
    assert promised_files("write `notes.md`, then add tests/test_app.py") == [
        "notes.md",
        "tests/test_app.py",
    ]
    assert promised_files("make a new file called utils.py.") == ["utils.py"]
    for task in ["fix the bug in app.py", "save it to /etc/passwd", "write ../x.py", "add v1.2"]:
        assert promised_files(task) == [], task


def test_a_small_model_s_later_calls_in_one_reply_are_not_run(workspace: Path) -> None:
    _small(workspace)
    write = {"name": "Write", "arguments": {"file_path": "a.txt", "content": "a"}}
    overwrite = {"name": "Write", "arguments": {"file_path": "a.txt", "content": "guess"}}
    read = {"name": "Read", "arguments": {"file_path": "a.txt"}}
    turns = [{"tool_calls": [write, overwrite, read]}, {"content": "Wrote a.txt."}]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("write a.txt", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED and result.final == "Wrote a.txt."
    assert (workspace / "a.txt").read_text() == "a"  # only the first call ran
    evs = events(workspace, sid)
    results = [e["message"]["content"] for e in evs if e["type"] == "message"]
    results = [r for r in results if r.startswith("Not run: one call per reply")]
    assert len(results) == 2 and "Only your first call (Write) ran" in results[0]


def test_a_large_model_s_calls_in_one_reply_all_run(workspace: Path) -> None:
    first = {"name": "Write", "arguments": {"file_path": "a.txt", "content": "a"}}
    second = {"name": "Write", "arguments": {"file_path": "b.txt", "content": "b"}}
    runner = make_runner(workspace, [{"tool_calls": [first, second]}, {"content": "Done."}])
    _, result = runner.start("write a.txt and b.txt", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    assert (workspace / "b.txt").read_text() == "b"


def test_a_small_model_s_answer_after_every_change_was_refused_is_sent_back_once(
    workspace: Path,
) -> None:
    _small(workspace)
    (workspace / "app.py").write_text("def f():\n    return 1\n")
    read = {"tool_calls": [{"name": "Read", "arguments": {"file_path": "app.py"}}]}
    miss = {"old_string": "return 2", "new_string": "return 3"}
    bad_edit = {"tool_calls": [{"name": "Edit", "arguments": {"file_path": "app.py", **miss}}]}
    fix = {"old_string": "return 1", "new_string": "return 3"}
    edit = {"tool_calls": [{"name": "Edit", "arguments": {"file_path": "app.py", **fix}}]}
    turns = [read, bad_edit, {"content": "The changes were made."}, edit, {"content": "Done."}]
    runner = make_runner(workspace, turns)
    sid, result = runner.start("make f return 3", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED and result.final == "Done."
    assert "return 3" in (workspace / "app.py").read_text()
    told = [e["errors"] for e in events(workspace, sid) if e["type"] == "format_error"]
    assert told == [["a final answer while none of its changes ran (sent back once)"]]
    # A run that only read (a question, a review) is not asked for changes.
    runner = make_runner(workspace, [read, {"content": "f returns 3."}])
    _, result = runner.start("what does f return?", agent_def(workspace))
    assert result.final == "f returns 3." and result.steps == 2
    # Once only: a model that insists is taken at its word.
    runner = make_runner(workspace, [bad_edit, {"content": "Done."}, {"content": "Done!"}])
    _, result = runner.start("make f return 4", agent_def(workspace))
    assert result.final == "Done!" and result.steps == 3


def test_the_same_tool_failing_turn_after_turn_warms_the_sampling(workspace: Path) -> None:
    from bdev.llm.scripted import ScriptedModel

    (workspace / "app.py").write_text("LIMIT = 10\n")

    def guess(n: int) -> dict:
        edit = {"file_path": "app.py", "old_string": str(n), "new_string": str(n + 100)}
        return {"tool_calls": [{"name": "Edit", "arguments": edit}]}

    read = {"tool_calls": [{"name": "Read", "arguments": {"file_path": "app.py"}}]}
    turns = [guess(900), guess(1000), guess(1100), read, guess(1200), {"content": "Gave up."}]
    temperatures: list[float] = []

    class Recording(ScriptedModel):
        temperature = 0.2

        def complete(self, messages, tools, *, on_text=None):  # type: ignore[override]
            temperatures.append(self.temperature)
            return super().complete(messages, tools, on_text=on_text)

    model = Recording.from_turns(turns)
    runner = make_runner(workspace, [])
    runner.model_factory = lambda spec: model
    sid, result = runner.start("raise the limit", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    # Each Edit fails with a different guess: no call repeats, yet from the second failed
    # Edit on, the next turn is sampled warmer; a Read that runs resets it.
    warm = [e.get("warmer", 0) for e in events(workspace, sid) if e["type"] == "model_call"]
    assert warm == [0, 0, 1, 2, 0, 0]
    assert temperatures[0] == temperatures[1] < temperatures[2] < temperatures[3]
    assert temperatures[4] == temperatures[0]


class _ReplyAtTheLimit:
    """A model that can stop a reply at the run's deadline (as the embedded one does)
    and whose first reply runs into it."""

    name = "slow"

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.deadlines_seen: list[float | None] = []

    def complete(self, messages, tools, *, on_text=None):
        from bdev.llm.base import TIME_UP, ModelResponse, Usage

        self.deadlines_seen.append(self.deadline)
        return ModelResponse(finish_reason=TIME_UP, usage=Usage(100, 40))


def test_a_reply_stopped_at_the_time_limit_ends_the_run_and_is_not_used(
    workspace: Path,
) -> None:
    import time

    model = _ReplyAtTheLimit()
    runner = make_runner(workspace, [], model=model, **{"limits.max_seconds": 600})
    before = time.monotonic()
    sid, result = runner.start("task", agent_def(workspace))
    # The model was told when the run's 600 s end, for that call only.
    (seen,) = model.deadlines_seen
    assert seen is not None and before + 599 < seen <= time.monotonic() + 600
    assert model.deadline is None
    assert result.status is RunStatus.TIME_LIMIT and result.steps == 1
    assert "time limit (600 s) in the middle of a reply" in result.detail
    assert result.usage.output_tokens == 40  # its tokens still count
    replies = [
        e
        for e in events(workspace, sid)
        if e["type"] == "message" and e["message"]["role"] == "assistant"
    ]
    assert replies == []  # the unfinished reply is not in the conversation


class _Noticing:
    """Replays scripted turns, the first with a provider's notice (the embedded model's
    note on a call it stopped and closed)."""

    name = "scripted:test"

    def __init__(self, turns: list[dict]) -> None:
        self.inner = ScriptedModel.from_turns(turns)
        self.seen: list[list] = []

    def complete(self, messages, tools, *, on_text=None):
        self.seen.append(list(messages))
        response = self.inner.complete(messages, tools, on_text=on_text)
        if len(self.seen) == 1:
            response.notice = "bdev stopped this Write where it began repeating itself"
        return response


def test_a_providers_notice_reaches_the_model_with_the_calls_result_not_as_its_words(
    workspace: Path,
) -> None:
    write = {"name": "Write", "arguments": {"file_path": "a.txt", "content": "a\n"}}
    read = {"name": "Read", "arguments": {"file_path": "a.txt"}}
    model = _Noticing([{"tool_calls": [write, read]}, {"content": "done"}])
    sid, result = make_runner(workspace, [], model=model).start("task", agent_def(workspace))
    assert result.status is RunStatus.COMPLETED
    said = model.seen[1]
    (assistant,) = [m for m in said if m.role == "assistant"]
    assert assistant.content == ""  # a small model copies its "own" words into a Write
    results = [m.content for m in said if m.role == "tool"]
    assert results[0].endswith("\nNote: bdev stopped this Write where it began repeating itself")
    assert "Note" not in results[1]  # once, with the first call's result
    (call,) = [e for e in events(workspace, sid) if e["type"] == "model_call"][:1]
    assert call["notice"].startswith("bdev stopped this Write")
