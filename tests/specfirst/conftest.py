"""Fixtures for the spec-first tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from specfirst_support import MINIMAL, Service, load_service, plan_for

from bdev.specfirst import Options, generate


@pytest.fixture
def make_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    def make(
        spec: str,
        framework: str = "fastapi",
        *,
        single_file: bool = False,
        allowed: frozenset[str] | None = MINIMAL,
        describe: str | None = None,
    ) -> Service:
        plan = plan_for(spec)
        plan.describe = describe
        options = Options(framework=framework, single_file=single_file, allowed=allowed)  # type: ignore[arg-type]
        out = tmp_path / "service"
        generate(plan, options, out)
        return load_service(out, plan, options, monkeypatch)

    return make
