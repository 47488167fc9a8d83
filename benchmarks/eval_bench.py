"""spec-first vs plain loop vs single shot over bdev's scenario suite, on one model.

    python benchmarks/eval_bench.py [--model local] [--scenarios GLOB] [--out DIR]
                                    [--strategy NAME ...] [--no-readme]
    python benchmarks/eval_bench.py --tables RESULTS.json [RESULTS.json ...]

Runs `bdev.evaluation.evaluate` (the harness behind `bdev eval`), writes results.json
into --out, and replaces the figures between the eval-results markers of
benchmarks/README.md. A run on part of the suite is labelled "partial" there.
The full suite on the embedded 1.5B model takes over an hour on 2 cores.
--tables runs nothing: it writes the README's tables from the results.json of runs made
side by side with --no-readme (say, the baselines and spec-first as two processes), each
strategy's row counting the scenarios it finished. It reads change-suite results too, and
counts the replies of loop runs saved before `bdev eval` counted them, from the
transcripts beside their results.json.
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
from bdev.evaluation.replies import count_replies
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
    parser.add_argument("--tables", type=Path, nargs="+", help="results.json files to tabulate")
    args = parser.parse_args()
    if args.tables:
        figures = _tables(args.tables)
        if not args.no_readme:
            _write_figures(figures)
        print(figures)
        return 0

    scenarios = load_suite(SUITE, args.scenarios)
    names = args.strategy or list(MODEL_STRATEGIES)
    strategies = [make_strategy(n, reference_dir=default_reference_dir(SUITE)) for n in names]
    model = create_model(args.model) if any(s.needs_model for s in strategies) else None
    started = dt.datetime.now(dt.UTC)
    report = EvalReport(model=model.name if model is not None else "none")
    suite_size = len(load_suite(SUITE))
    # One scenario at a time, writing after each: a run stopped early keeps its figures.
    for done, scenario in enumerate(scenarios, start=1):
        part = evaluate(
            [scenario], strategies, model, args.out, progress=lambda t: print(t, flush=True)
        )
        report.runs += part.runs
        report.write_json(args.out / "results.json")
        figures = _figures(report, started, scenarios[:done], suite_size)
        if not args.no_readme:
            _write_figures(figures)
    print(figures)
    return 0


def _tables(files: list[Path]) -> str:
    """One report from runs made side by side, in suite order."""
    reports = [EvalReport.read_json(f) for f in files]
    for file, report in zip(files, reports, strict=True):
        _count_replies(report, file.parent)
    models = {r.model for r in reports}
    if len(models) != 1:
        raise SystemExit(f"--tables: the runs used different models: {sorted(models)}")
    runs = [r for rep in reports for r in rep.runs]
    # Suite order for bdev's own scenarios; any other set (the held-out one) by name.
    known = [s.slug for s in load_suite(SUITE)]
    slugs = known if all(r.scenario in known for r in runs) else sorted({r.scenario for r in runs})
    runs.sort(key=lambda r: slugs.index(r.scenario))
    merged = EvalReport(models.pop(), runs)
    done = {t.strategy: t.scenarios for t in merged.totals()}
    scope = ", ".join(f"{name} {n} of {len(slugs)}" for name, n in done.items())
    when = dt.datetime.now(dt.UTC)
    return (
        f"Tabulated {when:%Y-%m-%d %H:%M} UTC from {len(files)} run(s) on "
        f"the same machine, model `{merged.model}`; scenarios finished per strategy: {scope}; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}.\n\n" + merged.markdown()
    )


def _count_replies(report: EvalReport, out: Path) -> None:
    """Runs saved before bdev eval counted replies: counted now from the transcripts kept
    in their folders (loops only: older program-led transcripts cannot tell a malformed
    reply from an answer its checks refused)."""
    for run in report.runs:
        service = out / run.strategy / run.folder / "service"
        if run.build.replies == 0 and run.strategy.endswith("-loop") and service.is_dir():
            replies = count_replies(service)
            run.build.replies, run.build.malformed = replies.total, replies.malformed


def _figures(
    report: EvalReport, started: dt.datetime, done: list[Scenario], suite_size: int
) -> str:
    scope = "full suite" if len(done) == suite_size else (
        f"PARTIAL: {len(done)} of {suite_size} scenarios ({', '.join(s.slug for s in done)})"
    )  # fmt: skip
    return (
        f"Run {started:%Y-%m-%d %H:%M} UTC, model `{report.model}`, {scope}; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}.\n\n" + report.markdown()
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
