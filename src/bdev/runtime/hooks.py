"""Hooks in Claude Code's settings format: load, match, run, interpret.

`{"hooks": {"PreToolUse": [{"matcher": "Bash|Write", "hooks": [{"type": "command",
"command": "...", "timeout": 60}]}]}}`, from the user's ~/.claude/settings.json (always
trusted), the project's .claude/settings.json (only once the project is trusted: it is
code the repository ships) and a definition's `hooks` front matter (for that agent only).

Each command gets the hook input JSON on stdin and runs like a Bash tool command: in the
sandbox, with a timeout, its output capped. Exit 0 is success (stdout is read as JSON
when it is JSON; for UserPromptSubmit and SessionStart plain stdout is context for the
model); exit 2 blocks, with stderr as the reason; any other code is a non-blocking
error shown to the user. bdev is stricter than Claude Code: an `allow` from a hook
skips the permission question only; deny rules, protected paths and the sandbox hold.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bdev.errors import BdevError
from bdev.runtime.events import EventType
from bdev.sandbox import Network, SandboxUnavailable, confine

EVENTS = (
    "PreToolUse",
    "PostToolUse",
    "UserPromptSubmit",
    "Stop",
    "SubagentStart",
    "SubagentStop",
    "SessionStart",
    "SessionEnd",
    "Notification",  # accepted so Claude Code settings load; bdev never fires them
    "PreCompact",
)
TOOL_EVENTS = frozenset({"PreToolUse", "PostToolUse"})
# Events whose plain stdout (exit 0, not JSON) is context for the model, as in Claude Code.
_STDOUT_IS_CONTEXT = frozenset({"UserPromptSubmit", "SessionStart"})
DEFAULT_TIMEOUT_S = 60.0
OUTPUT_LIMIT = 30_000  # characters kept of a hook's stdout and of its stderr


@dataclass(frozen=True)
class HookCommand:
    event: str
    matcher: str  # "" matches every tool
    command: str
    timeout: float
    source: str  # the settings file or definition it came from

    def matches(self, tool: str | None) -> bool:
        if self.event not in TOOL_EVENTS or self.matcher in ("", "*"):
            return True
        return tool is not None and re.fullmatch(self.matcher, tool) is not None


def parse(hooks: Any, source: str) -> list[HookCommand]:
    """The commands of a `hooks` mapping; one BdevError naming `source` and the key."""
    if hooks is None:
        return []
    if not isinstance(hooks, dict):
        raise BdevError(f"{source}: hooks: expected a mapping of event name -> matchers")
    found: list[HookCommand] = []
    for event, groups in hooks.items():
        where = f"{source}: hooks.{event}"
        if event not in EVENTS:
            raise BdevError(f"{where}: unknown hook event (known: {', '.join(EVENTS)})")
        if not isinstance(groups, list):
            raise BdevError(f"{where}: expected a list of {{matcher, hooks}} entries")
        for i, group in enumerate(groups):
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                raise BdevError(f'{where}[{i}]: expected {{"matcher": ..., "hooks": [...]}}')
            matcher = group.get("matcher") or ""
            if not isinstance(matcher, str):
                raise BdevError(f"{where}[{i}].matcher: expected a string")
            if matcher not in ("", "*"):
                try:
                    re.compile(matcher)
                except re.error as e:
                    raise BdevError(f"{where}[{i}].matcher: not a regex ({e})") from None
            for j, hook in enumerate(group["hooks"]):
                found.append(_command(hook, f"{where}[{i}].hooks[{j}]", event, matcher, source))
    return found


def _command(hook: Any, where: str, event: str, matcher: str, source: str) -> HookCommand:
    if not isinstance(hook, dict) or hook.get("type", "command") != "command":
        raise BdevError(f'{where}: only {{"type": "command", "command": ...}} hooks are supported')
    command = hook.get("command")
    if not isinstance(command, str) or not command.strip():
        raise BdevError(f"{where}.command: expected a non-empty string")
    timeout = hook.get("timeout", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise BdevError(f"{where}.timeout: expected a positive number of seconds")
    return HookCommand(event, matcher, command, float(timeout), source)


def load_settings(path: Path) -> list[HookCommand]:
    """The hooks of one Claude Code settings file; none when it does not exist."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as e:
        raise BdevError(f"{path}: cannot read the settings ({e})") from None
    if not isinstance(data, dict):
        raise BdevError(f"{path}: expected a JSON object")
    return parse(data.get("hooks"), str(path))


def user_settings_path() -> Path:
    return Path.home() / ".claude" / "settings.json"


def project_settings_path(workspace: Path) -> Path:
    return workspace / ".claude" / "settings.json"


# -- running -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the hooks of one event decided, all of them together."""

    blocked: bool = False  # exit 2 or decision "block" / permissionDecision "deny"
    reason: str = ""
    permission: str | None = None  # PreToolUse: "allow", "deny" or "ask"
    context: list[str] = field(default_factory=list)  # for the model
    stop: bool = False  # "continue": false
    stop_reason: str = ""

    @property
    def context_text(self) -> str:
        return "\n".join(self.context)


