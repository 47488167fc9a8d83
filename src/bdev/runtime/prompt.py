"""The system prompt: the agent definition's body, then facts about the environment.

It is kept byte-identical between turns of a run (and between runs of the same agent
on the same workspace on the same day), because a local model reuses its evaluated
prefix only while the prefix is unchanged.
"""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path

from bdev.agents.definition import AgentDefinition


def system_prompt(definition: AgentDefinition, workspace: Path, tool_names: list[str]) -> str:
    tools = ", ".join(tool_names) if tool_names else "none"
    env = (
        "# Environment\n"
        f"- Workspace (your working directory; file paths are relative to it): {workspace}\n"
        f"- OS: {platform.system()} {platform.release()}; Python {platform.python_version()}\n"
        f"- Date: {dt.date.today().isoformat()}\n"
        f"- Tools: {tools}\n"
        "- Work in small steps: call a tool, read its result, then decide the next step.\n"
        "- When the task is done, reply with a short summary and no tool call."
    )
    body = definition.body.strip()
    return f"{body}\n\n{env}" if body else env
