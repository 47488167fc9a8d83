"""spec-first vs plain loop vs single shot over bdev's scenario suite, on one model.

    python benchmarks/eval_bench.py [--model local] [--scenarios GLOB] [--out DIR]
                                    [--strategy NAME ...] [--no-readme] [--merge FILE]

Runs `bdev.evaluation.evaluate` (the harness behind `bdev eval`), writes results.json
into --out, and replaces the figures between the eval-results markers of
benchmarks/README.md. A run on part of the suite is labelled "partial" there.
The full suite on the embedded 1.5B model takes over an hour on 2 cores.
--merge adds the runs of an earlier results.json (say, the baselines, run first with
--no-readme) to this run's tables; the README then says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
from pathlib import Path

from bdev.evaluation import (
    MODEL_STRATEGIES,
    EvalReport,
    Scenario,
    evaluate,
    load_suite,
    make_strategy,
)
from bdev.evaluation.reference import default_reference_dir
from bdev.llm.resolve import create_model
from bdev.tools.fileio import write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "benchmarks" / "scenarios"
README = ROOT / "benchmarks" / "README.md"
START, END = "<!-- eval-results:start -->", "<!-- eval-results:end -->"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--scenarios", default=None, help="glob on scenario folder names")
    parser.add_argument("--strategy", action="append", choices=[*MODEL_STRATEGIES, "reference"])
    parser.add_argument("--out", type=Path, default=ROOT / ".bdev" / "eval-bench")
    parser.add_argument("--no-readme", action="store_true", help="do not touch the README")
    parser.add_argument("--merge", type=Path, help="results.json of an earlier run to include")
    args = parser.parse_args()

    scenarios = load_suite(SUITE, args.scenarios)
    names = args.strategy or list(MODEL_STRATEGIES)
    strategies = [make_strategy(n, reference_dir=default_reference_dir(SUITE)) for n in names]
    model = create_model(args.model) if any(s.needs_model for s in strategies) else None
    started = dt.datetime.now(dt.UTC)
    report = EvalReport(model=model.name if model is not None else "none")
    earlier = EvalReport.read_json(args.merge) if args.merge else None
    suite_size = len(load_suite(SUITE))
    # One scenario at a time, writing after each: a run stopped early keeps its figures.
    for done, scenario in enumerate(scenarios, start=1):
        part = evaluate(
            [scenario], strategies, model, args.out, progress=lambda t: print(t, flush=True)
        )
        report.runs += part.runs
        report.write_json(args.out / "results.json")
        shown = _merged(earlier, report, scenarios[:done]) if earlier else report
        figures = _figures(shown, started, scenarios[:done], suite_size, merged=args.merge)
        if not args.no_readme:
            _write_figures(figures)
    print(figures)
    return 0


def _merged(earlier: EvalReport, report: EvalReport, done: list[Scenario]) -> EvalReport:
    """Both runs' records for the scenarios done so far, scenario by scenario."""
    if earlier.model != report.model:
        raise SystemExit(f"--merge: model {earlier.model!r} is not {report.model!r}")
    slugs = [s.slug for s in done]
    runs = [r for r in earlier.runs + report.runs if r.scenario in slugs]
    runs.sort(key=lambda r: slugs.index(r.scenario))  # stable: strategy order is kept
    return EvalReport(report.model, runs)


def _figures(
    report: EvalReport,
    started: dt.datetime,
    done: list[Scenario],
    suite_size: int,
    merged: Path | None = None,
) -> str:
    scope = "full suite" if len(done) == suite_size else (
        f"PARTIAL: {len(done)} of {suite_size} scenarios ({', '.join(s.slug for s in done)})"
    )  # fmt: skip
    also = f" Includes the runs of {merged.name} from the run just before it." if merged else ""
    return (
        f"Run {started:%Y-%m-%d %H:%M} UTC, model `{report.model}`, {scope}; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}.{also}\n\n"
        + report.markdown()
    )


def _write_figures(figures: str) -> None:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"{README} has no {START} ... {END} markers; figures not written", file=sys.stderr)
        return
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    write_text_atomic(README, f"{head}{START}\n{figures}{END}{tail}")


if __name__ == "__main__":
    sys.exit(main())
