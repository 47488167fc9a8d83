"""Task: hand a self-contained job to a sub-agent and return its final answer."""

from __future__ import annotations

from typing import Any

from bdev.errors import BdevError
from bdev.tools.base import ToolContext, ToolError
from bdev.tools.schema import STRING, object_schema


class SubagentRefused(BdevError):
    """The calling agent may not start this sub-agent type (its definition's `Task(x)`
    limits or `disallowedTools`); the message goes back to the model as it is."""


class TaskTool:
    name = "Task"
    description = (
        "Run a sub-agent (subagent_type = agent name) on a self-contained task; returns its "
        "final report."
    )
    parameters = object_schema(
        {"description": STRING, "prompt": STRING, "subagent_type": STRING},
        "description",
        "prompt",
        "subagent_type",
    )
    # Not read-only: the sub-agent may edit files (its own calls pass the policy).
    brief = "Run a sub-agent (subagent_type = agent name) on a task."
    read_only = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        agent = args["subagent_type"]
        if ctx.run_subagent is None:
            raise ToolError("sub-agents are not available in this session; do the task directly")
        try:
            answer = ctx.run_subagent(agent, args["prompt"])
        except SubagentRefused as e:
            raise ToolError(f"refused: {e}") from e
        except Exception as e:  # any failure of the sub-run is the model's to handle
            raise ToolError(f"sub-agent {agent!r} failed: {e}") from e
        return answer.strip() or f"(sub-agent {agent!r} finished without a report)"
