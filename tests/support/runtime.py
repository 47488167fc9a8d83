from __future__ import annotations

import json
from pathlib import Path

from bdev.agents.definition import AgentDefinition, load_definition
from bdev.agents.registry import AgentRegistry
from bdev.config import load_config
from bdev.llm.base import Model
from bdev.llm.scripted import ScriptedModel
from bdev.runtime.runner import Runner


def write_agent(
    directory: Path,
    name: str,
    tools: str | None = None,
    model: str | None = None,
    body: str = "You are a test agent.",
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["---", f"name: {name}", f"description: Test agent {name} for runtime tests."]
    if tools is not None:
        lines.append(f"tools: {tools}")
    if model is not None:
        lines.append(f"model: {model}")
    lines += ["---", "", body, ""]
    path = directory / f"{name}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def make_runner(
    workspace: Path,
    turns: list[dict],
    mode: str = "bypassPermissions",
    *,
    model: Model | None = None,
    **flags: object,
) -> Runner:
    """A runner whose model replays `turns` (or is `model`), with config `flags`."""
    config = load_config(workspace, {"permissions.mode": mode, **flags})
    registry = AgentRegistry(project_root=workspace, user_dir=workspace / "no-user-agents")
    the_model = model or ScriptedModel.from_turns(turns)
    return Runner(
        workspace=workspace,
        config=config,
        registry=registry,
        model_factory=lambda spec: the_model,
        model_override="scripted:test",
    )


def agent_def(workspace: Path, name: str = "tester", tools: str | None = None) -> AgentDefinition:
    return load_definition(write_agent(workspace / ".claude" / "agents", name, tools))


def events(workspace: Path, session_id: str) -> list[dict]:
    path = workspace / ".bdev" / "sessions" / f"{session_id}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]
