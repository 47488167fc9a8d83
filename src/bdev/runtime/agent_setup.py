"""What a definition's front matter makes of one agent run, decided before it starts.

`setup_for` turns a definition and its caller (the user's settings at the top level,
the parent agent below it) into the agent's model choice, permission mode, tools,
limits and first-turn text, with a warning for each field bdev refuses or narrows:

- `permissionMode` is honoured but never wider than the caller's mode, narrowest first:
  plan < dontAsk < default < acceptEdits < bypassPermissions. A wider one is clamped to
  the caller's. `dontAsk` refuses what would be asked; `auto` runs as `default`.
- `disallowedTools` names are taken away (and refused if called); `Tool(rule)` entries
  become deny rules for this agent.
- `Bash(git:*)` in `tools` limits Bash to commands matching its rules, and those
  commands are allowed without asking (allow rules scoped to this agent); deny rules,
  the safety rules and plan mode still apply. The same holds for the editing tools;
  a rule on a read-only tool is not enforced (warned).
- `maxTurns` caps the agent's steps (never above the run's `--max-steps`).
- `initialPrompt` is prepended to the first user turn of a top-level run.
- `mcp__...` entries of `tools` and `disallowedTools`, and `mcpServers`, say which MCP
  tools it gets (bdev.mcp.hub.Selection); its deny rules cover them as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bdev.agents.definition import AgentDefinition
from bdev.agents.fields import REFUSED
from bdev.config import Config
from bdev.llm.resolve import ModelChoice, choose_model
from bdev.mcp.hub import Selection
from bdev.mcp.names import is_mcp
from bdev.tools.policy import ASK_TOOLS

# Narrowest first; `auto` is not here: it runs as `default`.
MODE_ORDER: tuple[str, ...] = ("plan", "dontAsk", "default", "acceptEdits", "bypassPermissions")


@dataclass(frozen=True)
class Caller:
    """What an agent inherits: at the top level the user's mode and no parent model."""

    mode: str
    model: str | None = None  # the parent's model spec
    depth: int = 0  # the new agent's depth: 0 top level, 1+ sub-agents
    # A parent's tools and its own rules are the ceiling for what it starts: None at the
    # top level (the definition alone decides).
    tools: tuple[str, ...] | None = None
    deny: tuple[str, ...] = ()
    limited: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class AgentSetup:
    model: ModelChoice
    mode: str  # one of MODE_ORDER
    tools: list[str]  # bdev tools offered, before the prompt profile's cut
    subagent_types: list[str] | None  # what its Task may start; None: any
    denied_subagents: list[str]
    max_steps: int
    allow: list[str]  # rules scoped to this agent, added to the configured ones
    deny: list[str]
    limited: dict[str, list[str]]  # tool -> the only rules its calls may match
    first_turn: str | None  # text before the task in the first user turn
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (field, message)
    spec: str = ""  # the model spec it runs on, once built (the choice, or its fallback)
    mcp: Selection = field(default_factory=Selection)  # the MCP tools it asks for


def clamp_mode(wanted: str | None, caller: str) -> tuple[str, list[str]]:
    """The mode an agent runs in, and why it is not the one it asked for."""
    caller = caller if caller in MODE_ORDER else "default"  # the user's "auto" too
    if wanted is None:
        return caller, []
    notes: list[str] = []
    if wanted == "auto":
        wanted = "default"
        notes.append("'auto' has no classifier in bdev; the agent runs as 'default'")
    if wanted not in MODE_ORDER:
        return caller, [f"{wanted!r} is not a mode bdev knows; the caller's {caller!r} applies"]
    if MODE_ORDER.index(wanted) > MODE_ORDER.index(caller):
        notes.append(
            f"{wanted!r} is wider than the caller's {caller!r}; clamped to {caller!r} "
            "(an agent never gets more permission than whoever started it)"
        )
        return caller, notes
    return wanted, notes


def setup_for(
    definition: AgentDefinition, caller: Caller, config: Config, flag_model: str | None
) -> AgentSetup:
    warnings: list[tuple[str, str]] = []
    model = choose_model(
        flag=flag_model, wanted=definition.model, parent=caller.model, config=config
    )
    warnings += [("model", w) for w in model.warnings]
    mode, notes = clamp_mode(definition.permission_mode, caller.mode)
    warnings += [("permissionMode", n) for n in notes]

    limited: dict[str, list[str]] = {}
    allow: list[str] = []
    for tool, rules in definition.tool_rules.items():
        written = ", ".join(f"{tool}({r})" for r in rules)
        if tool in ASK_TOOLS:
            limited[tool] = [f"{tool}({r})" for r in rules]
            allow += limited[tool]
        else:
            why = f"{written}: rules on a read-only tool are not enforced; {tool} is unlimited"
            warnings.append(("tools", why))
    if definition.unavailable_tools:
        names = ", ".join(definition.unavailable_tools)
        warnings.append(("tools", f"{names}: Claude Code tools bdev does not have; left out"))
    for key in definition.refused:
        warnings.append((key, f"refused: {REFUSED[key]}"))

    max_steps = config.limits.max_steps
    if definition.max_turns is not None:
        if definition.max_turns > max_steps:
            why = f"{definition.max_turns} is above the run's step limit; {max_steps} applies"
            warnings.append(("maxTurns", why))
        max_steps = min(max_steps, definition.max_turns)

    first_turn = None
    if definition.initial_prompt:
        if caller.depth == 0:
            first_turn = definition.initial_prompt
        else:
            why = "used only when the agent runs at the top level; not sent to a sub-agent"
            warnings.append(("initialPrompt", why))

    tools = list(definition.allowed_tools)
    if caller.tools is not None:
        # A sub-agent never gets a tool its parent lacks (Task aside: the parent has it).
        beyond = [t for t in tools if t not in caller.tools and t != "Task"]
        if beyond:
            why = f"{', '.join(beyond)}: not among the parent's tools; left out"
            warnings.append(("tools", why))
            tools = [t for t in tools if t not in beyond]
        for tool, rules in caller.limited.items():
            limited[tool] = rules  # the parent's limits hold below it
        allow = [r for r in allow if r.split("(")[0] not in caller.limited]
    return AgentSetup(
        spec=model.spec,
        model=model,
        mode=mode,
        tools=tools,
        subagent_types=definition.subagent_types,
        denied_subagents=definition.disallowed_subagents,
        max_steps=max_steps,
        allow=allow,
        deny=[*caller.deny, *definition.deny_rules],
        limited=limited,
        first_turn=first_turn,
        warnings=warnings,
        mcp=Selection(
            everything=definition.tools is None,
            patterns=tuple(definition.mcp_tools),
            denied=tuple(r for r in (*caller.deny, *definition.deny_rules) if is_mcp(r)),
            servers=tuple(definition.mcp_servers),
            origin=str(definition.path or f"agent {definition.name}"),
        ),
    )
