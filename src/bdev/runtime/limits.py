"""How a run ends: its status, the process exit code for it, and the limits that stop it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RunStatus(StrEnum):
    COMPLETED = "completed"
    MAX_STEPS = "max_steps"
    TIME_LIMIT = "time_limit"
    TOKEN_LIMIT = "token_limit"
    COST_LIMIT = "cost_limit"
    FORMAT_ERRORS = "format_errors"  # too many malformed tool calls in a row
    MODEL_ERROR = "model_error"
    INTERRUPTED = "interrupted"


# Each way of ending has its own exit code, so scripts can tell them apart.
EXIT_CODES: dict[RunStatus, int] = {
    RunStatus.COMPLETED: 0,
    RunStatus.MAX_STEPS: 3,
    RunStatus.TIME_LIMIT: 4,
    RunStatus.TOKEN_LIMIT: 5,
    RunStatus.COST_LIMIT: 6,
    RunStatus.FORMAT_ERRORS: 7,
    RunStatus.MODEL_ERROR: 8,
    RunStatus.INTERRUPTED: 130,
}


@dataclass
class Limits:
    max_steps: int = 40
    max_seconds: float | None = None
    max_tokens: int | None = None  # input + output, summed over the run
    max_cost: float | None = None  # USD, when a price is configured
    max_format_errors: int = 4  # malformed turns in a row before giving up
