"""End to end on the embedded model: `bdev run` does a small real task in a fresh
workspace, and the test checks the result by running it, not by reading the reply."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.timeout(1500)]

AGENT = """---
name: api-builder
description: Writes small Python web services.
tools: Read, Write, Bash
---

You write small, correct Python files. Use the Write tool to create files.
"""


def test_bdev_run_writes_a_working_fastapi_app(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".claude" / "agents").mkdir(parents=True)
    (ws / ".claude" / "agents" / "api-builder.md").write_text(AGENT)
    env = dict(os.environ, HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    env.pop("BDEV_MODEL", None)  # the embedded default
    task = 'create app.py with a FastAPI GET /health that returns {"status": "ok"}'
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "bdev",
            "run",
            task,
            "--agent",
            "api-builder",
            "--workspace",
            str(ws),
            "--permission-mode",
            "acceptEdits",
            "--max-steps",
            "6",
            "--output-format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1400,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert (ws / "app.py").is_file(), r.stdout

    spec = importlib.util.spec_from_file_location("generated_app", ws / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from fastapi.testclient import TestClient

    response = TestClient(module.app).get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
