"""What a search asks for and what an engine answers, independent of the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol


@dataclass(frozen=True)
class GrepQuery:
    pattern: str
    root: Path  # the real workspace root; result paths are relative to it
    target: Path  # file or directory to search, inside root
    globs: list[str] = field(default_factory=list)
    file_type: str | None = None
    ignore_case: bool = False
    multiline: bool = False
    before: int = 0
    after: int = 0
    # Workspace-relative files never searched: Read deny rules cover them (tools.hidden).
    skip: frozenset[str] = frozenset()


class Line(NamedTuple):
    number: int  # 1-based
    text: str
    is_match: bool  # False for a context line


class GrepEngine(Protocol):
    """Searches files; paths in answers are POSIX paths relative to query.root."""

    name: str

    def files(self, q: GrepQuery) -> list[str]: ...

    def counts(self, q: GrepQuery) -> dict[str, int]: ...

    def lines(self, q: GrepQuery) -> dict[str, list[Line]]: ...
