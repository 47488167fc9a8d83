"""`bdev eval`: rendering only; the work is in bdev.evaluation."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bdev.errors import BdevError
from bdev.evaluation import (
    MODEL_STRATEGIES,
    NAMES,
    EvalReport,
    Scenario,
    load_suite,
    make_strategy,
)
from bdev.evaluation.change import MANIFEST as CHANGE_MANIFEST
from bdev.evaluation.change import ChangeTask, load_changes
from bdev.evaluation.change_harness import evaluate_changes
from bdev.evaluation.change_strategies import (
    CHANGE_MODEL_STRATEGIES,
    CHANGE_NAMES,
    default_change_reference_dir,
    make_change_strategy,
)
from bdev.evaluation.harness import evaluate as run_evaluation
from bdev.evaluation.reference import default_reference_dir
from bdev.evaluation.results import replies_cell
from bdev.llm.base import Model, seed_of
from bdev.team.locks import Held

err = Console(stderr=True, highlight=False)
DEFAULT_SUITE = Path("benchmarks") / "scenarios"
CHANGE_SUITE = Path("benchmarks") / "changes"


class Suite(StrEnum):
    SCENARIOS = "scenarios"  # greenfield: build a service from a spec
    CHANGES = "changes"  # change an existing service


def evaluate(
    model: Annotated[
        str | None,
        typer.Option(help="local | openai:MODEL | anthropic:MODEL | scripted:FILE"),
    ] = None,
    strategy: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Repeat to run several: {' | '.join(NAMES)}; with --suite changes: "
            f"{' | '.join(CHANGE_NAMES)}. Default: all but reference."
        ),
    ] = None,
    scenarios: Annotated[
        str | None,
        typer.Option(help="A suite folder, one scenario folder, or a glob such as '0[1-3]-*'."),
    ] = None,
    suite: Annotated[
        Suite,
        typer.Option(help="scenarios: build services from specs; changes: change services."),
    ] = Suite.SCENARIOS,
    out: Annotated[Path, typer.Option(help="Where built services and results go.")] = Path(
        ".bdev/eval"
    ),
    json_output: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    max_steps: Annotated[
        int | None, typer.Option(min=1, help="--suite changes: steps per agent run (30).")
    ] = None,
    rounds: Annotated[
        int | None,
        typer.Option(
            min=1, help="--suite changes: program-led rounds (the config's gates.max_rounds)."
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            help="Keep the runs --out already holds from the same model and bdev commit; "
            "run only the rest."
        ),
    ] = False,
    samples: Annotated[
        int,
        typer.Option(
            min=1,
            help="Run the suite N times, the embedded model's seed moved on by one each "
            "time (sample K in --out/STRATEGY/TASK@K); pass@1 is the mean over all runs.",
        ),
    ] = 1,
) -> None:
    """Run strategies over bdev's scenario suite: pass@1, sec_pass@1, tokens, time."""
    # Two runs into one folder would build over each other's services and mix results.
    held = Held(out / ".eval.lock", f"a bdev eval writing to {out}")
    try:
        if suite is Suite.CHANGES:
            _changes(
                model, strategy, scenarios, out, json_output, max_steps, rounds, resume, samples
            )
        else:
            _scenario_suite(model, strategy, scenarios, out, json_output, resume, samples)
    finally:
        held.release()


def _scenario_suite(
    model: str | None,
    strategy: list[str] | None,
    scenarios: str | None,
    out: Path,
    as_json: bool,
    resume: bool,
    samples: int,
) -> None:
    suite_dir, chosen = _scenarios(scenarios)
    names = strategy or list(MODEL_STRATEGIES)
    strategies = [make_strategy(n, reference_dir=default_reference_dir(suite_dir)) for n in names]
    the_model = _model(model) if any(s.needs_model for s in strategies) else None
    err.print(
        f"[bold]eval:[/] {len(chosen)} scenarios x {', '.join(names)}"
        + (f" with {the_model.name}" if the_model else "")
        + _samples_note(samples, the_model)
    )
    report = run_evaluation(
        chosen,
        strategies,
        the_model,
        out,
        progress=lambda text: err.print(f"[dim]{escape(text)}[/]"),
        resume=resume,
        samples=samples,
    )
    _finish(report, out, as_json)


def _samples_note(samples: int, model: Model | None) -> str:
    if samples == 1:
        return ""
    if model is not None and seed_of(model) is None:
        return f", {samples} samples each (the model has no seed to set: each is a new draw)"
    return f", {samples} samples each"


