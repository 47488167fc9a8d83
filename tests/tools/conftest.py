from __future__ import annotations

from pathlib import Path

import pytest

from bdev.tools.base import ToolContext


@pytest.fixture
def ws(workspace: Path) -> Path:
    """The tools' tests say `ws`: the suite's one workspace fixture."""
    return workspace


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws)
