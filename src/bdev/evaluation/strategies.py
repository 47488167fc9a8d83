"""Strategies by name, as the CLI and the benchmark choose them."""

from __future__ import annotations

from pathlib import Path

from bdev.errors import BdevError
from bdev.evaluation.base import Strategy
from bdev.evaluation.plain_loop import PlainLoop
from bdev.evaluation.reference import Reference
from bdev.evaluation.single_shot import SingleShot
from bdev.evaluation.spec_first import SpecFirst

NAMES = (
    "spec-first", "prose-first", "plain-loop", "constrained-loop", "single-shot", "reference",
)  # fmt: skip
MODEL_STRATEGIES = NAMES[:5]


def make_strategy(name: str, *, reference_dir: Path | None = None) -> Strategy:
    if name == "spec-first":
        return SpecFirst()
    if name == "prose-first":
        return SpecFirst(from_prose=True)
    if name == "plain-loop":
        return PlainLoop()
    if name == "constrained-loop":
        return PlainLoop(constrained=True)
    if name == "single-shot":
        return SingleShot()
    if name == "reference":
        if reference_dir is None or not reference_dir.is_dir():
            raise BdevError(
                f"--strategy reference needs the reference implementations, not found at "
                f"{reference_dir} (they live in tests/evaluation/reference of a checkout)"
            )
        return Reference(reference_dir)
    raise BdevError(f"unknown strategy {name!r}; choose from {', '.join(NAMES)}")
