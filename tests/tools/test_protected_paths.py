"""Protected paths: no permission mode lets an agent write the files that configure
later runs (.bdev/config.toml, .claude/settings*.json, .claude/agents/); only an allow
rule naming them does. Decisions are checked on the real Policy, and the refused
writes leave the files as they were."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bdev.tools.policy import Decision, Policy
from bdev.tools.registry import build_tools

TOOLS = build_tools(["Write", "Edit", "MultiEdit", "NotebookEdit", "Bash", "Read"])
MODES = ["default", "acceptEdits", "bypassPermissions", "plan"]


def check(ws: Path, tool: str, args: dict, mode: str = "bypassPermissions", **kw: list) -> Decision:
    return Policy(mode=mode, workspace=ws, **kw).check(TOOLS[tool], args)


@pytest.fixture
def repo(ws: Path) -> Path:
    (ws / ".bdev").mkdir()
    (ws / ".bdev" / "config.toml").write_text("[limits]\nmax_steps = 5\n")
    (ws / ".claude" / "agents").mkdir(parents=True)
    (ws / ".claude" / "agents" / "x.md").write_text("---\nname: x\n---\nbody\n")
    (ws / ".claude" / "settings.json").write_text("{}")
    return ws


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("Write", {"file_path": ".bdev/config.toml", "content": 'mode = "x"'}),
        ("Write", {"file_path": ".claude/agents/x.md", "content": "evil"}),
        ("Write", {"file_path": ".claude/agents/new.md", "content": "evil"}),
        ("Write", {"file_path": ".claude/settings.local.json", "content": "{}"}),
        ("Edit", {"file_path": ".claude/settings.json", "old_string": "{}", "new_string": "[]"}),
        ("MultiEdit", {"file_path": ".claude/agents/x.md", "edits": []}),
        ("NotebookEdit", {"notebook_path": ".claude/agents/n.ipynb", "new_source": "x"}),
        ("Write", {"file_path": "src/../.bdev/config.toml", "content": "x"}),
        ("Write", {"file_path": "./.claude//agents/x.md", "content": "x"}),
    ],
)
def test_file_tools_cannot_write_protected_paths_in_any_mode(
    repo: Path, mode: str, tool: str, args: dict
) -> None:
    decision = check(repo, tool, args, mode, allow=["Write", "Edit", "Bash(*)"])
    assert decision.action == "deny"
    if mode != "plan":
        assert "protected path" in decision.reason and "allow rule naming it" in decision.reason


def test_absolute_and_symlinked_paths_are_protected_too(repo: Path) -> None:
    absolute = str(repo.resolve() / ".bdev" / "config.toml")
    assert check(repo, "Write", {"file_path": absolute, "content": "x"}).action == "deny"
    os.symlink(".claude/agents", repo / "docs")  # a repository may ship such a link
    os.symlink(".bdev/config.toml", repo / "notes.toml")
    assert check(repo, "Write", {"file_path": "docs/x.md", "content": "x"}).action == "deny"
    assert check(repo, "Write", {"file_path": "notes.toml", "content": "x"}).action == "deny"


@pytest.mark.parametrize(
    "command",
    [
        "echo 'mode = \"bypassPermissions\"' > .bdev/config.toml",
        "echo x >> .claude/agents/x.md",
        "printf x | tee .claude/settings.local.json",
        "cp /tmp/evil.md .claude/agents/",
        "mv evil.toml .bdev/config.toml",
        "rm -rf .claude",
        "cd .claude && rm -r agents",
        "sed -i s/a/b/ .claude/agents/x.md",
        "ln -sf /tmp/evil .bdev/config.toml",
        "dd if=/tmp/x of=.bdev/config.toml",
        "cp -t .claude/agents evil.md",
        "true && (echo x > ./.bdev/../.bdev/config.toml)",
        "bash -c 'echo x > .claude/agents/x.md'",
    ],
)
def test_bash_writes_to_protected_paths_are_refused_even_with_bypass(
    repo: Path, command: str
) -> None:
    decision = check(repo, "Bash", {"command": command}, allow=["Bash(*)"])
    assert decision.action == "deny", command
    assert "protected path" in decision.reason


@pytest.mark.parametrize(
    "command", ["cat .bdev/config.toml", "ls .claude/agents", "grep name .claude/agents/x.md"]
)
def test_reading_protected_paths_stays_allowed(repo: Path, command: str) -> None:
    assert check(repo, "Bash", {"command": command}).action == "allow"
    assert check(repo, "Read", {"file_path": ".claude/agents/x.md"}).action == "allow"


def test_other_files_are_still_writable_as_the_mode_says(repo: Path) -> None:
    write = {"file_path": ".claude/commands/review.md", "content": "x"}
    assert check(repo, "Write", write, "acceptEdits").action == "allow"
    assert check(repo, "Write", {"file_path": "app.py", "content": "x"}).action == "allow"
    assert check(repo, "Bash", {"command": "echo x > app.log"}).action == "allow"


def test_an_allow_rule_naming_the_path_allows_it(repo: Path) -> None:
    rule = ["Edit(.claude/agents/**)"]
    write = {"file_path": ".claude/agents/x.md", "content": "x"}
    assert check(repo, "Write", write, "acceptEdits", allow=rule).action == "allow"
    bash = {"command": "echo x > .claude/agents/x.md"}
    assert check(repo, "Bash", bash, allow=rule).action == "allow"
    # The rule names the agents only: the config stays protected.
    config = {"file_path": ".bdev/config.toml", "content": "x"}
    assert check(repo, "Write", config, allow=rule).action == "deny"


@pytest.mark.parametrize("rule", ["Edit", "Write", "Edit(**)", "Edit(*)", "Write(*.md)"])
def test_broad_allow_rules_do_not_name_protected_paths(repo: Path, rule: str) -> None:
    write = {"file_path": ".claude/agents/x.md", "content": "x"}
    assert check(repo, "Write", write, "default", allow=[rule]).action == "deny"


def test_deny_rules_still_refuse_what_an_allow_rule_names(repo: Path) -> None:
    write = {"file_path": ".bdev/config.toml", "content": "x"}
    decision = check(
        repo, "Write", write, allow=["Edit(.bdev/config.toml)"], deny=["Edit(.bdev/**)"]
    )
    assert decision.action == "deny" and "denied by the rule" in decision.reason


def test_a_refused_write_leaves_the_file_unchanged_in_a_real_run(repo: Path) -> None:
    from support.runtime import events, make_runner

    agents = repo / ".claude" / "agents"
    before = (agents / "x.md").read_text(), (repo / ".bdev" / "config.toml").read_text()
    calls = [
        {"name": "Write", "arguments": {"file_path": ".claude/agents/x.md", "content": "evil"}},
        {"name": "Bash", "arguments": {"command": "echo evil > .bdev/config.toml"}},
    ]
    runner = make_runner(repo, [{"tool_calls": calls}, {"content": "done"}], "bypassPermissions")
    definition = runner.registry.get("general-purpose")
    session_id, _ = runner.start("take over", definition)
    assert ((agents / "x.md").read_text(), (repo / ".bdev" / "config.toml").read_text()) == before
    refusals = [e for e in events(repo, session_id) if e["type"] == "permission"]
    assert [e["tool"] for e in refusals] == ["Write", "Bash"]
    assert all("protected path" in e["reason"] for e in refusals)
