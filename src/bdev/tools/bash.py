"""Bash: run a shell command in the workspace.

The command gets its own process group (so a timeout kills everything it started),
no stdin (a prompt waiting for input would otherwise hang until the timeout) and one
combined output stream. Output beyond the limit is cut in the middle: the start shows
what ran, the end usually holds the verdict (a test summary, the last error).

By default it runs inside the sandbox (bdev.sandbox): read-only system, writable
workspace, private /tmp, loopback-only network, a clean environment and its own PID
namespace, so a job it leaves in the background ends with the call.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bdev.sandbox import Network, SandboxUnavailable, confine
from bdev.tools.base import ToolContext, ToolError
from bdev.tools.schema import STRING, described, integer, object_schema
from bdev.tools.workspace import workspace_root

MAX_TIMEOUT_S = 600.0
# A command that lives on after the shell exited (e.g. `server &` without redirection)
# keeps the output pipe open; stop reading this long after the shell has exited.
_AFTER_EXIT_GRACE_S = 0.5


class BashTool:
    name = "Bash"
    description = (
        "Run a bash command in the workspace; returns its output and exit code. "
        "Redirect the output of background jobs (cmd > log 2>&1 &)."
    )
    parameters = object_schema(
        {
            "command": STRING,
            "timeout": described(integer(minimum=1), "milliseconds, max 600000"),
            "description": STRING,
        },
        "command",
    )
    brief = "Run a bash command; returns its output and exit code."
    read_only = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        command: str = args["command"]
        if not command.strip():
            raise ToolError("command is empty")
        timeout_s = _timeout_seconds(args.get("timeout"), ctx.bash_timeout_s)
        # The run's own time limit (--max-seconds) stops a command too, not only the next
        # step: a command may not outlast the run that started it.
        left = ctx.deadline - time.monotonic() if ctx.deadline is not None else None
        by_run_limit = left is not None and left < timeout_s
        if left is not None:
            timeout_s = max(0.1, min(timeout_s, left))
        try:
            result = run_command(
                command, workspace_root(ctx.workspace), timeout_s, ctx.bash_output_limit
            )
        except SandboxUnavailable as e:
            raise ToolError(str(e)) from None
        output = result.text()
        if result.timed_out:
            what = (
                f"command stopped after {timeout_s:.3g} s: the run's time limit was reached"
                if by_run_limit
                else f"command timed out after {timeout_s:g} s"
            )
            raise ToolError(
                f"{what} and was killed with everything it started; output so far:\n"
                f"{output or '(no output)'}"
            )
        return f"{output or '(no output)'}\n[exit code {result.exit_code}]"


def _timeout_seconds(value: Any, default_s: float) -> float:
    if value is None:
        return min(default_s, MAX_TIMEOUT_S)
    ms = float(value)
    # Claude Code's unit is milliseconds; a value under 1000 can only mean seconds
    # (no command is meant to be given less than a second), as small models often write.
    seconds = ms if ms < 1000 else ms / 1000
    return max(0.1, min(seconds, MAX_TIMEOUT_S))


@dataclass
class CommandResult:
    exit_code: int | None
    timed_out: bool
    head: bytearray = field(default_factory=bytearray)
    tail: bytearray = field(default_factory=bytearray)
    total: int = 0  # bytes produced, including what was not kept

    def text(self) -> str:
        """The output kept, with a note saying how much was cut from the middle."""
        kept = len(self.head) + len(self.tail)
        if self.total <= kept:
            return _decode(self.head + self.tail).rstrip("\n")
        cut = self.total - kept
        return (
            f"{_decode(self.head)}\n[... {cut} bytes of output cut ...]\n{_decode(self.tail)}"
        ).rstrip("\n")


def _decode(data: bytes | bytearray) -> str:
    return data.decode("utf-8", errors="replace")


def run_command(
    command: str, cwd: os.PathLike[str] | str, timeout_s: float, limit: int = 30_000
) -> CommandResult:
    """Run `bash -c command` in the sandbox (when on), keeping the first and last
    limit/2 bytes of its output."""
    env = {**os.environ, "PAGER": "cat", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}
    confined = confine(["bash", "-c", command], cwd=Path(cwd), env=env, network=Network.NONE)
    proc = subprocess.Popen(
        confined.argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed as a whole on timeout
        env=confined.env,
    )
    assert proc.stdout is not None
    half = max(limit // 2, 1)
    result = CommandResult(exit_code=None, timed_out=False)
    deadline = time.monotonic() + timeout_s
    try:
        _collect(proc, result, deadline, half)
    except BaseException:  # Ctrl-C or SIGTERM mid-command: nothing it started lives on
        _kill_group(proc)
        proc.wait()
        raise
    if result.timed_out:
        _kill_group(proc)
    proc.stdout.close()
    result.exit_code = proc.wait()
    return result


def _collect(
    proc: subprocess.Popen[bytes], result: CommandResult, deadline: float, half: int
) -> None:
    """Read the command's output until it ends, its pipe closes or the deadline passes."""
    assert proc.stdout is not None
    exited_at: float | None = None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if now >= deadline:
                result.timed_out = True
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > _AFTER_EXIT_GRACE_S:
                break
            if not sel.select(timeout=min(0.1, deadline - now)):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break  # EOF: every writer has exited
            _keep(result, chunk, half)


def _keep(result: CommandResult, chunk: bytes, half: int) -> None:
    result.total += len(chunk)
    room = half - len(result.head)
    if room > 0:
        result.head += chunk[:room]
        chunk = chunk[room:]
    if chunk:
        result.tail += chunk
        del result.tail[:-half]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
