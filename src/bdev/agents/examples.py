"""The description's `<example>` blocks, parsed into their parts for routing.

Claude Code descriptions write examples inline, usually on one YAML line with literal
`\\n` escapes:

    <example>Context: ...\\nuser: "..."\\nassistant: "..."\\n<commentary>...</commentary></example>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EXAMPLE = re.compile(r"<example>(.*?)(?:</example>|$)", re.DOTALL | re.IGNORECASE)
_COMMENTARY = re.compile(r"<commentary>(.*?)(?:</commentary>|$)", re.DOTALL | re.IGNORECASE)
_LABEL = re.compile(r"^[ \t]*(context|user|assistant)[ \t]*:", re.IGNORECASE | re.MULTILINE)
# Stage directions such as `<uses Task tool to invoke backend-developer agent>`.
_TAG_LINE = re.compile(r"^[ \t]*<[^<>\n]*>[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    context: str = ""
    user: str = ""
    assistant: str = ""
    commentary: str = ""

    @property
    def text(self) -> str:
        """Everything that says what kind of task this is (the reply adds little)."""
        return "\n".join(p for p in (self.context, self.user, self.commentary) if p)


def unescape(description: str) -> str:
    """Turn the literal `\\n` escapes that one-line YAML descriptions use into newlines."""
    return description.replace("\\n", "\n")


def parse_examples(description: str) -> list[Example]:
    """Every `<example>` block of an (unescaped) description, in order."""
    return [_parse_one(m.group(1)) for m in _EXAMPLE.finditer(description)]


def strip_examples(description: str) -> str:
    """The description's prose: the text outside its `<example>` blocks."""
    prose = _EXAMPLE.sub(" ", description)
    return re.sub(r"[ \t]+\n", "\n", re.sub(r"\n{3,}", "\n\n", prose)).strip()


def _parse_one(block: str) -> Example:
    commentary = " ".join(_clean(m.group(1)) for m in _COMMENTARY.finditer(block))
    rest = _TAG_LINE.sub("", _COMMENTARY.sub("", block))
    parts: dict[str, str] = {}
    labels = list(_LABEL.finditer(rest))
    for m, following in zip(labels, [*labels[1:], None], strict=True):
        end = following.start() if following else len(rest)
        label = m.group(1).lower()
        text = _clean(rest[m.end() : end])
        parts[label] = f"{parts[label]} {text}" if label in parts else text
    return Example(commentary=commentary, **parts)


def _clean(text: str) -> str:
    text = " ".join(text.split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return text
