"""Change strategies: ways to make a requested change to a service already in a folder.

A strategy gets the task's request and a work folder holding a copy of the task's
`service/`; it never sees the hidden tests. Every model strategy is a real bdev path:
- `plain-loop`: the agent loop with the backend developer agent, no workflow;
- `constrained-loop`: the same with the local model's grammar-constrained decoding;
- `program-led`: `bdev run TASK --workspace DIR --workflow guided`, via
  `runtime.dispatch.start` (what `auto` picks on a small model);
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
from bdev.evaluation.replies import count_replies
from bdev.llm.base import Model
from bdev.prompts import render
from bdev.runtime.dispatch import Overrides, RunRequest, WorkflowMode, start
from bdev.runtime.limits import RunStatus
from bdev.runtime.loop import RunResult

AGENT = "backend-developer"
DEFAULT_START = "python -m uvicorn app:app --port PORT"

CHANGE_NAMES = ("plain-loop", "constrained-loop", "program-led", "reference")
CHANGE_MODEL_STRATEGIES = CHANGE_NAMES[:3]


class ChangeStrategy(Protocol):
    name: str
    needs_model: bool  # False: the CLI loads no model

    def change(self, task: ChangeTask, model: Model | None, workdir: Path) -> BuildOutcome: ...


def change_text(task: ChangeTask) -> str:
    start = (task.start or DEFAULT_START).replace("{port}", "PORT")
    return render("change_task", framework=task.framework, request=task.request, start=start)


def _outcome(result: RunResult, workdir: Path, seconds: float, notes: str) -> BuildOutcome:
    # The service was there before the run: whatever state the loop left it in is
    # measured, so `ok` is always true once the model was called.
    replies = count_replies(workdir)
    return BuildOutcome(
        ok=True,
        interrupted=result.status is RunStatus.INTERRUPTED,
        tokens_in=result.usage.input_tokens,
        tokens_out=result.usage.output_tokens,
        seconds=seconds,
        notes=notes,
        steps=result.steps,
        replies=replies.total,
        malformed=replies.malformed,
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
        return _outcome(result, workdir, time.monotonic() - start, loop_notes(result))


class ProgramLedChange:
    """`bdev run TASK --workspace DIR --workflow guided` (what `auto` picks on a small
    model): bdev locates the file, the model rewrites it in checked steps, bdev writes
    the API tests and audits, failing gates come back for another round. The model is
    handed in and permissions bypassed (no one is there to ask)."""

    name = "program-led"
    needs_model = True

    def __init__(
        self,
        max_steps: int = 30,
        max_seconds: float = 900.0,
        gates: bool = True,
        rounds: int | None = None,
    ) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.gates = gates
        self.rounds = rounds

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
                workflow=WorkflowMode.GUIDED,
                rounds=self.rounds,
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
        wf = outcome.workflow
        if outcome.run is None or wf is None:  # spec-first: no change task should lead there
            return BuildOutcome(ok=True, seconds=seconds, notes=notes)
        replies = count_replies(workdir)
        return BuildOutcome(
            ok=True,
            interrupted=outcome.run.status is RunStatus.INTERRUPTED,
            tokens_in=wf.usage.input_tokens,
            tokens_out=wf.usage.output_tokens,
            seconds=seconds,
            notes=f"{notes}, {wf.rounds} round(s); {loop_notes(outcome.run)}",
            steps=wf.steps,
            replies=replies.total,
            malformed=replies.malformed,
        )


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


def make_change_strategy(
    name: str,
    *,
    reference_dir: Path | None = None,
    max_steps: int | None = None,
    rounds: int | None = None,
) -> ChangeStrategy:
    """The strategy `name`; `max_steps` bounds each agent run (default 30), `rounds`
    the program-led workflow's implementation rounds (default: the config's)."""
    steps = max_steps or 30
    if name == "plain-loop":
        return PlainChangeLoop(steps)
    if name == "constrained-loop":
        return PlainChangeLoop(steps, constrained=True)
    if name == "program-led":
        return ProgramLedChange(steps, rounds=rounds)
    if name == "reference":
        if reference_dir is None or not reference_dir.is_dir():
            raise BdevError(
                f"--strategy reference needs the reference solutions, not found at "
                f"{reference_dir} (they live in tests/evaluation/reference_changes of a "
                "checkout)"
            )
        return ChangeReference(reference_dir)
    raise BdevError(f"unknown change strategy {name!r}; choose from {', '.join(CHANGE_NAMES)}")
