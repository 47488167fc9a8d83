"""spec-first: bdev's deterministic skeleton + per-operation model fill + verification.

`bdev.specfirst.pipeline` is imported when the strategy runs, so the rest of the harness
works in an install without it (the strategy then reports "unavailable").
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from bdev.evaluation.base import BuildOutcome
from bdev.evaluation.scenario import Scenario
from bdev.llm.base import Model
from bdev.runtime.events import Event, EventType
from bdev.runtime.session import Transcript, new_session_id


class SpecFirst:
    name = "spec-first"
    needs_model = True

    def __init__(self, *, verify_rounds: int = 2, max_retries: int = 2) -> None:
        self.verify_rounds = verify_rounds
        self.max_retries = max_retries

    def build(self, scenario: Scenario, model: Model | None, out_dir: Path) -> BuildOutcome:
        try:
            from bdev.specfirst.constraints import read_constraints
            from bdev.specfirst.pipeline import build_service
        except ImportError as e:
            return BuildOutcome(ok=False, skipped=True, notes=f"unavailable: {e}")
        start = time.monotonic()
        # The build's events (each slot's answers and why they were rejected) are kept
        # beside the service (the service's folder must start empty), so a failure can be
        # read afterwards.
        transcript = Transcript(out_dir.parent / "sessions" / f"{new_session_id()}.jsonl")
        framework: Literal["fastapi", "flask"] = (
            "flask" if scenario.framework == "flask" else "fastapi"
        )
        try:
            report = build_service(
                scenario.spec_path,
                out_dir,
                describe=scenario.paragraph,
                model=model,
                framework=framework,
                single_file=True,  # one app.py: every strategy's service starts the same way
                # What the task's words require, read as `bdev run` reads them.
                constraints=read_constraints(scenario.paragraph),
                max_retries=self.max_retries,
                verify_rounds=self.verify_rounds,
                # The audit only measures (load, scorecard); it changes no code, and the
                # harness measures the result itself.
                audit=False,
                record=lambda kind, **data: transcript(Event(EventType(kind), data)),
            )
        finally:
            transcript.close()
        notes = (
            f"{len(report.implemented_by_skeleton)} by skeleton, "
            f"{len(report.implemented_by_model)} by model"
        )
        if report.failing_verification:
            notes += f"; failing verification: {', '.join(report.failing_verification)}"
        if report.not_implemented:
            notes += f"; not implemented (501): {', '.join(report.not_implemented)}"
        return BuildOutcome(
            ok=True,
            tokens_in=report.input_tokens,
            tokens_out=report.output_tokens,
            seconds=report.wall_s or time.monotonic() - start,
            notes=notes,
        )
