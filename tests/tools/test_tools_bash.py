from __future__ import annotations

import time
from pathlib import Path

import pytest

from bdev.tools.base import ToolContext, ToolError
from bdev.tools.bash import BashTool


def test_runs_in_the_workspace_with_combined_output(ws: Path, ctx: ToolContext) -> None:
    (ws / "marker.txt").write_text("")
    out = BashTool().run({"command": "ls; echo to-stderr >&2; pwd"}, ctx)
    assert out.splitlines() == ["marker.txt", "to-stderr", str(ws.resolve()), "[exit code 0]"]


def test_nonzero_exit_is_a_normal_result(ctx: ToolContext) -> None:
    out = BashTool().run({"command": "echo failing; exit 3"}, ctx)
    assert out == "failing\n[exit code 3]"


def test_no_output_is_said(ctx: ToolContext) -> None:
    assert BashTool().run({"command": "true"}, ctx) == "(no output)\n[exit code 0]"


def test_stdin_is_closed(ctx: ToolContext) -> None:
    # `read` fails at once on a closed stdin instead of waiting for the timeout.
    out = BashTool().run({"command": "read x; echo status=$?", "timeout": 5000}, ctx)
    assert "status=1" in out


def test_output_is_capped_keeping_head_and_tail(ws: Path) -> None:
    ctx = ToolContext(workspace=ws, bash_output_limit=200)
    out = BashTool().run({"command": "seq 1 5000"}, ctx)
    lines = out.splitlines()
    assert lines[0] == "1"
    assert lines[-2] == "5000"
    assert lines[-1] == "[exit code 0]"
    cut = next(line for line in lines if "bytes of output cut" in line)
    total = len("".join(f"{i}\n" for i in range(1, 5001)))
    assert cut == f"[... {total - 200} bytes of output cut ...]"


@pytest.mark.slow
def test_timeout_kills_the_whole_group(ws: Path, ctx: ToolContext) -> None:
    start = time.monotonic()
    command = "echo started; (sleep 30; touch late.txt) & sleep 30"
    with pytest.raises(ToolError, match=r"timed out after 1 s.*\n.*started"):
        BashTool().run({"command": command, "timeout": 1000}, ctx)
    assert time.monotonic() - start < 5
    time.sleep(0.2)
    assert not (ws / "late.txt").exists()


def test_default_timeout_comes_from_context(ws: Path) -> None:
    ctx = ToolContext(workspace=ws, bash_timeout_s=0.5)
    with pytest.raises(ToolError, match=r"timed out after 0\.5 s"):
        BashTool().run({"command": "sleep 10"}, ctx)


@pytest.mark.slow
def test_small_timeouts_are_read_as_seconds(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="timed out after 1 s"):
        BashTool().run({"command": "sleep 10", "timeout": 1}, ctx)


def test_background_job_does_not_block(ctx: ToolContext) -> None:
    start = time.monotonic()
    out = BashTool().run({"command": "sleep 20 >/dev/null 2>&1 & echo launched"}, ctx)
    assert out.startswith("launched")
    assert time.monotonic() - start < 3


def test_empty_command_is_an_error(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="empty"):
        BashTool().run({"command": "  "}, ctx)
