"""Splitting a definition file into front matter and body, tolerantly.

Claude Code's own loader accepts front matter that is not valid YAML: a typical
`description:` holds unquoted prose with `: ` and `<example>` tags in it, which YAML
rejects ("mapping values are not allowed here"). We try YAML first and, when it fails,
read the block as top-level `key: value` lines, each value being the literal rest of its
line plus any indented continuation lines. Lines that fit neither shape are reported:
tolerance must not hide front matter that is really broken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from bdev.agents.problems import Problem, Severity

DELIMITER = "---"
# A top-level key as Claude Code files write them: `name:`, `argument-hint:`, `x_y:`.
_KEY_LINE = re.compile(r"^([A-Za-z0-9_][\w.-]*)[ \t]*:(?:[ \t]+|$)(.*)$")


@dataclass
class FrontMatter:
    fields: dict[str, Any]
    lines: dict[str, int]  # key -> 1-based line in the file
    body: str
    body_line: int
    opening_line: int
    literal: bool = False  # True when YAML failed and the line reading was used
    problems: list[Problem] = field(default_factory=list)


def normalize(text: str) -> str:
    """Drop a UTF-8 BOM and turn CRLF (and lone CR) line ends into LF."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split(text: str, file: str) -> FrontMatter | Problem:
    """Parse normalized `text`; a Problem instead when there is no front matter to read.

    Problems inside a front matter that was found are collected in `FrontMatter.problems`
    so that a validator can report all of them.
    """
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].rstrip() != DELIMITER:
        return Problem(
            file,
            1 if start is None else start + 1,
            "front matter",
            'missing: the file must start with a "---" line, then `key: value` lines '
            '(name, description, ...), then a closing "---" line',
        )
    end = next((i for i in range(start + 1, len(lines)) if lines[i].rstrip() == DELIMITER), None)
    if end is None:
        return Problem(
            file, start + 1, "front matter", 'unterminated: no closing "---" line after this one'
        )

    body = "\n".join(lines[end + 1 :])
    fm = FrontMatter(fields={}, lines={}, body=body, body_line=end + 2, opening_line=start + 1)
    block = lines[start + 1 : end]
    _Reader(file, first=start + 2, fm=fm).read(block)
    return fm


@dataclass
class _Entry:
    """One top-level key in the fallback reading."""

    key: str
    rest: str  # the text after `key:` on its own line
    line_no: int
    lines: list[str]  # the key's line and its continuation lines, as written


@dataclass
class _Reader:
    file: str
    first: int  # file line of the block's first line
    fm: FrontMatter

    def read(self, block: list[str]) -> None:
        text = "\n".join(block)
        if not text.strip():
            return
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            self.fm.literal = True
            self._read_key_lines(block, yaml_error=_yaml_reason(e))
            return
        if not isinstance(data, dict):
            what = "only comments" if data is None else f"a YAML {type(data).__name__}"
            self._problem(self.first, "front matter", f"must be `key: value` lines, not {what}")
            return
        # compose() keeps each key's position, which safe_load() throws away.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        assert isinstance(root, yaml.MappingNode)  # safe_load gave a dict: a mapping document
        for key_node, _ in root.value:
            self.fm.lines[str(key_node.value)] = self.first + key_node.start_mark.line
        self.fm.fields = {str(k): v for k, v in data.items()}

    def _read_key_lines(self, block: list[str], yaml_error: str) -> None:
        """The fallback: top-level `key: value` lines with indented continuation lines."""
        entries: list[_Entry] = []
        for offset, line in enumerate(block):
            line_no = self.first + offset
            if line.startswith("#"):
                continue
            if not line.strip() or line[0] in " \t":
                if entries:
                    entries[-1].lines.append(line)
                elif line.strip():
                    self._problem(line_no, "front matter", "indented line before any `key:` line")
                continue
            m = _KEY_LINE.match(line)
            if m is None:
                message = f"not a `key: value` line: {_clip(line)!r} (YAML: {yaml_error})"
                self._problem(line_no, "front matter", message)
                continue
            entries.append(_Entry(m.group(1), m.group(2).strip(), line_no, [line]))

        for entry in entries:
            if entry.key in self.fm.fields:
                self._problem(
                    entry.line_no, entry.key, "given twice; the later one wins", "warning"
                )
            self.fm.lines[entry.key] = entry.line_no
            self.fm.fields[entry.key] = self._value(entry)

    def _value(self, entry: _Entry) -> Any:
        # A key's own lines are often valid YAML by themselves (`tools: [Read, Bash]`, a
        # block list); only the offending key needs the literal reading.
        try:
            parsed = yaml.safe_load("\n".join(entry.lines))
        except yaml.YAMLError as e:
            if entry.rest[:1] in ('"', "'", "[", "{"):
                # It starts like a YAML quoted string or collection: the author meant YAML.
                self._problem(entry.line_no, entry.key, f"invalid YAML value: {_yaml_reason(e)}")
        else:
            if isinstance(parsed, dict) and entry.key in parsed:
                return parsed[entry.key]
        continued = [line.strip() for line in entry.lines[1:]]
        return "\n".join([entry.rest, *continued]).strip()

    def _problem(self, line: int, field: str, message: str, severity: Severity = "error") -> None:
        self.fm.problems.append(Problem(self.file, line, field, message, severity))


def _yaml_reason(e: yaml.YAMLError) -> str:
    return str(getattr(e, "problem", None) or str(e).splitlines()[0])


def _clip(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
