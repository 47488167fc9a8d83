"""Stop a constrained Write at the first line of content that cannot begin its file.

The grammar makes every reply a valid call, but not a sensible one: after a tool's
result, the embedded model often sends the result again, or a summary, as the content of
a Write to `app.py`, and runs on to the 2,048-token cap (minutes on a CPU) or into a
cycle. The first line shows it (`bdev.sourcestart`); the reply is stopped there, the
call closed with that line as its content, and Write refuses it with the reason, as it
would any call whose content is not the file. A well-formed call, refused by its tool,
in seconds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bdev.sourcestart import not_a_start

# The opening of a constrained Write, up to the start of its content. The grammar keeps
# the schema's order: name, then file_path, then content.
_WRITE_HEAD = re.compile(
    r'\{\s*"name"\s*:\s*"Write"\s*,\s*"arguments"\s*:\s*\{\s*'
    r'"file_path"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"content"\s*:\s*"'
)
_NAME = re.compile(r'\{\s*"name"\s*:\s*"([^"]*)"')
_LONGEST_ESCAPE = 6  # \uXXXX: a cut can fall inside one


@dataclass
class Stop:
    """Where the reply stops: its text, closed before the content's end, and why."""

    text: str
    reason: str


class FileStartWatch:
    """Follows one constrained reply; `check` says when its Write should stop."""

    def __init__(self) -> None:
        self.decided = False  # the first line was judged (or the reply is not a Write)

    def check(self, text: str, *, cut: bool = False) -> Stop | None:
        """A `Stop` when `text` is a Write whose content's first line cannot begin its
        file; None to go on. `cut`: the reply has ended (cap, cycle), so a first line
        still open is judged as far as it goes."""
        if self.decided:
            return None
        name = _NAME.match(text)
        if (name and name.group(1) != "Write") or (cut and not name):
            self.decided = True
            return None
        head = _WRITE_HEAD.match(text)
        if head is None:  # the content has not begun yet
            self.decided = cut
            return None
        path = _decoded(head.group(1)) or ""
        content = _decoded(text[head.end() :])
        if content is None:
            return None
        first = content.lstrip("\n")
        line, complete = first.split("\n", 1)[0], "\n" in first
        if not complete and not cut:
            return None
        self.decided = True
        reason = not_a_start(path, line, partial=not complete)
        if not reason:
            return None
        closed = text[: head.end()] + json.dumps(line + "\n", ensure_ascii=False)[1:-1]
        return Stop(closed, f"{path}: {reason}")


def _decoded(raw: str) -> str | None:
    """The JSON string text `raw` (no quotes), decoded as far as it goes: a cut can fall
    inside an escape, which is then left out."""
    for end in range(len(raw), max(len(raw) - _LONGEST_ESCAPE, 0) - 1, -1):
        try:
            value = json.loads(f'"{raw[:end]}"')
        except json.JSONDecodeError:
            continue
        return value if isinstance(value, str) else None
    return None
