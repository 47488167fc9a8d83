"""Reading a `tools` / `disallowedTools` value the way Claude Code writes it.

Entries are comma- or space-separated (or a YAML list), each one of:

- a tool name: `Read`, `Bash`; `Agent` is Claude Code's newer name for `Task`;
- a tool with a rule: `Bash(git:*)`, `Edit(src/**)`: the tool limited to what the rule
  matches (permission-rule syntax, bdev.tools.policy);
- `Task(a, b)` / `Agent(a, b)`: the Task tool, limited to starting those sub-agent types;
- `mcp__server__tool`, `mcp__server`, `mcp__server__*`: MCP tools (bdev.mcp offers
  the ones they match);
- `*`: every tool.

A comma inside parentheses belongs to the entry (`Task(a, b)`, `Bash(git log:*)`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from bdev.agents.fields import CLAUDE_ONLY_TOOLS
from bdev.tools.base import TOOL_NAMES

_ENTRY = re.compile(r"^([A-Za-z_]\w*)\s*(?:\((.*)\))?$", re.DOTALL)
_TOOL_ALIASES = {"Agent": "Task"}


@dataclass
class ToolList:
    """What one `tools` or `disallowedTools` value names."""

    names: list[str] = field(default_factory=list)  # bdev tools, author's order
    everything: bool = False  # `*` was given
    subagents: list[str] = field(default_factory=list)  # from Task(x) / Agent(x)
    any_subagent: bool = False  # a plain Task / Agent was given
    rules: dict[str, list[str]] = field(default_factory=dict)  # tool -> rule specifiers
    mcp: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # Claude Code tools bdev lacks
    errors: list[str] = field(default_factory=list)
    plain: set[str] = field(default_factory=set)  # tools named without a rule


def split_entries(text: str) -> list[str]:
    """`Read, Bash(git log:*) Task(a, b)` -> ["Read", "Bash(git log:*)", "Task(a, b)"]."""
    entries: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if depth == 0 and (ch == "," or ch.isspace()):
            if "".join(current).strip():
                entries.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if "".join(current).strip():
        entries.append("".join(current).strip())
    return _join_rules(entries)


def _join_rules(entries: list[str]) -> list[str]:
    # `Bash (git:*)` written with a space: glue the rule back onto its tool.
    joined: list[str] = []
    for entry in entries:
        if entry.startswith("(") and joined:
            joined[-1] += entry
        else:
            joined.append(entry)
    return joined


def read_entries(entries: list[str]) -> ToolList:
    found = ToolList()
    for entry in entries:
        _read_one(entry.strip(), found)
    found.names = list(dict.fromkeys(found.names))  # without duplicates, in order
    found.subagents = list(dict.fromkeys(found.subagents))
    # `Bash` and `Bash(git:*)` together: the plain name means the whole tool.
    found.rules = {k: v for k, v in found.rules.items() if k not in found.plain}
    return found


def _read_one(entry: str, found: ToolList) -> None:
    if entry == "*":
        found.everything = True
        return
    if entry.startswith("mcp__"):
        found.mcp.append(entry)
        return
    m = _ENTRY.match(entry)
    if m is None:
        found.errors.append(f'"{entry}": expected Tool, Tool(rule) or mcp__server__tool')
        return
    name, rule = _TOOL_ALIASES.get(m.group(1), m.group(1)), (m.group(2) or "").strip()
    if name not in TOOL_NAMES:
        if name in CLAUDE_ONLY_TOOLS:
            found.unavailable.append(name)
            return
        close = difflib.get_close_matches(name, [*TOOL_NAMES, *_TOOL_ALIASES], n=1)
        hint = f', did you mean "{close[0]}"?' if close else ""
        found.errors.append(f'unknown tool "{name}"{hint} (known: {", ".join(TOOL_NAMES)})')
        return
    found.names.append(name)
    if name == "Task":
        types = [t for t in re.split(r"[,\s]+", rule) if t]
        if types:
            found.subagents.extend(types)
        else:
            found.any_subagent = True
            found.plain.add(name)
    elif rule:
        found.rules.setdefault(name, []).append(rule)
    else:
        found.plain.add(name)
