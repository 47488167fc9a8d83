"""`bdev eval`: run strategies (spec-first, plain loop, single shot) over bdev's scenario
suite and measure pass@1 and sec_pass@1, tokens and wall time."""

from bdev.evaluation.base import BuildOutcome, Strategy
from bdev.evaluation.harness import EvalOptions, evaluate, run_one
from bdev.evaluation.measure import TestTally
from bdev.evaluation.results import EvalReport, ScenarioRun, Totals
from bdev.evaluation.scenario import Scenario, load_scenario, load_suite
from bdev.evaluation.strategies import MODEL_STRATEGIES, NAMES, make_strategy

__all__ = [
    "MODEL_STRATEGIES",
    "NAMES",
    "BuildOutcome",
    "EvalOptions",
    "EvalReport",
    "Scenario",
    "ScenarioRun",
    "Strategy",
    "TestTally",
    "Totals",
    "evaluate",
    "load_scenario",
    "load_suite",
    "make_strategy",
    "run_one",
]
