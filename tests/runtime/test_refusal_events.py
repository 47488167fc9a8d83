"""Every refused call is in the transcript: a `permission` event with the reason and the
call's arguments, whether the policy, a protected path or the user refused it."""

from __future__ import annotations

from pathlib import Path

from support.runtime import events, make_runner


def test_each_refusal_is_recorded_with_its_reason_and_call(workspace: Path) -> None:
    calls = [
        {"name": "Write", "arguments": {"file_path": "app.py", "content": "x"}},
        {"name": "Bash", "arguments": {"command": "touch marker"}},
        {"name": "Write", "arguments": {"file_path": ".bdev/config.toml", "content": "x"}},
    ]
    runner = make_runner(workspace, [{"tool_calls": calls}, {"content": "done"}], "default")
    asked: list[str] = []
    runner.interactive = True
    runner.ask = lambda tool, args: asked.append(tool) is not None  # the user says no
    session_id, _ = runner.start("try", runner.registry.get("general-purpose"))
    refused = [e for e in events(workspace, session_id) if e["type"] == "permission"]
    assert [e["tool"] for e in refused] == ["Write", "Bash", "Write"]
    assert [e["arguments"] for e in refused] == [c["arguments"] for c in calls]
    assert refused[0]["reason"].startswith("the user refused it (Write needs approval")
    assert refused[1]["reason"].startswith("the user refused it (`touch marker` needs approval")
    assert "protected path" in refused[2]["reason"]  # refused without asking
    assert asked == ["Write", "Bash"]
    assert not (workspace / "app.py").exists() and not (workspace / "marker").exists()
