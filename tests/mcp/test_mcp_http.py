"""A server over streamable HTTP (FastMCP on a free loopback port), through the loop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bdev.runtime.dispatch import Overrides, RunRequest, WorkflowMode, start
from support.mcp_servers import config_file, http_adder, write_adder
from support.runtime import events

pytestmark = pytest.mark.timeout(120)


def test_a_streamable_http_server_is_listed_and_called(workspace: Path, tmp_path: Path) -> None:
    server = write_adder(tmp_path / "servers")
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "remote.md").write_text(
        "---\nname: remote\ndescription: Remote adder.\ntools: mcp__web__add\n---\nAdd.\n"
    )
    script = tmp_path / "turns.json"
    turns = [{"tool_calls": [{"name": "mcp__web__add", "arguments": {"a": 40, "b": 2}}]}]
    script.write_text(json.dumps([*turns, {"content": "done"}]))
    with http_adder(server) as url:
        config = config_file(tmp_path / "mcp.json", {"web": {"type": "http", "url": url}})
        outcome = start(
            RunRequest(
                task="add",
                workspace=workspace,
                agent="remote",
                model=f"scripted:{script}",
                workflow=WorkflowMode.NONE,
                overrides=Overrides(permission_mode="default", allow=("mcp__web__add",)),
                mcp_config=(str(config),),
            )
        )
    evs = events(workspace, outcome.session_id or "")
    assert evs[0]["tools"] == ["mcp__web__add"]
    (result,) = [
        e["message"] for e in evs if e["type"] == "message" and e["message"]["role"] == "tool"
    ]
    assert result["content"] == "42" and not result.get("is_error", False)
