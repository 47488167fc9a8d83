"""Every front-matter field, checked for what it does in a run (scripted models), not
only for how it parses. The field table in docs/agent-format.md points here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bdev.agents.registry import AgentRegistry
from bdev.config import load_config
from bdev.errors import BdevError
from bdev.llm.base import Model
from bdev.llm.scripted import ScriptedModel
from bdev.runtime.dispatch import Outcome, Overrides, RunRequest, WorkflowMode, start
from bdev.runtime.limits import RunStatus
from bdev.runtime.runner import Runner
from bdev.runtime.scoped_policy import ScopedPolicy
from bdev.tools.bash import BashTool
from support.runtime import events


def scripted(tmp_path: Path, turns: list[dict[str, Any]], name: str = "turns") -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(turns))
    return f"scripted:{path}"


def agent(workspace: Path, name: str, *fields: str, body: str = "You are a test agent.") -> str:
    """Write a definition into the project's .claude/agents/ and return its name."""
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True, exist_ok=True)
    front = [f"name: {name}", f"description: Test agent {name}.", *fields]
    (folder / f"{name}.md").write_text("---\n" + "\n".join(front) + "\n---\n" + body + "\n")
    return name


def run(
    workspace: Path,
    name: str,
    model: str | None,
    mode: str = "bypassPermissions",
    **kw: Any,
) -> tuple[Outcome, list[dict[str, Any]]]:
    outcome = start(
        RunRequest(
            task="do it",
            workspace=workspace,
            agent=name,
            model=model,
            workflow=WorkflowMode.NONE,
            overrides=Overrides(permission_mode=mode),
            **kw,
        )
    )
    return outcome, events(workspace, outcome.session_id or "")


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def task(subagent: str, prompt: str = "go") -> dict[str, Any]:
    return call("Task", description="job", prompt=prompt, subagent_type=subagent)


def warnings(evs: list[dict[str, Any]], field: str | None = None) -> list[dict[str, Any]]:
    return [e for e in evs if e["type"] == "warning" and field in (None, e["field"])]


