"""reference: copy a hand-written implementation, to validate the suite itself.

A secure reference for a scenario lives in `<reference dir>/<slug>/app.py` (the
repository keeps them in tests/evaluation/reference/); scenarios without one are skipped.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bdev.evaluation.base import APP_FILE, BuildOutcome
from bdev.evaluation.scenario import Scenario
from bdev.llm.base import Model


def default_reference_dir(scenarios_dir: Path) -> Path:
    """benchmarks/scenarios -> tests/evaluation/reference in the same checkout."""
    return scenarios_dir.resolve().parents[1] / "tests" / "evaluation" / "reference"


class Reference:
    name = "reference"
    needs_model = False

    def __init__(self, root: Path) -> None:
        self.root = root

    def build(self, scenario: Scenario, model: Model | None, out_dir: Path) -> BuildOutcome:
        source = self.root / scenario.slug / APP_FILE
        if not source.is_file():
            return BuildOutcome(ok=False, skipped=True, notes=f"no reference in {source.parent}")
        start = time.monotonic()
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out_dir / APP_FILE)
        return BuildOutcome(ok=True, seconds=time.monotonic() - start, notes=str(source))
