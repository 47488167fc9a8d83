"""Claude Code's sub-agent front-matter fields, and what bdev does with each.

Every field is either honoured or refused out loud: a refused field is kept on the
definition (`AgentDefinition.refused`) and a run says once, naming the field, what bdev
does instead. docs/agent-format.md is the same table for people.
"""

from __future__ import annotations

from typing import Literal

Support = Literal["honoured", "refused"]

# Permission modes a definition may ask for, from narrowest to widest. `auto` is
# Claude Code's classifier-driven mode; bdev runs it as `default` (see runtime.agent_setup).
PERMISSION_MODES: tuple[str, ...] = (
    "plan",
    "dontAsk",
    "default",
    "acceptEdits",
    "bypassPermissions",
    "auto",
)
EFFORTS = ("low", "medium", "high", "max")

# Fields bdev reads and acts on.
HONOURED: tuple[str, ...] = (
    "name",
    "description",
    "tools",
    "disallowedTools",
    "model",
    "permissionMode",
    "maxTurns",
    "initialPrompt",
    "color",
    "hooks",
    "mcpServers",
)

# Fields bdev reads but cannot act on yet, with what it does instead (said once a run).
REFUSED: dict[str, str] = {
    "skills": "bdev has no skills; the agent runs without them",
    "memory": "bdev keeps no persistent agent memory; each run starts fresh",
    "background": "sub-agents run in the foreground: the caller waits for the result",
    "isolation": "no worktree is made; the agent works in the shared workspace",
    "effort": "not mapped to any model setting; the model runs at its default effort",
}

KNOWN_FIELDS: tuple[str, ...] = (*HONOURED, *REFUSED)

# Claude Code tools that bdev does not have: listing one is valid, it is left out with a
# warning instead of failing the definition.
CLAUDE_ONLY_TOOLS = frozenset(
    {
        "AskUserQuestion",
        "BashOutput",
        "EnterPlanMode",
        "ExitPlanMode",
        "KillBash",
        "KillShell",
        "ListMcpResourcesTool",
        "NotebookRead",
        "ReadMcpResourceTool",
        "Skill",
        "SlashCommand",
        "TaskOutput",
        "TaskStop",
    }
)
