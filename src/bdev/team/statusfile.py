"""Status files: Markdown checklists that people and bdev both edit.

One task per checkbox line; everything else (headings, prose) is free text, and the
latest `#` heading above a task is its section (a phase or a milestone):

    - [ ] api-design: API design (owner: backend-developer; after: review; writes: api.md)

Marks: `[ ]` open, `[x]` done, `[~]` in progress, `[!]` blocked (needs a person; set it
back to `[ ]` to retry). The parenthesis at the end holds `key: value` pairs separated
by `;`, lists separated by `,`: `owner` (required), `after`, `reads`, `writes`, `kind`
(`doc` or `implement`), `reviewer`. docs/team.md describes the format.

bdev changes one thing only: the mark of one line, under the file's lock, and only when
the line still reads as it did when bdev read it. Otherwise it refuses, saying why, so
a person's edit made in between always survives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from bdev.errors import BdevError
from bdev.fsutil import write_text_atomic
from bdev.team.locks import locked


class Mark(StrEnum):
    OPEN = " "
    DONE = "x"
    ACTIVE = "~"
    BLOCKED = "!"


class Kind(StrEnum):
    DOC = "doc"  # the owner writes documents in the project
    IMPLEMENT = "implement"  # code on its own branch, reviewed, merged on approval


class StatusError(BdevError):
    """A malformed status file: the message names the file and line."""


class StaleLine(BdevError):
    """A mark was not changed because the line is not what bdev read."""


LIST_KEYS = ("after", "reads", "writes")
TEXT_KEYS = ("owner", "kind", "reviewer")
KEYS = ("owner", "after", "reads", "writes", "kind", "reviewer")
FORMAT_HINT = "- [ ] task-id: what to do (owner: agent-name; after: other-task; writes: path)"

_CHECKBOX = re.compile(r"^\s*[-*+]\s+\[")
_LINE = re.compile(
    r"^(?P<lead>\s*[-*+]\s+\[)(?P<mark>.)\]\s+(?P<id>[^\s:()]+):\s*(?P<title>.*?)"
    r"\s*\((?P<attrs>[^()]*)\)\s*$"
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(?P<text>.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    owner: str
    mark: Mark
    file: Path
    line: int  # 1-based, where it was read
    text: str  # the whole line as read, without its line ending
    section: str = ""
    after: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    kind: Kind = Kind.DOC
    reviewer: str | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class StatusFile:
    path: Path
    tasks: tuple[Task, ...]


def read_status(path: Path) -> StatusFile:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        why = "no such status file (create it with `bdev team init`)"
        raise StatusError(f"{path}: {why}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise StatusError(f"{path}: cannot read it ({e})") from None
    return parse_status(text, path)


def parse_status(text: str, path: Path) -> StatusFile:
    """Every task of a status file; StatusError naming the first malformed line."""
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), 1):
        heading = _HEADING.match(line)
        if heading:
            section = heading["text"]
            continue
        if not _CHECKBOX.match(line):
            continue
        task = _parse_line(line, path, number, section)
        if task.id in seen:
            raise StatusError(
                f"{path}:{number}: task id {task.id!r} is used twice (also line {seen[task.id]})"
            )
        seen[task.id] = number
        tasks.append(task)
    return StatusFile(path, tuple(tasks))


def _parse_line(line: str, path: Path, number: int, section: str) -> Task:
    where = f"{path}:{number}"
    m = _LINE.match(line)
    if m is None:
        raise StatusError(f"{where}: not a task line; write it as `{FORMAT_HINT}`")
    marks = {m.value for m in Mark} | {"X"}
    if m["mark"] not in marks:
        raise StatusError(f"{where}: unknown mark [{m['mark']}] (use [ ], [x], [~] or [!])")
    if not _ID.match(m["id"]):
        raise StatusError(
            f"{where}: task id {m['id']!r}: use letters, digits, '.', '_' or '-' only"
        )
    values = _attributes(m["attrs"], where)
    if not values.get("owner"):
        raise StatusError(f"{where}: task {m['id']!r} has no owner (add `owner: agent-name`)")
    kind = str(values.get("kind") or Kind.DOC.value)
    if kind not in {k.value for k in Kind}:
        raise StatusError(f"{where}: kind {kind!r}: use doc or implement")
    lists = {k: tuple(values.get(k) or ()) for k in LIST_KEYS}
    return Task(
        id=m["id"],
        title=m["title"],
        owner=str(values["owner"]),
        mark=Mark(m["mark"].lower()),
        file=path,
        line=number,
        text=line,
        section=section,
        after=lists["after"],
        reads=lists["reads"],
        writes=lists["writes"],
        kind=Kind(kind),
        reviewer=str(values["reviewer"]) if values.get("reviewer") else None,
    )


def _attributes(text: str, where: str) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, colon, value = part.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not colon or key not in KEYS:
            known = ", ".join(KEYS)
            raise StatusError(f"{where}: {part!r}: expected `key: value` with a key of {known}")
        if key in values:
            raise StatusError(f"{where}: {key!r} is given twice")
        if key in LIST_KEYS:
            values[key] = [v.strip() for v in value.split(",") if v.strip()]
        elif not value:
            raise StatusError(f"{where}: {key!r} is empty")
        else:
            values[key] = value
    return values


def set_mark(task: Task, mark: Mark) -> Task:
    """Change `task`'s mark in its file, leaving every other byte alone; StaleLine when
    the line is gone or differs from what was read (a person changed it: theirs wins)."""
    with locked(task.file):
        with task.file.open(encoding="utf-8", newline="") as f:
            lines = f.read().splitlines(keepends=True)
        index = next((i for i, line in enumerate(lines) if _id_of(line) == task.id), None)
        if index is None:
            raise StaleLine(
                f"{task.file}: task {task.id!r} (line {task.line} when read) is no longer "
                "there; left as it is"
            )
        body = lines[index].rstrip("\r\n")
        if body != task.text:
            raise StaleLine(
                f"{task.file}:{index + 1}: task {task.id!r} changed since bdev read it "
                f"(was {task.text.strip()!r}, now {body.strip()!r}); left as it is"
            )
        m = _LINE.match(body)
        assert m is not None  # it parsed when read, and it is unchanged
        at = m.end("lead")
        ending = lines[index][len(body) :]
        new = body[:at] + mark.value + body[at + 1 :]
        lines[index] = new + ending
        write_text_atomic(task.file, "".join(lines))
    return replace(task, mark=mark, text=new, line=index + 1)


def _id_of(line: str) -> str | None:
    m = _LINE.match(line.rstrip("\r\n"))
    return m["id"] if m else None
