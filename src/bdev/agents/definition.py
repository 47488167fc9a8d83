"""An agent definition: a Claude Code sub-agent file, loaded and checked.

A definition is Markdown with front matter between `---` lines; the body is the agent's
system prompt. Every field of Claude Code's format is read (bdev.agents.fields lists
them, honoured or refused); an unknown key is kept in `extra` and ignored with a warning.
A refused field is a note here, and a warning when a run uses the definition.

`load_definition` raises a `DefinitionError` for the first error; `validate_file` returns
every problem, warnings and notes included.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bdev.agents import frontmatter
from bdev.agents.capabilities import Capability, capabilities_of
from bdev.agents.examples import Example, parse_examples, strip_examples, unescape
from bdev.agents.fields import KNOWN_FIELDS, PERMISSION_MODES, REFUSED
from bdev.agents.mojibake import find_mojibake
from bdev.agents.problems import DefinitionError, Problem, Severity, display_path
from bdev.agents.toolspec import ToolList, read_entries, split_entries
from bdev.tools.base import TOOL_NAMES

log = logging.getLogger(__name__)

Source = Literal["builtin", "user", "project", "dir", "path"]
MODEL_ALIASES = ("sonnet", "opus", "haiku", "inherit")
# Names end up in `Task(subagent_type=...)` calls and file names: keep them to one word.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class AgentDefinition:
    name: str
    description: str  # with `\n` escapes turned into newlines, examples included
    body: str  # the system prompt
    tools: list[str] | None = None  # None: every tool; []: none
    model: str | None = None  # an alias from MODEL_ALIASES or a concrete model id
    color: str | None = None
    path: Path | None = None
    source: Source = "path"
    # `disallowedTools`: tool names taken away, and `Tool(rule)` entries as deny rules.
    disallowed_tools: list[str] = field(default_factory=list)
    deny_rules: list[str] = field(default_factory=list)
    disallowed_subagents: list[str] = field(default_factory=list)  # `Task(x)` entries
    # From `tools`: `Task(x)` limits (None: any type), `Bash(git:*)`-style limits per tool,
    # MCP tool names, and Claude Code tools bdev does not have.
    subagent_types: list[str] | None = None
    tool_rules: dict[str, list[str]] = field(default_factory=dict)
    mcp_tools: list[str] = field(default_factory=list)
    # `mcpServers`: names of configured servers, or (name, inline config) (bdev.mcp).
    mcp_servers: list[str | tuple[str, dict[str, Any]]] = field(default_factory=list)
    unavailable_tools: list[str] = field(default_factory=list)
    permission_mode: str | None = None  # one of fields.PERMISSION_MODES
    max_turns: int | None = None
    initial_prompt: str | None = None
    hooks: dict[str, Any] = field(default_factory=dict)  # Claude Code's settings `hooks` shape
    refused: dict[str, Any] = field(default_factory=dict)  # fields.REFUSED keys, as given
    extra: dict[str, Any] = field(default_factory=dict)  # unknown keys
    examples: list[Example] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The name as bdev compares it: Claude Code's names are case-insensitive."""
        return self.name.lower()

    @property
    def allowed_tools(self) -> list[str]:
        """The tools it is offered: `tools` (or all) less `disallowedTools`."""
        names = list(TOOL_NAMES) if self.tools is None else list(self.tools)
        return [n for n in names if n not in self.disallowed_tools]

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What its tools let it do: read, write files, execute commands, delegate, web."""
        return capabilities_of(self.allowed_tools)

    @property
    def summary(self) -> str:
        """The description without its examples."""
        return strip_examples(self.description)

    @property
    def first_line(self) -> str:
        """The prose's first paragraph on one line (block scalars wrap mid-sentence)."""
        return " ".join(self.summary.split("\n\n")[0].split())


def load_definition(path: Path, source: Source = "path") -> AgentDefinition:
    """Load one definition file, whatever its extension; DefinitionError on the first error."""
    definition, problems = _parse_file(path, source)
    errors = [p for p in problems if p.severity == "error"]
    if errors or definition is None:
        raise DefinitionError(errors[0])
    for warning in definition.warnings:
        log.warning("%s", warning)
    return definition


def validate_file(path: Path) -> list[Problem]:
    """Every problem of a definition file (errors, warnings, notes), in line order."""
    return _parse_file(path, "path")[1]


def parse_file(path: Path) -> tuple[AgentDefinition | None, list[Problem]]:
    """The definition in `path` (None when it has errors) and every problem found."""
    return _parse_file(path, "path")


