"""MCP tools through the agent loop: real stdio servers (bdev's docs server and a
minimal FastMCP server written by the test), a scripted model, `bdev.runtime.dispatch`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bdev.runtime.dispatch import Outcome, Overrides, RunRequest, WorkflowMode, start
from bdev.runtime.limits import RunStatus
from bdev.sandbox import PRIVATE_HOME
from support.mcp_servers import config_file, stdio_config, write_adder
from support.runtime import events

pytestmark = pytest.mark.timeout(120)


def agent(folder: Path, name: str, *fields: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    front = [f"name: {name}", f"description: Test agent {name}.", *fields]
    (folder / f"{name}.md").write_text("---\n" + "\n".join(front) + "\n---\nYou test.\n")
    return name


def call(tool: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"name": tool, "arguments": arguments}]}


def run(
    workspace: Path,
    tmp_path: Path,
    name: str,
    turns: list[dict[str, Any]],
    *,
    mode: str = "bypassPermissions",
    mcp: tuple[str, ...] = (),
    allow: tuple[str, ...] = (),
    deny: tuple[str, ...] = (),
    agents_dir: Path | None = None,
    sandbox: bool | None = None,
) -> tuple[Outcome, list[dict[str, Any]]]:
    script = tmp_path / "turns.json"
    script.write_text(json.dumps(turns))
    outcome = start(
        RunRequest(
            task="do it",
            workspace=workspace,
            agent=name,
            agents_dir=agents_dir,
            model=f"scripted:{script}",
            workflow=WorkflowMode.NONE,
            overrides=Overrides(permission_mode=mode, allow=allow, deny=deny, sandbox=sandbox),
            mcp_config=mcp,
        )
    )
    return outcome, events(workspace, outcome.session_id or "")


def results(evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["message"] for e in evs if e["type"] == "message" and e["message"]["role"] == "tool"]


@pytest.fixture
def adder(workspace: Path, tmp_path: Path) -> str:
    """An --mcp-config file naming the test's adder server `adder`."""
    server = write_adder(workspace / "servers")
    return str(config_file(tmp_path / "mcp.json", {"adder": stdio_config(server)}))


def test_docs_server_lists_and_answers_through_the_loop(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace / ".claude" / "agents", "doc-reader", "tools: Read, mcp__context7")
    turns = [
        call("mcp__context7__resolve-library-id", libraryName="jinja2"),
        call(
            "mcp__context7__get-library-docs",
            context7CompatibleLibraryID="/pypi/jinja2",
            topic="sandboxed environment",
            tokens=800,
        ),
        {"content": "done"},
    ]
    outcome, evs = run(workspace, tmp_path, name, turns, mode="default")
    assert outcome.run is not None and outcome.run.status is RunStatus.COMPLETED
    assert evs[0]["tools"] == [
        "Read",
        "mcp__context7__resolve-library-id",
        "mcp__context7__get-library-docs",
    ]
    found, docs = results(evs)
    assert not found.get("is_error", False) and "Library ID: /pypi/jinja2" in found["content"]
    # Read-only (bdev's own server): allowed in default mode with no rule. The text is
    # jinja2's own docstring of its sandbox, read from the installed source.
    assert not docs.get("is_error", False)
    assert "class jinja2.sandbox.SandboxedEnvironment" in docs["content"]
    assert len(docs["content"]) <= 800 * 4 + 200


def test_a_minimal_server_is_called_and_the_allowlist_refuses_the_rest(
    workspace: Path, tmp_path: Path, adder: str
) -> None:
    name = agent(workspace / ".claude" / "agents", "adding", "tools: Read, mcp__adder__add")
    turns = [
        call("mcp__adder__add", a=2, b=3),
        call("mcp__adder__record", note="should never be written"),
        {"content": "done"},
    ]
    outcome, evs = run(workspace, tmp_path, name, turns, mcp=(adder,))
    assert evs[0]["tools"] == ["Read", "mcp__adder__add"]
    added, refused = results(evs)
    assert (added["content"], added.get("is_error", False)) == ("5", False)
    assert (
        refused.get("is_error", False) and "Unknown tool 'mcp__adder__record'" in refused["content"]
    )
    assert not (workspace / "notes.txt").exists()  # the server never ran it
    assert outcome.exit_code == 0


def test_permission_rules_and_modes_apply_to_mcp_tools(
    workspace: Path, tmp_path: Path, adder: str
) -> None:
    name = agent(workspace / ".claude" / "agents", "noter", "tools: mcp__adder")
    turns = [call("mcp__adder__record", note="one"), {"content": "done"}]
    _, evs = run(workspace, tmp_path, name, turns, mode="default", mcp=(adder,))
    (asked,) = results(evs)
    assert asked.get("is_error", False) and "needs approval in default mode" in asked["content"]
    assert not (workspace / "notes.txt").exists()

    _, evs = run(
        workspace, tmp_path, name, turns, mode="default", mcp=(adder,), allow=("mcp__adder",)
    )
    assert results(evs)[0]["content"] == "recorded"
    assert (workspace / "notes.txt").read_text() == "one\n"

    deny = ("mcp__adder__record",)
    _, evs = run(workspace, tmp_path, name, turns, mcp=(adder,), deny=deny)
    (denied,) = results(evs)
    assert "denied by the rule mcp__adder__record" in denied["content"]
    assert (workspace / "notes.txt").read_text() == "one\n"

    plan = run(workspace, tmp_path, name, turns, mode="plan", mcp=(adder,))[1]
    assert "plan mode" in results(plan)[0]["content"]


