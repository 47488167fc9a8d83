"""Hooks in Claude Code's settings format, run for real (in the sandbox) around scripted
models: blocking, approving, adding context, continuing a stop, and the trust rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from bdev.cli.config_cmd import app as config_app
from bdev.runtime.dispatch import Outcome, Overrides, RunRequest, WorkflowMode, start
from support.runtime import events


def scripted(tmp_path: Path, turns: list[dict[str, Any]]) -> str:
    path = tmp_path / "turns.json"
    path.write_text(json.dumps(turns))
    return f"scripted:{path}"


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def settings(path: Path, event: str, command: str, matcher: str | None = None) -> None:
    group: dict[str, Any] = {"hooks": [{"type": "command", "command": command, "timeout": 30}]}
    if matcher is not None:
        group["matcher"] = matcher
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {"hooks": {}}
    data["hooks"].setdefault(event, []).append(group)
    path.write_text(json.dumps(data))


def user_settings() -> Path:
    return Path.home() / ".claude" / "settings.json"


def run(
    workspace: Path, model: str, mode: str = "bypassPermissions", agent: str = "general-purpose"
) -> tuple[Outcome, list[dict[str, Any]]]:
    outcome = start(
        RunRequest(
            task="do it",
            workspace=workspace,
            agent=agent,
            model=model,
            workflow=WorkflowMode.NONE,
            overrides=Overrides(permission_mode=mode),
        )
    )
    return outcome, events(workspace, outcome.session_id or "")


def of(evs: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [e for e in evs if e["type"] == type_]


def messages(evs: list[dict[str, Any]], role: str) -> list[dict[str, Any]]:
    return [e["message"] for e in of(evs, "message") if e["message"]["role"] == role]


def test_pre_tool_use_exit_2_blocks_the_call_and_tells_the_model(
    workspace: Path, tmp_path: Path
) -> None:
    settings(user_settings(), "PreToolUse", "echo 'no shell today' >&2; exit 2", "Bash|Write")
    turns = [call("Bash", command="touch ran.txt"), {"content": "done"}]
    _, evs = run(workspace, scripted(tmp_path, turns))
    assert not (workspace / "ran.txt").exists()
    result = messages(evs, "tool")[0]
    assert result["is_error"] and "no shell today" in result["content"]
    hook = of(evs, "hook")[0]
    assert (hook["event"], hook["exit_code"], hook["decision"]) == ("PreToolUse", 2, "block")


def test_matcher_leaves_other_tools_alone(workspace: Path, tmp_path: Path) -> None:
    settings(user_settings(), "PreToolUse", "exit 2", "Write")
    turns = [call("Bash", command="touch ran.txt"), {"content": "done"}]
    _, evs = run(workspace, scripted(tmp_path, turns))
    assert (workspace / "ran.txt").exists()
    assert of(evs, "hook") == []


def test_pre_tool_use_json_allow_answers_the_question_but_not_a_deny(
    workspace: Path, tmp_path: Path
) -> None:
    allow = {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow"}}
    settings(user_settings(), "PreToolUse", f"echo '{json.dumps(allow)}'", "Bash")
    # Headless default mode would refuse both (nobody to ask); the hook answers for the
    # first. The second writes a protected path: no hook may allow that.
    turns = [
        call("Bash", command="touch approved.txt"),
        call("Bash", command="touch .bdev/config.toml"),
        {"content": "done"},
    ]
    (workspace / ".bdev").mkdir()
    _, evs = run(workspace, scripted(tmp_path, turns), mode="default")
    assert (workspace / "approved.txt").exists()
    assert not (workspace / ".bdev" / "config.toml").exists()
    results = messages(evs, "tool")
    assert not results[0].get("is_error")
    assert results[1]["is_error"] and "Permission denied" in results[1]["content"]
    assert [h["decision"] for h in of(evs, "hook")] == ["allow", "allow"]


def test_without_the_hook_default_mode_refuses(workspace: Path, tmp_path: Path) -> None:
    turns = [call("Bash", command="touch approved.txt"), {"content": "done"}]
    run(workspace, scripted(tmp_path, turns), mode="default")
    assert not (workspace / "approved.txt").exists()


def test_user_prompt_submit_stdout_is_context_for_the_model(
    workspace: Path, tmp_path: Path
) -> None:
    settings(user_settings(), "UserPromptSubmit", "echo 'house rule: use tabs'")
    _, evs = run(workspace, scripted(tmp_path, [{"content": "done"}]))
    first = messages(evs, "user")[0]["content"]
    assert first.startswith("do it") and "house rule: use tabs" in first


def test_user_prompt_submit_exit_2_refuses_the_prompt(workspace: Path, tmp_path: Path) -> None:
    settings(user_settings(), "UserPromptSubmit", "echo 'not that task' >&2; exit 2")
    outcome, evs = run(workspace, scripted(tmp_path, [{"content": "done"}]))
    assert of(evs, "model_call") == []
    assert "not that task" in of(evs, "end")[0]["detail"]
    assert outcome.run is not None and "not that task" in outcome.run.detail


def test_post_tool_use_adds_context_to_the_result(workspace: Path, tmp_path: Path) -> None:
    out = {"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "lint ok"}}
    # The hook sees the tool's input and response on stdin.
    command = (
        'in=$(cat); echo "$in" | grep -q echoed && echo "$in" | grep -q \'"tool_name": "Bash"\''
        f" && echo '{json.dumps(out)}'"
    )
    settings(user_settings(), "PostToolUse", command, "Bash")
    turns = [call("Bash", command="echo echoed"), {"content": "done"}]
    _, evs = run(workspace, scripted(tmp_path, turns))
    result = messages(evs, "tool")[0]["content"]
    assert "echoed" in result and "lint ok" in result


def test_stop_hook_makes_the_agent_continue_once(workspace: Path, tmp_path: Path) -> None:
    command = (
        "if [ -f .stopped ]; then exit 0; fi; touch .stopped; echo 'tests are missing' >&2; exit 2"
    )
    settings(user_settings(), "Stop", command)
    outcome, evs = run(workspace, scripted(tmp_path, [{"content": "done"}, {"content": "now"}]))
    assert outcome.run is not None and outcome.run.final == "now"
    assert any("tests are missing" in m["content"] for m in messages(evs, "user")[1:])
    assert [h["decision"] for h in of(evs, "hook")] == ["block", "ok"]


def test_session_start_and_end_are_recorded(workspace: Path, tmp_path: Path) -> None:
    settings(user_settings(), "SessionStart", "echo 'branch: main'")
    settings(user_settings(), "SessionEnd", "cat > ended.json")
    _, evs = run(workspace, scripted(tmp_path, [{"content": "done"}]))
    assert [h["event"] for h in of(evs, "hook")] == ["SessionStart", "SessionEnd"]
    assert "branch: main" in messages(evs, "user")[0]["content"]
    ended = json.loads((workspace / "ended.json").read_text())
    assert ended["hook_event_name"] == "SessionEnd" and ended["session_id"]


def test_untrusted_project_hooks_do_not_run_until_trusted(workspace: Path, tmp_path: Path) -> None:
    settings(workspace / ".claude" / "settings.json", "SessionStart", "touch hooked.txt")
    _, evs = run(workspace, scripted(tmp_path, [{"content": "done"}]))
    assert not (workspace / "hooked.txt").exists()
    warned = [w for w in of(evs, "warning") if w["field"] == "hooks"]
    assert len(warned) == 1 and "not trusted" in warned[0]["message"]

    trusted = CliRunner().invoke(config_app, ["trust", str(workspace)])
    assert trusted.exit_code == 0, trusted.output
    _, evs = run(workspace, scripted(tmp_path, [{"content": "done"}]))
    assert (workspace / "hooked.txt").exists()
    assert not [w for w in of(evs, "warning") if w["field"] == "hooks"]


DEFINITION = """---
name: guarded
description: An agent with its own hooks.
hooks:
  PreToolUse:
    - matcher: Bash
      hooks:
        - type: command
          command: "echo 'guarded says no' >&2; exit 2"