def _changes(
    model: str | None,
    strategy: list[str] | None,
    value: str | None,
    out: Path,
    as_json: bool,
    max_steps: int | None,
    rounds: int | None,
    resume: bool,
    samples: int,
) -> None:
    """`--suite changes`: the same flags over the change tasks."""
    suite_dir, tasks = _change_tasks(value)
    names = strategy or list(CHANGE_MODEL_STRATEGIES)
    reference_dir = default_change_reference_dir(suite_dir)
    strategies = [
        make_change_strategy(n, reference_dir=reference_dir, max_steps=max_steps, rounds=rounds)
        for n in names
    ]
    the_model = _model(model) if any(s.needs_model for s in strategies) else None
    err.print(
        f"[bold]eval:[/] {len(tasks)} change tasks x {', '.join(names)}"
        + (f" with {the_model.name}" if the_model else "")
        + _samples_note(samples, the_model)
    )
    report = evaluate_changes(
        tasks,
        strategies,
        the_model,
        out,
        progress=lambda text: err.print(f"[dim]{escape(text)}[/]"),
        resume=resume,
        samples=samples,
    )
    _finish(report, out, as_json)


def _model(spec: str | None) -> Model:
    from bdev.config import load_config
    from bdev.llm.resolve import model_from_config

    config = load_config(Path.cwd())
    return model_from_config(spec or config.model, config)


def _finish(report: EvalReport, out: Path, as_json: bool) -> None:
    # The harness has saved results.json after every run.
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    _render(report)
    err.print(f"results: {out / 'results.json'}")


def _scenarios(value: str | None) -> tuple[Path, list[Scenario]]:
    """--scenarios as a folder (suite or one scenario) or a glob on scenario folder names,
    relative to the suite folder unless it holds a '/'."""
    if value and Path(value).is_dir():
        path = Path(value)
        suite_dir = path.parent if (path / "scenario.toml").is_file() else path
        return suite_dir, load_suite(path)
    where, pattern = _default_suite(), value
    if value and "/" in value:
        head, _, pattern = value.rpartition("/")
        where = Path(head)
    return where, load_suite(where, pattern)


def _change_tasks(value: str | None) -> tuple[Path, list[ChangeTask]]:
    """--scenarios for the change suite: a folder (suite or one task) or a glob."""
    if value and Path(value).is_dir():
        path = Path(value)
        suite_dir = path.parent if (path / CHANGE_MANIFEST).is_file() else path
        return suite_dir, load_changes(path)
    where, pattern = _default_suite(CHANGE_SUITE), value
    if value and "/" in value:
        head, _, pattern = value.rpartition("/")
        where = Path(head)
    return where, load_changes(where, pattern)


def _default_suite(suite: Path = DEFAULT_SUITE) -> Path:
    if suite.is_dir():
        return suite
    # An editable install: the suite sits in the checkout beside src/.
    checkout = Path(__file__).resolve().parents[3] / suite
    if checkout.is_dir():
        return checkout
    raise BdevError(f"no suite at {suite}: pass one with --scenarios DIR")


def _render(report: EvalReport) -> None:
    console = Console(highlight=False)
    table = Table(
        "scenario", "strategy", "pass", "sec_pass", "steps", "tokens in/out", "time (s)", "why not"
    )
    for r in report.runs:
        skip = "skip" if r.skipped else None
        table.add_row(
            r.folder,
            r.strategy,
            skip or _mark(r.passed),
            skip or _mark(r.sec_passed),
            str(r.build.steps),
            f"{r.build.tokens_in}/{r.build.tokens_out}",
            f"{r.seconds:.0f}",
            escape(r.why()[:100]),
        )
    console.print(table)
    totals = Table(
        "strategy", report.counted, "pass@1", "sec_pass@1", "steps", "tokens in/out", "time (s)"
    )
    for t in report.totals():
        totals.add_row(
            t.strategy,
            str(t.scenarios),
            f"{t.pass_at_1:.0%} ({t.passes})",
            f"{t.sec_pass_at_1:.0%} ({t.sec_passes})",
            str(t.steps),
            f"{t.tokens_in}/{t.tokens_out}",
            f"{t.seconds:.0f}",
        )
    console.print(totals)
    # A line, not a column: the tables already fill an 80-column terminal.
    counted = [
        f"{t.strategy} {replies_cell(t.malformed, t.replies)}" for t in report.totals() if t.replies
    ]
    if counted:
        console.print(f"malformed/replies: {', '.join(counted)}")


def _mark(flag: bool) -> str:
    return "[green]yes[/]" if flag else "[red]no[/]"
