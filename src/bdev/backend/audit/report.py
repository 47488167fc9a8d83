"""The audit's result: the scorecard plus every step, as one pydantic model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bdev.backend.audit.results import StepResult
from bdev.backend.audit.scorecard import Scorecard
from bdev.backend.facts import BackendFacts


class StartInfo(BaseModel):
    """The command that starts (or would start) the service, and where it comes from."""

    command: str  # as run; "{port}" still in it when the service was not started
    source: str  # "--cmd", "Procfile line 1 (web)", "framework default (flask)", ...
    port_note: str = ""  # how the audit's port reaches the service, or why it cannot

    def line(self) -> str:
        note = f"; {self.port_note}" if self.port_note else ""
        return f"{self.command} (from {self.source}{note})"


class AuditReport(Scorecard):
    """Scorecard fields (endpoints, tests, latency_ms, error_rate, security, checklist)
    plus where, when and how long, each step's raw result, and the analysed facts."""

    root: str
    started_at: str  # ISO 8601, UTC
    duration_s: float = 0.0
    steps: list[StepResult] = Field(default_factory=list)
    facts: BackendFacts | None = None
    start: StartInfo | None = None
    # The OpenAPI document the service served (or its file), for bdev's generated tests;
    # kept out of audit.json, where the conformance step reports on it.
    openapi: dict[str, Any] | None = Field(default=None, exclude=True)

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (json.dumps it), scorecard keys first."""
        return self.model_dump(mode="json")
