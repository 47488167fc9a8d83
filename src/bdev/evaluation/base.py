"""What a strategy is: a way to turn a scenario into a service in a folder."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from bdev.evaluation.scenario import Scenario
from bdev.llm.base import Model
from bdev.prompts import render

# Every built service is started the same way; the task tells strategies to write this.
APP_FILE = "app.py"


@dataclass
class BuildOutcome:
    """How building went. `ok` says a service was written, not that it works; `skipped`
    marks a strategy that could not run at all here (not counted in the totals)."""

    ok: bool
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    notes: str = ""
    skipped: bool = False
    steps: int = 0  # model turns the loop strategies took
    # Model replies in the run's transcripts, and those that were not one valid action
    # (see evaluation.replies); 0 and 0 for strategies that call no model.
    replies: int = 0
    malformed: int = 0
    # The user stopped it (Ctrl-C, SIGTERM): the suite stops too, with what it has.
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Strategy(Protocol):
    name: str
    # False for strategies that call no model (reference): the CLI then loads none.
    needs_model: bool

    def build(self, scenario: Scenario, model: Model | None, out_dir: Path) -> BuildOutcome: ...


def task_text(scenario: Scenario) -> str:
    """The task every model-driven strategy gets: paragraph, spec, and the file contract."""
    return render(
        "eval_task",
        paragraph=scenario.paragraph,
        spec_text=scenario.spec_text,
        app_file=APP_FILE,
        framework=scenario.framework,
    )
