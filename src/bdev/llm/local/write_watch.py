"""Stop a constrained Write as soon as its content cannot be its file.

The grammar makes every reply a valid call, but not a sensible one: after a tool's
result, the embedded model often sends the result again, or a summary, as the content of
a Write to `app.py`, and runs on to the 2,048-token cap (minutes on a CPU) or into a
cycle; rewriting a module, it goes round it again with small changes until the cap. The
first line shows the first (`bdev.sourcestart.not_a_start`), a function defined a second
time the other (`second_definition`). The reply is stopped there. A first line that cannot
begin the file: the call is closed with it, and Write refuses it with the reason, as it
would any call whose content is not the file: a well-formed call, refused by its tool,
without the minutes to the cap. A second definition: the call is closed with the module
before it (its first round, each name once), which Write takes; only when that part does
not parse is it closed with the content so far, for Write to refuse.

An Edit goes the same way when its `old_string` opens with the markup of a tool call or
result (`<tools><function name='Edit' ...`, `<toolResponse>`): a copy of the conversation,
which the model then nests in itself to the cap (change task 07 at `8d6ceff`, four replies
of 2,048 tokens). The call is closed with `new_string` the same text, so that it can
change nothing whatever the file holds; Edit refuses it. So is an Edit whose `old_string`
defines a function a second time: quoting the module, the model went round it again to
the cap (greenfield scenario 11 at `9472785`: three replies of 2,048 tokens, each cut
off mid-call, the loop's only malformed replies of that run; each would have stopped
after about 570 tokens). And an Edit of any file cut off in its `old_string` where the
reply began repeating itself (`repeats`) is closed the same way, not left without its
`new_string` to go back as malformed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bdev.sourcestart import (
    before_line,
    defined_twice,
    not_a_start,
    said_twice,
    second_definition,
)

# The opening of a constrained Write, up to the start of its content. The grammar keeps
# the schema's order: name, then file_path, then content.
_WRITE_HEAD = re.compile(
    r'\{\s*"name"\s*:\s*"Write"\s*,\s*"arguments"\s*:\s*\{\s*'
    r'"file_path"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"content"\s*:\s*"'
)
# An Edit's, up to the start of its old_string (file_path, old_string, new_string, ...).
_EDIT_HEAD = re.compile(
    r'\{\s*"name"\s*:\s*"Edit"\s*,\s*"arguments"\s*:\s*\{\s*'
    r'"file_path"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"old_string"\s*:\s*"'
)
_NAME = re.compile(r'\{\s*"name"\s*:\s*"([^"]*)"')
_WATCHED = ("Write", "Edit")
# The tags of the chat format's calls and results, as the model copies them: no file's
# text to replace begins with one.
_CALL_MARKUP = re.compile(r"\s*</?\s*(tool|function)", re.IGNORECASE)
_MARKUP_CHARS = 12  # judged from this many characters, or when the string has ended
_LONGEST_ESCAPE = 6  # \uXXXX: a cut can fall inside one
# A first line still open at this length is judged as far as it goes: a copied tool call
# or result can run for 2,000 tokens without a line break (change task 01 at `72bc3dc`:
# `<tools><function name="Read" arguments=...`, 150 s to the cap).
_OPEN_LINE = 80


@dataclass
class Stop:
    """Where the reply stops: its text, ending inside the content (the caller closes the
    call), and why."""

    text: str
    reason: str


class WriteWatch:
    """Follows one constrained reply; `check` says when its Write should stop."""

    def __init__(self) -> None:
        self.done = False  # not a Write of a file to judge, or judged to the end
        self.started = False  # the content's first line was judged, and passed

    def check(self, text: str, *, cut: bool = False, repeated: bool = False) -> Stop | None:
        """A `Stop` when `text` is a Write whose content cannot be its file's (its first
        line cannot begin it, or it defines a function a second time); None to go on.
        `cut`: the reply has ended (cap, cycle), so a first line still open is judged as
        far as it goes; `repeated`: it ended where it began repeating itself."""
        if self.done:
            return None
        name = _NAME.match(text)
        if (name and name.group(1) not in _WATCHED) or (cut and not name):
            self.done = True
            return None
        if name and name.group(1) == "Edit":
            return self._edit(text, cut, repeated)
        head = _WRITE_HEAD.match(text)
        if head is None:  # the content has not begun yet
            self.done = cut
            return None
        path = _decoded(head.group(1)) or ""
        content = _decoded(text[head.end() :])
        if content is None:
            return None
        if not path.endswith(".py"):
            self.done = True
            return None
        if not self.started:
            first = content.lstrip("\n")
            line, complete = first.split("\n", 1)[0], "\n" in first
            if not complete and not cut and len(line) < _OPEN_LINE:
                return None
            if reason := not_a_start(path, line, partial=not complete):
                self.done = True
                return Stop(_closed_with(text, head.end(), line + "\n"), f"{path}: {reason}")
            if not complete:
                return None  # it may yet turn out not to be code: judged again as it grows
            self.started = True
        lines = content[: content.rfind("\n") + 1]  # whole lines only
        if twice := second_definition(path, lines):
            self.done = True
            reason = f"{path}: {said_twice(twice)}"
            # The model's first round, each name once, when that part parses. Sent whole,
            # the call is refused, and the model sends it again (greenfield scenario 02 at
            # `8398468`: the same Write 20 times, 900 s, no app.py).
            if (module := before_line(lines, twice[2])) is not None:
                kept = f"; the call keeps the module before it (lines 1-{len(module.splitlines())})"
                return Stop(_closed_with(text, head.end(), module), reason + kept)
            return Stop(_closed_with(text, head.end(), lines), reason)
        return None

    def _edit(self, text: str, cut: bool, repeated: bool) -> Stop | None:
        """An Edit of a Python file whose `old_string` opens with a call's markup, or
        defines a function twice; an Edit of any file cut in a cycle in its `old_string`."""
        head = _EDIT_HEAD.match(text)
        if head is None:
            self.done = cut
            return None
        path = _decoded(head.group(1)) or ""
        raw = text[head.end() :]
        end = _string_end(raw)
        old = _decoded(raw if end is None else raw[:end])
        if old is None:  # cut inside an escape: judged at the next check
            self.done = cut
            return None
        if repeated and end is None:
            # No file holds a block three times over (`repeats`): the old_string ran on.
            # Left cut, the call lacks its new_string and goes back as malformed
            # (greenfield scenario 11 at `4c2f249`: the imports again and again, twice).
            self.done = True
            return Stop(
                _unchanging(text, head.end(), old),
                f"{path}: its old_string began repeating itself: a copy running on, not "
                "text of the file; quote only the lines to change",
            )
        complete = end is not None or cut
        if not path.endswith(".py"):
            self.done = complete  # followed to its end for the cycle rule above only
            return None
        if not self.started:
            if not complete and len(old.lstrip()) < _MARKUP_CHARS:
                return None
            self.started = True
            if _CALL_MARKUP.match(old) is not None:
                self.done = True
                shown = old.strip() if len(old.strip()) <= 60 else old.strip()[:57] + "..."
                return Stop(
                    _unchanging(text, head.end(), old),
                    f"{path}: its old_string, `{shown}`, is a copy of a tool call or "
                    "result, not text of the file",
                )
        lines = old[: old.rfind("\n") + 1]  # whole lines only
        if reason := defined_twice(path, lines):
            self.done = True
            return Stop(
                _unchanging(text, head.end(), lines),
                f"{path}: its old_string {reason.removeprefix('it ')}: a copy running on, "
                "not text of the file; quote only the lines to change",
            )
        self.done = complete
        return None


def _unchanging(text: str, old_start: int, old: str) -> str:
    """The reply's text up to its old_string, then `old` as both old_string and
    new_string (left open: the caller closes the call): an Edit that can change nothing,
    whatever the file holds."""
    quoted = json.dumps(old, ensure_ascii=False)[1:-1]
    return f'{text[:old_start]}{quoted}", "new_string": "{quoted}'


def _string_end(raw: str) -> int | None:
    """Where the JSON string text `raw` (its opening quote left out) ends, if it has."""
    escaped = False
    for i, char in enumerate(raw):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            return i
    return None


def _closed_with(text: str, content_start: int, content: str) -> str:
    """The reply's text up to its content, then `content` escaped (left open: the caller
    closes the call)."""
    return text[:content_start] + json.dumps(content, ensure_ascii=False)[1:-1]


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
