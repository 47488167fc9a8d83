"""MCP tool names, as Claude Code writes them: `mcp__` + server + `__` + tool.

Any character a model API does not accept in a tool name becomes `_`. Patterns in a
definition's `tools` and `disallowedTools` and in permission rules name them the same
way: `mcp__server` (every tool of the server), `mcp__server__*` (the same, or any
glob), `mcp__server__tool`.
"""

from __future__ import annotations

import re

from bdev.tools.policy import MCP_PREFIX as PREFIX
from bdev.tools.policy import mcp_rule_covers

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def tool_name(server: str, tool: str) -> str:
    return f"{PREFIX}{server}__{_UNSAFE.sub('_', tool)}"


def is_mcp(name: str) -> bool:
    return name.startswith(PREFIX)


def server_of(pattern: str) -> str:
    """`mcp__db__query` -> "db" (a server name holds no "__")."""
    return pattern.removeprefix(PREFIX).split("__", 1)[0]


def matches(pattern: str, name: str) -> bool:
    """Does a `tools`/`disallowedTools` entry cover the MCP tool `name`? (As a
    permission rule would: one meaning for both.)"""
    return mcp_rule_covers(pattern, name)
