"""plain-loop: bdev's own agent loop (the general-purpose agent, no workflow) on the task.

`constrained-loop` is the same loop with the local model decoding under the tool-call
grammar; `plain-loop` turns that off, to measure what the grammar is worth. A model
without the switch (a remote one) is skipped by `constrained-loop`, never measured as
if it had it.

This is what `bdev run --workflow none --permission-mode bypassPermissions` does, with
the workspace set to the output folder so every tool stays confined to it. The agent
keeps its file and shell tools but not `Task`: a sub-agent gets limits of its own, which
would let one build run far past the step and time bounds measured here.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import AbstractContextManager
from pathlib import Path

from bdev.agents.registry import AgentRegistry
from bdev.config import load_config
from bdev.evaluation.base import APP_FILE, BuildOutcome, task_text
from bdev.evaluation.replies import count_replies
from bdev.evaluation.scenario import Scenario
from bdev.llm.base import Model, model_setting
from bdev.runtime.limits import RunStatus
from bdev.runtime.loop import RunResult
from bdev.runtime.runner import Runner

AGENT = "general-purpose"
TOOLS = ["Read", "Write", "Edit", "LS", "Glob", "Grep", "Bash"]


class PlainLoop:
    needs_model = True

    def __init__(
        self, max_steps: int = 25, max_seconds: float = 900.0, *, constrained: bool = False
    ) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.constrained = constrained
        self.name = "constrained-loop" if constrained else "plain-loop"

    def build(self, scenario: Scenario, model: Model | None, out_dir: Path) -> BuildOutcome:
        if model is None:
            return BuildOutcome(ok=False, notes="no model given")
        if self.constrained and not has_grammar(model):
            return no_grammar(model)
        out_dir.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        with decoding(model, constrained=self.constrained):
            result = run_loop(
                out_dir, model, task_text(scenario), AGENT, self.max_steps, self.max_seconds
            )
        written = (out_dir / APP_FILE).is_file()
        notes = loop_notes(result)
        if not written:
            notes += f"; no {APP_FILE} written"
        replies = count_replies(out_dir)
        return BuildOutcome(
            ok=written,
            interrupted=result.status is RunStatus.INTERRUPTED,
            tokens_in=result.usage.input_tokens,
            tokens_out=result.usage.output_tokens,
            seconds=time.monotonic() - start,
            notes=notes,
            steps=result.steps,
            replies=replies.total,
            malformed=replies.malformed,
        )


def has_grammar(model: Model) -> bool:
    return hasattr(model, "constrained")


def no_grammar(model: Model) -> BuildOutcome:
    notes = f"{model.name} has no grammar-constrained decoding (the local model has)"
    return BuildOutcome(ok=False, skipped=True, notes=notes)


def decoding(model: Model, *, constrained: bool) -> AbstractContextManager[None]:
    """For one run, decode with or without the tool-call grammar (models that have one)."""
    return model_setting(model, "constrained", lambda _: constrained)


def run_loop(
    folder: Path, model: Model, task: str, agent_name: str, max_steps: int, max_seconds: float
) -> RunResult:
    """One run of bdev's loop in `folder` (the workspace every tool is confined to),
    no workflow, permissions bypassed: nobody is there to answer a question."""
    flags = {
        "limits.max_steps": max_steps,
        "limits.max_seconds": max_seconds,
        "permissions.mode": "bypassPermissions",
    }
    # The user's own agent folder could shadow the built-in agent: point it nowhere.
    registry = AgentRegistry(project_root=folder, user_dir=folder / ".no-user-agents")
    runner = Runner(
        workspace=folder.resolve(),
        config=load_config(folder, flags),
        registry=registry,
        model_override=model.name,
        model_factory=lambda _spec: model,
    )
    agent = dataclasses.replace(registry.get(agent_name), tools=TOOLS)
    _, result = runner.start(task, agent)
    return result


def loop_notes(result: RunResult) -> str:
    notes = f"{result.status.value} after {result.steps} steps"
    return f"{notes}: {result.detail}" if result.detail else notes
