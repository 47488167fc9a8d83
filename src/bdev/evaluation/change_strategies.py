"""Change strategies: ways to make a requested change to a service already in a folder.

A strategy gets the task's request and a work folder holding a copy of the task's
`service/`; it never sees the hidden tests. Every model strategy is a real bdev path:
- `plain-loop`: the agent loop with the backend developer agent, no workflow;
- `constrained-loop`: the same with the local model's grammar-constrained decoding;
- `workflow`: what `bdev run TASK --workspace DIR` does, via `runtime.dispatch.start`;
- `reference`: no model; overlays the hand-written solution, to validate the suite.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Protocol

from bdev.errors import BdevError
from bdev.evaluation.base import BuildOutcome
from bdev.evaluation.change import ChangeTask
from bdev.evaluation.plain_loop import decoding, has_grammar, loop_notes, no_grammar, run_loop
from bdev.llm.base import Model
from bdev.prompts import render
from bdev.runtime.dispatch import Overrides, RunRequest, start
from bdev.runtime.loop import RunResult

AGENT = "backend-developer"
DEFAULT_START = "python -m uvicorn app:app --port PORT"

CHANGE_NAMES = ("plain-loop", "constrained-loop", "workflow", "reference")
CHANGE_MODEL_STRATEGIES = CHANGE_NAMES[:3]


class ChangeStrategy(Protocol):
    name: str
    needs_model: bool  # False: the CLI loads no model

    def change(self, task: ChangeTask, model: Model | None, workdir: Path) -> BuildOutcome: ...


def change_text(task: ChangeTask) -> str:
    start = (task.start or DEFAULT_START).replace("{port}", "PORT")
    return render("change_task", framework=task.framework, request=task.request, start=start)


def _outcome(result: RunResult, seconds: float, notes: str) -> BuildOutcome:
    # The service was there before the run: whatever state the loop left it in is
    # measured, so `ok` is always true once the model was called.
    return BuildOutcome(
        ok=True,
        tokens_in=result.usage.input_tokens,
        tokens_out=result.usage.output_tokens,
        seconds=seconds,
        notes=notes,
        steps=result.steps,
    )


class PlainChangeLoop:
    """The loop, with the local model's tool-call grammar off (`plain-loop`) or on
    (`constrained-loop`; models without one are skipped)."""

    needs_model = True

    def __init__(
        self, max_steps: int = 30, max_seconds: float = 900.0, *, constrained: bool = False
    ) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.constrained = constrained
        self.name = "constrained-loop" if constrained else "plain-loop"

    def change(self, task: ChangeTask, model: Model | None, workdir: Path) -> BuildOutcome:
        if model is None:
            return BuildOutcome(ok=False, notes="no model given")
        if self.constrained and not has_grammar(model):
            return no_grammar(model)
        start = time.monotonic()
        with decoding(model, constrained=self.constrained):
            result = run_loop(
                workdir, model, change_text(task), AGENT, self.max_steps, self.max_seconds
            )
        return _outcome(result, time.monotonic() - start, loop_notes(result))


class WorkflowChange:
    """`bdev run TASK --workspace DIR` as its defaults decide (router, auto workflow,
    gates), with the model handed in and permissions bypassed (no one is there to ask)."""

    name = "workflow"
    needs_model = True

    def __init__(self, max_steps: int = 30, max_seconds: float = 900.0, gates: bool = True):
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.gates = gates

    def change(self, task: ChangeTask, model: Model | None, workdir: Path) -> BuildOutcome:
        if model is None:
            return BuildOutcome(ok=False, notes="no model given")
        begin = time.monotonic()
        outcome = start(
            RunRequest(
                task=change_text(task),
                workspace=workdir,
                model=model.name,
                model_factory=lambda _spec: model,
                overrides=Overrides(
                    max_steps=self.max_steps,
                    max_seconds=self.max_seconds,
                    permission_mode="bypassPermissions",
                ),
                gates=self.gates,
            )
        )
        seconds = time.monotonic() - begin
        notes = f"route {outcome.route.value}, agent {outcome.agent}, exit {outcome.exit_code}"
        if outcome.readiness is not None:
            notes += f", {outcome.readiness.value}"
        if outcome.run is None:  # spec-first: nothing in a change task should lead there
            return BuildOutcome(ok=True, seconds=seconds, notes=notes)
        return _outcome(outcome.run, seconds, f"{notes}; {loop_notes(outcome.run)}")


class ChangeReference:
    """Overlays `<root>/<slug>/` (full replacement files) onto the work folder; tasks
    without a reference are skipped."""

    name = "reference"
    needs_model = False

    def __init__(self, root: Path) -> None:
        self.root = root

    def change(self, task: ChangeTask, model: Model | None, workdir: Path) -> BuildOutcome:
        source = self.root / task.slug
        if not source.is_dir():
            return BuildOutcome(ok=False, skipped=True, notes=f"no reference in {source}")
        begin = time.monotonic()
        shutil.copytree(source, workdir, dirs_exist_ok=True, ignore=IGNORED)
        return BuildOutcome(ok=True, seconds=time.monotonic() - begin, notes=str(source))


# Caches a local run of a service's own tests may leave behind: never copied.
IGNORED = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.db", ".bdev")


def default_change_reference_dir(suite_dir: Path) -> Path:
    """benchmarks/changes -> tests/evaluation/reference_changes in the same checkout."""
    return suite_dir.resolve().parents[1] / "tests" / "evaluation" / "reference_changes"


def make_change_strategy(name: str, *, reference_dir: Path | None = None) -> ChangeStrategy:
    if name == "plain-loop":
        return PlainChangeLoop()
    if name == "constrained-loop":
        return PlainChangeLoop(constrained=True)
    if name == "workflow":
        return WorkflowChange()
    if name == "reference":
        if reference_dir is None or not reference_dir.is_dir():
            raise BdevError(
                f"--strategy reference needs the reference solutions, not found at "
                f"{reference_dir} (they live in tests/evaluation/reference_changes of a "
                "checkout)"
            )
        return ChangeReference(reference_dir)
    raise BdevError(f"unknown change strategy {name!r}; choose from {', '.join(CHANGE_NAMES)}")
