"""What a strategy is: a way to turn a scenario into a service in a folder."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from bdev.evaluation.scenario import Scenario
from bdev.llm.base import Model

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Strategy(Protocol):
    name: str
    # False for strategies that call no model (reference): the CLI then loads none.
    needs_model: bool

    def build(self, scenario: Scenario, model: Model | None, out_dir: Path) -> BuildOutcome: ...


def task_text(scenario: Scenario) -> str:
    """The task every model-driven strategy gets: paragraph, spec, and the file contract."""
    return (
        f"Build this backend service in Python.\n\n{scenario.paragraph}\n\n"
        f"The OpenAPI document it must implement:\n```yaml\n{scenario.spec_text.strip()}\n```\n\n"
        f"Write {APP_FILE} with a {scenario.framework} app named `app` that implements "
        "every operation exactly as specified. It is started with "
        f"`python -m uvicorn app:app --port PORT` from the folder holding {APP_FILE}. "
        "Use only the Python standard library, fastapi, pydantic and uvicorn. "
        "Make it secure: validate input, never build SQL or shell commands from input, "
        "never evaluate input as code, keep files inside their folder, check "
        "authorization on every protected operation, hash passwords with a salted slow "
        "hash, and bound the size of every result and request."
    )
