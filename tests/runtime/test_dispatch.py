"""`bdev.runtime.dispatch.start`: one request, one path, chosen by what the task carries
and what the agent's definition declares. Real runs with a scripted model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bdev.agents.capabilities import Capability, asks_for_change, suits_backend_workflow
from bdev.agents.definition import load_definition
from bdev.agents.registry import AgentRegistry
from bdev.agents.router import choose_agent
from bdev.errors import BdevError
from bdev.runtime.dispatch import Notice, Route, RunRequest, WorkflowMode, start
from support.runtime import events
from support.seeds import seed_files

SPECS = Path(__file__).parents[1] / "fixtures" / "specs"
DELETE_TASK = "add a DELETE /items/{id} route to the items API"


def scripted(tmp_path: Path, turns: list[dict]) -> str:
    path = tmp_path / "turns.json"
    path.write_text(json.dumps(turns))
    return f"scripted:{path}"


def request(workspace: Path, model: str, task: str = DELETE_TASK, **kw: Any) -> RunRequest:
    return RunRequest(task=task, workspace=workspace, model=model, **kw)


def test_a_task_with_an_openapi_document_is_built_spec_first(
    workspace: Path, tmp_path: Path
) -> None:
    spec = (SPECS / "items.yaml").read_text()
    notices: list[Notice] = []
    outcome = start(
        request(
            workspace,
            scripted(tmp_path, []),  # asked for the one slot, the model has no answer
            task=f"Build this API:\n```yaml\n{spec}\n```\n",
            gates=False,
            progress=notices.append,
        )
    )
    assert outcome.route is Route.SPEC_FIRST
    assert outcome.build is not None and outcome.build.not_implemented == ["archive_item"]
    assert (outcome.readiness, outcome.exit_code) == ("not ready", 9)
    assert (workspace / "app" / "main.py").is_file()
    assert notices[0].kind == "spec-first"
    assert "build" in {n.kind for n in notices}
    # The build has a session like every run: its steps, as they happened.
    assert outcome.session_id is not None
    kinds = [e["type"] for e in events(workspace, outcome.session_id)]
    assert kinds[0] == "session_start" and kinds[-1] == "end"
    assert {"phase", "progress", "slot"} <= set(kinds)


def test_a_killed_spec_first_build_resumes_without_redoing_written_slots(
    workspace: Path, tmp_path: Path
) -> None:
    from support.answers import ARCHIVE_ANSWER

    task = f"Build this API:\n```yaml\n{(SPECS / 'items.yaml').read_text()}\n```\n"
    answered = scripted(tmp_path, [{"content": ARCHIVE_ANSWER}])
    first = start(request(workspace, answered, task=task, gates=False))
    assert first.build is not None and first.build.implemented_by_model == ["archive_item"]
    # Kill it right after the slot was written: the transcript ends there (a torn line too).
    path = workspace / ".bdev" / "sessions" / f"{first.session_id}.jsonl"
    lines = path.read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "slot")
    path.write_text("\n".join(lines[: cut + 1]) + '\n{"type": "verif')

    silent = tmp_path / "silent"
    silent.mkdir()
    resumed = start(
        RunRequest(task=None, workspace=workspace, resume=first.session_id,
                   model=scripted(silent, []), gates=False)
    )  # fmt: skip
    assert resumed.session_id == first.session_id and resumed.exit_code == 0
    assert resumed.build is not None and resumed.build.implemented_by_model == ["archive_item"]
    assert "archived" in (workspace / "app" / "handlers.py").read_text()
    kinds = [e["type"] for e in events(workspace, first.session_id)]
    assert "resume" in kinds and kinds[-1] == "end"
    shown = subprocess.run(
        [sys.executable, "-m", "bdev", "sessions", "show", first.session_id or "",
         "--workspace", str(workspace)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "slot archive_item: implemented (1 attempts)" in shown.stdout
    with pytest.raises(BdevError, match="already completed"):
        start(RunRequest(task=None, workspace=workspace, resume=first.session_id))


def test_a_writing_api_agent_gets_the_backend_workflow(workspace: Path, tmp_path: Path) -> None:
    notices: list[Notice] = []
    outcome = start(
        request(
            workspace,
            scripted(tmp_path, [{"content": "nothing to change"}]),
            gates=False,
            progress=notices.append,
        )
    )
    assert outcome.route is Route.WORKFLOW
    assert outcome.agent == "backend-developer"
    assert notices[0] == Notice("agent", notices[0].text) and "backend-developer" in notices[0].text
    assert outcome.workflow is not None and outcome.readiness == "not checked"
    assert outcome.exit_code == 0
    assert outcome.run is not None and outcome.run.final == "nothing to change"
    kinds = [e["type"] for e in events(workspace, outcome.session_id or "")]
    assert "context_request" in kinds and "context_response" in kinds


@pytest.mark.parametrize(
    ("agent", "workflow"),
    [
        ("backend-developer", WorkflowMode.NONE),  # asked for the plain loop
        ("security-reviewer", WorkflowMode.AUTO),  # read-only: nothing to measure
        ("general-purpose", WorkflowMode.AUTO),  # every tool, but declares no API work
    ],
)
def test_the_plain_loop(
    workspace: Path, tmp_path: Path, agent: str, workflow: WorkflowMode
) -> None:
    outcome = start(
        request(
            workspace,
            scripted(tmp_path, [{"content": "looked"}]),
            agent=agent,
            workflow=workflow,
        )
    )
    assert (outcome.route, outcome.agent, outcome.readiness) == (Route.LOOP, agent, None)
    assert outcome.workflow is None and outcome.exit_code == 0
    kinds = [e["type"] for e in events(workspace, outcome.session_id or "")]
    assert "context_request" not in kinds


def test_workflow_none_skips_spec_first_too(workspace: Path, tmp_path: Path) -> None:
    spec = (SPECS / "items.yaml").read_text()
    outcome = start(
        request(
            workspace,
            scripted(tmp_path, [{"content": "read it"}]),
            task=f"Build this API:\n```yaml\n{spec}\n```\n",
            workflow=WorkflowMode.NONE,
        )
    )
    assert outcome.route is Route.LOOP and not (workspace / "app").exists()


def test_the_backend_workflow_needs_an_agent_that_can_build(
    workspace: Path, tmp_path: Path
) -> None:
    with pytest.raises(BdevError, match="security-reviewer has no Write or Edit tool"):
        start(
            request(
                workspace,
                scripted(tmp_path, []),
                agent="security-reviewer",
                workflow=WorkflowMode.BACKEND,
            )
        )


def test_a_resumed_session_continues_in_the_loop(workspace: Path, tmp_path: Path) -> None:
    first = start(
        request(
            workspace,
            scripted(tmp_path, [{"content": "first"}]),
            agent="backend-developer",
            workflow=WorkflowMode.NONE,
        )
    )
    (tmp_path / "again").mkdir()
    again = start(
        RunRequest(
            task="and again",
            workspace=workspace,
            resume=first.session_id,
            model=scripted(tmp_path / "again", [{"content": "second"}]),
        )
    )
    assert again.route is Route.LOOP and again.session_id == first.session_id
    assert again.run is not None and again.run.final == "second"


# -- the capability rule --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "suits", "writes"),
    [
        ("backend-developer", True, True),
        ("database-specialist", False, True),  # can build, declares database work
        ("general-purpose", False, True),  # can build, declares no API work
        ("security-reviewer", False, False),
    ],
)
def test_builtins_by_what_they_declare(
    tmp_path: Path, name: str, suits: bool, writes: bool
) -> None:
    definition = AgentRegistry(tmp_path).get(name)
    assert suits_backend_workflow(definition) is suits
    assert (Capability.WRITE in definition.capabilities) is writes


def test_every_seed_suits_the_workflow_whatever_its_name() -> None:
    for path in seed_files():
        assert suits_backend_workflow(load_definition(path)), path.name


def test_the_name_says_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "agents"
    folder.mkdir()
    for name, tools in (("backend-auditor", "Read, Grep"), ("svc", "Read, Write, Bash")):
        (folder / f"{name}.md").write_text(
            f"---\nname: {name}\ndescription: Works on HTTP APIs and their endpoints.\n"
            f"tools: {tools}\n---\nYou work on APIs.\n"
        )
    assert not suits_backend_workflow(load_definition(folder / "backend-auditor.md"))
    assert suits_backend_workflow(load_definition(folder / "svc.md"))


@pytest.mark.parametrize(
    ("task", "change"),
    [
        ("add a DELETE route", True),
        ("Can you please fix the login endpoint?", True),
        ("Review the search endpoint for SQL injection and fix it", True),
        ("Our query takes 30 seconds; add the right index", True),
        ("Review the payment code for SQL injection and hard-coded secrets", False),
        ("Review the latest fix", False),
        ("Where do we read the config file, and what happens if it is missing?", False),
    ],
)
def test_a_task_that_asks_for_a_change(task: str, change: bool) -> None:
    assert asks_for_change(task) is change


# -- the router -----------------------------------------------------------------


def test_the_router_gives_a_change_to_an_agent_that_can_write(tmp_path: Path) -> None:
    agents = AgentRegistry(tmp_path).all()
    task = "Fix the SQL injection in the search endpoint and add a DELETE route"
    # On words alone the security reviewer fits best, but it cannot change files.
    assert choose_agent(task, agents).ranking[0][0] == "security-reviewer"
    choice = choose_agent(task, agents)
    assert choice.agent.name == "backend-developer"
    assert "security-reviewer fits better but cannot change files" in choice.reason
    review = choose_agent("Review the search endpoint for SQL injection", agents)
    assert review.agent.name == "security-reviewer"


def test_with_no_other_writer_a_change_falls_back_to_general_purpose(tmp_path: Path) -> None:
    reviewer = AgentRegistry(tmp_path).get("security-reviewer")
    choice = choose_agent("Fix the SQL injection in the search endpoint", [reviewer])
    assert choice.agent.name == "general-purpose"


# -- the README's command, as a user runs it ------------------------------------

APP = """from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok"}
"""


@pytest.mark.slow
def test_the_readme_command_ends_with_a_delivery_report(workspace: Path, tmp_path: Path) -> None:
    (workspace / ".bdev").mkdir()
    (workspace / ".bdev" / "config.toml").write_text(
        "[gates]\nmax_rounds = 1\n[audit]\nduration_s = 1\nconcurrency = 2\n"
    )
    write = {"name": "Write", "arguments": {"file_path": "app.py", "content": APP}}
    model = scripted(tmp_path, [{"tool_calls": [write]}, {"content": "app.py is written"}])
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "x")}
    task = 'create app.py with a FastAPI GET /health that returns {"status": "ok"}'
    args = ["--workspace", str(workspace), "--permission-mode", "acceptEdits", "--model", model]
    r = subprocess.run(
        [sys.executable, "-m", "bdev", "run", task, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode in (0, 9), r.stderr
    assert "agent: backend-developer" in r.stderr and "readiness:" in r.stdout
    assert list((workspace / ".bdev" / "reports").glob("*/delivery.md"))


def test_a_resumed_session_keeps_its_permission_mode_and_its_agent(
    workspace: Path, tmp_path: Path
) -> None:
    from bdev.runtime.dispatch import Overrides

    # Started in acceptEdits; the model's only turn ends the run.
    first = start(
        request(
            workspace,
            scripted(tmp_path, [{"content": "a plan"}]),
            agent="general-purpose",
            workflow=WorkflowMode.NONE,
            overrides=Overrides(permission_mode="acceptEdits"),
        )
    )
    assert first.session_id is not None
    # Resumed with a new instruction and no flag: the model writes, as acceptEdits allows
    # (the configured default mode would have refused it without a terminal to ask).
    write = {"name": "Write", "arguments": {"file_path": "x.txt", "content": "x"}}
    later = tmp_path / "later"
    later.mkdir()
    notices: list[Notice] = []
    start(
        RunRequest(
            task="now write it",
            workspace=workspace,
            resume=first.session_id,
            model=scripted(later, [{"tool_calls": [write]}, {"content": "done"}]),
            progress=notices.append,
        )
    )
    assert (workspace / "x.txt").read_text() == "x"
    said = [n.text for n in notices if n.kind == "session"]
    assert said and "agent general-purpose, permission mode acceptEdits (the session's)" in said[0]
    resumed = [e for e in events(workspace, first.session_id) if e["type"] == "resume"]
    assert (resumed[0]["agent"], resumed[0]["permission_mode"]) == (
        "general-purpose",
        "acceptEdits",
    )
    # An agent named on the resume replaces the session's, and the notice says so.
    again = tmp_path / "again"
    again.mkdir()
    notices.clear()
    start(
        RunRequest(task="and review it", workspace=workspace, resume=first.session_id,
                   agent="security-reviewer", model=scripted(again, [{"content": "fine"}]),
                   progress=notices.append)
    )  # fmt: skip
    assert "security-reviewer (instead of the session's general-purpose)" in notices[0].text


HEALTH_TASK = 'create app.py with a FastAPI GET /health that returns {"status": "ok"}'
TWO_ROUTES = HEALTH_TASK + ' and GET /version that returns {"version": "1.0"}'
HEALTH_ANSWER = """```python
def get_health(*, store: Store) -> Any:
    return {"status": "ok"}
```"""
VERSION_ANSWER = """```python
def get_version(*, store: Store) -> Any:
    return {"version": "1.0"}
```"""


def test_a_new_service_in_prose_on_a_small_model_is_built_from_a_derived_spec(
    workspace: Path, tmp_path: Path
) -> None:
    (workspace / ".bdev").mkdir()
    (workspace / ".bdev" / "config.toml").write_text('[models."scripted:small"]\nsmall = true\n')
    derive = {
        "inputs": [], "success": 200, "returns": "object", "errors": [],
        "returned_fields": [{"name": "status", "type": "string"}], "login_required": False,
    }  # fmt: skip
    from bdev.llm.scripted import ScriptedModel

    version = {**derive, "returned_fields": [{"name": "version", "type": "string"}]}
    model = ScriptedModel.from_turns(
        [
            {"tool_calls": [{"name": "operation", "arguments": derive}]},
            {"tool_calls": [{"name": "operation", "arguments": version}]},
            {"content": HEALTH_ANSWER},
            {"content": VERSION_ANSWER},
        ]
    )
    notices: list[Notice] = []
    outcome = start(
        request(
            workspace, "scripted:small", task=TWO_ROUTES, gates=False,
            progress=notices.append, model_factory=lambda _spec: model,
        )
    )  # fmt: skip
    assert outcome.route is Route.SPEC_FIRST
    assert outcome.build is not None
    assert sorted(outcome.build.implemented_by_model) == ["get_health", "get_version"]
    derived = json.loads((workspace / ".bdev" / "openapi.json").read_text())
    reply = derived["paths"]["/health"]["get"]["responses"]["200"]["content"]
    status = derived["components"]["schemas"]["Health"]["properties"]["status"]
    assert "$ref" in reply["application/json"]["schema"] and status == {"type": "string"}
    assert 'return {"status": "ok"}' in (workspace / "app.py").read_text()
    said = [n.text for n in notices]
    assert any("deriving its OpenAPI document" in t for t in said)
    assert "operation GET /health" in said
    # The transcript holds the derivation's slot as it happened.
    kinds = [e["type"] for e in events(workspace, outcome.session_id or "")]
    assert "slot_attempt" in kinds


def test_a_prose_task_goes_to_the_loop_on_a_large_model_one_route_or_a_busy_workspace(
    workspace: Path, tmp_path: Path
) -> None:
    large = start(
        request(workspace, scripted(tmp_path, [{"content": "done"}]), task=TWO_ROUTES,
                gates=False, workflow=WorkflowMode.NONE)
    )  # fmt: skip
    assert large.route is Route.LOOP
    (workspace / ".bdev").mkdir(exist_ok=True)
    (workspace / ".bdev" / "config.toml").write_text('[models."scripted:small"]\nsmall = true\n')
    from bdev.llm.scripted import ScriptedModel

    one_route = start(
        request(workspace, "scripted:small", task=HEALTH_TASK, gates=False,
                model_factory=lambda _spec: ScriptedModel.from_turns([{"content": "done"}]))
    )  # fmt: skip
    assert one_route.route is not Route.SPEC_FIRST
    assert [p.name for p in workspace.iterdir() if not p.name.startswith(".")] == []
    (workspace / "main.py").write_text("print('an existing project')\n")

    busy = start(
        request(workspace, "scripted:small", task=TWO_ROUTES, gates=False,
                model_factory=lambda _spec: ScriptedModel.from_turns([{"content": "done"}]))
    )  # fmt: skip
    assert busy.route is not Route.SPEC_FIRST
    assert not (workspace / ".bdev" / "openapi.json").exists()