def test_no_tools_field_gets_every_configured_server_but_not_the_builtin(
    workspace: Path, tmp_path: Path, adder: str
) -> None:
    name = agent(workspace / ".claude" / "agents", "everything")
    _, evs = run(workspace, tmp_path, name, [{"content": "done"}], mcp=(adder,))
    mcp_tools = [t for t in evs[0]["tools"] if t.startswith("mcp__")]
    assert mcp_tools == [
        "mcp__adder__add",
        "mcp__adder__record",
        "mcp__adder__getenv",
        "mcp__adder__wait",
        "mcp__adder__crash",
    ]


def test_disallowed_tools_take_mcp_tools_away(workspace: Path, tmp_path: Path, adder: str) -> None:
    name = agent(workspace / ".claude" / "agents", "careful", "disallowedTools: mcp__adder__crash")
    _, evs = run(
        workspace, tmp_path, name, [call("mcp__adder__crash"), {"content": "ok"}], mcp=(adder,)
    )
    assert "mcp__adder__crash" not in evs[0]["tools"]
    assert "mcp__adder__add" in evs[0]["tools"]
    assert results(evs)[0].get("is_error", False)


def test_a_server_that_dies_mid_run_is_a_tool_error(
    workspace: Path, tmp_path: Path, adder: str
) -> None:
    name = agent(workspace / ".claude" / "agents", "crasher", "tools: mcp__adder")
    turns = [
        call("mcp__adder__add", a=1, b=1),
        call("mcp__adder__crash"),
        call("mcp__adder__add", a=2, b=2),
        {"content": "carried on"},
    ]
    outcome, evs = run(workspace, tmp_path, name, turns, mcp=(adder,))
    ok, died, after = results(evs)
    assert ok["content"] == "2"
    for failed in (died, after):
        assert failed.get("is_error", False)
        assert f"MCP server 'adder' (from {adder}) is not running" in failed["content"]
    assert outcome.run is not None and outcome.run.status is RunStatus.COMPLETED
    assert outcome.run.final == "carried on"


def test_a_definitions_own_inline_server_and_a_named_one(workspace: Path, tmp_path: Path) -> None:
    server = write_adder(workspace / "servers")
    inline = json.dumps([{"mine": stdio_config(server)}, "context7"])
    name = agent(tmp_path / "agents", "self-served", "tools: Read", f"mcpServers: {inline}")
    turns = [call("mcp__mine__add", a=20, b=22), {"content": "done"}]
    _, evs = run(workspace, tmp_path, name, turns, agents_dir=tmp_path / "agents")
    tools = evs[0]["tools"]
    assert "mcp__mine__add" in tools and "mcp__context7__get-library-docs" in tools
    assert results(evs)[0]["content"] == "42"


def test_an_untrusted_projects_definition_does_not_start_its_inline_server(
    workspace: Path, tmp_path: Path
) -> None:
    server = write_adder(workspace / "servers")
    mark = workspace / "started"
    inline = json.dumps({"mine": stdio_config(server, ADDER_MARK=str(mark))})
    name = agent(
        workspace / ".claude" / "agents", "shipped", "tools: Read", f"mcpServers: {inline}"
    )
    _, evs = run(workspace, tmp_path, name, [{"content": "done"}])
    assert evs[0]["tools"] == ["Read"]
    assert not mark.exists()
    notes = [e["message"] for e in evs if e["type"] == "warning" and e["field"] == "mcpServers"]
    assert any("mine: not started" in n and "trusted project" in n for n in notes)


def test_stdio_servers_run_in_the_sandbox_unless_it_is_off(
    workspace: Path, tmp_path: Path, adder: str
) -> None:
    name = agent(workspace / ".claude" / "agents", "env-reader", "tools: mcp__adder__getenv")
    turns = [call("mcp__adder__getenv", name="HOME"), {"content": "done"}]
    _, evs = run(workspace, tmp_path, name, turns, mcp=(adder,))
    assert results(evs)[0]["content"] == PRIVATE_HOME  # bubblewrap's private home
    _, evs = run(workspace, tmp_path, name, turns, mcp=(adder,), sandbox=False)
    assert results(evs)[0]["content"] == str(tmp_path / "home")  # the test's own HOME


def test_a_call_past_its_timeout_is_a_tool_error_and_the_server_lives_on(
    workspace: Path, tmp_path: Path, adder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCP_TOOL_TIMEOUT", "500")  # milliseconds, as in Claude Code
    name = agent(workspace / ".claude" / "agents", "patient", "tools: mcp__adder")
    turns = [
        call("mcp__adder__wait", seconds=5),
        call("mcp__adder__add", a=1, b=2),
        {"content": "ok"},
    ]
    _, evs = run(workspace, tmp_path, name, turns, mcp=(adder,))
    slow, fast = results(evs)
    assert slow.get("is_error", False)
    # The message names the tool as its server knows it (`wait`), and the limit.
    assert "wait gave no answer within 0.5 s (MCP_TOOL_TIMEOUT" in slow["content"]
    assert fast["content"] == "3"
