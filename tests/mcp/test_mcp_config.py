"""Where MCP servers come from, and what a mistake in their configuration says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bdev import trust
from bdev.agents.definition import parse_definition
from bdev.config import user_config_path
from bdev.errors import BdevError
from bdev.mcp.config import load_flag
from bdev.runtime.dispatch import Notice, Overrides, RunRequest, WorkflowMode, start
from support.mcp_servers import config_file, stdio_config, write_adder
from support.runtime import events

pytestmark = pytest.mark.timeout(120)


def request(workspace: Path, tmp_path: Path, *mcp: str, **kw: object) -> RunRequest:
    script = tmp_path / "turns.json"
    script.write_text(json.dumps([{"content": "done"}]))
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "all.md").write_text("---\nname: all\ndescription: Every tool.\n---\nYou test.\n")
    return RunRequest(
        task="do it",
        workspace=workspace,
        agent="all",
        model=f"scripted:{script}",
        workflow=WorkflowMode.NONE,
        overrides=Overrides(permission_mode="bypassPermissions"),
        mcp_config=mcp,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("servers", "says"),
    [
        ({"x": {"args": ["a"]}}, "mcpServers.x.command: Field required"),
        (
            {"x": {"command": "python", "arg": []}},
            "mcpServers.x.arg: Extra inputs are not permitted",
        ),
        (
            {"x": {"command": "python", "args": "a b"}},
            "mcpServers.x.args: Input should be a valid list",
        ),
        ({"x": {"type": "sse", "url": "http://h/sse"}}, "mcpServers.x.type: 'sse' (bdev speaks"),
        (
            {"x": {"type": "http", "url": "ftp://h"}},
            "mcpServers.x.url: Value error, 'ftp://h' is not",
        ),
        ({"a__b": {"command": "python"}}, "mcpServers.a__b: server name 'a__b'"),
        ({"x": {"command": "${NOT_SET_ANYWHERE}"}}, "mcpServers.x: ${NOT_SET_ANYWHERE} is not set"),
    ],
)
def test_a_bad_config_is_one_error_naming_file_and_field(
    tmp_path: Path, servers: dict[str, object], says: str
) -> None:
    path = config_file(tmp_path / "servers.json", servers)
    with pytest.raises(BdevError) as caught:
        load_flag(str(path))
    assert str(caught.value).startswith(f"{path}: ")
    assert says in str(caught.value)


def test_not_json_and_wrong_shape_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"mcpServers": {')
    with pytest.raises(BdevError, match=r"broken\.json: not valid JSON .* line 1"):
        load_flag(str(broken))
    with pytest.raises(BdevError, match='--mcp-config: expected a JSON object with "mcpServers"'):
        load_flag('{"servers": {}}')
    with pytest.raises(BdevError, match=r"--mcp-config nowhere\.json: no such file"):
        load_flag("nowhere.json")


def test_environment_variables_are_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_TEST_TOKEN", "s3cret")
    text = json.dumps(
        {
            "mcpServers": {
                "r": {"type": "http", "url": "${MCP_TEST_URL:-http://127.0.0.1:9/mcp}",
                      "headers": {"Authorization": "Bearer ${MCP_TEST_TOKEN}"}},
            }
        }
    )  # fmt: skip
    server = load_flag(text)["r"].server
    assert server.model_dump() == {
        "type": "http",
        "url": "http://127.0.0.1:9/mcp",
        "headers": {"Authorization": "Bearer s3cret"},
    }


def test_bad_mcp_config_on_the_command_line_exits_with_the_message(
    workspace: Path, tmp_path: Path
) -> None:
    path = config_file(tmp_path / "bad.json", {"x": {"command": "python", "env": {"A": 1}}})
    run = subprocess.run(
        [sys.executable, "-m", "bdev", "run", "hi", "--mcp-config", str(path),
         "--model", "scripted:none.json", "--workspace", str(workspace)],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert run.returncode != 0
    assert f"{path}: mcpServers.x.env.A: Input should be a valid string" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_server_that_cannot_start_names_itself_and_its_file(
    workspace: Path, tmp_path: Path
) -> None:
    missing = config_file(tmp_path / "m.json", {"gone": {"command": "no-such-mcp-server-here"}})
    with pytest.raises(BdevError) as caught:
        start(request(workspace, tmp_path, str(missing)))
    assert f"MCP server 'gone' (from {missing})" in str(caught.value)
    assert "'no-such-mcp-server-here': no such program" in str(caught.value)

    script = workspace / "not_mcp.py"
    script.write_text("import sys; print('not a server', file=sys.stderr); sys.exit(2)\n")
    broken = config_file(tmp_path / "b.json", {"mute": stdio_config(script)})
    with pytest.raises(BdevError) as caught:
        start(request(workspace, tmp_path, str(broken)))
    message = str(caught.value)
    assert f"MCP server 'mute' (from {broken}) could not start" in message
    assert "not a server" in message  # the end of its stderr


def test_an_untrusted_projects_mcp_json_is_not_started(workspace: Path, tmp_path: Path) -> None:
    server = write_adder(workspace / "servers")
    mark = workspace / "started"
    project = config_file(
        workspace / ".mcp.json", {"proj": stdio_config(server, ADDER_MARK=str(mark))}
    )
    notices: list[Notice] = []
    outcome = start(request(workspace, tmp_path, progress=notices.append))
    assert not mark.exists()
    assert all(
        not t.startswith("mcp__") for t in events(workspace, outcome.session_id or "")[0]["tools"]
    )
    assert any(
        n.kind == "trust"
        and f"{project} is not trusted, so its MCP servers are not started" in n.text
        for n in notices
    )

    trust.trust(workspace, project, user_config_path().parent)
    outcome = start(request(workspace, tmp_path))
    assert mark.read_text() == "started"
    assert "mcp__proj__add" in events(workspace, outcome.session_id or "")[0]["tools"]

    project.write_text(project.read_text().replace("proj", "proj2"))  # changed: trust again
    mark.unlink()
    start(request(workspace, tmp_path))
    assert not mark.exists()


def test_trusting_the_project_config_does_not_trust_its_mcp_json(workspace: Path) -> None:
    config_dir = user_config_path().parent
    (workspace / ".bdev").mkdir()
    (workspace / ".bdev" / "config.toml").write_text("[limits]\nmax_steps = 5\n")
    (workspace / ".mcp.json").write_text('{"mcpServers": {}}')
    trust.trust(workspace, workspace / ".bdev" / "config.toml", config_dir)
    assert trust.state(workspace, workspace / ".mcp.json", config_dir) == "untrusted"


def test_definition_mcp_servers_are_read_and_checked() -> None:
    text = (
        "---\nname: a\ndescription: d\n"
        "mcpServers: [github, {local: {command: x, args: [y]}}]\n"
        "disallowedTools: mcp__github__delete_repo\n---\nbody\n"
    )
    d, problems = parse_definition(text)
    assert d is not None and not problems
    assert d.mcp_servers == ["github", ("local", {"command": "x", "args": ["y"]})]
    assert d.deny_rules == ["mcp__github__delete_repo"]
    bad, problems = parse_definition(text.replace("[github, ", "[3, "))
    assert bad is None
    assert [p.field for p in problems] == ["mcpServers"]
    assert "3: expected a configured server's name" in problems[0].message


def test_mcp_list_shows_servers_and_tools_but_starts_no_untrusted_one(
    workspace: Path, tmp_path: Path
) -> None:
    server = write_adder(workspace / "servers")
    mark = workspace / "started"
    config_file(workspace / ".mcp.json", {"proj": stdio_config(server, ADDER_MARK=str(mark))})
    flag = config_file(tmp_path / "flag.json", {"adder": stdio_config(server)})
    run = subprocess.run(
        [sys.executable, "-m", "bdev", "mcp", "list", "--workspace", str(workspace),
         "--mcp-config", str(flag)],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert (
        "proj  stdio  from " in run.stdout
        and "(not started: the project is not trusted)" in run.stdout
    )
    assert f"adder  stdio  from {flag}  (usable)" in lines
    assert "  mcp__adder__add" in lines and "  mcp__context7__get-library-docs" in lines
    assert not mark.exists()


def test_an_interactive_run_asks_once_to_trust_the_mcp_json(
    workspace: Path, tmp_path: Path
) -> None:
    server = write_adder(workspace / "servers")
    project = config_file(workspace / ".mcp.json", {"proj": stdio_config(server)})
    asked: list[tuple[Path, list[str]]] = []

    def yes(path: Path, keys: list[str]) -> bool:
        asked.append((path, keys))
        return True

    outcome = start(request(workspace, tmp_path, interactive=True, ask_trust=yes))
    assert asked == [(project, ["mcpServers"])]
    assert "mcp__proj__add" in events(workspace, outcome.session_id or "")[0]["tools"]
    assert trust.state(workspace, project, user_config_path().parent) == "trusted"
