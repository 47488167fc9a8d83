"""Where the rendered prompt is visible: `bdev agents show` and the session transcript."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bdev.agents.registry import AgentRegistry
from bdev.cli.agents_cmd import app
from bdev.runtime.prompt import system_prompt
from support.runtime import agent_def, events, make_runner

cli = CliRunner()


def test_agents_show_prints_the_rendered_system_prompt(tmp_path: Path) -> None:
    result = cli.invoke(app, ["show", "security-reviewer", "--workspace", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "\n# Environment\n" in result.output
    assert (
        f"- Workspace (your working directory; file paths are relative to it): {tmp_path}"
        in result.output
    )
    assert "\n- Tools: Read, LS, Glob, Grep, Bash\n" in result.output  # as the runner orders them


def test_agents_show_prompt_is_exactly_what_the_model_receives(tmp_path: Path) -> None:
    result = cli.invoke(
        app, ["show", "security-reviewer", "--prompt", "--workspace", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    d = AgentRegistry(tmp_path).get("security-reviewer")
    prompt, _, tools = result.output.partition("\n\n--- tools (sent beside the messages")
    assert prompt == system_prompt(d, tmp_path.resolve(), ["Read", "LS", "Glob", "Grep", "Bash"])
    specs = json.loads(tools[tools.index("\n") + 1 :])
    assert [s["name"] for s in specs] == ["Read", "LS", "Glob", "Grep", "Bash"]
    assert all(s["description"] and s["parameters"]["type"] == "object" for s in specs)


def test_the_transcript_records_the_system_prompt_as_sent(workspace: Path) -> None:
    runner = make_runner(workspace, [{"content": "done"}])
    definition = agent_def(workspace, tools="Read, LS")
    sid, _ = runner.start("task", definition)
    first = next(e["message"] for e in events(workspace, sid) if e["type"] == "message")
    assert first["role"] == "system"
    assert first["content"] == system_prompt(definition, workspace, ["Read", "LS"])
    assert first["content"].startswith("You are a test agent.\n\n# Environment\n")
