"""Delegation by the criteria in the delegating definition and by bdev's router; the
team's built-in members, and a user's definitions of the same names winning."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bdev.agents.registry import AgentRegistry
from bdev.team.delegation import choose, criteria
from bdev.team.orchestrator import Team, TeamOptions
from bdev.team.runs import RunSettings
from bdev.team.teamlog import read_log
from support.runtime import write_agent
from support.seeds import seed_files
from support.team import HandoffScripts, write

TEAM = ("orchestrator", "frontend-developer", "qa-engineer", "code-reviewer",
        "security-reviewer", "backend-developer")  # fmt: skip


def delegating_seed() -> Path:
    """The seed backend definition that states delegation criteria (seed 004)."""
    for path in seed_files():
        text = path.read_text(encoding="utf-8")
        if "Delegation Criteria" in text and "nestjs-backend-expert" in text:
            return path
    pytest.skip("no seed definition with delegation criteria")


def specialist(agents: Path, name: str, description: str) -> None:
    agents.mkdir(parents=True, exist_ok=True)
    (agents / f"{name}.md").write_text(
        f"---\nname: {name}\ndescription: {description}\ntools: Read, Write, Edit, Bash\n---\n"
        f"You are {name}.\n"
    )


@pytest.fixture
def project(workspace: Path) -> Path:
    agents = workspace / ".claude" / "agents"
    agents.mkdir(parents=True)
    shutil.copyfile(delegating_seed(), agents / "backend-developer.md")
    specialist(agents, "nestjs-backend-expert", "NestJS and TypeScript backends: modules, "
               "providers, guards, DTO validation.")  # fmt: skip
    specialist(agents, "rails-backend-expert", "Ruby on Rails backends with ActiveRecord.")
    return workspace


def test_the_team_members_are_built_in_and_a_user_s_own_wins(workspace: Path) -> None:
    registry = AgentRegistry(workspace)
    assert {registry.get(n).source for n in TEAM} == {"builtin"}
    assert registry.get("code-reviewer").capabilities.isdisjoint({"write"})  # reads, judges
    write_agent(workspace / ".claude" / "agents", "code-reviewer", tools="Read")
    ours = AgentRegistry(workspace).get("code-reviewer")
    assert (ours.source, ours.body.strip()) == ("project", "You are a test agent.")


def test_criteria_are_read_from_the_seed_and_the_router_confirms(project: Path) -> None:
    registry = AgentRegistry(project)
    owner = registry.get("backend-developer")
    assert owner.source == "project"
    found = {c.specialist for c in criteria(owner, registry.all())}
    assert {"nestjs-backend-expert", "rails-backend-expert"} <= found
    agents = registry.all()
    nest = choose(owner, "Implement the orders API in NestJS", agents, writes=True)
    assert (nest.agent.name, nest.delegated) == ("nestjs-backend-expert", True)
    assert "criterion for nestjs-backend-expert (nestj)" in nest.reason
    assert "router: nestjs-backend-expert scores" in nest.reason
    plain = choose(owner, "Backend architecture: service boundaries, API contracts", agents,
                   writes=True)  # fmt: skip
    assert (plain.agent.name, plain.delegated) == ("backend-developer", False)


def test_a_specialist_that_cannot_write_never_gets_a_writing_task(workspace: Path) -> None:
    registry = AgentRegistry(workspace)
    owner = registry.get("backend-developer")  # the built-in: names security-reviewer
    task = "Check the raw SQL of the orders queries"
    assert choose(owner, task, registry.all(), writes=True).agent.name == "backend-developer"
    assert choose(owner, task, registry.all(), writes=False).agent.name == "security-reviewer"


def test_a_team_run_delegates_and_says_why(project: Path) -> None:
    status = project / "coordination" / "milestone-1" / "status.md"
    status.parent.mkdir(parents=True)
    status.write_text("## Design\n- [ ] modules: Lay out the NestJS modules "
                      "(owner: backend-developer; writes: modules.md)\n")  # fmt: skip
    models = HandoffScripts({"Task modules (round 1)": [write("modules.md", "# Modules\n")]})
    settings = RunSettings(model="scripted:team", model_factory=models.factory)
    result = Team(project, TeamOptions(run=settings, use_gh=False)).run()
    assert result.done == ["modules"]
    [delegated] = [r for r in read_log(project / ".bdev/team/log.jsonl") if r["kind"] == "delegate"]
    assert delegated["agent"] == "nestjs-backend-expert"
    assert "criterion for nestjs-backend-expert" in delegated["text"]
    [session] = (project / ".bdev" / "sessions").glob("*.jsonl")
    start = json.loads(session.read_text().splitlines()[0])
    assert start["agent"] == "nestjs-backend-expert"
    assert start["task"].startswith("Task modules (round 1), handed from bdev to nestjs")
