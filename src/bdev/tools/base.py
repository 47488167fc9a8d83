"""The Tool protocol and the context a tool runs in.

A tool is a name, a description, a JSON schema for its arguments and a `run` that
returns text for the model. Failures a model can react to are raised as `ToolError`;
the loop turns them into an error result and carries on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# Every tool name an agent definition may list (Claude Code's names).
TOOL_NAMES: tuple[str, ...] = (
    "Read",
    "Write",
    "Edit",
    "MultiEdit",
    "LS",
    "Glob",
    "Grep",
    "Bash",
    "NotebookEdit",
    "TodoWrite",
    "Task",
    "WebSearch",
    "WebFetch",
)


class ToolError(Exception):
    """A tool could not do what was asked; the message goes back to the model."""


@dataclass
class TodoItem:
    content: str
    status: str  # "pending" | "in_progress" | "completed"
    id: str = ""


# Runs another agent definition as a sub-agent: (agent name, task prompt) -> final text.
SubagentRunner = Callable[[str, str], str]


@dataclass
class ToolContext:
    """What a tool may touch: the workspace root and the session's shared state."""

    workspace: Path
    todos: list[TodoItem] = field(default_factory=list)
    run_subagent: SubagentRunner | None = None
    bash_timeout_s: float = 120.0
    bash_output_limit: int = 30_000
    # Whether Read deny rules cover a workspace-relative path: Grep, Glob and LS leave
    # such files out (Policy.read_denied). None: nothing is hidden.
    read_denied: Callable[[str], bool] | None = None
    # When the run's --max-seconds ends (time.monotonic()); a command stops there too.
    deadline: float | None = None
    # The interpreter a Python file is imported with once written, to report a name it
    # lacks (`importcheck`); None: no check.
    import_python: str | None = None


class Tool(Protocol):
    """A tool may also carry `brief` (a one-line description) and `small_params` (the
    optional parameters worth offering a small model): see registry.compact_spec."""

    name: str
    description: str
    parameters: dict[str, Any]
    # Read-only tools are the only ones allowed in `plan` mode and never need asking.
    read_only: bool

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str: ...
