"""The evaluation loop: each scenario x each strategy -> build, start, test, record.

Every step is bounded in time: strategies carry their own limits (steps, seconds), the
service must answer within `start_timeout_s`, and each test file gets `test_timeout_s`.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from bdev.backend.audit.startup import StartupError
from bdev.errors import BdevError
from bdev.evaluation.base import BuildOutcome, Strategy
from bdev.evaluation.measure import (
    Measured,
    constraint_violations,
    run_environment,
    run_test_file,
    started,
)
from bdev.evaluation.results import (
    EvalReport,
    ScenarioRun,
    kept_run,
    revision,
    sample_folder,
    save_run,
)
from bdev.evaluation.scenario import Scenario
from bdev.llm.base import Model, model_setting

Progress = Callable[[str], None]


class Named(Protocol):
    name: str


Item = TypeVar("Item", bound=Measured)
S = TypeVar("S", bound=Named)


@dataclass(frozen=True)
class EvalOptions:
    start_timeout_s: float = 30.0
    test_timeout_s: float = 180.0


def evaluate(
    scenarios: Sequence[Scenario],
    strategies: Sequence[Strategy],
    model: Model | None,
    out_dir: Path,
    *,
    options: EvalOptions | None = None,
    progress: Progress | None = None,
    resume: bool = False,
    samples: int = 1,
) -> EvalReport:
    """Run every strategy on every scenario; services and logs go under out_dir/STRATEGY/SLUG."""
    opts = options or EvalOptions()

    def one(scenario: Scenario, strategy: Strategy, where: Path) -> ScenarioRun:
        return run_one(scenario, strategy, model, where, opts)

    return run_suite(
        scenarios, strategies, model, out_dir, one, "building", progress, resume, samples
    )


def run_suite(
    items: Sequence[Item],
    strategies: Sequence[S],
    model: Model | None,
    out_dir: Path,
    run: Callable[[Item, S, Path], ScenarioRun],
    doing: str,
    progress: Progress | None,
    resume: bool,
    samples: int = 1,
) -> EvalReport:
    """The loop both suites share: each item x each strategy in out_dir/STRATEGY/SLUG.

    Each finished run is saved beside its service (`result.json`) and the whole report so
    far in out_dir/results.json, so a stopped suite loses only the run in progress. With
    `resume`, a run saved by the same model and the same bdev code is kept, not redone:
    a suite of several hours can be finished in parts and still be one measurement.

    `samples` > 1 runs the whole suite that many times, sample K in out_dir/STRATEGY/
    SLUG@K with the model's seed moved on by K - 1 (a model without a seed, a remote
    API, simply samples again): one run per scenario is one draw of a small model whose
    replies turn on any byte of the prompt, and pass@1 over several is its mean."""
    say = progress or (lambda _text: None)
    report = EvalReport(model=model.name if model is not None else "none", revision=revision())
    runs = [
        (item, strategy, sample)
        for sample in range(1, samples + 1)  # a stopped suite has whole samples first
        for item in items
        for strategy in strategies
    ]
    for number, (item, strategy, sample) in enumerate(runs, start=1):
        folder = sample_folder(item.slug, sample)
        head = f"[{number}/{len(runs)}] {folder} / {strategy.name}"
        where = out_dir / strategy.name / folder
        kept, why_not = kept_run(where, report, sample) if resume else (None, "")
        if kept is not None:
            report.runs.append(kept)
            say(f"{head}: {verdict(kept)} (kept from {where})")
            continue
        again = f" again: the saved run was not kept, {why_not}" if why_not else ""
        say(f"{head}: {doing}{again}")
        with _sampled(model, sample):
            result = run(item, strategy, where)
        result.sample = sample
        report.runs.append(result)
        save_run(where, result, report)
        report.write_json(out_dir / "results.json")
        say(f"{head}: {verdict(result)} in {result.seconds:.0f} s {result.why()}".rstrip())
        if result.build.interrupted:
            say("interrupted: the rest of the suite is not run")
            return report
    return report


def _sampled(model: Model | None, sample: int) -> AbstractContextManager[None]:
    """For sample K, the model's seed (when it has one) moved on by K - 1."""
    if model is None:
        return contextlib.nullcontext()
    return model_setting(model, "seed", lambda seed: seed + sample - 1)


def run_one(
    scenario: Scenario, strategy: Strategy, model: Model | None, where: Path, options: EvalOptions
) -> ScenarioRun:
    """One build and measurement in a fresh folder: where/service and where/run."""
    shutil.rmtree(where, ignore_errors=True)
    service_dir, workdir = where / "service", where / "run"
    service_dir.mkdir(parents=True)
    workdir.mkdir(parents=True)
    begin = time.monotonic()
    run = ScenarioRun(scenario.slug, strategy.name, _build(strategy, scenario, model, service_dir))
    if run.build.ok:
        measure(run, scenario, service_dir, workdir, options)
    run.seconds = time.monotonic() - begin
    return run


def _build(strategy: Strategy, scenario: Scenario, model: Model | None, out: Path) -> BuildOutcome:
    try:
        return strategy.build(scenario, model, out)
    except BdevError as e:
        return BuildOutcome(ok=False, notes=str(e))
    except Exception as e:  # a crashing strategy is one failed build, not a lost suite
        return BuildOutcome(ok=False, notes=f"strategy crashed: {type(e).__name__}: {e}")


def measure(
    run: ScenarioRun,
    scenario: Measured,
    service_dir: Path,
    workdir: Path,
    options: EvalOptions,
    *,
    cmd: str | None = None,
    test_env: dict[str, str] | None = None,
) -> None:
    """Start the service in service_dir and run the hidden test files against it; `cmd`
    overrides the start command, `test_env` is given to the tests only. A scenario's
    `start` (and fixed `port`) is how its service starts; a service that breaks the task's
    constraints (allowed packages, allowed files) fails its functional result."""
    # Checked before start-up: the running service may add files of its own.
    violations = constraint_violations(scenario, service_dir)
    env = run_environment(scenario, workdir)
    suite_root = scenario.path.parent
    log, timeout_s = workdir / "service.log", options.start_timeout_s
    port: int | None = getattr(scenario, "port", None)
    if cmd is None:
        cmd = getattr(scenario, "start", None)
    try:
        with started(service_dir, env, log, timeout_s, cmd, port) as svc:
            run.started = True
            # Functional first: the exploit tests may leave the service busy or broken.
            for attr, test_file in (
                ("functional", scenario.functional_tests),
                ("exploits", scenario.exploit_tests),
            ):
                tally = run_test_file(
                    test_file,
                    suite_root,
                    base_url=svc.base_url,
                    env={**env, **(test_env or {})},
                    workdir=workdir,
                    timeout_s=options.test_timeout_s,
                    service_dir=service_dir,
                )
                setattr(run, attr, tally)
    except (StartupError, BdevError) as e:
        run.start_error = str(e)
    run.functional.failed.extend(violations)


def verdict(run: ScenarioRun) -> str:
    if run.skipped:
        return "-"
    return "sec_pass" if run.sec_passed else "pass" if run.passed else "fail"
