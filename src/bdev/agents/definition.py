"""An agent definition: a Claude Code sub-agent file, loaded and checked.

A definition is Markdown with front matter between `---` lines: `name`, `description`,
`tools` (absent = all tools), `model`, `color`; any other key is kept in `extra` and
ignored with a warning. The body is the agent's system prompt.

`load_definition` raises a `DefinitionError` for the first error; `validate_file` returns
every problem, warnings included.
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
from bdev.agents.mojibake import find_mojibake
from bdev.agents.problems import DefinitionError, Problem, Severity, display_path
from bdev.tools.base import TOOL_NAMES

log = logging.getLogger(__name__)

Source = Literal["builtin", "user", "project", "dir", "path"]
KNOWN_FIELDS = ("name", "description", "tools", "model", "color")
MODEL_ALIASES = ("sonnet", "opus", "haiku", "inherit")
# Names end up in `Task(subagent_type=...)` calls and file names: keep them to one word.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class AgentDefinition:
    name: str
    description: str  # with `\n` escapes turned into newlines, examples included
    body: str  # the system prompt
    tools: list[str] | None = None  # None: every tool
    model: str | None = None  # an alias from MODEL_ALIASES or a concrete model id
    color: str | None = None
    path: Path | None = None
    source: Source = "path"
    extra: dict[str, Any] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def allowed_tools(self) -> list[str]:
        return list(TOOL_NAMES) if self.tools is None else list(self.tools)

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
    """Every problem of a definition file (errors and warnings), in line order."""
    return _parse_file(path, "path")[1]


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
    definition = AgentDefinition(
        name=values["name"],
        description=description,
        body=fm.body,
        tools=values.get("tools"),
        model=values.get("model"),
        color=values.get("color"),
        path=path,
        source=source,
        extra={k: v for k, v in fm.fields.items() if k not in KNOWN_FIELDS},
        examples=parse_examples(description),
        warnings=problems,
    )
    return definition, problems


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
        if "tools" in f:
            values["tools"] = self._tools(f["tools"])
        for key in ("model", "color"):
            if f.get(key) is not None:
                values[key] = self._optional_text(key, f[key])
        model = values.get("model")
        if model is not None and len(model.split()) > 1:
            aliases = ", ".join(MODEL_ALIASES)
            self._add("model", f"{model!r}: use an alias ({aliases}) or one model id")
        for key in f:
            if key not in KNOWN_FIELDS:
                self._add(key, f"unknown field, ignored (known: {', '.join(KNOWN_FIELDS)})", True)
        return values

    def text_warnings(self, description: str | None) -> None:
        if not self.fm.body.strip():
            self._add("body", "empty: the agent has no system prompt", True, self.fm.body_line)
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
                    True,
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

    def _tools(self, value: Any) -> list[str] | None:
        if isinstance(value, str):
            if value.strip() == "*":
                return None
            names = [n for n in re.split(r"[,\s]+", value) if n]
        elif isinstance(value, list) and all(isinstance(n, str) for n in value):
            names = [n.strip() for n in value if n.strip()]
        elif value is None:
            names = []
        else:
            self._add("tools", f"must be a comma-separated list or a YAML list, not {value!r}")
            return None
        if not names:
            self._add("tools", "empty: list tools, or leave the field out to allow all tools")
            return None
        for name in names:
            if name not in TOOL_NAMES:
                close = difflib.get_close_matches(name, TOOL_NAMES, n=1)
                hint = f', did you mean "{close[0]}"?' if close else ""
                self._add("tools", f'unknown tool "{name}"{hint} (known: {", ".join(TOOL_NAMES)})')
        return list(dict.fromkeys(names))  # without duplicates, in the author's order

    def _line(self, key: str) -> int:
        return self.fm.lines.get(key, self.fm.opening_line)

    def _add(self, key: str, message: str, warning: bool = False, line: int | None = None) -> None:
        line = self._line(key) if line is None else line
        severity: Severity = "warning" if warning else "error"
        self.problems.append(Problem(self.file, line, key, message, severity))


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    names: dict[type, str] = {list: "a list", dict: "a mapping"}
    return names.get(type(value), f"a {type(value).__name__}")
