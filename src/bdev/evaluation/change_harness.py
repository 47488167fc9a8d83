"""The change suite's loop: each task x each change strategy -> copy, change, start, test.

The work folder gets a copy of the task's `service/` only; `hidden/` stays where it is
and is run from there, after the strategy is done. Measuring is the greenfield
harness's (`harness.measure`), with the task's start command and `SERVICE_DIR` for the
hidden tests that look inside the service (query counts, migrations).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from bdev.errors import BdevError
from bdev.evaluation.base import BuildOutcome
from bdev.evaluation.change import ChangeTask
from bdev.evaluation.change_strategies import IGNORED, ChangeStrategy
from bdev.evaluation.harness import EvalOptions, Progress, measure, run_suite
from bdev.evaluation.results import EvalReport, ScenarioRun
from bdev.llm.base import Model


def evaluate_changes(
    tasks: Sequence[ChangeTask],
    strategies: Sequence[ChangeStrategy],
    model: Model | None,
    out_dir: Path,
    *,
    options: EvalOptions | None = None,
    progress: Progress | None = None,
    resume: bool = False,
    samples: int = 1,
) -> EvalReport:
    """Run every strategy on every task; work folders and logs go under out_dir/STRATEGY/SLUG."""
    opts = options or EvalOptions()

    def one(task: ChangeTask, strategy: ChangeStrategy, where: Path) -> ScenarioRun:
        return run_change(task, strategy, model, where, opts)

    return run_suite(tasks, strategies, model, out_dir, one, "changing", progress, resume, samples)


def run_change(
    task: ChangeTask,
    strategy: ChangeStrategy,
    model: Model | None,
    where: Path,
    options: EvalOptions,
) -> ScenarioRun:
    """One change and measurement in a fresh folder: where/service and where/run."""
    shutil.rmtree(where, ignore_errors=True)
    service_dir, workdir = where / "service", where / "run"
    shutil.copytree(task.service_dir, service_dir, ignore=IGNORED)
    workdir.mkdir(parents=True)
    begin = time.monotonic()
    run = ScenarioRun(task.slug, strategy.name, _change(strategy, task, model, service_dir))
    if run.build.ok:
        test_env = {"SERVICE_DIR": str(service_dir.resolve())}
        measure(run, task, service_dir, workdir, options, cmd=task.start, test_env=test_env)
    run.seconds = time.monotonic() - begin
    return run


def _change(
    strategy: ChangeStrategy, task: ChangeTask, model: Model | None, workdir: Path
) -> BuildOutcome:
    try:
        return strategy.change(task, model, workdir)
    except BdevError as e:
        return BuildOutcome(ok=False, notes=str(e))
    except Exception as e:  # a crashing strategy is one failed change, not a lost suite
        return BuildOutcome(ok=False, notes=f"strategy crashed: {type(e).__name__}: {e}")
