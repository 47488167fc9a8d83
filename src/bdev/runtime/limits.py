"""How a run ends: its status, the process exit code for it, and the limits that stop it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bdev.config import LimitsConfig

_DEFAULTS = LimitsConfig()


class RunStatus(StrEnum):
    COMPLETED = "completed"
    MAX_STEPS = "max_steps"
    TIME_LIMIT = "time_limit"
    TOKEN_LIMIT = "token_limit"
    COST_LIMIT = "cost_limit"
    FORMAT_ERRORS = "format_errors"  # too many turns in a row with no call that ran
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
    """What stops a run; the defaults are the configuration's (`[limits]`)."""

    max_steps: int = _DEFAULTS.max_steps
    max_seconds: float | None = _DEFAULTS.max_seconds
    max_tokens: int | None = _DEFAULTS.max_tokens  # input + output, summed over the run
    max_cost: float | None = _DEFAULTS.max_cost  # USD, when a price is configured
    max_format_errors: int = _DEFAULTS.max_format_errors  # wasted turns in a row

    @classmethod
    def from_config(cls, limits: LimitsConfig) -> Limits:
        return cls(**limits.model_dump())
