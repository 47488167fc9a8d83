"""Default mode in a real terminal: bdev asks before a write, and does what it is told."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from support.runtime import write_agent

pytestmark = pytest.mark.slow  # a real terminal session per test


@pytest.mark.parametrize(("answer", "written"), [("y", True), ("n", False)])
def test_default_mode_asks_in_a_terminal(
    workspace: Path, tmp_path: Path, answer: str, written: bool
) -> None:
    write_agent(workspace / ".claude" / "agents", "maker", tools="Write")
    script = tmp_path / "s.json"
    script.write_text(
        json.dumps(
            [
                {
                    "tool_calls": [
                        {"name": "Write", "arguments": {"file_path": "x.txt", "content": "x"}}
                    ]
                },
                {"content": "finished"},
            ]
        )
    )
    env = dict(os.environ, HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "bdev",
            "run",
            "make x",
            "--agent",
            "maker",
            "--model",
            f"scripted:{script}",
            "--workspace",
            str(workspace),
            "--permission-mode",
            "default",
        ],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    child.expect(r"Allow .*Write")
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (workspace / "x.txt").exists() is written
