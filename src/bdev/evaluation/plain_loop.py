"""plain-loop: bdev's own agent loop (the general-purpose agent, no workflow) on the task.

This is what `bdev run --workflow none --permission-mode bypassPermissions` does, with
the workspace set to the output folder so every tool stays confined to it. The agent
keeps its file and shell tools but not `Task`: a sub-agent gets limits of its own, which
would let one build run far past the step and time bounds measured here.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from bdev.agents.registry import AgentRegistry
from bdev.config import load_config
from bdev.evaluation.base import APP_FILE, BuildOutcome, task_text
from bdev.evaluation.scenario import Scenario
from bdev.llm.base import Model
from bdev.runtime.runner import Runner

AGENT = "general-purpose"
TOOLS = ["Read", "Write", "Edit", "LS", "Glob", "Grep", "Bash"]


class PlainLoop:
    name = "plain-loop"
    needs_model = True

    def __init__(self, max_steps: int = 25, max_seconds: float = 900.0) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds

    def build(self, scenario: Scenario, model: Model | None, out_dir: Path) -> BuildOutcome:
        if model is None:
            return BuildOutcome(ok=False, notes="no model given")
        out_dir.mkdir(parents=True, exist_ok=True)
        flags = {
            "limits.max_steps": self.max_steps,
            "limits.max_seconds": self.max_seconds,
            "permissions.mode": "bypassPermissions",
        }
        # The user's own agent folder could shadow the built-in agent: point it nowhere.
        registry = AgentRegistry(project_root=out_dir, user_dir=out_dir / ".no-user-agents")
        runner = Runner(
            workspace=out_dir.resolve(),
            config=load_config(out_dir, flags),
            registry=registry,
            model_override=model.name,
            model_factory=lambda _spec: model,
        )
        start = time.monotonic()
        agent = dataclasses.replace(registry.get(AGENT), tools=TOOLS)
        _, result = runner.start(task_text(scenario), agent)
        written = (out_dir / APP_FILE).is_file()
        notes = f"{result.status.value} after {result.steps} steps"
        if result.detail:
            notes += f": {result.detail}"
        if not written:
            notes += f"; no {APP_FILE} written"
        return BuildOutcome(
            ok=written,
            tokens_in=result.usage.input_tokens,
            tokens_out=result.usage.output_tokens,
            seconds=time.monotonic() - start,
            notes=notes,
        )
