"""The system prompt: the agent definition's body, then facts about the environment.

It is kept byte-identical between turns of a run (and between runs of the same agent
on the same workspace on the same day), because a local model reuses its evaluated
prefix only while the prefix is unchanged. The wording is `prompts/agent_system.md.j2`.
"""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path

from bdev.agents.definition import AgentDefinition
from bdev.llm.base import ToolSpec
from bdev.prompts import render
from bdev.runtime.profile import Profile, fit_body, offered_tools
from bdev.tools.base import TOOL_NAMES
from bdev.tools.registry import build_tools, tool_specs


def system_prompt(
    definition: AgentDefinition,
    workspace: Path,
    tool_names: list[str],
    profile: str = "full",  # a Profile; plain str as Agent.profile holds it
) -> str:
    """The system prompt for `tool_names` (the tools the agent is offered). A `small`
    profile condenses the body to what its budget leaves (see runtime.profile)."""
    facts = {
        "workspace": workspace,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "date": dt.date.today().isoformat(),
        "tools": tool_names,
    }
    body = definition.body.strip()
    if profile == "small" and body:
        # bdev's own tools (MCP tools are in `tool_names` too, but not measured here).
        specs = tool_specs(build_tools(n for n in tool_names if n in TOOL_NAMES), compact=True)
        body = fit_body(body, render("agent_system", body="", **facts), specs).text
    return render("agent_system", body=body, **facts)


def first_request(
    definition: AgentDefinition, workspace: Path, profile: Profile = "full"
) -> tuple[str, list[ToolSpec]]:
    """What a top-level run of `definition` sends the model with its first message: the
    system prompt and the tools' specs (for `bdev agents show --prompt`)."""
    tools = build_tools(offered_tools(definition.allowed_tools, profile))
    specs = tool_specs(tools, compact=profile == "small")
    return system_prompt(definition, workspace, list(tools), profile), specs
