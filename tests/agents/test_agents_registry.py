from __future__ import annotations

from pathlib import Path

import pytest

from bdev.agents.definition import validate_file
from bdev.agents.registry import BUILTIN_DIR, AgentRegistry
from bdev.errors import BdevError

BUILTINS = [
    "backend-developer",
    "code-reviewer",
    "database-specialist",
    "frontend-developer",
    "general-purpose",
    "orchestrator",
    "qa-engineer",
    "security-reviewer",
]


def test_builtins_are_listed_and_pass_the_validator(tmp_path: Path) -> None:
    registry = AgentRegistry(tmp_path)
    assert [d.name for d in registry.all()] == BUILTINS
    assert {d.source for d in registry.all()} == {"builtin"}
    for path in sorted(BUILTIN_DIR.glob("*.md")):
        assert validate_file(path) == [], path
        assert len(path.read_text().splitlines()) <= 90, f"{path.name}: keep built-ins short"


def test_builtin_tools(tmp_path: Path) -> None:
    registry = AgentRegistry(tmp_path)
    assert registry.get("general-purpose").tools is None
    assert "Task" in registry.get("backend-developer").allowed_tools
    reviewer = registry.get("security-reviewer").allowed_tools
    assert "Bash" in reviewer and not {"Write", "Edit", "MultiEdit"} & set(reviewer)


def test_precedence_dir_over_project_over_user_over_builtin(
    tmp_path: Path, write, definition
) -> None:
    write("home/.claude/agents/u.md", definition(name="general-purpose", description="user"))
    write("home/.claude/agents/only-user.md", definition(name="only-user", description="user"))
    write("proj/.claude/agents/p.md", definition(name="general-purpose", description="project"))
    write(
        "proj/.claude/agents/sub/q.md", definition(name="security-reviewer", description="project")
    )
    write("extra/e.md", definition(name="security-reviewer", description="dir"))
    registry = AgentRegistry(tmp_path / "proj", agents_dir=tmp_path / "extra")

    effective = {d.name: (d.source, d.description) for d in registry.all()}
    assert effective["general-purpose"] == ("project", "project")
    assert effective["security-reviewer"] == ("dir", "dir")
    assert effective["only-user"] == ("user", "user")
    assert effective["backend-developer"][0] == "builtin"
    hidden = sorted((d.name, d.source) for d in registry.shadowed)
    assert hidden == [
        ("general-purpose", "builtin"),
        ("general-purpose", "user"),
        ("security-reviewer", "builtin"),
        ("security-reviewer", "project"),
    ]
    assert registry.shadowed_by(registry.shadowed[0]) is registry.get(registry.shadowed[0].name)


def test_explicit_user_dir_and_no_builtins(tmp_path: Path, write, definition) -> None:
    write("mine/a.md", definition(name="a"))
    registry = AgentRegistry(tmp_path, user_dir=tmp_path / "mine", builtin_dir=None)
    assert [(d.name, d.source) for d in registry.all()] == [("a", "user")]


def test_broken_file_is_listed_not_fatal(tmp_path: Path, write, definition) -> None:
    write(".claude/agents/good.md", definition(name="good"))
    write(".claude/agents/bad.md", "---\nname: bad\ntools: Bsh\n---\n")
    write(".claude/agents/README.md", "# About these agents\n")
    registry = AgentRegistry(tmp_path)
    assert "good" in registry.names()
    [broken] = registry.broken
    assert (broken.path.name, broken.source) == ("bad.md", "project")
    assert (broken.problem.line, broken.problem.field) == (1, "description")
    with pytest.raises(BdevError, match=r"could not load: .*bad\.md:1: description"):
        registry.get("bad")


def test_get_by_path_with_any_extension(tmp_path: Path, write, definition) -> None:
    path = write("defs/agent.txt", definition(name="from-file"))
    registry = AgentRegistry(tmp_path)
    d = registry.get(str(path))
    assert (d.name, d.source, d.path) == ("from-file", "path", path)
    # Relative paths are also tried against the project root.
    assert registry.get("defs/agent.txt").name == "from-file"


def test_unknown_name_lists_available(tmp_path: Path) -> None:
    with pytest.raises(BdevError) as raised:
        AgentRegistry(tmp_path).get("backend-dev")
    assert str(raised.value) == (
        'agent "backend-dev": unknown agent (available: ' + ", ".join(BUILTINS) + ")"
    )
    with pytest.raises(BdevError, match="no such file"):
        AgentRegistry(tmp_path).get("agents/missing.md")


def test_names_are_case_insensitive_as_in_claude_code(tmp_path, write, definition) -> None:
    assert AgentRegistry(tmp_path).get("Security-Reviewer").name == "security-reviewer"
    write(".claude/agents/b.md", definition(name="Backend-Developer"))
    registry = AgentRegistry(tmp_path)
    # One agent whatever the spelling: the project's overrides the built-in one.
    for spelling in ("Backend-Developer", "backend-developer", "BACKEND-DEVELOPER"):
        assert registry.get(spelling).source == "project"
    assert [d.source for d in registry.shadowed] == ["builtin"]


def test_missing_agents_dir_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(BdevError, match=r"--agents-dir .*nope: not a directory"):
        AgentRegistry(tmp_path, agents_dir=tmp_path / "nope")