---
You are a test agent.
"""


def test_definition_hooks_run_for_that_agent(workspace: Path, tmp_path: Path) -> None:
    folder = Path.home() / ".claude" / "agents"  # the user's own: trusted
    folder.mkdir(parents=True)
    (folder / "guarded.md").write_text(DEFINITION)
    turns = [call("Bash", command="touch ran.txt"), {"content": "done"}]
    _, evs = run(workspace, scripted(tmp_path, turns), agent="guarded")
    assert not (workspace / "ran.txt").exists()
    assert "guarded says no" in messages(evs, "tool")[0]["content"]
    assert not [w for w in of(evs, "warning") if w["field"] == "hooks"]


def test_project_definition_hooks_need_trust(workspace: Path, tmp_path: Path) -> None:
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "guarded.md").write_text(DEFINITION)
    turns = [call("Bash", command="touch ran.txt"), {"content": "done"}]
    _, evs = run(workspace, scripted(tmp_path, turns), agent="guarded")
    assert (workspace / "ran.txt").exists()  # the repository's hook did not run
    assert [w for w in of(evs, "warning") if w["field"] == "hooks"]


def test_bad_settings_name_the_file_and_key(workspace: Path, tmp_path: Path) -> None:
    path = user_settings()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{}]}]}}))
    try:
        run(workspace, scripted(tmp_path, [{"content": "done"}]))
    except Exception as e:
        assert str(path) in str(e) and "hooks.PreToolUse[0].hooks[0].command" in str(e)
    else:
        raise AssertionError("bad settings were accepted")
