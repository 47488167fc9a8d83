from __future__ import annotations

from pathlib import Path

import pytest

from bdev.agents.definition import load_definition
from bdev.agents.registry import AgentRegistry
from bdev.agents.router import choose_agent


@pytest.fixture
def builtins(tmp_path: Path):
    return AgentRegistry(tmp_path).all()


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("Add JWT auth to the orders API", "backend-developer"),
        ("Build this OpenAPI spec as a FastAPI service", "backend-developer"),
        ("Add a health endpoint and get p95 latency under 100 ms", "backend-developer"),
        ("Review the payment code for SQL injection and hard-coded secrets", "security-reviewer"),
        ("Write a migration with a rollback for the invoices table", "database-specialist"),
        ("Our Postgres query takes 30 seconds; add the right index", "database-specialist"),
        ("Rename the helper function in utils.py and update its callers", "general-purpose"),
        ("Have the security-reviewer look at it", "security-reviewer"),
    ],
)
def test_router_picks_sensibly(builtins, task: str, expected: str) -> None:
    choice = choose_agent(task, builtins)
    assert choice.agent.name == expected, (choice.reason, choice.ranking)
    assert choice.score > 0


def test_reason_names_words_and_where_they_matched(builtins) -> None:
    choice = choose_agent("Add JWT auth to the orders API", builtins)
    assert choice.reason.startswith("matched: ")
    assert "jwt" in choice.reason and "api" in choice.reason
    assert "(description + 2 examples + body)" in choice.reason


def test_nothing_matches_falls_back_to_general_purpose(builtins) -> None:
    choice = choose_agent("compose a sonnet about autumn leaves", builtins)
    assert (choice.agent.name, choice.score) == ("general-purpose", 0.0)
    assert "no agent" in choice.reason


def test_fallback_is_the_builtin_when_not_among_the_agents(builtins) -> None:
    others = [a for a in builtins if a.name != "general-purpose"]
    choice = choose_agent("compose a sonnet", others)
    assert (choice.agent.name, choice.agent.source) == ("general-purpose", "builtin")
    assert choose_agent("anything", []).agent.name == "general-purpose"


def test_deterministic_whatever_the_order(builtins) -> None:
    task = "speed up the slow orders endpoint and its database query"
    first = choose_agent(task, builtins)
    for agents in (list(reversed(builtins)), builtins[1:] + builtins[:1]):
        again = choose_agent(task, agents)
        assert (again.agent.name, again.score, again.reason) == (
            first.agent.name,
            first.score,
            first.reason,
        )
        assert again.ranking == first.ranking


def test_ties_go_to_the_first_name(builtins, write, definition) -> None:
    same = "Handles kafka consumers."
    agents = [
        load_definition(write("b.md", definition(name="beta", description=same))),
        *builtins,
        load_definition(write("a.md", definition(name="alpha", description=same))),
    ]
    choice = choose_agent("fix the kafka consumers", agents)
    assert choice.agent.name == "alpha"
    assert choice.ranking[0][1] == choice.ranking[1][1]


@pytest.mark.parametrize(
    ("seed", "task"),
    [
        ("003", "Add a login endpoint with JWT and RBAC"),  # its examples say so
        ("002", "Build this OpenAPI spec as a FastAPI service"),  # only its body says so
    ],
)
def test_a_seed_backend_developer_wins_its_tasks(seeds: list[Path], builtins, seed, task) -> None:
    mine = load_definition(next(p for p in seeds if p.name.startswith(seed)))
    agents = [mine, *(a for a in builtins if a.name != "backend-developer")]
    choice = choose_agent(task, agents)
    assert choice.agent is mine, (choice.reason, choice.ranking)


@pytest.mark.parametrize(
    "task",
    [
        "add JWT auth and pagination to this service",  # the README's own example
        "add a login endpoint that handles JWT authentication",  # seed 003's example
        "fix the SQL injection in /search",
        "add a DELETE /items/{id} route with auth",
        "why is /orders slow",
    ],
)
def test_implementation_requests_go_to_an_agent_that_can_write(builtins, task: str) -> None:
    from bdev.agents.capabilities import Capability

    choice = choose_agent(task, builtins)
    assert Capability.WRITE in choice.agent.capabilities, (task, choice.reason)


@pytest.mark.parametrize(
    "task", ["review this service for security", "audit the auth code for vulnerabilities"]
)
def test_review_requests_go_to_the_reviewer(builtins, task: str) -> None:
    assert choose_agent(task, builtins).agent.name == "security-reviewer"
