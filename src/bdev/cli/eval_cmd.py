"""`bdev eval`: rendering only; the work is in bdev.evaluation."""

from __future__ import annotations

import json
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
from bdev.evaluation.harness import evaluate as run_evaluation
from bdev.evaluation.reference import default_reference_dir

err = Console(stderr=True, highlight=False)
DEFAULT_SUITE = Path("benchmarks") / "scenarios"


def evaluate(
    model: Annotated[
        str | None,
        typer.Option(help="local | openai:MODEL | anthropic:MODEL | scripted:FILE"),
    ] = None,
    strategy: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Repeat to run several: {' | '.join(NAMES)}. Default: all but reference."
        ),
    ] = None,
    scenarios: Annotated[
        str | None,
        typer.Option(help="A suite folder, one scenario folder, or a glob such as '0[1-3]-*'."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Where built services and results go.")] = Path(
        ".bdev/eval"
    ),
    json_output: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run strategies over bdev's scenario suite: pass@1, sec_pass@1, tokens, time."""
    suite_dir, chosen = _scenarios(scenarios)
    names = strategy or list(MODEL_STRATEGIES)
    strategies = [make_strategy(n, reference_dir=default_reference_dir(suite_dir)) for n in names]
    the_model = None
    if any(s.needs_model for s in strategies):
        from bdev.config import load_config
        from bdev.llm.resolve import model_from_config

        config = load_config(Path.cwd())
        the_model = model_from_config(model or config.model, config)
    err.print(
        f"[bold]eval:[/] {len(chosen)} scenarios x {', '.join(names)}"
        + (f" with {the_model.name}" if the_model else "")
    )
    report = run_evaluation(
        chosen,
        strategies,
        the_model,
        out,
        progress=lambda text: err.print(f"[dim]{escape(text)}[/]"),
    )
    report.write_json(out / "results.json")
    if json_output:
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


def _default_suite() -> Path:
    if DEFAULT_SUITE.is_dir():
        return DEFAULT_SUITE
    # An editable install: the suite sits in the checkout beside src/.
    checkout = Path(__file__).resolve().parents[3] / DEFAULT_SUITE
    if checkout.is_dir():
        return checkout
    raise BdevError(f"no scenario suite at {DEFAULT_SUITE}: pass one with --scenarios DIR")


def _render(report: EvalReport) -> None:
    console = Console(highlight=False)
    table = Table(
        "scenario", "strategy", "pass", "sec_pass", "tokens in/out", "time (s)", "why not"
    )
    for r in report.runs:
        skip = "skip" if r.skipped else None
        table.add_row(
            r.scenario,
            r.strategy,
            skip or _mark(r.passed),
            skip or _mark(r.sec_passed),
            f"{r.build.tokens_in}/{r.build.tokens_out}",
            f"{r.seconds:.0f}",
            escape(r.why()[:100]),
        )
    console.print(table)
    totals = Table("strategy", "scenarios", "pass@1", "sec_pass@1", "tokens in/out", "time (s)")
    for t in report.totals():
        totals.add_row(
            t.strategy,
            str(t.scenarios),
            f"{t.pass_at_1:.0%} ({t.passes})",
            f"{t.sec_pass_at_1:.0%} ({t.sec_passes})",
            f"{t.tokens_in}/{t.tokens_out}",
            f"{t.seconds:.0f}",
        )
    console.print(totals)


def _mark(flag: bool) -> str:
    return "[green]yes[/]" if flag else "[red]no[/]"
