"""`bdev analyze` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test starts bdev as a process

GOOD = Path(__file__).parents[1] / "fixtures" / "services" / "good_fastapi"


def bdev(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from bdev.cli import main; main()"
    env = {**os.environ, "COLUMNS": "160"}  # wide enough that table cells do not wrap
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_json_output_is_one_object() -> None:
    result = bdev("analyze", str(GOOD), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)  # fails on anything but exactly one JSON document
    assert payload["framework"] == "fastapi"
    assert len(payload["endpoints"]) == 6
    assert payload["context"]["api_requirements"]["endpoint_count"] == 6


def test_summary_names_stack_endpoints_and_health() -> None:
    result = bdev("analyze", str(GOOD))
    assert result.returncode == 0, result.stderr
    for expected in ("python / fastapi", "app.main:app", "/items/{item_id}", "/health, /ready"):
        assert expected in result.stdout


def test_not_a_backend_is_one_line_error(tmp_path: Path) -> None:
    result = bdev("analyze", str(tmp_path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "not a backend codebase" in result.stderr
    assert "Traceback" not in result.stderr