def tool_results(evs: list[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    return [
        e["message"]
        for e in evs
        if e["type"] == "message" and e["message"]["role"] == "tool" and e.get("depth", 0) == depth
    ]


# -- tools, disallowedTools ----------------------------------------------------------


def test_disallowed_write_is_not_offered_and_a_call_is_refused(
    workspace: Path, tmp_path: Path
) -> None:
    name = agent(workspace, "no-writer", "tools: Read, Write, Bash", "disallowedTools: Write")
    turns = [call("Write", file_path="x.txt", content="x"), {"content": "done"}]
    outcome, evs = run(workspace, name, scripted(tmp_path, turns))
    assert outcome.run is not None and outcome.run.status is RunStatus.COMPLETED
    assert not (workspace / "x.txt").exists()
    assert evs[0]["tools"] == ["Read", "Bash"]
    [denied] = [e for e in evs if e["type"] == "permission"]
    assert denied["tool"] == "Write" and "disallowedTools" in denied["reason"]
    [result] = tool_results(evs)
    assert result["is_error"] and "Permission denied" in result["content"]


def test_disallowed_tool_rules_are_deny_rules_for_that_agent(
    workspace: Path, tmp_path: Path
) -> None:
    (workspace / "keep.txt").write_text("keep")
    name = agent(workspace, "careful", "tools: Bash", "disallowedTools: Bash(rm:*)")
    turns = [call("Bash", command="rm keep.txt"), {"content": "done"}]
    _, evs = run(workspace, name, scripted(tmp_path, turns))
    assert (workspace / "keep.txt").exists()
    [denied] = [e for e in evs if e["type"] == "permission"]
    assert "Bash(rm:*)" in denied["reason"]


def test_empty_tools_list_offers_no_tools(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace, "talker", "tools: []")
    turns = [call("Read", file_path="a.txt"), {"content": "I cannot read"}]
    _, evs = run(workspace, name, scripted(tmp_path, turns))
    assert evs[0]["tools"] == []
    [result] = tool_results(evs)
    assert result["is_error"] and "Unknown tool" in result["content"]


def test_bash_rules_in_tools_limit_bash_to_them(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace, "gitter", "tools: Read, Bash(git status), Bash(git log:*)")
    turns = [call("Bash", command="echo hi > made.txt"), {"content": "done"}]
    _, evs = run(workspace, name, scripted(tmp_path, turns))
    assert not (workspace / "made.txt").exists()
    [denied] = [e for e in evs if e["type"] == "permission"]
    assert "limited to Bash(git status), Bash(git log:*)" in denied["reason"]


def test_bash_rules_are_allow_rules_scoped_to_the_agent(workspace: Path) -> None:
    # In default mode a matching command needs no approval; others are refused, and
    # deny rules and the safety rules still apply.
    policy = ScopedPolicy(
        mode="default",
        allow=["Bash(git log:*)"],
        deny=["Bash(git log --all:*)"],
        workspace=workspace,
        limited={"Bash": ["Bash(git log:*)"]},
    )
    bash = BashTool()
    assert policy.check(bash, {"command": "git log -1"}).action == "allow"
    assert policy.check(bash, {"command": "git log --all"}).action == "deny"
    assert policy.check(bash, {"command": "git push"}).action == "deny"
    assert policy.check(bash, {"command": "git log -1 && curl x"}).action == "deny"


def test_unconfigured_mcp_and_claude_only_tools_warn_once_and_are_not_offered(
    workspace: Path, tmp_path: Path
) -> None:
    name = agent(
        workspace, "mcp-user", "tools: Read, mcp__github__create_issue, mcp__db__*, KillShell"
    )
    _, evs = run(workspace, name, scripted(tmp_path, [{"content": "done"}]))
    assert evs[0]["tools"] == ["Read"]
    messages = [w["message"] for w in warnings(evs, "tools")]
    for pattern, server in (("mcp__github__create_issue", "github"), ("mcp__db__*", "db")):
        assert any(m.startswith(f"{pattern}: no MCP server '{server}'") for m in messages)
    assert any("KillShell" in m for m in messages)


# -- Task(type) limits ---------------------------------------------------------------


def test_task_limited_agent_cannot_spawn_other_types(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace, "lead", "tools: Read, Task(database-specialist)")
    turns = [
        task("general-purpose"),
        task("Database-Specialist"),  # names are case-insensitive
        {"content": "schema looks fine"},  # the sub-agent's answer
        {"content": "done"},
    ]
    outcome, evs = run(workspace, name, scripted(tmp_path, turns))
    assert outcome.run is not None and outcome.run.final == "done"
    refused, allowed = tool_results(evs)
    assert refused["is_error"]
    assert "may start only these sub-agents: database-specialist" in refused["content"]
    assert "general-purpose" in refused["content"]
    assert not allowed.get("is_error") and "schema looks fine" in allowed["content"]
    assert [e["agent"] for e in evs if e["type"] == "subagent_start"] == ["database-specialist"]


def test_agent_alias_and_disallowed_subagent(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace, "boss", "tools: Agent", "disallowedTools: Task(general-purpose)")
    turns = [task("general-purpose"), {"content": "done"}]
    _, evs = run(workspace, name, scripted(tmp_path, turns))
    assert evs[0]["tools"] == ["Task"]
    [refused] = tool_results(evs)
    assert refused["is_error"] and "disallowedTools" in refused["content"]


# -- permissionMode ------------------------------------------------------------------


def test_subagent_bypass_under_a_default_parent_is_clamped(workspace: Path, tmp_path: Path) -> None:
    agent(workspace, "wild", "tools: Write", "permissionMode: bypassPermissions")
    name = agent(workspace, "parent", "tools: Task, Write")
    turns = [
        task("wild"),
        call("Write", file_path="x.txt", content="x"),  # the sub-agent's
        {"content": "could not write"},
        {"content": "done"},
    ]
    _, evs = run(workspace, name, scripted(tmp_path, turns), mode="default")
    assert not (workspace / "x.txt").exists()
    [sub] = [e for e in evs if e["type"] == "subagent_start"]
    assert sub["permission_mode"] == "default"
    [clamped] = warnings(evs, "permissionMode")
    assert clamped["agent"] == "wild" and "clamped to 'default'" in clamped["message"]
    assert any(e["type"] == "permission" and e.get("depth") == 1 for e in evs)


def test_top_level_definition_cannot_widen_the_users_mode(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace, "greedy", "tools: Write", "permissionMode: bypassPermissions")
    turns = [call("Write", file_path="x.txt", content="x"), {"content": "done"}]
    _, evs = run(workspace, name, scripted(tmp_path, turns), mode="acceptEdits")
    assert evs[0]["agent_permission_mode"] == "acceptEdits"
    assert (workspace / "x.txt").exists()  # acceptEdits allows edits, nothing more
    assert "wider than the caller's 'acceptEdits'" in warnings(evs, "permissionMode")[0]["message"]


def test_plan_mode_definition_cannot_write(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace, "planner", "tools: Read, Write", "permissionMode: plan")
    turns = [call("Write", file_path="x.txt", content="x"), {"content": "plan"}]
    _, evs = run(workspace, name, scripted(tmp_path, turns))
    assert not (workspace / "x.txt").exists()
    [denied] = [e for e in evs if e["type"] == "permission"]
    assert "plan mode" in denied["reason"]
    assert not warnings(evs, "permissionMode")  # narrower than bypass: honoured silently


def test_dont_ask_refuses_what_would_be_asked(workspace: Path, tmp_path: Path) -> None:
    asked: list[str] = []

    def ask(tool: str, args: dict[str, Any]) -> bool:
        asked.append(tool)
        return True

    name = agent(workspace, "quiet", "tools: Write", "permissionMode: dontAsk")
    turns = [call("Write", file_path="x.txt", content="x"), {"content": "done"}]
    _, evs = run(
        workspace,
        name,
        scripted(tmp_path, turns),
        mode="default",
        interactive=True,
        ask=ask,
    )
    assert asked == [] and not (workspace / "x.txt").exists()
    assert evs[0]["agent_permission_mode"] == "dontAsk"


def test_auto_runs_as_default_with_a_note(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace, "auto", "tools: Write", "permissionMode: auto")
    turns = [call("Write", file_path="x.txt", content="x"), {"content": "done"}]
    _, evs = run(workspace, name, scripted(tmp_path, turns))
    assert evs[0]["agent_permission_mode"] == "default"
    assert not (workspace / "x.txt").exists()  # default, not interactive: refused
    assert "'auto' has no classifier" in warnings(evs, "permissionMode")[0]["message"]


# -- maxTurns, initialPrompt, color, refused fields ----------------------------------


def test_max_turns_stops_after_that_many_steps(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace, "brief", "tools: Glob", "maxTurns: 2")
    turns = [call("Glob", pattern=f"*.{n}") for n in range(5)] + [{"content": "done"}]
    outcome, evs = run(workspace, name, scripted(tmp_path, turns))
    assert outcome.run is not None and outcome.run.status is RunStatus.MAX_STEPS
    assert outcome.run.steps == 2
    assert sum(e["type"] == "model_call" for e in evs) == 2
    assert evs[0]["max_steps"] == 2


def test_initial_prompt_is_prepended_to_the_first_user_turn(
    workspace: Path, tmp_path: Path
) -> None:
    name = agent(workspace, "primed", "initialPrompt: Read the README first.")
    _, evs = run(workspace, name, scripted(tmp_path, [{"content": "ok"}]))
    [user] = [e for e in evs if e["type"] == "message" and e["message"]["role"] == "user"]
    assert user["message"]["content"] == "Read the README first.\n\ndo it"


def test_refused_fields_warn_once_per_run_naming_the_field(workspace: Path, tmp_path: Path) -> None:
    agent(
        workspace,
        "fancy",
        "tools: Read",
        "color: green",
        "skills: [pdf]",
        "mcpServers: [github]",
        "hooks: {PreToolUse: []}",
        "memory: project",
        "background: true",
        "isolation: worktree",
        "effort: high",
        "initialPrompt: hello",
    )
    name = agent(workspace, "caller", "tools: Task, Read")
    turns = [
        task("fancy"),
        {"content": "a"},
        task("fancy", "again"),
        {"content": "b"},
        {"content": "done"},
    ]
    _, evs = run(workspace, name, scripted(tmp_path, turns))
    fields = [w["field"] for w in warnings(evs) if w["agent"] == "fancy"]
    expected = ["skills", "mcpServers", "hooks", "memory", "background", "isolation", "effort"]
    assert sorted(fields) == sorted([*expected, "initialPrompt"])  # once each, two runs
    assert all(w.get("depth") == 1 for w in warnings(evs))
    starts = [e for e in evs if e["type"] == "subagent_start"]
    assert len(starts) == 2 and starts[0]["color"] == "green"


def test_background_false_and_empty_skills_ask_for_nothing(workspace: Path, tmp_path: Path) -> None:
    name = agent(workspace, "plain", "background: false", "skills: []", "hooks: {}")
    _, evs = run(workspace, name, scripted(tmp_path, [{"content": "ok"}]))
    assert warnings(evs) == []


# -- model resolution: flag > front matter > parent > config default -----------------


def _runner(workspace: Path, specs: dict[str, list[dict[str, Any]]], default: str) -> Runner:
    models: dict[str, Model] = {
        spec: ScriptedModel.from_turns(turns, name=spec) for spec, turns in specs.items()
    }

    def factory(spec: str) -> Model:
        if spec not in models:
            raise BdevError(f"no provider for {spec}")
        return models[spec]

    config = load_config(workspace, {"model": default, "permissions.mode": "bypassPermissions"})
    registry = AgentRegistry(project_root=workspace, user_dir=workspace / "no-user")
    return Runner(workspace=workspace, config=config, registry=registry, model_factory=factory)


def test_inherit_in_a_subagent_uses_the_parents_model(workspace: Path) -> None:
    agent(workspace, "child", "model: inherit", "tools: Read")
    parent = agent(workspace, "parent", "model: scripted:pinned", "tools: Task, Read")
    runner = _runner(
        workspace,
        {
            "scripted:pinned": [task("child"), {"content": "from the child"}, {"content": "done"}],
            "scripted:default": [{"content": "wrong model"}],
        },
        default="scripted:default",
    )
    sid, result = runner.start("go", runner.registry.get(parent))
    evs = events(workspace, sid)
    assert evs[0]["model"] == "scripted:pinned"
    [sub] = [e for e in evs if e["type"] == "subagent_start"]
    assert sub["model"] == "scripted:pinned"
    assert result.final == "done" and warnings(evs) == []


def test_inherit_at_the_top_level_warns_and_uses_the_configured_model(workspace: Path) -> None:
    name = agent(workspace, "orphan", "model: inherit")
    runner = _runner(workspace, {"scripted:default": [{"content": "ok"}]}, "scripted:default")
    sid, _ = runner.start("go", runner.registry.get(name))
    evs = events(workspace, sid)
    assert evs[0]["model"] == "scripted:default"
    [w] = warnings(evs, "model")
    assert "'inherit' at the top level" in w["message"] and "scripted:default" in w["message"]


@pytest.mark.parametrize(
    ("model", "says"),
    [
        ("sonnet", "an alias nobody configured"),
        ("Sonnet-4", "neither an alias"),
        ("claude-unavailable", "is unavailable"),
    ],
)
def test_model_fallbacks_warn_and_use_the_parents_model(
    workspace: Path, model: str, says: str
) -> None:
    agent(workspace, "pinned", f"model: {model}", "tools: Read")
    parent = agent(workspace, "parent", "tools: Task")
    runner = _runner(
        workspace,
        {"scripted:default": [task("pinned"), {"content": "sub"}, {"content": "done"}]},
        default="scripted:default",
    )
    sid, result = runner.start("go", runner.registry.get(parent))
    evs = events(workspace, sid)
    [sub] = [e for e in evs if e["type"] == "subagent_start"]
    assert sub["model"] == "scripted:default" and result.final == "done"
    [w] = warnings(evs, "model")
    assert says in w["message"] and "the parent's model scripted:default" in w["message"]


def test_a_configured_alias_is_used_and_the_flag_wins_over_it(workspace: Path) -> None:
    (workspace / ".bdev").mkdir()
    (workspace / ".bdev" / "config.toml").write_text('[models]\nhaiku = "scripted:small"\n')
    name = agent(workspace, "quick", "model: haiku")
    runner = _runner(workspace, {"scripted:small": [{"content": "ok"}]}, "scripted:default")
    sid, _ = runner.start("go", runner.registry.get(name))
    assert events(workspace, sid)[0]["model"] == "scripted:small"

    flagged = _runner(workspace, {"scripted:flag": [{"content": "ok"}]}, "scripted:default")
    flagged.model_override = "scripted:flag"
    sid, _ = flagged.start("go", flagged.registry.get(name))
    evs = events(workspace, sid)
    assert evs[0]["model"] == "scripted:flag"
    assert "overridden by --model scripted:flag" in warnings(evs, "model")[0]["message"]


def test_a_subagent_never_gets_a_tool_its_parent_lacks(workspace: Path, tmp_path: Path) -> None:
    # The parent may read and delegate; general-purpose would have Write and Bash.
    name = agent(workspace, "reader", "tools: Read, Task")
    turns = [
        task("general-purpose"),
        call("Write", file_path="x.txt", content="x"),  # the sub-agent's
        {"content": "could not write"},
        {"content": "done"},
    ]
    _, evs = run(workspace, name, scripted(tmp_path, turns), mode="bypassPermissions")
    assert not (workspace / "x.txt").exists()
    [narrowed] = [w for w in warnings(evs, "tools") if w["agent"] == "general-purpose"]
    assert "Write" in narrowed["message"] and "not among the parent's tools" in narrowed["message"]


def test_a_parents_bash_limits_hold_for_its_subagents(workspace: Path, tmp_path: Path) -> None:
    agent(workspace, "shell", "tools: Bash")
    name = agent(workspace, "gitter", "tools: Bash(git status:*), Task")
    turns = [
        task("shell"),
        call("Bash", command="touch made-by-child"),  # the sub-agent's
        {"content": "could not"},
        {"content": "done"},
    ]
    _, evs = run(workspace, name, scripted(tmp_path, turns), mode="bypassPermissions")
    assert not (workspace / "made-by-child").exists()
    assert any(e["type"] == "permission" and e.get("depth") == 1 for e in evs)


def test_dont_ask_as_the_users_own_mode(workspace: Path, tmp_path: Path) -> None:
    asked: list[str] = []

    def ask(tool: str, args: dict[str, Any]) -> bool:
        asked.append(tool)
        return True

    name = agent(workspace, "plain", "tools: Write")
    turns = [call("Write", file_path="x.txt", content="x"), {"content": "done"}]
    _, evs = run(
        workspace, name, scripted(tmp_path, turns), mode="dontAsk", interactive=True, ask=ask
    )
    assert asked == [] and not (workspace / "x.txt").exists()
    assert evs[0]["agent_permission_mode"] == "dontAsk"