def parse_definition(
    text: str, *, path: Path | None = None, source: Source = "path"
) -> tuple[AgentDefinition | None, list[Problem]]:
    """Parse a definition's text. The definition is None when any error was found."""
    file = display_path(path)
    fm = frontmatter.split(frontmatter.normalize(text), file)
    if isinstance(fm, Problem):
        return None, [fm]
    check = _Checker(file, fm)
    values = check.fields()
    check.text_warnings(values.get("description"))
    problems = sorted(check.problems, key=lambda p: p.line)
    if any(p.severity == "error" for p in problems):
        return None, problems
    description = unescape(values["description"])
    tools: ToolList | None = values.get("tools")
    denied: ToolList = values.get("disallowedTools") or ToolList()
    definition = AgentDefinition(
        name=values["name"],
        description=description,
        body=fm.body,
        tools=None if tools is None or tools.everything else tools.names,
        model=values.get("model"),
        color=values.get("color"),
        path=path,
        source=source,
        disallowed_tools=[n for n in denied.names if n in denied.plain],
        disallowed_subagents=denied.subagents,
        deny_rules=[
            *(f"{t}({r})" for t, rules in denied.rules.items() for r in rules),
            *denied.mcp,  # `mcp__server__tool` is a permission rule as it is
        ],
        subagent_types=_subagent_types(tools),
        tool_rules=dict(tools.rules) if tools else {},
        mcp_tools=tools.mcp if tools else [],
        mcp_servers=values.get("mcpServers") or [],
        unavailable_tools=tools.unavailable if tools else [],
        permission_mode=values.get("permissionMode"),
        max_turns=values.get("maxTurns"),
        initial_prompt=values.get("initialPrompt"),
        hooks=values.get("hooks") or {},
        refused=check.refused,
        extra={k: v for k, v in fm.fields.items() if k not in KNOWN_FIELDS},
        examples=parse_examples(description),
        warnings=[p for p in problems if p.severity == "warning"],
    )
    return definition, problems


def _subagent_types(tools: ToolList | None) -> list[str] | None:
    """The sub-agent types `Task(x)` entries allow; None when any type may be started."""
    if tools is None or tools.everything or tools.any_subagent or not tools.subagents:
        return None
    return tools.subagents