@dataclass
class _Run:
    exit_code: int | None
    stdout: str
    stderr: str


@dataclass
class Hooks:
    """The hooks of one agent in one session, and what they need to be run."""

    commands: list[HookCommand]
    workspace: Path
    session_id: str
    transcript_path: str
    emit: Callable[..., Any]  # (EventType, **data): the run's emitter
    permission_mode: str = "default"

    def for_agent(self, more: list[HookCommand], emit: Callable[..., Any], mode: str) -> Hooks:
        """These hooks plus a definition's own, recorded through the agent's emitter."""
        return replace(self, commands=[*self.commands, *more], emit=emit, permission_mode=mode)

    def run(self, event: str, tool: str | None = None, **data: Any) -> Outcome:
        outcome = Outcome()
        chosen = [c for c in self.commands if c.event == event and c.matches(tool)]
        seen: set[str] = set()
        payload = {
            "session_id": self.session_id,
            "transcript_path": self.transcript_path,
            "cwd": str(self.workspace),
            "permission_mode": self.permission_mode,
            "hook_event_name": event,
            **({"tool_name": tool} if tool else {}),
            **data,
        }
        for hook in chosen:
            if hook.command in seen:  # the same command from two sources runs once
                continue
            seen.add(hook.command)
            result = _execute(hook, self.workspace, json.dumps(payload))
            decision = _interpret(event, result, outcome)
            self.emit(
                EventType.HOOK,
                event=event,
                command=hook.command,
                source=hook.source,
                exit_code=result.exit_code,
                decision=decision,
                stderr=result.stderr[-2000:],
                **({"tool": tool} if tool else {}),
            )
            if decision == "error":  # non-blocking: the user sees it, the run goes on
                why = result.stderr.strip() or f"exit code {result.exit_code}"
                message = f"{event} hook `{hook.command}` failed: {why[-500:]}"
                self.emit(EventType.WARNING, agent="", field="hooks", message=message)
        return outcome


def _execute(hook: HookCommand, workspace: Path, stdin: str) -> _Run:
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(workspace)}
    try:
        confined = confine(["bash", "-c", hook.command], cwd=workspace, env=env,
                           network=Network.NONE)  # fmt: skip
    except SandboxUnavailable as e:
        return _Run(None, "", str(e))
    proc = subprocess.Popen(
        confined.argv,
        cwd=workspace,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,  # a timeout kills everything it started
        env=confined.env,
    )
    try:
        out, err = proc.communicate(stdin, timeout=hook.timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err = f"{err[-OUTPUT_LIMIT:]}\nhook timed out after {hook.timeout:g} s and was killed"
        return _Run(None, out[:OUTPUT_LIMIT], err)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return _Run(proc.returncode, out[:OUTPUT_LIMIT], err[-OUTPUT_LIMIT:])


def _interpret(event: str, run: _Run, outcome: Outcome) -> str:
    """Fold one hook's result into `outcome`; returns its decision, for the transcript."""
    if run.exit_code == 2:
        outcome.blocked = True
        outcome.reason = _join(outcome.reason, run.stderr.strip() or "blocked by a hook")
        if event == "PreToolUse":
            outcome.permission = "deny"
        return "block"
    if run.exit_code != 0:
        return "error"  # non-blocking: the caller shows stderr to the user
    parsed = _json(run.stdout)
    if parsed is None:
        if event in _STDOUT_IS_CONTEXT and run.stdout.strip():
            outcome.context.append(run.stdout.strip())
            return "context"
        return "ok"
    decision = "ok"
    if parsed.get("continue") is False:
        outcome.stop = True
        outcome.stop_reason = str(parsed.get("stopReason") or "stopped by a hook")
        decision = "stop"
    specific = parsed.get("hookSpecificOutput")
    specific = specific if isinstance(specific, dict) else {}
    old = parsed.get("decision")  # the older top-level form
    permission = specific.get("permissionDecision")
    if permission is None and event == "PreToolUse" and old in ("approve", "block"):
        permission = "allow" if old == "approve" else "deny"
    reason = str(specific.get("permissionDecisionReason") or parsed.get("reason") or "")
    if event == "PreToolUse" and permission in ("allow", "deny", "ask"):
        # The strictest answer of all the hooks wins.
        rank = {"allow": 0, "ask": 1, "deny": 2}
        if outcome.permission is None or rank[permission] > rank[outcome.permission]:
            outcome.permission = permission
        if permission != "allow":
            outcome.reason = _join(outcome.reason, reason or f"a hook said {permission}")
        outcome.blocked = outcome.blocked or permission == "deny"
        decision = permission
    elif old == "block":
        outcome.blocked = True
        outcome.reason = _join(outcome.reason, reason or "blocked by a hook")
        decision = "block"
    context = specific.get("additionalContext")
    if isinstance(context, str) and context.strip():
        outcome.context.append(context.strip())
        decision = "context" if decision == "ok" else decision
    return decision


def _json(text: str) -> dict[str, Any] | None:
    if not text.strip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _join(before: str, more: str) -> str:
    return f"{before}\n{more}" if before else more
