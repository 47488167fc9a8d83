"""Claude Code's front-matter fields as bdev reads them: valid forms are never hard
errors, refused fields are notes, bad values are one clear error; names are
case-insensitive and duplicates are reported. What each field does in a run is
tested in tests/runtime/test_agent_fields.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bdev.agents.definition import load_definition, parse_definition
from bdev.agents.fields import KNOWN_FIELDS, REFUSED
from bdev.agents.registry import AgentRegistry
from bdev.agents.toolspec import split_entries
from bdev.cli.agents_cmd import app
from bdev.tools.base import TOOL_NAMES


def parse(*fields: str):
    text = "---\nname: x\ndescription: y\n" + "\n".join(fields) + "\n---\nPrompt.\n"
    return parse_definition(text)


def validate(*args: str):
    return CliRunner().invoke(app, ["validate", *args], env={"COLUMNS": "200"})


@pytest.mark.parametrize(
    "tools",
    [
        "tools: []",
        "tools: Read, Agent",
        "tools: Task(database-specialist)",
        "tools: [Read, Agent(worker, researcher)]",
        "tools: Read, mcp__github__create_issue, mcp__db__*, mcp__fs",
        "tools: Read, Bash(git:*), Bash(git log:*)",
        "tools: Read, KillShell, ExitPlanMode",
        "tools: '*'",
    ],
)
def test_valid_claude_code_tool_forms_are_not_errors(tools: str) -> None:
    definition, problems = parse(tools)
    assert definition is not None, problems
    assert not [p for p in problems if p.severity == "error"]


def test_tool_entries_are_read_into_their_meanings() -> None:
    d, _ = parse(
        "tools: [Read, 'Bash(git log:*)', Agent(worker, researcher), mcp__gh__*, KillShell]",
        "disallowedTools: Write, Bash(rm:*), Task(general-purpose)",
    )
    assert d is not None
    assert d.tools == ["Read", "Bash", "Task"]
    assert d.subagent_types == ["worker", "researcher"]
    assert d.tool_rules == {"Bash": ["git log:*"]}
    assert (d.mcp_tools, d.unavailable_tools) == (["mcp__gh__*"], ["KillShell"])
    assert d.disallowed_tools == ["Write"]
    assert d.deny_rules == ["Bash(rm:*)"]
    assert d.disallowed_subagents == ["general-purpose"]


def test_empty_tools_means_no_tools_and_disallowed_tools_are_taken_away() -> None:
    d, _ = parse("tools: []")
    assert d is not None and d.tools == [] and d.allowed_tools == []
    d, problems = parse("tools:")
    assert d is not None and d.allowed_tools == []
    assert [p.severity for p in problems if p.field == "tools"] == ["warning"]
    d, _ = parse("disallowedTools: Write, Edit")
    assert d is not None and d.tools is None
    assert d.allowed_tools == [t for t in TOOL_NAMES if t not in ("Write", "Edit")]
    d, _ = parse("disallowedTools: Write, Edit, MultiEdit, NotebookEdit")
    assert d is not None and "write" not in d.capabilities  # the router sees it cannot write


def test_a_plain_tool_beside_its_rule_means_the_whole_tool() -> None:
    d, _ = parse("tools: Bash, Bash(git:*)")
    assert d is not None and d.tool_rules == {}


def test_split_entries_keeps_commas_and_spaces_inside_parentheses() -> None:
    assert split_entries("Read, Bash(git log:*) Task(a, b),Write") == [
        "Read",
        "Bash(git log:*)",
        "Task(a, b)",
        "Write",
    ]


def test_every_claude_code_field_is_known_honoured_or_refused() -> None:
    claude_code = {
        "name", "description", "tools", "disallowedTools", "model", "permissionMode",
        "maxTurns", "skills", "mcpServers", "hooks", "memory", "background", "isolation",
        "initialPrompt", "color", "effort",
    }  # fmt: skip
    assert set(KNOWN_FIELDS) == claude_code


def test_honoured_fields_are_read() -> None:
    d, problems = parse(
        "model: opus", "permissionMode: acceptEdits", "maxTurns: 7",
        "initialPrompt: Start by reading README.md", "color: cyan",
    )  # fmt: skip
    assert d is not None and not problems
    assert (d.model, d.permission_mode, d.max_turns, d.color) == ("opus", "acceptEdits", 7, "cyan")
    assert d.initial_prompt == "Start by reading README.md"


def test_refused_fields_are_notes_naming_what_bdev_does_instead() -> None:
    d, problems = parse(
        "skills: [pdf]", "mcpServers: [github]", "hooks: {Stop: []}", "memory: user",
        "background: true", "isolation: worktree", "effort: high",
    )  # fmt: skip
    assert d is not None and set(d.refused) == set(REFUSED)
    assert {p.field for p in problems} == set(REFUSED)
    assert all(p.severity == "note" for p in problems)
    isolation = next(p for p in problems if p.field == "isolation")
    assert "shared workspace" in isolation.message and str(isolation).endswith("(note)")


@pytest.mark.parametrize(
    ("field", "says"),
    [
        ("permissionMode: yolo", "'yolo' (one of: plan, dontAsk, default"),
        ("permissionMode: acceptedits", 'did you mean "acceptEdits"?'),
        ("maxTurns: 0", "must be a whole number of turns, 1 or more, not 0"),
        ("maxTurns: many", "not 'many'"),
        ("disallowedTools: Wrte", 'unknown tool "Wrte", did you mean "Write"?'),
        ("tools: Read, Bash(", "expected Tool, Tool(rule) or mcp__server__tool"),
    ],
)
def test_bad_values_are_one_clear_error(field: str, says: str) -> None:
    d, problems = parse(field)
    [error] = [p for p in problems if p.severity == "error"]
    assert d is None and error.field == field.split(":")[0] and says in error.message


# -- names and duplicates ------------------------------------------------------------


def test_duplicate_names_in_one_folder_first_by_path_wins(
    tmp_path: Path, write, definition
) -> None:
    write("proj/.claude/agents/a.md", definition(name="Backend-Developer", description="A."))
    write("proj/.claude/agents/b.md", definition(name="backend-developer", description="B."))
    registry = AgentRegistry(tmp_path / "proj", user_dir=tmp_path / "none")
    assert registry.get("BACKEND-developer").summary == "A."
    [dup] = registry.duplicates
    assert dup.path is not None and dup.path.name == "b.md"
    assert registry.names().count("Backend-Developer") == 1


@pytest.mark.parametrize("strict", [False, True])
def test_validate_reports_duplicates(tmp_path: Path, write, definition, strict: bool) -> None:
    write("agents/a.md", definition(name="Backend-Developer"))
    write("agents/b.md", definition(name="backend-developer"))
    result = validate(str(tmp_path / "agents"), *(["--strict"] if strict else []))
    assert result.exit_code == (1 if strict else 0), result.output
    assert "b.md:2: name: duplicate" in result.output
    assert '"Backend-Developer" in' in result.output and "that file wins" in result.output


def test_validate_a_folder_without_md_definitions_fails(tmp_path: Path, write, definition) -> None:
    write("txt/one.txt", definition(name="one"))
    write("txt/two.txt", definition(name="two"))
    result = validate(str(tmp_path / "txt"))
    assert result.exit_code == 1
    assert "no .md definition files (found 2 other files: one.txt, two.txt)" in result.output
    (tmp_path / "empty").mkdir()
    assert validate(str(tmp_path / "empty")).exit_code == 1


def test_validate_strict_passes_refused_fields_and_fails_warnings(
    tmp_path: Path, write, definition
) -> None:
    write("ok/a.md", definition(name="a", skills="[pdf]", tools="Read, mcp__gh__*"))
    result = validate(str(tmp_path / "ok"), "--strict")
    assert result.exit_code == 0, result.output
    assert "skills: not supported" in result.output and "1 note " in result.output
    write("warn/a.md", definition(name="a", colour="red"))
    assert validate(str(tmp_path / "warn"), "--strict").exit_code == 1


def test_seed_definitions_load_with_no_refusals(seeds: list[Path]) -> None:
    for path in seeds:
        d = load_definition(path)
        assert d.refused == {} and d.key == "backend-developer"