def _parse_file(path: Path, source: Source) -> tuple[AgentDefinition | None, list[Problem]]:
    file = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, [Problem(file, 1, "file", f"cannot read: {e.strerror or e}")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return None, [Problem(file, line, "encoding", f"not UTF-8 (byte 0x{data[e.start]:02x})")]
    return parse_definition(text, path=path, source=source)


@dataclass
class _Checker:
    """Checks each front-matter field, collecting problems instead of stopping."""

    file: str
    fm: frontmatter.FrontMatter
    problems: list[Problem] = field(default_factory=list)
    refused: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.problems.extend(self.fm.problems)

    def fields(self) -> dict[str, Any]:
        f = self.fm.fields
        if not f and self.fm.problems:
            return {}  # the front matter itself is broken; "missing name" would be noise
        values: dict[str, Any] = {
            "name": self._name(f.get("name")),
            "description": self._required_text("description", f.get("description")),
        }
        for key in ("tools", "disallowedTools"):
            if key in f:
                values[key] = self._tools(key, f[key])
        for key in ("model", "color", "initialPrompt"):
            if f.get(key) is not None:
                values[key] = self._optional_text(key, f[key])
        model = values.get("model")
        if model is not None and len(model.split()) > 1:
            aliases = ", ".join(MODEL_ALIASES)
            self._add("model", f"{model!r}: use an alias ({aliases}) or one model id")
        if f.get("permissionMode") is not None:
            values["permissionMode"] = self._permission_mode(f["permissionMode"])
        if f.get("maxTurns") is not None:
            values["maxTurns"] = self._max_turns(f["maxTurns"])
        if f.get("mcpServers") is not None:
            values["mcpServers"] = self._mcp_servers(f["mcpServers"])
        if f.get("hooks") is not None:
            if isinstance(f["hooks"], dict):
                values["hooks"] = f["hooks"]  # checked in full when a run loads it
            else:
                self._add("hooks", "expected a mapping of event name -> matchers")
        for key, instead in REFUSED.items():
            if _asks_for_something(f.get(key)):
                self.refused[key] = f[key]
                self._add(key, f"not supported: {instead}", "note")
        for key in f:
            if key not in KNOWN_FIELDS:
                known = ", ".join(KNOWN_FIELDS)
                self._add(key, f"unknown field, ignored (known: {known})", "warning")
        return values

    def text_warnings(self, description: str | None) -> None:
        if not self.fm.body.strip():
            self._add("body", "empty: the agent has no system prompt", "warning", self.fm.body_line)
        for field_name, text, first in (
            ("description", description or "", self._line("description")),
            ("body", self.fm.body, self.fm.body_line),
        ):
            found = find_mojibake(text)
            if found:
                self._add(
                    field_name,
                    f"looks double-encoded: {found.garbled!r} is probably {found.meant!r}"
                    " (kept unchanged)",
                    "warning",
                    first + found.line,
                )

    def _name(self, value: Any) -> str | None:
        name = self._required_text("name", value)
        if name is not None and not _NAME.match(name):
            self._add("name", f"{name!r}: use letters, digits, '-', '_' or '.' only")
        return name

    def _required_text(self, key: str, value: Any) -> str | None:
        if key not in self.fm.fields:
            self._add(key, "missing (required)", line=self.fm.opening_line)
            return None
        if value is None or (isinstance(value, str) and not value.strip()):
            self._add(key, "empty (required)")
            return None
        return self._optional_text(key, value)

    def _optional_text(self, key: str, value: Any) -> str | None:
        if not isinstance(value, str):
            self._add(key, f"must be text, not {_type_name(value)} ({value!r})")
            return None
        if not value.strip():
            self._add(key, "empty: give a value or leave the field out")
            return None
        return value.strip()

    def _tools(self, key: str, value: Any) -> ToolList | None:
        if isinstance(value, str):
            entries = split_entries(value)
        elif isinstance(value, list) and all(isinstance(n, str) for n in value):
            # Joined first: a YAML flow list splits `Task(a, b)` at its comma.
            entries = split_entries(", ".join(value))
        elif value is None:
            entries = []
            if key == "tools":
                message = "empty: the agent gets no tools (leave the field out for all tools)"
                self._add(key, message, "warning")
        else:
            self._add(key, f"must be a comma-separated list or a YAML list, not {value!r}")
            return None
        found = read_entries(entries)
        for error in found.errors:
            self._add(key, error)
        if found.unavailable and key == "tools":
            names = ", ".join(found.unavailable)
            self._add(key, f"{names}: Claude Code tools bdev does not have; left out", "note")
        return found

    def _mcp_servers(self, value: Any) -> list[str | tuple[str, dict[str, Any]]]:
        """Claude Code's list of server names and `{name: config}` entries (a mapping
        of name -> config is read the same); configs are checked when a run starts them."""
        entries = [{k: v} for k, v in value.items()] if isinstance(value, dict) else value
        if not isinstance(entries, list):
            entries = [entries]
        found: list[str | tuple[str, dict[str, Any]]] = []
        for entry in entries:
            if isinstance(entry, str) and entry.strip():
                found.append(entry.strip())
            elif isinstance(entry, dict) and all(
                isinstance(k, str) and isinstance(v, dict) for k, v in entry.items()
            ):
                found += list(entry.items())
            else:
                self._add(
                    "mcpServers",
                    f"{entry!r}: expected a configured server's name or "
                    "{name: {command, args, env} | {type: http, url, headers}}",
                )
        return found

    def _permission_mode(self, value: Any) -> str | None:
        if value in PERMISSION_MODES:
            return str(value)
        close = difflib.get_close_matches(str(value), PERMISSION_MODES, n=1)
        hint = f', did you mean "{close[0]}"?' if close else ""
        self._add("permissionMode", f"{value!r}{hint} (one of: {', '.join(PERMISSION_MODES)})")
        return None

    def _max_turns(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self._add("maxTurns", f"must be a whole number of turns, 1 or more, not {value!r}")
            return None
        return value

    def _line(self, key: str) -> int:
        return self.fm.lines.get(key, self.fm.opening_line)

    def _add(
        self, key: str, message: str, severity: Severity = "error", line: int | None = None
    ) -> None:
        line = self._line(key) if line is None else line
        self.problems.append(Problem(self.file, line, key, message, severity))


def _asks_for_something(value: Any) -> bool:
    """`background: false`, `skills: []`, `hooks: {}` ask for what bdev does anyway."""
    return value is not None and value is not False and value != [] and value != {}


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    names: dict[type, str] = {list: "a list", dict: "a mapping"}
    return names.get(type(value), f"a {type(value).__name__}")
